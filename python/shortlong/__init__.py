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

import array
import functools
import mmap
import operator
import os
import threading
from collections.abc import Iterable
from typing import Any, NamedTuple, Union

from . import _ffi
from ._errors import ArgumentTypeError, DecodeError, Error, NoWordsError, OptionError
from ._version import __version__

__all__ = [
    "ArgumentTypeError",
    "BatchDecodeError",
    "CountsArrays",
    "DecodeError",
    "Error",
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
#: (``bytes``, ``bytearray``, ``memoryview``, ``mmap.mmap``, ...).
Text = Union[str, bytes, bytearray, memoryview, Any]

DEFAULT_IGNORE: tuple[str, ...] = ("the", "a")
_DEFAULT_IGNORE_BYTES = (b"the", b"a")
_U64_MAX = (1 << 64) - 1
_ffi_ = _ffi.ffi
_lib = _ffi.lib
_NULL = _ffi.NULL
_SURROGATEPASS = _ffi.ERRORS["surrogatepass"]


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


def _buffer(text: Text) -> tuple[Any, int, bool]:
    """(data for the C call, its length in bytes, whether `text` is a str)."""
    if isinstance(text, str):
        # surrogatepass makes every str encodable; the core counts each
        # 3-byte surrogate encoding as one code point, as len() does.
        data = text.encode("utf-8", "surrogatepass")
        return data, len(data), True
    if isinstance(text, bytes):
        return text, len(text), False
    try:
        buf = _ffi_.from_buffer("uint8_t[]", text)
    except TypeError:
        raise ArgumentTypeError(
            f"text must be a str or a bytes-like object, not {type(text).__name__}"
        ) from None
    except (ValueError, BufferError) as exc:
        raise ArgumentTypeError(f"text is not a usable contiguous buffer: {exc}") from None
    return buf, len(buf), False


def _options(longer_than: int, ignore: Iterable[str], errors: str, is_str: bool) -> Any:
    """The cached native options for these arguments (validated here)."""
    try:
        code = _ffi.ERRORS[errors]
    except (KeyError, TypeError):
        raise OptionError(
            f"errors must be 'strict', 'replace' or 'surrogatepass', not {errors!r}"
        ) from None
    if is_str:
        code = _SURROGATEPASS  # a str is always decodable
    if type(longer_than) is not int:
        if isinstance(longer_than, bool):
            raise ArgumentTypeError("longer_than must be an integer, not bool")
        try:
            longer_than = operator.index(longer_than)
        except TypeError:
            raise ArgumentTypeError(
                f"longer_than must be an integer, not {type(longer_than).__name__}"
            ) from None
    if longer_than < 0:
        raise OptionError(f"longer_than must be >= 0, not {longer_than}")
    # No text has 2**64 code points: a larger threshold means "none is long".
    longer_than = min(longer_than, _U64_MAX)
    if ignore is DEFAULT_IGNORE:
        entries: tuple[bytes, ...] = _DEFAULT_IGNORE_BYTES
    else:
        if isinstance(ignore, (str, bytes)):
            raise ArgumentTypeError(
                f"ignore must be a collection of strings, not a single {type(ignore).__name__}"
                f" (did you mean ignore=({ignore!r},)?)"
            )
        try:
            items = ignore if type(ignore) is tuple else tuple(ignore)
        except TypeError:
            raise ArgumentTypeError(
                f"ignore must be a collection of strings, not {type(ignore).__name__}"
            ) from None
        try:
            return _list_options_cached(longer_than, items, code)
        except TypeError:  # an unhashable entry: not a str, which _encoded reports
            return _list_options(longer_than, items, code)
    return _ffi.options(longer_than, entries, code)


def _list_options(longer_than: int, items: tuple[Any, ...], code: int) -> Any:
    """The native options for an ignore list given as a tuple of str."""
    for i, e in enumerate(items):
        if not isinstance(e, str):
            raise ArgumentTypeError(f"ignore entry {i} must be a str, not {type(e).__name__}")
    entries = tuple(e.encode("utf-8", "surrogatepass") for e in items)
    return _ffi.options(longer_than, entries, code)


# Checking and encoding 150 stop words took 18 us a call, 40 times the call on
# a short text; a tuple of str hashes fast (each str keeps its hash).
_list_options_cached = functools.lru_cache(maxsize=64)(_list_options)


def _threads(threads: int | None) -> int:
    """The C ABI's thread count: 0 means one per core."""
    if threads is None:
        return 0
    if type(threads) is not int:
        if isinstance(threads, bool):
            raise ArgumentTypeError("threads must be an integer or None, not bool")
        try:
            threads = operator.index(threads)
        except TypeError:
            raise ArgumentTypeError(
                f"threads must be an integer or None, not {type(threads).__name__}"
            ) from None
    if threads < 1:
        raise OptionError(f"threads must be >= 1 (or None for all cores), not {threads}")
    return min(threads, 1 << 16)


def _count(
    text: Text, longer_than: int, ignore: Iterable[str], errors: str, threads: int | None
) -> WordCounts:
    units = _str_units(text) if type(text) is str and len(text) >= _UNITS_MIN else None
    if units is not None:
        data, n, width = units
        is_str = True
    else:
        data, n, is_str = _buffer(text)
        width = 0
    opts = _options(longer_than, ignore, errors, is_str)
    nthreads = _threads(threads)
    out = _ffi_.new("SlCounts *")
    if width:
        _ffi.check(_lib.sl_count_units(opts, data, n, width, nthreads, out))
        return WordCounts(out.words, out.ignored, out.long_words)
    status = _lib.sl_count(opts, data, n, nthreads, out, _NULL)
    if status != 0:
        if status == _ffi.INVALID_UTF8:
            # The error path counts again to learn where: it keeps the
            # common path down to one allocation.
            err = _ffi_.new("SlUtf8Error *")
            _lib.sl_count(opts, data, n, nthreads, out, err)
            _release(data)
            raise _ffi.decode_error(text, err)
        _ffi.check(status)
    return WordCounts(out.words, out.ignored, out.long_words)


def _release(data: Any) -> None:
    """Let go of a buffer export now, so that an mmap can be closed even while
    the exception (and its traceback) is alive."""
    if not isinstance(data, bytes):
        _ffi_.release(data)


# The fast paths below serve the default arguments with a str or bytes:
# prebuilt options, no argument normalisation, and no allocation for the
# result buffer (one per thread, since the GIL is released during the call).
# Anything unusual, and every error, takes the general path above.
_STR_DEFAULT = _ffi.options(8, _DEFAULT_IGNORE_BYTES, _SURROGATEPASS)
_BYTES_DEFAULT = _ffi.options(8, _DEFAULT_IGNORE_BYTES, _ffi.ERRORS["strict"])
_sl_count_quick = _lib.sl_count_quick
_sl_short_long_or_nan = _lib.sl_short_long_or_nan
_sl_count_units = _lib.sl_count_units
_sl_short_long_units_or_nan = _lib.sl_short_long_units_or_nan
_str_units = _ffi.str_units
_UNITS_MIN = _ffi.UNITS_MIN
_tls = threading.local()
_new_counts = tuple.__new__
_EIGHT = 8
_sl_count_packed = _lib.sl_count_packed
_sl_short_long_default_or_nan = _lib.sl_short_long_default_or_nan
_PACKED_NONE = _lib.SL_PACKED_NONE
_PACKED_MAX_LEN = _lib.SL_PACKED_MAX_LEN
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


def _thread_out() -> tuple[Any, Any]:
    """This thread's result buffer: an ``array('Q')`` of three counts, and an
    ``SlCounts *`` into it (cast once), so that the result tuple is built
    from the array in C instead of three cdata attribute reads."""
    try:
        return _tls.out  # type: ignore[no-any-return]
    except AttributeError:
        buf = array.array("Q", (0, 0, 0))
        ptr = _ffi_.cast("SlCounts *", _ffi_.from_buffer("uint64_t[]", buf))
        _tls.out = out = (buf, ptr)
        return out


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
    if (
        ignore is DEFAULT_IGNORE
        and threads is None
        and errors == "strict"
        and longer_than is _EIGHT  # the int 8 (small ints are shared)
    ):
        units = None
        if type(text) is str:
            if len(text) < _UNITS_MIN:
                # A short str: its UTF-8, and counts packed in one integer
                # (two arguments, no result buffer; see sl_count_packed).
                # `encode()` without arguments is the fastest; a str with
                # lone surrogates, which it refuses, takes the general path.
                try:
                    data = text.encode()
                except UnicodeEncodeError:
                    return _count(text, longer_than, ignore, errors, threads)
                v = _sl_count_packed(data, len(data))
                if v != _PACKED_NONE:
                    return _packed_cache.get(v) or _unpack(v)
                return _count(text, longer_than, ignore, errors, threads)
            units = _str_units(text)
            opts = _STR_DEFAULT
        elif type(text) is bytes:
            if len(text) < _PACKED_MAX_LEN:
                v = _sl_count_packed(text, len(text))
                if v != _PACKED_NONE:
                    return _packed_cache.get(v) or _unpack(v)
                return _count(text, longer_than, ignore, errors, threads)
            opts = _BYTES_DEFAULT
        else:
            return _count(text, longer_than, ignore, errors, threads)
        try:
            buf, ptr = _tls.out
        except AttributeError:
            buf, ptr = _thread_out()
        if units is None:
            raw: Any = text.encode("utf-8", "surrogatepass") if type(text) is str else text
            status = _sl_count_quick(opts, raw, len(raw), ptr)
        elif units[2] == 0:
            status = _sl_count_quick(opts, units[0], units[1], ptr)
        else:
            status = _sl_count_units(opts, units[0], units[1], units[2], 0, ptr)
        if status == 0:
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
    r: float
    if type(text) is str:
        if len(text) < _UNITS_MIN and errors == "strict" and threads is None:
            # Strict UTF-8 with the default options, in two arguments
            # (`encode()` without arguments is the fastest; a str with lone
            # surrogates, which it refuses, takes the general path).
            try:
                data = text.encode()
            except UnicodeEncodeError:
                pass
            else:
                r = _sl_short_long_default_or_nan(data, len(data))
                if r == r:  # not NaN
                    return r
        elif errors == "strict" and threads is None:
            units = _str_units(text)
            if units is None:
                data = text.encode("utf-8", "surrogatepass")
                r = _sl_short_long_or_nan(_STR_DEFAULT, data, len(data))
            elif units[2] == 0:
                r = _sl_short_long_or_nan(_STR_DEFAULT, units[0], units[1])
            else:
                r = _sl_short_long_units_or_nan(_STR_DEFAULT, *units)
            if r == r:  # not NaN
                return r
    elif type(text) is bytes and errors == "strict" and threads is None:
        r = _sl_short_long_default_or_nan(text, len(text))
        if r == r:
            return r
    # NaN (no words, invalid UTF-8) or unusual arguments: the general path
    # raises the right error.
    return _count(text, 8, DEFAULT_IGNORE, errors, threads).fraction


def count_file(
    path: str | os.PathLike[str],
    *,
    longer_than: int = 8,
    ignore: Iterable[str] = DEFAULT_IGNORE,
    errors: str = "strict",
    threads: int | None = None,
) -> WordCounts:
    """Count the words of a UTF-8 file, memory-mapped rather than read.

    Options are as for `count`. A missing or unreadable file raises the
    usual ``OSError``; invalid UTF-8 raises `DecodeError` with the byte
    offset in the file.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
    ...     _ = f.write("the Encyclopedia of a thing")
    >>> count_file(f.name)
    WordCounts(words=5, ignored=2, long=1)
    >>> os.unlink(f.name)
    """
    options: dict[str, Any] = {
        "longer_than": longer_than,
        "ignore": ignore,
        "errors": errors,
        "threads": threads,
    }
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return _count(b"", longer_than, ignore, errors, threads)
        try:
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):  # not mappable (a pipe, /proc, ...)
            return count(f.read(), **options)
        with mm:
            return count(mm, **options)


def backend() -> str:
    """The kernel backend in use: "avx512", "avx2", "sse2" or "portable".

    The fastest one the CPU supports, unless the environment variable
    ``SHORTLONG_BACKEND`` named another before the first count.

    >>> backend() in ("avx512", "avx2", "sse2", "portable")
    True
    """
    return str(_ffi_.string(_lib.sl_backend()).decode())


from ._accessors import register as _register_accessors  # noqa: E402
from ._many import BatchDecodeError, CountsArrays, count_many  # noqa: E402

_register_accessors()
