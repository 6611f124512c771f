"""`count_many`: one call for a whole column of texts.

Owns turning the column types of the PyData world into the C ABI's row
layouts (Arrow offsets and views without a copy; lists and object arrays
encoded once into one buffer), and the per-row results back into what the
caller's library expects. The counting itself runs in Rust, on several
threads, with the GIL released.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable, NamedTuple

import numpy as np

from . import _ffi, _options
from ._errors import ArgumentTypeError, DecodeError
from ._ffi import Columns
from ._options import DEFAULT_IGNORE

_OK = _ffi.ROW_OK
_NULL_ROW = _ffi.ROW_NULL
_INVALID = _ffi.ROW_INVALID_UTF8
#: A bytes row shorter than this is copied into one joined buffer; a longer
#: one, and every other buffer, is read where it is. Exporting a row's
#: buffer costs about as much as copying 4 KiB, so copying never costs more
#: than reading in place would, and never more than twice the small rows.
_JOIN_MAX = 4096
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


# --- Arrow columns ---------------------------------------------------------


def _arrow_chunk(opts: Any, arr: Any, threads: int, out: Columns, at: int) -> None:
    """Count the Arrow array `arr` into rows ``at : at + len(arr)`` of
    `out`, reading its buffers in place. Their sizes are checked here
    against the array's length; the offsets and views inside them are
    checked by Rust before it follows them."""
    import pyarrow as pa

    t = arr.type
    n = len(arr)
    bufs = arr.buffers()
    off = arr.offset
    if pa.types.is_null(t):  # every row null (pa.array([None, None]))
        out.status[at : at + n] = _NULL_ROW
        return
    validity = bufs[0]
    bits = (validity.address, validity.size, off) if validity is not None else (0, 0, 0)
    what = f"the Arrow {t} array"

    def data(b: Any) -> tuple[int, int]:
        return (b.address, b.size) if b is not None else (0, 0)

    if pa.types.is_string(t) or pa.types.is_binary(t):
        width = 4
    elif pa.types.is_large_string(t) or pa.types.is_large_binary(t):
        width = 8
    elif pa.types.is_string_view(t) or pa.types.is_binary_view(t):
        views = bufs[1]
        if n and (views is None or views.size < 16 * (off + n)):
            raise ArgumentTypeError(f"{what}: its views buffer is shorter than the array")
        buffers = [data(b) for b in bufs[2:] if b is not None]
        _ffi.count_views(
            opts, out, at, n, views.address + 16 * off if n else 0, buffers, bits, threads, what
        )
        return
    else:
        raise ArgumentTypeError(f"an Arrow array of {t} is not text (string or binary)")
    offsets = bufs[1]
    if n and (offsets is None or offsets.size < width * (off + n + 1)):
        raise ArgumentTypeError(f"{what}: its offsets buffer is shorter than the array")
    start = offsets.address + width * off if n else 0
    _ffi.count_offsets(opts, out, at, n, data(bufs[2]), start, 8 * width, bits, threads, what)


# --- inputs -------------------------------------------------------------


def _is_missing(x: Any) -> bool:
    """NaN and ``pd.NA``: what pandas puts in an object column for a
    missing value (``None`` is tested first, by the caller)."""
    if isinstance(x, float):
        return x != x
    t = type(x)
    return t.__name__ == "NAType" and t.__module__.startswith("pandas")


def _list_rows(items: list[Any], str_opts: Any, bytes_opts: Any, threads: int) -> Columns:
    """Rows from Python objects: str, bytes-like, None, NaN or ``pd.NA``.

    Short strs are encoded and joined into one buffer, and so are exact
    bytes under `_JOIN_MAX`; long exact strs are read in their own storage
    and every other bytes-like object in its own buffer (no copy)."""
    n = len(items)
    rows = Columns(n)
    joined: dict[bool, tuple[list[int], list[bytes]]] = {True: ([], []), False: ([], [])}
    in_place: dict[bool, tuple[list[int], list[Any]]] = {True: ([], []), False: ([], [])}
    null_idx: list[int] = []
    views: list[memoryview] = []
    try:
        for i, x in enumerate(items):
            if type(x) is str:
                if len(x) >= _ffi.UNITS_MIN and _ffi.str_storage(x) is not None:
                    in_place[True][0].append(i)
                    in_place[True][1].append(x)
                else:
                    joined[True][0].append(i)
                    joined[True][1].append(_ffi.encode(x))
            elif type(x) is bytes and len(x) < _JOIN_MAX:
                joined[False][0].append(i)
                joined[False][1].append(x)
            elif isinstance(x, str):  # a subclass: encoded as the str it holds
                joined[True][0].append(i)
                joined[True][1].append(_ffi.encode(str.__str__(x)))
            elif x is None or _is_missing(x):
                null_idx.append(i)
            else:
                mv = _ffi.byte_view(x, f"row {i}", "a str, a bytes-like object or None")
                views.append(mv)
                in_place[False][0].append(i)
                in_place[False][1].append(mv)
        for is_str, (idx, vals) in joined.items():
            if idx:
                lens = np.fromiter(map(len, vals), dtype=np.int64, count=len(vals))
                offsets = np.zeros(len(vals) + 1, dtype=np.int64)
                np.cumsum(lens, out=offsets[1:])
                opts = str_opts if is_str else bytes_opts
                rows.take(
                    np.asarray(idx), _ffi.count_joined(opts, b"".join(vals), offsets, threads)
                )
        for is_str, (idx, vals) in in_place.items():
            if idx:
                opts = str_opts if is_str else bytes_opts
                rows.take(np.asarray(idx), _ffi.count_rows(opts, vals, threads))
    finally:
        for mv in views:
            mv.release()
    if null_idx:
        rows.status[np.asarray(null_idx)] = _NULL_ROW
    return rows


def _numpy_rows(arr: np.ndarray[Any, Any], str_opts: Any, bytes_opts: Any, threads: int) -> Columns:
    if arr.ndim != 1:
        raise ArgumentTypeError(f"a NumPy array of texts must be 1-D, not {arr.ndim}-D")
    if arr.dtype.kind == "S":
        return _ffi.count_fixed(bytes_opts, np.ascontiguousarray(arr), threads)
    if arr.dtype.kind in "UO":
        return _list_rows(arr.tolist(), str_opts, bytes_opts, threads)
    raise ArgumentTypeError(f"a NumPy array of {arr.dtype} is not texts (use U, S or object)")


def _nbytes(arr: Any) -> int:
    """About the bytes `arr` covers (a hint: its buffers' sizes where
    pyarrow before 22 cannot say, as for string_view)."""
    try:
        return int(arr.nbytes)
    except Exception:
        return sum(b.size for b in arr.buffers() if b is not None)


def _arrow_rows(chunks: Iterable[Any], opts: Any, threads: int) -> Columns:
    """Rows of Arrow arrays, read in place. Arrow strings are UTF-8 by
    contract, but a buffer can break it: they are decoded like bytes (with
    the caller's `errors`), so a broken one cannot become a silent wrong
    answer."""
    chunks = list(chunks)
    n = sum(len(c) for c in chunks)
    if threads != 1:
        # Wake the worker threads while the column is read (a thread idle
        # for a while can take longer to wake than the counting takes).
        _ffi.wake_threads(sum(map(_nbytes, chunks)), n, threads)
    import pyarrow as pa

    rows = Columns(n)
    at = 0
    for c in chunks:
        if pa.types.is_dictionary(c.type):
            c = c.cast(pa.large_string())  # a copy: dictionaries are not rows
        _arrow_chunk(opts, c, threads, rows, at)
        at += len(c)
    return rows


# --- outputs ------------------------------------------------------------


def _columns(rows: Columns) -> tuple[Any, ...]:
    return rows.words, rows.ignored, rows.long, rows.fraction, rows.status != _OK


def _to_numpy(rows: Columns) -> CountsArrays:
    return CountsArrays(*_columns(rows))


def _to_arrow(rows: Columns) -> Any:
    import pyarrow as pa

    n = len(rows)
    # count_nonzero is NumPy's cheapest test for "any row not counted".
    if np.count_nonzero(rows.status):
        mask = rows.status != _OK
        counts = [pa.array(c, mask=mask) for c in (rows.words, rows.ignored, rows.long)]
    else:
        # No null row: the count columns are read in place from the block
        # (2 µs less than three `pa.array` calls).
        block = pa.py_buffer(rows.block)
        i64 = pa.int64()
        counts = [pa.Array.from_buffers(i64, n, [None, block], 0, k * n) for k in range(3)]
    # from_arrays, not pa.table({...}): half the fixed cost of a call.
    return pa.Table.from_arrays(
        [*counts, pa.array(rows.fraction, from_pandas=True)],  # NaN is null
        names=["words", "ignored", "long", "fraction"],
    )


def _to_pandas(rows: Columns, index: Any) -> Any:
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


def _to_polars(rows: Columns) -> Any:
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
    str_opts = _options.options(longer_than, ignore, errors, True)
    bytes_opts = _options.options(longer_than, ignore, errors, False)
    nthreads = _options.threads(threads)
    _refuse_tables(texts)
    mod = _module_of(texts)

    def finish(rows: Columns, convert: Callable[[Columns], Any], source: Any) -> Any:
        return _finish(rows, convert, source, bytes_opts)

    if mod == "pandas":
        dtype = texts.dtype
        if getattr(dtype, "storage", None) == "pyarrow" or hasattr(dtype, "pyarrow_dtype"):
            arrow = texts.array.__arrow_array__()  # a ChunkedArray, or an Array
            chunks = getattr(arrow, "chunks", [arrow])
            rows = _arrow_rows(chunks, bytes_opts, nthreads)
            return finish(rows, lambda r: _to_pandas(r, texts.index), arrow)
        # Objects, or pandas' python-backed strings: every missing value
        # (None, NaN, pd.NA) as None.
        values = texts.to_numpy(dtype=object, na_value=None)
        rows = _numpy_rows(values, str_opts, bytes_opts, nthreads)
        return finish(rows, lambda r: _to_pandas(r, texts.index), values)
    if mod == "polars" and hasattr(texts, "to_arrow"):
        arr = texts.to_arrow()
        chunks = getattr(arr, "chunks", [arr])
        return finish(_arrow_rows(chunks, bytes_opts, nthreads), _to_polars, arr)
    if mod == "pyarrow":
        chunks = getattr(texts, "chunks", None)
        if chunks is None:
            chunks = [texts]
        return finish(_arrow_rows(chunks, bytes_opts, nthreads), _to_arrow, texts)
    if isinstance(texts, np.ndarray):
        return finish(_numpy_rows(texts, str_opts, bytes_opts, nthreads), _to_numpy, texts)
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
        return finish(_arrow_rows(chunks, bytes_opts, nthreads), _to_arrow, source)
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
    return finish(_list_rows(items, str_opts, bytes_opts, nthreads), _to_numpy, items)


def _refuse_tables(texts: Any) -> None:
    """`ArgumentTypeError` for a table or a single value, which are not a
    column of texts, saying what to pass instead."""
    kind = type(texts).__name__
    mod = _module_of(texts)
    if mod in ("pandas", "polars", "pyarrow") and kind in (
        "DataFrame",
        "LazyFrame",
        "Table",
        "RecordBatch",
        "RecordBatchReader",
    ):
        raise ArgumentTypeError(
            f"count_many takes one column of texts, not a {mod} {kind}: "
            f"pass the column, for example data['text']"
        )
    if mod == "pyarrow" and kind.endswith("Scalar"):
        raise ArgumentTypeError(
            f"count_many takes a column of texts, not a pyarrow {kind}: "
            "use shortlong.count(scalar.as_py()) for one text"
        )
    if mod == "pandas" and not hasattr(texts, "array"):
        raise ArgumentTypeError(f"count_many takes a column of texts, not a pandas {kind}")


def _finish(rows: Columns, convert: Callable[[Columns], Any], source: Any, opts: Any) -> Any:
    """`convert(rows)`, or, when some rows are not UTF-8, `BatchDecodeError`
    carrying it, with the first failing row's bytes and offset."""
    if not np.count_nonzero(rows.status):  # every row counted: the usual case
        return convert(rows)
    bad = np.flatnonzero(rows.status == _INVALID)
    if len(bad) == 0:
        return convert(rows)
    first = int(bad[0])
    # Only the failing row is counted again, alone, to learn where it fails.
    raw = _row_bytes(source, first)
    try:
        _ffi.count(opts, raw, 1)
    except DecodeError as one:
        err = BatchDecodeError(one.object, one.start, one.end, one.reason, one.offset, first)
    else:  # pragma: no cover - the batch and the single count disagree
        raise AssertionError(f"row {first} failed in the batch but not alone")
    err.rows = bad.tolist()
    rows.status[bad] = _NULL_ROW
    err.partial = convert(rows)
    raise err


def _row_bytes(source: Any, i: int) -> Any:
    """The raw bytes of row `i` of the column that `source` is (as counted:
    a bytes-like row, or an Arrow row viewed as binary)."""
    if _module_of(source) == "pyarrow":
        import pyarrow as pa

        t = source.type
        binary = (
            pa.large_binary()
            if pa.types.is_large_string(t) or pa.types.is_large_binary(t)
            else pa.binary_view()
            if pa.types.is_string_view(t) or pa.types.is_binary_view(t)
            else pa.binary()
        )
        row = source.slice(i, 1)
        if not pa.types.is_dictionary(t):
            row = row.cast(binary)  # reinterprets: a string row is not decoded
        value = row[0].as_py()
        return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
    return source[i]


__all__ = ["BatchDecodeError", "CountsArrays", "count_many"]
