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
