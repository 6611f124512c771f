//! The C ABI called as C would call it: pointer/length cases, invalid UTF-8,
//! option errors, streams, and the out-param discipline.

use shortlong_ffi::*;
use std::ffi::CStr;
use std::ptr::{null, null_mut};

const SENTINEL: SlCounts = SlCounts {
    words: 7,
    ignored: 7,
    long_words: 7,
};

fn count(opts: *const SlOptions, ptr: *const u8, len: usize) -> (SlStatus, SlCounts, SlUtf8Error) {
    let mut out = SENTINEL;
    let mut err = SlUtf8Error::default();
    let st = unsafe { sl_count(opts, ptr, len, 1, &mut out, &mut err) };
    (st, out, err)
}

#[test]
fn the_four_pointer_length_cases() {
    let text = b"the encyclopedia is a resource";
    // (non-NULL, n)
    let (st, c, _) = count(null(), text.as_ptr(), text.len());
    assert_eq!(st, SlStatus::Ok);
    assert_eq!(
        c,
        SlCounts {
            words: 5,
            ignored: 2,
            long_words: 1
        }
    );
    // (non-NULL, 0): empty
    let (st, c, _) = count(null(), text.as_ptr(), 0);
    assert_eq!((st, c), (SlStatus::Ok, SlCounts::default()));
    // (NULL, 0): empty
    let (st, c, _) = count(null(), null(), 0);
    assert_eq!((st, c), (SlStatus::Ok, SlCounts::default()));
    // (NULL, n > 0): error, out untouched
    let (st, c, _) = count(null(), null(), 5);
    assert_eq!((st, c), (SlStatus::NullPointer, SENTINEL));
    // NULL out-param
    let st = unsafe { sl_count(null(), text.as_ptr(), text.len(), 0, null_mut(), null_mut()) };
    assert_eq!(st, SlStatus::NullPointer);
    // A length no allocation can have.
    let (st, c, _) = count(null(), text.as_ptr(), usize::MAX);
    assert_eq!((st, c), (SlStatus::TooLong, SENTINEL));
}

#[test]
fn invalid_utf8_reports_offset_length_and_kind() {
    for (text, offset, length, kind) in [
        (&b"ok \xFF"[..], 3, 1, SL_UTF8_INVALID_START_BYTE),
        (
            &b"abc\xE2\x82A"[..],
            3,
            2,
            SL_UTF8_INVALID_CONTINUATION_BYTE,
        ),
        (&b"abcd\xF0\x9F\x98"[..], 4, 3, SL_UTF8_UNEXPECTED_END),
        (
            &b"\xED\xA0\x80"[..],
            0,
            1,
            SL_UTF8_INVALID_CONTINUATION_BYTE,
        ),
    ] {
        let (st, c, e) = count(null(), text.as_ptr(), text.len());
        assert_eq!((st, c), (SlStatus::InvalidUtf8, SENTINEL), "{text:02X?}");
        assert_eq!(
            e,
            SlUtf8Error {
                offset,
                length,
                kind
            },
            "{text:02X?}"
        );
        // err may be NULL.
        let mut out = SENTINEL;
        let st = unsafe { sl_count(null(), text.as_ptr(), text.len(), 2, &mut out, null_mut()) };
        assert_eq!((st, out), (SlStatus::InvalidUtf8, SENTINEL));
    }
}

fn options(
    longer_than: u64,
    ignore: &[&[u8]],
    errors: u32,
) -> Result<*mut SlOptions, (SlStatus, usize)> {
    let strs: Vec<SlStr> = ignore
        .iter()
        .map(|w| SlStr {
            ptr: w.as_ptr(),
            len: w.len(),
        })
        .collect();
    let mut out = null_mut();
    let mut bad = usize::MAX;
    let st = unsafe {
        sl_options_new(
            longer_than,
            strs.as_ptr(),
            strs.len(),
            errors,
            &mut out,
            &mut bad,
        )
    };
    if st == SlStatus::Ok {
        assert!(!out.is_null());
        Ok(out)
    } else {
        assert!(out.is_null(), "out written on failure");
        Err((st, bad))
    }
}

#[test]
fn options_errors_and_modes() {
    assert_eq!(
        options(8, &[b"the", b""], 0).unwrap_err(),
        (SlStatus::EmptyIgnore, 1)
    );
    assert_eq!(
        options(8, &[b"a\xC2\xA0b"], 0).unwrap_err(),
        (SlStatus::IgnoreHasWhitespace, 0)
    );
    assert_eq!(
        options(8, &[b"x", b"\xFF"], 0).unwrap_err(),
        (SlStatus::IgnoreNotUtf8, 1)
    );
    assert_eq!(options(8, &[], 3).unwrap_err().0, SlStatus::InvalidErrors);
    let mut out = null_mut();
    let st = unsafe { sl_options_new(8, null(), 2, 0, &mut out, null_mut()) };
    assert_eq!(st, SlStatus::NullPointer);

    let text = b"\xFFabcdefgh a\xFF";
    let replace = options(8, &[b"a\xEF\xBF\xBD"], SL_ERRORS_REPLACE).unwrap();
    let (st, c, _) = count(replace, text.as_ptr(), text.len());
    assert_eq!(
        (st, c),
        (
            SlStatus::Ok,
            SlCounts {
                words: 2,
                ignored: 1,
                long_words: 1
            }
        )
    );
    let pass = options(0, &[], SL_ERRORS_SURROGATEPASS).unwrap();
    let (st, c, _) = count(pass, b"\xED\xA0\x80".as_ptr(), 3);
    assert_eq!(
        (st, c),
        (
            SlStatus::Ok,
            SlCounts {
                words: 1,
                ignored: 0,
                long_words: 1
            }
        )
    );
    unsafe {
        sl_options_free(replace);
        sl_options_free(pass);
        sl_options_free(null_mut());
    }
}

#[test]
fn short_long_and_fraction() {
    let mut f = -1.0;
    let t = b"the Encyclopedia of a thing";
    assert_eq!(
        unsafe { sl_short_long(null(), t.as_ptr(), t.len(), 0, &mut f, null_mut()) },
        SlStatus::Ok
    );
    assert_eq!(f, 1.0 / 3.0);
    let mut f = -1.0;
    assert_eq!(
        unsafe { sl_short_long(null(), b"a the".as_ptr(), 5, 1, &mut f, null_mut()) },
        SlStatus::NoWords
    );
    assert_eq!(
        unsafe { sl_short_long(null(), null(), 0, 1, &mut f, null_mut()) },
        SlStatus::NoWords
    );
    assert_eq!(f, -1.0);
    let c = SlCounts {
        words: 4,
        ignored: 1,
        long_words: 1,
    };
    assert_eq!(unsafe { sl_counts_fraction(&c, &mut f) }, SlStatus::Ok);
    assert_eq!(f, 1.0 / 3.0);
    let bad = SlCounts {
        words: 1,
        ignored: 2,
        long_words: 0,
    };
    assert_eq!(
        unsafe { sl_counts_fraction(&bad, &mut f) },
        SlStatus::NoWords
    );
}

/// The two-argument calls for bindings: packed counts equal `sl_count`'s,
/// up to the largest text they can pack, and every failure is the marker.
#[test]
fn packed_counts_and_default_fraction() {
    let unpack = |v: u64| SlCounts {
        words: v & ((1 << 21) - 1),
        ignored: v >> 21 & ((1 << 21) - 1),
        long_words: v >> 42,
    };
    let t = b"the Encyclopedia of a thing";
    let v = unsafe { sl_count_packed(t.as_ptr(), t.len()) };
    assert_eq!(unpack(v), count(null(), t.as_ptr(), t.len()).1);
    assert_eq!(
        unpack(v),
        SlCounts {
            words: 5,
            ignored: 2,
            long_words: 1
        }
    );
    // The largest text it packs: every count at its maximum for that size
    // (one-byte words, all ignored; or one long word) still fits.
    let n = SL_PACKED_MAX_LEN - 1;
    let a = b"a ".repeat(n / 2 + 1)[..n].to_vec();
    let v = unsafe { sl_count_packed(a.as_ptr(), a.len()) };
    assert_eq!(unpack(v), count(null(), a.as_ptr(), a.len()).1);
    assert_eq!(unpack(v).ignored, n.div_ceil(2) as u64);
    let x = vec![b'x'; n];
    let v = unsafe { sl_count_packed(x.as_ptr(), x.len()) };
    assert_eq!(
        unpack(v),
        SlCounts {
            words: 1,
            ignored: 0,
            long_words: 1
        }
    );
    let big = vec![b'x'; SL_PACKED_MAX_LEN];
    assert_eq!(
        unsafe { sl_count_packed(big.as_ptr(), big.len()) },
        SL_PACKED_NONE
    );
    assert_eq!(
        unsafe { sl_count_packed(b"\xff".as_ptr(), 1) },
        SL_PACKED_NONE
    );
    assert_eq!(unsafe { sl_count_packed(null(), 3) }, SL_PACKED_NONE);
    assert_eq!(unsafe { sl_count_packed(null(), 0) }, 0);

    let f = unsafe { sl_short_long_default_or_nan(t.as_ptr(), t.len()) };
    assert_eq!(f, 1.0 / 3.0);
    assert!(unsafe { sl_short_long_default_or_nan(b"a the".as_ptr(), 5) }.is_nan());
    assert!(unsafe { sl_short_long_default_or_nan(b"x \xff".as_ptr(), 3) }.is_nan());
    assert!(unsafe { sl_short_long_default_or_nan(null(), 1) }.is_nan());
}

#[test]
fn streams_equal_whole_text_and_keep_partial_results() {
    let text = "the encyclopédie est une ressource\u{3000}extraordinaire".as_bytes();
    let (_, whole, _) = count(null(), text.as_ptr(), text.len());
    for cut in 0..=text.len() {
        let mut s = null_mut();
        assert_eq!(unsafe { sl_stream_new(null(), &mut s) }, SlStatus::Ok);
        let (a, b) = text.split_at(cut);
        let mut out = SlCounts::default();
        unsafe {
            assert_eq!(
                sl_stream_feed(s, a.as_ptr(), a.len(), null_mut()),
                SlStatus::Ok
            );
            assert_eq!(sl_stream_feed(s, null(), 0, null_mut()), SlStatus::Ok);
            assert_eq!(
                sl_stream_feed(s, b.as_ptr(), b.len(), null_mut()),
                SlStatus::Ok
            );
            assert_eq!(sl_stream_finish(s, &mut out, null_mut()), SlStatus::Ok);
            assert_eq!(
                sl_stream_finish(s, &mut out, null_mut()),
                SlStatus::StreamFinished
            );
            assert_eq!(
                sl_stream_feed(s, a.as_ptr(), a.len(), null_mut()),
                SlStatus::StreamFinished
            );
            sl_stream_free(s);
        }
        assert_eq!(out, whole, "cut at {cut}");
    }
    // An error in a later chunk: offset is absolute, earlier words survive.
    let mut s = null_mut();
    let mut err = SlUtf8Error::default();
    let mut so_far = SlCounts::default();
    unsafe {
        assert_eq!(sl_stream_new(null(), &mut s), SlStatus::Ok);
        assert_eq!(
            sl_stream_feed(s, b"one two ".as_ptr(), 8, null_mut()),
            SlStatus::Ok
        );
        assert_eq!(
            sl_stream_feed(s, b"thr\xFF".as_ptr(), 4, &mut err),
            SlStatus::InvalidUtf8
        );
        assert_eq!(sl_stream_counts(s, &mut so_far), SlStatus::Ok);
        sl_stream_free(s);
        assert_eq!(
            sl_stream_feed(null_mut(), null(), 0, null_mut()),
            SlStatus::NullPointer
        );
    }
    assert_eq!(err.offset, 11);
    assert_eq!(so_far.words, 2);
}

#[test]
fn every_status_has_a_message_and_the_version_is_the_crate_version() {
    for status in 0..=12u32 {
        let m = unsafe { CStr::from_ptr(sl_status_message(status)) }
            .to_str()
            .unwrap();
        assert!(!m.is_empty() && m != "unknown status", "{status}");
    }
    let m = unsafe { CStr::from_ptr(sl_status_message(999)) };
    assert_eq!(m.to_str().unwrap(), "unknown status");
    let b = unsafe { CStr::from_ptr(sl_backend()) }.to_str().unwrap();
    assert_eq!(b, shortlong::Backend::best().name());
    let v = unsafe { CStr::from_ptr(sl_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

/// Owned result columns for the batch calls.
struct Cols {
    words: Vec<u64>,
    ignored: Vec<u64>,
    long: Vec<u64>,
    fraction: Vec<f64>,
    status: Vec<u8>,
}

impl Cols {
    fn new(n: usize) -> Self {
        Cols {
            words: vec![9; n],
            ignored: vec![9; n],
            long: vec![9; n],
            fraction: vec![-1.0; n],
            status: vec![99; n],
        }
    }
    fn out(&mut self) -> SlColumns {
        SlColumns {
            words: self.words.as_mut_ptr(),
            ignored: self.ignored.as_mut_ptr(),
            long_words: self.long.as_mut_ptr(),
            fraction: self.fraction.as_mut_ptr(),
            status: self.status.as_mut_ptr(),
        }
    }
    fn row(&self, i: usize) -> (u8, u64, u64, u64) {
        (self.status[i], self.words[i], self.ignored[i], self.long[i])
    }
}

#[test]
fn columns_count_every_row_and_report_each_rows_status() {
    let (ok, null_row, bad) = (SL_ROW_OK, SL_ROW_NULL, SL_ROW_INVALID_UTF8);
    // Rows: "the encyclopedia", null, "bad \xFF", "" (validity starts at bit 4).
    let data = b"the encyclopediabad \xFF";
    let offsets = [0i32, 16, 16, 21, 21];
    let bits = [0b1101_0000u8, 0b0000_0011];
    let mut c = Cols::new(4);
    let st = unsafe {
        sl_count_offsets32(
            null(),
            data.as_ptr(),
            data.len(),
            offsets.as_ptr(),
            4,
            bits.as_ptr(),
            2,
            4,
            2,
            &c.out(),
        )
    };
    assert_eq!(st, SlStatus::Ok);
    assert_eq!(c.row(0), (ok, 2, 1, 1));
    assert_eq!(c.fraction[0], 1.0);
    assert_eq!(c.row(1), (null_row, 0, 0, 0));
    assert_eq!(c.row(2), (bad, 0, 0, 0));
    assert_eq!(c.row(3), (ok, 0, 0, 0));
    assert!(c.fraction[1].is_nan() && c.fraction[2].is_nan() && c.fraction[3].is_nan());

    let offsets64 = [0i64, 3, 16];
    let mut c2 = Cols::new(2);
    let st = unsafe {
        sl_count_offsets64(
            null(),
            data.as_ptr(),
            data.len(),
            offsets64.as_ptr(),
            2,
            null(),
            0,
            0,
            1,
            &c2.out(),
        )
    };
    assert_eq!((st, c2.ignored[0], c2.long[1]), (SlStatus::Ok, 1, 1));

    // Inconsistent layouts fail the call and write nothing.
    let bad_offsets = [0i32, 30];
    let mut untouched = Cols::new(1);
    let st = unsafe {
        sl_count_offsets32(
            null(),
            data.as_ptr(),
            data.len(),
            bad_offsets.as_ptr(),
            1,
            null(),
            0,
            0,
            0,
            &untouched.out(),
        )
    };
    assert_eq!((st, untouched.words[0]), (SlStatus::BadLayout, 9));
    let st = unsafe {
        sl_count_offsets32(
            null(),
            data.as_ptr(),
            data.len(),
            offsets.as_ptr(),
            4,
            bits.as_ptr(),
            1,
            6,
            0,
            &c.out(),
        )
    };
    assert_eq!(st, SlStatus::BadLayout, "bitmap shorter than the rows");
    let st = unsafe { sl_count_offsets32(null(), null(), 5, null(), 0, null(), 0, 0, 0, null()) };
    assert_eq!(st, SlStatus::NullPointer);
    let st = unsafe { sl_count_offsets32(null(), null(), 0, null(), 0, null(), 0, 0, 0, null()) };
    assert_eq!(st, SlStatus::Ok, "no rows");
    let mut missing = c.out();
    missing.fraction = null_mut();
    let st = unsafe {
        sl_count_offsets32(
            null(),
            data.as_ptr(),
            data.len(),
            offsets.as_ptr(),
            4,
            null(),
            0,
            0,
            0,
            &missing,
        )
    };
    assert_eq!(st, SlStatus::NullPointer, "a missing column");

    // String views: one inline, one in a buffer.
    let buffer = b"xxencyclopedia of things";
    let mut views = [0u8; 32];
    views[0] = 3;
    views[4..7].copy_from_slice(b"the");
    views[16] = 22;
    views[24..28].copy_from_slice(&0u32.to_le_bytes());
    views[28..32].copy_from_slice(&2u32.to_le_bytes());
    let bufs = [SlStr {
        ptr: buffer.as_ptr(),
        len: buffer.len(),
    }];
    let mut vc = Cols::new(2);
    let st = unsafe {
        sl_count_views(
            null(),
            views.as_ptr(),
            2,
            bufs.as_ptr(),
            1,
            null(),
            0,
            0,
            0,
            &vc.out(),
        )
    };
    assert_eq!(st, SlStatus::Ok);
    assert_eq!(vc.row(0), (ok, 1, 1, 0));
    assert_eq!(vc.row(1), (ok, 3, 0, 1));
    views[28] = 10; // offset 10 + 22 bytes: past the buffer
    let st = unsafe {
        sl_count_views(
            null(),
            views.as_ptr(),
            2,
            bufs.as_ptr(),
            1,
            null(),
            0,
            0,
            0,
            &vc.out(),
        )
    };
    assert_eq!(st, SlStatus::BadLayout);

    // Fixed width (NumPy S4).
    let fixed = b"the\0a b\0";
    let mut fc = Cols::new(2);
    let st = unsafe { sl_count_fixed(null(), fixed.as_ptr(), 8, 4, 1, &fc.out()) };
    assert_eq!((st, fc.ignored[0], fc.words[1]), (SlStatus::Ok, 1, 2));
    let st = unsafe { sl_count_fixed(null(), fixed.as_ptr(), 7, 4, 1, &fc.out()) };
    assert_eq!(st, SlStatus::BadLayout);
}

#[test]
fn code_units_equal_their_utf8_and_bad_layouts_are_errors() {
    let text = "the caf\u{e9} \u{3000}encyclop\u{e6}dia a \u{1F600}\u{1F600}x ";
    let utf8 = text.as_bytes();
    let (st, want, _) = count(null(), utf8.as_ptr(), utf8.len());
    assert_eq!(st, SlStatus::Ok);
    let two: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_ne_bytes()).collect();
    let four: Vec<u8> = text
        .chars()
        .flat_map(|c| (c as u32).to_ne_bytes())
        .collect();
    let latin = "the caf\u{e9} encyclop\u{e6}dia\u{a0}a \u{85}x";
    let one: Vec<u8> = latin.chars().map(|c| c as u32 as u8).collect();
    let (st, want_latin, _) = count(null(), latin.as_ptr(), latin.len());
    assert_eq!(st, SlStatus::Ok);
    let units = |p: *const u8, len: usize, width: usize| {
        let mut out = SENTINEL;
        let st = unsafe { sl_count_units(null(), p, len, width, 2, &mut out) };
        (st, out)
    };
    // UCS-4 as CPython stores this text; its UTF-16 (with surrogate pairs)
    // counted as UCS-2 units has lone surrogates instead, so only the word
    // lengths of the emoji word differ.
    assert_eq!(units(four.as_ptr(), four.len(), 4), (SlStatus::Ok, want));
    assert_eq!(
        units(one.as_ptr(), one.len(), 1),
        (SlStatus::Ok, want_latin)
    );
    let (st, c) = units(two.as_ptr(), two.len(), 2);
    assert_eq!(
        (st, c.words, c.ignored),
        (SlStatus::Ok, want.words, want.ignored)
    );
    let f = unsafe { sl_short_long_units_or_nan(null(), four.as_ptr(), four.len(), 4) };
    assert_eq!(
        f,
        want.long_words as f64 / (want.words - want.ignored) as f64
    );
    // Bad layouts, NULL, and not a code point; out is left alone.
    assert_eq!(units(four.as_ptr(), 5, 4), (SlStatus::BadLayout, SENTINEL));
    assert_eq!(units(four.as_ptr(), 4, 3), (SlStatus::BadLayout, SENTINEL));
    assert_eq!(units(null(), 4, 4), (SlStatus::NullPointer, SENTINEL));
    assert_eq!(units(null(), 0, 2), (SlStatus::Ok, SlCounts::default()));
    let big = 0x0011_0000u32.to_ne_bytes();
    assert_eq!(
        units(big.as_ptr(), 4, 4),
        (SlStatus::NotACodePoint, SENTINEL)
    );
    assert!(unsafe { sl_short_long_units_or_nan(null(), big.as_ptr(), 4, 4) }.is_nan());
    assert_eq!(
        unsafe { sl_count_units(null(), four.as_ptr(), four.len(), 4, 1, null_mut()) },
        SlStatus::NullPointer
    );
}

#[test]
fn rows_anywhere_in_memory_utf8_or_code_units() {
    let texts = [
        "the caf\u{e9} encyclop\u{e6}dia",
        "",
        "a \u{1F600}\u{1F600} the",
        "x\u{3000}y",
    ];
    let utf8: Vec<&[u8]> = texts.iter().map(|t| t.as_bytes()).collect();
    let four: Vec<Vec<u8>> = texts
        .iter()
        .map(|t| t.chars().flat_map(|c| (c as u32).to_ne_bytes()).collect())
        .collect();
    // Rows alternate between UTF-8 and UCS-4 of the same texts.
    let mut rows = Vec::new();
    let mut widths = Vec::new();
    for (u, f) in utf8.iter().zip(&four) {
        rows.push(SlStr {
            ptr: u.as_ptr(),
            len: u.len(),
        });
        widths.push(0u8);
        rows.push(SlStr {
            ptr: f.as_ptr(),
            len: f.len(),
        });
        widths.push(4u8);
    }
    let n = rows.len();
    let mut cols = Cols::new(n);
    let out = cols.out();
    let st = unsafe { sl_count_rows(null(), rows.as_ptr(), widths.as_ptr(), n, 2, &out) };
    assert_eq!(st, SlStatus::Ok);
    for (i, t) in texts.iter().enumerate() {
        let (st, want, _) = count(null(), t.as_ptr(), t.len());
        assert_eq!(st, SlStatus::Ok);
        let want = (SL_ROW_OK, want.words, want.ignored, want.long_words);
        assert_eq!(cols.row(2 * i), want, "{t:?} as UTF-8");
        assert_eq!(cols.row(2 * i + 1), want, "{t:?} as UCS-4");
    }
    // A bad width or length is a layout error; a non-code point, a bad row.
    widths[1] = 3;
    let st = unsafe { sl_count_rows(null(), rows.as_ptr(), widths.as_ptr(), n, 1, &out) };
    assert_eq!(st, SlStatus::BadLayout);
    widths[1] = 2;
    rows[1].len = 5;
    let st = unsafe { sl_count_rows(null(), rows.as_ptr(), widths.as_ptr(), n, 1, &out) };
    assert_eq!(st, SlStatus::BadLayout);
    let big = 0x0011_0000u32.to_ne_bytes();
    let one = [SlStr {
        ptr: big.as_ptr(),
        len: 4,
    }];
    let mut cols = Cols::new(1);
    let out = cols.out();
    let st = unsafe { sl_count_rows(null(), one.as_ptr(), [4u8].as_ptr(), 1, 1, &out) };
    assert_eq!((st, cols.status[0]), (SlStatus::Ok, SL_ROW_INVALID_UTF8));
}
