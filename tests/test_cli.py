"""The `shortlong` command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import data_file, reference_counts


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shortlong", *args],
        input=stdin.decode("latin-1"),
        capture_output=True,
        text=True,
        encoding="latin-1",
        check=False,
    )


def test_counts_files_and_keeps_going_after_errors(tmp_path: Path) -> None:
    sample = data_file("formalSentences.txt")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine words \xff\xfe")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    r = run(str(bad), str(tmp_path / "missing.txt"), str(sample), str(empty), "--json")
    assert r.returncode == 1
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["file"] for row in rows] == [str(sample), str(empty)]
    w, i, lg = reference_counts(sample.read_text(encoding="utf-8"))
    assert (rows[0]["words"], rows[0]["ignored"], rows[0]["long"]) == (w, i, lg)
    assert rows[0]["fraction"] == 0.13587528965662524
    assert rows[1]["fraction"] is None
    err = r.stderr.splitlines()
    assert len(err) == 2
    assert "bad.txt: invalid UTF-8 at byte offset 11" in err[0]
    assert "missing.txt: No such file or directory" in err[1]


def test_stdin_options_and_text_output() -> None:
    r = run("-", "--longer-than", "2", "--ignore", "of", "--ignore", "the", stdin=b"of the people")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "-: words=3 ignored=2 long=1 fraction=1.0\n"
    r = run("-", "--no-ignore", "--errors", "replace", stdin=b"the \xff")
    assert r.stdout == "-: words=2 ignored=0 long=0 fraction=0.0\n"


def test_bad_option_is_one_line_and_exit_2() -> None:
    r = run("-", "--ignore", "a b")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "whitespace" in r.stderr
