"""Shared test helpers: the pure-Python reference and the real data files."""

from __future__ import annotations

import bz2
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from shortlong import reference

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


# The definition, written once, in the package (users can call it too).
reference_short_long = reference.short_long
reference_counts = reference.counts


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
