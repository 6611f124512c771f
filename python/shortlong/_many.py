"""`count_many`: one call for a whole column of texts.

Owns turning the column types of the PyData world into the C ABI's row
layouts (Arrow offsets and views without a copy; lists and object arrays
encoded once into one buffer), and the per-row results back into what the
caller's library expects. The counting itself runs in Rust, on several
threads, with the GIL released.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from . import DEFAULT_IGNORE, _ffi, _options, _threads
from ._errors import ArgumentTypeError, DecodeError, OptionError

_ffi_ = _ffi.ffi
_lib = _ffi.lib

_OK = _lib.SL_ROW_OK
_NULL_ROW = _lib.SL_ROW_NULL
_INVALID = _lib.SL_ROW_INVALID_UTF8
COLUMNS = ("words", "ignored", "long", "fraction")


class CountsArrays(NamedTuple):
    """Per-row counts as NumPy arrays (what `count_many` returns for a list,
    a tuple, an iterable or a NumPy array).

    ``words``, ``ignored`` and ``long`` are ``int64`` (0 in a null row);
    ``fraction`` is ``float64``, NaN in a null row and in a row with no
    remaining words; ``null`` is ``True`` where the input row was ``None``
    (or, inside `BatchDecodeError.partial`, could not be decoded).
    """

    words: np.ndarray[Any, np.dtype[np.int64]]
    ignored: np.ndarray[Any, np.dtype[np.int64]]
    long: np.ndarray[Any, np.dtype[np.int64]]
    fraction: np.ndarray[Any, np.dtype[np.float64]]
    null: np.ndarray[Any, np.dtype[np.bool_]]


class BatchDecodeError(DecodeError):
    """Some rows are not UTF-8 (with ``errors="strict"``).

    ``row`` is the index of the first such row, and ``offset`` the byte
    offset in it; ``rows`` lists every failing row. Nothing is lost:
    ``partial`` holds the result for all the rows, of the same type
    `count_many` would have returned, with the failing rows null.
    """

    row: int
    rows: list[int]
    partial: Any

    def __init__(
        self, obj: bytes, start: int, end: int, reason: str, offset: int, row: int
    ) -> None:
        super().__init__(obj, start, end, reason, offset)
        self.row = row
        self.rows = [row]
        self.partial = None

    def __str__(self) -> str:
        more = f" (and {len(self.rows) - 1} more rows)" if len(self.rows) > 1 else ""
        return f"row {self.row}{more}: {super().__str__()}; the other rows are in .partial"

    def __reduce__(self) -> Any:
        return (
            _rebuild_batch_error,
            (
                self.object,
                self.start,
                self.end,
                self.reason,
                self.offset,
                self.row,
                self.rows,
                self.partial,
            ),
        )


def _rebuild_batch_error(*args: Any) -> BatchDecodeError:
    e = BatchDecodeError(*args[:6])
    e.rows, e.partial = args[6], args[7]
    return e


# --- native calls -------------------------------------------------------


class _Out:
    """The result columns, owned by NumPy and filled in place by Rust (no
    cdata outlives a call, and nothing is copied afterwards).

    The three counts and the fraction are the rows of one 4 x n block, so
    that a call makes one allocation and one cffi buffer for them: five of
    each cost 2 µs more on the 206 enwiki pages.
    """

    def __init__(self, n: int) -> None:
        self._block = block = np.zeros((4, n), dtype=np.int64)
        self.words, self.ignored, self.long = block[0], block[1], block[2]
        self.fraction = block[3].view(np.float64)
        self.fraction.fill(np.nan)
        self.status = np.zeros(n, dtype=np.uint8)

    def __len__(self) -> int:
        return len(self.status)

    def columns(self, start: int = 0, stop: int | None = None) -> Any:
        """An ``SlColumns *`` for rows ``start:stop`` (keep it only for the call)."""
        n = len(self.status)
        stop = n if stop is None else stop
        if stop <= start:
            return _ffi_.new("SlColumns *"), None  # no rows: null pointers
        block = _ffi_.from_buffer("uint64_t[]", self._block, require_writable=True)
        status = _ffi_.from_buffer("uint8_t[]", self.status, require_writable=True)
        cols = _ffi_.new(
            "SlColumns *",
            {
                "words": block + start,
                "ignored": block + (n + start),
                "long_words": block + (2 * n + start),
                "fraction": _ffi_.cast("double *", block + (3 * n + start)),
                "status": status + start,
            },
        )
        return cols, (block, status)

    def take(self, idx: np.ndarray[Any, Any], other: _Out) -> None:
        """Rows `idx` of self are the rows of `other`, in order."""
        for name in ("words", "ignored", "long", "fraction", "status"):
            getattr(self, name)[idx] = getattr(other, name)


def _ptr(address: int) -> Any:
    return _ffi_.cast("uint8_t *", address)


def _run(status: int) -> None:
    if status == _lib.SL_STATUS_BAD_LAYOUT:
        raise OptionError("the column's offsets or validity bitmap are inconsistent")
    _ffi.check(status)


def _count_offsets(opts: Any, data: bytes, offsets: np.ndarray[Any, Any], threads: int) -> _Out:
    n = len(offsets) - 1
    out = _Out(n)
    offs = _ffi_.from_buffer("int64_t[]", offsets)
    cols, _keep = out.columns()
    _run(_lib.sl_count_offsets64(opts, data, len(data), offs, n, _ffi.NULL, 0, 0, threads, cols))
    return out


def _count_storage(opts: Any, rows: list[tuple[int, int]], widths: list[int], threads: int) -> _Out:
    """Count strs in their own storage: (address, length) and width each.
    The caller keeps the strs alive."""
    n = len(rows)
    out = _Out(n)
    table = np.array(rows, dtype=np.uint64).reshape(n, 2)  # SlStr: pointer, length
    width = np.array(widths, dtype=np.uint8)
    cols, _keep = out.columns()
    _run(
        _lib.sl_count_rows(
            opts,
            _ffi_.cast("SlStr *", _ffi_.from_buffer("uint64_t[]", table)),
            _ffi_.from_buffer("uint8_t[]", width),
            n,
            threads,
            cols,
        )
    )
    return out


def _count_arrow_chunk(opts: Any, arr: Any, threads: int, out: _Out, at: int) -> None:
    """Count `arr` into rows ``at : at + len(arr)`` of `out`."""
    import pyarrow as pa

    t = arr.type
    n = len(arr)
    out, _keep = out.columns(at, at + n)
    bufs = arr.buffers()
    validity = bufs[0]
    vptr = _ptr(validity.address) if validity is not None else _ffi.NULL
    vlen = validity.size if validity is not None else 0
    off = arr.offset
    if pa.types.is_string(t) or pa.types.is_binary(t):
        offsets = _ffi_.cast("int32_t *", bufs[1].address + 4 * off)
        data = bufs[2]
        dptr, dlen = (_ptr(data.address), data.size) if data is not None else (_ffi.NULL, 0)
        if n and bufs[1].size < 4 * (off + n + 1):
            raise OptionError("the Arrow offsets buffer is shorter than the array")
        status = _lib.sl_count_offsets32(
            opts, dptr, dlen, offsets, n, vptr, vlen, off, threads, out
        )
    elif pa.types.is_large_string(t) or pa.types.is_large_binary(t):
        offsets = _ffi_.cast("int64_t *", bufs[1].address + 8 * off)
        data = bufs[2]
        dptr, dlen = (_ptr(data.address), data.size) if data is not None else (_ffi.NULL, 0)
        if n and bufs[1].size < 8 * (off + n + 1):
            raise OptionError("the Arrow offsets buffer is shorter than the array")
        status = _lib.sl_count_offsets64(
            opts, dptr, dlen, offsets, n, vptr, vlen, off, threads, out
        )
    elif pa.types.is_string_view(t) or pa.types.is_binary_view(t):
        views = bufs[1]
        if n and views.size < 16 * (off + n):
            raise OptionError("the Arrow views buffer is shorter than the array")
        data_bufs = [b for b in bufs[2:] if b is not None]
        strs = _ffi_.new("SlStr[]", max(len(data_bufs), 1))
        for i, b in enumerate(data_bufs):
            strs[i].ptr = _ptr(b.address)
            strs[i].len = b.size
        status = _lib.sl_count_views(
            opts,
            _ptr(views.address + 16 * off),
            n,
            strs,
            len(data_bufs),
            vptr,
            vlen,
            off,
            threads,
            out,
        )
    else:
        raise ArgumentTypeError(f"an Arrow array of {t} is not text (string or binary)")
    _run(status)


# --- inputs -------------------------------------------------------------


def _list_rows(items: list[Any], str_opts: Any, bytes_opts: Any, threads: int) -> _Out:
    """Rows from Python objects: str, bytes-like or None."""
    n = len(items)
    rows = _Out(n)
    str_idx: list[int] = []
    str_enc: list[bytes] = []
    bytes_idx: list[int] = []
    bytes_val: list[bytes] = []
    null_idx: list[int] = []
    # Long exact strs are read in their own storage (see _ffi.str_storage).
    units_idx: list[int] = []
    units_rows: list[tuple[int, int]] = []
    units_width: list[int] = []
    for i, x in enumerate(items):
        if type(x) is str and len(x) >= _ffi.UNITS_MIN and (u := _ffi.str_storage(x)) is not None:
            units_idx.append(i)
            units_rows.append((u[0], u[1]))
            units_width.append(u[2])
        elif isinstance(x, str):
            str_idx.append(i)
            str_enc.append(x.encode("utf-8", "surrogatepass"))
        elif x is None:
            null_idx.append(i)
        elif isinstance(x, bytes):
            bytes_idx.append(i)
            bytes_val.append(x)
        else:
            try:
                with memoryview(x) as mv:
                    bytes_val.append(mv.tobytes())
                bytes_idx.append(i)
            except TypeError:
                if isinstance(x, float) and x != x:  # NaN: pandas' missing value
                    null_idx.append(i)
                    continue
                raise ArgumentTypeError(
                    f"row {i}: texts must be str, bytes-like or None, not {type(x).__name__}"
                ) from None
    # A str is always decodable (surrogates included); bytes follow `errors`.
    for idx, vals, opts in ((str_idx, str_enc, str_opts), (bytes_idx, bytes_val, bytes_opts)):
        if not idx:
            continue
        lens = np.fromiter(map(len, vals), dtype=np.int64, count=len(vals))
        offsets = np.zeros(len(vals) + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        rows.take(np.asarray(idx), _count_offsets(opts, b"".join(vals), offsets, threads))
    if units_idx:
        rows.take(np.asarray(units_idx), _count_storage(str_opts, units_rows, units_width, threads))
    if null_idx:
        rows.status[np.asarray(null_idx)] = _NULL_ROW
    return rows


def _numpy_rows(arr: np.ndarray[Any, Any], str_opts: Any, bytes_opts: Any, threads: int) -> _Out:
    if arr.ndim != 1:
        raise ArgumentTypeError(f"a NumPy array of texts must be 1-D, not {arr.ndim}-D")
    if arr.dtype.kind == "S":
        data = np.ascontiguousarray(arr)
        width = data.dtype.itemsize
        rows = _Out(len(data))
        buf = _ffi_.from_buffer("uint8_t[]", data) if data.nbytes else _ffi.NULL
        cols, _keep = rows.columns()
        _run(_lib.sl_count_fixed(bytes_opts, buf, data.nbytes, width, threads, cols))
        return rows
    if arr.dtype.kind in "UO":
        return _list_rows(arr.tolist(), str_opts, bytes_opts, threads)
    raise ArgumentTypeError(f"a NumPy array of {arr.dtype} is not texts (use U, S or object)")


def _arrow_rows(chunks: Iterable[Any], opts: Any, threads: int) -> _Out:
    """Rows of Arrow arrays, read in place. Arrow strings are UTF-8 by
    contract, but a buffer can break it: they are decoded like bytes (with
    the caller's `errors`), so a broken one cannot become a silent wrong
    answer."""
    chunks = list(chunks)
    n = sum(len(c) for c in chunks)
    if threads != 1:
        # Wake the worker threads while the column is read (a thread idle
        # for a while can take longer to wake than the counting takes).
        _lib.sl_wake_threads(sum(c.nbytes for c in chunks), n, threads)
    import pyarrow as pa

    rows = _Out(n)
    at = 0
    for c in chunks:
        if pa.types.is_dictionary(c.type):
            c = c.cast(pa.large_string())  # a copy: dictionaries are not rows
        _count_arrow_chunk(opts, c, threads, rows, at)
        at += len(c)
    return rows


# --- outputs ------------------------------------------------------------


def _columns(rows: _Out) -> tuple[Any, ...]:
    return rows.words, rows.ignored, rows.long, rows.fraction, rows.status != _OK


def _to_numpy(rows: _Out) -> CountsArrays:
    return CountsArrays(*_columns(rows))


def _to_arrow(rows: _Out) -> Any:
    import pyarrow as pa

    n = len(rows)
    # count_nonzero is NumPy's cheapest test for "any row not counted".
    if np.count_nonzero(rows.status):
        mask = rows.status != _OK
        counts = [pa.array(c, mask=mask) for c in (rows.words, rows.ignored, rows.long)]
    else:
        # No null row: the count columns are read in place from the block
        # (2 µs less than three `pa.array` calls).
        block = pa.py_buffer(rows._block)
        i64 = pa.int64()
        counts = [pa.Array.from_buffers(i64, n, [None, block], 0, k * n) for k in range(3)]
    # from_arrays, not pa.table({...}): half the fixed cost of a call.
    return pa.Table.from_arrays(
        [*counts, pa.array(rows.fraction, from_pandas=True)],  # NaN is null
        names=["words", "ignored", "long", "fraction"],
    )


def _to_pandas(rows: _Out, index: Any) -> Any:
    import pandas as pd

    words, ignored, long, fraction, null = _columns(rows)
    return pd.DataFrame(
        {
            "words": pd.arrays.IntegerArray(words, null.copy()),
            "ignored": pd.arrays.IntegerArray(ignored, null.copy()),
            "long": pd.arrays.IntegerArray(long, null.copy()),
            "fraction": pd.arrays.FloatingArray(np.nan_to_num(fraction), np.isnan(fraction)),
        },
        index=index,
    )


def _to_polars(rows: _Out) -> Any:
    import polars as pl

    return pl.from_arrow(_to_arrow(rows))


# --- the entry point ----------------------------------------------------


def _module_of(obj: Any) -> str:
    return type(obj).__module__.split(".", 1)[0]


def count_many(
    texts: Any,
    *,
    longer_than: int = 8,
    ignore: Iterable[str] = DEFAULT_IGNORE,
    threads: int | None = None,
    errors: str = "strict",
) -> Any:
    """Count the words of many texts in one call, on several threads.

    `texts` may be a list, tuple or any iterable of ``str``, bytes-like
    objects or ``None``; a NumPy array of ``object``, ``U`` or ``S`` dtype; a
    pyarrow ``Array`` or ``ChunkedArray`` of ``string``, ``large_string`` or
    ``string_view`` (read in place, with any offset and nulls); anything with
    ``__arrow_c_array__`` or ``__arrow_c_stream__``; a polars Series; or a
    pandas Series of objects or of Arrow-backed strings.

    The result fits the input: a pandas DataFrame (same index) for a pandas
    Series, a polars DataFrame for a polars Series, a pyarrow Table for
    Arrow input, else `CountsArrays`. Columns are ``words``, ``ignored``,
    ``long`` and ``fraction``. A ``None``/null row gives a null row (NaN in
    NumPy); a row with no remaining words has a null (NaN) ``fraction``.
    Options are as for `shortlong.count`; rows that are not UTF-8 raise
    `BatchDecodeError` (with every row's result in ``.partial``) unless
    ``errors="replace"``.

    >>> r = count_many(["the Encyclopedia of a thing", None, "a"])
    >>> r.words.tolist(), r.null.tolist(), float(r.fraction[0])
    ([5, 0, 1], [False, True, False], 0.3333333333333333)
    """
    str_opts = _options(longer_than, ignore, errors, True)
    bytes_opts = _options(longer_than, ignore, errors, False)
    nthreads = _threads(threads)
    mod = _module_of(texts)

    if mod == "pandas" and hasattr(texts, "index") and hasattr(texts, "array"):
        arrow = getattr(texts.array, "__arrow_array__", None)
        if arrow is not None:
            chunked = arrow()
            rows = _arrow_rows(chunked.chunks, bytes_opts, nthreads)
        else:
            rows = _numpy_rows(texts.to_numpy(dtype=object), str_opts, bytes_opts, nthreads)
        return _finish(rows, lambda r: _to_pandas(r, texts.index), texts, errors)
    if mod == "polars" and hasattr(texts, "to_arrow"):
        arr = texts.to_arrow()
        chunks = getattr(arr, "chunks", [arr])
        return _finish(_arrow_rows(chunks, bytes_opts, nthreads), _to_polars, arr, errors)
    if mod == "pyarrow":
        chunks = getattr(texts, "chunks", None)
        if chunks is None:
            chunks = [texts]
        return _finish(_arrow_rows(chunks, bytes_opts, nthreads), _to_arrow, texts, errors)
    if isinstance(texts, np.ndarray):
        return _finish(_numpy_rows(texts, str_opts, bytes_opts, nthreads), _to_numpy, texts, errors)
    if hasattr(texts, "__arrow_c_stream__") or hasattr(texts, "__arrow_c_array__"):
        try:
            import pyarrow as pa
        except ImportError:
            raise ArgumentTypeError(
                "reading the Arrow PyCapsule interface needs pyarrow (pip install pyarrow)"
            ) from None
        if hasattr(texts, "__arrow_c_stream__"):
            chunks = pa.chunked_array(texts).chunks
        else:
            chunks = [pa.array(texts)]
        source = pa.chunked_array(chunks)
        return _finish(_arrow_rows(chunks, bytes_opts, nthreads), _to_arrow, source, errors)
    if isinstance(texts, (str, bytes)):
        raise ArgumentTypeError(
            "count_many takes a collection of texts, not a single text (use count)"
        )
    try:
        items = list(texts)
    except TypeError:
        raise ArgumentTypeError(
            f"texts must be a collection of texts, not {type(texts).__name__}"
        ) from None
    return _finish(_list_rows(items, str_opts, bytes_opts, nthreads), _to_numpy, items, errors)


def _finish(rows: _Out, convert: Any, source: Any, errors: str) -> Any:
    if not np.count_nonzero(rows.status):  # every row counted: the usual case
        return convert(rows)
    bad = np.flatnonzero(rows.status == _INVALID)
    if len(bad) == 0:
        return convert(rows)
    first = int(bad[0])
    # Only the failing row is counted again, alone, to learn where it fails.
    from . import count

    raw = _row_bytes(source, first)
    try:
        count(raw if raw is not None else b"", errors=errors)
        raise AssertionError("unreachable: the row failed in the batch")  # pragma: no cover
    except DecodeError as one:
        err = BatchDecodeError(one.object, one.start, one.end, one.reason, one.offset, first)
    except AssertionError:  # pragma: no cover - the row's bytes are not at hand
        err = BatchDecodeError(b"", 0, 0, "invalid UTF-8", 0, first)
    err.rows = bad.tolist()
    rows.status[bad] = _NULL_ROW
    err.partial = convert(rows)
    raise err


def _row_bytes(source: Any, i: int) -> bytes | None:
    """The raw bytes of row `i` of an indexable column (best effort)."""
    try:
        x = source.iloc[i] if hasattr(source, "iloc") else source[i]
        if hasattr(x, "as_py"):
            x = x.as_py()
        if isinstance(x, str):
            return x.encode("utf-8", "surrogatepass")
        if isinstance(x, bytes):
            return x
        with memoryview(x) as mv:
            return mv.tobytes()
    except Exception:
        return None


__all__ = ["BatchDecodeError", "CountsArrays", "count_many"]
