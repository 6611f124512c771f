"""shortlong against the pure-Python reference: hand-picked, generated and real text."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
import shortlong
from conftest import data_file, reference_counts, reference_short_long, wiki_pages
from hypothesis import example, given, settings
from hypothesis import strategies as st

SPACES = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
LOOK_ALIKES = ["\u180e", "\u200b", "\ufeff", "\u2060", "\x00", "\x7f", "\x1b"]


def test_the_whitespace_set_is_pythons() -> None:
    assert len(SPACES) == 29
    text = "x".join(SPACES)
    assert shortlong.count(text).words == len(text.split()) == 28
    for ch in LOOK_ALIKES:
        assert shortlong.count(f"a{ch}b").words == 1


pieces = st.one_of(
    st.sampled_from(SPACES),
    st.sampled_from(LOOK_ALIKES),
    st.sampled_from(["the", "a", "The", "A", "then", "encyclopedia", "encyclopé"]),
    st.characters(categories=["Cs"]),  # lone surrogates
    st.characters(min_codepoint=0x10000),  # astral
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    st.text(alphabet="abcdéжж中😀", min_size=7, max_size=11),  # around the threshold
)
texts = st.lists(pieces, max_size=60).map("".join)


@settings(max_examples=1500, deadline=None)
@given(texts)
@example("")
@example("the a")
@example("\ud800" * 9)
@example("\ud83d\ude00" * 5)  # a surrogate *pair* in a str is two code points
def test_str_matches_the_reference(text: str) -> None:
    assert_matches_reference(text)


def assert_matches_reference(text: str) -> None:
    """count and short_long of `text` equal the reference's, errors included."""
    assert tuple(shortlong.count(text)) == reference_counts(text)
    try:
        ref = reference_short_long(text)
    except ZeroDivisionError:
        with pytest.raises(shortlong.NoWordsError):
            shortlong.short_long(text)
    else:
        got = shortlong.short_long(text)
        assert got == ref and math.copysign(1, got) == math.copysign(1, ref)


# Long strs are counted in CPython's own storage (1, 2 or 4 bytes per code
# point, or the bytes of an ASCII str) instead of being encoded first.
long_texts = st.tuples(
    st.lists(texts, min_size=1, max_size=8),
    st.sampled_from(["", "\xe9", "\u20ac", "\U0001f600"]),  # sets the storage width
    st.integers(min_value=1024, max_value=40_000),
).map(lambda t: ((" ".join(t[0]) or "x") * (t[2] + 1))[: t[2]] + t[1])


@settings(max_examples=300, deadline=None)
@given(long_texts)
@example("a " * 600)
@example("\ud800\xe9 " * 700)
@example(("encyclop\xe9dia \u3000" + "\U0001f600" * 9 + " the a\x85") * 200)
def test_long_strs_in_their_own_storage_match_the_reference(text: str) -> None:
    assert_matches_reference(text)
    assert tuple(shortlong.count(text, longer_than=3, ignore=("a", "\xe9"))) == reference_counts(
        text, 3, ["a", "\xe9"]
    )


def test_large_strs_in_their_own_storage_on_threads() -> None:
    # 1 MiB of storage or more is cut after whitespace and counted on threads.
    for width_char in ("", "\xe9", "\u20ac", "\U0001f600"):
        text = ("encyclop\xe9dia the \u3000a\x85 " + width_char + "wordwordwo ") * 40_000
        expected = reference_counts(text)
        for threads in (1, 2, 3, None):
            assert tuple(shortlong.count(text, threads=threads)) == expected


def test_str_storage_is_read_in_place_on_cpython() -> None:
    from shortlong import _ffi

    if sys.implementation.name != "cpython":
        pytest.skip("only CPython's str storage is read in place")
    assert _ffi.UNITS
    for text, width in (
        ("ab " * 500, 0),
        ("\xe9 " * 500, 1),
        ("\u20ac " * 500, 2),
        ("\U0001f600 " * 500, 4),
    ):
        units = _ffi.str_units(text)
        assert units is not None and units[1:] == (len(text) * max(width, 1), width)

    class Sub(str):
        pass

    # A subclass is encoded instead, with the same result.
    text = "encyclop\xe9dia the " * 200
    assert (
        shortlong.count(Sub(text))
        == shortlong.count(text)
        == shortlong.WordCounts(*reference_counts(text))
    )


@settings(max_examples=1000, deadline=None)
@given(texts.filter(lambda t: not any("\ud800" <= c <= "\udfff" for c in t)))
def test_utf8_bytes_like_inputs_match_the_str(text: str) -> None:
    b = text.encode()
    expected = reference_counts(text)
    for data in (b, bytearray(b), memoryview(b)):
        assert tuple(shortlong.count(data)) == expected


@settings(max_examples=1000, deadline=None)
@given(
    texts,
    st.integers(min_value=0, max_value=12),
    st.lists(st.sampled_from(["the", "a", "The", "é", "\ud800", "😀", "abc"]), max_size=4),
)
def test_other_thresholds_and_ignore_lists(text: str, n: int, ignore: list[str]) -> None:
    got = shortlong.count(text, longer_than=n, ignore=ignore)
    assert tuple(got) == reference_counts(text, n, ignore)


byte_soup = st.lists(
    st.one_of(
        st.binary(max_size=6),
        st.sampled_from([b" ", b"the", b"a", b"\xed\xa0\x80", b"\xe2\x80\xa8", b"\xc2\xa0"]),
        st.sampled_from([b"\xe2\x82", b"\xf0\x9f\x98", b"\xc0", b"\xff", b"\x80"]),
    ),
    max_size=30,
).map(b"".join)


@settings(max_examples=1500, deadline=None)
@given(byte_soup)
def test_bytes_errors_match_pythons_decoder(data: bytes) -> None:
    replaced = data.decode("utf-8", "replace")
    ignore = ["the", "a", "\ufffd"]
    got = shortlong.count(data, errors="replace", ignore=ignore)
    assert tuple(got) == reference_counts(replaced, 8, ignore)
    for handler in ("strict", "surrogatepass"):
        try:
            text = data.decode("utf-8", handler)
        except UnicodeDecodeError as exc:
            with pytest.raises(shortlong.DecodeError) as info:
                shortlong.count(data, errors=handler)
            e = info.value
            assert (e.start, e.end, e.reason, e.offset) == (
                exc.start,
                exc.end,
                exc.reason,
                exc.start,
            )
            assert e.object == data
        else:
            assert tuple(shortlong.count(data, errors=handler)) == reference_counts(text)


def test_the_articles_sample_exactly() -> None:
    path = data_file("formalSentences.txt")
    text = path.read_text(encoding="utf-8")
    c = shortlong.count(text)
    assert c == shortlong.WordCounts(words=185_796, ignored=14_904, long=23_220)
    assert tuple(c) == reference_counts(text)
    assert shortlong.short_long(text) == reference_short_long(text) == 0.13587528965662524
    assert shortlong.count(path.read_bytes()) == c


def test_every_enwiki_page_exactly() -> None:
    pages = wiki_pages("enwiki-sample.xml.bz2")
    assert len(pages) == 206
    for title, text in pages:
        expected = reference_counts(text)
        assert tuple(shortlong.count(text)) == expected, title
        assert tuple(shortlong.count(text.encode())) == expected, title


def test_the_stop_word_list_on_real_text() -> None:
    """The 150 stop words of the benchmark (the vector lookup of large
    lists), with every threshold that makes some of them long, on the
    article's sample and every enwiki and bgwiki page, as str and bytes."""
    stop = (Path(__file__).parent.parent / "bench" / "stopwords.txt").read_text().split()
    texts = [data_file("formalSentences.txt").read_text(encoding="utf-8")]
    texts += [t for _, t in wiki_pages("enwiki-sample.xml.bz2")]
    texts += [t for _, t in wiki_pages("bgwiki-sample.xml.bz2")]
    for n in (2, 5, 8):
        for text in texts:
            expected = reference_counts(text, n, stop)
            assert tuple(shortlong.count(text, longer_than=n, ignore=stop)) == expected
            assert tuple(shortlong.count(text.encode(), longer_than=n, ignore=stop)) == expected


def test_bgwiki_cyrillic_pages_exactly() -> None:
    pages = wiki_pages("bgwiki-sample.xml.bz2")
    assert pages
    for title, text in pages:
        assert tuple(shortlong.count(text)) == reference_counts(text), title
