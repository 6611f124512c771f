//! Backends of the block kernel and the runtime choice between them.
//!
//! Owns CPU detection (done once) and the only `unsafe` of the crate: each
//! backend module implements [`crate::kernel::Classify`] with intrinsics,
//! and each `count_*` entry point is a `#[target_feature]` function into
//! which the generic kernel is inlined. The portable backend is always
//! compiled and is what non-x86 targets use.

use crate::kernel::{self, Classify, Masks, READ};
use crate::{Counts, Options};
use std::io::Write as _;
use std::sync::OnceLock;

#[cfg(target_arch = "x86_64")]
mod x86_64;

/// A kernel implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// AVX-512 (F, BW, DQ, VL, VPOPCNTDQ, VBMI, VBMI2) with BMI2 (x86-64).
    Avx512,
    /// AVX2 with BMI2 (x86-64).
    Avx2,
    /// SSE2, the x86-64 baseline.
    Sse2,
    /// Plain Rust, any CPU.
    Portable,
}

impl Backend {
    /// Lower-case name, as accepted by `SHORTLONG_BACKEND`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Avx512 => "avx512",
            Backend::Avx2 => "avx2",
            Backend::Sse2 => "sse2",
            Backend::Portable => "portable",
        }
    }

    /// Can this CPU run it?
    pub fn is_supported(self) -> bool {
        match self {
            Backend::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Backend::Sse2 => true,
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => {
                std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("bmi2")
            }
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => {
                std::is_x86_feature_detected!("avx512bw")
                    && std::is_x86_feature_detected!("avx512f")
                    && std::is_x86_feature_detected!("avx512dq")
                    && std::is_x86_feature_detected!("avx512vl")
                    && std::is_x86_feature_detected!("avx512vpopcntdq")
                    && std::is_x86_feature_detected!("avx512vbmi")
                    && std::is_x86_feature_detected!("avx512vbmi2")
                    && std::is_x86_feature_detected!("bmi2")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// Every backend this CPU can run, fastest first.
    pub fn available() -> Vec<Backend> {
        [
            Backend::Avx512,
            Backend::Avx2,
            Backend::Sse2,
            Backend::Portable,
        ]
        .into_iter()
        .filter(|b| b.is_supported())
        .collect()
    }

    /// The backend used by default: the fastest supported one, unless the
    /// environment variable `SHORTLONG_BACKEND` names another (read once).
    /// A name that is unknown, or not supported by this CPU, is reported
    /// once on stderr and the fastest backend is used: a typo in a setting
    /// must not crash the process. (Inlined: one load once chosen, where a
    /// call per tiny text cost 2 ns.)
    #[inline]
    pub fn best() -> Backend {
        static BEST: OnceLock<Backend> = OnceLock::new();
        *BEST.get_or_init(|| {
            let all = Backend::available();
            let Ok(name) = std::env::var("SHORTLONG_BACKEND") else {
                return all[0];
            };
            if let Some(b) = all.iter().copied().find(|b| b.name() == name) {
                return b;
            }
            let names: Vec<&str> = all.iter().map(|b| b.name()).collect();
            // Not eprintln!, which panics when stderr is closed.
            let _ = writeln!(
                std::io::stderr(),
                "shortlong: SHORTLONG_BACKEND={name:?} is not one of {names:?} on this CPU; \
                 using {}",
                all[0].name()
            );
            all[0]
        })
    }

    /// Is `text` valid (strict) UTF-8? The AVX-512 backend has a validator
    /// of its own; the others use simdutf8 (which picks AVX2 or SSE4.2 by
    /// itself).
    pub(crate) fn is_utf8(self, text: &[u8]) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 if self == Backend::best() || self.is_supported() => {
                // SAFETY: best() and is_supported() check the CPU features
                // (AVX-512 F, BW and VBMI among them).
                unsafe { x86_64::is_utf8_avx512(text) }
            }
            _ => simdutf8::basic::from_utf8(text).is_ok(),
        }
    }

    /// The counts of a valid UTF-8 text of at most 64 bytes with a small
    /// ignore list, in one step (see `kernel::count_block`: one block
    /// without the kernel's batches, from a space-padded copy, or a masked
    /// load for ASCII with AVX-512), else `None`. A valid text counts the
    /// same under every [`crate::Errors`]. The counts come back packed in
    /// a register (inlined, so that they are unpacked there, not stored).
    #[inline(always)]
    pub(crate) fn count_tiny(self, text: &[u8], opts: &Options) -> Option<Counts> {
        if text.len() > 64 {
            return None;
        }
        let supported = self == Backend::best() || self.is_supported();
        let packed = match self {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: best() and is_supported() check the CPU features.
            Backend::Avx512 if supported => unsafe { x86_64::count_tiny_avx512(text, opts) },
            // The others validate first (avx512 has its own validator).
            _ if std::str::from_utf8(text).is_err() => None,
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Backend::Avx2 if supported => unsafe { x86_64::count_tiny_avx2(text, opts) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: SSE2 is part of the x86-64 baseline.
            Backend::Sse2 => unsafe { x86_64::count_tiny_sse2(text, opts) },
            _ => count_tiny_portable(text, opts),
        };
        packed.map(Counts::unpack)
    }

    /// Does [`Backend::count_valid`] validate in the same pass as it
    /// counts (rather than before)?
    pub(crate) fn checks_while_counting(self) -> bool {
        cfg!(target_arch = "x86_64") && self == Backend::Avx512
    }

    /// The counts of `text` (which starts and ends at word boundaries) when
    /// it is valid (strict) UTF-8, else `None`. The AVX-512 backend checks
    /// while it counts; the others validate first (checking while counting
    /// with AVX2 was tried: 2-3% faster on Cyrillic and CJK, 1% slower on
    /// English).
    pub(crate) fn count_valid(self, text: &[u8], opts: &Options) -> Option<Counts> {
        if let Some(c) = self.count_tiny(text, opts) {
            return Some(c);
        }
        match self {
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 if self == Backend::best() || self.is_supported() => {
                // SAFETY: best() and is_supported() check the CPU features.
                unsafe { x86_64::count_avx512_valid(text, opts) }
            }
            _ => self.is_utf8(text).then(|| self.count_region(text, opts)),
        }
    }

    /// Count a region (see [`crate::kernel::count_region`]) with this
    /// backend; falls back to the portable one when unsupported.
    pub(crate) fn count_region(self, text: &[u8], opts: &Options) -> Counts {
        if let Some(c) = self.count_tiny(text, opts) {
            return c;
        }
        // `best()` is supported by construction: checking it again per call
        // costs a few feature tests per row of a column.
        let supported = self == Backend::best() || self.is_supported();
        match self {
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 if supported => {
                // SAFETY: best() and is_supported() check the CPU features.
                unsafe { x86_64::count_avx512(text, opts) }
            }
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 if supported => {
                // SAFETY: best() and is_supported() check the CPU features.
                unsafe { x86_64::count_avx2(text, opts) }
            }
            #[cfg(target_arch = "x86_64")]
            Backend::Sse2 => {
                // SAFETY: SSE2 is part of the x86-64 baseline.
                unsafe { x86_64::count_sse2(text, opts) }
            }
            _ => {
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("popcnt") {
                    // SAFETY: POPCNT was just detected.
                    return unsafe { count_portable_popcnt(text, opts) };
                }
                count_portable(text, opts)
            }
        }
    }
}

/// [`kernel::count_tiny`] with the portable classifier, packed; the text
/// is valid UTF-8. Not inlined: the padded copies of this and the SSE2 one
/// in the frame of `Backend::count_tiny` cost the AVX-512 path 4 ns a call.
#[inline(never)]
fn count_tiny_portable(text: &[u8], opts: &Options) -> Option<u64> {
    // SAFETY: the portable classifier uses no CPU features.
    unsafe { kernel::count_tiny::<Portable>(text, opts).map(Counts::pack) }
}

/// The portable backend.
#[inline(always)]
fn count_portable(text: &[u8], opts: &Options) -> Counts {
    // SAFETY: the portable classifier uses no CPU features.
    unsafe {
        if text.len() < kernel::SMALL {
            kernel::count_region::<Portable, 1>(text, opts)
        } else {
            kernel::count_region::<Portable, 4>(text, opts)
        }
    }
}

/// The portable backend with the CPU's population count instruction, as
/// the 64-bit targets it is for have one (x86-64's baseline does not: a
/// bit-twiddled count per lane and per block is a quarter of the work).
///
/// # Safety
/// The CPU must support POPCNT.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn count_portable_popcnt(text: &[u8], opts: &Options) -> Counts {
    count_portable(text, opts)
}

/// Latin-1 (`width` 1), UCS-2 (`width` 2) or UCS-4 (`width` 4) units to
/// generalised UTF-8 into `out` (cleared first) with the best backend's
/// transcoder: `Some(Err(k))` for a unit above U+10FFFF at index k; `None`
/// when the backend has no transcoder for this width (then `out` is
/// untouched).
pub(crate) fn units_to_utf8(
    units: &[u8],
    width: usize,
    out: &mut Vec<u8>,
) -> Option<Result<(), usize>> {
    #[cfg(target_arch = "x86_64")]
    if matches!(width, 1 | 2 | 4)
        && Backend::best() == Backend::Avx512
        && Backend::Avx512.is_supported()
    {
        // At most 2 bytes per Latin-1 unit, 3 per UCS-2 unit and 4 per
        // UCS-4 unit, plus a vector of slack for the whole-vector stores.
        out.clear();
        out.resize(units.len() / width * (width.min(3) + 1) + 64, 0);
        // SAFETY: is_supported() checked AVX-512 F, BW, VL, VBMI2 and BMI2
        // (POPCNT comes with them); `out` has the room the functions ask.
        let r = unsafe {
            match width {
                1 => Ok(x86_64::ucs1_to_utf8_avx512(units, out)),
                2 => Ok(x86_64::ucs2_to_utf8_avx512(units, out)),
                _ => x86_64::ucs4_to_utf8_avx512(units, out),
            }
        };
        out.truncate(*r.as_ref().unwrap_or(&0));
        return Some(r.map(|_| ()));
    }
    let _ = (units, width, out);
    None
}

/// The portable classifier: SWAR, eight bytes per `u64`.
///
/// Every test below is exact per byte (no carry or borrow crosses a byte),
/// and leaves its answer in the byte's high bit; [`collapse`] gathers the
/// eight high bits into eight mask bits.
pub(crate) struct Portable;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// High bit of each byte set where the byte equals `b`.
#[inline(always)]
fn swar_eq(x: u64, b: u8) -> u64 {
    let y = x ^ (ONES * b as u64);
    // A byte of y is non-zero iff (its low 7 bits + 0x7F) or it has bit 7.
    !(((y & LOW7) + LOW7) | y) & HIGH
}

/// High bit set where an ASCII byte is `>= n` (`n <= 0x80`).
#[inline(always)]
fn swar_ascii_ge(x: u64, n: u8) -> u64 {
    ((x & LOW7) + ONES * (0x80 - n as u64)) & HIGH & !x
}

/// The eight high bits of `flags` as eight low bits (byte 0 -> bit 0).
#[inline(always)]
fn collapse(flags: u64) -> u64 {
    ((flags >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

#[inline(always)]
fn load8(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

impl Classify for Portable {
    type Check = ();

    fn check_new() {}

    #[inline(always)]
    unsafe fn classify(p: *const u8) -> Masks {
        // SAFETY: the caller guarantees READ readable bytes at p.
        let b: &[u8; READ] = unsafe { &*(p as *const [u8; READ]) };
        let mut m = Masks::default();
        let mut leads = 0u64;
        let words: [u64; 8] = std::array::from_fn(|w| load8(b, 8 * w));
        let ascii_ws = |x: u64| {
            (swar_ascii_ge(x, 0x09) & !swar_ascii_ge(x, 0x0E))
                | (swar_ascii_ge(x, 0x1C) & !swar_ascii_ge(x, 0x21))
        };
        // Most blocks of English text are ASCII: whitespace is all they
        // need, with no test per word.
        if words.iter().fold(0, |a, &x| a | x) & HIGH == 0 {
            for x in words {
                m.ascii_ws = m.ascii_ws >> 8 | collapse(ascii_ws(x)) << 56;
            }
            return m;
        }
        // Each word's 8 bits enter at the top and move down 8 a word: a
        // chain the compiler keeps in scalar registers (vectorised, the
        // 64-bit multiplies of `collapse` became slow emulations).
        for x in words {
            m.ascii_ws = m.ascii_ws >> 8 | collapse(ascii_ws(x)) << 56;
            let (mut cont, mut lead) = (0, 0);
            if x & HIGH != 0 {
                // 80..BF: bit 7 set, bit 6 clear.
                cont = collapse(x & !(x << 1) & HIGH);
                lead = collapse(
                    swar_eq(x, 0xC2) | swar_eq(x, 0xE1) | swar_eq(x, 0xE2) | swar_eq(x, 0xE3),
                );
            }
            m.cont = m.cont >> 8 | cont << 56;
            leads = leads >> 8 | lead << 56;
        }
        // Multi-byte spaces: only where a possible lead byte is.
        let mut lead = 0;
        while leads != 0 {
            let i = leads.trailing_zeros() as usize;
            leads &= leads - 1;
            let (c0, c1, c2) = (b[i], b[i + 1], b[i + 2]);
            let two = c0 == 0xC2 && (c1 == 0x85 || c1 == 0xA0);
            let three = match (c0, c1) {
                (0xE1, 0x9A) => c2 == 0x80,
                (0xE2, 0x80) => matches!(c2, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF),
                (0xE2, 0x81) => c2 == 0x9F,
                (0xE3, 0x80) => c2 == 0x80,
                _ => false,
            };
            lead |= ((two || three) as u64) << i;
        }
        Masks::from_lead(m.ascii_ws, lead, m.cont)
    }

    /// "the" and "a" from the words at p - 3, p - 2, p - 1 and p: one
    /// `collapse` a word instead of four.
    #[inline(always)]
    unsafe fn the_a(p: *const u8) -> u64 {
        // SAFETY: the caller guarantees p - 3 .. p + READ readable.
        let b: &[u8; READ + 3] = unsafe { &*(p.sub(3) as *const [u8; READ + 3]) };
        let mut m = 0u64;
        let splat = |c: u8| ONES * c as u64;
        // Bit 7 of a byte of `nonzero(y)` set where that byte of y is not 0.
        let nonzero = |y: u64| ((y & LOW7) + LOW7) | y;
        for w in 0..8 {
            let (x3, x2, x1) = (load8(b, 8 * w), load8(b, 8 * w + 1), load8(b, 8 * w + 2));
            let x0 = load8(b, 8 * w + 3);
            // As the vector backends do: "the" where (x3 ^ t) | (x2 ^ h) |
            // (x1 ^ e) is zero, "a" where x0 ^ a is; a byte is a hit unless
            // both are non-zero (one zero test each, not four).
            let the = nonzero((x3 ^ splat(b't')) | (x2 ^ splat(b'h')) | (x1 ^ splat(b'e')));
            let a = nonzero(x0 ^ splat(b'a'));
            m = m >> 8 | collapse(!(the & a) & HIGH) << 56;
        }
        m
    }

    #[inline(always)]
    unsafe fn eq_any(p: *const u8, bytes: &[u8]) -> u64 {
        // SAFETY: the caller guarantees READ readable bytes at p.
        let b: &[u8; READ] = unsafe { &*(p as *const [u8; READ]) };
        let mut m = 0u64;
        for w in 0..8 {
            let x = load8(b, 8 * w);
            let hits = bytes.iter().fold(0, |acc, &c| acc | swar_eq(x, c));
            m |= collapse(hits) << (8 * w);
        }
        m
    }

    #[inline(always)]
    unsafe fn eq_each(p: *const u8, bytes: &[u8], mut put: impl FnMut(usize, u64)) {
        for (r, &x) in bytes.iter().enumerate() {
            // SAFETY: forwarded contract.
            put(r, unsafe { Self::eq_any(p, &[x]) });
        }
    }

    #[inline(always)]
    fn compress(x: u64, keep: u64) -> u64 {
        kernel::compress_portable(x, keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every backend's validator agrees with the standard library on the
    /// decoder's short sequences (every 1- and 2-byte one, longer ones around
    /// every boundary of the valid ranges), placed so that they straddle a block boundary, end
    /// the text, or sit in an ASCII or a non-ASCII block; and on random
    /// mixtures of valid characters and stray bytes of every length.
    #[test]
    fn validators_agree_with_std() {
        let check = |text: &[u8]| {
            let want = std::str::from_utf8(text).is_ok();
            for b in Backend::available() {
                assert_eq!(b.is_utf8(text), want, "{b:?} {text:02X?}");
            }
        };
        let seqs = crate::utf8::tests::short_sequences();
        // Before: nothing, ASCII, a 2-byte character, 61 to 63 bytes (to
        // straddle the first block boundary), or a non-ASCII block.
        let ascii63 = vec![b'x'; 63];
        let mixed: Vec<u8> = "жx".repeat(30).into_bytes();
        for (i, seq) in seqs.iter().enumerate() {
            let pre: &[u8] = match i % 7 {
                0 => b"",
                1 => b"a",
                2 => "é".as_bytes(),
                3 => &ascii63[..61],
                4 => &ascii63[..62],
                5 => &ascii63,
                _ => &mixed[..62],
            };
            let mut t = pre.to_vec();
            t.extend_from_slice(seq);
            check(&t);
            t.extend_from_slice(b"z");
            check(&t);
        }
        // Random mixtures, every length up to three blocks and longer ones,
        // with errors often, rarely or never; runs of one character, so
        // that whole blocks are ASCII, or 2-, 3- or 4-byte characters.
        let valid: [&[u8]; 10] = [
            b"a",
            b" ",
            "é".as_bytes(),
            "中".as_bytes(),
            "ж".as_bytes(),
            "😀".as_bytes(),
            "\u{800}".as_bytes(),  // E0 A0 80
            "\u{D7FF}".as_bytes(), // ED 9F BF
            "\u{10FFFF}".as_bytes(),
            "\u{E000}".as_bytes(), // EE 80 80
        ];
        let invalid: [&[u8]; 6] = [
            b"\x80",
            b"\xE2\x80",
            b"\xF0\x9F\x98",
            b"\xED\xA0\x80",
            b"\xE0\x9F\xBF",
            b"\xC1\xBF",
        ];
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for len in (0..200).chain([300, 1000, 3000, 5000]) {
            for k in 0..30 {
                // Errors in one piece of 100, of 100,000, or none.
                let rate = [100, 100_000, u64::MAX][k % 3];
                let mut t = Vec::new();
                let (mut run, mut piece) = (0, 0);
                while t.len() < len {
                    if run == 0 {
                        run = 1 + next() % 80;
                        piece = (next() % valid.len() as u64) as usize;
                    }
                    run -= 1;
                    let r = next();
                    if r % rate == 0 {
                        t.extend_from_slice(invalid[(r >> 32) as usize % invalid.len()]);
                    } else if r >> 40 & 1 == 0 {
                        t.extend_from_slice(valid[piece]);
                    } else {
                        t.extend_from_slice(valid[(r >> 44) as usize % valid.len()]);
                    }
                }
                check(&t);
            }
        }
    }

    /// A valid text is counted on the fast path (never refused, which
    /// would send it to the slow oracle) by every backend, whatever
    /// characters straddle the edges of the part that a backend validates
    /// while it counts, and the counts are the oracle's.
    #[test]
    fn valid_texts_are_never_refused() {
        let o = Options::default();
        for ch in ["é", "中", "😀", "a é"] {
            for pre in 0..4 {
                for len in [600, 700, 1100, 1300] {
                    let mut t = "x".repeat(pre);
                    while t.len() < len {
                        t.push_str(ch);
                        if t.len() % 7 == 0 {
                            t.push(' ');
                        }
                    }
                    let want = crate::scalar::count(t.as_bytes(), &o, crate::Errors::Strict);
                    for b in Backend::available() {
                        assert_eq!(
                            b.count_valid(t.as_bytes(), &o),
                            Some(want.unwrap()),
                            "{b:?} {ch:?} {pre} {len}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn swar_tests_are_exact_for_every_byte_in_every_lane() {
        for v in 0..=255u8 {
            for lane in 0..8 {
                // The other lanes hold bytes that could disturb a carry.
                for fill in [0x00u8, 0x7F, 0x80, 0xFF, 0x20] {
                    let mut bytes = [fill; 8];
                    bytes[lane] = v;
                    let x = u64::from_le_bytes(bytes);
                    let bit = |flags: u64| (collapse(flags) >> lane) & 1 == 1;
                    for c in [0x09u8, 0x20, 0xC2, 0xE3, 0x00, 0xFF] {
                        assert_eq!(bit(swar_eq(x, c)), v == c, "eq {v:#x} {c:#x}");
                    }
                    for n in [0x09u8, 0x0E, 0x1C, 0x21, 0x80] {
                        assert_eq!(
                            bit(swar_ascii_ge(x, n)),
                            v < 0x80 && v >= n,
                            "ge {v:#x} {n:#x}"
                        );
                    }
                    assert_eq!(bit(x & !(x << 1) & HIGH), (0x80..=0xBF).contains(&v));
                }
            }
        }
    }
}
