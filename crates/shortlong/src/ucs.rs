//! Texts given as code units: one, two or four bytes per code point, as
//! CPython stores a `str` (PEP 393: Latin-1, UCS-2 or UCS-4), lone
//! surrogates included.
//!
//! Owns the transcoding to (generalised) UTF-8, a chunk at a time into a
//! buffer that stays in cache, fed to the streaming [`Counter`]: the result is
//! that of [`crate::count`] on `text.encode("utf-8", "surrogatepass")`,
//! without that copy of the whole text. Runs of ASCII, the bulk of most
//! texts, are narrowed 32 units at a time by a loop the compiler vectorises.

use crate::parallel::{map_in_order, sum_in_order, threads_or_cores, PIECES_PER_THREAD};
use crate::whitespace::is_space;
use crate::{Counter, Counts, Errors, Options, PARALLEL_MIN};

/// Bytes per code unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnitWidth {
    /// One byte: code points up to U+00FF (CPython's Latin-1 kind).
    One = 1,
    /// Two bytes, native-endian: up to U+FFFF, surrogates included.
    Two = 2,
    /// Four bytes, native-endian.
    Four = 4,
}

impl UnitWidth {
    /// The width of `n` bytes (1, 2 or 4).
    pub fn from_bytes(n: usize) -> Option<Self> {
        match n {
            1 => Some(UnitWidth::One),
            2 => Some(UnitWidth::Two),
            4 => Some(UnitWidth::Four),
            _ => None,
        }
    }
}

/// Why code units cannot be counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitsError {
    /// The byte length is not a multiple of the unit width.
    Length,
    /// A four-byte unit above U+10FFFF, at this unit index.
    NotACodePoint(usize),
}

impl std::fmt::Display for UnitsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnitsError::Length => write!(f, "the length is not a multiple of the unit width"),
            UnitsError::NotACodePoint(i) => {
                write!(f, "unit {i} is above U+10FFFF, not a code point")
            }
        }
    }
}

impl std::error::Error for UnitsError {}

/// Code units per chunk: the chunk's UTF-8 (at most 4 bytes a unit) stays
/// within 64 KiB, in the L2 cache while the kernel reads it.
const CHUNK: usize = 16 << 10;

/// Units narrowed at once when they are all ASCII.
const GROUP: usize = 32;

/// Count the words of `units` (`units.len()` bytes, native-endian units of
/// `width` bytes), with Python's semantics for the `str` they store.
///
/// ```
/// use shortlong::{count_units, Options, UnitWidth};
/// let text: Vec<u8> = "the caf\u{e9} encyclopedia"
///     .encode_utf16()
///     .flat_map(|u| u.to_ne_bytes())
///     .collect();
/// let c = count_units(&text, UnitWidth::Two, &Options::default()).unwrap();
/// assert_eq!((c.words, c.ignored, c.long), (3, 1, 1));
/// ```
pub fn count_units(units: &[u8], width: UnitWidth, opts: &Options) -> Result<Counts, UnitsError> {
    let w = width as usize;
    if !units.len().is_multiple_of(w) {
        return Err(UnitsError::Length);
    }
    let mut counter = Counter::new(opts.clone(), Errors::SurrogatePass);
    let mut buf: Vec<u8> = Vec::with_capacity(4 * CHUNK);
    for (c, chunk) in units.chunks(CHUNK * w).enumerate() {
        buf.clear();
        let r = crate::arch::units_to_utf8(chunk, w, &mut buf).unwrap_or_else(|| match width {
            UnitWidth::One => {
                latin1_to_utf8(chunk, &mut buf);
                Ok(())
            }
            UnitWidth::Two => units_to_utf8::<2>(chunk, &mut buf),
            UnitWidth::Four => units_to_utf8::<4>(chunk, &mut buf),
        });
        if let Err(i) = r {
            return Err(UnitsError::NotACodePoint(c * CHUNK + i));
        }
        counter.feed_valid(&buf);
    }
    Ok(counter
        .finish()
        .expect("transcoded units are valid generalised UTF-8"))
}

/// [`count_units`] on up to `threads` threads (0: one per core) for a text
/// of [`PARALLEL_MIN`] bytes or more: the units are cut right after
/// whitespace units, so no word spans two pieces. The result is the same for
/// every thread count (a unit above U+10FFFF is reported at the same index).
pub fn count_units_threads(
    units: &[u8],
    width: UnitWidth,
    opts: &Options,
    threads: usize,
) -> Result<Counts, UnitsError> {
    let w = width as usize;
    let threads = threads_or_cores(threads);
    if threads <= 1 || units.len() < PARALLEL_MIN || !units.len().is_multiple_of(w) {
        return count_units(units, width, opts);
    }
    let n = units.len() / w;
    let unit = |k: usize| -> u32 {
        let b = &units[k * w..(k + 1) * w];
        match width {
            UnitWidth::One => b[0] as u32,
            UnitWidth::Two => u16::from_ne_bytes([b[0], b[1]]) as u32,
            UnitWidth::Four => u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
        }
    };
    // Pieces of about equal size, each ending right after a whitespace unit
    // (or at the end); a few per thread, as in `count_split`.
    let parts = threads * PIECES_PER_THREAD;
    let mut cuts = vec![0usize];
    for k in 1..parts {
        let target = (n / parts * k).max(*cuts.last().unwrap());
        match (target..n).find(|&i| is_space(unit(i))) {
            Some(i) if i + 1 < n => cuts.push(i + 1),
            _ => break,
        }
    }
    cuts.push(n);
    let pieces: Vec<(usize, usize)> = cuts.windows(2).map(|c| (c[0], c[1])).collect();
    let results = map_in_order(&pieces, threads, |&(a, b)| {
        count_units(&units[a * w..b * w], width, opts).map_err(|e| match e {
            UnitsError::NotACodePoint(i) => UnitsError::NotACodePoint(a + i),
            e => e,
        })
    });
    sum_in_order(results)
}

/// Append the UTF-8 of code point `cp` (surrogates as their 3-byte form).
#[inline]
fn push_utf8(cp: u32, out: &mut Vec<u8>) {
    if cp < 0x80 {
        out.push(cp as u8);
    } else if cp < 0x800 {
        out.extend_from_slice(&[0xC0 | (cp >> 6) as u8, 0x80 | (cp & 0x3F) as u8]);
    } else if cp < 0x10000 {
        out.extend_from_slice(&[
            0xE0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]);
    } else {
        out.extend_from_slice(&[
            0xF0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3F) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]);
    }
}

/// Each Latin-1 unit's UTF-8 as a little-endian `u16` (for an ASCII unit,
/// a spare zero byte after it).
const LATIN1: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = if b < 0x80 {
            b as u16
        } else {
            (0xC0 | b >> 6) as u16 | ((0x80 | (b & 0x3F)) as u16) << 8
        };
        b += 1;
    }
    t
};

/// Latin-1 units to UTF-8 (appended to `out`): a group of 32 ASCII units is
/// copied; in any other, each unit stores both bytes of its entry in
/// [`LATIN1`] and moves on by 1 or 2, with no branch on the unit (the spare
/// byte of an ASCII unit is overwritten by the next unit, or cut off). A
/// push per unit had made a Latin-1 `str` counted in place slower than
/// `str.encode()` and a count.
fn latin1_to_utf8(bytes: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    // 2 bytes a unit, and one spare for the last unit's store.
    out.resize(start + 2 * bytes.len() + 1, 0);
    let buf = &mut out[start..];
    let mut at = 0;
    let mut groups = bytes.chunks_exact(GROUP);
    for g in &mut groups {
        if g.iter().all(|&b| b < 0x80) {
            buf[at..at + GROUP].copy_from_slice(g);
            at += GROUP;
            continue;
        }
        for &b in g {
            buf[at..at + 2].copy_from_slice(&LATIN1[usize::from(b)].to_le_bytes());
            at += 1 + usize::from(b >> 7);
        }
    }
    for &b in groups.remainder() {
        buf[at..at + 2].copy_from_slice(&LATIN1[usize::from(b)].to_le_bytes());
        at += 1 + usize::from(b >> 7);
    }
    out.truncate(start + at);
}

/// Write the UTF-8 of code point `u` at `out[at..]`; returns the new end.
#[inline]
pub(crate) fn put_utf8(u: u32, out: &mut [u8], at: usize) -> usize {
    if u < 0x10000 {
        return put_bmp(u, out, at);
    }
    out[at] = 0xF0 | (u >> 18) as u8;
    out[at + 1] = 0x80 | ((u >> 12) & 0x3F) as u8;
    out[at + 2] = 0x80 | ((u >> 6) & 0x3F) as u8;
    out[at + 3] = 0x80 | (u & 0x3F) as u8;
    at + 4
}

/// Write the UTF-8 of `u` (below U+10000) at `out[at..]`; returns the new
/// end.
#[inline]
pub(crate) fn put_bmp(u: u32, out: &mut [u8], at: usize) -> usize {
    debug_assert!(u < 0x10000);
    if u < 0x80 {
        out[at] = u as u8;
        at + 1
    } else if u < 0x800 {
        out[at] = 0xC0 | (u >> 6) as u8;
        out[at + 1] = 0x80 | (u & 0x3F) as u8;
        at + 2
    } else {
        out[at] = 0xE0 | (u >> 12) as u8;
        out[at + 1] = 0x80 | ((u >> 6) & 0x3F) as u8;
        out[at + 2] = 0x80 | (u & 0x3F) as u8;
        at + 3
    }
}

/// `W`-byte native-endian units to UTF-8; `Err(i)` for a unit above
/// U+10FFFF at unit index `i`.
fn units_to_utf8<const W: usize>(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), usize> {
    let unit = |b: &[u8]| -> u32 {
        if W == 2 {
            u16::from_ne_bytes([b[0], b[1]]) as u32
        } else {
            u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
        }
    };
    let mut at = 0;
    let mut groups = bytes.chunks_exact(GROUP * W);
    for g in &mut groups {
        let mut ascii = [0u8; GROUP];
        let mut high = 0u32;
        for (a, b) in ascii.iter_mut().zip(g.chunks_exact(W)) {
            let u = unit(b);
            high |= u;
            *a = u as u8;
        }
        if high < 0x80 {
            out.extend_from_slice(&ascii);
        } else {
            for (k, b) in g.chunks_exact(W).enumerate() {
                let u = unit(b);
                if u > 0x10FFFF {
                    return Err(at + k);
                }
                push_utf8(u, out);
            }
        }
        at += GROUP;
    }
    for (k, b) in groups.remainder().chunks_exact(W).enumerate() {
        let u = unit(b);
        if u > 0x10FFFF {
            return Err(at + k);
        }
        push_utf8(u, out);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(text: &[u32], width: UnitWidth) -> Vec<u8> {
        text.iter()
            .flat_map(|&u| match width {
                UnitWidth::One => vec![u as u8],
                UnitWidth::Two => (u as u16).to_ne_bytes().to_vec(),
                UnitWidth::Four => u.to_ne_bytes().to_vec(),
            })
            .collect()
    }

    /// The generalised UTF-8 of code points (lone surrogates included).
    /// (From `std`, and for a surrogate its 3-byte form written out: not
    /// from the code under test.)
    fn utf8(text: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        for &u in text {
            match char::from_u32(u) {
                Some(c) => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                None => {
                    assert!((0xD800..0xE000).contains(&u), "a surrogate");
                    out.extend_from_slice(&[
                        0xED,
                        0xA0 | (u >> 6 & 0x1F) as u8,
                        0x80 | (u & 0x3F) as u8,
                    ]);
                }
            }
        }
        out
    }

    #[test]
    fn equals_counting_the_utf8_at_every_width_and_chunk_edge() {
        let o = Options::default();
        let pieces: [&[u32]; 8] = [
            &[0x74, 0x68, 0x65], // the
            &[0x20],             // space
            &[0x3000],           // ideographic space
            &[0xE9; 9],          // éééééééé (long)
            &[0xD800, 0x61],     // lone surrogate + a
            &[0x1F600; 3],       // emoji
            &[0x85],             // NEL (a space)
            &[0x61],             // a
        ];
        let mut x = 7u64;
        for len in [
            0usize,
            1,
            31,
            32,
            33,
            100,
            CHUNK - 1,
            CHUNK + 5,
            3 * CHUNK + 17,
        ] {
            let mut text: Vec<u32> = Vec::new();
            while text.len() < len {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text.extend_from_slice(pieces[(x >> 60) as usize % pieces.len()]);
            }
            text.truncate(len);
            let want = crate::count(&utf8(&text), &o, Errors::SurrogatePass).unwrap();
            assert_eq!(
                count_units(&encode(&text, UnitWidth::Four), UnitWidth::Four, &o),
                Ok(want)
            );
            if text.iter().all(|&u| u < 0x10000) {
                let got = count_units(&encode(&text, UnitWidth::Two), UnitWidth::Two, &o);
                assert_eq!(got, Ok(want), "len {len}");
            }
            if text.iter().all(|&u| u < 0x100) {
                let got = count_units(&encode(&text, UnitWidth::One), UnitWidth::One, &o);
                assert_eq!(got, Ok(want), "len {len}");
            }
        }
    }

    /// A deterministic stream of pseudo-random `u32`s from `seed`.
    fn lcg(mut x: u64) -> impl FnMut() -> u32 {
        move || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u32
        }
    }

    #[test]
    fn the_ucs2_transcoders_equal_the_oracle() {
        let mut next = lcg(99);
        for len in (0..200).chain([1000, 4099, CHUNK + 3]) {
            // Mostly ASCII, mostly 2-byte, mostly 3-byte (surrogates too),
            // and mixed, so that every path of every group is taken.
            for mix in 0..4u32 {
                let units: Vec<u16> = (0..len)
                    .map(|_| {
                        let r = next();
                        let class = if mix == 3 { r % 3 } else { mix };
                        (match class {
                            0 => r % 0x80,
                            1 => 0x80 + r % 0x780,
                            _ => 0x800 + r % 0xF800,
                        }) as u16
                    })
                    .collect();
                let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_ne_bytes()).collect();
                let mut want = Vec::new();
                units_to_utf8::<2>(&bytes, &mut want).unwrap();
                let points: Vec<u32> = units.iter().map(|&u| u32::from(u)).collect();
                assert_eq!(want, utf8(&points), "scalar, len {len}, mix {mix}");
                let mut got = Vec::new();
                if let Some(r) = crate::arch::units_to_utf8(&bytes, 2, &mut got) {
                    assert_eq!(r, Ok(()));
                    assert_eq!(got, want, "len {len}, mix {mix}");
                }
            }
        }
    }

    #[test]
    fn the_latin1_transcoders_equal_std() {
        let mut next = lcg(17);
        for len in (0..200).chain([1000, 4099, CHUNK + 3]) {
            // Only ASCII, no ASCII, and mixed in runs of every length, so
            // that both paths of a group and every tail are taken.
            for mix in 0..4u32 {
                let bytes: Vec<u8> = (0..len)
                    .map(|k| {
                        let r = next();
                        (match mix {
                            0 => r % 0x80,
                            1 => 0x80 + r % 0x80,
                            2 => r % 0x100,
                            _ => (k as u32 / (1 + r % 40) % 2) * 0x80 + r % 0x80,
                        }) as u8
                    })
                    .collect();
                let want: Vec<u8> = bytes.iter().map(|&b| b as char).collect::<String>().into();
                let mut got = b"kept".to_vec();
                latin1_to_utf8(&bytes, &mut got);
                assert_eq!(&got[..4], b"kept");
                assert_eq!(got[4..], want[..], "scalar, len {len}, mix {mix}");
                let mut got = Vec::new();
                if let Some(r) = crate::arch::units_to_utf8(&bytes, 1, &mut got) {
                    assert_eq!(r, Ok(()));
                    assert_eq!(got, want, "vector, len {len}, mix {mix}");
                }
            }
        }
    }

    /// The edges of the UTF-8 forms, and of the surrogates.
    const EDGES: [u32; 12] = [
        0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xD800, 0xDFFF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF,
    ];

    #[test]
    fn the_transcoders_equal_the_oracle_at_the_edges_of_each_form() {
        // Every edge at every place of a group, for each width it fits.
        for len in [1, 31, 32, 33, 70] {
            for shift in 0..EDGES.len() {
                let points: Vec<u32> = (0..len).map(|k| EDGES[(k + shift) % EDGES.len()]).collect();
                for width in [UnitWidth::One, UnitWidth::Two, UnitWidth::Four] {
                    let max = [0, 0xFF, 0xFFFF, 0, 0x10FFFF][width as usize];
                    let fit: Vec<u32> = points.iter().map(|&u| u.min(max)).collect();
                    let bytes = encode(&fit, width);
                    let want = utf8(&fit);
                    let mut got = Vec::new();
                    match width {
                        UnitWidth::One => latin1_to_utf8(&bytes, &mut got),
                        UnitWidth::Two => units_to_utf8::<2>(&bytes, &mut got).unwrap(),
                        UnitWidth::Four => units_to_utf8::<4>(&bytes, &mut got).unwrap(),
                    }
                    assert_eq!(got, want, "scalar, width {width:?}, len {len}");
                    let mut got = Vec::new();
                    if let Some(r) = crate::arch::units_to_utf8(&bytes, width as usize, &mut got) {
                        assert_eq!(r, Ok(()));
                        assert_eq!(got, want, "vector, width {width:?}, len {len}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_ucs4_transcoders_equal_the_oracle() {
        let mut next = lcg(5);
        for len in (0..100).chain([1000, 4099]) {
            for mix in 0..5u32 {
                let units: Vec<u32> = (0..len)
                    .map(|_| {
                        let r = next();
                        let class = if mix == 4 { r % 4 } else { mix };
                        match class {
                            0 => r % 0x80,
                            1 => 0x80 + r % 0x780,
                            2 => 0x800 + r % 0xF800,
                            _ => 0x10000 + r % 0x100000,
                        }
                    })
                    .collect();
                let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_ne_bytes()).collect();
                let mut want = Vec::new();
                units_to_utf8::<4>(&bytes, &mut want).unwrap();
                assert_eq!(want, utf8(&units), "scalar, len {len}, mix {mix}");
                let mut got = Vec::new();
                if let Some(r) = crate::arch::units_to_utf8(&bytes, 4, &mut got) {
                    assert_eq!(r, Ok(()));
                    assert_eq!(got, want, "len {len}, mix {mix}");
                }
                // A unit above U+10FFFF is reported at its index.
                if len > 0 {
                    let mut bad = bytes.clone();
                    let k = len / 2;
                    bad[4 * k..4 * k + 4].copy_from_slice(&0x11_0000u32.to_ne_bytes());
                    let mut out = Vec::new();
                    if let Some(r) = crate::arch::units_to_utf8(&bad, 4, &mut out) {
                        assert_eq!(r, Err(k));
                    }
                    assert_eq!(units_to_utf8::<4>(&bad, &mut out), Err(k));
                }
            }
        }
    }

    #[test]
    fn threads_give_the_same_counts_and_errors() {
        let o = Options::default();
        let text: Vec<u32> = "the caf\u{e9} \u{3000}encyclop\u{e6}dia a \u{1F600}x\u{85}"
            .chars()
            .map(|c| c as u32)
            .cycle()
            .take(400_000)
            .collect();
        for width in [UnitWidth::Four, UnitWidth::Two, UnitWidth::One] {
            let fits = |u: u32| match width {
                UnitWidth::One => u < 0x100,
                UnitWidth::Two => u < 0x10000,
                UnitWidth::Four => true,
            };
            let t: Vec<u32> = text.iter().copied().filter(|&u| fits(u)).collect();
            let bytes = encode(&t, width);
            let one = count_units(&bytes, width, &o);
            for threads in [0, 1, 2, 3, 7] {
                assert_eq!(count_units_threads(&bytes, width, &o, threads), one);
            }
        }
        let mut bad = encode(&text, UnitWidth::Four);
        for k in [399_000usize, 250_001, 3] {
            bad[4 * k..4 * k + 4].copy_from_slice(&0x11_0000u32.to_ne_bytes());
            for threads in [1, 2, 5] {
                assert_eq!(
                    count_units_threads(&bad, UnitWidth::Four, &o, threads),
                    Err(UnitsError::NotACodePoint(k))
                );
            }
        }
    }

    #[test]
    fn bad_units_are_errors() {
        let o = Options::default();
        assert_eq!(
            count_units(&[0, 0, 0], UnitWidth::Two, &o),
            Err(UnitsError::Length)
        );
        let mut text = encode(&[0x61; 40], UnitWidth::Four);
        text[4 * 37..4 * 38].copy_from_slice(&0x110000u32.to_ne_bytes());
        assert_eq!(
            count_units(&text, UnitWidth::Four, &o),
            Err(UnitsError::NotACodePoint(37))
        );
    }
}
