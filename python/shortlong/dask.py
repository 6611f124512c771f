"""shortlong on Dask, for corpora larger than one machine.

`count` and `summary` build lazy Dask graphs whose tasks call
`shortlong.count_many` on one partition each, so they run wherever Dask
runs them (threads, processes or a `distributed` cluster). Only plain
pandas objects cross between tasks: nothing native is pickled.
Needs ``dask[dataframe]`` (``pip install shortlong[dask]``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["count", "summary"]


def _meta() -> Any:
    import pandas as pd

    return pd.DataFrame(
        {
            "words": pd.Series(dtype="Int64"),
            "ignored": pd.Series(dtype="Int64"),
            "long": pd.Series(dtype="Int64"),
            "fraction": pd.Series(dtype="Float64"),
        }
    )


def _count_series(part: Any, options: dict[str, Any]) -> Any:
    from . import count_many

    return count_many(part, **options)


def _count_items(items: Any, options: dict[str, Any]) -> Any:
    import pandas as pd

    from . import count_many

    return count_many(pd.Series(list(items), dtype=object), **options)


def count(texts: Any, **options: Any) -> Any:
    """Per-row counts of a Dask Series or Bag of texts, as a lazy Dask
    DataFrame with the columns of `shortlong.count_many` (``words``,
    ``ignored``, ``long``, ``fraction``; nullable dtypes).

    For a Series the index is kept; for a Bag each partition is numbered
    from 0. Options (``longer_than``, ``ignore``, ``errors``, ``threads``)
    are as for `shortlong.count_many`; they are checked here, before any
    task runs.

    >>> import dask.dataframe as dd, pandas as pd
    >>> texts = dd.from_pandas(pd.Series(["the Encyclopedia", "a"]), npartitions=2)
    >>> count(texts).compute()["words"].tolist()
    [2, 1]
    """
    import dask.bag as db
    import dask.dataframe as dd
    from dask.delayed import delayed

    from . import count_many

    count_many([], **options)  # fail now, not on a worker, for a bad option
    # Dask's own annotations are partial: go through Any.
    obj: Any = texts
    if isinstance(texts, dd.Series):
        return obj.map_partitions(_count_series, options, meta=_meta())
    if isinstance(texts, db.Bag):
        parts = [delayed(_count_items)(p, options) for p in obj.to_delayed()]
        return dd.from_delayed(parts, meta=_meta(), verify_meta=False)
    raise TypeError(f"texts must be a Dask Series or Bag, not {type(texts).__name__}")


def _totals(words: int, ignored: int, long: int) -> dict[str, Any]:
    words, ignored, long = int(words), int(ignored), int(long)
    remaining = words - ignored
    return {
        "words": words,
        "ignored": ignored,
        "long": long,
        "fraction": long / remaining if remaining else float("nan"),
    }


def summary(texts: Any, **options: Any) -> Any:
    """Corpus totals, lazily: a Dask ``Delayed`` that computes a dict with
    ``words``, ``ignored``, ``long`` (sums over all rows; null rows count as
    nothing) and ``fraction``, the corpus fraction
    ``sum(long) / sum(words - ignored)`` (NaN when that is 0/0).

    >>> import dask.bag as db
    >>> summary(db.from_sequence(["the Encyclopedia", "a"])).compute()["fraction"]
    1.0
    """
    from dask.delayed import delayed

    df = count(texts, **options)
    sums = df[["words", "ignored", "long"]].sum()
    return delayed(_totals)(sums["words"], sums["ignored"], sums["long"])
