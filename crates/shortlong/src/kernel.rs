//! The block algorithm, written once for every backend.
//!
//! Owns counting a *region*: valid (generalised) UTF-8 that starts and ends
//! at word boundaries. A backend supplies only [`Classify`], which turns 64
//! bytes into bitmasks; everything else is plain `u64` arithmetic here, on
//! batches of `B` blocks (one lane per block; the lane loops become vector
//! instructions where the backend's features allow):
//!
//! - whitespace: ASCII spaces, plus every byte of the 2- and 3-byte spaces
//!   (found by their lead byte and the bytes after it; the later bytes may
//!   spill into the next block);
//! - words = starts of non-space runs: `ns & !(ns << 1 | carry)`;
//! - long words: code points are counted by compressing continuation bytes
//!   out of the non-space mask (`pext`), so each bit is one code point; a
//!   word has more than N code points iff a window of N+1 one-bits ends
//!   inside it, so long words are the starts of runs of such windows. Each
//!   lane looks behind into the code points of the lanes before it;
//! - ignored words: a small ignore list ("the", "a") is matched exactly with
//!   masks anchored at the space after the word:
//!   `ws & starts << len & eq(b0) << len & ... & eq(b_last) << 1`. It only
//!   looks behind, so each batch is settled at once. A large list goes
//!   through candidates (word starts whose first byte begins some entry),
//!   each looked up exactly: their keys (one `u64`: the word, or the first
//!   8 bytes of a longer one) are collected into a buffer ([`KeyBuf`]) and
//!   looked up in bulk; the rare word that starts like a long entry is
//!   then compared whole. Ignored words that are also long are taken back
//!   out.
//!
//! Batches run as a software pipeline one deep: batch t is classified (its
//! masks stored lane by lane) while batch t - 1 goes through the lane stage.
//!
//! The kernel must not decode or allocate; callers do that. It validates
//! only where a backend checks blocks as it classifies them
//! ([`Classify::classify_checked`], the main loop of
//! [`count_region_checked`]); the caller validates the rest.

use crate::whitespace::{is_ascii_space, is_space};
use crate::{Counts, Options};

/// Bytes a classifier reads past the start of a block.
pub(crate) const READ: usize = 66;

/// Bytes a classifier reads before the start of a block (the default
/// ignore list looks back from a word's end to its start).
pub(crate) const BEHIND: usize = 3;

/// Masks of one 64-byte block (bit i = byte i).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Masks {
    /// ASCII whitespace bytes.
    pub ascii_ws: u64,
    /// The bytes of multi-byte whitespace that starts in this block (2
    /// bytes: C2 85, C2 A0; 3 bytes: E1 9A 80, E2 80 80..8A, E2 80 A8,
    /// E2 80 A9, E2 80 AF, E2 81 9F, E3 80 80), as far as they lie in it.
    pub multi_ws: u64,
    /// The leads of such whitespace at bytes 62 and 63 (bits 0 and 1):
    /// the rest of it lies in the next block (see [`block_words`]).
    pub multi_spill: u64,
    /// Continuation bytes (80..BF).
    pub cont: u64,
}

impl Masks {
    /// `multi_ws` and `multi_spill` from the lead bytes of the block's
    /// multi-byte whitespace, 2- and 3-byte alike: a space covers its lead,
    /// the byte after it, and the byte after that where that is a
    /// continuation byte (in UTF-8 the byte after a 2-byte character never
    /// is, the third byte of a 3-byte one always is). One lead mask where
    /// there were two (one mask instruction and a few shifts fewer a block
    /// of CJK text). Without a branch: a classifier calls it where it
    /// already knows that the block may have such whitespace (a second
    /// branch on whether it has, in the kernel, was taken for about every
    /// other block of CJK text).
    #[inline(always)]
    pub(crate) fn with_lead(ascii_ws: u64, lead: u64, cont: u64) -> Masks {
        Masks {
            ascii_ws,
            multi_ws: lead | (lead << 1) | ((lead << 2) & cont),
            multi_spill: lead >> 62,
            cont,
        }
    }

    /// [`Masks::with_lead`] for classifiers that find the lead bytes
    /// first: blocks without any skip the shifts.
    #[inline(always)]
    pub(crate) fn from_lead(ascii_ws: u64, lead: u64, cont: u64) -> Masks {
        if lead == 0 {
            Masks {
                ascii_ws,
                cont,
                ..Masks::default()
            }
        } else {
            Masks::with_lead(ascii_ws, lead, cont)
        }
    }
}

/// One backend's block classifier.
pub(crate) trait Classify {
    /// Classify the 64 bytes at `p`.
    ///
    /// # Safety
    /// `p - BEHIND..p + READ` must be readable, and the CPU must support the
    /// backend's features. (Every method has this contract, except that only
    /// [`Classify::the_a`] reads before `p`.)
    unsafe fn classify(p: *const u8) -> Masks;

    /// UTF-8 errors found by [`Classify::classify_checked`] so far.
    type Check: Copy;

    /// No errors yet.
    fn check_new() -> Self::Check;

    /// [`Classify::classify`], also checking that each byte of the block
    /// follows from the three before it as UTF-8 allows (the block's first
    /// bytes look back into the text). A text whose every block is checked,
    /// and whose end is, is valid UTF-8.
    ///
    /// # Safety
    /// As for [`Classify::classify`], and `p - BEHIND` readable.
    #[inline(always)]
    unsafe fn classify_checked(p: *const u8, check: &mut Self::Check) -> Masks {
        let _ = check;
        // SAFETY: forwarded contract.
        unsafe { Self::classify(p) }
    }

    /// Were the blocks checked so far valid?
    fn check_ok(check: &Self::Check) -> bool {
        let _ = check;
        true
    }

    /// `(hits, long hits)` of the keys `keys` (see [`WordTable::probe`]),
    /// in vectors where the backend can; `maybe(i)` for each key `keys[i]`
    /// that is a maybe, in order.
    ///
    /// # Safety
    /// The CPU supports the backend's features.
    #[inline(always)]
    unsafe fn short_hits(table: &WordTable, keys: &[u64], maybe: impl FnMut(usize)) -> (u64, u64) {
        short_hits_scalar(table, keys, maybe)
    }

    /// Build the keys of candidate words of a large ignore list: of the
    /// words starting at the bits of `cand` in the block
    /// `text[base..base + 64]` (whitespace `ws`, and `next_ws` for the block
    /// after), one key each ([`WordTable::key`]), in order, into `keys`
    /// (the block recorded, and room for its keys), to be looked up later. Returns the
    /// candidates left to the caller (their keys are `SHORT_TAG`, of
    /// length 0, which is in no slot): at least those of 64 bytes or more.
    ///
    /// The default, one word at a time, leaves also the words without 8
    /// bytes of text from their start (at the very end of the text).
    ///
    /// # Safety
    /// The CPU supports the backend's features; every bit of `cand` is a
    /// position inside `text` (`base + bit < text.len()`).
    #[inline(always)]
    unsafe fn collect_keys(
        text: &[u8],
        cand: u64,
        base: usize,
        ws: [u64; 2],
        keys: &mut KeyBuf,
    ) -> u64 {
        debug_assert!(keys.has_key_room());
        let mut n = keys.n;
        let (mut cand, mut rest) = (cand, 0);
        while cand != 0 {
            let bit = cand.trailing_zeros();
            cand &= cand - 1;
            let i = base + bit as usize;
            let len = shr2(ws[0], ws[1], bit).trailing_zeros() as usize;
            let key = match text.get(i..i + 8) {
                Some(b) if len < 64 => {
                    WordTable::key(u64::from_le_bytes(b.try_into().unwrap()), len)
                }
                _ => {
                    rest |= 1 << bit;
                    WordTable::SHORT_TAG
                }
            };
            // `& (LEN - 1)`: in range (the buffer has room for the block),
            // and this lets the compiler drop the check.
            keys.keys[n & (KeyBuf::LEN - 1)] = key;
            n += 1;
        }
        keys.n = n;
        rest
    }

    /// The default ignore list, "the" and "a", in one mask: bit i set when
    /// bytes i-3, i-2, i-1 are "the" (i is where the space after the word
    /// would be) or when byte i is "a". The two never collide in the lane
    /// stage: a "the" counts only where byte i is a space, and an "a" is
    /// counted one byte later, where its own bit is shifted to (one mask
    /// instruction a block instead of two).
    ///
    /// # Safety
    /// As for [`Classify::classify`].
    #[inline(always)]
    unsafe fn the_a(p: *const u8) -> u64 {
        // SAFETY: p - 3 .. p + READ - 1 is within the contract's range.
        unsafe {
            Self::eq_any(p.sub(3), b"t")
                & Self::eq_any(p.sub(2), b"h")
                & Self::eq_any(p.sub(1), b"e")
                | Self::eq_any(p, b"a")
        }
    }

    /// [`Classify::the_a`] for a block whose look-behind is not in memory
    /// before it (the first block of a text, or a block of the padded copy
    /// of its tail): `before` holds the three bytes before the block, the
    /// nearest in its low byte (spaces at the start of a text). The mask
    /// is made from the block's own bytes, shifted, with the bits from
    /// `before` below.
    ///
    /// # Safety
    /// `p..p + READ` must be readable; the CPU must support the backend's
    /// features.
    #[inline(always)]
    unsafe fn the_a_after(p: *const u8, before: [u8; BEHIND]) -> u64 {
        // Bit k set when before[k] (k = 0: the byte just before) is `c`.
        let bits = |c: u8| {
            before
                .iter()
                .enumerate()
                .fold(0u64, |m, (k, &b)| m | ((b == c) as u64) << k)
        };
        // The bits of bytes -3, -2, -1 at positions 0, 1, 2 once shifted
        // into place: byte -1 is bit (shift - 1), byte -2 bit (shift - 2).
        let behind = |c: u8, shift: u32| bits(c).reverse_bits() >> (64 - shift);
        // SAFETY: forwarded contract.
        unsafe {
            (Self::eq_any(p, b"t") << 3 | behind(b't', 3))
                & (Self::eq_any(p, b"h") << 2 | behind(b'h', 2))
                & (Self::eq_any(p, b"e") << 1 | behind(b'e', 1))
                | Self::eq_any(p, b"a")
        }
    }

    /// Bit i set when byte i of the block at `p` equals one of `bytes`.
    ///
    /// # Safety
    /// As for [`Classify::classify`].
    unsafe fn eq_any(p: *const u8, bytes: &[u8]) -> u64;

    /// Bit i set when byte i of the block at `p` is in `set` (one of
    /// `set.bytes`). Backends with a table lookup use `set.table`.
    ///
    /// # Safety
    /// As for [`Classify::classify`].
    #[inline(always)]
    unsafe fn in_set(p: *const u8, set: &ByteSet) -> u64 {
        // SAFETY: forwarded contract.
        unsafe { Self::eq_any(p, &set.bytes) }
    }

    /// For each `bytes[r]`, `put(r, mask)` with bit i of the mask set when
    /// byte i of the block at `p` equals it. (A callback, not an array to
    /// copy from: LLVM turned the copy of 8 masks into a column of the
    /// kernel's lanes into a `vpscatterqq`, 60% of the time of a list of 8
    /// distinct bytes with AVX-512.)
    ///
    /// # Safety
    /// As for [`Classify::classify`].
    unsafe fn eq_each(p: *const u8, bytes: &[u8], put: impl FnMut(usize, u64));

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

/// A set of bytes (the first bytes of a large ignore list's entries), as a
/// list and as a 128-entry table indexed by a byte's low 7 bits: bit 7 of
/// entry `b & 7F` set when the byte `b & 7F` is in the set, bit 6 when the
/// byte `b | 80` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ByteSet {
    pub bytes: Vec<u8>,
    pub table: [u8; 128],
    /// The same set by nibbles, for 16-entry shuffles: bit `h & 7` of
    /// `nibbles[h >> 3][l]` is set when the byte `h << 4 | l` is in it.
    pub nibbles: [[u8; 16]; 2],
}

impl Default for ByteSet {
    fn default() -> Self {
        ByteSet {
            bytes: Vec::new(),
            table: [0; 128],
            nibbles: [[0; 16]; 2],
        }
    }
}

impl ByteSet {
    fn new(mut bytes: Vec<u8>) -> Self {
        bytes.sort_unstable();
        bytes.dedup();
        let mut table = [0u8; 128];
        let mut nibbles = [[0u8; 16]; 2];
        for &b in &bytes {
            table[(b & 0x7F) as usize] |= if b < 0x80 { 0x80 } else { 0x40 };
            let (h, l) = ((b >> 4) as usize, (b & 0x0F) as usize);
            nibbles[h >> 3][l] |= 1 << (h & 7);
        }
        ByteSet {
            bytes,
            table,
            nibbles,
        }
    }
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

/// The most distinct bytes, and entries, the mask matcher takes on; larger
/// ignore lists go through candidates.
pub(crate) const MASK_BYTES: usize = 8;
const MASK_ENTRIES: usize = 8;

/// An entry matched with masks: indices of its bytes in the distinct-byte
/// table, and whether it is long (so must be taken out of the long count).
#[derive(Clone, Debug, PartialEq, Eq)]
struct MaskEntry {
    idx: Vec<usize>,
    long: bool,
}

/// The first 16 bytes of `b` as two little-endian words.
#[inline(always)]
fn two_words(b: &[u8]) -> (u64, u64) {
    (
        u64::from_le_bytes(b[..8].try_into().unwrap()),
        u64::from_le_bytes(b[8..16].try_into().unwrap()),
    )
}

/// `word` (at most 16 bytes), zero-padded, as two little-endian words.
fn padded_words(word: &[u8]) -> (u64, u64) {
    let mut b = [0u8; 16];
    b[..word.len()].copy_from_slice(word);
    two_words(&b)
}

/// The two words of the 16 bytes at `text[i..]`, read in place when they
/// are there to read (a copy through a stack buffer stalls); else the
/// `len` bytes of the word there, zero-padded. Bytes past the word's `len`
/// are unspecified.
#[inline(always)]
fn words_at(text: &[u8], i: usize, len: usize) -> (u64, u64) {
    match text.get(i..i + 16) {
        Some(b) => two_words(b),
        None => padded_words(&text[i..i + len]),
    }
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
            let (lo, hi) = padded_words(e);
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
        let (lo, hi) = words_at(text, i, len);
        (
            WordTable::low_bytes(lo, len),
            WordTable::low_bytes(hi, len.saturating_sub(8)),
        )
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
            let diff = (l ^ lo) | (hh ^ hi) | (n as u64 ^ len as u64);
            // The table is at most a quarter full: the first probe almost
            // always settles it (a hit, or an empty slot). One branch on
            // "settled" (the minimum is 0), not one on each outcome (which
            // one it is, is a coin toss for the predictor; LLVM splits
            // `eq | empty` into two branches).
            if diff.min(n as u64) == 0 {
                let eq = diff == 0;
                return (eq as u64, (eq & long) as u64);
            }
            h = (h + 1) & mask;
        }
    }

    /// Is `word` (1 to 16 bytes) in the set?
    #[cfg(test)]
    fn contains(&self, word: &[u8]) -> bool {
        let (lo, hi) = padded_words(word);
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

/// The ignore entries, each found with one probe of a perfect hash (each
/// entry alone in its slot): the large-list path's lookup, of the keys in a
/// [`KeyBuf`] (eight at a time with a vector gather where the backend can:
/// [`Classify::short_hits`]) or of one word ([`WordTable::probe`]).
///
/// A slot holds an entry's key ([`WordTable::key`]), one `u64`:
/// - an entry of at most 7 bytes: its bytes (zero-padded) with
///   `0xF8 + length` in byte 7, so one `u64` settles a word;
/// - a longer entry: its first 8 bytes (one slot for all the entries that
///   share them). A word of 8 bytes or more whose key is there is only
///   *maybe* an entry, to be compared whole by the caller; such words are
///   rare (English has few long stop words).
///
/// UTF-8 has no byte from F8 on, so the two kinds of key never meet. An
/// empty slot is 0, which only a word starting with 8 NUL bytes has (a
/// maybe, compared whole); the key of length 0, `SHORT_TAG` alone, is in
/// no slot (a backend gives it to a word it leaves to the caller).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct WordTable {
    pub(crate) slots: Vec<u64>,
    /// Whether a slot's entry is long (more than `longer_than` code points).
    long: Vec<bool>,
    /// Multiplier and shift of the hash.
    pub(crate) hash: (u64, u32),
    /// Some entry of at most 7 bytes is long (`longer_than` under 7): the
    /// vector lookups, which do not read `long`, leave the keys to
    /// [`WordTable::probe`].
    pub(crate) short_long: bool,
}

impl WordTable {
    /// The longest word a key holds whole.
    pub(crate) const SHORT_MAX: usize = 7;
    /// The keys from this on are those of words of at most 7 bytes.
    pub(crate) const SHORT_TAG: u64 = 0xF8 << 56;
    /// The largest table tried: 2^15 slots.
    const MAX_BITS: u32 = 15;
    /// Multipliers tried per table size.
    const TRIES: u64 = 4096;

    /// The key of a word of `len` bytes (at least 1) whose first 8 bytes
    /// (those past its end: any) are `lo`. (A word may hold NUL bytes, so
    /// "a" and "a\0" differ only in the length.)
    /// Without a branch on the length (a coin toss for the predictor).
    #[inline(always)]
    pub(crate) fn key(lo: u64, len: usize) -> u64 {
        debug_assert!(len >= 1);
        let keep = u64::MAX >> (8 * (8 - len.min(8)));
        let short = 0u64.wrapping_sub(u64::from(len <= Self::SHORT_MAX));
        lo & keep | (0xF8 + len as u64) << 56 & short
    }

    #[inline(always)]
    pub(crate) fn hash(input: u64, (mul, shift): (u64, u32)) -> usize {
        (input.wrapping_mul(mul) >> shift) as usize
    }

    /// The low `n` bytes of `x` (`n <= 8`).
    #[inline(always)]
    pub(crate) fn low_bytes(x: u64, n: usize) -> u64 {
        if n >= 8 {
            x
        } else {
            x & ((1u64 << (8 * n)) - 1)
        }
    }

    /// A perfect hash of distinct inputs (with their slots), or `None`
    /// when no multiplier tried puts each alone in a table of at most
    /// 2^[`Self::MAX_BITS`] slots (lists of many hundreds).
    fn perfect<T: Copy + Default>(items: &[(u64, T)]) -> Option<(Vec<T>, (u64, u32))> {
        // Small, so that the table keeps to the L1 cache beside the text
        // and the keys (with 4096 slots for the 150 stop words, where 2048
        // do, the list ran 6% slower): a random multiplier puts n
        // distinct inputs alone in m slots with probability about
        // exp(-n^2 / 2m), one in 250 tries for 150 in 2048 slots. A failed
        // try stops at its first collision, after about sqrt(m) inputs.
        let n = items.len();
        let least = (n * 4)
            .max(n * n / 16)
            .next_power_of_two()
            .trailing_zeros()
            .max(6);
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut taken: Vec<u64> = Vec::new();
        for bits in least..=Self::MAX_BITS {
            for _ in 0..Self::TRIES {
                // splitmix64: odd multipliers, the same on every run.
                seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = seed;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                let hash = ((z ^ (z >> 31)) | 1, 64 - bits);
                // Taken slots as bits: a try costs a few hundred bytes of
                // clearing, not a table's.
                taken.clear();
                taken.resize(1 << (bits - 6), 0);
                let alone = items.iter().all(|&(input, _)| {
                    let h = Self::hash(input, hash);
                    let (word, bit) = (&mut taken[h / 64], 1u64 << (h % 64));
                    let free = *word & bit == 0;
                    *word |= bit;
                    free
                });
                if alone {
                    let mut slots = vec![T::default(); 1 << bits];
                    for &(input, slot) in items {
                        slots[Self::hash(input, hash)] = slot;
                    }
                    return Some((slots, hash));
                }
            }
        }
        None
    }

    /// The table of distinct `entries` (each with its "long" flag), or
    /// `None` when it has no perfect hash, or an entry has a byte from F8
    /// on (not UTF-8; the keys of the two kinds could meet).
    pub(crate) fn new(entries: &[(&[u8], bool)]) -> Option<Self> {
        let mut items: Vec<(u64, (u64, bool))> = Vec::new();
        for &(e, long) in entries {
            debug_assert!(!e.is_empty());
            if e.iter().any(|&b| b >= 0xF8) {
                return None;
            }
            let key = Self::key(padded_words(&e[..e.len().min(8)]).0, e.len());
            // Only a short entry's flag is read (a long one's words are
            // compared whole).
            items.push((key, (key, long && e.len() <= Self::SHORT_MAX)));
        }
        // Long entries may share their first 8 bytes.
        items.sort_unstable();
        items.dedup();
        let (slots, hash) = Self::perfect(&items)?;
        let (slots, long): (Vec<u64>, Vec<bool>) = slots.into_iter().unzip();
        Some(WordTable {
            short_long: long.iter().any(|&l| l),
            slots,
            long,
            hash,
        })
    }

    /// The slot of `key`.
    #[inline(always)]
    pub(crate) fn slot(&self, key: u64) -> usize {
        Self::hash(key, self.hash) & (self.slots.len() - 1)
    }

    /// Look up a word's key: `(hit, hit && long, maybe)`, the first two in
    /// 0/1 so callers add instead of branching (whether a word is a stop
    /// word is a coin toss for the predictor). A hit is exact (a word of
    /// at most 7 bytes); a maybe (a longer word that starts with a long
    /// entry's first 8 bytes) is the caller's to compare whole.
    #[inline(always)]
    pub(crate) fn probe(&self, key: u64) -> (u64, u64, bool) {
        let at = self.slot(key);
        let eq = self.slots[at] == key;
        let short = key >= Self::SHORT_TAG;
        let hit = eq & short;
        // (`long` is read only where some entry is: one load less a word.)
        let long = hit && self.short_long && self.long[at];
        (hit as u64, long as u64, eq & !short)
    }

    /// The key of the word `text[i..i + len]` (at least one byte).
    #[inline(always)]
    pub(crate) fn key_at(text: &[u8], i: usize, len: usize) -> u64 {
        Self::key(words_at(text, i, len.min(16)).0, len)
    }
}

/// [`Classify::short_hits`] one key at a time.
#[inline(always)]
pub(crate) fn short_hits_scalar(
    table: &WordTable,
    keys: &[u64],
    mut maybe: impl FnMut(usize),
) -> (u64, u64) {
    let (mut hits, mut long_hits) = (0, 0);
    for (i, &key) in keys.iter().enumerate() {
        let (hit, long, may) = table.probe(key);
        hits += hit;
        long_hits += long;
        if may {
            maybe(i);
        }
    }
    (hits, long_hits)
}

thread_local! {
    /// Each thread's [`KeyBuf`], while no call on it holds it.
    static KEY_BUFS: std::cell::Cell<Option<Box<KeyBuf>>> = const { std::cell::Cell::new(None) };
}

/// Keys of candidate words ([`WordTable::key`]), built block by block
/// ([`Classify::collect_keys`], in vectors where the backend can) and
/// looked up in bulk ([`KeyBuf::flush`]): a lookup's load of a table slot,
/// left in the block's code, stalled each block on its latency.
#[derive(Clone, Debug)]
pub(crate) struct KeyBuf {
    pub(crate) keys: [u64; KeyBuf::LEN],
    pub(crate) n: usize,
    /// The blocks the keys came from, in order: where a maybe is (its
    /// key's rank among its block's candidates gives its position; kept
    /// this way because a position per key cost 13% of the speed).
    blocks: [BlockKeys; KeyBuf::BLOCKS],
    n_blocks: usize,
    /// The maybes of a flush (indices into `keys`), and how many.
    maybe: [u16; KeyBuf::LEN],
    n_maybe: usize,
}

/// A block's candidates (one key each, in order from `first`) and where
/// the block starts.
#[derive(Clone, Copy, Debug, Default)]
struct BlockKeys {
    cand: u64,
    base: usize,
    first: usize,
}

impl KeyBuf {
    pub(crate) const LEN: usize = 512;
    /// The room a block may take: at most 64 keys, and a backend may write
    /// up to 16 past those (whole vectors). A buffer is flushed once it
    /// holds over `LEN - ROOM`, or `BLOCKS` blocks.
    pub(crate) const ROOM: usize = 80;
    const BLOCKS: usize = 128;

    /// This thread's buffer, empty: allocated (and zeroed) once a thread,
    /// not once a call, which cost a column of short texts about 100 ns a
    /// text. (The closures only move a pointer: a closure does not inherit
    /// the backend's target features, so no kernel code runs in one.)
    fn take() -> Box<Self> {
        // `try_with`: a call from another thread-local's destructor, after
        // this one's, allocates a buffer of its own.
        let kept = KEY_BUFS.try_with(|cell| cell.take()).ok().flatten();
        let buf = kept.unwrap_or_else(|| {
            Box::new(KeyBuf {
                keys: [0; KeyBuf::LEN],
                n: 0,
                blocks: [BlockKeys::default(); KeyBuf::BLOCKS],
                n_blocks: 0,
                maybe: [0; KeyBuf::LEN],
                n_maybe: 0,
            })
        });
        debug_assert!(buf.n == 0 && buf.n_blocks == 0);
        buf
    }

    /// Return a flushed buffer for the thread's next call.
    fn give_back(buf: Box<Self>) {
        debug_assert!(buf.n == 0);
        // (Dropped instead when the thread-local is already destroyed.)
        let _ = KEY_BUFS.try_with(|cell| cell.set(Some(buf)));
    }

    /// Has a block room (for its keys, and to be recorded)?
    #[inline(always)]
    pub(crate) fn has_room(&self) -> bool {
        self.has_key_room() && self.n_blocks < Self::BLOCKS
    }

    /// Has a block room for its keys (recorded already)?
    #[inline(always)]
    pub(crate) fn has_key_room(&self) -> bool {
        self.n <= Self::LEN - Self::ROOM
    }

    /// Record the block at `base` whose candidates' keys come next.
    #[inline(always)]
    fn start_block(&mut self, cand: u64, base: usize) {
        // `& (BLOCKS - 1)`: in range (the buffer has room for the block),
        // and this lets the compiler drop the check.
        self.blocks[self.n_blocks & (Self::BLOCKS - 1)] = BlockKeys {
            cand,
            base,
            first: self.n,
        };
        self.n_blocks += 1;
    }

    /// Where the word of key `i` starts.
    fn position(&self, i: usize) -> usize {
        let blocks = &self.blocks[..self.n_blocks];
        let b = blocks[blocks.partition_point(|b| b.first <= i) - 1];
        let rank = (i - b.first) as u32;
        // The rank-th candidate of the block: its bit is the lowest left
        // after clearing the lowest `rank`.
        let mut cand = b.cand;
        for _ in 0..rank {
            cand &= cand - 1;
        }
        b.base + cand.trailing_zeros() as usize
    }

    /// Look up every key, empty the buffer, return `(hits, long hits)`;
    /// the maybes are left for [`KeyBuf::maybes`], until
    /// [`KeyBuf::clear`].
    ///
    /// Out of line: inlined, it cost the default list's loop 10% (the
    /// main loop's registers were allocated around it).
    ///
    /// # Safety
    /// The CPU supports `C`'s features.
    #[inline(never)]
    unsafe fn flush<C: Classify>(&mut self, table: &WordTable) -> (u64, u64) {
        let (maybe, n_maybe) = (&mut self.maybe, &mut self.n_maybe);
        *n_maybe = 0;
        // SAFETY: forwarded contract.
        let hits = unsafe {
            C::short_hits(table, &self.keys[..self.n], |i| {
                // `& (LEN - 1)`: in range (one per key, and i < LEN).
                maybe[*n_maybe & (KeyBuf::LEN - 1)] = i as u16;
                *n_maybe += 1;
            })
        };
        self.n = 0;
        hits
    }

    /// Forget the flushed keys' blocks and maybes.
    #[inline(always)]
    fn clear(&mut self) {
        self.n_blocks = 0;
        self.n_maybe = 0;
    }

    /// The maybes of the last flush: where their words start.
    fn maybes(&self) -> impl Iterator<Item = usize> + '_ {
        self.maybe[..self.n_maybe]
            .iter()
            .map(|&m| self.position(m as usize))
    }
}

/// How the kernel matches an ignore list, worked out once per [`Options`]
/// (not per call: a call on a tiny text must not allocate).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct IgnorePlan {
    /// Distinct bytes of the mask-matched entries.
    bytes: Vec<u8>,
    /// The entries are "a" and "the", in that order (the default list,
    /// matched with constant shifts).
    default_pair: bool,
    masked: Vec<MaskEntry>,
    /// The rest go through candidates: their distinct first bytes (empty:
    /// none), and lengths (bit l, l < 64; a word of 64 bytes or more is
    /// checked against `Options::max_ignore_len` instead).
    first: ByteSet,
    lengths: u64,
    /// The candidate path's entries, unless the list is too large for a
    /// perfect hash; the entries of at most 16 bytes that it does not
    /// settle (all of them without it, else those of 8 bytes or more) are
    /// in `short_set`.
    pub(crate) word_table: Option<WordTable>,
    short_set: ShortSet,
}

impl IgnorePlan {
    /// Does the list go through candidates (else masks, or it is empty)?
    pub(crate) fn large(&self) -> bool {
        !self.first.bytes.is_empty()
    }

    pub(crate) fn new(entries: &[Box<[u8]>], longer_than: u64) -> Self {
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
                    long: crate::utf8::code_points(e) > longer_than,
                })
                .collect();
            f.bytes = bytes;
            f.default_pair = entries.len() == 2 && &*entries[0] == b"a" && &*entries[1] == b"the";
            debug_assert!(!f.default_pair || f.bytes == b"aeht");
            return f;
        }
        f.first = ByteSet::new(entries.iter().map(|e| e[0]).collect());
        for e in entries.iter().filter(|e| e.len() < 64) {
            f.lengths |= 1 << e.len();
        }
        let long = |e: &[u8]| crate::utf8::code_points(e) > longer_than;
        let tabled: Vec<(&[u8], bool)> = entries.iter().map(|e| (&e[..], long(e))).collect();
        f.word_table = WordTable::new(&tabled);
        // The words the table does not settle, up to 16 bytes: all of them
        // without a table, else the longer ones (the maybes).
        let min = if f.word_table.is_some() {
            WordTable::SHORT_MAX + 1
        } else {
            1
        };
        f.short_set = ShortSet::new(
            entries
                .iter()
                .filter(|e| (min..=16).contains(&e.len()))
                .map(|e| (&e[..], long(e))),
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

impl Counts {
    /// Counts below 2^21 each, packed into one register for a return:
    /// three in memory were read back through a store-forwarding stall.
    pub(crate) fn pack(self) -> u64 {
        debug_assert!(self.words < 1 << 21);
        self.words | self.ignored << 21 | self.long << 42
    }

    pub(crate) fn unpack(x: u64) -> Counts {
        let field = |at: u32| x >> at & ((1 << 21) - 1);
        Counts {
            words: field(0),
            ignored: field(21),
            long: field(42),
        }
    }
}

/// The bytes whose masks [`count_block`] needs, or `None` when the
/// ignore list is not a small one (it needs the candidate path).
pub(crate) fn ascii_block_bytes(opts: &Options) -> Option<&[u8]> {
    let plan = opts.plan();
    plan.first.bytes.is_empty().then_some(&plan.bytes[..])
}

/// The counts of a text of at most 64 bytes, from its masks: `ns` marks
/// the text's bytes that are not whitespace (none past its end), `cp` the
/// same of its code points (continuation bytes compressed out, as the
/// kernel's lanes have them; `ns` again for ASCII), and `eq[i]` the bytes
/// equal to `ascii_block_bytes(opts)[i]`. The whole kernel for one block,
/// without its batches, look-behind and tail copy: a call on a tiny text
/// spent most of its time setting those up. A long word has
/// `longer_than + 1` non-space code points in a row.
#[inline(always)]
pub(crate) fn count_block(ns: u64, cp: u64, eq: &[u64; MASK_BYTES], opts: &Options) -> Counts {
    let starts = ns & !(ns << 1);
    let ends = ns & !(ns >> 1);
    let t = opts.longer_than();
    let long = if t >= 64 {
        0
    } else {
        // Bit i of `run`: code points i ..= i + have - 1 are all in a word.
        let (mut run, mut have) = (cp, 1);
        while have <= t {
            let s = have.min(t + 1 - have);
            run &= run >> s;
            have += s;
        }
        // One run of bits per long word.
        u64::from((run & !(run << 1)).count_ones())
    };
    let (mut ignored, mut ignored_long) = (0, 0);
    for e in &opts.plan().masked {
        // An entry of `len` bytes (1..64): a word starts at bit i, ends at
        // bit i + len - 1, and has byte k of the entry at bit i + k.
        let mut hit = starts & (ends >> (e.idx.len() - 1));
        for (k, &b) in e.idx.iter().enumerate() {
            hit &= eq[b & (MASK_BYTES - 1)] >> k;
        }
        let hits = u64::from(hit.count_ones());
        ignored += hits;
        if e.long {
            ignored_long += hits;
        }
    }
    Counts {
        words: u64::from(starts.count_ones()),
        ignored,
        long: long - ignored_long,
    }
}

/// [`count_block`] with classifier `C`, from a space-padded copy of the
/// text, which must be valid UTF-8 of at most 64 bytes (the caller checks:
/// the counts of anything else are unspecified); `None` unless the ignore
/// list is a small one. (The AVX-512 backend reads an ASCII text with a
/// masked load instead of the copy.)
///
/// # Safety
/// The CPU must support `C`'s features.
#[inline(always)]
pub(crate) unsafe fn count_tiny<C: Classify>(text: &[u8], opts: &Options) -> Option<Counts> {
    let n = text.len();
    if n > 64 {
        return None;
    }
    let bytes = ascii_block_bytes(opts)?;
    let mut buf = [b' '; TAIL];
    buf[..n].copy_from_slice(text);
    // SAFETY: `buf` has READ bytes from its start, and the classifiers
    // read nothing before it; the CPU features are this function's
    // contract.
    let (mk, eq) = unsafe {
        let mut eq = [0; MASK_BYTES];
        C::eq_each(buf.as_ptr(), bytes, |r, m| eq[r & (MASK_BYTES - 1)] = m);
        (C::classify(buf.as_ptr()), eq)
    };
    let inside = if n == 64 { u64::MAX } else { (1 << n) - 1 };
    // A valid text has no space cut by its end, so nothing spills.
    let ns = !(mk.ascii_ws | mk.multi_ws) & inside;
    let cp = if mk.cont == 0 {
        ns
    } else {
        C::compress(ns, !mk.cont)
    };
    Some(count_block(ns, cp, &eq, opts))
}

/// Texts shorter than this (a row of a column, typically) go through batches
/// of one block: a wide batch costs the same for one block as for eight.
pub(crate) const SMALL: usize = 256;

/// Blocks per batch are at most this many (the stream buffer holds two
/// batches' worth of words).
pub(crate) const MAX_LANES: usize = 16;

/// One `u64` per block of a batch: the lanes of the batch's bit vectors.
/// Every operation on it is a plain loop over the lanes, which the compiler
/// turns into vector instructions where the backend's features allow.
type Lanes<const B: usize> = [u64; B];

/// Bits `64 - s .. 128 - s` of `hi:lo`, i.e. `hi << s` with the top bits of
/// `lo` shifted in, for `s < 64` (0 gives `hi`).
#[inline(always)]
fn fshl(hi: u64, lo: u64, s: u32) -> u64 {
    debug_assert!(s < 64);
    (hi << (s & 63)) | ((lo >> 1) >> (63 - (s & 63)))
}

/// Lane i gets `v[i - 1]`; lane 0 gets `last` (the previous batch's last
/// lane): what each block sees of the block before it.
#[inline(always)]
fn behind<const B: usize>(v: &Lanes<B>, last: u64) -> Lanes<B> {
    let mut out = [last; B];
    out[1..].copy_from_slice(&v[..B - 1]);
    out
}

/// `fshl` lane by lane, with each lane's look-behind from the lane before.
#[inline(always)]
fn fshl_lanes<const B: usize>(v: &Lanes<B>, last: u64, s: u32) -> Lanes<B> {
    let lo = behind(v, last);
    std::array::from_fn(|i| fshl(v[i], lo[i], s))
}

/// `acc[i] += popcount(v[i])`.
#[inline(always)]
fn add_ones<const B: usize>(acc: &mut Lanes<B>, v: &Lanes<B>) {
    for i in 0..B {
        acc[i] += v[i].count_ones() as u64;
    }
}

/// Lanes of look-behind kept from earlier batches: a block has at least 16
/// code points (a character has at most 4 bytes), so 4 blocks cover the 64
/// code points a window can look back.
const HISTORY: usize = 4;

/// Lane i gets the lane `d` before it (`1 <= d <= HISTORY`), reaching back
/// into `hist`, the last lanes of earlier batches (oldest first).
#[inline(always)]
fn behind_by<const B: usize>(v: &Lanes<B>, hist: &[u64; HISTORY], d: usize) -> Lanes<B> {
    std::array::from_fn(|i| {
        if i >= d {
            v[i - d]
        } else {
            hist[HISTORY + i - d]
        }
    })
}

/// The last `HISTORY` lanes of `hist` followed by `v`.
#[inline(always)]
fn history<const B: usize>(v: &Lanes<B>, hist: &[u64; HISTORY]) -> [u64; HISTORY] {
    std::array::from_fn(|i| {
        let at = B + i; // index into hist ++ v, which has HISTORY + B entries
        if at >= HISTORY {
            v[at - HISTORY]
        } else {
            hist[at]
        }
    })
}

/// `x >> s`, and 0 for `s >= 64`.
#[inline(always)]
fn shr_or_zero(x: u64, s: u64) -> u64 {
    if s >= 64 {
        0
    } else {
        x >> s
    }
}

/// How the long-word window is built for one `longer_than`, worked out once
/// per [`Options`] (a call on a tiny text must not loop over it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Window {
    steps: [u32; 6],
    nsteps: usize,
    depth: usize,
    long_window: Option<u64>,
    default: bool,
}

impl Window {
    pub(crate) fn new(longer_than: u64) -> Self {
        let mut w = Window::default();
        if longer_than >= WINDOW_BITS {
            w.long_window = Some(longer_than.saturating_add(1));
            return w;
        }
        let window = longer_than as u32 + 1;
        let mut covered = 1;
        while covered < window {
            let step = covered.min(window - covered);
            w.steps[w.nsteps] = step;
            w.nsteps += 1;
            covered += step;
        }
        w.depth = (longer_than as usize + 1).div_ceil(16).clamp(1, HISTORY);
        w.default = w.steps[..w.nsteps] == DEFAULT_STEPS;
        w
    }
}

/// The doubling steps of the default window (N + 1 = 9 = 1 + 1 + 2 + 4 + 1).
const DEFAULT_STEPS: [u32; 4] = [1, 2, 4, 1];

/// One doubling step of the window: `hi:lo &= (hi:lo) << s`.
#[inline(always)]
fn double<const B: usize>(hi: &mut Lanes<B>, lo: &mut Lanes<B>, s: u32) {
    for j in 0..B {
        hi[j] &= fshl(hi[j], lo[j], s);
        lo[j] &= lo[j] << s;
    }
}

/// The long-word detector, a batch of blocks at a time.
///
/// Each block's non-space mask is compressed to one bit per code point
/// (continuation bytes taken out); lane j then holds `k_j >= 16` code
/// points in its low bits. A word has more than N code points iff a window
/// of N + 1 one-bits ends inside it, so long words are the starts of runs of
/// such windows. The window is built by doubling (`r &= r << s`), each lane
/// looking behind into the code points of the lanes before it (N + 1 <= 64
/// are needed, so at most 4 lanes). Windows wider than 64 bits do not fit that
/// look-behind and are found by run lengths instead.
struct LongWords<const B: usize> {
    steps: [u32; 6],
    nsteps: usize,
    /// The steps are DEFAULT_STEPS.
    default: bool,
    /// Lanes of look-behind the window needs: ceil((N + 1) / 16).
    depth: usize,
    /// `Some(N + 1)` when N + 1 > 64: run lengths (`run`: non-space code
    /// points so far in the current word).
    long_window: Option<u64>,
    run: u64,
    /// Code points of earlier lanes, top-aligned, and how many each has.
    hist_top: [u64; HISTORY],
    hist_k: [u64; HISTORY],
    long: Lanes<B>,
    long_runs: u64,
}

impl<const B: usize> LongWords<B> {
    fn new(w: &Window) -> Self {
        const { assert!(B >= 1 && B <= MAX_LANES) };
        LongWords {
            steps: w.steps,
            nsteps: w.nsteps,
            depth: w.depth,
            long_window: w.long_window,
            default: w.default,
            run: 0,
            hist_top: [0; HISTORY],
            // Before the text: blocks of spaces, one code point per byte.
            hist_k: [64; HISTORY],
            long: [0; B],
            long_runs: 0,
        }
    }

    /// A batch: `cp[j]` holds the `k[j]` code points of block j (bit = non-
    /// space), in its low bits.
    #[inline(always)]
    fn batch(&mut self, cp: &Lanes<B>, k: &Lanes<B>) {
        if let Some(window) = self.long_window {
            self.batch_runs(cp, k, window);
            return;
        }
        // Top-aligned copies, to be shifted in below the next lanes' bits.
        let top: Lanes<B> = std::array::from_fn(|j| cp[j] << (64 - k[j]));
        // The code points before each lane: lanes j-1, j-2, ... packed
        // downwards from bit 63.
        let mut lo = behind_by(&top, &self.hist_top, 1);
        if self.depth > 1 {
            let mut shift = behind_by(k, &self.hist_k, 1);
            for d in 2..=HISTORY {
                if d > self.depth {
                    break;
                }
                let t = behind_by(&top, &self.hist_top, d);
                for j in 0..B {
                    lo[j] |= shr_or_zero(t[j], shift[j]);
                }
                let kd = behind_by(k, &self.hist_k, d);
                for j in 0..B {
                    shift[j] += kd[j];
                }
            }
        }
        // r bit p: code points p-N ..= p are all non-space.
        let mut hi = *cp;
        if self.default {
            // The default (N = 8), with constant shifts.
            for s in DEFAULT_STEPS {
                double(&mut hi, &mut lo, s);
            }
        } else {
            for &s in &self.steps[..self.nsteps] {
                double(&mut hi, &mut lo, s);
            }
        }
        // Starts of runs of windows. `lo` went through the same steps, so its
        // bit 63 tells whether a window ends at the code point just before
        // the lane (the look-behind holds at least N + 1 code points).
        let starts: Lanes<B> = std::array::from_fn(|j| hi[j] & !((hi[j] << 1) | (lo[j] >> 63)));
        add_ones(&mut self.long, &starts);
        self.hist_top = history(&top, &self.hist_top);
        self.hist_k = history(k, &self.hist_k);
    }

    /// [`LongWords::word_runs`] for each lane of a batch. Out of line: in
    /// the main loops, its code cost the default's 10% (14.6 -> 13.3 GB/s
    /// on English), though it never ran there.
    #[inline(never)]
    fn batch_runs(&mut self, cp: &Lanes<B>, k: &Lanes<B>, window: u64) {
        for j in 0..B {
            self.word_runs(cp[j], k[j] as u32, window);
        }
    }

    /// The run-length method, for windows wider than the look-behind
    /// (N + 1 > 64): `k` code points in `w`. A word inside one lane has at
    /// most 64 code points, so it is never long; only a run that crosses a
    /// lane's edge can be. Each lane adds its bottom ones to the run coming
    /// in, ends it (unless the whole lane is non-space), and starts the next
    /// run with its top ones: a few instructions a lane, where a loop over
    /// every run of the lane was 10x slower than the window on English.
    #[inline(always)]
    fn word_runs(&mut self, w: u64, k: u32, window: u64) {
        debug_assert!((1..=64).contains(&k) && (k == 64 || w >> k == 0));
        let bottom = (!w).trailing_zeros(); // at most k: the bits from k on are 0
        self.run += bottom as u64;
        if bottom == k {
            return; // the run goes on into the next lane
        }
        self.long_runs += (self.run >= window) as u64;
        // The ones below bit k, counted from its top (there is a zero
        // among them, so fewer than k).
        self.run = (!(w << (64 - k))).leading_zeros() as u64;
    }

    /// By reference, as [`Kernel::finish`].
    #[inline(always)]
    fn finish(&mut self) -> u64 {
        if let Some(window) = self.long_window {
            // A run that reached the very end.
            self.long_runs += (self.run >= window) as u64;
        }
        self.long.iter().sum::<u64>() + self.long_runs
    }
}

/// From this `longer_than` on, the window of N + 1 bits no longer fits the
/// 64 bits of look-behind and long words are found by run lengths.
const WINDOW_BITS: u64 = 64;

/// Count a region with classifier `C`, `B` blocks of 64 bytes at a time.
///
/// # Safety
/// The CPU must support `C`'s features. `text` is any byte slice (results
/// are exact when it is valid generalised UTF-8 that starts and ends at word
/// boundaries; other input is safe but counts are unspecified).
#[inline(always)]
pub(crate) unsafe fn count_region<C: Classify, const B: usize>(
    text: &[u8],
    opts: &Options,
) -> Counts {
    // SAFETY: forwarded contract.
    unsafe {
        if opts.plan().large() {
            count_region_impl::<C, B, false, true>(text, opts).0
        } else {
            count_region_impl::<C, B, false, false>(text, opts).0
        }
    }
}

/// [`count_region`], checking the blocks of the main loop with
/// [`Classify::classify_checked`] on the way: the counts, the range of
/// `text` checked (empty when none was), and whether it was valid. The
/// rest of the text is the caller's to validate (with the three bytes
/// before the range's end: a character may straddle it).
///
/// `LARGE` must be `opts.plan().large()`: a backend may compile the two
/// apart, so that the large-list path's code does not weigh on the
/// allocation of registers in the loops of the others.
///
/// # Safety
/// As for [`count_region`].
#[inline(always)]
pub(crate) unsafe fn count_region_checked<C: Classify, const B: usize, const LARGE: bool>(
    text: &[u8],
    opts: &Options,
) -> (Counts, std::ops::Range<usize>, bool) {
    // SAFETY: forwarded contract.
    unsafe { count_region_impl::<C, B, true, LARGE>(text, opts) }
}

#[inline(always)]
unsafe fn count_region_impl<C: Classify, const B: usize, const CHECK: bool, const LARGE: bool>(
    text: &[u8],
    opts: &Options,
) -> (Counts, std::ops::Range<usize>, bool) {
    let plan = opts.plan();
    assert_eq!(LARGE, plan.large(), "the caller's LARGE");
    let mut key_buf = (LARGE && plan.word_table.is_some()).then(KeyBuf::take);
    let mut k = Kernel::<B> {
        text,
        opts,
        plan: opts.plan(),
        long: LongWords::new(opts.window()),
        words: [0; B],
        ignored: [0; B],
        ignored_long: [0; B],
        cand_ignored: 0,
        cand_ignored_long: 0,
        spill: 0,
        last_ns: 0,
        last_starts: 0,
        last_eq: [0; MASK_BYTES],
        pending: (0, 0, 0),
        keys: key_buf.as_deref_mut(),
    };
    let n = text.len();
    let p = text.as_ptr();
    // A software pipeline one batch deep: batch t is classified (its masks
    // stored lane by lane) while batch t - 1 goes through the lane stage,
    // whose vector loads of those masks would otherwise stall on the stores
    // just made.
    let mut bufs = [Classified::<B>::default(); 2];
    let mut cur = 0;
    let mut full = false;
    let mut i = 0;
    // Whole batches read straight from the text: the first, whose first
    // block has nothing before it, the general way; the rest with one loop
    // for each way of matching the ignore list (no per-block tests of it).
    if i + 64 * (B - 1) + READ <= n {
        // SAFETY: block j reads p + 64j + READ, within the text by the
        // condition, and BEHIND bytes before it unless it is the text's
        // first block (which `classify` reads without look-behind); the CPU
        // features are this function's contract.
        unsafe {
            k.classify::<C>(
                &mut bufs[cur],
                std::array::from_fn(|j| p.wrapping_add(64 * j)),
                B,
                0,
                [None; B],
            )
        };
        full = true;
        cur ^= 1;
        i += 64 * B;
    }
    let plan = k.plan;
    let checked_from = i;
    let mut check = C::check_new();
    // SAFETY: forwarded contract (i > 0 once the loops run).
    i = unsafe {
        if LARGE {
            k.whole_batches::<C, FIRST, CHECK>(&mut bufs, &mut cur, i, &mut check)
        } else if plan.default_pair {
            k.whole_batches::<C, PAIR, CHECK>(&mut bufs, &mut cur, i, &mut check)
        } else if !plan.bytes.is_empty() {
            k.whole_batches::<C, EACH, CHECK>(&mut bufs, &mut cur, i, &mut check)
        } else {
            k.whole_batches::<C, NONE, CHECK>(&mut bufs, &mut cur, i, &mut check)
        }
    };
    let checked = if CHECK { checked_from..i } else { 0..0 };
    // Settled here, not after `finish`: live across its call (the flush of
    // keys), the check was kept in memory through the main loops (10% of
    // the default list's speed).
    let ok = C::check_ok(&check);
    // The rest: blocks with READ bytes left in the text are read in place,
    // the last few through a space-padded copy of the tail. The blocks
    // reach past the end, so that the byte after the text is a space in
    // some block (the ignore matching looks for it).
    let direct = if n - i >= READ {
        (n - i - READ) / 64 + 1
    } else {
        0
    };
    let t = i + 64 * direct;
    let rest = &text[t..];
    // The tail's copy: the rest, then spaces. Its blocks are read at the
    // offsets it was written at (a load across two stores would wait for
    // both to reach the cache), and get their look-behind as a value.
    let mut buf = [b' '; TAIL];
    // SAFETY: rest.len() < READ by the choice of `direct`; the CPU features
    // are this function's contract.
    unsafe { C::fill_tail(&mut buf, rest) };
    // The BEHIND bytes before each tail block, the nearest first.
    let before = |b: usize| -> [u8; BEHIND] {
        std::array::from_fn(|k| {
            let at = t + 64 * b; // where the tail block starts, in the text
            if at > k {
                *text.get(at - k - 1).unwrap_or(&b' ')
            } else {
                b' '
            }
        })
    };
    let tail_before = [before(0), before(1)];
    let blocks = direct + rest.len() / 64 + 1;
    let mut j = 0;
    while j < blocks {
        let m = (blocks - j).min(B);
        let ptrs = std::array::from_fn(|l| {
            let b = j + l;
            if b < direct {
                // b < direct, so i + 64b + READ <= n: in the text.
                p.wrapping_add(i + 64 * b)
            } else {
                // b - direct <= rest.len() / 64 <= 1, so the block at
                // 64(b - direct) has READ bytes in `buf`. Lanes past `m` are
                // not read.
                buf.as_ptr().wrapping_add(64 * (b - direct).min(1))
            }
        });
        let behind = std::array::from_fn(|l| {
            let b = j + l;
            (b >= direct).then(|| tail_before[(b - direct).min(1)])
        });
        // SAFETY: every pointer below `m` has READ readable bytes (above),
        // and BEHIND before it where `behind` is None and it is not the
        // text's first block.
        unsafe { k.classify::<C>(&mut bufs[cur], ptrs, m, i + 64 * j, behind) };
        if full {
            k.tail_lanes::<C, LARGE>(&bufs[cur ^ 1]);
        }
        full = true;
        cur ^= 1;
        j += m;
    }
    k.tail_lanes::<C, LARGE>(&bufs[cur ^ 1]);
    let counts = k.finish::<C>();
    if let Some(buf) = key_buf {
        KeyBuf::give_back(buf);
    }
    (counts, checked, ok)
}

/// How a batch's ignore list is matched (see [`IgnorePlan`]): not at all,
/// the default pair, masks of each byte, or candidates by first byte.
const NONE: u8 = 0;
const PAIR: u8 = 1;
const EACH: u8 = 2;
const FIRST: u8 = 3;
/// Any of them, as the plan says (the first batch and the tail).
const ANY: u8 = 4;

/// A block's whitespace, its non-space code points (continuation bytes
/// compressed out) and how many code points it has. `spill` carries the
/// leads of multi-byte spaces at the end of the block before (bits 0 and 1,
/// as [`Masks::multi_spill`]) into this one: a lead at byte 63 covers byte
/// 0, and either lead covers the next byte where that is a continuation
/// byte (see [`Masks::with_lead`]).
#[inline(always)]
fn block_words<C: Classify>(mk: &Masks, spill: &mut u64) -> (u64, u64, u64) {
    let w = mk.ascii_ws | mk.multi_ws | (*spill >> 1) | (*spill & mk.cont);
    *spill = mk.multi_spill;
    if mk.cont == 0 {
        return (w, !w, 64);
    }
    let keep = !mk.cont;
    (w, C::compress(!w, keep), keep.count_ones() as u64)
}

/// A batch's blocks, classified: one lane per block.
#[derive(Clone, Copy)]
struct Classified<const B: usize> {
    ws: Lanes<B>,
    /// Non-space code points, continuation bytes compressed out.
    cp: Lanes<B>,
    /// How many code points each block has.
    k: Lanes<B>,
    /// Bytes equal to some first byte of the large-list entries.
    any: Lanes<B>,
    /// `eq[b]`: bytes equal to the mask-matched entries' byte b.
    eq: [Lanes<B>; MASK_BYTES],
    /// Blocks that belong to the text, and where the first one starts.
    m: usize,
    base: usize,
}

impl<const B: usize> Classified<B> {
    /// Lane `j` of `eq`: the bytes of the block at `q` equal to each of
    /// `bytes` (at most `MASK_BYTES` of them).
    ///
    /// # Safety
    /// As for [`Classify::eq_each`].
    #[inline(always)]
    unsafe fn set_eq_each<C: Classify>(&mut self, j: usize, q: *const u8, bytes: &[u8]) {
        // SAFETY: forwarded contract. (`& (MASK_BYTES - 1)`: in range, as
        // `bytes` has at most MASK_BYTES; this drops the bounds check.)
        unsafe { C::eq_each(q, bytes, |r, m| self.eq[r & (MASK_BYTES - 1)][j] = m) };
    }
}

impl<const B: usize> Default for Classified<B> {
    fn default() -> Self {
        Classified {
            ws: [u64::MAX; B],
            cp: [0; B],
            k: [64; B],
            any: [0; B],
            eq: [[0; B]; MASK_BYTES],
            m: 0,
            base: 0,
        }
    }
}

/// The kernel's state between batches. (A struct with inlined methods, not
/// closures: a closure is compiled as its own function without the caller's
/// target features, and the intrinsics in it would not inline.)
struct Kernel<'a, const B: usize> {
    text: &'a [u8],
    opts: &'a Options,
    plan: &'a IgnorePlan,
    long: LongWords<B>,
    words: Lanes<B>,
    ignored: Lanes<B>,
    ignored_long: Lanes<B>,
    cand_ignored: u64,
    cand_ignored_long: u64,
    /// Bytes of a multi-byte space that spill into the next block.
    spill: u64,
    /// The previous batch's last lane, for each mask that is looked behind.
    last_ns: u64,
    last_starts: u64,
    last_eq: [u64; MASK_BYTES],
    /// The previous batch's last lane's candidates (candidates, whitespace,
    /// base): their lengths need the next block's whitespace.
    pending: (u64, u64, usize),
    /// Keys of candidates, where the backend collects them. (Borrowed: a
    /// kernel that owns a `Box` has drop glue, which kept its state in
    /// memory and cost the default list's loop 10%.)
    keys: Option<&'a mut KeyBuf>,
}

impl<const B: usize> Kernel<'_, B> {
    /// Classify a batch of `m <= B` blocks into `out`: block j at `ptrs[j]`,
    /// which is `text[base + 64j..]` or a space-padded copy of it. Lanes
    /// `m..B` are all spaces.
    ///
    /// # Safety
    /// `ptrs[j]..ptrs[j] + READ` readable for `j < m`; the CPU supports
    /// `C`'s features.
    #[inline(always)]
    unsafe fn classify<C: Classify>(
        &mut self,
        out: &mut Classified<B>,
        ptrs: [*const u8; B],
        m: usize,
        base: usize,
        behind: [Option<[u8; BEHIND]>; B],
    ) {
        let plan = self.plan;
        let nbytes = plan.bytes.len();
        out.m = m;
        out.base = base;
        // Per block, in scalar registers: whitespace (a multi-byte space
        // may spill into the next block), and the non-space code points with
        // continuation bytes compressed out (`k` of them).
        let mut spill = self.spill;
        for j in 0..m {
            // SAFETY: forwarded contract.
            let mk = unsafe { C::classify(ptrs[j]) };
            (out.ws[j], out.cp[j], out.k[j]) = block_words::<C>(&mk, &mut spill);
            if plan.default_pair {
                // SAFETY: forwarded contract; the text's first block has
                // nothing before it to read, a tail block has it as a value.
                out.eq[0][j] = unsafe {
                    match behind[j] {
                        Some(before) => C::the_a_after(ptrs[j], before),
                        None if base + 64 * j == 0 => C::the_a_after(ptrs[j], [b' '; BEHIND]),
                        None => C::the_a(ptrs[j]),
                    }
                };
            } else if nbytes != 0 {
                // SAFETY: forwarded contract.
                unsafe { out.set_eq_each::<C>(j, ptrs[j], &plan.bytes) };
            }
            if !plan.first.bytes.is_empty() {
                // SAFETY: forwarded contract.
                out.any[j] = unsafe { C::in_set(ptrs[j], &plan.first) };
            }
        }
        self.spill = spill;
        for j in m..B {
            out.ws[j] = u64::MAX;
            out.cp[j] = 0;
            out.k[j] = 64;
            out.any[j] = 0;
            for row in &mut out.eq {
                row[j] = 0;
            }
        }
    }

    /// The main loop: whole batches read in place from `i` (> 0, so every
    /// block has its look-behind in the text) while a whole batch is left,
    /// the ignore list matched the way `MODE` says; returns where it stopped.
    /// The batch before `i` is classified, in `bufs[cur ^ 1]`.
    ///
    /// # Safety
    /// The CPU supports `C`'s features; `i >= 64` or no whole batch is left.
    #[inline(always)]
    unsafe fn whole_batches<C: Classify, const MODE: u8, const CHECK: bool>(
        &mut self,
        bufs: &mut [Classified<B>; 2],
        cur: &mut usize,
        mut i: usize,
        check: &mut C::Check,
    ) -> usize {
        let (n, p) = (self.text.len(), self.text.as_ptr());
        // No whole batch was left for the first (a short text), or it was read.
        debug_assert!(i >= 64 || i + 64 * (B - 1) + READ > n);
        while i + 64 * (B - 1) + READ <= n {
            // SAFETY: block j reads p + i + 64j - BEHIND .. + READ, within
            // the text by the loop condition and i >= 64.
            unsafe {
                let out = &mut bufs[*cur];
                if MODE == FIRST && CHECK {
                    // A check of its own for each batch, kept only when it
                    // failed: the large list's calls (the flush, the
                    // candidates' checks) clobber every vector register,
                    // so a check carried through this loop lived in memory,
                    // a store and a reload each block (8% of the speed).
                    // The other loops keep theirs in a register (a check a
                    // batch cost CJK and Cyrillic 4% there).
                    let mut batch = C::check_new();
                    self.classify_whole::<C, MODE, CHECK>(out, p.wrapping_add(i), i, &mut batch);
                    if !C::check_ok(&batch) {
                        *check = batch;
                    }
                } else {
                    self.classify_whole::<C, MODE, CHECK>(out, p.wrapping_add(i), i, check)
                }
            };
            self.lanes::<C, MODE>(&bufs[*cur ^ 1]);
            *cur ^= 1;
            i += 64 * B;
        }
        i
    }

    /// [`Kernel::classify`] for a whole batch at `p` = `text[base..]`, every
    /// block with its look-behind in the text, the ignore list matched the
    /// way `MODE` says.
    ///
    /// # Safety
    /// `p - BEHIND..p + 64(B - 1) + READ` readable; the CPU supports `C`'s
    /// features.
    #[inline(always)]
    unsafe fn classify_whole<C: Classify, const MODE: u8, const CHECK: bool>(
        &mut self,
        out: &mut Classified<B>,
        p: *const u8,
        base: usize,
        check: &mut C::Check,
    ) {
        let plan = self.plan;
        out.m = B;
        out.base = base;
        let mut spill = self.spill;
        for j in 0..B {
            let q = p.wrapping_add(64 * j);
            // SAFETY: forwarded contract (BEHIND bytes before q are in the
            // text).
            let mk = unsafe {
                if CHECK {
                    C::classify_checked(q, check)
                } else {
                    C::classify(q)
                }
            };
            (out.ws[j], out.cp[j], out.k[j]) = block_words::<C>(&mk, &mut spill);
            // SAFETY: forwarded contract.
            unsafe {
                match MODE {
                    PAIR => out.eq[0][j] = C::the_a(q),
                    EACH => out.set_eq_each::<C>(j, q, &plan.bytes),
                    FIRST => out.any[j] = C::in_set(q, &plan.first),
                    _ => {}
                }
            }
        }
        self.spill = spill;
    }

    /// [`Kernel::lanes`] in the tail, candidates looked up only for a large
    /// list.
    #[inline(always)]
    fn tail_lanes<C: Classify, const LARGE: bool>(&mut self, c: &Classified<B>) {
        if LARGE {
            self.lanes::<C, ANY>(c)
        } else {
            self.lanes::<C, NONE>(c)
        }
    }

    /// The lane stage of a classified batch: words, long words, ignored
    /// words.
    #[inline(always)]
    fn lanes<C: Classify, const MODE: u8>(&mut self, c: &Classified<B>) {
        let plan = self.plan;
        let (ws, cp, k, any, eq, m, base) = (&c.ws, &c.cp, &c.k, &c.any, &c.eq, c.m, c.base);
        let ns: Lanes<B> = std::array::from_fn(|i| !ws[i]);
        let last_ns = self.last_ns;
        let ns_before = fshl_lanes(&ns, last_ns, 1);
        let starts: Lanes<B> = std::array::from_fn(|i| ns[i] & !ns_before[i]);
        add_ones(&mut self.words, &starts);
        self.last_ns = ns[B - 1];

        self.long.batch(cp, k);

        // Small ignore lists: a word equal to an entry of length L ends at a
        // space q with a start at q - L and byte k of the entry at q - L + k.
        // All of it looks behind, so each batch is settled at once.
        if plan.default_pair {
            // The default list: eq[0] marks the ends of "the" and the bytes
            // "a" (see `Classify::the_a`); the word must also start after a
            // space (or the start of the text). A byte "a" is never a space,
            // so it is no "the"; a byte after "the" is never after a space,
            // so it is no "a".
            let ws_before = !last_ns;
            let (w4, w2) = (fshl_lanes(ws, ws_before, 4), fshl_lanes(ws, ws_before, 2));
            let a_before = fshl_lanes(&eq[0], self.last_eq[0], 1);
            let the: Lanes<B> = std::array::from_fn(|i| ws[i] & eq[0][i] & w4[i]);
            let a: Lanes<B> = std::array::from_fn(|i| ws[i] & a_before[i] & w2[i]);
            add_ones(&mut self.ignored, &the);
            add_ones(&mut self.ignored, &a);
            for (e, hit) in plan.masked.iter().zip([&a, &the]) {
                if e.long {
                    add_ones(&mut self.ignored_long, hit);
                }
            }
        } else {
            for e in &plan.masked {
                let len = e.idx.len() as u32;
                let mut hit = fshl_lanes(&starts, self.last_starts, len);
                for i in 0..B {
                    hit[i] &= ws[i];
                }
                for (k, &b) in e.idx.iter().enumerate() {
                    // `& (MASK_BYTES - 1)`: in range by construction, and
                    // this lets the compiler drop the bounds check.
                    let b = b & (MASK_BYTES - 1);
                    let x = fshl_lanes(&eq[b], self.last_eq[b], len - k as u32);
                    for i in 0..B {
                        hit[i] &= x[i];
                    }
                }
                add_ones(&mut self.ignored, &hit);
                if e.long {
                    add_ones(&mut self.ignored_long, &hit);
                }
            }
        }
        for (last, row) in self.last_eq.iter_mut().zip(eq) {
            *last = row[B - 1];
        }
        self.last_starts = starts[B - 1];

        // Large lists: candidates, each looked up. A word's length needs the
        // whitespace of the block after its start's. (Only in the loops that
        // may have them: the lookup's code in the others' loops cost 8% on
        // the default list.)
        if (MODE == FIRST || MODE == ANY) && !plan.first.bytes.is_empty() {
            let (cand, pws, pbase) = self.pending;
            if cand != 0 {
                self.candidates::<C>(cand, pbase, pws, ws[0]);
            }
            for j in 0..m - 1 {
                let c = starts[j] & any[j];
                if c != 0 {
                    self.candidates::<C>(c, base + 64 * j, ws[j], ws[j + 1]);
                }
            }
            self.pending = (starts[m - 1] & any[m - 1], ws[m - 1], base + 64 * (m - 1));
        }
    }

    /// By reference: taking the kernel by value copied its few hundred bytes
    /// of state, through loads that straddled the stores just made (a
    /// store-forwarding stall per call: a tenth of the time per row of a
    /// column).
    #[inline(always)]
    fn finish<C: Classify>(&mut self) -> Counts {
        let (cand, ws, base) = self.pending;
        if cand != 0 {
            self.candidates::<C>(cand, base, ws, u64::MAX);
        }
        self.flush_keys::<C>();
        let sum = |v: &Lanes<B>| v.iter().sum::<u64>();
        let ignored_long = sum(&self.ignored_long) + self.cand_ignored_long;
        Counts {
            words: sum(&self.words),
            ignored: sum(&self.ignored) + self.cand_ignored,
            long: self.long.finish() - ignored_long,
        }
    }

    /// The large-list path for the candidates of one block: their keys
    /// into the buffer ([`Classify::collect_keys`]), to be looked up when
    /// it is full or the region ends; the words it leaves (and every word
    /// when the list has no table), in [`Kernel::check_candidates`].
    #[inline(always)]
    fn candidates<C: Classify>(&mut self, cand: u64, base: usize, ws: u64, next_ws: u64) {
        let plan = self.plan;
        if self.keys.as_ref().is_some_and(|keys| !keys.has_room()) {
            self.flush_keys::<C>();
        }
        let rest = match (&plan.word_table, &mut self.keys) {
            (Some(_), Some(keys)) => {
                keys.start_block(cand, base);
                // SAFETY: the kernel runs only on CPUs with C's features; a
                // candidate is a word start, inside the text.
                unsafe { C::collect_keys(self.text, cand, base, [ws, next_ws], keys) }
            }
            _ => cand,
        };
        if rest != 0 {
            self.check_candidates(rest, base, ws, next_ws);
        }
    }

    /// Look up the buffered keys, if any, into the candidates' counts, and
    /// compare the maybes whole.
    #[inline(always)]
    fn flush_keys<C: Classify>(&mut self) {
        if let (Some(keys), Some(table)) = (&mut self.keys, &self.plan.word_table) {
            // SAFETY: the kernel runs only on CPUs with C's features.
            let (hits, long_hits) = unsafe { keys.flush::<C>(table) };
            self.cand_ignored += hits;
            self.cand_ignored_long += long_hits;
            if keys.n_maybe != 0 {
                self.check_maybes();
            }
        }
        if let Some(keys) = &mut self.keys {
            keys.clear();
        }
    }

    /// The maybes of the last flush, compared whole (rare: words that
    /// start with the first 8 bytes of a long entry).
    #[inline(never)]
    fn check_maybes(&mut self) {
        let Some(keys) = self.keys.as_deref() else {
            return;
        };
        let text = self.text;
        let (mut hits, mut long_hits) = (0, 0);
        for i in keys.maybes() {
            // Its length: it has at least 8 bytes (in a valid text; `min`
            // keeps any other in bounds).
            let end = ((i + 8).min(text.len())..)
                .find(|&e| space_or_end(text, e))
                .unwrap();
            let (hit, long) = self.word_hit(i, end - i);
            hits += hit;
            long_hits += long;
        }
        self.cand_ignored += hits;
        self.cand_ignored_long += long_hits;
    }

    /// The large-list path: compare each candidate word exactly.
    #[inline(never)]
    fn check_candidates(&mut self, mut cand: u64, base: usize, ws: u64, next_ws: u64) {
        let text = self.text;
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
            let (hit, long) = self.word_hit(i, len);
            hits += hit;
            long_hits += long;
        }
        self.cand_ignored += hits;
        self.cand_ignored_long += long_hits;
    }

    /// Is the word `text[i..i + len]` ignored, and is it long? As
    /// `(hit, hit && long)` in 0/1.
    #[inline(always)]
    fn word_hit(&self, i: usize, len: usize) -> (u64, u64) {
        let (text, f, opts) = (self.text, self.plan, self.opts);
        // Words of at most 7 bytes are settled by the table when it was
        // built, the others of at most 16 by the short set.
        let small = match &f.word_table {
            Some(table) if len <= WordTable::SHORT_MAX => {
                let (hit, long, _) = table.probe(WordTable::key_at(text, i, len));
                Some((hit, long))
            }
            _ => (len <= 16).then(|| f.short_set.lookup_at(text, i, len)),
        };
        if let Some(found) = small {
            return found;
        }
        if len > opts.max_ignore_len() || (len < 64 && f.lengths & (1 << len) == 0) {
            return (0, 0);
        }
        let word = &text[i..(i + len).min(text.len())];
        if opts.is_ignored(word) {
            let long = crate::utf8::code_points(word) > opts.longer_than();
            (1, long as u64)
        } else {
            (0, 0)
        }
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

    /// A list too large for a perfect hash of the tables tried has no
    /// table, and its words go through the scalar lookup; the stop-word
    /// list gets one, which finds each entry.
    #[test]
    fn word_tables_for_small_and_huge_lists() {
        let stop = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../bench/stopwords.txt"
        ))
        .unwrap();
        let stop: Vec<&str> = stop.split_whitespace().collect();
        let short: Vec<(&[u8], bool)> = stop.iter().map(|w| (w.as_bytes(), w.len() > 8)).collect();
        let table = WordTable::new(&short).expect("a table for 150 words");
        for (w, long) in &short {
            // Words of 8 bytes or more are maybes, compared whole.
            let want = if w.len() <= WordTable::SHORT_MAX {
                (1, *long as u64, false)
            } else {
                (0, 0, true)
            };
            assert_eq!(table.probe(WordTable::key_at(w, 0, w.len())), want, "{w:?}");
        }
        assert_eq!(table.probe(WordTable::key_at(b"thee", 0, 4)), (0, 0, false));
        assert_eq!(table.probe(WordTable::SHORT_TAG), (0, 0, false));
        let huge: Vec<String> = (0..3000).map(|k| format!("w{k}")).collect();
        let entries: Vec<(&[u8], bool)> = huge.iter().map(|w| (w.as_bytes(), false)).collect();
        assert!(WordTable::new(&entries).is_none());
        let o = crate::Options::new(8, huge.iter().map(String::as_str)).unwrap();
        let text: String = (0..4000)
            .map(|k| format!("w{} x{k} ", k * 7 % 5000))
            .collect();
        let want = crate::scalar::count(text.as_bytes(), &o, crate::Errors::Strict);
        assert!(want.as_ref().is_ok_and(|c| c.ignored > 1000));
        for b in crate::Backend::available() {
            assert_eq!(
                crate::count_with(b, text.as_bytes(), &o, crate::Errors::Strict),
                want,
                "{b:?}"
            );
        }
    }

    /// Words that are not entries but land in an entry's slot: only the
    /// comparison of the whole slot tells them apart, which random text
    /// almost never tests (the table is sparse); and words that share a
    /// long entry's first 8 bytes (its key), told apart only when compared
    /// whole. Found by search, since the hash is fixed by the entries.
    #[test]
    fn words_in_an_entry_slot_are_told_apart() {
        let list = ["abc", "abcdefg", "abcdefgh", "abcdefghijklmno", "a\0", "zz"];
        let entries: Vec<Box<[u8]>> = list.iter().map(|e| e.as_bytes().into()).collect();
        let plan = IgnorePlan::new(&entries, 2);
        let table = plan.word_table.as_ref().expect("a table");
        let probe = |w: &[u8]| table.probe(WordTable::key_at(w, 0, w.len()));
        for e in &entries {
            let want = if e.len() <= WordTable::SHORT_MAX {
                (1, (e.len() > 2) as u64, false)
            } else {
                (0, 0, true)
            };
            assert_eq!(probe(e), want, "{e:?}");
        }
        let mut text = String::new();
        for (e, len) in [("abc", 3), ("abcdefg", 7), ("abcdefgh", 8)] {
            let slot = |w: &[u8]| table.slot(WordTable::key_at(w, 0, w.len()));
            let target = slot(e.as_bytes());
            // Same length, other bytes: a word the hash alone would take
            // for the entry.
            let mut found = 0;
            for k in 0..1_000_000u32 {
                let w = format!("{k:0len$x}");
                if w.len() != len {
                    break;
                }
                if w != e && slot(w.as_bytes()) == target {
                    assert_eq!(probe(w.as_bytes()), (0, 0, false), "{w:?}");
                    text.push_str(&w);
                    text.push(' ');
                    found += 1;
                    if found == 3 {
                        break;
                    }
                }
            }
            assert!(found > 0, "no word shares the slot of {e:?}");
        }
        // The long entries' first 8 bytes, then other tails, and the
        // entries themselves cut short or run on.
        for w in [
            "abcdefghi",
            "abcdefghijklmn",
            "abcdefghijklmnp",
            "abcdefghijklmnoo",
            "abcdefgh\u{e9}",
            "abcdefg\u{e9}",
            "abcdefgha",
        ] {
            assert_eq!(probe(w.as_bytes()).0, 0, "{w:?}");
            text.push_str(w);
            text.push(' ');
        }
        let o = crate::Options::new(2, list).unwrap();
        let want = crate::scalar::count(text.as_bytes(), &o, crate::Errors::Strict);
        assert_eq!(want.map(|c| c.ignored), Ok(0));
        // And with the entries among them: each found.
        let with = format!("{text}abcdefgh abcdefghijklmno abc zz a\0 {text}");
        let want_with = crate::scalar::count(with.as_bytes(), &o, crate::Errors::Strict);
        assert_eq!(want_with.map(|c| c.ignored), Ok(5));
        for b in crate::Backend::available() {
            let got = crate::count_with(b, text.as_bytes(), &o, crate::Errors::Strict);
            assert_eq!(got, want, "{b:?} on {text:?}");
            let got = crate::count_with(b, with.as_bytes(), &o, crate::Errors::Strict);
            assert_eq!(got, want_with, "{b:?} on {with:?}");
        }
    }

    /// Candidates sparse enough (about one a block) that the buffer runs
    /// out of block records before it runs out of keys, some of them
    /// maybes (long entries, and words that start like them) whose
    /// positions come from those records: each backend against the
    /// oracle, at several offsets.
    #[test]
    fn sparse_candidates_fill_the_block_records() {
        let stop = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../bench/stopwords.txt"
        ))
        .unwrap();
        let o = crate::Options::new(8, stop.split_whitespace()).unwrap();
        let long = "x".repeat(70);
        let words = [
            "the",
            "although",
            "themselves",
            "yourselves,",
            "of",
            "althoughx",
            &long,
            "ourselves",
        ];
        let filler = "x".repeat(57);
        for shift in 0..3 {
            let mut text = " ".repeat(shift);
            for i in 0..1600 {
                text.push_str(words[i % words.len()]);
                text.push(' ');
                text.push_str(&filler[..50 + i % 8]);
                text.push(' ');
            }
            let want = crate::scalar::count(text.as_bytes(), &o, crate::Errors::Strict);
            assert!(want.as_ref().is_ok_and(|c| c.ignored == 1000));
            for b in crate::Backend::available() {
                let got = crate::count_with(b, text.as_bytes(), &o, crate::Errors::Strict);
                assert_eq!(got, want, "{b:?}, shift {shift}");
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
