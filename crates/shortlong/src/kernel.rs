//! The block algorithm, written once for every backend.
//!
//! Owns counting a *region*: valid (generalised) UTF-8 that starts and ends
//! at word boundaries. A backend supplies only [`Classify`], which turns 64
//! bytes into bitmasks; everything else is plain `u64` arithmetic here:
//!
//! - whitespace: ASCII spaces, plus every byte of the 2- and 3-byte spaces
//!   (found by their lead byte and the bytes after it);
//! - words = starts of non-space runs: `ns & !(ns << 1 | carry)`;
//! - long words: code points are counted by compressing continuation bytes
//!   out of the non-space mask (`pext`), so each bit is one code point; a
//!   word has more than N code points iff a window of N+1 one-bits ends
//!   inside it, so long words are the starts of runs of such windows;
//! - ignored words: candidates are word starts whose first byte begins some
//!   entry and whose length may equal some entry's; each candidate is then
//!   compared exactly. Ignored words that are also long are taken back out.
//!
//! The kernel must not decode, validate or allocate; callers do that.

use crate::whitespace::{is_ascii_space, is_space};
use crate::{Counts, Options};

/// Bytes a classifier reads past the start of a block.
pub(crate) const READ: usize = 66;

/// Masks of one 64-byte block (bit i = byte i).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Masks {
    /// ASCII whitespace bytes.
    pub ascii_ws: u64,
    /// Lead bytes of 2-byte whitespace (C2 85, C2 A0).
    pub lead2: u64,
    /// Lead bytes of 3-byte whitespace (E1 9A 80, E2 80 80..8A, E2 80 A8,
    /// E2 80 A9, E2 80 AF, E2 81 9F, E3 80 80).
    pub lead3: u64,
    /// Continuation bytes (80..BF).
    pub cont: u64,
}

/// One backend's block classifier.
pub(crate) trait Classify {
    /// Classify the 64 bytes at `p`.
    ///
    /// # Safety
    /// `p..p + READ` must be readable, and the CPU must support the
    /// backend's features.
    unsafe fn classify(p: *const u8) -> Masks;

    /// Bit i set when byte i of the block at `p` equals one of `bytes`.
    ///
    /// # Safety
    /// As for [`Classify::classify`].
    unsafe fn eq_any(p: *const u8, bytes: &[u8]) -> u64;

    /// Bit i set when byte `i + k` of the block at `p` equals `byte`
    /// (`k` is 0, 1 or 2).
    ///
    /// # Safety
    /// As for [`Classify::classify`].
    unsafe fn eq_at(p: *const u8, k: usize, byte: u8) -> u64;

    /// Copy the bits of `x` where `keep` is set to the low bits, in order.
    fn compress(x: u64, keep: u64) -> u64;
}

/// Portable bit compression (the `pext` instruction's job), used where BMI2
/// is absent. Cost grows with the number of *removed* bits, which is small
/// for mostly-ASCII text.
#[inline(always)]
pub(crate) fn compress_portable(x: u64, keep: u64) -> u64 {
    if keep == u64::MAX {
        return x;
    }
    let mut out = 0u64;
    let mut k = keep;
    let mut n = 0;
    while k != 0 {
        // The next run of kept bits: copy it whole.
        let lo = k.trailing_zeros();
        let run = (!(k >> lo)).trailing_zeros();
        let bits = if run == 64 {
            x >> lo
        } else {
            (x >> lo) & ((1u64 << run) - 1)
        };
        out |= bits << n;
        n += run;
        k = if lo + run >= 64 {
            0
        } else {
            k & (u64::MAX << (lo + run))
        };
    }
    out
}

/// What the ignore filter needs, precomputed from the options.
struct IgnoreFilter<'a> {
    opts: &'a Options,
    /// Entries of at most 3 bytes, matched exactly with vector compares,
    /// with their code point counts. Empty when there are too many.
    short: Vec<(&'a [u8], u64)>,
    /// Distinct first bytes of the entries (empty: no entries).
    first: Vec<u8>,
    /// Bit l set when some entry has l bytes (l < 64); `long_entries` when
    /// some entry has 64 or more.
    lengths: u64,
    long_entries: bool,
}

impl<'a> IgnoreFilter<'a> {
    fn new(opts: &'a Options) -> Self {
        let short_entries: Vec<&[u8]> = opts.ignore().filter(|e| e.len() <= 3).collect();
        let short: Vec<(&[u8], u64)> = if short_entries.len() <= 8 {
            short_entries
                .iter()
                .map(|e| (*e, e.iter().filter(|&&b| (b as i8) >= -64).count() as u64))
                .collect()
        } else {
            Vec::new()
        };
        let mut first: Vec<u8> = opts
            .ignore()
            .filter(|e| short.is_empty() || e.len() > 3)
            .map(|e| e[0])
            .collect();
        first.sort_unstable();
        first.dedup();
        let mut lengths = 0u64;
        let mut long_entries = false;
        for e in opts.ignore().filter(|e| short.is_empty() || e.len() > 3) {
            if e.len() < 64 {
                lengths |= 1 << e.len();
            } else {
                long_entries = true;
            }
        }
        IgnoreFilter {
            opts,
            short,
            first,
            lengths,
            long_entries,
        }
    }

    /// Bits i where a word that starts at i could end at an entry length,
    /// given the block's whitespace `ws` (bits past the block are unknown,
    /// so they count as possible).
    #[inline(always)]
    fn length_filter(&self, ws: u64) -> u64 {
        if self.long_entries {
            return u64::MAX;
        }
        let mut m = 0u64;
        let mut l = self.lengths;
        while l != 0 {
            let len = l.trailing_zeros();
            l &= l - 1;
            m |= (ws >> len) | !(u64::MAX >> len);
        }
        m
    }
}

/// Is the character at `text[i..]` whitespace (or is `i` the end)?
#[inline]
fn space_or_end(text: &[u8], i: usize) -> bool {
    let Some(&b) = text.get(i) else { return true };
    if b < 0x80 {
        return is_ascii_space(b);
    }
    match crate::utf8::decode(&text[i..], true, true) {
        crate::utf8::Step::Char { cp, .. } => is_space(cp),
        _ => false,
    }
}

/// Streaming state of the long-word detector over the code-point bit stream.
struct LongRuns {
    /// Window size: N + 1 code points.
    window: u32,
    acc: u128,
    acc_len: u32,
    prev: u64,
    prev_r_top: u64,
    long: u64,
}

impl LongRuns {
    fn new(longer_than: u64) -> Self {
        LongRuns {
            window: longer_than as u32 + 1,
            acc: 0,
            acc_len: 0,
            prev: 0,
            prev_r_top: 0,
            long: 0,
        }
    }

    #[inline(always)]
    fn push(&mut self, bits: u64, n: u32) {
        self.acc |= (bits as u128) << self.acc_len;
        self.acc_len += n;
        if self.acc_len >= 64 {
            let w = self.acc as u64;
            self.acc >>= 64;
            self.acc_len -= 64;
            self.word(w);
        }
    }

    /// 64 more code points (bit = non-space).
    #[inline(always)]
    fn word(&mut self, w: u64) {
        let x = ((w as u128) << 64) | self.prev as u128;
        // r bit p: code points p-window+1 ..= p are all non-space.
        let mut r = x;
        let mut covered = 1;
        while covered < self.window {
            let s = covered.min(self.window - covered);
            r &= r << s;
            covered += s;
        }
        let r_hi = (r >> 64) as u64;
        self.long += (r_hi & !((r_hi << 1) | self.prev_r_top)).count_ones() as u64;
        self.prev_r_top = r_hi >> 63;
        self.prev = w;
    }

    fn finish(mut self) -> u64 {
        if self.acc_len > 0 {
            let w = self.acc as u64; // padded with zeros, i.e. spaces
            self.word(w);
        }
        self.long
    }
}

/// The longest `longer_than` the bit-window method handles (the window of
/// N + 1 bits must fit in the 64 bits of look-behind).
pub(crate) const MAX_LONGER_THAN: u64 = 63;

/// Count a region with classifier `C`.
///
/// # Safety
/// The CPU must support `C`'s features. `text` is any byte slice (results
/// are exact when it is valid generalised UTF-8 that starts and ends at word
/// boundaries; other input is safe but counts are unspecified), and
/// `opts.longer_than() <= MAX_LONGER_THAN`.
#[inline(always)]
pub(crate) unsafe fn count_region<C: Classify>(text: &[u8], opts: &Options) -> Counts {
    debug_assert!(opts.longer_than() <= MAX_LONGER_THAN);
    let mut k = Kernel {
        text,
        filter: IgnoreFilter::new(opts),
        runs: LongRuns::new(opts.longer_than()),
        words: 0,
        ignored: 0,
        ignored_long: 0,
        carry_ns: 0,
        ws_carry: 0,
    };
    let n = text.len();
    let mut i = 0;
    while i + READ <= n {
        // SAFETY: i + READ <= n, so p..p+READ lies in `text`; the CPU
        // features are this function's contract.
        unsafe { k.block::<C>(text.as_ptr().add(i), i, 64) };
        i += 64;
    }
    // The tail (fewer than READ bytes) goes through a space-padded copy.
    let mut buf = [b' '; 64 + READ];
    let rest = &text[i..];
    buf[..rest.len()].copy_from_slice(rest);
    let mut j = 0;
    while j < rest.len() {
        let valid = (rest.len() - j).min(64) as u32;
        // SAFETY: j < rest.len() <= 65, so j + READ <= 64 + READ = buf.len().
        unsafe { k.block::<C>(buf.as_ptr().add(j), i + j, valid) };
        j += 64;
    }
    let long = k.runs.finish() - k.ignored_long;
    Counts {
        words: k.words,
        ignored: k.ignored,
        long,
    }
}

/// The kernel's state between blocks. (A struct with an inlined method, not
/// a closure: a closure is compiled as its own function without the
/// caller's target features, and the intrinsics in it would not inline.)
struct Kernel<'a> {
    text: &'a [u8],
    filter: IgnoreFilter<'a>,
    runs: LongRuns,
    words: u64,
    ignored: u64,
    ignored_long: u64,
    /// Was the byte before the block non-space?
    carry_ns: u64,
    /// Bytes of a multi-byte space spilling into the next block.
    ws_carry: u64,
}

impl Kernel<'_> {
    /// One block of 64 bytes at `p`, which is `text[base..]` or a padded
    /// copy of it; only the first `valid` bytes belong to the text.
    ///
    /// # Safety
    /// `p..p+READ` readable; the CPU supports `C`'s features.
    #[inline(always)]
    unsafe fn block<C: Classify>(&mut self, p: *const u8, base: usize, valid: u32) {
        // SAFETY: forwarded contract.
        let m = unsafe { C::classify(p) };
        let ws = m.ascii_ws
            | m.lead2
            | (m.lead2 << 1)
            | m.lead3
            | (m.lead3 << 1)
            | (m.lead3 << 2)
            | self.ws_carry;
        self.ws_carry = (m.lead2 >> 63) | (m.lead3 >> 63) | (m.lead3 >> 62);
        // Bytes past the end of the text count as spaces.
        let inside = if valid == 64 {
            u64::MAX
        } else {
            (1u64 << valid) - 1
        };
        let ns = !ws & inside;
        let starts = ns & !((ns << 1) | self.carry_ns);
        self.carry_ns = ns >> 63;
        self.words += starts.count_ones() as u64;

        let keep = !m.cont & inside;
        self.runs.push(C::compress(ns, keep), keep.count_ones());

        if !self.filter.short.is_empty() && starts != 0 {
            let wsx = ws | !inside;
            for idx in 0..self.filter.short.len() {
                let (e, cps) = self.filter.short[idx];
                let mut m = starts;
                for (k, &b) in e.iter().enumerate() {
                    // SAFETY: forwarded contract; k <= 2.
                    m &= unsafe { C::eq_at(p, k, b) };
                }
                if m == 0 {
                    continue;
                }
                let len = e.len() as u32;
                // Where the byte after the word lies past this block, look
                // at the text itself.
                let unknown = !(u64::MAX >> len);
                let mut hits = (m & (wsx >> len) & !unknown).count_ones() as u64;
                let mut late = m & unknown;
                while late != 0 {
                    let i = base + late.trailing_zeros() as usize;
                    late &= late - 1;
                    hits += space_or_end(self.text, i + len as usize) as u64;
                }
                self.ignored += hits;
                if cps > self.filter.opts.longer_than() {
                    self.ignored_long += hits;
                }
            }
        }
        if !self.filter.first.is_empty() && starts != 0 {
            // SAFETY: forwarded contract.
            let first = unsafe { C::eq_any(p, &self.filter.first) };
            let cand = starts & first & self.filter.length_filter(ws | !inside);
            if cand != 0 {
                self.check_candidates(cand, base);
            }
        }
    }

    /// Compare each candidate word start exactly against the entries.
    #[inline(never)]
    fn check_candidates(&mut self, mut cand: u64, base: usize) {
        let (text, f) = (self.text, &self.filter);
        while cand != 0 {
            let i = base + cand.trailing_zeros() as usize;
            cand &= cand - 1;
            let rest = &text[i..];
            let max = rest.len().min(f.opts.max_ignore_len());
            // An entry holds no space, so the word is exactly the entry
            // when the entry is followed by a space or the end.
            for len in 1..=max {
                if len < 64 && f.lengths & (1u64 << len) == 0 {
                    continue;
                }
                let word = &rest[..len];
                if f.opts.is_ignored(word) && space_or_end(text, i + len) {
                    self.ignored += 1;
                    let cps = word.iter().filter(|&&b| (b as i8) >= -64).count() as u64;
                    if cps > f.opts.longer_than() {
                        self.ignored_long += 1;
                    }
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compress_portable_is_pext() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..2000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let keep = x.rotate_left(17) | x.rotate_left(5);
            let mut want = 0u64;
            let mut n = 0;
            for b in 0..64 {
                if keep >> b & 1 == 1 {
                    want |= (x >> b & 1) << n;
                    n += 1;
                }
            }
            assert_eq!(compress_portable(x, keep), want);
        }
        assert_eq!(compress_portable(5, u64::MAX), 5);
        assert_eq!(compress_portable(u64::MAX, 0), 0);
    }
}
