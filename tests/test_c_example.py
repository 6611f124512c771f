"""The C example (examples/c/count_file.c), built by `make c-example`: its
output against the reference, its errors, and valgrind's verdict."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import data_file, reference_counts

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = Path(os.environ.get("SHORTLONG_C_EXAMPLE", ROOT / "examples" / "c" / "count_file"))

pytestmark = pytest.mark.skipif(
    "SHORTLONG_C_EXAMPLE" not in os.environ and not EXAMPLE.exists(),
    reason="C example not built (run `make test`, which builds it)",
)


def expected(text: str) -> dict[str, float]:
    w, i, lg = reference_counts(text)
    return {"words": w, "ignored": i, "long": lg, "fraction": lg / (w - i)}


def parse(stdout: str) -> dict[str, float]:
    """`words=N ignored=N long=N fraction=F` (F printed with %.17g: exact)."""
    return {k: float(v) for k, v in (f.split("=") for f in stdout.split())}


def test_counts_the_sample_like_the_reference() -> None:
    path = data_file("formalSentences.txt")
    r = subprocess.run([str(EXAMPLE), str(path)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert parse(r.stdout) == expected(path.read_text(encoding="utf-8"))


def test_multibyte_text_across_chunk_boundaries(tmp_path: Path) -> None:
    # Far more than one 64 KiB chunk of multi-byte text, so that characters
    # and words straddle chunk boundaries.
    text = ("encyclopédie\u3000жжжжжжжжж the 😀😀😀😀😀😀😀😀 a\u2029x " * 9000)[:-1]
    path = tmp_path / "multi.txt"
    path.write_text(text, encoding="utf-8")
    r = subprocess.run([str(EXAMPLE), str(path)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert parse(r.stdout) == expected(text)


def test_errors_and_exit_codes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"x" * 70000 + b" \xe2\x82")
    r = subprocess.run([str(EXAMPLE), str(bad)], capture_output=True, text=True, check=False)
    assert r.returncode == 2
    assert "invalid UTF-8 at byte offset 70001 (2 bytes)" in r.stderr
    r = subprocess.run([str(EXAMPLE), str(tmp_path / "nope")], capture_output=True, text=True)
    assert r.returncode == 1 and "No such file" in r.stderr
    r = subprocess.run([str(EXAMPLE)], input="the a", capture_output=True, text=True)
    assert (r.returncode, r.stdout) == (3, "words=2 ignored=2 long=0 fraction=none\n")


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_valgrind_finds_no_errors_or_leaks(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes("ünïcödé words ".encode() * 5000 + b"\xff")
    for arg in [str(data_file("formalSentences.txt")), str(bad)]:
        r = subprocess.run(
            [
                "valgrind",
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect",
                "-q",
                str(EXAMPLE),
                arg,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert r.returncode in (0, 2), r.stderr
        assert "definitely lost" not in r.stderr and "indirectly lost" not in r.stderr
