"""The exception hierarchy: everything shortlong raises derives from `Error`.

Each class also derives from the built-in exception a Python user would
catch for the same problem (``ZeroDivisionError`` for 0/0, ``ValueError``
for a bad value, ...), so code written for the pure-Python reference keeps
working.
"""

from __future__ import annotations

__all__ = [
    "ArgumentTypeError",
    "DecodeError",
    "Error",
    "FileChangedError",
    "NoWordsError",
    "OptionError",
]


class Error(Exception):
    """Base class of every error shortlong raises."""


class NoWordsError(Error, ZeroDivisionError):
    """No word remains after removing the ignored words, so the fraction is 0/0.

    The pure-Python reference raises ``ZeroDivisionError`` here; so does this.
    """


class OptionError(Error, ValueError):
    """An option has a value it cannot take (negative threshold, empty or
    whitespace-containing ignore entry, unknown ``errors`` handler)."""


class ArgumentTypeError(Error, TypeError):
    """An argument has the wrong type (for example, ``text`` is not text)."""


class DecodeError(Error, UnicodeDecodeError):
    """Bytes that are not UTF-8, with ``errors="strict"``.

    As for any ``UnicodeDecodeError``, ``object[start:end]`` are the invalid
    bytes. ``offset`` is their byte offset in the input you passed. For
    ``bytes`` input (and other buffers up to 16 MiB) ``object`` is the whole
    input and ``start == offset``; for larger buffers ``object`` is a short
    window around the error, so that an error never copies gigabytes.
    """

    offset: int
    #: How to count such bytes anyway; the command line says it its own way.
    hint = 'pass errors="replace" to count each invalid sequence as U+FFFD'

    def __init__(self, obj: bytes, start: int, end: int, reason: str, offset: int) -> None:
        super().__init__("utf-8", obj, start, end, reason)
        self.offset = offset

    def __str__(self) -> str:
        bad = self.object[self.start : self.end].hex(" ")
        return (
            f"invalid UTF-8 at byte offset {self.offset} (bytes {bad}): {self.reason}; {self.hint}"
        )

    def __reduce__(self) -> tuple[type[DecodeError], tuple[bytes, int, int, str, int]]:
        return (type(self), (self.object, self.start, self.end, self.reason, self.offset))


class FileChangedError(Error, OSError):
    """A file changed size while it was being counted (another process
    truncated it or wrote to it), so its counts would describe no version of
    it. ``filename`` names it; count it again once it is stable."""

    def __str__(self) -> str:
        # The message names the file already; OSError would rebuild it as
        # "[Errno None] None: name" once `filename` is set.
        return str(self.args[0]) if self.args else super().__str__()
