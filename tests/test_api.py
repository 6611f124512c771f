"""The Python API contract: types, records, errors, bad input."""

from __future__ import annotations

import mmap
import os
import pickle
import tempfile
from pathlib import Path

import pytest
import shortlong
from shortlong import WordCounts


def test_word_counts_is_an_immutable_picklable_record() -> None:
    c = shortlong.count("the Encyclopedia of a thing")
    assert c == WordCounts(words=5, ignored=2, long=1)
    assert repr(c) == "WordCounts(words=5, ignored=2, long=1)"
    assert pickle.loads(pickle.dumps(c)) == c
    assert c.fraction == 1 / 3 == shortlong.short_long("the Encyclopedia of a thing")
    with pytest.raises(AttributeError):
        c.words = 3  # type: ignore[misc]
    assert all(type(v) is int for v in c)


def test_no_words_is_a_zero_division_error() -> None:
    for text in ["", "   ", "the a the", "\u3000"]:
        with pytest.raises(shortlong.NoWordsError, match="no words remain"):
            shortlong.short_long(text)
        with pytest.raises(ZeroDivisionError):
            _ = shortlong.count(text).fraction
    assert issubclass(shortlong.NoWordsError, shortlong.Error)


def test_mmap_input_and_closing_after_an_error() -> None:
    with tempfile.TemporaryFile() as f:
        f.write(b"encyclopedia the x \xff")
        f.flush()
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            assert shortlong.count(mm, errors="replace") == WordCounts(4, 1, 1)
            with pytest.raises(shortlong.DecodeError) as info:
                shortlong.count(mm)
            assert info.value.offset == 19
        # leaving the with-block closed the mmap: no export was left behind


def test_decode_error_is_a_unicode_decode_error_with_the_offset() -> None:
    with pytest.raises(UnicodeDecodeError) as info:
        shortlong.count(b"caf\xc3\xa9 na\xefve")
    e = info.value
    assert isinstance(e, shortlong.DecodeError) and isinstance(e, shortlong.Error)
    assert (e.start, e.end, e.offset, e.reason) == (8, 9, 8, "invalid continuation byte")
    assert "byte offset 8" in str(e)
    again = pickle.loads(pickle.dumps(e))
    assert (again.offset, again.start, again.object) == (8, 8, e.object)


def test_large_buffer_errors_carry_a_window_not_a_copy() -> None:
    data = bytearray(b"x " * (9 << 20))
    data[-3] = 0xFF
    with pytest.raises(shortlong.DecodeError) as info:
        shortlong.count(data)
    e = info.value
    assert e.offset == len(data) - 3
    assert len(e.object) < 200 and e.object[e.start : e.end] == b"\xff"


@pytest.mark.parametrize("text", [None, 3, 3.5, ["a"], object()])
def test_non_text_is_a_type_error(text: object) -> None:
    with pytest.raises(TypeError, match="text must be a str or a bytes-like"):
        shortlong.count(text)  # type: ignore[arg-type]
    with pytest.raises(shortlong.ArgumentTypeError):
        shortlong.short_long(text)  # type: ignore[arg-type]


def test_bad_options() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        shortlong.count("x", longer_than=-1)
    for bad in (1.5, "8", None, True):
        with pytest.raises(TypeError, match="longer_than must be an integer"):
            shortlong.count("x", longer_than=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"ignore entry 1 \(''\).*empty"):
        shortlong.count("x", ignore=["the", ""])
    for ws in ["a b", "x\u3000", "\x1c"]:
        with pytest.raises(shortlong.OptionError, match="whitespace"):
            shortlong.count("x", ignore=[ws])
    with pytest.raises(TypeError, match="not a single str"):
        shortlong.count("x", ignore="the")
    with pytest.raises(TypeError, match="ignore entry 0 must be a str"):
        shortlong.count("x", ignore=[b"the"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="collection of strings"):
        shortlong.count("x", ignore=5)  # type: ignore[arg-type]
    # A bad entry found after good calls with the same list (a cache of
    # checked lists must not let it through), hashable or not.
    for bad_entry in (7, ["a"]):
        shortlong.count("x", ignore=["the", "of"])
        with pytest.raises(TypeError, match="ignore entry 2 must be a str"):
            shortlong.count("x", ignore=["the", "of", bad_entry])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="errors must be"):
        shortlong.count(b"x", errors="ignore")


def test_ignore_lists_are_read_on_every_call() -> None:
    """The checked and encoded lists are cached by their contents: a list
    changed between calls, the same list with another threshold, and equal
    lists given as a list, tuple or set all count as given."""
    text = "of the people by the people for the people"
    stop = ["of", "by"]
    assert shortlong.count(text, ignore=stop).ignored == 2
    stop.append("for")
    assert shortlong.count(text, ignore=stop).ignored == 3
    stop[0] = "people"
    assert shortlong.count(text, ignore=stop).ignored == 5
    for given in (tuple(stop), set(stop), frozenset(stop), iter(stop)):
        assert shortlong.count(text, ignore=given).ignored == 5
    assert shortlong.count(text, longer_than=5, ignore=("of",)).long == 3
    assert shortlong.count(text, longer_than=6, ignore=("of",)).long == 0


def test_huge_thresholds_and_integer_likes() -> None:
    import numpy as np

    assert shortlong.count("encyclopedia", longer_than=10**30).long == 0
    assert shortlong.count("encyclopedia", longer_than=np.int64(3)).long == 1
    assert shortlong.count("encyclopedia", longer_than=np.int64(8)).long == 1
    assert shortlong.count("encyclopedia", longer_than=12).long == 0
    assert shortlong.count("encyclopedia", longer_than=0, ignore=()).long == 1


def test_str_ignores_errors_but_checks_it() -> None:
    # A str is always decodable; errors only matters for bytes.
    assert shortlong.count("\udcff x", errors="strict").words == 2
    with pytest.raises(ValueError):
        shortlong.count("x", errors="bogus")


def test_version_matches_the_native_library_and_cargo() -> None:
    import re
    from pathlib import Path

    from shortlong import _ffi

    assert _ffi._native_version == shortlong.__version__
    cargo = (Path(__file__).parent.parent / "Cargo.toml").read_text()
    m = re.search(r'^version = "([^"]+)"', cargo, re.M)
    assert m and m.group(1) == shortlong.__version__


def test_no_cdata_leaks_into_results() -> None:
    c = shortlong.count(b"x y")
    assert type(c) is WordCounts and all(type(v) is int for v in c)
    assert type(shortlong.short_long("abcdefghij")) is float


def test_threads_never_change_the_result() -> None:
    unit = "the Encyclopédie\u3000жжжжжжжжжж a 😀😀😀😀😀😀😀😀😀\u2029x\x85\udc80 " * 50
    text = unit * (3 * (1 << 20) // len(unit.encode("utf-8", "surrogatepass")))
    want = shortlong.count(text, threads=1)
    from conftest import reference_counts

    assert tuple(want) == reference_counts(text)
    for threads in (None, 2, 3, 16):
        assert shortlong.count(text, threads=threads) == want
    assert shortlong.short_long(text, threads=2) == want.fraction
    # Options by position (the signature has no keyword-only parameters).
    assert shortlong.short_long(text, "strict", 2) == want.fraction
    data = bytearray(text.replace("\udc80", "").encode())
    data[len(data) // 2] = 0xFF
    with pytest.raises(shortlong.DecodeError) as one:
        shortlong.count(data, threads=1)
    with pytest.raises(shortlong.DecodeError) as two:
        shortlong.count(data, threads=2)
    assert one.value.offset == two.value.offset
    assert shortlong.count(data, threads=2, errors="replace") == shortlong.count(
        data, threads=1, errors="replace"
    )


def test_bad_threads() -> None:
    for bad in (0, -1):
        with pytest.raises(ValueError, match="threads must be >= 1"):
            shortlong.count("x", threads=bad)
    for bad in (1.5, "2", True):
        with pytest.raises(TypeError, match="threads must be an integer"):
            shortlong.count("x", threads=bad)  # type: ignore[arg-type]


def test_count_file(tmp_path: Path) -> None:
    d = tmp_path
    (d / "a.txt").write_bytes("the Encyclopédie a\u3000x".encode())
    assert shortlong.count_file(d / "a.txt") == WordCounts(4, 2, 1)
    assert shortlong.count_file(str(d / "a.txt"), ignore=()) == WordCounts(4, 0, 1)
    (d / "empty.txt").write_bytes(b"")
    assert shortlong.count_file(d / "empty.txt") == WordCounts(0, 0, 0)
    (d / "bad.txt").write_bytes(b"ok \xff")
    with pytest.raises(shortlong.DecodeError) as info:
        shortlong.count_file(d / "bad.txt")
    assert info.value.offset == 3
    with pytest.raises(FileNotFoundError):
        shortlong.count_file(d / "missing.txt")


def test_backend_choice_and_a_bad_backend_setting() -> None:
    import subprocess
    import sys

    assert shortlong.backend() in ("avx512", "avx2", "sse2", "portable")
    code = "import shortlong; print(shortlong.backend(), tuple(shortlong.count('a bb')))"
    env = {**os.environ, "SHORTLONG_BACKEND": "portable"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.stdout == "portable (2, 1, 0)\n", r.stderr
    env["SHORTLONG_BACKEND"] = "bogus"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.endswith("(2, 1, 0)\n")
    assert 'SHORTLONG_BACKEND="bogus"' in r.stderr


def test_small_texts_packed_counts_and_their_limit() -> None:
    """Texts under SL_PACKED_MAX_LEN bytes get their counts packed in one
    integer and their records from a cache: the same values as the general
    path, at and past the limit, and records that are WordCounts."""
    from conftest import reference_counts

    limit = shortlong._PACKED_MAX_LEN
    for n in (limit - 1, limit):
        data = (b"a " * (n // 2 + 1))[:n]
        want = reference_counts(data.decode())
        assert tuple(shortlong.count(data)) == want
        assert tuple(shortlong.count(data.decode())) == want
        assert shortlong.count(data, threads=1) == want
    for _ in range(2):  # the second time from the cache
        c = shortlong.count("the Encyclopedia of a thing")
        assert type(c) is WordCounts and c == (5, 2, 1)
        assert shortlong.count(b"the Encyclopedia of a thing") == c
    # The cache of records stays bounded, whatever the counts seen.
    for k in range(1, shortlong._PACKED_CACHE_MAX + 100):
        assert shortlong.count(b"x " * k).words == k
    assert len(shortlong._packed_cache) <= shortlong._PACKED_CACHE_MAX
    # Not strict UTF-8 (lone surrogates; invalid bytes) leaves the packed path.
    assert shortlong.count("\udcff encyclopedia") == (2, 0, 1)
    assert shortlong.short_long("\udcff encyclopedia") == 0.5
    with pytest.raises(shortlong.DecodeError):
        shortlong.count(b"x \xff")
    with pytest.raises(shortlong.DecodeError):
        shortlong.short_long(b"x \xff")
