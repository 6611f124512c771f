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
//! - ignored words: a small ignore list ("the", "a") is matched exactly with
//!   masks: `starts & eq(b0) & eq(b1) >> 1 & ... & ws >> len`. The shifts
//!   reach into the next block, so each block's matches are settled one
//!   block later (a one-block pipeline). A large list goes through
//!   candidates (word starts whose first byte begins some entry and whose
//!   exact length, known from the masks, is some entry's), each compared
//!   exactly. Ignored words that are also long are taken back out.
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

    /// For each `bytes[j]`, `out[j]` gets bit i set when byte i of the block
    /// at `p` equals it.
    ///
    /// # Safety
    /// As for [`Classify::classify`]; `out.len() >= bytes.len()`.
    unsafe fn eq_each(p: *const u8, bytes: &[u8], out: &mut [u64]);

    /// Copy the bits of `x` where `keep` is set to the low bits, in order.
    fn compress(x: u64, keep: u64) -> u64;

    /// `buf` = `rest` followed by spaces (`rest.len() < READ`): the padded
    /// copy the last blocks are read from.
    ///
    /// # Safety
    /// The CPU must support the backend's features.
    #[inline(always)]
    unsafe fn fill_tail(buf: &mut [u8; TAIL], rest: &[u8]) {
        buf[..rest.len()].copy_from_slice(rest);
    }
}

/// Size of the padded copy of a text's tail.
pub(crate) const TAIL: usize = 64 + READ;

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

/// The most distinct bytes, and entries, the mask matcher takes on; larger
/// ignore lists go through candidates.
const MASK_BYTES: usize = 8;
const MASK_ENTRIES: usize = 8;

/// An entry matched with masks: indices of its bytes in the distinct-byte
/// table, and whether it is long (so must be taken out of the long count).
#[derive(Clone, Debug, PartialEq, Eq)]
struct MaskEntry {
    idx: Vec<usize>,
    long: bool,
}

/// A hash set of the ignore entries of at most 16 bytes, keyed by the
/// entry's bytes as two little-endian `u64` (zero-padded) and its length:
/// one multiply and usually one probe per candidate word, where a binary
/// search over 150 slices costs a dozen mispredicted comparisons.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ShortSet {
    /// Open addressing with linear probing: key, length (0 marks an empty
    /// slot) and whether the entry is long.
    slots: Vec<(u64, u64, u8, bool)>,
    shift: u32,
}

impl ShortSet {
    fn hash(lo: u64, hi: u64, len: usize, shift: u32) -> usize {
        let h = (lo ^ hi.rotate_left(31) ^ (len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .wrapping_mul(0xD6E8_FEB8_6659_FD93);
        (h >> shift) as usize
    }

    fn key(word: &[u8]) -> (u64, u64) {
        let mut b = [0u8; 16];
        b[..word.len()].copy_from_slice(word);
        let (lo, hi) = b.split_at(8);
        (
            u64::from_le_bytes(lo.try_into().unwrap()),
            u64::from_le_bytes(hi.try_into().unwrap()),
        )
    }

    /// A set of `entries` (each 1 to 16 bytes), each with its "long" flag.
    fn new<'e>(entries: impl Iterator<Item = (&'e [u8], bool)>) -> Self {
        let entries: Vec<(&[u8], bool)> = entries.collect();
        let bits = (entries.len() * 4)
            .next_power_of_two()
            .trailing_zeros()
            .max(2);
        let mut set = ShortSet {
            slots: vec![(0, 0, 0, false); 1 << bits],
            shift: 64 - bits,
        };
        for (e, long) in entries {
            let (lo, hi) = Self::key(e);
            let mask = set.slots.len() - 1;
            let mut i = Self::hash(lo, hi, e.len(), set.shift);
            while set.slots[i].2 != 0 {
                i = (i + 1) & mask;
            }
            set.slots[i] = (lo, hi, e.len() as u8, long);
        }
        set
    }

    /// The key of `text[i..i + len]` (`len <= 16`), read in place when 16
    /// bytes are there to read (a copy through a stack buffer stalls).
    #[inline(always)]
    fn key_at(text: &[u8], i: usize, len: usize) -> (u64, u64) {
        match text.get(i..i + 16) {
            Some(b) => {
                let lo = u64::from_le_bytes(b[..8].try_into().unwrap());
                let hi = u64::from_le_bytes(b[8..].try_into().unwrap());
                let keep = |n: usize| {
                    if n >= 8 {
                        u64::MAX
                    } else {
                        (1u64 << (8 * n)) - 1
                    }
                };
                (lo & keep(len), hi & keep(len.saturating_sub(8)))
            }
            None => Self::key(&text[i..i + len]),
        }
    }

    /// Is `text[i..i + len]` (1 to 16 bytes) in the set, and is it long?
    /// As `(hit, hit && long)` in 0/1, so callers add instead of branching
    /// (whether a word is a stop word is a coin toss for the predictor).
    #[inline(always)]
    fn lookup_at(&self, text: &[u8], i: usize, len: usize) -> (u64, u64) {
        let (lo, hi) = Self::key_at(text, i, len);
        let mask = self.slots.len() - 1;
        let mut h = Self::hash(lo, hi, len, self.shift);
        loop {
            let (l, hh, n, long) = self.slots[h];
            let eq = (l == lo) & (hh == hi) & (n as usize == len);
            // The table is at most a quarter full: the first probe almost
            // always settles it, so this branch is predictable.
            if eq | (n == 0) {
                return (eq as u64, (eq & long) as u64);
            }
            h = (h + 1) & mask;
        }
    }

    /// Is `word` (1 to 16 bytes) in the set?
    #[cfg(test)]
    fn contains(&self, word: &[u8]) -> bool {
        let (lo, hi) = Self::key(word);
        let mask = self.slots.len() - 1;
        let mut i = Self::hash(lo, hi, word.len(), self.shift);
        loop {
            let (l, h, n, _) = self.slots[i];
            if n == 0 {
                return false;
            }
            if (l, h, n as usize) == (lo, hi, word.len()) {
                return true;
            }
            i = (i + 1) & mask;
        }
    }
}

/// How the kernel matches an ignore list, worked out once per [`Options`]
/// (not per call: a call on a tiny text must not allocate).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IgnorePlan {
    /// Distinct bytes of the mask-matched entries.
    bytes: Vec<u8>,
    masked: Vec<MaskEntry>,
    /// The rest go through candidates: their distinct first bytes (empty:
    /// none), lengths (bit l, l < 64) and whether some has 64+ bytes.
    first: Vec<u8>,
    lengths: u64,
    long_entries: bool,
    /// The candidate path's entries of at most 16 bytes.
    short_set: ShortSet,
}

impl IgnorePlan {
    pub(crate) fn new(entries: &[Box<[u8]>], longer_than: u64) -> Self {
        let cps = |e: &[u8]| e.iter().filter(|&&b| (b as i8) >= -64).count() as u64;
        let mut bytes: Vec<u8> = entries.iter().flat_map(|e| e.iter()).copied().collect();
        bytes.sort_unstable();
        bytes.dedup();
        let small = entries.len() <= MASK_ENTRIES
            && bytes.len() <= MASK_BYTES
            && entries.iter().all(|e| e.len() < 64);
        let mut f = IgnorePlan::default();
        if small {
            f.masked = entries
                .iter()
                .map(|e| MaskEntry {
                    idx: e.iter().map(|b| bytes.binary_search(b).unwrap()).collect(),
                    long: cps(e) > longer_than,
                })
                .collect();
            f.bytes = bytes;
            return f;
        }
        f.first = entries.iter().map(|e| e[0]).collect();
        f.first.sort_unstable();
        f.first.dedup();
        for e in entries {
            if e.len() < 64 {
                f.lengths |= 1 << e.len();
            } else {
                f.long_entries = true;
            }
        }
        f.short_set = ShortSet::new(
            entries
                .iter()
                .filter(|e| e.len() <= 16)
                .map(|e| (&e[..], cps(e) > longer_than)),
        );
        f
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
    /// Shift amounts that build a window of N + 1 bits by doubling (a zero
    /// is a no-op step), so that `word` has no data-dependent loop.
    steps: [u32; 6],
    /// For N + 1 > 64 the window does not fit the look-behind: run lengths
    /// are tracked instead (`run`: non-space code points so far in the
    /// current word), and a word is long when its run ends at N + 1 or more.
    long_window: Option<u64>,
    run: u64,
    acc: u128,
    acc_len: u32,
    prev: u64,
    prev_r_top: u64,
    long: u64,
}

impl LongRuns {
    fn new(longer_than: u64) -> Self {
        if longer_than >= WINDOW_BITS {
            return LongRuns {
                steps: [0; 6],
                long_window: Some(longer_than.saturating_add(1)),
                run: 0,
                acc: 0,
                acc_len: 0,
                prev: 0,
                prev_r_top: 0,
                long: 0,
            };
        }
        let window = longer_than as u32 + 1;
        let mut steps = [0u32; 6];
        let mut covered = 1;
        for step in &mut steps {
            *step = covered.min(window - covered);
            covered += *step;
        }
        debug_assert_eq!(covered, window);
        LongRuns {
            steps,
            long_window: None,
            run: 0,
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
        if let Some(window) = self.long_window {
            self.word_runs(w, window);
            return;
        }
        // r bit p: code points p-N ..= p are all non-space. Only the high
        // half is used; it needs at most 63 bits of the previous word.
        let mut hi = w;
        let mut lo = self.prev;
        for &s in &self.steps {
            // (hi:lo) &= (hi:lo) << s, for 0 <= s < 64.
            let carried = if s == 0 { 0 } else { lo >> (64 - s) };
            hi &= (hi << s) | carried;
            lo &= lo << s;
        }
        self.long += (hi & !((hi << 1) | self.prev_r_top)).count_ones() as u64;
        self.prev_r_top = hi >> 63;
        self.prev = w;
    }

    /// The run-length method, for windows wider than the look-behind.
    #[inline(never)]
    fn word_runs(&mut self, w: u64, window: u64) {
        let (mut bits, mut left) = (w, 64u32);
        while left > 0 {
            if bits & 1 == 1 {
                let ones = (!bits).trailing_zeros().min(left);
                self.run += ones as u64;
                if ones == left {
                    return; // the run goes on into the next word
                }
                self.long += (self.run >= window) as u64;
                self.run = 0;
                bits >>= ones; // ones < left <= 64
                left -= ones;
            } else {
                // A run carried from the previous word ends here.
                if self.run > 0 {
                    self.long += (self.run >= window) as u64;
                    self.run = 0;
                }
                let zeros = bits.trailing_zeros().min(left);
                bits = if zeros >= 64 { 0 } else { bits >> zeros };
                left -= zeros;
            }
        }
    }

    fn finish(mut self) -> u64 {
        if self.acc_len > 0 {
            let w = self.acc as u64; // padded with zeros, i.e. spaces
            self.word(w);
        }
        if let Some(window) = self.long_window {
            // A run that reached the very end.
            self.long += (self.run >= window) as u64;
        }
        self.long
    }
}

/// From this `longer_than` on, the window of N + 1 bits no longer fits the
/// 64 bits of look-behind and long words are found by run lengths.
const WINDOW_BITS: u64 = 64;

/// Count a region with classifier `C`.
///
/// # Safety
/// The CPU must support `C`'s features. `text` is any byte slice (results
/// are exact when it is valid generalised UTF-8 that starts and ends at word
/// boundaries; other input is safe but counts are unspecified).
#[inline(always)]
pub(crate) unsafe fn count_region<C: Classify>(text: &[u8], opts: &Options) -> Counts {
    let mut k = Kernel {
        text,
        opts,
        filter: opts.plan(),
        runs: LongRuns::new(opts.longer_than()),
        words: 0,
        ignored: 0,
        ignored_long: 0,
        carry_ns: 0,
        ws_carry: 0,
        prev: Block::default(),
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
    let mut buf = [b' '; TAIL];
    let rest = &text[i..];
    // SAFETY: rest.len() < READ; the CPU features are this function's contract.
    unsafe { C::fill_tail(&mut buf, rest) };
    let mut j = 0;
    while j < rest.len() {
        let valid = (rest.len() - j).min(64) as u32;
        // SAFETY: j < rest.len() <= 65, so j + READ <= 64 + READ = buf.len().
        unsafe { k.block::<C>(buf.as_ptr().add(j), i + j, valid) };
        j += 64;
    }
    // Settle the last block against a block of nothing but spaces.
    let end = Block {
        ws: u64::MAX,
        base: n,
        ..Block::default()
    };
    k.settle(&end);
    let long = k.runs.finish() - k.ignored_long;
    Counts {
        words: k.words,
        ignored: k.ignored,
        long,
    }
}

/// Bits `k..k + 64` of the 128-bit `next:prev`, for `k < 64`, without a
/// 128-bit shift by a variable amount (`(next << 1) << (63 - k)` is
/// `next << (64 - k)`, and 0 for `k == 0`).
#[inline(always)]
fn shr2(prev: u64, next: u64, k: u32) -> u64 {
    debug_assert!(k < 64);
    (prev >> (k & 63)) | ((next << 1) << (63 - (k & 63)))
}

/// What the ignore matching keeps of a block until the next one is known.
#[derive(Clone, Copy, Default)]
struct Block {
    ws: u64,
    starts: u64,
    /// `eq[j]`: bytes equal to `filter.bytes[j]`.
    eq: [u64; MASK_BYTES],
    /// Candidate starts for the large-list path (first byte fits).
    cand: u64,
    base: usize,
}

/// The kernel's state between blocks. (A struct with an inlined method, not
/// a closure: a closure is compiled as its own function without the
/// caller's target features, and the intrinsics in it would not inline.)
struct Kernel<'a> {
    text: &'a [u8],
    opts: &'a Options,
    filter: &'a IgnorePlan,
    runs: LongRuns,
    words: u64,
    ignored: u64,
    ignored_long: u64,
    /// Was the byte before the block non-space?
    carry_ns: u64,
    /// Bytes of a multi-byte space spilling into the next block.
    ws_carry: u64,
    /// The previous block, whose ignored words are not settled yet.
    prev: Block,
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
        let inside = if valid == 64 {
            u64::MAX
        } else {
            (1u64 << valid) - 1
        };
        // Bytes past the end of the text count as spaces.
        let ws = m.ascii_ws
            | m.lead2
            | (m.lead2 << 1)
            | m.lead3
            | (m.lead3 << 1)
            | (m.lead3 << 2)
            | self.ws_carry
            | !inside;
        self.ws_carry = (m.lead2 >> 63) | (m.lead3 >> 63) | (m.lead3 >> 62);
        let ns = !ws;
        let starts = ns & !((ns << 1) | self.carry_ns);
        self.carry_ns = ns >> 63;
        self.words += starts.count_ones() as u64;

        let keep = !m.cont & inside;
        self.runs.push(C::compress(ns, keep), keep.count_ones());

        let mut cur = Block {
            ws,
            starts,
            base,
            ..Block::default()
        };
        if !self.filter.bytes.is_empty() {
            // SAFETY: forwarded contract; eq has MASK_BYTES >= bytes.len().
            unsafe { C::eq_each(p, &self.filter.bytes, &mut cur.eq) };
        }
        if !self.filter.first.is_empty() && starts != 0 {
            // SAFETY: forwarded contract.
            cur.cand = starts & unsafe { C::eq_any(p, &self.filter.first) };
        }
        self.settle(&cur);
        self.prev = cur;
    }

    /// Count the ignored words that start in `self.prev`, now that `next`
    /// (the block after it) is known.
    #[inline(always)]
    fn settle(&mut self, next: &Block) {
        let prev = &self.prev;
        if prev.starts == 0 {
            return;
        }
        let (mut hits, mut long_hits) = (0u64, 0u64);
        for e in &self.filter.masked {
            let mut m = prev.starts & shr2(prev.ws, next.ws, e.idx.len() as u32);
            for (k, &j) in e.idx.iter().enumerate() {
                // `& (MASK_BYTES - 1)`: j is in range by construction, and
                // this lets the compiler drop the bounds check.
                let j = j & (MASK_BYTES - 1);
                m &= shr2(prev.eq[j], next.eq[j], k as u32);
            }
            let h = m.count_ones() as u64;
            hits += h;
            long_hits += if e.long { h } else { 0 };
        }
        self.ignored += hits;
        self.ignored_long += long_hits;
        if prev.cand != 0 {
            self.check_candidates(prev.cand, prev.base, prev.ws, next.ws);
        }
    }

    /// The large-list path: compare each candidate word exactly.
    #[inline(never)]
    fn check_candidates(&mut self, mut cand: u64, base: usize, ws: u64, next_ws: u64) {
        let (text, f, opts) = (self.text, self.filter, self.opts);
        let (mut hits, mut long_hits) = (0u64, 0u64);
        while cand != 0 {
            let bit = cand.trailing_zeros();
            cand &= cand - 1;
            let i = base + bit as usize;
            let after = shr2(ws, next_ws, bit);
            let len = if after != 0 {
                after.trailing_zeros() as usize
            } else {
                // 64 bytes or more: find its end the slow way.
                (64..)
                    .map(|l| i + l)
                    .find(|&e| space_or_end(text, e))
                    .unwrap()
                    - i
            };
            if len <= 16 {
                let (hit, long) = f.short_set.lookup_at(text, i, len);
                hits += hit;
                long_hits += long;
                continue;
            }
            if len > opts.max_ignore_len() || (len < 64 && f.lengths & (1 << len) == 0) {
                continue;
            }
            let word = &text[i..(i + len).min(text.len())];
            if opts.is_ignored(word) {
                self.ignored += 1;
                let cps = word.iter().filter(|&&b| (b as i8) >= -64).count() as u64;
                if cps > opts.longer_than() {
                    self.ignored_long += 1;
                }
            }
        }
        self.ignored += hits;
        self.ignored_long += long_hits;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shr2_is_a_128_bit_shift() {
        let (prev, next) = (0x0123_4567_89AB_CDEFu64, 0xFEDC_BA98_7654_3210u64);
        for k in 0..64 {
            let want = ((prev as u128 | (next as u128) << 64) >> k) as u64;
            assert_eq!(shr2(prev, next, k), want, "k={k}");
        }
    }

    #[test]
    fn short_set_finds_exactly_its_entries() {
        let entries: Vec<&[u8]> =
            vec![b"a", b"the", b"abcdefgh", b"abcdefghi", b"0123456789abcdef"];
        let set = ShortSet::new(entries.iter().map(|e| (*e, e.len() > 8)));
        let text = b"xx a the abcdefgh abcdefghi 0123456789abcdef abcdefg th abcdefghij";
        for start in 0..text.len() {
            for len in 1..=16.min(text.len() - start) {
                let w = &text[start..start + len];
                let want = entries.contains(&w);
                let got = set.lookup_at(text, start, len);
                assert_eq!(got, (want as u64, (want && len > 8) as u64), "{w:?}");
                assert_eq!(set.contains(w), entries.contains(&w), "{w:?}");
            }
        }
    }

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
