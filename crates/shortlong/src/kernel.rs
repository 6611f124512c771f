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
    /// Distinct first bytes of the entries (empty: no entries).
    first: Vec<u8>,
    /// Bit l set when some entry has l bytes (l < 64); `long_entries` when
    /// some entry has 64 or more.
    lengths: u64,
    long_entries: bool,
}

impl<'a> IgnoreFilter<'a> {
    fn new(opts: &'a Options) -> Self {
        let mut first: Vec<u8> = opts.ignore().map(|e| e[0]).collect();
        first.sort_unstable();
        first.dedup();
        let mut lengths = 0u64;
        let mut long_entries = false;
        for e in opts.ignore() {
            if e.len() < 64 {
                lengths |= 1 << e.len();
            } else {
                long_entries = true;
            }
        }
        IgnoreFilter {
            opts,
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
    let filter = IgnoreFilter::new(opts);
    let mut runs = LongRuns::new(opts.longer_than());
    let (mut words, mut ignored, mut ignored_long) = (0u64, 0u64, 0u64);
    let mut carry_ns = 0u64; // was the byte before the block non-space?
    let mut ws_carry = 0u64; // bytes of a multi-byte space spilling over

    let mut block = |p: *const u8, base: usize, valid: u32| {
        // SAFETY: the caller of this closure guarantees p..p+READ is
        // readable; the CPU features are the outer function's contract.
        let m = unsafe { C::classify(p) };
        let ws = m.ascii_ws
            | m.lead2
            | (m.lead2 << 1)
            | m.lead3
            | (m.lead3 << 1)
            | (m.lead3 << 2)
            | ws_carry;
        ws_carry = (m.lead2 >> 63) | (m.lead3 >> 63) | (m.lead3 >> 62);
        // Bytes past the end of the text count as spaces.
        let inside = if valid == 64 {
            u64::MAX
        } else {
            (1u64 << valid) - 1
        };
        let ns = !ws & inside;
        let starts = ns & !((ns << 1) | carry_ns);
        carry_ns = ns >> 63;
        words += starts.count_ones() as u64;

        let keep = !m.cont & inside;
        runs.push(C::compress(ns, keep), keep.count_ones());

        if !filter.first.is_empty() && starts != 0 {
            // SAFETY: as for classify above.
            let first = unsafe { C::eq_any(p, &filter.first) };
            let mut cand = starts & first & filter.length_filter(ws | !inside);
            while cand != 0 {
                let i = base + cand.trailing_zeros() as usize;
                cand &= cand - 1;
                let rest = &text[i..];
                let max = rest.len().min(filter.opts.max_ignore_len());
                // An entry holds no space, so the word is exactly the entry
                // when the entry is followed by a space or the end.
                for len in 1..=max {
                    if filter.lengths & (1u64 << len.min(63)) == 0 && len < 64 {
                        continue;
                    }
                    let word = &rest[..len];
                    if filter.opts.is_ignored(word) && space_or_end(text, i + len) {
                        ignored += 1;
                        let cps = word.iter().filter(|&&b| (b as i8) >= -64).count() as u64;
                        if cps > filter.opts.longer_than() {
                            ignored_long += 1;
                        }
                        break;
                    }
                }
            }
        }
    };

    let n = text.len();
    let mut i = 0;
    while i + READ <= n {
        // SAFETY: i + READ <= n, so p..p+READ lies in `text`.
        block(unsafe { text.as_ptr().add(i) }, i, 64);
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
        block(unsafe { buf.as_ptr().add(j) }, i + j, valid);
        j += 64;
    }
    let long = runs.finish() - ignored_long;
    Counts {
        words,
        ignored,
        long,
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
