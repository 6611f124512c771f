"""shortlong.dask on a real distributed cluster of 2 worker processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")

import dask.bag as db
import dask.dataframe as dd
import pandas as pd
import shortlong
import shortlong.dask as sd
from conftest import reference_counts, wiki_pages
from distributed import Client, LocalCluster


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def pages() -> list[str]:
    return [text for _, text in wiki_pages("enwiki-sample.xml.bz2")]


def test_series_on_the_cluster_equals_count_many(client: Client, pages: list[str]) -> None:
    local = shortlong.count_many(pd.Series(pages))
    texts = dd.from_pandas(pd.Series(pages), npartitions=5)
    got = sd.count(texts).compute()
    pd.testing.assert_frame_equal(got, local)
    assert [tuple(r) for r in got[["words", "ignored", "long"]].itertuples(index=False)] == [
        reference_counts(p) for p in pages
    ]
    # The work really ran on the workers.
    assert len(client.scheduler_info()["workers"]) == 2


def test_bag_and_summary_on_the_cluster(client: Client, pages: list[str]) -> None:
    bag = db.from_sequence([*pages, None], npartitions=4)
    got = sd.count(bag).compute()
    local = shortlong.count_many([*pages, None])
    assert got["words"].tolist()[:-1] == local.words.tolist()[:-1]
    assert pd.isna(got["words"].iloc[-1])
    totals = sd.summary(bag).compute()
    w = sum(reference_counts(p)[0] for p in pages)
    i = sum(reference_counts(p)[1] for p in pages)
    lg = sum(reference_counts(p)[2] for p in pages)
    assert totals == {"words": w, "ignored": i, "long": lg, "fraction": lg / (w - i)}


def test_options_and_errors_travel(client: Client) -> None:
    texts = dd.from_pandas(pd.Series(["of the people", "by the"]), npartitions=2)
    got = sd.count(texts, longer_than=2, ignore=["the", "of"]).compute()
    assert got["ignored"].tolist() == [2, 1]
    with pytest.raises(ValueError, match="whitespace"):
        sd.count(texts, ignore=["a b"])
    bad = db.from_sequence([b"ok", b"\xff"], npartitions=1)
    with pytest.raises(shortlong.BatchDecodeError) as info:
        sd.count(bad).compute()
    assert info.value.row == 1
    with pytest.raises(TypeError, match="Dask Series or Bag"):
        sd.count(["a"])
