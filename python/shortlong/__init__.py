"""Exact, fast fraction of long words, with Python's ``str.split()`` semantics.

The pure-Python function below is the definition; shortlong gives the
identical result for every ``str`` (lone surrogates included) and for UTF-8
bytes, computed in Rust::

    def short_long(text):
        words = [w for w in text.split() if w != "the" and w != "a"]
        return sum(len(w) > 8 for w in words) / len(words)

>>> import shortlong
>>> shortlong.short_long("the Encyclopedia of a thing")
0.3333333333333333
>>> shortlong.count("the Encyclopedia of a thing")
WordCounts(words=5, ignored=2, long=1)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from typing import Any, NamedTuple, Union

from . import _ffi, _files, _options
from ._accessors import register as _register_accessors
from ._errors import (
    ArgumentTypeError,
    DecodeError,
    Error,
    FileChangedError,
    NoWordsError,
    OptionError,
)
from ._many import BatchDecodeError, CountsArrays, count_many
from ._options import DEFAULT_IGNORE
from ._version import __version__

__all__ = [
    "DEFAULT_IGNORE",
    "ArgumentTypeError",
    "BatchDecodeError",
    "CountsArrays",
    "DecodeError",
    "Error",
    "FileChangedError",
    "NoWordsError",
    "OptionError",
    "WordCounts",
    "__version__",
    "backend",
    "count",
    "count_file",
    "count_many",
    "short_long",
]

#: What ``text`` may be: a ``str``, or any bytes-like object holding UTF-8
#: (``bytes``, ``bytearray``, ``memoryview``, ``mmap.mmap``, a NumPy ``uint8``
#: array, ...): an object whose buffer holds single bytes in C order.
Text = Union[str, bytes, bytearray, memoryview, Any]


class WordCounts(NamedTuple):
    """Word counts of a text: an immutable record (a named tuple).

    >>> c = WordCounts(words=5, ignored=2, long=1)
    >>> c.fraction
    0.3333333333333333
    """

    #: All whitespace-separated words (``len(text.split())``).
    words: int
    #: Words equal to an entry of ``ignore``.
    ignored: int
    #: Words not ignored with more than ``longer_than`` code points.
    long: int

    @property
    def fraction(self) -> float:
        """``long / (words - ignored)``; raises `NoWordsError` when that is 0/0."""
        remaining = self.words - self.ignored
        if remaining == 0:
            raise NoWordsError("no words remain after removing the ignored words (0/0)")
        return self.long / remaining


def _count(
    text: Text, longer_than: Any, ignore: Iterable[str], errors: str, threads: int | None
) -> WordCounts:
    """The general path: any text, any options, every error."""
    opts = _options.options(longer_than, ignore, errors, isinstance(text, str))
    nthreads = _options.threads(threads)
    return _new_counts(WordCounts, _ffi.count(opts, text, nthreads))


# The fast paths. A call on a short text is bound by the call itself (CFFI's
# ABI mode: libffi, the GIL released and taken again), so `count` and
# `short_long` give an exact str or bytes with the default options to a
# two-argument native function that needs no options, no result buffer and
# no status: `count_packed` returns the three counts packed in one integer
# (or PACKED_NONE), `short_long_default_or_nan` the fraction (or NaN).
# A long exact str with the default options is read in place with prebuilt
# options into a per-thread result buffer (`count_quick`,
# `count_units_raw`; any status but OK goes to the general path): the
# general path cost 6-15% on the 206 enwiki pages counted one by one. They
# are chosen by value (the default options, compared as values, not by
# identity); anything else, and every error (PACKED_NONE, NaN, a status),
# take the general path above, which raises the right exception. A str is encoded
# with `encode()` and no arguments, the fastest; a str with lone
# surrogates, which it refuses, takes the general path.
_new_counts = tuple.__new__
_STR_DEFAULT = _ffi.options(8, _options.DEFAULT_IGNORE_BYTES, _ffi.ERRORS["surrogatepass"])
_count_packed = _ffi.count_packed
_count_quick = _ffi.count_quick
_count_units_raw = _ffi.count_units_raw
_str_units = _ffi.str_units
_OK = _ffi.OK
_tls = threading.local()
_short_long_default_or_nan = _ffi.short_long_default_or_nan
_UNITS_MIN = _ffi.UNITS_MIN
_PACKED_NONE = _ffi.PACKED_NONE
_PACKED_MAX_LEN = _ffi.PACKED_MAX_LEN
_PACKED_MASK = (1 << 21) - 1
# The results of small texts, by packed counts: a tiny text's result is then
# one dictionary lookup, where unpacking a large integer and building a
# named tuple cost a third of the call. The records are immutable, so
# sharing them is safe; the cache holds at most _PACKED_CACHE_MAX of them.
_packed_cache: dict[int, WordCounts] = {}
_PACKED_CACHE_MAX = 1 << 12  # a few hundred kB; tiny texts repeat few counts


def _unpack(v: int) -> WordCounts:
    """The counts packed in `v` by sl_count_packed, cached while there is room."""
    c: WordCounts = _new_counts(WordCounts, (v & _PACKED_MASK, v >> 21 & _PACKED_MASK, v >> 42))
    if len(_packed_cache) < _PACKED_CACHE_MAX:
        _packed_cache[v] = c
    return c


def count(
    text: Text,
    *,
    longer_than: int = 8,
    ignore: Iterable[str] = DEFAULT_IGNORE,
    errors: str = "strict",
    threads: int | None = None,
) -> WordCounts:
    """Count the words of `text`: all, ignored, and long.

    `text` is a ``str`` or a bytes-like object holding UTF-8. Words are
    ``text.split()``; a word is *ignored* when it equals an entry of
    `ignore` (exactly, case-sensitively), and *long* when it is not ignored
    and has more than `longer_than` code points. `errors` says what to do
    with bytes that are not UTF-8: ``"strict"`` raises `DecodeError`,
    ``"replace"`` counts each invalid sequence as U+FFFD (as
    ``bytes.decode("utf-8", "replace")``), ``"surrogatepass"`` also accepts
    encoded lone surrogates. A text of 1 MiB or more is counted on up to
    `threads` threads (``None``: one per core; ``1``: this thread only); the
    result never depends on it. The GIL is released while counting.

    >>> count("the Encyclopedia of a thing")
    WordCounts(words=5, ignored=2, long=1)
    >>> count(b"Of the people", longer_than=2, ignore=("the", "Of"))
    WordCounts(words=3, ignored=2, long=1)
    """
    if (  # the default options, by value
        threads is None
        and errors == "strict"
        and type(longer_than) is int
        and longer_than == 8
        and (ignore is DEFAULT_IGNORE or (type(ignore) is tuple and ignore == DEFAULT_IGNORE))
    ):
        if type(text) is str and len(text) < _UNITS_MIN:
            try:
                data = text.encode()
            except UnicodeEncodeError:
                return _count(text, longer_than, ignore, errors, threads)
            v = _count_packed(data, len(data))
            if v != _PACKED_NONE:
                return _packed_cache.get(v) or _unpack(v)
        elif type(text) is bytes and len(text) < _PACKED_MAX_LEN:
            v = _count_packed(text, len(text))
            if v != _PACKED_NONE:
                return _packed_cache.get(v) or _unpack(v)
        elif type(text) is str:
            # Long: read in place (see _ffi.str_storage) into this thread's
            # result buffer (the GIL is released during the call).
            u = _str_units(text)
            if u is not None:
                try:
                    buf, ptr = _tls.out
                except AttributeError:
                    buf, ptr = _tls.out = _ffi.counts_out()
                if u[2] == 0:
                    status = _count_quick(_STR_DEFAULT, u[0], u[1], ptr)
                else:
                    status = _count_units_raw(_STR_DEFAULT, u[0], u[1], u[2], 0, ptr)
                if status == _OK:
                    return _new_counts(WordCounts, buf)
    return _count(text, longer_than, ignore, errors, threads)


def short_long(text: Text, errors: str = "strict", threads: int | None = None) -> float:
    """The fraction of words longer than 8 code points, ignoring "the" and "a".

    Identical, bit for bit, to the pure-Python reference; raises
    `NoWordsError` (a ``ZeroDivisionError``) when no word remains.
    `errors` and `threads` are as for `count`. (They may also be given by
    position: CPython specialises calls only to functions without
    keyword-only parameters, which makes a call on a tiny text about 10%
    faster.)

    >>> short_long("the Encyclopedia of a thing")
    0.3333333333333333
    >>> short_long("the a")
    Traceback (most recent call last):
    ...
    shortlong._errors.NoWordsError: no words remain after removing the ignored words (0/0)
    """
    if errors == "strict" and threads is None:
        r: float
        if type(text) is str and len(text) < _UNITS_MIN:
            try:
                data = text.encode()
            except UnicodeEncodeError:
                return _count(text, 8, DEFAULT_IGNORE, errors, threads).fraction
            r = _short_long_default_or_nan(data, len(data))
            if r == r:  # not NaN
                return r
        elif type(text) is bytes:
            r = _short_long_default_or_nan(text, len(text))
            if r == r:
                return r
        elif type(text) is str:  # long: no option to check again
            return WordCounts(*_ffi.count(_STR_DEFAULT, text, 0)).fraction
    # NaN (no words, invalid UTF-8), long strs or other arguments: the
    # general path raises the right error.
    return _count(text, 8, DEFAULT_IGNORE, errors, threads).fraction


def count_file(
    path: str | bytes | os.PathLike[str] | os.PathLike[bytes],
    *,
    longer_than: int = 8,
    ignore: Iterable[str] = DEFAULT_IGNORE,
    errors: str = "strict",
    threads: int | None = None,
) -> WordCounts:
    """Count the words of a UTF-8 file, given by its path.

    Options are as for `count` (checked before the file is opened). The
    file is read in chunks of at most 8 MiB, so memory stays flat; a file
    of up to 8 MiB is counted in one call, on up to `threads` threads.
    Files whose size reads as 0 (``/proc``, pipes, FIFOs, ``<(cmd)``) are
    read until their end. A missing or unreadable file raises the usual
    ``OSError``; a file that changes size while it is counted raises
    `FileChangedError` (an ``OSError``); invalid UTF-8 raises `DecodeError`
    with the byte offset in the file. File descriptors are refused: pass a
    path (``/dev/stdin``, or ``f"/proc/self/fd/{fd}"``, names one).

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
    ...     _ = f.write("the Encyclopedia of a thing")
    >>> count_file(f.name)
    WordCounts(words=5, ignored=2, long=1)
    >>> os.unlink(f.name)
    """
    opts = _options.options(longer_than, ignore, errors, False)
    nthreads = _options.threads(threads)
    return _new_counts(WordCounts, _files.count_path(path, opts, nthreads))


def backend() -> str:
    """The kernel backend in use: "avx512", "avx2", "sse2" or "portable".

    The fastest one the CPU supports, unless the environment variable
    ``SHORTLONG_BACKEND`` named another before the first count.

    >>> backend() in ("avx512", "avx2", "sse2", "portable")
    True
    """
    return _ffi.backend()


_register_accessors()
