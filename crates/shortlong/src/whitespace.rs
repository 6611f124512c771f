//! The whitespace set of Python's `str.split()` (and `str.isspace()`).
//!
//! Owns the definition of "whitespace" for the whole crate: every backend
//! derives its tables from [`SPACES`], and a test checks the list against
//! the byte-level shortcuts the fast paths rely on.

/// The 29 code points for which CPython's `str.isspace()` is true, in order.
///
/// U+180E, U+200B and U+FEFF are deliberately absent: Python does not split
/// on them (they stopped being whitespace in Unicode 6.3 / were never it).
pub const SPACES: [u32; 29] = [
    0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2001,
    0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F,
    0x205F, 0x3000,
];

/// Is `cp` one of the [`SPACES`]?
#[inline]
pub const fn is_space(cp: u32) -> bool {
    matches!(
        cp,
        0x09..=0x0D
            | 0x1C..=0x20
            | 0x85
            | 0xA0
            | 0x1680
            | 0x2000..=0x200A
            | 0x2028
            | 0x2029
            | 0x202F
            | 0x205F
            | 0x3000
    )
}

/// Is the ASCII byte `b` a whitespace character?
#[inline]
pub const fn is_ascii_space(b: u8) -> bool {
    matches!(b, 0x09..=0x0D | 0x1C..=0x20)
}

/// The offset just after the first whitespace character that starts at or
/// after `from` (moved forward to a character start first), or `None`.
/// Invalid bytes are stepped over (they are not whitespace).
pub(crate) fn after_next_space(text: &[u8], from: usize) -> Option<usize> {
    use crate::utf8::{decode, Step};
    let mut i = from;
    while i < text.len() && crate::utf8::is_continuation(text[i]) {
        i += 1;
    }
    while i < text.len() {
        let b = text[i];
        if b < 0x80 {
            if is_ascii_space(b) {
                return Some(i + 1);
            }
            i += 1;
            continue;
        }
        match decode(&text[i..], true, true) {
            Step::Char { cp, len } => {
                if is_space(cp) {
                    return Some(i + len);
                }
                i += len;
            }
            Step::Invalid { len, .. } => i += len,
            Step::Incomplete => return None,
        }
    }
    None
}

/// The offset just after the last whitespace character that lies wholly in
/// `text[from..]`, or `None`. Looks backwards at the last byte of each
/// possible space (every space's encoding is known), so it costs only the
/// bytes after that space.
pub(crate) fn after_last_space(text: &[u8], from: usize) -> Option<usize> {
    let mut end = text.len();
    while end > from {
        let b = text[end - 1];
        if b < 0x80 {
            if is_ascii_space(b) {
                return Some(end);
            }
        } else {
            // A 2- or 3-byte space ending here?
            for len in [2usize, 3] {
                if end >= from + len {
                    let s = &text[end - len..end];
                    if let crate::utf8::Step::Char { cp, len: l } =
                        crate::utf8::decode(s, true, true)
                    {
                        if l == len && is_space(cp) {
                            return Some(end);
                        }
                    }
                }
            }
        }
        end -= 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_space_matches_the_list_on_every_code_point() {
        for cp in 0..=0x10FFFFu32 {
            assert_eq!(is_space(cp), SPACES.contains(&cp), "U+{cp:04X}");
        }
    }

    #[test]
    fn space_scans_find_the_first_and_last_space() {
        let t = "aé\u{3000}b c\u{85}dd\u{2029}".as_bytes();
        assert_eq!(after_next_space(t, 0), Some(6));
        assert_eq!(after_next_space(t, 6), Some(8));
        assert_eq!(after_next_space(t, 2), Some(6)); // from inside a character
        assert_eq!(after_last_space(t, 0), Some(t.len()));
        assert_eq!(after_last_space(&t[..t.len() - 1], 0), Some(11)); // U+2029 cut
        assert_eq!(after_last_space(t, 13), Some(t.len()));
        assert_eq!(after_last_space(t, 14), None);
        assert_eq!(after_last_space(b"abc", 0), None);
        assert_eq!(after_next_space(b"abc", 0), None);
        // Every space, at the end, after a multi-byte letter.
        for &cp in &SPACES {
            let s = format!("é{}", char::from_u32(cp).unwrap());
            assert_eq!(
                after_last_space(s.as_bytes(), 0),
                Some(s.len()),
                "U+{cp:04X}"
            );
            assert_eq!(
                after_next_space(s.as_bytes(), 0),
                Some(s.len()),
                "U+{cp:04X}"
            );
        }
    }

    #[test]
    fn multibyte_spaces_start_with_the_four_lead_bytes() {
        // The SIMD kernels only look for multi-byte whitespace where one of
        // these lead bytes occurs.
        for &cp in &SPACES {
            let mut buf = [0u8; 4];
            let s = char::from_u32(cp).unwrap().encode_utf8(&mut buf);
            if s.len() > 1 {
                assert!(
                    [0xC2, 0xE1, 0xE2, 0xE3].contains(&s.as_bytes()[0]),
                    "U+{cp:04X}"
                );
            } else {
                assert!(is_ascii_space(s.as_bytes()[0]));
            }
        }
    }
}
