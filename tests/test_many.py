"""count_many: every input type against the reference, nulls, per-row errors,
threads, concurrency and fork."""

from __future__ import annotations

import math
import multiprocessing
import os
import pickle
import threading
from typing import Any

import numpy as np
import pytest
import shortlong
from conftest import reference_counts, wiki_pages
from hypothesis import given, settings
from hypothesis import strategies as st
from shortlong import BatchDecodeError, CountsArrays, count_many

# The data-frame libraries are part of what is tested here (every input
# type against every other); where one is not installed (PyPy), skip.
pa = pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")


def expected(texts: list[str | None]) -> list[tuple[int, int, int] | None]:
    return [None if t is None else reference_counts(t) for t in texts]


def rows_of(result: Any) -> list[tuple[int, int, int] | None]:
    """(words, ignored, long) per row, None for a null row, from any result type."""
    if isinstance(result, CountsArrays):
        return [
            None if n else (int(w), int(i), int(lg))
            for w, i, lg, n in zip(result.words, result.ignored, result.long, result.null)
        ]
    if isinstance(result, pd.DataFrame):
        result = pa.Table.from_pandas(result, preserve_index=False)
    if isinstance(result, pl.DataFrame):
        result = result.to_arrow()
    cols = [result.column(c).to_pylist() for c in ("words", "ignored", "long")]
    return [None if w is None else (w, i, lg) for w, i, lg in zip(*cols)]


def fractions_of(result: Any) -> list[float | None]:
    if isinstance(result, CountsArrays):
        return [None if math.isnan(f) else float(f) for f in result.fraction]
    if isinstance(result, pd.DataFrame):
        return [None if pd.isna(f) else float(f) for f in result["fraction"]]
    if isinstance(result, pl.DataFrame):
        return result["fraction"].to_list()
    return result.column("fraction").to_pylist()


@pytest.fixture(scope="module")
def pages() -> list[str]:
    return [text for _, text in wiki_pages("enwiki-sample.xml.bz2")]


def test_list_of_enwiki_pages_with_nones(pages: list[str]) -> None:
    texts: list[str | None] = [p for t in zip(pages, [None] * len(pages)) for p in t]
    want = expected(texts)
    for threads in (1, 2, None):
        r = count_many(texts, threads=threads)
        assert isinstance(r, CountsArrays)
        assert rows_of(r) == want
    fr = fractions_of(count_many(texts))
    for t, f in zip(texts, fr):
        if t is None:
            assert f is None
        else:
            w, i, lg = reference_counts(t)
            assert f == (lg / (w - i) if w - i else None)


def test_every_input_type_gives_the_same_rows(pages: list[str]) -> None:
    texts: list[str | None] = [*pages[:50], None, "", "the a", "\ud800" * 9, "a\u3000b"]
    want = expected(texts)
    no_surrogates = [t if t is None or "\ud800" not in t else "x" * 9 for t in texts]
    want_ns = expected(no_surrogates)
    inputs: list[tuple[str, Any, Any, type]] = [
        ("tuple", tuple(texts), want, CountsArrays),
        ("generator", (t for t in texts), want, CountsArrays),
        ("numpy object", np.array(texts, dtype=object), want, CountsArrays),
        (
            "bytes rows",
            [None if t is None else t.encode() for t in no_surrogates],
            want_ns,
            CountsArrays,
        ),
        ("pyarrow string", pa.array(no_surrogates, pa.string()), want_ns, pa.Table),
        ("pyarrow large_string", pa.array(no_surrogates, pa.large_string()), want_ns, pa.Table),
        ("pyarrow string_view", pa.array(no_surrogates, pa.string_view()), want_ns, pa.Table),
        (
            "pyarrow chunked",
            pa.chunked_array([no_surrogates[:20], no_surrogates[20:]]),
            want_ns,
            pa.Table,
        ),
        ("polars", pl.Series(no_surrogates), want_ns, pl.DataFrame),
        ("pandas object", pd.Series(texts, dtype=object), want, pd.DataFrame),
        ("pandas arrow", pd.Series(no_surrogates, dtype="string[pyarrow]"), want_ns, pd.DataFrame),
    ]
    for name, data, exp, kind in inputs:
        r = count_many(data)
        assert isinstance(r, kind), name
        assert rows_of(r) == exp, name


def test_numpy_fixed_width_arrays() -> None:
    texts = ["the encyclopedia", "a", "", "aé中😀" * 3]
    u = np.array(texts)  # U dtype
    assert rows_of(count_many(u)) == expected(list(texts))
    s = np.array([t.encode() for t in texts])  # S dtype, NUL-padded
    assert s.dtype.kind == "S"
    assert rows_of(count_many(s)) == expected(list(texts))
    assert rows_of(count_many(s[::2])) == expected(texts[::2])  # not contiguous
    with pytest.raises(TypeError, match="1-D"):
        count_many(np.array([["a"]]))
    with pytest.raises(TypeError, match="not texts"):
        count_many(np.arange(3))


def test_arrow_slices_offsets_and_nulls() -> None:
    texts = [None if i % 5 == 0 else f"the {'x' * (i % 13)} a é{i}" for i in range(200)]
    for typ in (pa.string(), pa.large_string(), pa.string_view()):
        arr = pa.array(texts, typ)
        for start, length in ((0, 200), (3, 50), (37, 1), (199, 1), (10, 0)):
            part = arr.slice(start, length)
            assert rows_of(count_many(part)) == expected(texts[start : start + length]), (
                typ,
                start,
                length,
            )


def test_pandas_keeps_the_index() -> None:
    s = pd.Series(["the encyclopedia", None, "x"], index=["a", "b", "c"])
    r = count_many(s)
    assert list(r.index) == ["a", "b", "c"]
    assert list(r.columns) == ["words", "ignored", "long", "fraction"]
    assert r["words"].isna().tolist() == [False, True, False]
    assert s.shortlong.count().equals(r)
    assert pl.Series(["a b"]).shortlong.count()["words"].to_list() == [2]


def test_arrow_c_interface_objects() -> None:
    class OnlyCapsule:
        def __init__(self, arr: pa.Array) -> None:
            self._arr = arr

        def __arrow_c_array__(self, requested_schema: Any = None) -> Any:
            return self._arr.__arrow_c_array__(requested_schema)

    texts = ["the encyclopedia", None, "b"]
    r = count_many(OnlyCapsule(pa.array(texts)))
    assert isinstance(r, pa.Table)
    assert rows_of(r) == expected(texts)


def test_no_remaining_words_gives_a_null_fraction() -> None:
    for data in (["the a", "x"], pa.array(["the a", "x"]), pd.Series(["the a", "x"])):
        assert fractions_of(count_many(data)) == [None, 0.0]


def test_a_bad_row_names_its_index_and_keeps_the_others() -> None:
    rows = [b"fine words", b"ok \xff bad", "str row", b"\xe2\x82", None]
    with pytest.raises(BatchDecodeError) as info:
        count_many(rows)
    e = info.value
    assert isinstance(e, shortlong.DecodeError) and isinstance(e, UnicodeDecodeError)
    assert (e.row, e.offset, e.rows) == (1, 3, [1, 3])
    assert "row 1" in str(e) and "byte offset 3" in str(e)
    assert rows_of(e.partial) == [(2, 0, 0), None, (2, 0, 0), None, None]
    again = pickle.loads(pickle.dumps(e))
    assert (again.row, again.rows) == (1, [1, 3])
    r = count_many(rows, errors="replace")
    assert rows_of(r)[1] == reference_counts(b"ok \xff bad".decode("utf-8", "replace"))
    # Arrow binary data that is not UTF-8.
    with pytest.raises(BatchDecodeError) as info2:
        count_many(pa.array([b"a", b"\xff"], pa.binary()))
    assert info2.value.row == 1
    assert isinstance(info2.value.partial, pa.Table)


def test_bad_inputs() -> None:
    with pytest.raises(
        TypeError, match="row 1 must be a str, a bytes-like object or None, not int"
    ):
        count_many(["a", 3])
    with pytest.raises(TypeError, match="not a single text"):
        count_many("the text")
    with pytest.raises(TypeError, match="collection of texts"):
        count_many(5)
    with pytest.raises(TypeError, match="not text"):
        count_many(pa.array([1, 2]))
    with pytest.raises(ValueError, match="threads"):
        count_many(["a"], threads=0)
    assert rows_of(count_many([])) == []
    assert rows_of(count_many(pa.array([], pa.string()))) == []


def test_results_pickle_and_hold_no_cdata() -> None:
    for data in (["a b", None], pa.array(["a b", None]), pd.Series(["a b"]), pl.Series(["x"])):
        r = count_many(data)
        back = pickle.loads(pickle.dumps(r))
        assert rows_of(back) == rows_of(r)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.lists(st.sampled_from(["the", "a", " ", "\u3000", "x", "é", "\x1c"])).map("".join),
            st.text(max_size=30),
        ),
        max_size=30,
    ),
    st.integers(min_value=0, max_value=12),
)
def test_random_lists_match_the_reference(texts: list[str | None], n: int) -> None:
    r = count_many(texts, longer_than=n, ignore=("the", "a"))
    assert rows_of(r) == [None if t is None else reference_counts(t, n) for t in texts]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(max_size=30),
            # Long strs (read in their own storage) of every width.
            st.tuples(
                st.text(alphabet="the a xé\u3000\x85", min_size=1, max_size=20),
                st.sampled_from(["", "\xe9", "\u20ac", "\U0001f600", "\ud800"]),
                st.integers(min_value=1000, max_value=3000),
            ).map(lambda t: (t[0] * t[2])[: t[2]] + t[1]),
            st.binary(max_size=30).map(lambda b: b.decode("utf-8", "replace").encode()),
        ),
        max_size=12,
    ),
    st.integers(min_value=0, max_value=12),
)
def test_lists_with_long_strs_of_every_width(texts: list[Any], n: int) -> None:
    r = count_many(texts, longer_than=n)
    want = [
        None if t is None else reference_counts(t.decode() if isinstance(t, bytes) else t, n)
        for t in texts
    ]
    assert rows_of(r) == want


def test_eight_threads_hammering_mixed_calls(pages: list[str]) -> None:
    arrow = pa.array(pages)
    want_rows = expected(list(pages))
    want_one = [reference_counts(p) for p in pages[:20]]
    failures: list[str] = []

    def hammer(k: int) -> None:
        try:
            for it in range(6):
                if (k + it) % 3 == 0:
                    got = rows_of(count_many(pages, threads=2))
                    if got != want_rows:
                        failures.append(f"list {k}")
                elif (k + it) % 3 == 1:
                    if rows_of(count_many(arrow)) != want_rows:
                        failures.append(f"arrow {k}")
                else:
                    got1 = [tuple(shortlong.count(p)) for p in pages[:20]]
                    if got1 != want_one:
                        failures.append(f"count {k}")
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(repr(exc))

    threads = [threading.Thread(target=hammer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert failures == []


def _child(conn: Any, texts: list[str]) -> None:
    r = count_many(texts, threads=2)
    big = "the encyclopedia " * (1 << 17)
    c = shortlong.count(big, threads=2)
    # An Arrow column large enough to wake the worker threads first.
    t = count_many(pa.array([big, big]), threads=2)
    conn.send((rows_of(r), tuple(c), t.column("words").to_pylist()))
    conn.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_after_a_parallel_call(pages: list[str]) -> None:
    # Start the worker pool in this process first.
    count_many(pages, threads=2)
    shortlong.count("the encyclopedia " * (1 << 17), threads=2)
    count_many(pa.array(pages), threads=2)  # wakes the threads first
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    p = ctx.Process(target=_child, args=(child, pages[:40]))
    p.start()
    ok = parent.poll(60)
    p.join(10)
    if p.is_alive():  # pragma: no cover - a deadlock
        p.kill()
    assert ok, "the forked child did not finish: deadlock after fork?"
    rows, counts, words = parent.recv()
    assert rows == expected(list(pages[:40]))
    assert counts == reference_counts("the encyclopedia " * (1 << 17))
    assert words == [counts[0], counts[0]]
