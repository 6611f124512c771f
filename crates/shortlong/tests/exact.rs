//! The core against an independent naive reference: `str::split` on the
//! whitespace predicate, the way the article did it, minus its four bugs.

use proptest::prelude::*;
use shortlong::whitespace::{is_space, SPACES};
use shortlong::{count, count_str, Counter, Counts, Errors, Options};

/// Naive reference over Rust `char`s (no surrogates here).
fn naive(text: &str, longer_than: u64, ignore: &[&str]) -> Counts {
    let mut c = Counts::default();
    for w in text
        .split(|ch: char| is_space(ch as u32))
        .filter(|w| !w.is_empty())
    {
        c.words += 1;
        if ignore.contains(&w) {
            c.ignored += 1;
        } else if w.chars().count() as u64 > longer_than {
            c.long += 1;
        }
    }
    c
}

/// Property-test cases: `n`, or `SHORTLONG_PROPTEST_CASES` (the sanitizer
/// run uses fewer, since it is many times slower).
fn cases(n: u32) -> u32 {
    std::env::var("SHORTLONG_PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(n)
}

fn check(text: &str) {
    let got = count_str(text, &Options::default());
    assert_eq!(got, naive(text, 8, &["the", "a"]), "{text:?}");
}

fn spaces() -> Vec<char> {
    SPACES.iter().map(|&c| char::from_u32(c).unwrap()).collect()
}

#[test]
fn every_whitespace_code_point_separates_words() {
    for s in spaces() {
        let text = format!("one{s}two{s}{s}three{s}");
        let c = count_str(&text, &Options::default());
        assert_eq!(c.words, 3, "U+{:04X}", s as u32);
        check(&text);
        // Leading, trailing and only whitespace.
        assert_eq!(count_str(&format!("{s}{s}"), &Options::default()).words, 0);
        check(&format!("{s}x"));
    }
}

#[test]
fn look_alikes_are_not_whitespace() {
    for s in [
        '\u{180E}', '\u{200B}', '\u{FEFF}', '\u{0000}', '\u{007F}', '\u{2060}', '\u{3164}',
    ] {
        let text = format!("one{s}two");
        assert_eq!(
            count_str(&text, &Options::default()).words,
            1,
            "U+{:04X}",
            s as u32
        );
    }
}

#[test]
fn length_is_in_code_points_for_every_utf8_width() {
    // 8 code points is not long, 9 is, whatever the width of each.
    for ch in ['x', 'é', 'ж', '中', '€', '😀', '\u{10FFFF}'] {
        let eight: String = std::iter::repeat_n(ch, 8).collect();
        let nine: String = std::iter::repeat_n(ch, 9).collect();
        let c = count_str(&format!("{eight} {nine}"), &Options::default());
        assert_eq!((c.words, c.long), (2, 1), "{ch}");
        check(&format!("{eight}\u{3000}{nine}\u{85}"));
    }
    // Mixed widths in one word: 1+2+3+4 bytes, 9 code points.
    let mixed = "aé中😀aé中😀a";
    assert_eq!(mixed.chars().count(), 9);
    assert_eq!(count_str(mixed, &Options::default()).long, 1);
}

#[test]
fn ignored_words_next_to_every_whitespace() {
    for s in spaces() {
        for w in ["the", "a"] {
            let text = format!("{w}{s}{w}{s}The{s}A{s}then{s}x{w}");
            let c = count_str(&text, &Options::default());
            assert_eq!((c.words, c.ignored), (6, 2), "{text:?}");
            check(&text);
        }
    }
}

#[test]
fn empty_and_whitespace_only_have_no_words() {
    let o = Options::default();
    for text in [
        "",
        " ",
        "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f",
        "\u{a0}\u{3000}\u{2029}",
    ] {
        let c = count_str(text, &o);
        assert_eq!(c, Counts::default());
        assert_eq!(c.fraction(), None);
    }
    assert_eq!(count_str("the a the", &o).fraction(), None);
    assert_eq!(shortlong::short_long("a the"), None);
}

#[test]
fn the_article_sample_sentence() {
    let c = count_str("the Encyclopedia of a thing", &Options::default());
    assert_eq!(
        c,
        Counts {
            words: 5,
            ignored: 2,
            long: 1
        }
    );
    assert_eq!(c.fraction(), Some(1.0 / 3.0));
}

#[test]
fn other_thresholds_and_ignore_lists() {
    let text = "Of the people, by the people, for the people";
    let o = Options::new(2, ["the", "people,", "by"]).unwrap();
    assert_eq!(
        count_str(text, &o),
        naive(text, 2, &["the", "people,", "by"])
    );
    let o = Options::new(0, Vec::<&str>::new()).unwrap();
    assert_eq!(count_str(text, &o), naive(text, 0, &[]));
}

#[test]
fn surrogates_count_as_one_code_point_each() {
    // "\ud800" * 9 as Python's surrogatepass writes it: one long word.
    let word: Vec<u8> = std::iter::repeat_n(&b"\xED\xA0\x80"[..], 9)
        .flatten()
        .copied()
        .collect();
    let c = count(&word, &Options::default(), Errors::SurrogatePass).unwrap();
    assert_eq!((c.words, c.long), (1, 1));
    let e = count(&word, &Options::default(), Errors::Strict).unwrap_err();
    assert_eq!((e.offset, e.len), (0, 1));
    let ign = Options::new(8, [&b"\xED\xA0\x80"[..]]).unwrap();
    let c = count(b"\xED\xA0\x80 x", &ign, Errors::SurrogatePass).unwrap();
    assert_eq!((c.words, c.ignored), (2, 1));
}

#[test]
fn replace_counts_each_maximal_subpart_as_one_character() {
    let o = Options::default();
    // E2 82 is one subpart (one U+FFFD); ED A0 80 is three.
    let c = count(b"\xE2\x82abcdefg \xED\xA0\x80abcdef", &o, Errors::Replace).unwrap();
    assert_eq!((c.words, c.long), (2, 1));
    let e = count(b"abc\xE2\x82", &o, Errors::Strict).unwrap_err();
    assert_eq!(
        (e.offset, e.len, e.kind.reason()),
        (3, 2, "unexpected end of data")
    );
    // An ignore entry may contain U+FFFD and then matches a replaced word.
    let o = Options::new(8, ["\u{FFFD}x"]).unwrap();
    let c = count(b"\xFFx \xFF\xFEx", &o, Errors::Replace).unwrap();
    assert_eq!((c.words, c.ignored), (2, 1));
}

fn text_strategy() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("the".to_string()),
        Just("a".to_string()),
        Just("The".to_string()),
        Just("x".repeat(70)),
        proptest::sample::select(vec!["of", "to", "in", "that", "with", "abcdefghij", "xx"])
            .prop_map(String::from),
        "[a-z]{1,12}",
        "[é中😀ж\u{180E}\u{200B}\u{FEFF}x]{1,10}",
        proptest::sample::select(spaces()).prop_map(|c| c.to_string()),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    proptest::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

fn cuts(len: usize) -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0..=len, 0..8).prop_map(|mut v| {
        v.sort_unstable();
        v
    })
}

fn feed_cut(
    bytes: &[u8],
    cuts: &[usize],
    o: &Options,
    errors: Errors,
) -> Result<Counts, shortlong::Utf8Error> {
    let mut counter = Counter::new(o.clone(), errors);
    let mut prev = 0;
    for &c in cuts {
        counter.feed(&bytes[prev..c])?;
        prev = c;
    }
    counter.feed(&bytes[prev..])?;
    counter.finish()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(2000)))]

    #[test]
    fn whole_text_equals_naive(text in text_strategy(), n in 0u64..12) {
        let o = Options::new(n, ["the", "a", "é"]).unwrap();
        prop_assert_eq!(count_str(&text, &o), naive(&text, n, &["the", "a", "é"]));
    }

    #[test]
    fn stream_equals_whole_text_at_any_cuts(
        (text, cuts) in text_strategy().prop_flat_map(|t| { let n = t.len(); (Just(t), cuts(n)) })
    ) {
        let o = Options::new(8, ["the", "a", "é中"]).unwrap();
        let whole = count(text.as_bytes(), &o, Errors::Strict).unwrap();
        prop_assert_eq!(feed_cut(text.as_bytes(), &cuts, &o, Errors::Strict).unwrap(), whole);
    }

    #[test]
    fn stream_equals_whole_on_arbitrary_bytes(
        (bytes, cuts) in proptest::collection::vec(
            prop_oneof![any::<u8>(), Just(b' '), Just(0xED), Just(0xA0), Just(0x80), Just(b'a')], 0..64)
            .prop_flat_map(|b| { let n = b.len(); (Just(b), cuts(n)) }),
        errors in prop_oneof![Just(Errors::Strict), Just(Errors::Replace), Just(Errors::SurrogatePass)],
    ) {
        let o = Options::new(3, ["a", "\u{FFFD}", "\u{FFFD}a"]).unwrap();
        let whole = count(&bytes, &o, errors);
        prop_assert_eq!(feed_cut(&bytes, &cuts, &o, errors), whole);
        // Replace mode equals decoding first (Rust's lossy decoding follows
        // the same maximal-subpart rule as Python's).
        if errors == Errors::Replace {
            let text = String::from_utf8_lossy(&bytes);
            prop_assert_eq!(whole.unwrap(), naive(&text, 3, &["a", "\u{FFFD}", "\u{FFFD}a"]));
        }
        if errors == Errors::Strict {
            match std::str::from_utf8(&bytes) {
                Ok(s) => prop_assert_eq!(whole.unwrap(), naive(s, 3, &["a", "\u{FFFD}", "\u{FFFD}a"])),
                Err(e) => prop_assert_eq!(whole.unwrap_err().offset, e.valid_up_to() as u64),
            }
        }
    }
}

/// Every backend against the oracle, with the text placed at every offset
/// inside a larger buffer so that every alignment and tail length is hit.
fn all_backends_agree(text: &[u8], o: &Options, errors: Errors) {
    let want = shortlong::scalar::count(text, o, errors);
    let mut padded = vec![b'#'; text.len() + 130];
    for shift in [0usize, 1, 2, 3, 31, 63, 64, 65] {
        padded[shift..shift + text.len()].copy_from_slice(text);
        let t = &padded[shift..shift + text.len()];
        for b in shortlong::Backend::available() {
            let got = shortlong::count_with(b, t, o, errors);
            assert_eq!(
                got,
                want,
                "backend {b:?}, shift {shift}, text {:?}",
                String::from_utf8_lossy(text)
            );
        }
    }
}

#[test]
fn backends_on_the_seed_table() {
    let o = Options::default();
    let mut table: Vec<String> = vec![String::new(), " ".into(), "the".into(), "a b".into()];
    for s in spaces() {
        for w in ["the", "a", "encyclopedia", "é中😀abcdef", "ж"] {
            table.push(format!("{w}{s}{w}"));
            table.push(format!("{s}{w}{s}"));
        }
    }
    // Words that straddle every block boundary, and spaces that do.
    for len in [1usize, 7, 8, 9, 10, 62, 63, 64, 65, 66, 127, 128, 129, 200] {
        for pre in [0usize, 1, 60, 61, 62, 63, 64, 65] {
            for s in ["\u{3000}", "\u{85}", " ", "\u{2029}"] {
                table.push(format!("{}{s}{}{s}the", "x".repeat(pre), "é".repeat(len)));
            }
        }
    }
    for t in &table {
        all_backends_agree(t.as_bytes(), &o, Errors::Strict);
    }
}

/// Invalid sequences in texts long enough for the kernel: every backend,
/// under every `Errors`, counts as the oracle does (the stretches between
/// errors go through the kernel, the words around each error through the
/// oracle), whole and fed in chunks. Errors dense and sparse, next to
/// spaces, inside runs without spaces, in place of a space's bytes, at both
/// ends, and cut by the end of the text.
#[test]
fn invalid_sequences_are_counted_around() {
    let bad: [&[u8]; 9] = [
        b"\xFF",
        b"\xC3",
        b"\xE3\x80",
        b"\xF0\x9F\x98",
        b"\x80\x80",
        b"\xED\xA0\x80", // a surrogate: valid under SurrogatePass only
        b"\xC0\xAF",
        b"\xE3\xE3\x80\x80", // a bad lead, then U+3000
        b"\xC2",             // a space's lead without its second byte
    ];
    let words = ["the", "encyclopedia", "é中😀abcdef", "a", "ж", "x"];
    let spaces = spaces();
    let o = Options::new(8, ["the", "a", "of"]).unwrap();
    let mut x = 12345u64;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as usize
    };
    for round in 0..60 {
        let mut t: Vec<u8> = Vec::new();
        if round % 4 == 1 {
            t.extend_from_slice(bad[next() % bad.len()]);
        }
        // Dense errors (the oracle takes runs of the text), and sparse ones
        // (the kernel takes the stretches between them).
        let every = if round % 2 == 0 { 5 } else { 150 };
        while t.len() < 3000 + 100 * round {
            t.extend_from_slice(words[next() % words.len()].as_bytes());
            if next() % every == 0 {
                t.extend_from_slice(bad[next() % bad.len()]);
            }
            if next() % 9 != 0 {
                let mut b = [0; 4];
                t.extend_from_slice(spaces[next() % spaces.len()].encode_utf8(&mut b).as_bytes());
            }
        }
        if round % 3 == 0 {
            t.extend_from_slice(b"\xF0\x9F"); // cut by the end
        }
        for errors in [Errors::Strict, Errors::Replace, Errors::SurrogatePass] {
            let want = shortlong::scalar::count(&t, &o, errors);
            for b in shortlong::Backend::available() {
                assert_eq!(
                    shortlong::count_with(b, &t, &o, errors),
                    want,
                    "{b:?} {errors:?} round {round}"
                );
            }
            let cuts: Vec<usize> = (1..t.len() / 700).map(|k| 700 * k + k % 3).collect();
            assert_eq!(
                feed_cut(&t, &cuts, &o, errors),
                want,
                "{errors:?} round {round}, in chunks"
            );
        }
    }
}

/// Small (mask-matched) lists whose entries have the same length in bytes
/// but not in code points, so that some are long and some not, in texts long
/// enough for whole batches, with every kind of space around the words, at
/// every alignment.
#[test]
fn backends_on_small_lists_of_short_entries() {
    let lists: [&[&str]; 4] = [
        &["é", "of", "a"],
        &["中", "the", "ab", "ж"],
        &["x", "yz", "é", "the", "中"],
        &["of", "in", "to", "an"],
    ];
    for list in lists {
        for n in [0u64, 1, 2, 8] {
            let o = Options::new(n, list.iter().copied()).unwrap();
            let mut text = String::new();
            for (i, s) in spaces().into_iter().enumerate() {
                for w in list.iter().chain(&["the", "é中", "abc", "ofé", "xof"]) {
                    text.push_str(w);
                    text.push(if i % 2 == 0 { s } else { ' ' });
                    text.push(s);
                }
            }
            all_backends_agree(text.as_bytes(), &o, Errors::Strict);
        }
    }
}

/// Long words of 2-, 3- and 4-byte characters at every `longer_than` a
/// window covers: a 64-byte block then holds as few as 16 code points, so the
/// window looks back across up to 4 blocks. From 64 on, run lengths: words
/// across many blocks, and ones that end just short of the limit.
#[test]
fn backends_on_long_multibyte_words() {
    for n in [
        1u64, 8, 15, 16, 17, 31, 32, 33, 47, 48, 49, 62, 63, 64, 65, 100, 128, 200,
    ] {
        let o = Options::new(n, ["the", "a"]).unwrap();
        for ch in ["ж", "中", "😀", "a😀", "😀😀😀x"] {
            let mut text = String::new();
            for len in [n.saturating_sub(1), n, n + 1, 2 * n + 1, 70] {
                for pre in [0usize, 1, 3, 17, 40] {
                    text.push_str(&"é".repeat(pre));
                    text.push(' ');
                    text.push_str(&ch.repeat(len as usize));
                    text.push(' ');
                }
            }
            all_backends_agree(text.as_bytes(), &o, Errors::Strict);
        }
    }
}

/// A large ignore list (the candidate path) whose entries start with bytes
/// of every UTF-8 class: backends find candidates by a byte-set lookup that
/// treats ASCII and non-ASCII first bytes differently.
#[test]
fn backends_on_large_lists_with_non_ascii_first_bytes() {
    let entries = [
        "é", "éa", "ж", "жк", "中", "中文", "😀", "😀😀", "\u{A1}x", "ÿ", "the", "a", "of", "x",
    ];
    for n in [0u64, 1, 2, 8] {
        let o = Options::new(n, entries).unwrap();
        let mut text = String::new();
        for pre in [0usize, 1, 30, 61, 62, 63] {
            for w in entries
                .iter()
                .chain(&["éé", "жж", "中中", "😀x", "ÿÿ", "b"])
            {
                text.push_str(&"y".repeat(pre));
                text.push(' ');
                text.push_str(w);
                text.push('\u{3000}');
            }
        }
        all_backends_agree(text.as_bytes(), &o, Errors::Strict);
    }
}

/// A large list with entries of every length the vector lookup treats
/// differently (1 to 7 bytes in one word, 8 to 15 in two, 16 and more left
/// to the scalar path, 64 and more ending beyond the next block), entries
/// holding NUL bytes, and near misses of each
/// (a byte more, a byte less, a byte changed, a NUL more); in runs of short
/// words (more than 16 candidates in a block), beside words of 64 bytes and
/// more, and cut at every length, so that words end at the text's end at
/// every place of a block.
#[test]
fn backends_on_large_lists_with_entries_of_every_length() {
    let mut entries: Vec<String> = (1..=18)
        .map(|n| {
            (0..n)
                .map(|k| (b'a' + (k * 7 + n) as u8 % 26) as char)
                .collect()
        })
        .collect();
    entries.extend(
        [
            "a\0", "\0", "x\0y", "é", "中文", "ab", "abcdefg", "abcdefgh",
        ]
        .map(String::from),
    );
    entries.push("w".repeat(64));
    let mut vocab: Vec<String> = Vec::new();
    for e in &entries {
        vocab.push(e.clone());
        vocab.push(format!("{e}z"));
        vocab.push(format!("{e}\0"));
        vocab.push(format!("z{e}"));
        if e.chars().count() > 1 {
            let mut shorter = e.clone();
            shorter.pop();
            vocab.push(format!("{shorter}q"));
            vocab.push(shorter);
        }
    }
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut text = String::new();
    // Long enough that the avx512 backend's buffer of keys fills and is
    // looked up several times.
    while text.len() < 12_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = (x >> 33) as usize;
        if r.is_multiple_of(5) {
            text.push_str(&"a ".repeat(r % 40)); // many candidates in a block
        }
        if r.is_multiple_of(11) {
            text.push_str(&"w".repeat(62 + r % 5)); // an entry, and near misses
            text.push(' ');
        }
        text.push_str(&vocab[r % vocab.len()]);
        text.push(if r.is_multiple_of(7) { '\u{3000}' } else { ' ' });
    }
    for n in [2u64, 8] {
        let o = Options::new(n, entries.iter().map(String::as_str)).unwrap();
        for cut in (0..400).chain([text.len() - 1, text.len()]) {
            if text.is_char_boundary(cut) {
                all_backends_agree(&text.as_bytes()[..cut], &o, Errors::Strict);
            }
        }
        all_backends_agree(text.as_bytes(), &o, Errors::Strict);
        // Suffixes: words start near the end at every place of a block.
        for start in (text.len() - 200..text.len()).filter(|&s| text.is_char_boundary(s)) {
            all_backends_agree(&text.as_bytes()[start..], &o, Errors::Strict);
        }
    }
}

/// One invalid sequence of each kind at every place of a text long enough
/// for the kernel's main loop, which the avx512 backend validates while it
/// counts (its first batch and its tail are validated apart, each from the
/// bytes before it): every backend reports the first error where the
/// standard library does. The text has whole blocks of ASCII (a lead just
/// before one must be caught) and of 2- and 3-byte characters.
#[test]
fn one_invalid_sequence_at_every_place_of_a_long_text() {
    let mut base = Vec::new();
    for _ in 0..6 {
        base.extend_from_slice("the encyclopedia of a thing ".repeat(5).as_bytes());
        base.extend_from_slice("жж 中文 é ".repeat(7).as_bytes());
    }
    let bad: [&[u8]; 7] = [
        b"\x80",
        b"\xC3",
        b"\xE4\xB8",
        b"\xF0\x9F\x98",
        b"\xED\xA0\x80",
        b"\xE0\x9F\xBF",
        b"\xC0\xAF",
    ];
    let o = Options::default();
    for b in bad {
        for at in 0..=base.len() {
            let mut t = base[..at].to_vec();
            t.extend_from_slice(b);
            t.extend_from_slice(&base[at..]);
            let want = std::str::from_utf8(&t).map_err(|e| e.valid_up_to() as u64);
            for backend in shortlong::Backend::available() {
                let got = shortlong::count_with(backend, &t, &o, Errors::Strict);
                assert_eq!(
                    got.map(|_| ()).map_err(|e| e.offset),
                    want.map(|_| ()),
                    "{backend:?}: {b:02X?} at {at} of {}",
                    t.len()
                );
            }
        }
    }
}

/// Long texts (many whole batches, which the kernel classifies in a loop of
/// its own for each way of matching an ignore list) under each way: no
/// list, the default pair, masks of a few bytes, and candidates.
#[test]
fn backends_on_long_texts_for_every_way_of_matching() {
    let vocab = [
        "the",
        "a",
        "of",
        "to",
        "in",
        "é",
        "xx",
        "The",
        "encyclopedia",
        "ж",
        "中文",
        "x",
        "abcdefghijkl",
        "😀",
        "\u{3000}",
        "\u{85}",
        "\n",
        "  ",
    ];
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut text = String::new();
    while text.len() < 5000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        text.push_str(vocab[(x % vocab.len() as u64) as usize]);
        if x >> 60 != 0 {
            text.push(' ');
        }
    }
    let lists: [&[&str]; 4] = [
        &[],
        &["the", "a"],
        &["of", "to", "in", "é", "xx"],
        &[
            "of",
            "to",
            "in",
            "é",
            "xx",
            "the",
            "a",
            "ж",
            "中文",
            "encyclopedia",
        ],
    ];
    for list in lists {
        for n in [0u64, 3, 8, 20] {
            let o = Options::new(n, list).unwrap();
            all_backends_agree(text.as_bytes(), &o, Errors::Strict);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(1500)))]

    #[test]
    fn backends_equal_oracle(text in proptest::collection::vec(text_strategy(), 1..6).prop_map(|v| v.concat()),
                             n in prop_oneof![Just(8u64), 0u64..70, 60u64..200, Just(u64::MAX)],
                             which in 0usize..6) {
        // Mask-matched lists (few bytes), the candidate path (many bytes or
        // entries), and entries longer than a block.
        let long_entry = "x".repeat(70);
        let lists: [Vec<&str>; 6] = [
            vec!["the", "a"],
            vec![],
            vec!["the", "a", "é", "😀😀", "encyclopedia", "x\u{180E}"],
            vec!["the", "a", "of", "to", "in", "is", "that", "for", "it", "as", "with", "abcdefghij"],
            vec!["the", long_entry.as_str(), "xx"],
            vec!["of", "to", "in", "é", "xx"],
        ];
        let o = Options::new(n, &lists[which]).unwrap();
        all_backends_agree(text.as_bytes(), &o, Errors::Strict);
    }

    #[test]
    fn backends_on_arbitrary_bytes(bytes in proptest::collection::vec(
            prop_oneof![any::<u8>(), Just(b' '), Just(0xE2), Just(0x80), Just(0xC2), Just(0xA0), Just(b't')], 0..300),
            errors in prop_oneof![Just(Errors::Strict), Just(Errors::Replace), Just(Errors::SurrogatePass)]) {
        let o = Options::new(3, ["t", "\u{FFFD}"]).unwrap();
        all_backends_agree(&bytes, &o, errors);
    }
}

/// The lists that tiny ASCII texts are counted with: the default pair, none,
/// one short entry, entries of 1 to 63 bytes with a non-ASCII one (the
/// mask matcher), and one too large for it (the candidate path).
fn tiny_lists() -> Vec<Vec<String>> {
    let s = |v: &[&str]| v.iter().map(|e| e.to_string()).collect::<Vec<_>>();
    vec![
        s(&["the", "a"]),
        vec![],
        s(&["a"]),
        vec![
            "x".into(),
            "xyxyxyxyx".into(),
            "é".into(),
            "t\0".into(),
            "x".repeat(63),
        ],
        s(&[
            "the", "a", "of", "to", "in", "is", "that", "for", "it", "x", "ab",
        ]),
    ]
}

/// Texts of up to 64 bytes (which every backend counts as one block,
/// without the kernel's batches: from a padded copy, or a masked load for
/// ASCII with AVX-512) at every length, with words filling the whole of
/// it, ending at its last byte, and of 62 to 65 bytes, multi-byte
/// characters and spaces of every width among them, at every threshold
/// around their lengths.
#[test]
fn tiny_texts_at_every_length() {
    let lists = tiny_lists();
    for len in 0..=66usize {
        let mut texts = vec![
            "x".repeat(len),
            format!(" {}", "x".repeat(len.saturating_sub(1))),
        ];
        let cycle = |unit: &str| -> String { unit.chars().cycle().take(len).collect() };
        texts.push(cycle("the a\x1fx\tthe\x0b"));
        texts.push(cycle("x\x1c"));
        texts.push(cycle("a "));
        texts.push(cycle("é"));
        texts.push(cycle("中文\u{3000}"));
        texts.push(cycle(
            "the\u{a0}a\u{85}é\u{2028}ж\u{1680}😀\u{205f}x\u{180e}",
        ));
        for text in &texts {
            for n in (0..=3)
                .chain(len.saturating_sub(2) as u64..=len as u64 + 1)
                .chain([u64::MAX])
            {
                for (which, list) in lists.iter().enumerate() {
                    let o = Options::new(n, list).unwrap();
                    all_backends_agree(text.as_bytes(), &o, Errors::Strict);
                    // In an allocation of its own size, so that a read past
                    // its end is one the address sanitizer sees.
                    let own: Box<[u8]> = text.as_bytes().into();
                    let tiny = shortlong::count_tiny(&own, &o);
                    let small_list = which < 4;
                    assert_eq!(tiny.is_some(), own.len() <= 64 && small_list, "{text:?}");
                    if let Some(c) = tiny {
                        assert_eq!(c, count(&own, &o, Errors::Strict).unwrap(), "{text:?}");
                    }
                }
            }
        }
    }
    // Not UTF-8: never counted in one step (the general path reports the
    // error, or replaces).
    for bad in [
        &b"caf\xE9"[..],
        b"\xED\xA0\x80",
        b"a \xE3\x80",
        b"\xC2",
        b"\xF4\x90\x80\x80",
    ] {
        assert_eq!(
            shortlong::count_tiny(bad, &Options::default()),
            None,
            "{bad:?}"
        );
        for errors in [Errors::Strict, Errors::Replace, Errors::SurrogatePass] {
            all_backends_agree(bad, &Options::default(), errors);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(1500)))]

    #[test]
    fn tiny_texts_equal_naive(
        pieces in proptest::collection::vec(prop_oneof![
            4 => proptest::sample::select(vec!["the", "a", "x", "xyxyxyxyx", "t\0", "ab", "The", "~", "é", "中文", "😀", "\u{180e}"]).prop_map(String::from),
            1 => "[a-z]{1,12}".prop_map(String::from),
            3 => proptest::sample::select(vec![" ", "\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x1f", "\u{85}", "\u{a0}", "\u{3000}", "\u{2028}", "\u{1680}", "\u{205f}"]).prop_map(String::from),
        ], 0..40),
        cut in 0usize..=66,
        n in prop_oneof![0u64..12, 60u64..66, Just(u64::MAX)],
        which in 0usize..5,
    ) {
        let text = pieces.concat();
        let mut cut = cut.min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let text = &text[..cut];
        let list = &tiny_lists()[which];
        let o = Options::new(n, list).unwrap();
        let ignore: Vec<&str> = list.iter().map(String::as_str).collect();
        prop_assert_eq!(count(text.as_bytes(), &o, Errors::Strict).unwrap(), naive(text, n, &ignore));
        all_backends_agree(text.as_bytes(), &o, Errors::Strict);
    }
}

#[test]
fn threads_never_change_the_result() {
    // Larger than PARALLEL_MIN, mixing scripts and every kind of space.
    let unit = "the Encyclopédie\u{3000}жжжжжжжжжж a 😀😀😀😀😀😀😀😀😀\u{2029}x\u{85}".repeat(8);
    let text = unit.repeat(shortlong::PARALLEL_MIN / unit.len() + 100);
    let o = Options::default();
    let want = shortlong::scalar::count(text.as_bytes(), &o, Errors::Strict).unwrap();
    for threads in [0, 1, 2, 3, 7, 64] {
        let got = shortlong::count_threads(text.as_bytes(), &o, Errors::Strict, threads).unwrap();
        assert_eq!(got, want, "threads={threads}");
    }
    // Errors: the first one, at its offset in the whole text, whatever the
    // thread count; replace mode adds up exactly.
    let mut bad = text.clone().into_bytes();
    let (first, second) = (bad.len() / 3 + 1, bad.len() * 2 / 3);
    bad[first] = 0xFF;
    bad[second] = 0xFF;
    let want = shortlong::scalar::count(&bad, &o, Errors::Strict).unwrap_err();
    let want_replace = shortlong::scalar::count(&bad, &o, Errors::Replace).unwrap();
    for threads in [1, 2, 5] {
        assert_eq!(
            shortlong::count_threads(&bad, &o, Errors::Strict, threads).unwrap_err(),
            want
        );
        assert_eq!(
            shortlong::count_threads(&bad, &o, Errors::Replace, threads).unwrap(),
            want_replace
        );
    }
}

/// A long text is validated and counted in pieces cut after spaces (so that
/// each piece is in cache for both passes): every backend still gives the
/// oracle's counts, and every error is found, wherever it falls relative to
/// the cuts, including inside a long run without spaces and in a character
/// that a naive cut would split.
#[test]
fn long_texts_counted_in_pieces_equal_the_oracle() {
    let unit = "the Encyclopédie\u{3000}жж a 😀😀\u{2029}x\u{85} ".repeat(40);
    let mut text = unit.repeat(600).into_bytes(); // about 1 MB
                                                  // A long run without any space across several pieces.
    let run_at = text.len() / 2;
    text.splice(run_at..run_at, "é".repeat(200_000).into_bytes());
    let o = Options::default();
    for errors in [Errors::Strict, Errors::SurrogatePass] {
        let want = shortlong::scalar::count(&text, &o, errors).unwrap();
        for b in shortlong::Backend::available() {
            assert_eq!(
                shortlong::count_with(b, &text, &o, errors).unwrap(),
                want,
                "{b:?}"
            );
        }
    }
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..12 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let at = (x >> 20) as usize % text.len();
        for bad in [&[0xFFu8][..], &[0xED, 0xA0, 0x80], &[0xE2, 0x82]] {
            let mut t = text.clone();
            t.splice(at..at, bad.iter().copied());
            for errors in [Errors::Strict, Errors::Replace, Errors::SurrogatePass] {
                let want = shortlong::scalar::count(&t, &o, errors);
                let got = shortlong::count_with(shortlong::Backend::best(), &t, &o, errors);
                assert_eq!(got, want, "{bad:?} at {at}, {errors:?}");
            }
        }
    }
}

/// A large list counted from a thread-local's destructor, before or after
/// the kernel's own buffer of keys is destroyed (the order is not
/// specified): it counts exactly, with a buffer of its own if need be.
#[test]
fn large_lists_from_a_thread_local_destructor() {
    struct Late;
    impl Drop for Late {
        fn drop(&mut self) {
            let list = ["of", "the", "a", "to", "in", "and", "abcdefghij"];
            let o = Options::new(8, list).unwrap();
            let text = "the rest of the abcdefghij and a sentence to count in ".repeat(40);
            let want = naive(&text, 8, &list);
            for b in shortlong::Backend::available() {
                assert_eq!(
                    shortlong::count_with(b, text.as_bytes(), &o, Errors::Strict),
                    Ok(want)
                );
            }
        }
    }
    thread_local!(static LATE: Late = const { Late });
    std::thread::spawn(|| {
        LATE.with(|_| {});
        // The kernel's buffer is made on this thread after `Late` (a large
        // list: more distinct bytes than the mask matcher takes), so it is
        // destroyed before `Late` is dropped where destructors run in the
        // reverse order.
        let o = Options::new(8, ["of", "the", "a", "to", "in", "abcdefghij"]).unwrap();
        let _ = shortlong::count_with(
            shortlong::Backend::best(),
            b"of the people by the people",
            &o,
            Errors::Strict,
        );
    })
    .join()
    .unwrap();
}
