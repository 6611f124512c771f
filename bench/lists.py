"""Speed by ignore list and by `longer_than`: one thread, one text.

    .venv/bin/python bench/lists.py [FILE]

FILE defaults to ``../shared/data/formalSentences.txt``. Prints GB/s (the
median of 41 calls of ``shortlong.count(bytes, threads=1)``) and the ratio
to the default options, measured in the same run, after checking each count
against the pure-Python definition.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import shortlong
from shortlong import reference

ROOT = Path(__file__).resolve().parent.parent
STOPWORDS = tuple((ROOT / "bench" / "stopwords.txt").read_text().split())
DEFAULT = ("the", "a")


def gbps(data: bytes, longer_than: int, ignore: tuple[str, ...]) -> float:
    times = []
    for _ in range(41):
        t0 = time.perf_counter()
        shortlong.count(data, longer_than=longer_than, ignore=ignore, threads=1)
        times.append(time.perf_counter() - t0)
    return len(data) / statistics.median(times) / 1e9


def main() -> None:
    default = ROOT.parent / "shared" / "data" / "formalSentences.txt"
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    if not path.exists():
        sys.exit(f"{path}: not found (give a text file as the argument)")
    data = path.read_bytes()
    text = data.decode()
    cases: list[tuple[str, int, tuple[str, ...]]] = [
        ("default (longer_than=8, the/a)", 8, DEFAULT),
        ("no ignore list", 8, ()),
        ("ignore of", 8, ("of",)),
        ("ignore the/a/of", 8, ("the", "a", "of")),
        ("ignore of/and/the/a", 8, ("of", "and", "the", "a")),
        ("ignore the/a/é", 8, ("the", "a", "é")),
        ("ignore the/a/encyclopedia", 8, ("the", "a", "encyclopedia")),
        ("8 stop words", 8, STOPWORDS[:8]),
        ("20 stop words", 8, STOPWORDS[:20]),
        ("150 stop words (bench/stopwords.txt)", 8, STOPWORDS),
        ("longer_than=3", 3, DEFAULT),
        ("longer_than=20", 20, DEFAULT),
        ("longer_than=100", 100, DEFAULT),
    ]
    print(f"{path.name}, {len(data) / 1e6:.1f} MB, backend {shortlong.backend()}")
    gbps(data, 8, DEFAULT)  # warm up (the first calls ran at two thirds of the speed)
    base = 0.0
    for name, longer_than, ignore in cases:
        c = shortlong.count(data, longer_than=longer_than, ignore=ignore)
        assert tuple(c) == reference.counts(text, longer_than, ignore), (name, c)
        speed = gbps(data, longer_than, ignore)
        base = base or speed  # the first case is the default
        print(f"  {name:40s} {speed:6.2f} GB/s  {speed / base:5.2f}x")


if __name__ == "__main__":
    main()
