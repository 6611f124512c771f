"""`make bench`: shortlong against the pure-Python reference and its peers.

Every ratio is measured in this one run, on this machine; times are medians
of repeated runs (the machines are shared and noisy). Writes
``bench/results/results.md`` and ``bench/results/results.json``.

    python bench/run.py [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import bz2
import contextlib
import json
import os
import platform
import random
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import cffi
import shortlong
import shortlong.reference

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_seed import cpu_model, median_time, paired_times, reference

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
STOPWORDS = tuple((ROOT / "bench" / "stopwords.txt").read_text().split())


def counts_reference(text: str, ignore: Iterable[str] = ("the", "a")) -> tuple[int, int, int]:
    return shortlong.reference.counts(text, 8, ignore)


def optimized(text: str) -> float:
    """The reference made fast in pure Python (default ignore list only)."""
    words = text.split()
    ignored = words.count("the") + words.count("a")
    long = sum(map((8).__lt__, map(len, words)))  # "the" and "a" are never long
    return long / (len(words) - ignored)


def arrow_counts(texts: list[str]) -> tuple[int, int, int]:
    import pyarrow as pa
    import pyarrow.compute as pc

    words = pc.list_flatten(pc.utf8_split_whitespace(pa.array(texts, pa.large_string())))
    ignored = pc.is_in(words, value_set=pa.array(["the", "a"]))
    long = pc.and_(pc.greater(pc.utf8_length(words), 8), pc.invert(ignored))
    return len(words), pc.sum(ignored).as_py() or 0, pc.sum(long).as_py() or 0


def polars_counts(texts: list[str]) -> tuple[int, int, int]:
    import polars as pl

    w = pl.DataFrame({"t": texts}).select(pl.col("t").str.extract_all(r"\S+").explode().alias("w"))
    ign = pl.col("w").is_in(["the", "a"])
    row = (
        w.drop_nulls()
        .select(
            words=pl.len(),
            ignored=ign.sum(),
            long=((pl.col("w").str.len_chars() > 8) & ~ign).sum(),
        )
        .row(0)
    )
    return int(row[0]), int(row[1]), int(row[2])


def wiki_texts(name: str) -> list[str]:
    out = []
    with bz2.open(DATA / name) as f:
        for _, elem in ET.iterparse(f):
            if elem.tag.rsplit("}", 1)[-1] == "text":
                out.append(elem.text or "")
            elif elem.tag.rsplit("}", 1)[-1] == "page":
                elem.clear()
    return out


def cjk_text(nbytes: int) -> str:
    rng = random.Random(7)
    words = []
    size = 0
    while size < nbytes:
        w = "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(rng.randint(1, 12)))
        words.append(w)
        words.append(rng.choice(["\u3000", " ", "、", "。\n"]))
        size += 3 * len(w) + 3
    return "".join(words)


class Suite:
    def __init__(self, quick: bool) -> None:
        self.rows: list[dict[str, Any]] = []
        self.scale = 3 if quick else 1

    def reps(self, n: int) -> int:
        return max(3, n // self.scale)

    def add(
        self,
        workload: str,
        impl: str,
        seconds: float,
        nbytes: int,
        result: object,
        expected: object,
        base: float | None,
        note: str = "",
    ) -> None:
        row = {
            "workload": workload,
            "implementation": impl,
            "median_s": seconds,
            "MB_per_s": nbytes / seconds / 1e6 if seconds else None,
            "vs_reference": (base / seconds) if base else None,
            "same_as_reference": result == expected,
            "note": note,
        }
        self.rows.append(row)
        ratio = f"{row['vs_reference']:.1f}x" if row["vs_reference"] else ""
        same = "" if row["same_as_reference"] else "  DIFFERS"
        print(f"  {impl:46} {seconds * 1e3:10.3f} ms {row['MB_per_s']:9.0f} MB/s {ratio:>8}{same}")


def run(quick: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    s = Suite(quick)
    sample = (DATA / "formalSentences.txt").read_bytes()
    text = sample.decode()
    n = len(sample)

    w = "formalSentences.txt (1.1 MB) as one str"
    print(w)
    ref = reference(text)
    t_ref = median_time(lambda: reference(text), s.reps(15))
    s.add(w, "pure-Python reference", t_ref, n, ref, ref, t_ref)
    s.add(
        w,
        "optimised pure Python",
        median_time(lambda: optimized(text), s.reps(15)),
        n,
        optimized(text),
        ref,
        t_ref,
    )
    fresh = iter([text[:-1] + text[-1] for _ in range(s.reps(31))])
    s.add(
        w,
        "shortlong.short_long(str), fresh str each call",
        median_time(lambda: shortlong.short_long(next(fresh)), s.reps(31)),
        n,
        shortlong.short_long(text),
        ref,
        t_ref,
    )
    exp_counts = counts_reference(text)
    try:
        got = arrow_counts([text])
        s.add(
            w,
            "pyarrow.compute pipeline (counts)",
            median_time(lambda: arrow_counts([text]), s.reps(7)),
            n,
            got,
            exp_counts,
            t_ref,
            f"{got[0] - exp_counts[0]:+d} words: utf8_split_whitespace keeps an empty word "
            "where a text starts or ends with whitespace",
        )
    except ImportError:
        print("  pyarrow not installed: skipped")
    try:
        s.add(
            w,
            "polars expression pipeline (counts)",
            median_time(lambda: polars_counts([text]), s.reps(7)),
            n,
            polars_counts([text]),
            exp_counts,
            t_ref,
        )
    except ImportError:
        print("  polars not installed: skipped")

    w = "formalSentences.txt as bytes"
    print(w)
    s.add(
        w,
        "shortlong.short_long(bytes)",
        median_time(lambda: shortlong.short_long(sample), s.reps(101)),
        n,
        shortlong.short_long(sample),
        ref,
        t_ref,
    )
    w = "formalSentences.txt as a file path"
    print(w)
    path = DATA / "formalSentences.txt"
    s.add(
        w,
        "shortlong.count_file(path)",
        median_time(lambda: shortlong.count_file(path), s.reps(101)),
        n,
        tuple(shortlong.count_file(path)),
        exp_counts,
        t_ref,
    )

    w = "stop-word list (150 words), formalSentences.txt as bytes"
    print(w)
    exp_stop = counts_reference(text, STOPWORDS)
    t_ref_stop = median_time(lambda: counts_reference(text, STOPWORDS), s.reps(7))
    s.add(w, "pure-Python reference (counts)", t_ref_stop, n, exp_stop, exp_stop, t_ref_stop)
    t_default, t_stop, r_stop = paired_times(
        lambda: shortlong.count(sample),
        lambda: shortlong.count(sample, ignore=STOPWORDS),
        s.reps(101),
    )
    s.add(
        w,
        "shortlong.count(bytes, ignore=stopwords)",
        t_stop,
        n,
        tuple(shortlong.count(sample, ignore=STOPWORDS)),
        exp_stop,
        t_ref_stop,
        f"{r_stop:.2f}x the speed of the default ignore list "
        f"({t_default * 1e3:.3f} ms; median of paired runs)",
    )

    pages = wiki_texts("enwiki-sample.xml.bz2")
    nb = sum(len(p.encode()) for p in pages)
    w = f"{len(pages)} enwiki page texts, one call each"
    print(w)

    def ref_pages() -> list[tuple[int, int, int]]:
        return [counts_reference(p) for p in pages]

    t_ref_p = median_time(ref_pages, s.reps(7))
    s.add(w, "pure-Python reference (counts)", t_ref_p, nb, ref_pages(), ref_pages(), t_ref_p)
    s.add(
        w,
        "shortlong.count(str) per page",
        median_time(lambda: [shortlong.count(p) for p in pages], s.reps(21)),
        nb,
        [tuple(shortlong.count(p)) for p in pages],
        ref_pages(),
        t_ref_p,
    )

    # Issue 4: many documents per call.
    import pyarrow as pa

    w = f"{len(pages)} enwiki page texts in one call (count_many)"
    print(w)
    ref_rows = ref_pages()
    t_many = median_time(lambda: shortlong.count_many(pages), s.reps(21))
    r = shortlong.count_many(pages)
    got = [(int(a), int(b), int(c)) for a, b, c in zip(r.words, r.ignored, r.long)]
    s.add(w, "shortlong.count_many(list[str])", t_many, nb, got, ref_rows, t_ref_p)
    arr = pa.array(pages, pa.string())
    totals = tuple(map(sum, zip(*ref_rows)))

    def many_arrow(threads: int | None = None) -> object:
        return shortlong.count_many(arr, threads=threads)

    tab = many_arrow()
    got_a = list(zip(*(tab.column(c).to_pylist() for c in ("words", "ignored", "long"))))
    # One thread and two in alternation, 10 calls a sample: a ratio of two
    # series measured apart moved by 0.3 between runs on a shared machine.
    t_arrow1, t_arrow, r_arrow = paired_times(
        lambda: many_arrow(1), many_arrow, s.reps(41), number=10
    )
    s.add(
        w,
        "shortlong.count_many(pyarrow string array)",
        t_arrow,
        nb,
        got_a,
        ref_rows,
        t_ref_p,
        f"2 threads {r_arrow:.2f}x one thread ({t_arrow1 * 1e3:.3f} ms; median of paired runs)",
    )
    try:
        t_pc = median_time(lambda: arrow_counts(pages), s.reps(7))
        s.add(
            w,
            "pyarrow.compute pipeline on the array (corpus totals)",
            t_pc,
            nb,
            arrow_counts(pages),
            totals,
            t_ref_p,
            f"shortlong is {t_pc / t_arrow:.0f}x faster",
        )
        t_pl = median_time(lambda: polars_counts(pages), s.reps(7))
        s.add(
            w,
            "polars expression pipeline (corpus totals)",
            t_pl,
            nb,
            polars_counts(pages),
            totals,
            t_ref_p,
            f"shortlong is {t_pl / t_arrow:.0f}x faster",
        )
    except ImportError:
        print("  pyarrow/polars not installed: peers skipped")

    rng = random.Random(11)
    vocab = text.split()[:5000]
    million = []
    for _ in range(1_000_000 // s.scale):
        target = rng.randint(30, 100)
        row = []
        size = 0
        while size < target:
            word = rng.choice(vocab)
            row.append(word)
            size += len(word) + 1
        million.append(" ".join(row)[:target])
    marr = pa.array(million, pa.string())
    mb = marr.buffers()[2].size
    w = f"{len(million):,} texts of 30 to 100 bytes as a pyarrow array"
    print(w)
    t_m1, t_m2, r_m = paired_times(
        lambda: shortlong.count_many(marr, threads=1), lambda: shortlong.count_many(marr), s.reps(9)
    )
    sample_rows = [counts_reference(t) for t in million[:2000]]
    mt = shortlong.count_many(marr.slice(0, 2000))
    got_m = list(zip(*(mt.column(c).to_pylist() for c in ("words", "ignored", "long"))))
    s.add(
        w,
        "shortlong.count_many(pyarrow array), 2 threads",
        t_m2,
        mb,
        got_m,
        sample_rows,
        None,
        f"{r_m:.2f}x one thread ({mb / t_m1 / 1e9:.2f} GB/s; median of paired runs)",
    )

    cyr = "\n".join(wiki_texts("bgwiki-sample.xml.bz2"))
    cyr = cyr * max(1, (1 << 20) // len(cyr.encode()))
    cjk = cjk_text(1 << 20)
    for label, t in [("Cyrillic (bgwiki pages)", cyr), ("CJK (generated)", cjk)]:
        b = t.encode()
        w = f"{label}, {len(b) / 1e6:.1f} MB"
        print(w)
        exp = counts_reference(t)
        t_r = median_time(lambda t=t: counts_reference(t), s.reps(9))
        s.add(w, "pure-Python reference (counts)", t_r, len(b), exp, exp, t_r)
        s.add(
            w,
            "shortlong.count(str)",
            median_time(lambda t=t: shortlong.count(t), s.reps(31)),
            len(b),
            tuple(shortlong.count(t)),
            exp,
            t_r,
        )
        s.add(
            w,
            "shortlong.count(bytes)",
            median_time(lambda b=b: shortlong.count(b), s.reps(101)),
            len(b),
            tuple(shortlong.count(b)),
            exp,
            t_r,
        )

    rng = random.Random(3)
    tiny = [
        "".join(rng.choice("abcdefghij klmnop the a ") for _ in range(30))
        for _ in range(100_000 // s.scale)
    ]
    nb = 30 * len(tiny)
    w = f"{len(tiny):,} tiny texts of 30 bytes, one call each"
    print(w)
    libc_ffi = cffi.FFI()
    libc_ffi.cdef("void *memchr(const void *, int, size_t);")
    libc = libc_ffi.dlopen(None)
    memchr = libc.memchr
    enc = [t.encode() for t in tiny]

    def ref_tiny() -> list[float]:
        return [reference(t) for t in tiny]

    def sl_tiny() -> list[float]:
        return [shortlong.short_long(t) for t in tiny]

    expected_tiny = ref_tiny()
    t_r = median_time(ref_tiny, s.reps(5))
    s.add(w, "pure-Python reference", t_r, nb, expected_tiny, expected_tiny, t_r)

    def noop() -> list[object]:
        return [memchr(b, 0, 0) for b in enc]

    def count_tiny() -> list[object]:
        return [shortlong.count(t) for t in tiny]

    # Each beside a no-op run in alternation (medians of the paired ratios).
    t_sl, t_noop, r_sl = paired_times(sl_tiny, noop, s.reps(9))
    t_c, _, r_c = paired_times(count_tiny, noop, s.reps(9))
    s.add(w, "no-op CFFI call, same shape (libc memchr(p, 0, 0))", t_noop, nb, None, None, None)
    s.add(
        w,
        "shortlong.short_long(str)",
        t_sl,
        nb,
        sl_tiny(),
        expected_tiny,
        t_r,
        f"{r_sl:.2f}x a no-op CFFI call (median of paired runs)",
    )
    s.add(
        w,
        "shortlong.count(str)",
        t_c,
        nb,
        None,
        None,
        t_r,
        f"{r_c:.2f}x a no-op CFFI call (median of paired runs)",
    )

    big = (sample * ((256 << 20) // n + 1))[: 256 << 20]
    big = big[: big.rfind(b" ")]  # end at a word boundary (whole characters)
    w = f"one {len(big) / (1 << 20):.0f} MiB text (bytes)"
    print(w)
    import numpy as np

    arr = np.frombuffer(big[: len(big) // 8 * 8], dtype=np.uint64)
    one = shortlong.count(big, threads=1)
    t_read, t1, r_read = paired_times(
        lambda: arr.sum(), lambda: shortlong.count(big, threads=1), s.reps(7)
    )
    s.add(w, "plain vectorised read (numpy uint64 sum)", t_read, len(big), None, None, None)
    _, t2, r12 = paired_times(
        lambda: shortlong.count(big, threads=1),
        lambda: shortlong.count(big, threads=2),
        s.reps(7),
    )
    s.add(
        w,
        "shortlong.count(bytes, threads=1)",
        t1,
        len(big),
        one,
        one,
        None,
        f"{r_read:.2f}x the read's speed (median of paired runs)",
    )
    s.add(
        w,
        "shortlong.count(bytes, threads=2)",
        t2,
        len(big),
        shortlong.count(big, threads=2),
        one,
        None,
        f"{r12:.2f}x one thread (median of paired runs)",
    )
    return s.rows, machine()


def machine() -> dict[str, Any]:
    flags: list[str] = []
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                wanted = {"sse2", "avx2", "bmi2", "avx512f", "avx512bw", "avx512vbmi2"}
                flags = sorted(wanted & set(line.split(":", 1)[1].split()))
                break
    except OSError:
        pass
    versions = {"python": platform.python_version(), "shortlong": shortlong.__version__}
    for mod in ("numpy", "pyarrow", "polars", "cffi"):
        with contextlib.suppress(ImportError):
            versions[mod] = __import__(mod).__version__
    with contextlib.suppress(OSError):
        versions["rustc"] = subprocess.run(
            ["rustc", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    return {
        "cpu": cpu_model(),
        "flags": flags,
        "cores": os.cpu_count(),
        "backend": shortlong.backend(),
        "versions": versions,
        "command": "make bench",
        "date": time.strftime("%Y-%m-%d"),
    }


def markdown(rows: list[dict[str, Any]], m: dict[str, Any]) -> str:
    out = [
        f"Machine: {m['cpu']}, {m['cores']} cores, flags {' '.join(m['flags'])}; "
        f"backend {m['backend']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        f"Command: `{m['command']}` ({m['date']}); medians of repeated runs, all in one run.",
        "",
        "| workload | implementation | median | MB/s | vs reference | same result | note |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for r in rows:
        ratio = f"{r['vs_reference']:.1f}x" if r["vs_reference"] else ""
        same = "yes" if r["same_as_reference"] else "**no**"
        out.append(
            f"| {r['workload']} | {r['implementation']} | {r['median_s'] * 1e3:.3f} ms | "
            f"{r['MB_per_s']:.0f} | {ratio} | {same} | {r['note']} |"
        )
    return "\n".join(out) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer repetitions")
    p.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = p.parse_args()
    if not (DATA / "formalSentences.txt").exists():
        print(f"make bench: the data files are not at {DATA} (see README)", file=sys.stderr)
        return 2
    rows, m = run(args.quick)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"machine": m, "results": rows}, indent=2))
    (out / "results.md").write_text(markdown(rows, m))
    print(f"\nwrote {out / 'results.md'} and {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
