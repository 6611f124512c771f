//! What to count: the length threshold and the ignored words.
//!
//! Owns validation of user-supplied options, so every layer above (C ABI,
//! Python) reports the same errors. Knows nothing of decoding.

use crate::utf8::{decode, Step};
use crate::whitespace::is_space;
use std::fmt;

/// Options for counting: words with more than `longer_than` code points are
/// long; words equal to an entry of the ignore list are ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    longer_than: u64,
    /// Sorted, deduplicated ignore entries, as (generalised) UTF-8.
    ignore: Vec<Box<[u8]>>,
    /// Bit `n` set when some entry has `n` bytes (entries of 64 bytes or
    /// more set bit 63): a cheap first filter before the binary search.
    lengths: u64,
    max_len: usize,
    /// How the kernel matches `ignore` (derived from the fields above).
    plan: crate::kernel::IgnorePlan,
    window: crate::kernel::Window,
}

/// Why an ignore entry was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionsError {
    /// Entry `index` is empty: no word is empty, so it could never match.
    EmptyIgnore { index: usize },
    /// Entry `index` contains whitespace: no word does, so it could never match.
    IgnoreHasWhitespace { index: usize },
    /// Entry `index` is not UTF-8 (lone surrogates are allowed).
    IgnoreNotUtf8 { index: usize },
}

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionsError::EmptyIgnore { index } => {
                write!(
                    f,
                    "ignore entry {index} is empty, so it could never match a word"
                )
            }
            OptionsError::IgnoreHasWhitespace { index } => write!(
                f,
                "ignore entry {index} contains whitespace, so it could never match a word"
            ),
            OptionsError::IgnoreNotUtf8 { index } => {
                write!(f, "ignore entry {index} is not valid UTF-8")
            }
        }
    }
}

impl std::error::Error for OptionsError {}

impl Default for Options {
    /// The article's statistic: longer than 8, ignoring "the" and "a".
    fn default() -> Self {
        Options::new(8, ["the", "a"]).expect("the default options are valid")
    }
}

impl Options {
    /// Build options. Entries may be `&str` or UTF-8 bytes (with lone
    /// surrogates encoded as Python's `surrogatepass` does).
    ///
    /// ```
    /// let o = shortlong::Options::new(5, ["of", "and"]).unwrap();
    /// assert_eq!(o.longer_than(), 5);
    /// assert!(shortlong::Options::new(8, ["a b"]).is_err());
    /// ```
    pub fn new<I, S>(longer_than: u64, ignore: I) -> Result<Self, OptionsError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let mut entries: Vec<Box<[u8]>> = Vec::new();
        for (index, entry) in ignore.into_iter().enumerate() {
            let entry = entry.as_ref();
            if entry.is_empty() {
                return Err(OptionsError::EmptyIgnore { index });
            }
            let mut i = 0;
            while i < entry.len() {
                match decode(&entry[i..], true, true) {
                    Step::Char { cp, len } => {
                        if is_space(cp) {
                            return Err(OptionsError::IgnoreHasWhitespace { index });
                        }
                        i += len;
                    }
                    _ => return Err(OptionsError::IgnoreNotUtf8 { index }),
                }
            }
            entries.push(entry.into());
        }
        entries.sort_unstable();
        entries.dedup();
        let lengths = entries.iter().fold(0u64, |m, e| m | 1 << e.len().min(63));
        let max_len = entries.iter().map(|e| e.len()).max().unwrap_or(0);
        let plan = crate::kernel::IgnorePlan::new(&entries, longer_than);
        let window = crate::kernel::Window::new(longer_than);
        Ok(Options {
            longer_than,
            ignore: entries,
            lengths,
            max_len,
            plan,
            window,
        })
    }

    /// Words with more code points than this are long.
    pub fn longer_than(&self) -> u64 {
        self.longer_than
    }

    /// The ignore entries, sorted and deduplicated.
    pub fn ignore(&self) -> impl ExactSizeIterator<Item = &[u8]> {
        self.ignore.iter().map(|e| &e[..])
    }

    /// The longest ignore entry, in bytes (0 without entries).
    pub fn max_ignore_len(&self) -> usize {
        self.max_len
    }

    pub(crate) fn window(&self) -> &crate::kernel::Window {
        &self.window
    }

    pub(crate) fn plan(&self) -> &crate::kernel::IgnorePlan {
        &self.plan
    }

    /// Is `word` (its exact bytes) an ignore entry?
    #[inline]
    pub fn is_ignored(&self, word: &[u8]) -> bool {
        self.lengths & (1 << word.len().min(63)) != 0
            && self.ignore.binary_search_by(|e| (**e).cmp(word)).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_entries_that_could_never_match() {
        assert_eq!(
            Options::new(8, ["a", ""]),
            Err(OptionsError::EmptyIgnore { index: 1 })
        );
        for space in crate::whitespace::SPACES {
            let entry = format!("x{}y", char::from_u32(space).unwrap());
            assert_eq!(
                Options::new(8, [entry.as_bytes()]),
                Err(OptionsError::IgnoreHasWhitespace { index: 0 })
            );
        }
        assert_eq!(
            Options::new(8, [&b"\xff"[..]]),
            Err(OptionsError::IgnoreNotUtf8 { index: 0 })
        );
        // Look-alikes of whitespace are ordinary characters.
        assert!(Options::new(8, ["\u{180E}", "\u{200B}", "\u{FEFF}"]).is_ok());
        // A lone surrogate, as Python's surrogatepass encodes it.
        assert!(Options::new(8, [&b"\xED\xA0\x80"[..]]).is_ok());
    }

    #[test]
    fn matching_is_exact_and_case_sensitive() {
        let o = Options::default();
        assert!(o.is_ignored(b"the"));
        assert!(o.is_ignored(b"a"));
        assert!(!o.is_ignored(b"The"));
        assert!(!o.is_ignored(b"A"));
        assert!(!o.is_ignored(b"then"));
        assert!(!o.is_ignored(b""));
        let long = "x".repeat(100);
        let o = Options::new(8, [long.as_str(), "y"]).unwrap();
        assert!(o.is_ignored(long.as_bytes()));
        assert!(!o.is_ignored(&long.as_bytes()[1..]));
        assert_eq!(o.max_ignore_len(), 100);
    }
}
