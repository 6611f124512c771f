//! x86-64 classifiers: AVX-512 BW, AVX2 and SSE2.
//!
//! # Safety
//! Each `classify`/`eq_any` reads `READ` bytes at its pointer with
//! unaligned loads and must only run on a CPU with the features named in its
//! `count_*` entry point, which is the only place the kernel is instantiated
//! for it. `Backend::is_supported` checks those features before any call.

use crate::kernel::{
    ascii_block_bytes, count_block, count_region, count_region_checked, count_tiny,
    short_hits_scalar, ByteSet, Classify, KeyBuf, Masks, WordTable, MASK_BYTES, SMALL, TAIL,
};
use crate::{Counts, Options};
use std::arch::x86_64::*;

/// # Safety
/// The CPU must support AVX-512 F, BW, DQ, VL, VPOPCNTDQ, VBMI and VBMI2,
/// and BMI2.
#[target_feature(
    enable = "avx512f,avx512bw,avx512dq,avx512vl,avx512vpopcntdq,avx512vbmi,avx512vbmi2,bmi2,popcnt"
)]
pub(super) unsafe fn count_avx512(text: &[u8], opts: &Options) -> Counts {
    // SAFETY: the features are enabled on this function.
    unsafe {
        if text.len() < SMALL {
            count_region::<Avx512, 1>(text, opts)
        } else {
            count_region::<Avx512, 8>(text, opts)
        }
    }
}

/// The counts of `text` when it is valid (strict) UTF-8, else `None`: the
/// main loop's blocks are checked as they are classified, the rest of the
/// text (its first batch and its tail) by [`is_utf8_range`], each from the
/// three bytes before it. One pass over the text where validating first
/// was another (a third of the time on Cyrillic and CJK).
///
/// # Safety
/// As for [`count_avx512`].
#[target_feature(
    enable = "avx512f,avx512bw,avx512dq,avx512vl,avx512vpopcntdq,avx512vbmi,avx512vbmi2,bmi2,popcnt"
)]
pub(super) unsafe fn count_avx512_valid(text: &[u8], opts: &Options) -> Option<Counts> {
    // SAFETY: forwarded contract.
    unsafe {
        if opts.plan().large() {
            count_avx512_valid_large(text, opts)
        } else {
            valid_avx512::<false>(text, opts)
        }
    }
}

/// [`count_avx512_valid`] for a large ignore list, compiled apart: in one
/// function with the others, the large-list path's code cost the default
/// list's loop 10% (a value of its loop was kept in memory).
///
/// # Safety
/// As for [`count_avx512`].
#[target_feature(
    enable = "avx512f,avx512bw,avx512dq,avx512vl,avx512vpopcntdq,avx512vbmi,avx512vbmi2,bmi2,popcnt"
)]
#[inline(never)]
unsafe fn count_avx512_valid_large(text: &[u8], opts: &Options) -> Option<Counts> {
    // SAFETY: forwarded contract.
    unsafe { valid_avx512::<true>(text, opts) }
}

/// The body of [`count_avx512_valid`]; `LARGE` is `opts.plan().large()`.
///
/// # Safety
/// As for [`count_avx512`], and the caller enables its features.
#[inline(always)]
unsafe fn valid_avx512<const LARGE: bool>(text: &[u8], opts: &Options) -> Option<Counts> {
    let n = text.len();
    // SAFETY: the features are enabled by the caller; the ranges given
    // to is_utf8_range start at 0 or at a checked range's end (at least
    // 64: the first batch is never checked in the main loop), and the head
    // ends where the main loop started, 64 bytes a block after 0.
    unsafe {
        if n < SMALL {
            return is_utf8_range(text, 0, n, true).then(|| count_region::<Avx512, 1>(text, opts));
        }
        let (counts, checked, clean) = count_region_checked::<Avx512, 8, LARGE>(text, opts);
        let valid = if checked.is_empty() {
            is_utf8_range(text, 0, n, true)
        } else {
            clean
                && is_utf8_range(text, 0, checked.start, false)
                && is_utf8_range(text, checked.end, n, true)
        };
        valid.then_some(counts)
    }
}

/// [`crate::kernel::count_tiny`] with AVX2, packed (see `count_tiny_avx512`); the
/// text is valid UTF-8.
///
/// # Safety
/// The CPU must support AVX2 and BMI2.
#[target_feature(enable = "avx2,bmi2,popcnt")]
pub(super) unsafe fn count_tiny_avx2(text: &[u8], opts: &Options) -> Option<u64> {
    // SAFETY: the features are enabled on this function.
    unsafe { count_tiny::<Avx2>(text, opts).map(Counts::pack) }
}

/// [`crate::kernel::count_tiny`] with SSE2, packed; the text is valid
/// UTF-8. Not inlined (see `count_tiny_portable`).
///
/// # Safety
/// SSE2 is baseline on x86-64, so this is always sound there.
#[inline(never)]
pub(super) unsafe fn count_tiny_sse2(text: &[u8], opts: &Options) -> Option<u64> {
    // SAFETY: SSE2 is always present on x86-64.
    unsafe { count_tiny::<Sse2>(text, opts).map(Counts::pack) }
}

/// # Safety
/// The CPU must support AVX2 and BMI2.
#[target_feature(enable = "avx2,bmi2,popcnt")]
pub(super) unsafe fn count_avx2(text: &[u8], opts: &Options) -> Counts {
    // SAFETY: the features are enabled on this function.
    unsafe {
        if text.len() < SMALL {
            count_region::<Avx2, 1>(text, opts)
        } else {
            count_region::<Avx2, 4>(text, opts)
        }
    }
}

/// # Safety
/// SSE2 is baseline on x86-64, so this is always sound there.
pub(super) unsafe fn count_sse2(text: &[u8], opts: &Options) -> Counts {
    // SAFETY: SSE2 is always present on x86-64.
    unsafe {
        if text.len() < SMALL {
            count_region::<Sse2, 1>(text, opts)
        } else {
            count_region::<Sse2, 4>(text, opts)
        }
    }
}

/// ASCII whitespace of a vector, for any width (`le!`, `sub!`, `min!` as
/// for `classify_lanes!`): 09..0D is (x - 09) <= 4, 1C..20 is (x - 1C) <= 4;
/// one compare of the smaller of the two (mask-producing instructions are
/// the costly ones).
macro_rules! ascii_ws_lanes {
    ($v:expr, $le:ident, $sub:ident, $min:ident) => {
        $le!($min!($sub!($v, 0x09), $sub!($v, 0x1C)), 4)
    };
}

/// The whitespace logic, written once for every vector width. The caller
/// names its own macros: `load!(ptr)`, `eq!(v, byte)`, `le!(v, byte)`
/// (unsigned <=), `sub!(v, byte)` (wrapping), `cont!(v)` (80..BF),
/// `min!(a, b)` (unsigned), `adds!(a, b)` (unsigned, saturated) and
/// `xor!(v, byte)`, each giving a lane mask (`eq`, `le`, `cont`) or a vector. Returns
/// `(ascii_ws, lead, cont)`, `lead` marking the leads of 2- and 3-byte
/// spaces; see [`Masks`].
macro_rules! classify_lanes {
    ($p:expr, $load:ident, $eq:ident, $le:ident, $sub:ident, $cont:ident, $min:ident, $adds:ident, $xor:ident) => {{
        let p = $p;
        let v0 = $load!(p);
        let ascii_ws = ascii_ws_lanes!(v0, $le, $sub, $min);
        let cont = $cont!(v0);
        // Possible lead bytes of multi-byte spaces: E1..E3 ((x - E1) <= 2)
        // or C2 (x ^ C2 == 0; times 4, saturated, so that every other byte
        // is above 2).
        let c2x = $xor!(v0, 0xC2);
        let c2x = $adds!(c2x, c2x);
        let c2x = $adds!(c2x, c2x);
        let mut lead = 0;
        // Multi-byte spaces start only with C2, E1, E2 or E3: most blocks
        // of most scripts skip the rest.
        if $le!($min!($sub!(v0, 0xE1), c2x), 2) != 0 {
            let (c2, e1, e2, e3) = (
                $eq!(v0, 0xC2),
                $eq!(v0, 0xE1),
                $eq!(v0, 0xE2),
                $eq!(v0, 0xE3),
            );
            let v1 = $load!(p.add(1));
            let v2 = $load!(p.add(2));
            let v1_80 = $eq!(v1, 0x80);
            let v2_80 = $eq!(v2, 0x80);
            // E2 80 {80..8A, A8, A9, AF}
            let e2_80_third =
                $le!($sub!(v2, 0x80), 0x0A) | $eq!(v2, 0xA8) | $eq!(v2, 0xA9) | $eq!(v2, 0xAF);
            lead = (c2 & ($eq!(v1, 0x85) | $eq!(v1, 0xA0)))
                | (e1 & $eq!(v1, 0x9A) & v2_80)
                | (e2 & v1_80 & e2_80_third)
                | (e2 & $eq!(v1, 0x81) & $eq!(v2, 0x9F))
                | (e3 & v1_80 & v2_80);
        }
        (ascii_ws, lead, cont)
    }};
}

/// The counts of a text of at most 64 bytes with a small ignore list (see
/// [`count_block`]); `None` for any other text. An ASCII one takes one
/// masked load and a few masks: 56 ns a call became 16 ns.
///
/// # Safety
/// As for [`count_avx512`].
#[target_feature(
    enable = "avx512f,avx512bw,avx512dq,avx512vl,avx512vpopcntdq,avx512vbmi,avx512vbmi2,bmi2,popcnt"
)]
pub(super) unsafe fn count_tiny_avx512(text: &[u8], opts: &Options) -> Option<u64> {
    let n = text.len();
    if n > 64 {
        return None;
    }
    let bytes = ascii_block_bytes(opts)?;
    let inside = _bzhi_u64(u64::MAX, n as u32); // all 64 when n = 64
                                                // SAFETY: the load reads only the lanes in `inside`, the text's `n`
                                                // bytes (a masked load does not touch the others, even past a page).
    let v = unsafe { _mm512_maskz_loadu_epi8(inside, text.as_ptr().cast()) };
    if _mm512_movepi8_mask(v) != 0 {
        // Not ASCII: through a padded copy, as the other backends do.
        // SAFETY: `is_utf8_range` on the whole text; the features are
        // enabled on this function.
        return unsafe {
            is_utf8_range(text, 0, n, true)
                .then(|| count_tiny::<Avx512>(text, opts).map(Counts::pack))
                .flatten()
        };
    }
    let splat = |b: u8| _mm512_set1_epi8(b as i8);
    macro_rules! le {
        ($v:expr, $b:expr) => {
            _mm512_cmple_epu8_mask($v, splat($b))
        };
    }
    macro_rules! sub {
        ($v:expr, $b:expr) => {
            _mm512_sub_epi8($v, splat($b))
        };
    }
    macro_rules! min {
        ($a:expr, $b:expr) => {
            _mm512_min_epu8($a, $b)
        };
    }
    let ns = !ascii_ws_lanes!(v, le, sub, min) & inside;
    let mut eq = [0; MASK_BYTES];
    for (m, &b) in eq.iter_mut().zip(bytes) {
        *m = _mm512_cmpeq_epi8_mask(v, splat(b));
    }
    Some(count_block(ns, ns, &eq, opts).pack())
}

struct Avx512;

/// The multi-byte spaces, as sets of sequences (bit k = sequence k) that
/// each byte of a three-byte window can belong to: 0: C2 {85, A0}; 1: E1 9A
/// 80; 2: E2 80 {80..8A, A8, A9, AF}; 3: E2 81 9F; 4: E3 80 80. A window is
/// the start of a space when the sets of its three bytes share a bit.
const SEQ_C2: u8 = 1;
const SEQ_E1: u8 = 2;
const SEQ_E2_80: u8 = 4;
const SEQ_E2_81: u8 = 8;
const SEQ_E3: u8 = 16;

/// The 128-entry tables of [`Avx512::classify`], indexed by the low 7 bits
/// of a byte (the callers mask by the top bit where it matters).
///
/// `CLASS` (the first byte): bit 7 ASCII whitespace (valid for bytes below
/// 80), bit 6 a possible lead of a multi-byte space, bit 5 a continuation
/// byte (both valid for bytes from 80 on), and the sequence bits of a lead.
/// `SECOND` and `THIRD`: the sequence bits of the bytes after a lead (every
/// byte may follow C2's two bytes). In valid UTF-8 the bytes after a lead
/// are continuation bytes, so the low 7 bits identify them.
const TABLES: [[u8; 128]; 3] = {
    let mut t = [[0u8; 128]; 3];
    let mut i = 0;
    while i < 128 {
        if (i >= 0x09 && i <= 0x0D) || (i >= 0x1C && i <= 0x20) {
            t[0][i] |= 0x80;
        }
        if i < 0x40 {
            t[0][i] |= 0x20;
        }
        let b = i | 0x80;
        t[0][i] |= match b {
            0xC2 => 0x40 | SEQ_C2,
            0xE1 => 0x40 | SEQ_E1,
            0xE2 => 0x40 | SEQ_E2_80 | SEQ_E2_81,
            0xE3 => 0x40 | SEQ_E3,
            _ => 0,
        };
        t[1][i] = match b {
            0x85 | 0xA0 => SEQ_C2,
            0x9A => SEQ_E1,
            0x80 => SEQ_E2_80 | SEQ_E3,
            0x81 => SEQ_E2_81,
            _ => 0,
        };
        t[2][i] = SEQ_C2
            | match b {
                0x80 => SEQ_E1 | SEQ_E2_80 | SEQ_E3,
                0x81..=0x8A | 0xA8 | 0xA9 | 0xAF => SEQ_E2_80,
                0x9F => SEQ_E2_81,
                _ => 0,
            };
        i += 1;
    }
    t
};

/// Table `k` of [`TABLES`] as two vectors.
#[inline(always)]
unsafe fn table(k: usize) -> (__m512i, __m512i) {
    // SAFETY: each table has 128 bytes, two unaligned 64-byte loads; AVX-512
    // F is enabled in count_avx512 and count_avx512_valid, the only callers.
    unsafe {
        (
            _mm512_loadu_si512(TABLES[k].as_ptr().cast()),
            _mm512_loadu_si512(TABLES[k].as_ptr().add(64).cast()),
        )
    }
}

/// A vector of 64 copies of a byte (a macro, not a closure: a closure would
/// be compiled without the caller's target features).
macro_rules! splat {
    ($b:expr) => {
        _mm512_set1_epi8($b as u8 as i8)
    };
}

impl Avx512 {
    /// As `classify_lanes!`, with table lookups (`vpermi2b`) instead of
    /// compares: one gives every class of a byte at once, and where a block
    /// has a possible lead of a multi-byte space, two more (of the next two
    /// bytes) find the spaces (see [`TABLES`]). Mask-producing instructions
    /// are the costly ones on Zen 4; this uses 3 per block, 5 with leads.
    /// With `CHECK`, the block's UTF-8 is checked into `check` on the way
    /// (see [`utf8_errors`]; an ASCII block needs only its first bytes
    /// checked against the three before it).
    ///
    /// # Safety
    /// `p..p + READ` readable, and `p - 3` with `CHECK`; the CPU supports
    /// the features of `count_avx512`.
    #[inline(always)]
    unsafe fn classify_impl<const CHECK: bool>(p: *const u8, check: &mut __m512i) -> Masks {
        // SAFETY: p..p+66 is readable (caller), and p - 3 with CHECK;
        // AVX-512 BW and VBMI are enabled in count_avx512 and count_avx512_valid, the only callers.
        unsafe {
            let v0 = _mm512_loadu_si512(p.cast());
            let (lo, hi) = table(0);
            let t = _mm512_permutex2var_epi8(lo, v0, hi);
            let high = _mm512_movepi8_mask(v0);
            let ascii_ws = _mm512_movepi8_mask(_mm512_andnot_si512(v0, t));
            let (mut cont, mut lead) = (0, 0);
            // Most blocks of English text are ASCII: they skip two mask
            // instructions (a predictable branch; other scripts always take
            // it).
            if high != 0 {
                lead = _mm512_mask_test_epi8_mask(high, t, splat!(0x40));
                cont = _mm512_mask_test_epi8_mask(high, t, splat!(0x20));
                if CHECK {
                    *check = utf8_errors(
                        v0,
                        _mm512_loadu_si512(p.sub(1).cast()),
                        _mm512_loadu_si512(p.sub(2).cast()),
                        _mm512_loadu_si512(p.sub(3).cast()),
                        *check,
                    );
                }
            } else if CHECK {
                // Only the bytes before the block can be wrong: a lead
                // three back (F0 and up), two back (E0 and up) or just
                // before (C0 and up) needs a continuation here.
                let head = _mm512_loadu_si512(OPEN_BEFORE.as_ptr().cast());
                let before = _mm512_loadu_si512(p.sub(3).cast());
                *check = _mm512_or_si512(*check, _mm512_subs_epu8(before, head));
            }
            if lead != 0 {
                // The sets of sequences each byte of the window is in,
                // intersected (see `TABLES`).
                let v1 = _mm512_loadu_si512(p.add(1).cast());
                let v2 = _mm512_loadu_si512(p.add(2).cast());
                let (s1lo, s1hi) = table(1);
                let (s2lo, s2hi) = table(2);
                let both = _mm512_ternarylogic_epi64::<0x80>(
                    t,
                    _mm512_permutex2var_epi8(s1lo, v1, s1hi),
                    _mm512_permutex2var_epi8(s2lo, v2, s2hi),
                );
                let lead = _mm512_mask_test_epi8_mask(
                    high,
                    both,
                    splat!(SEQ_C2 | SEQ_E1 | SEQ_E2_80 | SEQ_E2_81 | SEQ_E3),
                );
                // (No second branch on whether it has any.)
                return Masks::with_lead(ascii_ws, lead, cont);
            }
            Masks {
                ascii_ws,
                cont,
                ..Masks::default()
            }
        }
    }
}

impl Classify for Avx512 {
    type Check = __m512i;

    #[inline(always)]
    fn check_new() -> __m512i {
        // SAFETY: AVX-512 F is enabled in count_avx512 and
        // count_avx512_valid, the only callers.
        unsafe { _mm512_setzero_si512() }
    }

    #[inline(always)]
    unsafe fn classify(p: *const u8) -> Masks {
        let mut unused = Self::check_new();
        // SAFETY: forwarded contract (no look-behind without CHECK).
        unsafe { Self::classify_impl::<false>(p, &mut unused) }
    }

    #[inline(always)]
    unsafe fn classify_checked(p: *const u8, check: &mut __m512i) -> Masks {
        // SAFETY: forwarded contract.
        unsafe { Self::classify_impl::<true>(p, check) }
    }

    #[inline(always)]
    fn check_ok(check: &__m512i) -> bool {
        // SAFETY: AVX-512 F is enabled in count_avx512 and
        // count_avx512_valid, the only callers.
        unsafe { _mm512_test_epi64_mask(*check, *check) == 0 }
    }

    #[inline(always)]
    unsafe fn short_hits(table: &WordTable, keys: &[u64], maybe: impl FnMut(usize)) -> (u64, u64) {
        if table.short_long {
            // The long flags are not in the slots.
            return short_hits_scalar(table, keys, maybe);
        }
        // SAFETY: the features are this function's contract.
        (unsafe { short_hits_avx512(table, keys, maybe) }, 0)
    }

    /// The keys of a block's candidates, 8 words a vector. Adding the
    /// candidates to the non-space mask carries each through its word to
    /// the space after it, so the starts and ends of the candidates' words,
    /// compressed out of the block's index bytes, give every length at once
    /// (one byte each). From them, each word's first 8 bytes are permuted
    /// out of the block and the next, cut to its length and, for a word of
    /// at most 7 bytes, tagged with it ([`WordTable::key`]); a word of 64
    /// bytes or more gets the key of length 0 and is left to the caller.
    /// No branch depends on the words, save for a block of more than 16
    /// candidates.
    ///
    /// Inlined into the main loop of `count_avx512`, which enables the
    /// features it uses (F, BW, DQ, VBMI, VBMI2 and BMI2).
    #[inline(always)]
    unsafe fn collect_keys(
        text: &[u8],
        cand: u64,
        base: usize,
        ws: [u64; 2],
        keys: &mut KeyBuf,
    ) -> u64 {
        /// Byte i is `i / div + add`.
        const fn bytes(div: usize, add: usize) -> [u8; 64] {
            let mut t = [0u8; 64];
            let mut i = 0;
            while i < 64 {
                t[i] = (i / div + add) as u8;
                i += 1;
            }
            t
        }
        const IOTA: [u8; 64] = bytes(1, 0);
        // Byte k of each lane: k.
        const STEP: [u8; 64] = {
            let mut t = [0u8; 64];
            let mut i = 0;
            while i < 64 {
                t[i] = (i % 8) as u8;
                i += 1;
            }
            t
        };
        // Byte k of lane l: the group's word l (byte 8g + l of a
        // compressed vector), for the first two groups g.
        const SPREAD: [[u8; 64]; 2] = [bytes(8, 0), bytes(8, 8)];
        // Byte 7 of each lane: where a short key's length goes.
        const TOP: u64 = 0x8080_8080_8080_8080;
        debug_assert!(base < text.len());
        // The buffer's room is what makes the stores below safe.
        assert!(keys.has_key_room());
        // The candidates' words end at the space after them: adding a start
        // to the non-space mask carries through its run (a candidate starts
        // a run, and no two share one). A carry out of bit 63 is the last
        // candidate's word running on into the next block.
        let (sum, on) = (!ws[0]).overflowing_add(cand);
        let ends = sum & ws[0];
        let (k, done) = (cand.count_ones() as usize, ends.count_ones());
        // Its end there: at most 128 (no space in the next block either), so
        // a byte holds it and the length is over 63.
        let end_next = 64 + ws[1].trailing_zeros().min(64);
        // SAFETY: the features are this function's contract. The loads read
        // only bytes of the text (the masks stop at its end, and masked-out
        // bytes are not read). The stores write whole vectors at `n + 8g`
        // below `n + max(k, 16) + 8 <= n + 80`, with n <= LEN - ROOM =
        // LEN - 80 (asserted above).
        unsafe {
            let avail = text.len() - base;
            let p = text.as_ptr().add(base);
            let upto = |n: usize| if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
            let block = _mm512_maskz_loadu_epi8(upto(avail), p.cast());
            let next = if avail > 64 {
                _mm512_maskz_loadu_epi8(upto(avail - 64), p.add(64).cast())
            } else {
                _mm512_setzero_si512()
            };
            let iota = _mm512_loadu_si512(IOTA.as_ptr().cast());
            let starts = _mm512_maskz_compress_epi8(cand, iota);
            let mut stops = _mm512_maskz_compress_epi8(ends, iota);
            if on {
                stops = _mm512_mask_set1_epi8(stops, 1 << done, end_next as i8);
            }
            let len = _mm512_sub_epi8(stops, starts);
            let over = _mm512_mask_cmpge_epu8_mask(upto(k), len, _mm512_set1_epi8(64));
            // Left to the caller: the words of 64 bytes or more.
            let rest = _pdep_u64(over, cand);

            let step = _mm512_loadu_si512(STEP.as_ptr().cast());
            let (tag, seven, big) = (
                _mm512_set1_epi8((WordTable::SHORT_TAG >> 56) as u8 as i8),
                _mm512_set1_epi8(7),
                _mm512_set1_epi8(63),
            );
            let out = keys.keys.as_mut_ptr().add(keys.n);
            // The keys of words g..g + 8, from `spread` (their bytes of the
            // compressed vectors, each 8 times). A word of 64 bytes or more
            // gets the key of length 0, in no slot (its bytes cut to none,
            // `SHORT_TAG` alone).
            // (A macro, not a closure: a closure does not inherit the
            // target features, and its intrinsics would not inline.)
            macro_rules! group {
                ($spread:expr, $g:expr) => {{
                    let spread = _mm512_loadu_si512($spread.as_ptr().cast());
                    let from = _mm512_add_epi8(_mm512_permutexvar_epi8(spread, starts), step);
                    let len_l = _mm512_permutexvar_epi8(spread, len);
                    let over_l = _mm512_cmpgt_epu8_mask(len_l, big);
                    let keep = _mm512_cmplt_epu8_mask(step, len_l) & !over_l;
                    let bytes = _mm512_maskz_permutex2var_epi8(keep, block, from, next);
                    let short = _mm512_cmple_epu8_mask(len_l, seven) & TOP;
                    let key = _mm512_mask_add_epi8(bytes, short, len_l, tag);
                    let key = _mm512_mask_mov_epi8(key, over_l & TOP, tag);
                    _mm512_storeu_si512(out.add($g).cast(), key);
                }};
            }
            // Two groups whatever the count: a branch on it would be a coin
            // toss.
            group!(SPREAD[0], 0);
            group!(SPREAD[1], 8);
            // More than 16 candidates (a block of short words): the other
            // groups, their spread made here.
            let mut g = 16;
            while g < k {
                group!(bytes(8, g), g);
                g += 8;
            }
            keys.n += k;
            rest
        }
    }

    /// "the" and "a" with one mask-producing instruction: the shifted loads
    /// are compared in the vector domain (`(x ^ 't') | (y ^ 'h') | (z ^ 'e')`
    /// is zero only on a "the", `v ^ 'a'` only on an "a", and their unsigned
    /// minimum where either is).
    #[inline(always)]
    unsafe fn the_a(p: *const u8) -> u64 {
        // SAFETY: p - 3 .. p + 63 is readable (the contract's BEHIND = 3);
        // AVX-512 BW is enabled in count_avx512 and count_avx512_valid, the only callers.
        unsafe {
            let v3 = _mm512_loadu_si512(p.sub(3).cast());
            let v2 = _mm512_loadu_si512(p.sub(2).cast());
            let v1 = _mm512_loadu_si512(p.sub(1).cast());
            let v0 = _mm512_loadu_si512(p.cast());
            let x = _mm512_or_si512(
                _mm512_or_si512(
                    _mm512_xor_si512(v3, splat!(b't')),
                    _mm512_xor_si512(v2, splat!(b'h')),
                ),
                _mm512_xor_si512(v1, splat!(b'e')),
            );
            let y = _mm512_min_epu8(x, _mm512_xor_si512(v0, splat!(b'a')));
            _mm512_testn_epi8_mask(y, y)
        }
    }

    #[inline(always)]
    unsafe fn eq_any(p: *const u8, bytes: &[u8]) -> u64 {
        // SAFETY: as for classify.
        unsafe {
            let v = _mm512_loadu_si512(p.cast());
            let mut m = 0;
            for &b in bytes {
                m |= _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b as i8));
            }
            m
        }
    }

    /// One table lookup (`vpermi2b`) and one mask instruction, where
    /// comparing with each byte of a large list's first bytes took one mask
    /// instruction per byte.
    #[inline(always)]
    unsafe fn in_set(p: *const u8, set: &ByteSet) -> u64 {
        // SAFETY: p..p+64 readable (caller); the table has 128 bytes, two
        // unaligned 64-byte loads; AVX-512 BW and VBMI are enabled in
        // count_avx512 and count_avx512_valid, the only callers.
        unsafe {
            let v = _mm512_loadu_si512(p.cast());
            let lo = _mm512_loadu_si512(set.table.as_ptr().cast());
            let hi = _mm512_loadu_si512(set.table.as_ptr().add(64).cast());
            let t = _mm512_permutex2var_epi8(lo, v, hi);
            // Bit 7 of the result: t's bit 7 for an ASCII byte, t's bit 6
            // (doubled into bit 7) for a byte from 80 on: `v ? t + t : t`
            // bit by bit (0xB8), of which only bit 7 is used.
            let r = _mm512_ternarylogic_epi64::<0xB8>(t, v, _mm512_add_epi8(t, t));
            _mm512_movepi8_mask(r)
        }
    }

    #[inline(always)]
    unsafe fn eq_each(p: *const u8, bytes: &[u8], mut put: impl FnMut(usize, u64)) {
        // SAFETY: p..p+64 readable (caller); AVX-512 BW enabled by the caller.
        unsafe {
            let v = _mm512_loadu_si512(p.cast());
            for (r, &b) in bytes.iter().enumerate() {
                put(r, _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b as i8)));
            }
        }
    }

    #[inline(always)]
    fn compress(x: u64, keep: u64) -> u64 {
        // SAFETY: BMI2 is enabled in count_avx512 and count_avx512_valid, the only instantiations.
        unsafe { _pext_u64(x, keep) }
    }

    /// Masked loads instead of a `memcpy` call: a short text (a row of a
    /// column) is nothing but a tail, so this is per-row cost.
    #[inline(always)]
    unsafe fn fill_tail(buf: &mut [u8; TAIL], rest: &[u8]) {
        debug_assert!(rest.len() < 66);
        let n = rest.len();
        let lo_mask = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
        // SAFETY: AVX-512 BW is enabled in count_avx512 and count_avx512_valid, the only callers. A
        // masked load reads only its unmasked lanes, here rest[..n.min(64)]
        // and rest[64..n]; the stores write buf[0..128], within TAIL.
        unsafe {
            let spaces = _mm512_set1_epi8(b' ' as i8);
            let lo = _mm512_mask_loadu_epi8(spaces, lo_mask, rest.as_ptr().cast());
            _mm512_storeu_si512(buf.as_mut_ptr().cast(), lo);
            let hi = if n > 64 {
                let hi_mask = (1u64 << (n - 64)) - 1;
                _mm512_mask_loadu_epi8(spaces, hi_mask, rest.as_ptr().add(64).cast())
            } else {
                spaces
            };
            _mm512_storeu_si512(buf.as_mut_ptr().add(64).cast(), hi);
        }
    }
}

/// AVX2 primitives for `classify_lanes!` and `ascii_ws_lanes!` (macros,
/// not closures: see `splat!`).
macro_rules! avx2_splat {
    ($b:expr) => {
        _mm256_set1_epi8($b as u8 as i8)
    };
}
macro_rules! avx2_load {
    ($p:expr) => {
        _mm256_loadu_si256($p.cast())
    };
}
macro_rules! avx2_mask {
    ($m:expr) => {
        _mm256_movemask_epi8($m) as u32
    };
}
macro_rules! avx2_eq {
    ($v:expr, $b:expr) => {
        avx2_mask!(_mm256_cmpeq_epi8($v, avx2_splat!($b)))
    };
}
// x <= b unsigned  <=>  max(x, b) == b
macro_rules! avx2_le {
    ($v:expr, $b:expr) => {
        avx2_mask!(_mm256_cmpeq_epi8(
            _mm256_max_epu8($v, avx2_splat!($b)),
            avx2_splat!($b)
        ))
    };
}
macro_rules! avx2_sub {
    ($v:expr, $b:expr) => {
        _mm256_sub_epi8($v, avx2_splat!($b))
    };
}
macro_rules! avx2_cont {
    ($v:expr) => {
        avx2_mask!(_mm256_cmpgt_epi8(avx2_splat!(0xC0), $v))
    };
}
macro_rules! avx2_min {
    ($a:expr, $b:expr) => {
        _mm256_min_epu8($a, $b)
    };
}
macro_rules! avx2_adds {
    ($a:expr, $b:expr) => {
        _mm256_adds_epu8($a, $b)
    };
}
macro_rules! avx2_xor {
    ($v:expr, $b:expr) => {
        _mm256_xor_si256($v, avx2_splat!($b))
    };
}

/// ASCII whitespace of 32 bytes (09..0D, 1C..20), as `classify_lanes!`
/// finds it: `min(x - 09, x - 1C) <= 4`, unsigned.
///
/// # Safety
/// AVX2 enabled.
#[inline(always)]
unsafe fn avx2_ascii_ws(v: __m256i) -> u32 {
    // SAFETY: register-only AVX2 instructions; the caller enables AVX2.
    unsafe { ascii_ws_lanes!(v, avx2_le, avx2_sub, avx2_min) }
}

/// Classify 32 bytes with AVX2 into 32-bit lane masks.
///
/// # Safety
/// `p..p+34` readable; AVX2 enabled.
#[inline(always)]
unsafe fn avx2_half(p: *const u8) -> (u32, u32, u32) {
    // SAFETY: forwarded contract.
    unsafe {
        classify_lanes!(
            p, avx2_load, avx2_eq, avx2_le, avx2_sub, avx2_cont, avx2_min, avx2_adds, avx2_xor
        )
    }
}

struct Avx2;

/// `(x ^ 't') | (y ^ 'h') | (z ^ 'e')` of the 32 bytes at `p - 3`, `p - 2`
/// and `p - 1`, zero where "the" ends just before the byte at `p`, and its
/// unsigned minimum with `w ^ 'a'` of the bytes at `p`: zero where either
/// is (see [`Classify::the_a`]).
///
/// # Safety
/// `p - 3..p + 31` readable; AVX2 enabled.
#[inline(always)]
unsafe fn avx2_the(p: *const u8) -> __m256i {
    // SAFETY: forwarded contract.
    unsafe {
        let v3 = _mm256_loadu_si256(p.sub(3).cast());
        let v2 = _mm256_loadu_si256(p.sub(2).cast());
        let v1 = _mm256_loadu_si256(p.sub(1).cast());
        let x = _mm256_or_si256(
            _mm256_or_si256(
                _mm256_xor_si256(v3, _mm256_set1_epi8(b't' as i8)),
                _mm256_xor_si256(v2, _mm256_set1_epi8(b'h' as i8)),
            ),
            _mm256_xor_si256(v1, _mm256_set1_epi8(b'e' as i8)),
        );
        let a = _mm256_xor_si256(_mm256_loadu_si256(p.cast()), _mm256_set1_epi8(b'a' as i8));
        _mm256_min_epu8(x, a)
    }
}

/// Bytes of the 32 at `v` that are in `set`, by the nibble tables of
/// [`ByteSet`]: the low nibble picks a row of high-nibble bits (from the
/// table of the byte's top bit), the high nibble picks the bit.
///
/// # Safety
/// AVX2 enabled.
#[inline(always)]
unsafe fn avx2_in_set(v: __m256i, set: &ByteSet) -> u32 {
    // SAFETY: each nibble table has 16 bytes, read by one 16-byte load;
    // the rest is register-only AVX2 (enabled by the caller).
    unsafe {
        // (A macro, not a closure: see `splat!`.)
        macro_rules! table {
            ($k:expr) => {
                _mm256_broadcastsi128_si256(_mm_loadu_si128(set.nibbles[$k].as_ptr().cast()))
            };
        }
        let low = _mm256_set1_epi8(0x0F);
        let lo = _mm256_and_si256(v, low);
        let hi = _mm256_and_si256(_mm256_srli_epi16::<4>(v), low);
        // Bytes from 80 on take the second table (blendv reads the top bit).
        let rows = _mm256_blendv_epi8(
            _mm256_shuffle_epi8(table!(0), lo),
            _mm256_shuffle_epi8(table!(1), lo),
            v,
        );
        let bits = _mm256_shuffle_epi8(
            _mm256_setr_epi8(
                1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64,
                -128, 1, 2, 4, 8, 16, 32, 64, -128,
            ),
            hi,
        );
        _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(rows, bits), bits)) as u32
    }
}

impl Classify for Avx2 {
    type Check = ();

    fn check_new() {}

    /// Nibble-table lookups instead of a compare per byte of the set.
    #[inline(always)]
    unsafe fn in_set(p: *const u8, set: &ByteSet) -> u64 {
        // SAFETY: p..p+64 readable (caller); AVX2 enabled in count_avx2,
        // the only caller.
        unsafe {
            let lo = avx2_in_set(_mm256_loadu_si256(p.cast()), set);
            let hi = avx2_in_set(_mm256_loadu_si256(p.add(32).cast()), set);
            lo as u64 | (hi as u64) << 32
        }
    }

    /// "the" and "a" with one movemask per 32 bytes, as for AVX-512.
    #[inline(always)]
    unsafe fn the_a(p: *const u8) -> u64 {
        // SAFETY: p - 3 .. p + 63 is readable (the contract's BEHIND = 3);
        // AVX2 is enabled in count_avx2, the only caller.
        unsafe {
            let zero = _mm256_setzero_si256();
            let lo = _mm256_movemask_epi8(_mm256_cmpeq_epi8(avx2_the(p), zero)) as u32 as u64;
            let hi = _mm256_movemask_epi8(_mm256_cmpeq_epi8(avx2_the(p.add(32)), zero)) as u32;
            lo | (hi as u64) << 32
        }
    }

    #[inline(always)]
    unsafe fn classify(p: *const u8) -> Masks {
        #[inline(always)]
        fn j(lo: u32, hi: u32) -> u64 {
            lo as u64 | (hi as u64) << 32
        }
        // SAFETY: p..p+66 readable covers both halves' p..p+34 reads; AVX2
        // is enabled in count_avx2, the only caller.
        unsafe {
            // Most blocks of English text are ASCII: whitespace is all they
            // need (a predictable branch; other scripts always skip it).
            let (lo, hi) = (
                _mm256_loadu_si256(p.cast()),
                _mm256_loadu_si256(p.add(32).cast()),
            );
            if _mm256_movemask_epi8(_mm256_or_si256(lo, hi)) == 0 {
                return Masks {
                    ascii_ws: j(avx2_ascii_ws(lo), avx2_ascii_ws(hi)),
                    ..Masks::default()
                };
            }
        }
        // SAFETY: as above.
        let (a, b) = unsafe { (avx2_half(p), avx2_half(p.add(32))) };
        Masks::from_lead(j(a.0, b.0), j(a.1, b.1), j(a.2, b.2))
    }

    #[inline(always)]
    unsafe fn eq_any(p: *const u8, bytes: &[u8]) -> u64 {
        // SAFETY: as for classify.
        unsafe {
            let lo = _mm256_loadu_si256(p.cast());
            let hi = _mm256_loadu_si256(p.add(32).cast());
            let (mut a, mut b) = (_mm256_setzero_si256(), _mm256_setzero_si256());
            for &x in bytes {
                let s = _mm256_set1_epi8(x as i8);
                a = _mm256_or_si256(a, _mm256_cmpeq_epi8(lo, s));
                b = _mm256_or_si256(b, _mm256_cmpeq_epi8(hi, s));
            }
            _mm256_movemask_epi8(a) as u32 as u64 | (_mm256_movemask_epi8(b) as u32 as u64) << 32
        }
    }

    #[inline(always)]
    unsafe fn eq_each(p: *const u8, bytes: &[u8], mut put: impl FnMut(usize, u64)) {
        // SAFETY: p..p+64 readable (caller); AVX2 enabled by the caller.
        unsafe {
            let lo = _mm256_loadu_si256(p.cast());
            let hi = _mm256_loadu_si256(p.add(32).cast());
            for (r, &b) in bytes.iter().enumerate() {
                let s = _mm256_set1_epi8(b as i8);
                let a = _mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, s)) as u32 as u64;
                let c = _mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, s)) as u32 as u64;
                put(r, a | c << 32);
            }
        }
    }

    #[inline(always)]
    fn compress(x: u64, keep: u64) -> u64 {
        // SAFETY: BMI2 is enabled in count_avx2, the only instantiation.
        unsafe { _pext_u64(x, keep) }
    }
}

/// Classify 16 bytes with SSE2 into 16-bit lane masks.
///
/// # Safety
/// `p..p+18` readable.
#[inline(always)]
unsafe fn sse2_quarter(p: *const u8) -> (u64, u64, u64) {
    macro_rules! splat {
        ($b:expr) => {
            _mm_set1_epi8($b as u8 as i8)
        };
    }
    macro_rules! load {
        ($p:expr) => {
            _mm_loadu_si128($p.cast())
        };
    }
    macro_rules! mask {
        ($m:expr) => {
            _mm_movemask_epi8($m) as u32 as u64
        };
    }
    macro_rules! eq {
        ($v:expr, $b:expr) => {
            mask!(_mm_cmpeq_epi8($v, splat!($b)))
        };
    }
    macro_rules! le {
        ($v:expr, $b:expr) => {
            mask!(_mm_cmpeq_epi8(_mm_max_epu8($v, splat!($b)), splat!($b)))
        };
    }
    macro_rules! sub {
        ($v:expr, $b:expr) => {
            _mm_sub_epi8($v, splat!($b))
        };
    }
    macro_rules! cont {
        ($v:expr) => {
            mask!(_mm_cmpgt_epi8(splat!(0xC0), $v))
        };
    }
    macro_rules! min {
        ($a:expr, $b:expr) => {
            _mm_min_epu8($a, $b)
        };
    }
    macro_rules! adds {
        ($a:expr, $b:expr) => {
            _mm_adds_epu8($a, $b)
        };
    }
    macro_rules! xor {
        ($v:expr, $b:expr) => {
            _mm_xor_si128($v, splat!($b))
        };
    }
    // SAFETY: forwarded contract; SSE2 is baseline.
    unsafe { classify_lanes!(p, load, eq, le, sub, cont, min, adds, xor) }
}

struct Sse2;

impl Classify for Sse2 {
    type Check = ();

    fn check_new() {}

    #[inline(always)]
    unsafe fn classify(p: *const u8) -> Masks {
        let (mut ws, mut lead, mut cont) = (0, 0, 0);
        for q in 0..4 {
            // SAFETY: p..p+66 readable covers p+16q .. p+16q+18.
            let (w, l, c) = unsafe { sse2_quarter(p.add(16 * q)) };
            ws |= w << (16 * q);
            lead |= l << (16 * q);
            cont |= c << (16 * q);
        }
        Masks::from_lead(ws, lead, cont)
    }

    #[inline(always)]
    unsafe fn eq_any(p: *const u8, bytes: &[u8]) -> u64 {
        let mut m = 0u64;
        for q in 0..4 {
            // SAFETY: p..p+64 readable.
            unsafe {
                let v = _mm_loadu_si128(p.add(16 * q).cast());
                let mut a = _mm_setzero_si128();
                for &x in bytes {
                    a = _mm_or_si128(a, _mm_cmpeq_epi8(v, _mm_set1_epi8(x as i8)));
                }
                m |= (_mm_movemask_epi8(a) as u32 as u64) << (16 * q);
            }
        }
        m
    }

    #[inline(always)]
    unsafe fn eq_each(p: *const u8, bytes: &[u8], mut put: impl FnMut(usize, u64)) {
        for (r, &b) in bytes.iter().enumerate() {
            // SAFETY: forwarded contract.
            put(r, unsafe { Self::eq_any(p, &[b]) });
        }
    }

    #[inline(always)]
    fn compress(x: u64, keep: u64) -> u64 {
        crate::kernel::compress_portable(x, keep)
    }
}

/// UCS-2 units (native-endian, little on x86-64) to generalised UTF-8 (a
/// surrogate as its 3-byte form), 32 units at a time: an ASCII run is
/// narrowed, units below U+0800 become 16-bit words and units below U+10000
/// 32-bit words of their UTF-8, and `vpcompressb` squeezes out the unused
/// bytes. Returns how many bytes of `out` were written.
///
/// # Safety
/// The CPU must support AVX-512 F, BW, VL and VBMI2, and BMI2 and POPCNT.
/// (Bounds are checked: `out` must have room for 3 bytes per unit and 64
/// of slack, or this panics.)
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi2,bmi2,popcnt")]
pub(super) unsafe fn ucs2_to_utf8_avx512(units: &[u8], out: &mut [u8]) -> usize {
    let n = units.len() / 2;
    assert!(
        out.len() >= 3 * n + 64,
        "room for the UTF-8 and a vector of slack"
    );
    let mut at = 0;
    let mut i = 0;
    while i + 32 <= n {
        // SAFETY: 64 bytes from 2i are in `units` (i + 32 <= n); every store
        // below writes at most 64 bytes at `at`, and at <= 3i < out.len() - 64
        // (each unit adds at most 3 bytes); the CPU features are this
        // function's contract.
        unsafe {
            let v = _mm512_loadu_si512(units.as_ptr().add(2 * i).cast());
            let ascii = _mm512_cmplt_epu16_mask(v, _mm512_set1_epi16(0x80));
            if ascii == u32::MAX {
                _mm256_storeu_si256(out.as_mut_ptr().add(at).cast(), _mm512_cvtepi16_epi8(v));
                at += 32;
                i += 32;
                continue;
            }
            let below_800 = _mm512_cmplt_epu16_mask(v, _mm512_set1_epi16(0x800));
            if below_800 == u32::MAX {
                at += put_below_800(v, ascii, out.as_mut_ptr().add(at));
                i += 32;
                continue;
            }
            // Up to 3 bytes a unit: two halves of 16 units in 32-bit lanes.
            for half in 0..2 {
                let u = _mm512_cvtepu16_epi32(if half == 0 {
                    _mm512_castsi512_si256(v)
                } else {
                    _mm512_extracti64x4_epi64::<1>(v)
                });
                // (A macro, not a closure: see `splat!`.)
                macro_rules! c {
                    ($x:expr) => {
                        _mm512_set1_epi32($x)
                    };
                }
                let lt80 = _mm512_cmplt_epu32_mask(u, c!(0x80));
                let lt800 = _mm512_cmplt_epu32_mask(u, c!(0x800));
                let six = _mm512_and_si512(_mm512_srli_epi32::<6>(u), c!(0x3F));
                let low = _mm512_or_si512(_mm512_and_si512(u, c!(0x3F)), c!(0x80));
                // 3 bytes: E0 | u >> 12, 80 | (u >> 6) & 3F, 80 | u & 3F.
                let three = _mm512_or_si512(
                    _mm512_or_si512(_mm512_srli_epi32::<12>(u), c!(0xE0)),
                    _mm512_or_si512(
                        _mm512_slli_epi32::<8>(_mm512_or_si512(six, c!(0x80))),
                        _mm512_slli_epi32::<16>(low),
                    ),
                );
                // 2 bytes: C0 | u >> 6, 80 | u & 3F.
                let two = _mm512_or_si512(
                    _mm512_or_si512(_mm512_srli_epi32::<6>(u), c!(0xC0)),
                    _mm512_slli_epi32::<8>(low),
                );
                let words =
                    _mm512_mask_blend_epi32(lt80, _mm512_mask_blend_epi32(lt800, three, two), u);
                // Bytes kept per lane: 1, 2 or 3 low bytes.
                let len = _mm512_sub_epi32(
                    c!(3),
                    _mm512_add_epi32(
                        _mm512_maskz_mov_epi32(lt80, c!(1)),
                        _mm512_maskz_mov_epi32(lt800, c!(1)),
                    ),
                );
                let len_bytes = _mm512_mullo_epi32(len, c!(0x0101_0101));
                let pos = c!(0x0302_0100);
                let keep = _mm512_cmplt_epu8_mask(pos, len_bytes);
                let packed = _mm512_maskz_compress_epi8(keep, words);
                _mm512_storeu_si512(out.as_mut_ptr().add(at).cast(), packed);
                at += keep.count_ones() as usize;
            }
            i += 32;
        }
    }
    // The last units, one at a time.
    for k in i..n {
        let u = u16::from_ne_bytes([units[2 * k], units[2 * k + 1]]) as u32;
        at = crate::ucs::put_bmp(u, out, at);
    }
    at
}

/// The UTF-8 of 32 code points below U+0800, the 16-bit lanes of `v`
/// (`ascii`: those below U+0080), stored at `out`; returns its length. Each
/// lane becomes `[C0 | u >> 6, 80 | u & 3F]`, or `[u]`, and `vpcompressb`
/// keeps byte 2k always and byte 2k + 1 when unit k is not ASCII.
///
/// # Safety
/// 64 bytes at `out` are writable. Inlined into the transcoders, which
/// enable the features it uses (AVX-512 F, BW and VBMI2, BMI2 and POPCNT).
#[inline(always)]
unsafe fn put_below_800(v: __m512i, ascii: u32, out: *mut u8) -> usize {
    // SAFETY: forwarded contract.
    unsafe {
        let lead = _mm512_or_si512(_mm512_srli_epi16::<6>(v), _mm512_set1_epi16(0xC0));
        let cont = _mm512_or_si512(
            _mm512_and_si512(v, _mm512_set1_epi16(0x3F)),
            _mm512_set1_epi16(0x80),
        );
        let two = _mm512_or_si512(lead, _mm512_slli_epi16::<8>(cont));
        let words = _mm512_mask_blend_epi16(ascii, two, v);
        let keep = 0x5555_5555_5555_5555 | _pdep_u64(u64::from(!ascii), 0xAAAA_AAAA_AAAA_AAAA);
        _mm512_storeu_si512(out.cast(), _mm512_maskz_compress_epi8(keep, words));
        keep.count_ones() as usize
    }
}

/// Latin-1 (UCS-1) units to UTF-8, 32 at a time: a group of ASCII units is
/// stored as it is; any other is widened to 16-bit lanes and stored by
/// [`put_below_800`]. Returns how many bytes of `out` were written.
///
/// # Safety
/// As for [`ucs2_to_utf8_avx512`]. (`out` must have room for 2 bytes per
/// unit and 64 of slack, or this panics.)
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi2,bmi2,popcnt")]
pub(super) unsafe fn ucs1_to_utf8_avx512(units: &[u8], out: &mut [u8]) -> usize {
    let n = units.len();
    assert!(
        out.len() >= 2 * n + 64,
        "room for the UTF-8 and a vector of slack"
    );
    let mut at = 0;
    let mut i = 0;
    while i + 32 <= n {
        // SAFETY: 32 bytes from i are in `units` (i + 32 <= n); every store
        // below writes at most 64 bytes at `at`, and at <= 2i < out.len() - 64
        // (each unit adds at most 2 bytes); the CPU features are this
        // function's contract.
        unsafe {
            let b = _mm256_loadu_si256(units.as_ptr().add(i).cast());
            let high = _mm256_movemask_epi8(b) as u32;
            if high == 0 {
                _mm256_storeu_si256(out.as_mut_ptr().add(at).cast(), b);
                at += 32;
                i += 32;
                continue;
            }
            at += put_below_800(_mm512_cvtepu8_epi16(b), !high, out.as_mut_ptr().add(at));
            i += 32;
        }
    }
    // The last units, one at a time.
    for &u in &units[i..] {
        at = crate::ucs::put_bmp(u32::from(u), out, at);
    }
    at
}

/// UCS-4 units (native-endian) to generalised UTF-8, 16 units at a time, as
/// [`ucs2_to_utf8_avx512`] with 4-byte sequences too. `Err(k)` for a unit
/// above U+10FFFF at index k (then `out` holds no defined result).
///
/// # Safety
/// As for [`ucs2_to_utf8_avx512`]. (`out` must have room for 4 bytes per
/// unit and 64 of slack, or this panics.)
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vbmi2,bmi2,popcnt")]
pub(super) unsafe fn ucs4_to_utf8_avx512(units: &[u8], out: &mut [u8]) -> Result<usize, usize> {
    let n = units.len() / 4;
    assert!(
        out.len() >= 4 * n + 64,
        "room for the UTF-8 and a vector of slack"
    );
    // (A macro, not a closure: see `splat!`.)
    macro_rules! c {
        ($x:expr) => {
            _mm512_set1_epi32($x)
        };
    }
    let mut at = 0;
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: 64 bytes from 4i are in `units` (i + 16 <= n); each store
        // writes at most 64 bytes at `at` <= 4i < out.len() - 64; the CPU
        // features are this function's contract.
        unsafe {
            let u = _mm512_loadu_si512(units.as_ptr().add(4 * i).cast());
            let bad = _mm512_cmpgt_epu32_mask(u, c!(0x10FFFF));
            if bad != 0 {
                // Write the units before it, then report it.
                let k = i + bad.trailing_zeros() as usize;
                return Err(k);
            }
            let lt80 = _mm512_cmplt_epu32_mask(u, c!(0x80));
            if lt80 == 0xFFFF {
                _mm_storeu_si128(out.as_mut_ptr().add(at).cast(), _mm512_cvtepi32_epi8(u));
                at += 16;
                i += 16;
                continue;
            }
            let lt800 = _mm512_cmplt_epu32_mask(u, c!(0x800));
            let lt10000 = _mm512_cmplt_epu32_mask(u, c!(0x10000));
            // A continuation byte of the low 6 bits of each lane.
            macro_rules! cont {
                ($x:expr) => {
                    _mm512_or_si512(_mm512_and_si512($x, c!(0x3F)), c!(0x80))
                };
            }
            let b6 = cont!(_mm512_srli_epi32::<6>(u));
            let b12 = cont!(_mm512_srli_epi32::<12>(u));
            let b0 = cont!(u);
            let two = _mm512_or_si512(
                _mm512_or_si512(_mm512_srli_epi32::<6>(u), c!(0xC0)),
                _mm512_slli_epi32::<8>(b0),
            );
            let three = _mm512_or_si512(
                _mm512_or_si512(_mm512_srli_epi32::<12>(u), c!(0xE0)),
                _mm512_or_si512(_mm512_slli_epi32::<8>(b6), _mm512_slli_epi32::<16>(b0)),
            );
            let four = _mm512_or_si512(
                _mm512_or_si512(
                    _mm512_or_si512(_mm512_srli_epi32::<18>(u), c!(0xF0)),
                    _mm512_slli_epi32::<8>(b12),
                ),
                _mm512_or_si512(_mm512_slli_epi32::<16>(b6), _mm512_slli_epi32::<24>(b0)),
            );
            let words = _mm512_mask_blend_epi32(
                lt80,
                _mm512_mask_blend_epi32(lt800, _mm512_mask_blend_epi32(lt10000, four, three), two),
                u,
            );
            // Bytes kept per lane: 4 minus one for each threshold below.
            let below = _mm512_add_epi32(
                _mm512_add_epi32(
                    _mm512_maskz_mov_epi32(lt80, c!(1)),
                    _mm512_maskz_mov_epi32(lt800, c!(1)),
                ),
                _mm512_maskz_mov_epi32(lt10000, c!(1)),
            );
            let len_bytes = _mm512_mullo_epi32(_mm512_sub_epi32(c!(4), below), c!(0x0101_0101));
            let keep = _mm512_cmplt_epu8_mask(c!(0x0302_0100), len_bytes);
            let packed = _mm512_maskz_compress_epi8(keep, words);
            _mm512_storeu_si512(out.as_mut_ptr().add(at).cast(), packed);
            at += keep.count_ones() as usize;
            i += 16;
        }
    }
    for k in i..n {
        let b: [u8; 4] = units[4 * k..4 * k + 4].try_into().unwrap();
        let u = u32::from_ne_bytes(b);
        if u > 0x10FFFF {
            return Err(k);
        }
        at = crate::ucs::put_utf8(u, out, at);
    }
    Ok(at)
}

/// Error bits of the UTF-8 lookup algorithm (see [`is_utf8_avx512`]).
const TOO_SHORT: u8 = 1 << 0;
const TOO_LONG: u8 = 1 << 1;
const OVERLONG_3: u8 = 1 << 2;
const TOO_LARGE: u8 = 1 << 3;
const SURROGATE: u8 = 1 << 4;
const OVERLONG_2: u8 = 1 << 5;
const TOO_LARGE_1000: u8 = 1 << 6;
const OVERLONG_4: u8 = 1 << 6;
const TWO_CONTS: u8 = 1 << 7;
const CARRY: u8 = TOO_SHORT | TOO_LONG | TWO_CONTS;

/// The three 16-entry tables of the lookup algorithm: the errors a byte
/// pair can show, by the high nibble of the first byte, its low nibble, and
/// the high nibble of the second byte.
const UTF8_TABLES: [[u8; 16]; 3] = [
    [
        TOO_LONG,
        TOO_LONG,
        TOO_LONG,
        TOO_LONG,
        TOO_LONG,
        TOO_LONG,
        TOO_LONG,
        TOO_LONG,
        TWO_CONTS,
        TWO_CONTS,
        TWO_CONTS,
        TWO_CONTS,
        TOO_SHORT | OVERLONG_2,
        TOO_SHORT,
        TOO_SHORT | OVERLONG_3 | SURROGATE,
        TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4,
    ],
    [
        CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4,
        CARRY | OVERLONG_2,
        CARRY,
        CARRY,
        CARRY | TOO_LARGE,
        CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE,
        CARRY | TOO_LARGE | TOO_LARGE_1000,
        CARRY | TOO_LARGE | TOO_LARGE_1000,
    ],
    [
        TOO_SHORT,
        TOO_SHORT,
        TOO_SHORT,
        TOO_SHORT,
        TOO_SHORT,
        TOO_SHORT,
        TOO_SHORT,
        TOO_SHORT,
        TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,
        TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,
        TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
        TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
        TOO_SHORT,
        TOO_SHORT,
        TOO_SHORT,
        TOO_SHORT,
    ],
];

/// `BACK[3 + i] = 64 + i - 3`: from offset `3 - n`, the indices of the
/// bytes `n` back (see [`is_utf8_avx512`]).
const BACK: [u8; 67] = {
    let mut t = [0u8; 67];
    let mut i = 0;
    while i < 67 {
        t[i] = 61 + i as u8;
        i += 1;
    }
    t
};

/// The UTF-8 errors of the 64 bytes `v`, given the bytes 1, 2 and 3 before
/// each (`p1`, `p2`, `p3`), ORed into `error`: the lookup algorithm of
/// simdjson and simdutf8 (Keiser and Lemire, "Validating UTF-8 in less than
/// one instruction per byte", 2021). Each byte is checked against the three
/// before it; whether the text ends inside a character is the caller's.
///
/// # Safety
/// The CPU must support AVX-512 F, BW and VBMI.
#[inline(always)]
unsafe fn utf8_errors(
    v: __m512i,
    p1: __m512i,
    p2: __m512i,
    p3: __m512i,
    error: __m512i,
) -> __m512i {
    // SAFETY: register operations only; the features are the contract.
    unsafe {
        // Each 16-entry table four times over: a 64-entry `vpermb` table
        // that reads only the low 4 bits of an index, so that no index
        // needs its other bits masked off (`vpshufb` would need that).
        // (A macro, not a closure: see `splat!`.)
        macro_rules! table {
            ($k:expr) => {
                _mm512_broadcast_i32x4(_mm_loadu_si128(UTF8_TABLES[$k].as_ptr().cast()))
            };
        }
        let b1h = _mm512_permutexvar_epi8(_mm512_srli_epi16(p1, 4), table!(0));
        let b1l = _mm512_permutexvar_epi8(p1, table!(1));
        let b2h = _mm512_permutexvar_epi8(_mm512_srli_epi16(v, 4), table!(2));
        let special = _mm512_ternarylogic_epi64::<0x80>(b1h, b1l, b2h);
        // A third byte (E0 and up two back) or fourth (F0 and up three back)
        // must be a continuation, where `special` says TWO_CONTS (bit 7):
        // the two must agree.
        let third = _mm512_subs_epu8(p2, _mm512_set1_epi8(0xE0u8.wrapping_sub(0x80) as i8));
        let fourth = _mm512_subs_epu8(p3, _mm512_set1_epi8(0xF0u8.wrapping_sub(0x80) as i8));
        let must = _mm512_and_si512(
            _mm512_or_si512(third, fourth),
            _mm512_set1_epi8(0x80u8 as i8),
        );
        _mm512_ternarylogic_epi64::<0xF6>(error, must, special)
    }
}

/// A character is still open after the last three bytes of a stretch when
/// one of them is a lead above these maxima: F0 and up three from the end,
/// E0 and up two from the end, C0 and up last.
const OPEN_MAX: [u8; 3] = [0xEF, 0xDF, 0xBF];

/// 64 maxima with [`OPEN_MAX`] at `at` and 255 (nothing is above it)
/// elsewhere, for a saturating subtraction that is nonzero only where a
/// character is left open.
const fn open_maxima(at: usize) -> [u8; 64] {
    let mut t = [0xFFu8; 64];
    t[at] = OPEN_MAX[0];
    t[at + 1] = OPEN_MAX[1];
    t[at + 2] = OPEN_MAX[2];
    t
}

/// For a load from three bytes before a block: its bytes 0, 1 and 2.
const OPEN_BEFORE: [u8; 64] = open_maxima(0);

/// For a block: its last three bytes.
const OPEN_AT_END: [u8; 64] = open_maxima(61);

/// Is `text` valid (strict) UTF-8? See [`is_utf8_range`].
///
/// # Safety
/// The CPU must support AVX-512 F, BW and VBMI.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
pub(super) unsafe fn is_utf8_avx512(text: &[u8]) -> bool {
    // SAFETY: the features are this function's contract.
    unsafe { is_utf8_range(text, 0, text.len(), true) }
}

/// Is `text[start..end]` valid (strict) UTF-8 after what comes before it,
/// and (with `at_end`) complete at `end`? [`utf8_errors`] on 64 bytes at a
/// time, where simdutf8 has no AVX-512 version: its AVX2 pass was a third
/// of the time on Cyrillic and CJK text. The bytes 1, 2 and 3 before each
/// byte come from one `vpermi2b` each. An ASCII block only checks that no
/// character was left open before it, and so does the end.
///
/// # Safety
/// `start <= end <= text.len()`; `start` is 0 or at least 64; without
/// `at_end`, `end - start` is a multiple of 64. The CPU must support
/// AVX-512 F, BW and VBMI.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
// The last block's `step!` sets a `prev` that nothing reads.
#[allow(unused_assignments)]
unsafe fn is_utf8_range(text: &[u8], start: usize, end: usize, at_end: bool) -> bool {
    debug_assert!(start <= end && end <= text.len() && (start == 0 || start >= 64));
    debug_assert!(at_end || (end - start).is_multiple_of(64));
    // SAFETY: every load is of 64 bytes within `text` (the 64 before
    // `start`, or blocks of `text[start..end]`) or a masked load of its
    // last bytes (masked-out bytes are not read); the features are this
    // function's contract.
    unsafe {
        // Byte i of `_mm512_permutex2var_epi8(prev, back(n), v)` is byte
        // i - n of prev ++ v (64 + i - n, counting from prev's first byte).
        // (Macros, not closures: a closure is compiled without this
        // function's target features.)
        macro_rules! back {
            ($n:expr) => {
                _mm512_loadu_si512(BACK.as_ptr().add(3 - $n).cast())
            };
        }
        let (back1, back2, back3) = (back!(1), back!(2), back!(3));
        let max = _mm512_loadu_si512(OPEN_AT_END.as_ptr().cast());
        let mut error = _mm512_setzero_si512();
        let (mut prev, mut open) = if start == 0 {
            (_mm512_setzero_si512(), _mm512_setzero_si512())
        } else {
            let before = _mm512_loadu_si512(text.as_ptr().add(start - 64).cast());
            (before, _mm512_subs_epu8(before, max))
        };
        macro_rules! step {
            ($v:expr) => {{
                let v = $v;
                if _mm512_movepi8_mask(v) == 0 {
                    error = _mm512_or_si512(error, open);
                } else {
                    error = utf8_errors(
                        v,
                        _mm512_permutex2var_epi8(prev, back1, v),
                        _mm512_permutex2var_epi8(prev, back2, v),
                        _mm512_permutex2var_epi8(prev, back3, v),
                        error,
                    );
                    open = _mm512_subs_epu8(v, max);
                }
                prev = v;
            }};
        }
        let blocks = text[start..end].chunks_exact(64);
        let rem = blocks.remainder();
        for b in blocks {
            step!(_mm512_loadu_si512(b.as_ptr().cast()));
        }
        if !rem.is_empty() {
            step!(_mm512_maskz_loadu_epi8(
                (1u64 << rem.len()) - 1,
                rem.as_ptr().cast()
            ));
        }
        if at_end {
            error = _mm512_or_si512(error, open);
        }
        _mm512_test_epi64_mask(error, error) == 0
    }
}

/// [`Classify::short_hits`] for avx512 when no short entry is long (so no
/// hit is), out of line (see `KeyBuf::flush`): the hits, eight keys a
/// gather; the lookups of a buffer of keys, back to back, overlap where
/// one per block stalled on its latency.
#[target_feature(enable = "avx512f,avx512dq,avx512vpopcntdq")]
unsafe fn short_hits_avx512(table: &WordTable, keys: &[u64], mut maybe: impl FnMut(usize)) -> u64 {
    debug_assert!(!table.short_long);
    // SAFETY: the features are this function's contract (F, DQ,
    // VPOPCNTDQ). The loads read `keys` (the last group masked to its
    // end); the gather reads slots below the table's length (an index
    // is a hash of 64 - shift bits, and the table has 2^(64 - shift)
    // slots).
    unsafe {
        let (mul, shift) = (
            _mm512_set1_epi64(table.hash.0 as i64),
            _mm_cvtsi64_si128(i64::from(table.hash.1)),
        );
        let tag = _mm512_set1_epi64(WordTable::SHORT_TAG as i64);
        let slots = table.slots.as_ptr().cast::<i64>();
        let mut hit_n = _mm512_setzero_si512();
        // The maybes: bit c of lane j for key 8c + j (at most 64 groups).
        let (mut may_v, mut bit) = (_mm512_setzero_si512(), _mm512_set1_epi64(1));
        debug_assert!(keys.len() <= 64 * 8);
        for group in keys.chunks(8) {
            let lanes = if group.len() == 8 {
                0xFF
            } else {
                (1u8 << group.len()) - 1
            };
            let key = _mm512_maskz_loadu_epi64(lanes, group.as_ptr().cast());
            let at = _mm512_srl_epi64(_mm512_mullo_epi64(key, mul), shift);
            let slot = _mm512_mask_i64gather_epi64::<8>(key, lanes, at, slots);
            let eq = _mm512_mask_cmpeq_epi64_mask(lanes, slot, key);
            let short = _mm512_cmpge_epu64_mask(key, tag);
            hit_n = _mm512_mask_sub_epi64(hit_n, eq & short, hit_n, _mm512_set1_epi64(-1));
            // Kept in a vector, not branched on (nor moved to a general
            // register): either cost a third of the lookups' speed.
            may_v = _mm512_mask_or_epi64(may_v, eq & !short, may_v, bit);
            bit = _mm512_add_epi64(bit, bit);
        }
        if _mm512_test_epi64_mask(may_v, may_v) != 0 {
            let mut lanes = [0u64; 8];
            _mm512_storeu_si512(lanes.as_mut_ptr().cast(), may_v);
            for (j, &lane) in lanes.iter().enumerate() {
                let mut groups = lane;
                while groups != 0 {
                    maybe(8 * groups.trailing_zeros() as usize + j);
                    groups &= groups - 1;
                }
            }
        }
        _mm512_reduce_add_epi64(hit_n) as u64
    }
}
