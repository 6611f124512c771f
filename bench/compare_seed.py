"""`make run`: the article's comparison, done right.

Times the pure-Python reference against shortlong on one text (the
article's sample by default), prints both results side by side with the
median time of repeated runs and the speedup, and the article's own numbers
for context.

    python bench/compare_seed.py [FILE]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import shortlong
import shortlong.reference

ARTICLE = "Python 0.05467 s, Rust via CFFI 0.01009 s, 5.4x (the article's machine)"
DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "formalSentences.txt"


# The pure-Python definition (the article's shortLong), written once in the
# package: shortlong.reference.
reference = shortlong.reference.short_long


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def paired_times(
    fa: Callable[[], object], fb: Callable[[], object], repeat: int, number: int = 1
) -> tuple[float, float, float]:
    """Median seconds per call of `fa` and of `fb`, and the median of the
    ratios time(fa) / time(fb), measured in alternation (`number` calls per
    sample): on a shared machine whose speed drifts, each pair sees the same
    conditions, where two separate series each see their own."""
    ta, tb, ratios = [], [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fa()
        t1 = time.perf_counter()
        for _ in range(number):
            fb()
        t2 = time.perf_counter()
        ta.append((t1 - t0) / number)
        tb.append((t2 - t1) / number)
        ratios.append((t1 - t0) / (t2 - t1))
    return statistics.median(ta), statistics.median(tb), statistics.median(ratios)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file", nargs="?", default=str(DEFAULT), help="a UTF-8 text file")
    p.add_argument("--repeat", type=int, default=21)
    args = p.parse_args()
    path = Path(args.file)
    if not path.is_file():
        print(
            f"make run: no text at {path}.\n"
            "  The article's sample is formalSentences.txt from the RayElg/RustPythonCFFI\n"
            "  repository (1.1 MB of Wikipedia prose); put it at ../shared/data/ beside this\n"
            "  checkout, or pass any UTF-8 file: make run FILE=/path/to/text.txt",
            file=sys.stderr,
        )
        return 2
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        print(f"make run: {path} is not UTF-8 ({exc})", file=sys.stderr)
        return 2

    try:
        ref = reference(text)
    except ZeroDivisionError:
        print(f"make run: {path} has no words besides 'the' and 'a'", file=sys.stderr)
        return 2
    got_str = shortlong.short_long(text)
    got_bytes = shortlong.short_long(data)
    t_ref = median_time(lambda: reference(text), args.repeat)
    # A fresh str object for each call, as a new article would be (made
    # before timing: building a 1 MB str is not what is measured).
    fresh = iter([text[:-1] + text[-1] for _ in range(args.repeat)])
    t_str = median_time(lambda: shortlong.short_long(next(fresh)), args.repeat)
    t_bytes = median_time(lambda: shortlong.short_long(data), args.repeat)
    c = shortlong.count(data)

    mb = len(data) / 1e6
    print(
        f"{path} ({len(data):,} bytes): {c.words:,} words, {c.ignored:,} ignored, {c.long:,} long"
    )
    print(f"machine: {cpu_model()}, Python {platform.python_version()}")
    print(f"median of {args.repeat} runs each\n")
    print(f"{'':28}{'result':>22}{'time':>12}{'MB/s':>10}{'speedup':>9}")
    rows = [
        ("pure-Python reference", ref, t_ref),
        ("shortlong.short_long(str)", got_str, t_str),
        ("shortlong.short_long(bytes)", got_bytes, t_bytes),
    ]
    for name, value, t in rows:
        print(f"{name:28}{value!r:>22}{t * 1e3:>10.3f}ms{mb / t:>10.0f}{t_ref / t:>8.1f}x")
    same = ref == got_str == got_bytes
    print(f"\nidentical to the reference: {'yes' if same else 'NO'}")
    print(f"for context, the article: {ARTICLE}")
    print("(its Rust gave 0.1305 instead of 0.1359 on its own sample)")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
