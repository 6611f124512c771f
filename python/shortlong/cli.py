"""The ``shortlong`` command: count files (or standard input) and print the
counts and the fraction for each.

A file that is missing, unreadable or not UTF-8 gets a one-line error on
stderr; the other files are still reported, and the exit status is 1. The
command ends without a traceback when its output is closed (``| head``:
status 141, as a command killed by SIGPIPE), cannot be written (a full
disk: status 1) or the user presses Ctrl-C (status 130).
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from . import DEFAULT_IGNORE, DecodeError, Error, WordCounts, __version__, _files, _options


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


def _count_path(path: str, opts: Any) -> WordCounts:
    if path == "-":
        if sys.stdin is None:
            raise OSError(errno.EBADF, "standard input is closed")
        return WordCounts(*_files.count_stream(sys.stdin.buffer, opts, 0))
    return WordCounts(*_files.count_path(path, opts, 0))


def _shown(path: str) -> str:
    """A file name as one printable line: quoted and escaped (as ``repr``)
    when it holds a newline, another control character or undecodable bytes."""
    return path if path.isprintable() else repr(path)


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
    return f"{_shown(path)}: words={c.words} ignored={c.ignored} long={c.long} fraction={shown}"


def _error(path: str, exc: BaseException) -> str:
    if isinstance(exc, DecodeError):
        exc.hint = "pass --errors replace to count each invalid sequence as U+FFFD"
    if isinstance(exc, OSError) and not isinstance(exc, Error):
        return f"shortlong: {_shown(path)}: {exc.strerror or exc}"
    return f"shortlong: {_shown(path)}: {exc}"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("shortlong: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`). Point stdout at /dev/null so that
        # the interpreter's own flush at exit cannot fail again.
        _quiet_stdout()
        return 128 + 13  # as a command killed by SIGPIPE
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EIO, errno.EBADF, errno.EFBIG):
            _quiet_stdout()
            print(f"shortlong: cannot write the output: {exc.strerror}", file=sys.stderr)
            return 1
        raise


def _quiet_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    ignore: tuple[str, ...] = (
        () if args.no_ignore else tuple(args.ignore) if args.ignore else DEFAULT_IGNORE
    )
    try:
        # A bad option fails every file alike: say so once.
        opts = _options.options(args.longer_than, ignore, args.errors, False)
    except Error as exc:
        print(f"shortlong: {exc}", file=sys.stderr)
        return 2
    if sys.stdout is None:
        print("shortlong: standard output is closed", file=sys.stderr)
        return 1
    status = 0
    for path in args.files:
        try:
            c = _count_path(path, opts)
        except (OSError, Error) as exc:
            print(_error(path, exc), file=sys.stderr)
            status = 1
            continue
        print(_format(path, c, args.json), flush=True)
    return status
