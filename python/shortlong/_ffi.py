"""The one place that touches the CFFI module: loading, statuses, options.

Nothing else in the package imports ``shortlong._native``; no ``ffi``,
``lib`` or cdata object leaves this module inside a user-visible value
(they do not pickle). Every native call's status goes through `check`,
which turns it into an exception of the `shortlong._errors` hierarchy.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

from ._errors import DecodeError, Error, NoWordsError, OptionError
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
NO_WORDS: int = lib.SL_STATUS_NO_WORDS
NULL: Any = ffi.NULL

ERRORS = {
    "strict": lib.SL_ERRORS_STRICT,
    "replace": lib.SL_ERRORS_REPLACE,
    "surrogatepass": lib.SL_ERRORS_SURROGATEPASS,
}
_REASONS = {
    lib.SL_UTF8_INVALID_START_BYTE: "invalid start byte",
    lib.SL_UTF8_INVALID_CONTINUATION_BYTE: "invalid continuation byte",
    lib.SL_UTF8_UNEXPECTED_END: "unexpected end of data",
}
_WHOLE_OBJECT_LIMIT = 16 << 20
_WINDOW = 64


# A str's own storage. CPython keeps a str as 1, 2 or 4 bytes per code point
# (PEP 393), right after the object header for the "compact" strs that every
# str made by Python code is. Counting that storage directly
# (`sl_count_units`), or, for an ASCII str, reading it as the UTF-8 it is,
# skips str.encode("utf-8"), which for a large text costs more than counting
# it. The layout is checked against known strings at import; on any other
# Python, or any difference, `str_units` is None and the package encodes.


def _probe_layout() -> tuple[int, int, int] | None:
    """(offset of the state bits, header size of an ASCII str, of another
    compact str), when CPython's layout is the one checked here."""
    if sys.implementation.name != "cpython":
        return None
    try:
        base = object.__basicsize__  # the PyObject header: then length, hash
        state_off = base + 16
        h_ascii = sys.getsizeof("") - 1
        h_compact = sys.getsizeof("\xe9") - 2
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
#: Whether `str_units` can read a str's storage on this Python.
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


def message(status: int) -> str:
    return str(ffi.string(lib.sl_status_message(status)).decode())


def check(status: int) -> None:
    """Raise the exception for a status other than OK and INVALID_UTF8."""
    if status == OK:
        return
    if status == NO_WORDS:
        raise NoWordsError("no words remain after removing the ignored words (0/0)")
    raise Error(f"shortlong native error {status}: {message(status)}")


def decode_error(data: Any, err: Any) -> DecodeError:
    """Build the DecodeError for `data` from a filled ``SlUtf8Error``."""
    offset, length = int(err.offset), int(err.length)
    reason = _REASONS.get(err.kind, "invalid UTF-8")
    if isinstance(data, bytes):
        return DecodeError(data, offset, offset + length, reason, offset)
    with memoryview(data) as mv, mv.cast("B") as view:
        if len(view) <= _WHOLE_OBJECT_LIMIT:
            return DecodeError(bytes(view), offset, offset + length, reason, offset)
        lo = max(0, offset - _WINDOW)
        window = bytes(view[lo : offset + length + _WINDOW])
    return DecodeError(window, offset - lo, offset - lo + length, reason, offset)


@functools.lru_cache(maxsize=128)
def options(longer_than: int, ignore: tuple[bytes, ...], errors: int) -> Any:
    """A native ``SlOptions`` (freed when the cache drops it)."""
    n = len(ignore)
    strs = ffi.new("SlStr[]", n)
    keep = [ffi.from_buffer(e) for e in ignore]
    for i, e in enumerate(keep):
        strs[i].ptr = e
        strs[i].len = len(ignore[i])
    out = ffi.new("SlOptions **")
    bad = ffi.new("size_t *")
    status = lib.sl_options_new(longer_than, strs, n, errors, out, bad)
    if status in (
        lib.SL_STATUS_EMPTY_IGNORE,
        lib.SL_STATUS_IGNORE_HAS_WHITESPACE,
        lib.SL_STATUS_IGNORE_NOT_UTF8,
    ):
        entry = ignore[bad[0]].decode("utf-8", "surrogatepass")
        raise OptionError(f"ignore entry {bad[0]} ({entry!r}): {message(status)}")
    check(status)
    return ffi.gc(out[0], lib.sl_options_free)
