"""Shared test helpers: the pure-Python reference and the real data files."""

from __future__ import annotations

import bz2
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def reference_short_long(text: str) -> float:
    """The definition, as the article's data scientist wrote it."""
    split = text.split()
    split = [i for i in split if (i != "the") & (i != "a")]
    long = 0
    for i in split:
        if len(i) > 8:
            long += 1
    return long / len(split)


def reference_counts(
    text: str, longer_than: int = 8, ignore: Iterable[str] = ("the", "a")
) -> tuple[int, int, int]:
    """(words, ignored, long) by the same definition."""
    ignore = set(ignore)
    words = text.split()
    ignored = sum(1 for w in words if w in ignore)
    long = sum(1 for w in words if w not in ignore and len(w) > longer_than)
    return len(words), ignored, long


def data_file(name: str) -> Path:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not here (see ../shared/data/README.md)")
    return path


def wiki_pages(name: str) -> list[tuple[str, str]]:
    """(title, wikitext) of every page of a MediaWiki XML dump (.bz2)."""
    pages = []
    with bz2.open(data_file(name)) as f:
        title = ""
        for _, elem in ET.iterparse(f):
            tag = elem.tag.rsplit("}", 1)[-1]
            if tag == "title":
                title = elem.text or ""
            elif tag == "text":
                pages.append((title, elem.text or ""))
            elif tag == "page":
                elem.clear()
    return pages
