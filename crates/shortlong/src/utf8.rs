//! A byte-at-a-time UTF-8 decoder with Python's error semantics.
//!
//! Owns the answer to "what code point (or error) starts here?" for the
//! scalar oracle and the streaming counter. It follows the Unicode table of
//! well-formed byte sequences and reports invalid input as the *maximal
//! subpart* of a well-formed sequence, which is what both CPython's decoder
//! (`errors="strict"` offsets, `errors="replace"` substitutions) and Rust's
//! `core::str` do. It must not allocate or know about words.

/// Why a byte sequence is not UTF-8, in CPython's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Utf8ErrorKind {
    /// A byte that cannot start a character (`80..BF`, `C0`, `C1`, `F5..FF`).
    InvalidStartByte = 1,
    /// A lead byte followed by a byte that cannot continue it.
    InvalidContinuationByte = 2,
    /// The text ends inside a character.
    UnexpectedEnd = 3,
}

impl Utf8ErrorKind {
    /// CPython's `UnicodeDecodeError.reason` for this kind.
    pub const fn reason(self) -> &'static str {
        match self {
            Utf8ErrorKind::InvalidStartByte => "invalid start byte",
            Utf8ErrorKind::InvalidContinuationByte => "invalid continuation byte",
            Utf8ErrorKind::UnexpectedEnd => "unexpected end of data",
        }
    }
}

/// The outcome of decoding at one position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// A code point (possibly a surrogate, when allowed) of `len` bytes.
    Char { cp: u32, len: usize },
    /// An invalid sequence of `len` bytes (its maximal subpart).
    Invalid { len: usize, kind: Utf8ErrorKind },
    /// The available bytes are a proper prefix of a sequence that more
    /// bytes could complete (only reported when `at_end` is false).
    Incomplete,
}

/// Range of valid second bytes after lead byte `lead`.
#[inline]
fn second_range(lead: u8, surrogates: bool) -> (u8, u8) {
    match lead {
        0xE0 => (0xA0, 0xBF),
        0xED if !surrogates => (0x80, 0x9F),
        0xF0 => (0x90, 0xBF),
        0xF4 => (0x80, 0x8F),
        _ => (0x80, 0xBF),
    }
}

/// Is `b` a continuation byte (80..BF)?
#[inline(always)]
pub(crate) fn is_continuation(b: u8) -> bool {
    (b as i8) < -64
}

/// Code points in `s` (generalised UTF-8): the bytes that are not
/// continuation bytes.
pub(crate) fn code_points(s: &[u8]) -> u64 {
    s.iter().filter(|&&b| !is_continuation(b)).count() as u64
}

/// Decode the sequence that starts at `b[0]` (`b` must not be empty).
///
/// `surrogates` accepts the 3-byte encodings of U+D800..U+DFFF, as Python's
/// `surrogatepass` handler does. `at_end` says that no byte follows `b`, so
/// a truncated sequence is an error instead of [`Step::Incomplete`].
#[inline]
pub(crate) fn decode(b: &[u8], surrogates: bool, at_end: bool) -> Step {
    let lead = b[0];
    let need = match lead {
        0x00..=0x7F => {
            return Step::Char {
                cp: lead as u32,
                len: 1,
            }
        }
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => {
            return Step::Invalid {
                len: 1,
                kind: Utf8ErrorKind::InvalidStartByte,
            };
        }
    };
    let (lo, hi) = second_range(lead, surrogates);
    let mut cp = (lead as u32) & (0x7F >> need);
    for i in 1..need {
        // CPython's surrogatepass only rescues a complete ED A0..BF xx;
        // otherwise it reports the strict decoder's error, which sees the
        // A0..BF after ED as an invalid continuation byte.
        let failed_surrogate = surrogates && lead == 0xED && i == 2 && b[1] >= 0xA0;
        let Some(&c) = b.get(i) else {
            return if !at_end {
                Step::Incomplete
            } else if failed_surrogate {
                Step::Invalid {
                    len: 1,
                    kind: Utf8ErrorKind::InvalidContinuationByte,
                }
            } else {
                Step::Invalid {
                    len: i,
                    kind: Utf8ErrorKind::UnexpectedEnd,
                }
            };
        };
        let ok = if i == 1 {
            (lo..=hi).contains(&c)
        } else {
            (0x80..=0xBF).contains(&c)
        };
        if !ok {
            let len = if failed_surrogate { 1 } else { i };
            return Step::Invalid {
                len,
                kind: Utf8ErrorKind::InvalidContinuationByte,
            };
        }
        cp = (cp << 6) | (c as u32 & 0x3F);
    }
    Step::Char { cp, len: need }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every 1- and 2-byte input, and 3- and 4-byte ones after every lead
    /// from E0 on, with second bytes across every boundary of the valid
    /// ranges (7F/80, 8F/90, 9F/A0, BF/C0): what the decoder and the
    /// validators are checked on against core's.
    pub(crate) fn short_sequences() -> Vec<Vec<u8>> {
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for a in 0..=255u8 {
            inputs.push(vec![a]);
            for b in 0..=255u8 {
                inputs.push(vec![a, b]);
            }
        }
        for a in 0xE0..=0xFFu8 {
            for b in 0x7F..=0xC0u8 {
                for c in [0x41u8, 0x80, 0xBF, 0xC0] {
                    inputs.push(vec![a, b, c]);
                    inputs.push(vec![a, b, c, 0x80]);
                    inputs.push(vec![a, b, c, 0x41]);
                }
            }
        }
        inputs
    }

    #[test]
    fn agrees_with_core_str_on_every_short_sequence() {
        // The maximal-subpart length must equal core's error_len.
        for input in short_sequences() {
            let core = std::str::from_utf8(&input);
            let step = decode(&input, false, true);
            match (core, step) {
                (Ok(s), Step::Char { cp, len }) => {
                    let ch = s.chars().next().unwrap();
                    assert_eq!(cp, ch as u32, "{input:02X?}");
                    assert_eq!(len, ch.len_utf8());
                }
                (Err(e), Step::Char { len, .. }) => {
                    assert_eq!(e.valid_up_to(), len.min(input.len()), "{input:02X?}");
                    assert!(e.valid_up_to() > 0);
                }
                (Err(e), Step::Invalid { len, kind }) => {
                    assert_eq!(e.valid_up_to(), 0, "{input:02X?}");
                    match e.error_len() {
                        Some(n) => assert_eq!(n, len, "{input:02X?}"),
                        None => {
                            assert_eq!(kind, Utf8ErrorKind::UnexpectedEnd, "{input:02X?}");
                            assert_eq!(len, input.len());
                        }
                    }
                }
                (r, s) => panic!("{input:02X?}: core {r:?} vs {s:?}"),
            }
        }
    }

    #[test]
    fn surrogates_only_when_allowed() {
        assert_eq!(
            decode(b"\xED\xA0\x80", false, true),
            Step::Invalid {
                len: 1,
                kind: Utf8ErrorKind::InvalidContinuationByte
            }
        );
        assert_eq!(
            decode(b"\xED\xA0\x80", true, true),
            Step::Char { cp: 0xD800, len: 3 }
        );
        assert_eq!(
            decode(b"\xED\xBF\xBF", true, true),
            Step::Char { cp: 0xDFFF, len: 3 }
        );
        assert_eq!(decode(b"\xED\xA0", true, false), Step::Incomplete);
        assert_eq!(
            decode(b"\xED\xA0", true, true),
            Step::Invalid {
                len: 1,
                kind: Utf8ErrorKind::InvalidContinuationByte
            }
        );
        assert_eq!(
            decode(b"\xED\x9FA", true, true),
            Step::Invalid {
                len: 2,
                kind: Utf8ErrorKind::InvalidContinuationByte
            }
        );
        assert_eq!(
            decode(b"\xED\xA0A", true, true),
            Step::Invalid {
                len: 1,
                kind: Utf8ErrorKind::InvalidContinuationByte
            }
        );
    }
}
