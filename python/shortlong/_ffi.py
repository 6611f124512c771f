"""The door: the one module that touches the CFFI library.

Owns loading ``shortlong._native``, every native call (as the typed
functions below, or, for the few fast paths whose every nanosecond counts,
as typed names for the raw functions), turning every native status into an
exception (`check`), and turning any text argument into what a native call
reads (`text_arg`: a pointer, its length in bytes from the buffer protocol,
and how its bytes encode the text). No ``ffi``, ``lib`` or cdata object
leaves this module inside a user-visible value (they do not pickle), and no
other module imports ``shortlong._native``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from typing import Any, Callable

import numpy as np

from ._errors import ArgumentTypeError, DecodeError, Error, NoWordsError, OptionError
from ._version import __version__

try:
    from ._native import ffi as _ffi_mod
    from ._native import lib as _lib_mod
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(
        "shortlong's native library could not be loaded; reinstall the package "
        "(`pip install .` in a checkout, or `make run`)"
    ) from exc

ffi: Any = _ffi_mod
lib: Any = _lib_mod

_native_version = ffi.string(lib.sl_version()).decode()
if _native_version != __version__:  # pragma: no cover - only on a broken install
    raise ImportError(
        f"shortlong {__version__} found native library {_native_version}: "
        "the build is stale or mixed; reinstall the package"
    )

OK: int = lib.SL_STATUS_OK
INVALID_UTF8: int = lib.SL_STATUS_INVALID_UTF8
ROW_OK: int = lib.SL_ROW_OK
ROW_NULL: int = lib.SL_ROW_NULL
ROW_INVALID_UTF8: int = lib.SL_ROW_INVALID_UTF8
PACKED_NONE: int = lib.SL_PACKED_NONE
PACKED_MAX_LEN: int = lib.SL_PACKED_MAX_LEN

ERRORS: dict[str, int] = {
    "strict": lib.SL_ERRORS_STRICT,
    "replace": lib.SL_ERRORS_REPLACE,
    "surrogatepass": lib.SL_ERRORS_SURROGATEPASS,
}
_REASONS = {
    lib.SL_UTF8_INVALID_START_BYTE: "invalid start byte",
    lib.SL_UTF8_INVALID_CONTINUATION_BYTE: "invalid continuation byte",
    lib.SL_UTF8_UNEXPECTED_END: "unexpected end of data",
}
_OPTION_STATUSES = (
    lib.SL_STATUS_EMPTY_IGNORE,
    lib.SL_STATUS_IGNORE_HAS_WHITESPACE,
    lib.SL_STATUS_IGNORE_NOT_UTF8,
)
_WHOLE_OBJECT_LIMIT = 16 << 20
_WINDOW = 64

# --- statuses -----------------------------------------------------------


def message(status: int) -> str:
    """The native library's static message for a status."""
    return str(ffi.string(lib.sl_status_message(status)).decode())


def check(status: int, what: str = "") -> None:
    """Return for OK; raise the exception of the `shortlong._errors`
    hierarchy for any other status. `what` names the input a layout error
    is about. (INVALID_UTF8 needs the text to say where: callers that can
    meet it pass it to `decode_error` first.)"""
    if status == OK:
        return
    if status == lib.SL_STATUS_NO_WORDS:
        raise NoWordsError("no words remain after removing the ignored words (0/0)")
    if status == lib.SL_STATUS_BAD_LAYOUT:
        raise OptionError(f"{what or 'the input'}: {message(status)}")
    raise Error(f"shortlong native error {status}: {message(status)}")


def decode_error(data: Any, err: Any, base: int = 0) -> DecodeError:
    """The DecodeError for bytes `data` (bytes, or anything with the buffer
    protocol) from a filled ``SlUtf8Error``; `base` is the offset of `data`
    in the input the user passed."""
    offset, length = int(err.offset) - base, int(err.length)
    reason = _REASONS.get(err.kind, "invalid UTF-8")
    if type(data) is bytes:  # held already: no copy to avoid
        return DecodeError(data, offset, offset + length, reason, base + offset)
    with memoryview(data) as mv, mv.cast("B") as view:
        if len(view) <= _WHOLE_OBJECT_LIMIT:
            return DecodeError(bytes(view), offset, offset + length, reason, base + offset)
        lo = max(0, offset - _WINDOW)
        window = bytes(view[lo : offset + length + _WINDOW])
    return DecodeError(window, offset - lo, offset - lo + length, reason, base + offset)


# --- options ------------------------------------------------------------


# The destructors of native objects hold `lib` (a default argument), so
# that the library cannot be closed (CFFI's dlclose when `lib` is freed)
# before the last of them has run: at interpreter exit, modules are cleared
# in no fixed order, and a freed library's function is a jump into unmapped
# memory (a segfault after pytest's doctest run, seen on 3.11).
def _free_options(ptr: Any, _lib: Any = lib) -> None:
    _lib.sl_options_free(ptr)


def _free_stream(ptr: Any, _lib: Any = lib) -> None:
    _lib.sl_stream_free(ptr)


@functools.lru_cache(maxsize=128)
def options(longer_than: int, ignore: tuple[bytes, ...], errors: int) -> Any:
    """A native ``SlOptions`` (freed when the cache drops it); the
    arguments are checked by `shortlong._options`."""
    n = len(ignore)
    strs = ffi.new("SlStr[]", n)
    keep = [ffi.from_buffer(e) for e in ignore]
    for i, e in enumerate(keep):
        strs[i].ptr = e
        strs[i].len = len(ignore[i])
    out = ffi.new("SlOptions **")
    bad = ffi.new("size_t *")
    status = lib.sl_options_new(longer_than, strs, n, errors, out, bad)
    if status in _OPTION_STATUSES:
        entry = ignore[bad[0]].decode("utf-8", "surrogatepass")
        raise OptionError(f"ignore entry {bad[0]} ({entry!r}): {message(status)}")
    check(status)
    return ffi.gc(out[0], _free_options)


# --- reading a str where CPython keeps it ---------------------------------
#
# CPython keeps a str as 1, 2 or 4 bytes per code point (PEP 393), right
# after the object header for the "compact" strs that every str made by
# Python code is. Counting that storage directly (`sl_count_units`), or, for
# an ASCII str, reading it as the UTF-8 it is, skips str.encode("utf-8"),
# which for a large text costs more than counting it. The layout is checked
# against known strings at import; on any other Python, or any difference,
# `str_storage` returns None and the package encodes.


def _probe_layout() -> tuple[int, int, int] | None:
    """(offset of the state bits, header size of an ASCII str, of another
    compact str), when CPython's layout is the one checked here."""
    if sys.implementation.name != "cpython":
        return None
    try:
        base = object.__basicsize__  # the PyObject header: then length, hash
        state_off = base + 16
        h_ascii = sys.getsizeof("") - 1
        # Headers from strs of several characters (3.12 made each 1-character
        # Latin-1 str a static object of another size). The three widths
        # must agree: data of (n + 1) code units, the NUL included.
        heads = {
            sys.getsizeof("\xe9" * 4) - 5,
            sys.getsizeof("\u20ac" * 4) - 10,
            sys.getsizeof("\U0001f600" * 4) - 20,
        }
        if len(heads) != 1:
            return None
        (h_compact,) = heads
        codecs = {1: "latin-1", 2: f"utf-16-{sys.byteorder[0]}e", 4: f"utf-32-{sys.byteorder[0]}e"}
        probes = (
            ("plain ascii text " * 8, 1),
            ("caf\xe9 na\xefve " * 12, 1),
            ("\u20ac and \u2019 " * 12, 2),
            ("\U0001f600 and \udc80 " * 12, 4),
        )
        for text, kind in probes:
            addr = id(text)
            if ffi.cast("int64_t *", addr + base)[0] != len(text):
                return None
            state = ffi.cast("uint32_t *", addr + state_off)[0]
            ascii = text.isascii()
            if ((state >> 2) & 7, (state >> 5) & 1, (state >> 6) & 1) != (kind, 1, int(ascii)):
                return None
            head = h_ascii if ascii else h_compact
            size = len(text) * kind
            if sys.getsizeof(text) < head + size:
                return None
            stored = ffi.buffer(ffi.cast("char *", addr + head), size)[:]
            if stored != text.encode(codecs[kind], "surrogatepass"):
                return None
        return state_off, h_ascii, h_compact
    except Exception:  # pragma: no cover - any surprise disables the path
        return None


#: From this length on, a str is counted in its own storage instead of being
#: encoded to UTF-8 first (below it, encoding costs less than the extra
#: calls).
UNITS_MIN = 1024

_LAYOUT = _probe_layout()
#: Whether `str_storage` can read a str's storage on this Python.
UNITS: bool = _LAYOUT is not None
_STATE_OFF, _H_ASCII, _H_COMPACT = _LAYOUT or (0, 0, 0)


def str_storage(text: str) -> tuple[int, int, int] | None:
    """(address, length in bytes, width) of the storage of `text`, an exact
    ``str`` that the caller keeps alive while it is read: width 0 for an
    ASCII str (its storage is its UTF-8), else 1, 2 or 4 bytes per code
    point. None when it cannot be read in place (then encode it)."""
    if not UNITS:
        return None
    addr = id(text)
    state = ffi.cast("uint32_t *", addr + _STATE_OFF)[0]
    if not (state >> 5) & 1:  # not compact: the data is elsewhere
        return None
    if (state >> 6) & 1:
        return addr + _H_ASCII, len(text), 0
    kind = (state >> 2) & 7
    return addr + _H_COMPACT, len(text) * kind, kind


def str_units(text: str) -> tuple[Any, int, int] | None:
    """As `str_storage`, with a pointer for a native call."""
    s = str_storage(text)
    if s is None:
        return None
    return ffi.cast("uint8_t *", s[0]), s[1], s[2]


# --- any text argument ----------------------------------------------------

#: Item formats of a buffer whose items are single bytes (``c``: a char).
_BYTE_FORMATS = frozenset(("B", "b", "c", "<B", "<b", ">B", ">b", "=B", "=b", "@B", "@b"))


class TextArg:
    """What a native call reads for one text argument: `data` (a pointer or
    a ``bytes``), `nbytes` (from the buffer protocol or the encoder, never
    from ``len()`` of the caller's object), and `width` (0: UTF-8; 1, 2 or 4:
    CPython code units). `is_str` says whether the text is a ``str``, always
    decodable. A buffer export is held until `release` (or the end of a
    ``with`` block), so the caller's object cannot be resized meanwhile."""

    __slots__ = ("_mv", "data", "is_str", "nbytes", "width")

    def __init__(self, data: Any, nbytes: int, width: int, is_str: bool, mv: Any = None) -> None:
        self.data, self.nbytes, self.width, self.is_str, self._mv = data, nbytes, width, is_str, mv

    def release(self) -> None:
        if self._mv is not None:
            ffi.release(self.data)
            self._mv.release()
            self._mv = None

    def __enter__(self) -> TextArg:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def byte_view(obj: Any, what: str, accepted: str = "a str or a bytes-like object") -> memoryview:
    """A memoryview of `obj`'s bytes when its buffer holds single bytes in C
    order; else `ArgumentTypeError` naming what it holds. (Text of other
    item types, such as a NumPy ``U`` array or ``array('u')``, would be read
    as code units of the wrong width: never a silent wrong count.)"""
    try:
        mv = memoryview(obj)
    except TypeError:
        raise ArgumentTypeError(f"{what} must be {accepted}, not {type(obj).__name__}") from None
    if mv.itemsize != 1 or mv.format not in _BYTE_FORMATS:
        fmt, kind = mv.format, type(obj).__name__
        mv.release()
        hint = ""
        if fmt in ("u", "w") or "w" in fmt or "U" in fmt:
            hint = " (for text held as code points, pass a str: .tounicode(), str(), or count_many)"
        raise ArgumentTypeError(
            f"{what} is a buffer of items of format {fmt!r} ({kind}); a bytes-like text must "
            f"hold single bytes (format 'B', 'b' or 'c'){hint}"
        )
    if not mv.c_contiguous:
        mv.release()
        raise ArgumentTypeError(
            f"{what} is a buffer that is not C-contiguous ({type(obj).__name__}); "
            "pass a contiguous copy (bytes(x))"
        )
    return mv


_PIECE = 256


def encode(text: str) -> bytes:
    """The UTF-8 of any str, lone surrogates encoded as Python's
    surrogatepass does. PyPy's error handler takes time quadratic in the
    number of surrogates of one call, so a long str with them is encoded in
    pieces (each surrogate encodes alone, so a cut anywhere is safe)."""
    try:
        return str.encode(text)
    except UnicodeEncodeError:
        if len(text) <= _PIECE:
            return str.encode(text, "utf-8", "surrogatepass")
        return b"".join(
            str.encode(text[i : i + _PIECE], "utf-8", "surrogatepass")
            for i in range(0, len(text), _PIECE)
        )


def text_arg(text: Any, what: str = "text") -> TextArg:
    """Turn any text argument into a `TextArg`, or raise `ArgumentTypeError`."""
    if type(text) is str:
        if len(text) >= UNITS_MIN:
            s = str_storage(text)
            if s is not None:
                return TextArg(ffi.cast("uint8_t *", s[0]), s[1], s[2], True)
        data = encode(text)
        return TextArg(data, len(data), 0, True)
    if isinstance(text, str):  # a subclass: its own methods may lie; its data is a str
        data = encode(str.__str__(text))
        return TextArg(data, len(data), 0, True)
    if type(text) is bytes:
        return TextArg(text, len(text), 0, False)
    mv = byte_view(text, what)
    try:
        buf = ffi.from_buffer("uint8_t[]", mv)
    except (TypeError, ValueError, BufferError) as exc:  # pragma: no cover - checked above
        mv.release()
        raise ArgumentTypeError(f"{what} is not a usable contiguous buffer: {exc}") from None
    return TextArg(buf, mv.nbytes, 0, False, mv)


# --- one text -------------------------------------------------------------
#
# Typed names for the two raw functions that the fast paths of `count` and
# `short_long` call (in `shortlong/__init__.py`): in CFFI's ABI mode a Python
# wrapper around them would cost a third of a call on a tiny text. Neither
# returns a status: PACKED_NONE or NaN sends the caller to the general path.

count_packed: Callable[[Any, int], int] = lib.sl_count_packed
short_long_default_or_nan: Callable[[Any, int], float] = lib.sl_short_long_default_or_nan


count_quick: Callable[[Any, Any, int, Any], int] = lib.sl_count_quick
count_units_raw: Callable[[Any, Any, int, int, int, Any], int] = lib.sl_count_units


def counts_out() -> tuple[Any, Any]:
    """A result buffer for `count_quick` and `count_units_raw`: an
    ``array('Q')`` of three counts and an ``SlCounts *`` into it (a result
    tuple is then built from the array in C, not from three cdata reads)."""
    import array

    buf = array.array("Q", (0, 0, 0))
    return buf, ffi.cast("SlCounts *", ffi.from_buffer("uint64_t[]", buf))


def count(opts: Any, text: Any, threads: int) -> tuple[int, int, int]:
    """(words, ignored, long) of any text argument; every error raised."""
    arg = text_arg(text)
    with arg:
        out = ffi.new("SlCounts *")
        if arg.width:
            status = lib.sl_count_units(opts, arg.data, arg.nbytes, arg.width, threads, out)
        else:
            status = lib.sl_count(opts, arg.data, arg.nbytes, threads, out, ffi.NULL)
            if status == INVALID_UTF8:
                # Counted again to learn where: it keeps the common path
                # down to one allocation.
                err = ffi.new("SlUtf8Error *")
                lib.sl_count(opts, arg.data, arg.nbytes, threads, out, err)
                raise decode_error(arg.data if type(arg.data) is bytes else arg._mv, err)
        check(status)
        return int(out.words), int(out.ignored), int(out.long_words)


def backend() -> str:
    return str(ffi.string(lib.sl_backend()).decode())


class Stream:
    """A text counted in chunks (``sl_stream_*``): the same counts as the
    whole text, wherever the chunks are cut. One thread at a time."""

    def __init__(self, opts: Any) -> None:
        out = ffi.new("SlStream **")
        check(lib.sl_stream_new(opts, out))
        self._stream = ffi.gc(out[0], _free_stream)
        self._err = ffi.new("SlUtf8Error *")
        self._fed = 0
        # The last bytes fed: an invalid sequence can start in an earlier
        # chunk, and DecodeError shows the bytes around it.
        self._tail = b""

    def feed(self, chunk: Any, n: int) -> None:
        """Feed the first `n` bytes of the buffer `chunk` (not retained);
        raise `DecodeError` with the offset in the whole stream."""
        with memoryview(chunk) as mv:
            buf = ffi.from_buffer("uint8_t[]", mv)
            try:
                status = lib.sl_stream_feed(self._stream, buf, n, self._err)
                if status == INVALID_UTF8:
                    at = int(self._err.offset) - self._fed
                    hi = min(n, max(at, 0) + _WINDOW)
                    if at < _WINDOW:
                        raise self._error(self._tail + bytes(mv[:hi]), len(self._tail))
                    raise self._error(bytes(mv[at - _WINDOW : hi]), _WINDOW - at)
                check(status)
                self._tail = bytes(mv[max(0, n - _WINDOW) : n])
            finally:
                ffi.release(buf)
        self._fed += n

    def _error(self, window: bytes, before: int) -> DecodeError:
        """The error, shown in `window`, which holds `before` bytes from
        before the current chunk."""
        return decode_error(window, self._err, self._fed - before)

    def finish(self) -> tuple[int, int, int]:
        """The counts of the whole text."""
        out = ffi.new("SlCounts *")
        status = lib.sl_stream_finish(self._stream, out, self._err)
        if status == INVALID_UTF8:
            raise self._error(self._tail, len(self._tail))
        check(status)
        return int(out.words), int(out.ignored), int(out.long_words)


# --- columns ---------------------------------------------------------------


class Columns:
    """The per-row results of a column call, owned by NumPy and filled in
    place by Rust (no cdata outlives a call, and nothing is copied after).

    The three counts and the fraction are the rows of one 4 x n block, so
    that a call makes one allocation and one cffi buffer for them: five of
    each cost 2 µs more on the 206 enwiki pages.
    """

    def __init__(self, n: int) -> None:
        self.block = block = np.zeros((4, n), dtype=np.int64)
        self.words, self.ignored, self.long = block[0], block[1], block[2]
        self.fraction = block[3].view(np.float64)
        self.fraction.fill(np.nan)
        self.status = np.zeros(n, dtype=np.uint8)

    def __len__(self) -> int:
        return len(self.status)

    def _c(self, start: int, stop: int) -> tuple[Any, Any]:
        """An ``SlColumns *`` for rows ``start:stop``, and what it borrows."""
        n = len(self.status)
        if stop <= start:
            return ffi.new("SlColumns *"), None  # no rows: null pointers
        block = ffi.from_buffer("uint64_t[]", self.block, require_writable=True)
        status = ffi.from_buffer("uint8_t[]", self.status, require_writable=True)
        cols = ffi.new(
            "SlColumns *",
            {
                "words": block + start,
                "ignored": block + (n + start),
                "long_words": block + (2 * n + start),
                "fraction": ffi.cast("double *", block + (3 * n + start)),
                "status": status + start,
            },
        )
        return cols, (block, status)

    def take(self, idx: np.ndarray[Any, Any], other: Columns) -> None:
        """Rows `idx` of self are the rows of `other`, in order."""
        for name in ("words", "ignored", "long", "fraction", "status"):
            getattr(self, name)[idx] = getattr(other, name)


def _ptr(address: int) -> Any:
    return ffi.cast("uint8_t *", address) if address else ffi.NULL


def count_offsets(
    opts: Any,
    out: Columns,
    at: int,
    n: int,
    data: tuple[int, int],
    offsets: int,
    bits: int,
    validity: tuple[int, int, int],
    threads: int,
    what: str,
) -> None:
    """Rows ``at : at + n`` of `out` from an offsets layout (Arrow
    ``string``/``large_string``; `bits` 32 or 64): `data` and `offsets` are
    (address, size) and an address, `validity` (address, size, bit offset)
    with address 0 for none. Rust checks every offset before following it."""
    cols, _keep = out._c(at, at + n)
    fn, ctype = (
        (lib.sl_count_offsets32, "int32_t *")
        if bits == 32
        else (lib.sl_count_offsets64, "int64_t *")
    )
    status = fn(
        opts,
        _ptr(data[0]),
        data[1],
        ffi.cast(ctype, offsets) if n else ffi.NULL,
        n,
        _ptr(validity[0]),
        validity[1],
        validity[2],
        threads,
        cols,
    )
    check(status, what)


def count_views(
    opts: Any,
    out: Columns,
    at: int,
    n: int,
    views: int,
    buffers: Sequence[tuple[int, int]],
    validity: tuple[int, int, int],
    threads: int,
    what: str,
) -> None:
    """Rows ``at : at + n`` of `out` from Arrow ``string_view``: `views`
    the address of the first view, `buffers` the (address, size) of each
    data buffer."""
    cols, _keep = out._c(at, at + n)
    strs = ffi.new("SlStr[]", max(len(buffers), 1))
    for i, (addr, size) in enumerate(buffers):
        strs[i].ptr = _ptr(addr)
        strs[i].len = size
    status = lib.sl_count_views(
        opts,
        _ptr(views) if n else ffi.NULL,
        n,
        strs,
        len(buffers),
        _ptr(validity[0]),
        validity[1],
        validity[2],
        threads,
        cols,
    )
    check(status, what)


def count_joined(opts: Any, data: bytes, offsets: np.ndarray[Any, Any], threads: int) -> Columns:
    """Rows of `data` cut at `offsets` (int64, one more than the rows)."""
    n = len(offsets) - 1
    out = Columns(n)
    offs = ffi.from_buffer("int64_t[]", offsets)
    cols, _keep = out._c(0, n)
    check(
        lib.sl_count_offsets64(opts, data, len(data), offs, n, ffi.NULL, 0, 0, threads, cols),
        "joined rows",
    )
    return out


def count_rows(opts: Any, rows: Sequence[Any], threads: int) -> Columns:
    """Rows anywhere in memory, each an exact str (read in its storage or
    encoded) or an object with a byte buffer, read in place. The buffer
    exports are held for the call and released after."""
    n = len(rows)
    out = Columns(n)
    table = np.zeros((n, 2), dtype=np.uint64)  # SlStr: pointer, length
    width = np.zeros(n, dtype=np.uint8)
    held: list[Any] = []
    try:
        for i, x in enumerate(rows):
            if type(x) is str:
                s = str_storage(x)
                if s is None:
                    x = encode(x)
                    held.append(x)
                else:
                    table[i] = s[0], s[1]
                    width[i] = s[2]
                    continue
            mv = byte_view(x, f"row {i}")
            held.append(mv)
            buf = ffi.from_buffer("uint8_t[]", mv)
            held.append(buf)
            table[i] = int(ffi.cast("uintptr_t", buf)), mv.nbytes
        cols, _keep = out._c(0, n)
        check(
            lib.sl_count_rows(
                opts,
                ffi.cast("SlStr *", ffi.from_buffer("uint64_t[]", table)),
                ffi.from_buffer("uint8_t[]", width),
                n,
                threads,
                cols,
            ),
            "rows",
        )
    finally:
        for h in reversed(held):
            if isinstance(h, memoryview):
                h.release()
            elif not isinstance(h, bytes):
                ffi.release(h)
    return out


def count_fixed(opts: Any, data: np.ndarray[Any, Any], threads: int) -> Columns:
    """Rows of a NumPy ``S`` array (fixed width, C order), read in place."""
    width = data.dtype.itemsize
    out = Columns(len(data))
    buf = ffi.from_buffer("uint8_t[]", data) if data.nbytes else ffi.NULL
    cols, _keep = out._c(0, len(data))
    check(lib.sl_count_fixed(opts, buf, data.nbytes, width, threads, cols), "fixed-width rows")
    return out


def wake_threads(nbytes: int, rows: int, threads: int) -> None:
    """Wake the worker threads before a batch that will run on several."""
    lib.sl_wake_threads(nbytes, rows, threads)
