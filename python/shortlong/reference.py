"""The definition of what shortlong computes, as plain Python.

This is the data scientist's function that shortlong reproduces exactly, and
the oracle that its tests and benchmarks compare against. It is slow (about
20 ms per MB) and has no options for invalid UTF-8: it takes a ``str``. Call
it to check shortlong on your own texts:

>>> import shortlong
>>> from shortlong import reference
>>> text = "the Encyclopedia of a thing"
>>> reference.short_long(text) == shortlong.short_long(text)
True
>>> reference.counts(text) == tuple(shortlong.count(text))
True

Words are ``str.split()`` as CPython splits: on the code points where
``str.isspace()`` is true. PyPy's ``str.split()`` differs: it also splits on
U+180E (MONGOLIAN VOWEL SEPARATOR, whitespace before Unicode 6.3) and does
not split on U+001C..U+001F, although its own ``str.isspace()`` agrees with
CPython's. shortlong follows CPython, and on PyPy this module splits on
exactly the code points that ``isspace()`` accepts, so that it states
CPython's rule on both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Callable

__all__ = ["counts", "short_long", "split"]

split: Callable[[str], list[str]]
if "a\u180eb".split() == ["a\u180eb"]:  # noqa: SIM905 - the test is the point
    split = str.split
else:  # pragma: no cover - PyPy
    # PyPy's str.split() splits on U+180E and not on U+001C..U+001F; its
    # str.isspace() agrees with CPython's. Every whitespace code point is
    # below U+3001.
    _SPACE = re.compile("[" + "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "]+")

    def split(text: str) -> list[str]:
        """``text.split()`` as CPython computes it."""
        return [w for w in _SPACE.split(text) if w]


def short_long(text: str) -> float:
    """The fraction of words longer than 8 code points, ignoring "the" and "a".

    Raises ``ZeroDivisionError`` when no word remains.

    >>> short_long("the Encyclopedia of a thing")
    0.3333333333333333
    """
    words = [w for w in split(text) if w != "the" and w != "a"]
    long = 0
    for w in words:
        if len(w) > 8:
            long += 1
    return long / len(words)


def counts(
    text: str, longer_than: int = 8, ignore: Iterable[str] = ("the", "a")
) -> tuple[int, int, int]:
    """``(words, ignored, long)`` of `text` by the same definition: what
    ``tuple(shortlong.count(text, longer_than=..., ignore=...))`` returns.

    >>> counts("the Encyclopedia of a thing")
    (5, 2, 1)
    """
    stop = set(ignore)
    words = split(text)
    ignored = sum(1 for w in words if w in stop)
    long = sum(1 for w in words if w not in stop and len(w) > longer_than)
    return len(words), ignored, long
