"""Checking the options every counting function takes, and caching the
native options built from them.

Owns the rules for ``longer_than``, ``ignore``, ``errors`` and ``threads``
(types, ranges, the messages that name what is wrong) and the caches that
keep a call with a known ignore list from checking and encoding it again.
It builds nothing native itself: `shortlong._ffi.options` does.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from typing import Any

from . import _ffi
from ._errors import ArgumentTypeError, OptionError

DEFAULT_IGNORE: tuple[str, ...] = ("the", "a")
DEFAULT_IGNORE_BYTES = (b"the", b"a")
_U64_MAX = (1 << 64) - 1
_SURROGATEPASS = _ffi.ERRORS["surrogatepass"]


def _integer(value: Any, name: str, what: str = "an integer") -> int:
    if type(value) is int:
        return value
    if isinstance(value, bool):
        raise ArgumentTypeError(f"{name} must be {what}, not bool")
    try:
        return int(operator.index(value))
    except TypeError:
        raise ArgumentTypeError(f"{name} must be {what}, not {type(value).__name__}") from None


def errors_code(errors: str) -> int:
    """The native code of an ``errors`` handler name."""
    try:
        return _ffi.ERRORS[errors]
    except (KeyError, TypeError):
        raise OptionError(
            f"errors must be 'strict', 'replace' or 'surrogatepass', not {errors!r}"
        ) from None


def options(longer_than: int, ignore: Iterable[str], errors: str, is_str: bool) -> Any:
    """The cached native options for these arguments, checked here. A str is
    always decodable (lone surrogates included), so for a str `errors` is
    checked and then replaced by surrogatepass."""
    code = errors_code(errors)
    if is_str:
        code = _SURROGATEPASS
    longer_than = _integer(longer_than, "longer_than")
    if longer_than < 0:
        raise OptionError(f"longer_than must be >= 0, not {longer_than}")
    # No text has 2**64 code points: a larger threshold means "none is long".
    longer_than = min(longer_than, _U64_MAX)
    if ignore is DEFAULT_IGNORE:
        return _ffi.options(longer_than, DEFAULT_IGNORE_BYTES, code)
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
    except TypeError:  # an unhashable entry: not a str, which _list_options reports
        return _list_options(longer_than, items, code)


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


def threads(value: int | None) -> int:
    """The C ABI's thread count: 0 means one per core."""
    if value is None:
        return 0
    n = _integer(value, "threads", "an integer or None")
    if n < 1:
        raise OptionError(f"threads must be >= 1 (or None for all cores), not {n}")
    return min(n, 1 << 16)
