//! Exact word statistics with Python's `str.split()` semantics.
//!
//! `shortlong` answers one question fast and exactly: of the words of a text
//! (split on the 29 whitespace code points of Python's `str.split()`),
//! ignoring some words ("the" and "a" by default), what fraction has more
//! than N code points (8 by default)? The pure-Python function
//!
//! ```python
//! def short_long(text):
//!     words = [w for w in text.split() if w != "the" and w != "a"]
//!     return sum(len(w) > 8 for w in words) / len(words)
//! ```
//!
//! is the definition; this crate gives the identical counts for every input.
//!
//! ```
//! let c = shortlong::count_str("the encyclopedia is a resource", &Default::default());
//! assert_eq!((c.words, c.ignored, c.long), (5, 2, 1));
//! assert_eq!(c.fraction(), Some(1.0 / 3.0));
//! ```
//!
//! This crate is safe Rust apart from the SIMD backends; it knows nothing of
//! C or Python (those live in `shortlong-ffi` and the Python package).

#![deny(unsafe_op_in_unsafe_fn)]

mod arch;
pub mod batch;
mod kernel;
mod options;
mod parallel;
pub mod scalar;
mod ucs;
mod utf8;
pub mod whitespace;

pub use arch::Backend;
pub use options::{Options, OptionsError};
pub use parallel::{count_split, count_threads, wake_threads, PARALLEL_MIN};
pub use ucs::{count_units, count_units_threads, UnitWidth, UnitsError};
pub use utf8::Utf8ErrorKind;

use std::fmt;

/// Word counts of a text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Counts {
    /// All whitespace-separated words.
    pub words: u64,
    /// Words equal to an ignore entry.
    pub ignored: u64,
    /// Words not ignored with more than `longer_than` code points.
    pub long: u64,
}

impl Counts {
    /// Words that are not ignored.
    pub fn remaining(&self) -> u64 {
        self.words - self.ignored
    }

    /// `long / (words - ignored)`, or `None` when no word remains.
    ///
    /// Both counts are below 2^53 for any text that fits in memory, so the
    /// division is the correctly rounded quotient, bit for bit what Python's
    /// `int / int` gives.
    pub fn fraction(&self) -> Option<f64> {
        match self.remaining() {
            0 => None,
            n => Some(self.long as f64 / n as f64),
        }
    }
}

impl std::ops::Add for Counts {
    type Output = Counts;
    fn add(self, o: Counts) -> Counts {
        Counts {
            words: self.words + o.words,
            ignored: self.ignored + o.ignored,
            long: self.long + o.long,
        }
    }
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        *self = *self + o;
    }
}

/// What to do with bytes that are not UTF-8 (Python's codec error handlers).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Errors {
    /// Fail with a [`Utf8Error`].
    #[default]
    Strict,
    /// Count each invalid sequence (maximal subpart) as one U+FFFD, exactly as
    /// `bytes.decode("utf-8", "replace")` does.
    Replace,
    /// Like `Strict`, but accept lone surrogates encoded as 3 bytes (ED A0..BF
    /// 80..BF), as `str.encode("utf-8", "surrogatepass")` writes them. Each is
    /// one code point. This is how a Python `str` reaches the core exactly.
    SurrogatePass,
}

/// Invalid UTF-8: where, how long, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Utf8Error {
    /// Byte offset of the invalid sequence from the start of the text.
    pub offset: u64,
    /// Its length in bytes (as `UnicodeDecodeError.end - start` in Python).
    pub len: usize,
    /// Why it is invalid.
    pub kind: Utf8ErrorKind,
}

impl fmt::Display for Utf8Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid UTF-8 at byte offset {}: {}",
            self.offset,
            self.kind.reason()
        )
    }
}

impl std::error::Error for Utf8Error {}

/// Count the words of UTF-8 `text`.
///
/// ```
/// use shortlong::{count, Errors, Options};
/// let o = Options::default();
/// assert_eq!(count(b"caf\xC3\xA9", &o, Errors::Strict).unwrap().words, 1);
/// let e = count(b"ok \xFF", &o, Errors::Strict).unwrap_err();
/// assert_eq!(e.offset, 3);
/// assert_eq!(count(b"ok \xFF", &o, Errors::Replace).unwrap().words, 2);
/// ```
pub fn count(text: &[u8], opts: &Options, errors: Errors) -> Result<Counts, Utf8Error> {
    count_with(Backend::best(), text, opts, errors)
}

/// [`count`] with a chosen kernel backend (for tests and benchmarks; an
/// unsupported backend falls back to the portable one).
pub fn count_with(
    backend: Backend,
    text: &[u8],
    opts: &Options,
    errors: Errors,
) -> Result<Counts, Utf8Error> {
    match fast_counts(backend, text, opts, errors) {
        Some(c) => Ok(c),
        // Rare: the oracle finds the error (strict) or decodes with
        // replacements (replace), but only around each invalid sequence.
        None => count_around_errors(backend, text, opts, errors),
    }
}

/// Below this many valid bytes before an invalid sequence, the oracle takes
/// [`DIRTY_RUN`] bytes at once: where errors are dense (random bytes),
/// looking for each one costs more than decoding it (0.107 GB/s would
/// have become 0.055).
const MIN_CLEAN: usize = 1 << 10;

/// See [`MIN_CLEAN`].
const DIRTY_RUN: usize = 4 << 10;

/// The counts of a text that is not valid for `errors` (it must start and
/// end at word boundaries): the stretches between invalid sequences go
/// through the kernel, and only the words around each one (from the space
/// before it to the space after it) through the oracle, one character at a
/// time. The oracle had counted the whole text: one bad byte made 1 MB of
/// English 40x slower to count with `Errors::Replace`. (The machine takes
/// its input in chunks cut anywhere, so where they are cut changes only
/// the speed.)
fn count_around_errors(
    backend: Backend,
    text: &[u8],
    opts: &Options,
    errors: Errors,
) -> Result<Counts, Utf8Error> {
    // What simdutf8 passed is valid: the kernel counts it unchecked.
    let region = unchecked_regions(backend, opts);
    let mut m = scalar::Machine::new(errors);
    let mut rest = text;
    while let Err(e) = simdutf8::compat::from_utf8(rest) {
        let upto = e.valid_up_to();
        if upto < MIN_CLEAN {
            let cut = whitespace::after_next_space(rest, DIRTY_RUN).unwrap_or(rest.len());
            m.feed_with(opts, &rest[..cut], false, None)?;
            rest = &rest[cut..];
            continue;
        }
        // Valid up to the error: its words before the last space before it
        // go through the kernel. The error's own words, to the first space
        // after it (the decoder's maximal subpart, as `error_len` gives it,
        // ends where the oracle's does), or to the end, through the oracle.
        let clean = whitespace::after_last_space(&rest[..upto], 0).unwrap_or(0);
        let bad_end = e.error_len().map_or(rest.len(), |n| upto + n);
        let cut = whitespace::after_next_space(rest, bad_end).unwrap_or(rest.len());
        m.feed_with(opts, &rest[..clean], false, Some(&region))?;
        m.feed_with(opts, &rest[clean..cut], false, None)?;
        rest = &rest[cut..];
    }
    m.feed_with(opts, rest, false, Some(&region))?;
    m.finish(opts)
}

/// A region counter for the machine ([`scalar::Machine::feed_with`]) on
/// text known to be valid (generalised) UTF-8: the kernel, no check.
fn unchecked_regions(backend: Backend, opts: &Options) -> impl Fn(&[u8]) -> Option<Counts> + '_ {
    move |r| Some(backend.count_region(r, opts))
}

/// A text longer than twice this is validated and counted a piece at a time
/// (cut after a space) by backends that validate before they count: each
/// piece is validated and then counted while it is in the core's cache,
/// where validating the whole text and then counting it would read it twice
/// from farther away. (A backend that validates while it counts takes the
/// whole text at once: pieces cost it 4-8% on 1 MB and on 256 MB.)
const CACHE_PIECE: usize = 128 << 10;

/// The kernel's counts of `text` when it is valid for `errors` (it must
/// start and end at word boundaries), else `None`. Pieces cut after a space
/// count the same as the whole; and the whole is valid exactly when every
/// piece is (a valid text cut at a character boundary gives valid pieces,
/// and valid pieces make a valid text, wherever they are cut).
fn fast_counts(backend: Backend, text: &[u8], opts: &Options, errors: Errors) -> Option<Counts> {
    if backend.checks_while_counting() && errors != Errors::SurrogatePass {
        return fast_piece(backend, text, opts, errors);
    }
    let mut total = Counts::default();
    let mut rest = text;
    while rest.len() > 2 * CACHE_PIECE {
        match whitespace::after_next_space(rest, CACHE_PIECE) {
            Some(cut) if cut < rest.len() => {
                total += fast_piece(backend, &rest[..cut], opts, errors)?;
                rest = &rest[cut..];
            }
            _ => break,
        }
    }
    total += fast_piece(backend, rest, opts, errors)?;
    Some(total)
}

/// [`fast_counts`] of one piece: validated, then counted.
fn fast_piece(backend: Backend, text: &[u8], opts: &Options, errors: Errors) -> Option<Counts> {
    match errors {
        Errors::Strict | Errors::Replace => backend.count_valid(text, opts),
        Errors::SurrogatePass => {
            is_utf8_with_surrogates(text).then(|| backend.count_region(text, opts))
        }
    }
}

/// Is `text` UTF-8 once 3-byte encodings of surrogates are allowed?
fn is_utf8_with_surrogates(mut text: &[u8]) -> bool {
    loop {
        match simdutf8::compat::from_utf8(text) {
            Ok(_) => return true,
            Err(e) => {
                let rest = &text[e.valid_up_to()..];
                match rest {
                    [0xED, 0xA0..=0xBF, 0x80..=0xBF, ..] => text = &rest[3..],
                    _ => return false,
                }
            }
        }
    }
}

/// The counts of a tiny text in one step, when it can be so counted: at
/// most 64 bytes of valid UTF-8, and an ignore list of at most 8 entries
/// over at most 8 distinct bytes. `None` for any other text. When it is
/// `Some`, it equals [`count`] (under any [`Errors`]: the text is valid). For
/// bindings that make one call per tiny text: [`count`]'s dispatch costs
/// more than the counting there (30 bytes, native calls: 56 ns through
/// `count`, 16 ns this way with AVX-512; 63 -> 28 ns with AVX2).
///
/// ```
/// use shortlong::{count, count_tiny, Errors, Options};
/// let o = Options::default();
/// if let Some(c) = count_tiny(b"the Encyclopedia of a thing", &o) {
///     assert_eq!(c, count(b"the Encyclopedia of a thing", &o, Errors::Strict).unwrap());
/// }
/// assert_eq!(count_tiny(b"caf\xE9", &o), None); // not UTF-8
/// assert_eq!(count_tiny(&[b'x'; 65], &o), None); // too long
/// ```
#[inline]
pub fn count_tiny(text: &[u8], opts: &Options) -> Option<Counts> {
    Backend::best().count_tiny(text, opts)
}

/// Count the words of a `str`: valid UTF-8 by its type, so this cannot fail
/// and the text is not validated again (the AVX-512 kernel counts CJK text
/// about a tenth faster without its UTF-8 check).
pub fn count_str(text: &str, opts: &Options) -> Counts {
    Backend::best().count_region(text.as_bytes(), opts)
}

/// The article's statistic with the default options: `None` when no word
/// remains (where Python raises `ZeroDivisionError`).
pub fn short_long(text: &str) -> Option<f64> {
    count_str(text, &Options::default()).fraction()
}

/// Counts a text that arrives in chunks, cut anywhere (even inside a
/// character); the result equals [`count`] on the whole text.
///
/// ```
/// use shortlong::{Counter, Errors, Options};
/// let mut c = Counter::new(Options::default(), Errors::Strict);
/// c.feed("encyclop\u{00E9}".as_bytes()[..9].as_ref()).unwrap();
/// c.feed("encyclop\u{00E9}dia".as_bytes()[9..].as_ref()).unwrap();
/// assert_eq!(c.finish().unwrap().long, 1);
/// ```
#[derive(Clone, Debug)]
pub struct Counter {
    opts: Options,
    errors: Errors,
    machine: scalar::Machine,
}

impl Counter {
    /// A counter with nothing fed yet.
    pub fn new(opts: Options, errors: Errors) -> Self {
        Counter {
            opts,
            errors,
            machine: scalar::Machine::new(errors),
        }
    }

    /// Feed the next chunk. After an error, every call returns that error;
    /// [`Counter::counts`] still has the words completed before it.
    ///
    /// Within a chunk, everything between the first and the last space goes
    /// through the fast kernel; only the words cut by chunk boundaries (and
    /// invalid input) are counted one character at a time.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Utf8Error> {
        let (opts, errors, backend) = (&self.opts, self.errors, Backend::best());
        // A region with invalid sequences is counted around them when they
        // are replaced (it starts and ends at word boundaries, so it counts
        // the same alone); else the machine finds the error.
        let region = |r: &[u8]| {
            fast_counts(backend, r, opts, errors).or_else(|| {
                (errors == Errors::Replace)
                    .then(|| count_around_errors(backend, r, opts, errors).ok())
                    .flatten()
            })
        };
        self.machine
            .feed_with(&self.opts, chunk, false, Some(&region))
    }

    /// [`Counter::feed`] of a chunk that is valid generalised UTF-8 by
    /// construction (code units transcoded by this crate): its regions are
    /// counted without being checked again.
    pub(crate) fn feed_valid(&mut self, chunk: &[u8]) {
        let region = unchecked_regions(Backend::best(), &self.opts);
        self.machine
            .feed_with(&self.opts, chunk, false, Some(&region))
            .expect("valid generalised UTF-8");
    }

    /// Counts of the words completed so far (the last word may still grow).
    pub fn counts(&self) -> Counts {
        self.machine.counts()
    }

    /// End of input: the counts of the whole text.
    pub fn finish(mut self) -> Result<Counts, Utf8Error> {
        self.machine.finish(&self.opts)
    }
}
