"""The ``shortlong`` command: count files (or standard input) and print the
counts and the fraction for each.

A file that is missing, unreadable or not UTF-8 gets a one-line error on
stderr; the other files are still reported, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from . import DEFAULT_IGNORE, Error, WordCounts, __version__, count, count_file


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="shortlong",
        description=(
            "Count the words of each FILE (text.split() semantics) and the fraction "
            "of words longer than N code points, ignoring some words."
        ),
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="a UTF-8 text file, or - for stdin")
    p.add_argument(
        "--longer-than",
        type=int,
        default=8,
        metavar="N",
        help="words with more than N code points are long (default: 8)",
    )
    p.add_argument(
        "--ignore",
        action="append",
        metavar="WORD",
        help='a word to ignore; repeat for more (default: "the" and "a")',
    )
    p.add_argument("--no-ignore", action="store_true", help="ignore no word")
    p.add_argument(
        "--errors",
        choices=("strict", "replace", "surrogatepass"),
        default="strict",
        help="what to do with bytes that are not UTF-8 (default: strict)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object per line")
    p.add_argument("--version", action="version", version=f"shortlong {__version__}")
    return p


def _count_path(path: str, **options: Any) -> WordCounts:
    if path == "-":
        return count(sys.stdin.buffer.read(), **options)
    return count_file(path, **options)


def _format(path: str, c: WordCounts, as_json: bool) -> str:
    remaining = c.words - c.ignored
    fraction = c.long / remaining if remaining else None
    if as_json:
        return json.dumps(
            {
                "file": path,
                "words": c.words,
                "ignored": c.ignored,
                "long": c.long,
                "fraction": fraction,
            }
        )
    shown = "none (no words remain)" if fraction is None else repr(fraction)
    return f"{path}: words={c.words} ignored={c.ignored} long={c.long} fraction={shown}"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    ignore: tuple[str, ...] = (
        () if args.no_ignore else tuple(args.ignore) if args.ignore else DEFAULT_IGNORE
    )
    options = {"longer_than": args.longer_than, "ignore": ignore, "errors": args.errors}
    try:
        count("", **options)  # a bad option fails every file alike: say so once
    except Error as exc:
        print(f"shortlong: {exc}", file=sys.stderr)
        return 2
    status = 0
    for path in args.files:
        try:
            c = _count_path(path, **options)
        except OSError as exc:
            print(f"shortlong: {path}: {exc.strerror or exc}", file=sys.stderr)
            status = 1
            continue
        except Error as exc:
            print(f"shortlong: {path}: {exc}", file=sys.stderr)
            status = 1
            continue
        print(_format(path, c, args.json), flush=True)
    return status
