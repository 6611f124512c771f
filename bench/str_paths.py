"""What each way of getting a `str` to Rust costs, by CPython storage width.

    .venv/bin/python bench/str_paths.py [FILE]

FILE defaults to ``../shared/data/formalSentences.txt``. From it, four
`str`s of the same length: its ASCII characters only (stored as ASCII), that
with every "e" made "é" (Latin-1, one byte a code point), the text itself
(UCS-2 if it has a character above U+00FF, as the sample has), and the ASCII
text with every "e" made U+1D452 (UCS-4). For each, the median of 41 calls
(one thread) of: ``str.encode()``; ``count(str)``, which reads a `str` of
1024 code points or more in place; ``count(bytes)`` on its UTF-8; and
``encode()`` plus ``count(bytes)``, the way in place replaces. Every count is
checked against the pure-Python definition first. ``SHORTLONG_BACKEND``
picks the kernel (only avx512 has vector transcoders).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import shortlong
from shortlong import reference

ROOT = Path(__file__).resolve().parent.parent
# CPython's storage of a str whose largest code point is below the limit.
KINDS = (("ASCII", 0x80), ("UCS-1", 0x100), ("UCS-2", 0x10000), ("UCS-4", 0x110000))


def ms(f: Callable[[], object]) -> float:
    times = []
    for _ in range(41):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main() -> None:
    default = ROOT.parent / "shared" / "data" / "formalSentences.txt"
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    if not path.exists():
        sys.exit(f"{path}: not found (give a UTF-8 text file as the argument)")
    text = path.read_text(encoding="utf-8")
    ascii_ = text.encode("ascii", "ignore").decode()
    texts = {
        "ASCII": ascii_,
        "Latin-1": ascii_.replace("e", "\xe9"),
        "as read": text,
        "UCS-4": ascii_.replace("e", "\U0001d452"),
    }
    print(
        f"{path.name}, Python {sys.version.split()[0]} ({sys.implementation.name}), "
        f"backend {shortlong.backend()}, medians of 41 calls, one thread"
    )
    for name, s in texts.items():
        b = s.encode()
        assert tuple(shortlong.count(s)) == reference.counts(s) == tuple(shortlong.count(b)), name
        top = max(map(ord, s))
        kind = next(k for k, lim in KINDS if top < lim)
        enc = ms(s.encode)
        in_place = ms(lambda s=s: shortlong.count(s, threads=1))
        as_bytes = ms(lambda b=b: shortlong.count(b, threads=1))
        sl = ms(lambda s=s: shortlong.short_long(s))
        print(f"  {name:8} short_long(str) {sl:.3f} ms: {enc / sl:.1f}x faster than encode() alone")
        print(
            f"  {name:8} ({kind}, {len(b) / 1e6:.2f} MB of UTF-8): encode() {enc:.3f} ms, "
            f"count(str) in place {in_place:.3f} ms, count(bytes) {as_bytes:.3f} ms, "
            f"encode() + count(bytes) {enc + as_bytes:.3f} ms"
        )


if __name__ == "__main__":
    main()
