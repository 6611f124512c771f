"""The Python door: what users pass gets a right answer or a clear error.

Each test here is one class of input that once gave a wrong answer, a
crash or a misleading error (issue 16); the numbers in the names are that
issue's items.
"""

from __future__ import annotations

import array
import mmap
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shortlong
from conftest import data_file, reference_counts
from shortlong import _ffi, _files

TEXT = "the Encyclopedia of a thing and the Britannica"
WANT = reference_counts(TEXT)


# --- 1. files whose size reads as 0 ----------------------------------------


def test_1_a_fifo_is_read_to_its_end(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def writer() -> None:
        with open(fifo, "w") as f:
            f.write(TEXT * 1000)

    t = threading.Thread(target=writer)
    t.start()
    got = shortlong.count_file(fifo)
    t.join()
    assert tuple(got) == reference_counts(TEXT * 1000)


def test_1_proc_files_are_read_to_their_end() -> None:
    path = Path("/proc/version")
    if not path.exists():
        pytest.skip("no /proc")
    assert os.stat(path).st_size == 0
    assert tuple(shortlong.count_file(path)) == reference_counts(path.read_text())
    assert shortlong.count_file(path).words > 0


def test_1_a_pipe_given_as_dev_stdin_to_the_command() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "shortlong", "/dev/stdin"],
        input=TEXT.encode(),
        capture_output=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    w, i, lg = WANT
    assert f"words={w} ignored={i} long={lg}" in r.stdout.decode()


def test_1_a_pipe_larger_than_a_chunk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Chunks of 64 KiB and a text cut anywhere: the stream's counts are the
    # whole text's.
    monkeypatch.setattr(_files, "CHUNK", 1 << 16)
    text = ("\u3000".join(["caf\xe9", "the", "\u20acuro" * 7, "a"]) + " ") * 30_000
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def writer() -> None:
        with open(fifo, "wb") as f:
            f.write(text.encode())

    t = threading.Thread(target=writer)
    t.start()
    got = shortlong.count_file(fifo)
    t.join()
    assert tuple(got) == reference_counts(text)


# --- 2. a bytes subclass with its own __len__ ------------------------------


@pytest.mark.parametrize("fake", [0, 5, 10**6, 10**8])
def test_2_the_length_comes_from_the_buffer_not_len(fake: int) -> None:
    class Lying(bytes):
        def __len__(self) -> int:
            return fake

    data = Lying(TEXT.encode())
    assert tuple(shortlong.count(data)) == WANT
    assert shortlong.short_long(data) == shortlong.short_long(TEXT)
    assert tuple(shortlong.count(data, longer_than=3)) == reference_counts(TEXT, 3)
    r = shortlong.count_many([data, Lying(b"x" * 5000)])
    assert r.words.tolist() == [WANT[0], 1]


def test_2_a_str_subclass_is_counted_as_the_str_it_holds() -> None:
    class Lying(str):
        def __len__(self) -> int:
            return 10**8

        def encode(self, *args: Any, **kwargs: Any) -> bytes:
            return b""

    assert tuple(shortlong.count(Lying(TEXT))) == WANT
    assert tuple(shortlong.count(Lying(TEXT * 100))) == reference_counts(TEXT * 100)
    assert shortlong.count_many([Lying(TEXT)]).words.tolist() == [WANT[0]]


# --- 3. buffers of other items than bytes ----------------------------------


@pytest.mark.parametrize(
    "obj, fmt",
    [
        (np.int64(5), "'l'"),
        (np.array(["the Encyclopedia"]), "'<16w'|'16w'"),
        # 'w' is 3.13's name for what 'u' was (deprecated there).
        (array.array("w" if sys.version_info >= (3, 13) else "u", "the Encyclopedia"), "'u'|'w'"),
        (array.array("i", [1, 2, 3]), "'i'"),
        (np.zeros(4, dtype=np.float32), "'f'"),
    ],
)
def test_3_buffers_of_wider_items_are_refused(obj: Any, fmt: str) -> None:
    with pytest.raises(shortlong.ArgumentTypeError, match=f"format ({fmt})"):
        shortlong.count(obj)
    with pytest.raises(shortlong.ArgumentTypeError, match="format"):
        shortlong.count_many([obj])


def test_3_buffers_of_single_bytes_are_read() -> None:
    raw = TEXT.encode()
    for obj in (
        bytearray(raw),
        memoryview(raw),
        np.frombuffer(raw, dtype=np.uint8),
        np.frombuffer(raw, dtype=np.int8),
        memoryview(raw).cast("c"),
        array.array("B", raw),
        np.frombuffer(raw, dtype=np.uint8).reshape(2, -1) if len(raw) % 2 == 0 else raw,
    ):
        assert tuple(shortlong.count(obj)) == WANT, type(obj)


def test_3_a_strided_buffer_is_refused() -> None:
    strided = np.frombuffer(TEXT.encode() * 2, dtype=np.uint8)[::2]
    with pytest.raises(shortlong.ArgumentTypeError, match="not C-contiguous"):
        shortlong.count(strided)


# --- 4. a file that shrinks while it is counted -----------------------------


def test_4_a_file_cut_between_reads_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(_files, "CHUNK", 1 << 16)
    path = tmp_path / "shrinks.txt"
    path.write_text(TEXT * 10_000)
    reads = 0

    class Cutting(__import__("io").FileIO):  # type: ignore[misc]
        def readinto(self, b: Any) -> int | None:
            nonlocal reads
            reads += 1
            if reads == 2:
                os.truncate(path, 100_000)
            return super().readinto(b)

    monkeypatch.setattr(_files, "open", lambda name, *a, **k: Cutting(name, "rb"), raising=False)
    with pytest.raises(shortlong.FileChangedError, match="changed size") as info:
        shortlong.count_file(path)
    assert isinstance(info.value, OSError)
    assert info.value.filename == str(path)
    assert "460000 bytes when opened, 100000 read" in str(info.value)


def test_4_a_file_that_grows_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "grows.txt"
    path.write_text(TEXT)

    class Growing(__import__("io").FileIO):  # type: ignore[misc]
        def readinto(self, b: Any) -> int | None:
            with open(path, "a") as f:
                f.write(" more")
            return super().readinto(b)

    monkeypatch.setattr(_files, "open", lambda name, *a, **k: Growing(name, "rb"), raising=False)
    with pytest.raises(shortlong.FileChangedError):
        shortlong.count_file(path)


def test_4_truncating_a_file_while_another_thread_counts_it_never_kills(tmp_path: Path) -> None:
    # A race on purpose: the count either sees the whole file, or sees it
    # change. Counting a mapped file died of SIGBUS here; the child process
    # keeps a crash from taking the test run with it.
    path = tmp_path / "racy.txt"
    code = f"""
import os, random, threading, time, shortlong
path = {str(path)!r}
text = ("the Encyclopedia of a thing " * 40 + "\\n").encode() * 50_000
outcomes = set()
for i in range(12):
    with open(path, "wb") as f:
        f.write(text)
    cut = threading.Thread(target=lambda: (time.sleep(random.uniform(0, 0.01)),
                                          os.truncate(path, 1000)))
    cut.start()
    try:
        c = shortlong.count_file(path, threads=1)
        assert c.words in (text.count(b" "), 0) or c.words < 300, c
        outcomes.add("counted")
    except shortlong.FileChangedError:
        outcomes.add("changed")
    cut.join()
print(sorted(outcomes))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])


# --- 5. pandas' python-backed strings ---------------------------------------


def test_5_pandas_python_strings_and_their_accessor() -> None:
    pd = pytest.importorskip("pandas")
    s = pd.Series([TEXT, None, "a b", "\ud800 lone"], dtype="string[python]")
    df = shortlong.count_many(s)
    assert df["words"].tolist() == [WANT[0], pd.NA, 2, 2]
    assert df.index.equals(s.index)
    assert s.shortlong.count()["long"].tolist() == [WANT[2], pd.NA, 0, 0]


# --- 6. count_file takes paths only ------------------------------------------


@pytest.mark.parametrize("bad", [0, 1, True, 2.5, None])
def test_6_count_file_refuses_what_is_not_a_path(bad: Any) -> None:
    r, w = os.pipe()
    try:
        with pytest.raises(shortlong.ArgumentTypeError, match="path must be"):
            shortlong.count_file(bad)
        # Nothing was closed: the pipe and stdout still work.
        os.write(w, b"x")
        assert os.read(r, 1) == b"x"
        os.fstat(1)
    finally:
        os.close(r)
        os.close(w)


def test_6_count_file_takes_str_bytes_and_pathlike(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text(TEXT)
    for p in (path, str(path), os.fsencode(path)):
        assert tuple(shortlong.count_file(p)) == WANT


# --- 7. count_many reads bytes-like rows in place ----------------------------


def test_7_large_bytes_like_rows_are_not_copied(tmp_path: Path) -> None:
    tracemalloc = pytest.importorskip("tracemalloc")  # PyPy has none that works
    if not hasattr(tracemalloc, "get_traced_memory"):
        pytest.skip("no tracemalloc here")
    size = 48 << 20
    rows: list[Any] = [bytearray(b"word " * (size // 5)), memoryview(b"long" * (size // 4))]
    path = tmp_path / "mapped.txt"
    path.write_bytes(b"mapped text " * (size // 12))
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        rows.append(mm)
        rows.append(b"big bytes " * (size // 10))
        tracemalloc.start()
        try:
            r = shortlong.count_many(rows)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < (4 << 20), f"count_many allocated {peak} bytes"
        assert r.words.tolist() == [size // 5, 1, 2 * (size // 12), 2 * (size // 10)]
        mm.close()  # no buffer export is left behind


# --- 8. option errors from count_file ------------------------------------------


def test_8_count_file_option_errors_are_option_errors(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text(TEXT)
    for bad in ({"longer_than": -1}, {"ignore": ("",)}, {"errors": "nope"}, {"threads": 0}):
        with pytest.raises(shortlong.OptionError):
            shortlong.count_file(path, **bad)
    with pytest.raises(shortlong.ArgumentTypeError):
        shortlong.count_file(path, longer_than="8")


# --- 9. invalid UTF-8 in Arrow string arrays -----------------------------------


@pytest.mark.parametrize("kind", ["string", "large_string", "string_view"])
def test_9_arrow_decode_errors_carry_the_row_and_offset(kind: str) -> None:
    pa = pytest.importorskip("pyarrow")
    binary = {"string": pa.binary(), "large_string": pa.large_binary()}.get(kind)
    raw = [b"fine", None, b"caf\xc3 au lait", b"ok \xff"]
    if binary is None:
        arr = pa.array(raw, pa.binary_view()).view(pa.string_view())
    else:
        arr = pa.array(raw, binary).view(getattr(pa, kind)())
    for col in (arr, pa.chunked_array([arr.slice(0, 2), arr.slice(2)])):
        with pytest.raises(shortlong.BatchDecodeError) as info:
            shortlong.count_many(col)
        e = info.value
        assert (e.row, e.rows, e.offset) == (2, [2, 3], 3)
        assert e.object == b"caf\xc3 au lait"
        assert e.reason == "invalid continuation byte"
        with pytest.raises(UnicodeDecodeError) as py:
            e.object.decode()
        assert (py.value.start, py.value.reason) == (e.start, e.reason)
        assert e.partial.column("words").to_pylist() == [1, None, None, None]


# --- 10. pandas' missing values --------------------------------------------


def test_10_pd_na_and_nan_are_missing_rows() -> None:
    pd = pytest.importorskip("pandas")
    s = pd.Series([TEXT, pd.NA, None, float("nan"), np.nan, "a"], dtype=object)
    assert shortlong.count_many(s)["words"].tolist() == [WANT[0], *[pd.NA] * 4, 1]
    r = shortlong.count_many([pd.NA, TEXT])
    assert r.null.tolist() == [True, False]


# --- 11. containers that are not a column ------------------------------------


def test_11_tables_frames_and_scalars_say_what_to_pass() -> None:
    pa = pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    for obj in (
        pa.table({"text": [TEXT]}),
        pa.record_batch({"text": [TEXT]}),
        pd.DataFrame({"text": [TEXT]}),
        pl.DataFrame({"text": [TEXT]}),
    ):
        with pytest.raises(shortlong.ArgumentTypeError, match=r"one column.*data\['text'\]"):
            shortlong.count_many(obj)
    with pytest.raises(shortlong.ArgumentTypeError, match=r"shortlong\.count"):
        shortlong.count_many(pa.scalar(TEXT))


def test_11_an_all_null_arrow_array_gives_null_rows() -> None:
    pa = pytest.importorskip("pyarrow")
    t = shortlong.count_many(pa.array([None, None]))
    assert t.column("words").to_pylist() == [None, None]
    assert t.column("fraction").to_pylist() == [None, None]


# --- 12. the command at the edges ---------------------------------------------


def _cli(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "shortlong", *args], capture_output=True, check=False, **kwargs
    )


def test_12_output_into_a_closed_pipe(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text(TEXT)
    p = subprocess.Popen(
        [sys.executable, "-m", "shortlong", *[str(path)] * 5000],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert p.stdout is not None
    p.stdout.read(1)
    p.stdout.close()
    _, err = p.communicate(timeout=60)
    assert p.returncode == 141
    assert b"Traceback" not in err and b"Exception ignored" not in err, err


def test_12_a_full_disk_and_a_closed_stdin(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text(TEXT)
    if os.path.exists("/dev/full"):
        with open("/dev/full", "wb") as full:
            r = subprocess.run(
                [sys.executable, "-m", "shortlong", str(path)],
                stdout=full,
                stderr=subprocess.PIPE,
                check=False,
            )
        assert r.returncode == 1
        assert r.stderr.decode().strip() == (
            "shortlong: cannot write the output: No space left on device"
        )
    r = subprocess.run(
        [sys.executable, "-m", "shortlong", "-"],
        capture_output=True,
        check=False,
        preexec_fn=lambda: os.close(0),
    )
    assert r.returncode == 1
    assert r.stderr.decode().strip() == "shortlong: -: standard input is closed"


def test_12_the_hint_names_the_commands_option_and_names_stay_on_one_line(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad\nname.txt"
    bad.write_bytes(b"words \xff")
    r = _cli(str(bad))
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "pass --errors replace" in err and 'errors="replace"' not in err
    assert err.count("\n") == 1 and "bad\\nname.txt" in err
    good = tmp_path / "good\nname.txt"
    good.write_text(TEXT)
    out = _cli(str(good)).stdout.decode()
    assert out.count("\n") == 1 and "good\\nname.txt" in out


def test_12_ctrl_c_ends_quietly(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    p = subprocess.Popen(
        [sys.executable, "-m", "shortlong", str(fifo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    with open(fifo, "wb") as w:  # the command is now blocked reading the FIFO
        w.write(b"some words ")
        w.flush()

        time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=30)
    assert p.returncode == 130
    assert err.decode().strip() == "shortlong: interrupted", err


# --- the in-place str path on every CPython -----------------------------------


def test_strs_are_read_in_place_on_cpython() -> None:
    if sys.implementation.name != "cpython":
        assert not _ffi.UNITS
        pytest.skip("reading a str in place is CPython's layout")
    assert _ffi.UNITS, f"the layout probe failed on {sys.version}"
    for text in ("ascii " * 300, "caf\xe9 " * 300, "\u20ac " * 300, "\U0001f600 " * 300):
        s = _ffi.str_storage(text)
        assert s is not None
        assert tuple(shortlong.count(text)) == reference_counts(text)


def test_the_reference_module_is_the_definition() -> None:
    from shortlong import reference

    assert reference.split("a\u180eb c\x1cd") == ["a\u180eb", "c", "d"]
    assert reference.counts(TEXT) == tuple(shortlong.count(TEXT))
    text = data_file("formalSentences.txt").read_text()
    assert reference.short_long(text) == shortlong.short_long(text)
