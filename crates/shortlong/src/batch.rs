//! Many texts per call: columns of strings, counted on several threads.
//!
//! Owns the row layouts a column can have in memory (Arrow's offsets and
//! string views, NumPy's fixed-width bytes) and the grouping of rows into
//! tasks of enough bytes each. Every row gets its own result: one invalid
//! row never loses the others' counts. Rows are assigned to tasks by
//! position, and each row is counted alone, so results never depend on the
//! number of threads or on scheduling.

use crate::parallel::{run_workers, threads_or_cores};
use crate::utf8::is_continuation;
use crate::{count_units, count_with, Backend, Counts, Errors, Options, UnitWidth, Utf8Error};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The outcome for one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    /// Counted.
    Counts(Counts),
    /// A null (missing) row.
    Null,
    /// Not UTF-8 (with `Errors::Strict` or `SurrogatePass`).
    Invalid(Utf8Error),
}

/// Where the rows of a column are.
pub trait Rows: Sync {
    /// Number of rows.
    fn len(&self) -> usize;
    /// Whether there are no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Row `i` (`i < len()`), or `None` for a null row.
    fn get(&self, i: usize) -> Option<&[u8]>;
    /// Bytes in row `i`, for grouping (0 for a null row).
    fn size(&self, i: usize) -> usize {
        self.get(i).map_or(0, <[u8]>::len)
    }
    /// `Some(width)` when row `i` holds code units of that width (see
    /// [`count_units`]) rather than UTF-8.
    fn units(&self, _i: usize) -> Option<UnitWidth> {
        None
    }
    /// Data buffers the UTF-8 rows are slices of: where the span of a task's
    /// rows in one is valid UTF-8, a row of it that starts and ends at
    /// character boundaries is valid too, and is not validated again. Only
    /// the parts worth validating as spans (about what the rows use): a row
    /// outside them is validated on its own.
    fn whole_buffers(&self) -> &[&[u8]] {
        &[]
    }
    /// Which of [`Rows::whole_buffers`] row `i` may be in (`None`: none); rows
    /// outside it are validated on their own.
    fn buffer_index(&self, _i: usize) -> Option<usize> {
        None
    }
}

/// Arrow validity: bit `offset + i` of `bits` (LSB first) says row i is
/// valid; no bitmap means every row is.
#[derive(Clone, Copy, Debug)]
pub struct Validity<'a> {
    bits: Option<&'a [u8]>,
    offset: usize,
}

impl<'a> Validity<'a> {
    /// Every row valid.
    pub const ALL: Validity<'static> = Validity {
        bits: None,
        offset: 0,
    };

    /// A bitmap covering bits `offset .. offset + n` (the constructors of
    /// the rows check that it is long enough: [`LayoutError::ShortValidity`]).
    pub fn new(bits: Option<&'a [u8]>, offset: usize) -> Self {
        Validity { bits, offset }
    }

    /// Does the bitmap cover `n` rows?
    pub fn covers(&self, n: usize) -> bool {
        self.bits.is_none_or(|b| b.len() * 8 >= self.offset + n)
    }

    #[inline]
    fn valid(&self, i: usize) -> bool {
        match self.bits {
            None => true,
            Some(b) => {
                let bit = self.offset + i;
                b[bit / 8] >> (bit % 8) & 1 == 1
            }
        }
    }
}

/// Why a column's layout is unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayoutError {
    /// Offsets decrease, are negative, or point past the data (at `row`).
    BadOffsets { row: usize },
    /// A string view points outside its buffer or to a missing buffer.
    BadView { row: usize },
    /// The validity bitmap is shorter than the rows.
    ShortValidity,
}

impl std::fmt::Display for LayoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LayoutError::BadOffsets { row } => write!(f, "invalid offsets at row {row}"),
            LayoutError::BadView { row } => write!(f, "invalid string view at row {row}"),
            LayoutError::ShortValidity => write!(f, "the validity bitmap is too short"),
        }
    }
}

impl std::error::Error for LayoutError {}

/// Arrow `string`/`large_string` (and any offsets-plus-data column): row i
/// is `data[offsets[i] .. offsets[i + 1]]`.
pub struct Offsets<'a, O> {
    data: &'a [u8],
    offsets: &'a [O],
    validity: Validity<'a>,
    /// The bytes the rows cover (a slice of a large array covers little of
    /// its buffer, and only this part is worth validating as a whole).
    span: &'a [u8],
}

impl<'a, O: Copy + TryInto<usize> + Sync> Offsets<'a, O> {
    /// Check every offset once, so that `get` cannot fail.
    pub fn new(
        data: &'a [u8],
        offsets: &'a [O],
        validity: Validity<'a>,
    ) -> Result<Self, LayoutError> {
        let n = offsets.len().saturating_sub(1);
        if !validity.covers(n) {
            return Err(LayoutError::ShortValidity);
        }
        let mut prev = 0usize;
        let mut first = 0usize;
        for (row, &o) in offsets.iter().enumerate() {
            let o: usize = o.try_into().map_err(|_| LayoutError::BadOffsets { row })?;
            if (row > 0 && o < prev) || o > data.len() {
                return Err(LayoutError::BadOffsets {
                    row: row.saturating_sub(1),
                });
            }
            if row == 0 {
                first = o;
            }
            prev = o;
        }
        Ok(Offsets {
            data,
            offsets,
            validity,
            span: &data[first..prev.max(first)],
        })
    }
}

impl<O: Copy + TryInto<usize> + Sync> Rows for Offsets<'_, O> {
    fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    #[inline]
    fn get(&self, i: usize) -> Option<&[u8]> {
        if !self.validity.valid(i) {
            return None;
        }
        // Checked in `new`.
        let a: usize = self.offsets[i].try_into().ok()?;
        let b: usize = self.offsets[i + 1].try_into().ok()?;
        Some(&self.data[a..b])
    }

    fn whole_buffers(&self) -> &[&[u8]] {
        std::slice::from_ref(&self.span)
    }

    fn buffer_index(&self, _i: usize) -> Option<usize> {
        Some(0)
    }
}

/// Arrow `string_view` (what polars hands out): 16-byte views; a string of
/// up to 12 bytes is inline, a longer one is in `buffers[index][offset..]`.
pub struct Views<'a> {
    views: &'a [[u8; 16]],
    buffers: Vec<&'a [u8]>,
    validity: Validity<'a>,
    /// The buffers worth validating as a whole (at most about twice the
    /// bytes the rows use of them); an empty slice for the others.
    whole: Vec<&'a [u8]>,
}

fn u32_at(v: &[u8; 16], at: usize) -> usize {
    u32::from_le_bytes([v[at], v[at + 1], v[at + 2], v[at + 3]]) as usize
}

impl<'a> Views<'a> {
    /// Check every view once, so that `get` cannot fail.
    pub fn new(
        views: &'a [[u8; 16]],
        buffers: Vec<&'a [u8]>,
        validity: Validity<'a>,
    ) -> Result<Self, LayoutError> {
        if !validity.covers(views.len()) {
            return Err(LayoutError::ShortValidity);
        }
        let mut used = vec![0usize; buffers.len()];
        for (row, v) in views.iter().enumerate() {
            let len = u32_at(v, 0);
            if len > 12 && validity.valid(row) {
                let (buf, off) = (u32_at(v, 8), u32_at(v, 12));
                let ok = buffers
                    .get(buf)
                    .is_some_and(|b| off.checked_add(len).is_some_and(|e| e <= b.len()));
                if !ok {
                    return Err(LayoutError::BadView { row });
                }
                used[buf] += len;
            }
        }
        let whole = buffers
            .iter()
            .zip(&used)
            .map(|(b, &u)| {
                if b.len() <= 2 * u + (64 << 10) {
                    *b
                } else {
                    &b[..0]
                }
            })
            .collect();
        Ok(Views {
            views,
            buffers,
            validity,
            whole,
        })
    }
}

impl Rows for Views<'_> {
    fn len(&self) -> usize {
        self.views.len()
    }

    #[inline]
    fn get(&self, i: usize) -> Option<&[u8]> {
        if !self.validity.valid(i) {
            return None;
        }
        let v = &self.views[i];
        let len = u32_at(v, 0);
        if len <= 12 {
            Some(&v[4..4 + len])
        } else {
            let (buf, off) = (u32_at(v, 8), u32_at(v, 12));
            Some(&self.buffers[buf][off..off + len])
        }
    }

    fn whole_buffers(&self) -> &[&[u8]] {
        &self.whole
    }

    fn buffer_index(&self, i: usize) -> Option<usize> {
        // Strings of up to 12 bytes are inline in the view.
        let v = &self.views[i];
        (u32_at(v, 0) > 12).then(|| u32_at(v, 8))
    }
}

/// NumPy `S` (fixed-width bytes): rows of `width` bytes, trailing NUL bytes
/// stripped, as NumPy does when it hands out an element.
pub struct FixedWidth<'a> {
    data: &'a [u8],
    width: usize,
}

impl<'a> FixedWidth<'a> {
    /// `data.len()` must be a multiple of `width` (a zero width has no
    /// bytes in any row).
    pub fn new(data: &'a [u8], width: usize) -> Result<Self, LayoutError> {
        if width == 0 && !data.is_empty() || width != 0 && !data.len().is_multiple_of(width) {
            return Err(LayoutError::BadOffsets { row: 0 });
        }
        Ok(FixedWidth { data, width })
    }
}

impl Rows for FixedWidth<'_> {
    fn len(&self) -> usize {
        self.data.len().checked_div(self.width).unwrap_or(0)
    }

    #[inline]
    fn get(&self, i: usize) -> Option<&[u8]> {
        let row = &self.data[i * self.width..(i + 1) * self.width];
        let end = row.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
        Some(&row[..end])
    }
}

/// Rows anywhere in memory, one slice each: UTF-8, or code units of a given
/// width (as CPython stores each `str` of a list). No row is null.
pub struct Slices<'a> {
    rows: Vec<(&'a [u8], Option<UnitWidth>)>,
}

impl<'a> Slices<'a> {
    /// The rows; a row of units must have a length that is a multiple of
    /// their width.
    pub fn new(rows: Vec<(&'a [u8], Option<UnitWidth>)>) -> Result<Self, LayoutError> {
        match rows
            .iter()
            .position(|(r, w)| w.is_some_and(|w| !r.len().is_multiple_of(w as usize)))
        {
            Some(row) => Err(LayoutError::BadOffsets { row }),
            None => Ok(Slices { rows }),
        }
    }
}

impl Rows for Slices<'_> {
    fn len(&self) -> usize {
        self.rows.len()
    }

    #[inline]
    fn get(&self, i: usize) -> Option<&[u8]> {
        Some(self.rows[i].0)
    }

    fn units(&self, i: usize) -> Option<UnitWidth> {
        self.rows[i].1
    }
}

/// Rows per task are chosen so that a task has at least this many bytes
/// (or is a single row): small enough to share work, large enough that
/// taking a task costs little next to counting it.
pub const TASK_BYTES: usize = 64 << 10;

/// Per-row status in [`Columns::status`].
pub const ROW_OK: u8 = 0;
/// The row is null.
pub const ROW_NULL: u8 = 1;
/// The row is not UTF-8.
pub const ROW_INVALID_UTF8: u8 = 2;

/// Result columns, one value per row: what a data frame wants, written by
/// the workers in place.
pub struct Columns<'a> {
    /// Words (0 in a null or invalid row).
    pub words: &'a mut [u64],
    /// Ignored words.
    pub ignored: &'a mut [u64],
    /// Long words.
    pub long: &'a mut [u64],
    /// The fraction; NaN in a null or invalid row or with no remaining word.
    pub fraction: &'a mut [f64],
    /// [`ROW_OK`], [`ROW_NULL`] or [`ROW_INVALID_UTF8`].
    pub status: &'a mut [u8],
}

impl<'a> Columns<'a> {
    /// Rows in the columns, or `None` when the columns differ in length.
    pub fn rows(&self) -> Option<usize> {
        let n = self.words.len();
        [
            self.ignored.len(),
            self.long.len(),
            self.fraction.len(),
            self.status.len(),
        ]
        .iter()
        .all(|&m| m == n)
        .then_some(n)
    }

    fn split_at(self, k: usize) -> (Columns<'a>, Columns<'a>) {
        let (w0, w1) = self.words.split_at_mut(k);
        let (i0, i1) = self.ignored.split_at_mut(k);
        let (l0, l1) = self.long.split_at_mut(k);
        let (f0, f1) = self.fraction.split_at_mut(k);
        let (s0, s1) = self.status.split_at_mut(k);
        (
            Columns {
                words: w0,
                ignored: i0,
                long: l0,
                fraction: f0,
                status: s0,
            },
            Columns {
                words: w1,
                ignored: i1,
                long: l1,
                fraction: f1,
                status: s1,
            },
        )
    }

    fn set(&mut self, k: usize, row: Row) {
        let (c, f, st) = match row {
            Row::Counts(c) => (c, c.fraction().unwrap_or(f64::NAN), ROW_OK),
            Row::Null => (Counts::default(), f64::NAN, ROW_NULL),
            Row::Invalid(_) => (Counts::default(), f64::NAN, ROW_INVALID_UTF8),
        };
        self.words[k] = c.words;
        self.ignored[k] = c.ignored;
        self.long[k] = c.long;
        self.fraction[k] = f;
        self.status[k] = st;
    }
}

/// What a row costs beyond its bytes, in bytes of counting (about 70 ns a
/// row, at 8 GB/s), for the choice of one thread or several.
const ROW_COST: usize = 512;

/// The threads for a batch: one when the whole batch costs less than a text
/// that is worth splitting ([`crate::PARALLEL_MIN`]). Waking a pool thread
/// and waiting for it costs tens of microseconds: a column of 2 to 8 rows of
/// 64 KiB took 1.05-2x as long on 2 threads as on 1 (Python, medians of 11).
fn batch_threads(threads: usize, rows: usize, costs: &[usize]) -> usize {
    let cost = costs
        .iter()
        .fold(rows.saturating_mul(ROW_COST), |a, &c| a.saturating_add(c));
    if cost < crate::PARALLEL_MIN {
        1
    } else {
        threads
    }
}

/// For a caller about to count `rows` rows of `bytes` bytes in all on
/// `threads` threads (0: one per core) that has other work to do first:
/// wake the pool's threads now if the batch will be counted on several
/// (see [`crate::wake_threads`]), so that they are running when it comes.
pub fn wake_for(bytes: usize, rows: usize, threads: usize) {
    if batch_threads(threads, rows, &[bytes]) != 1 {
        crate::wake_threads(threads);
    }
}

/// Task boundaries: runs of consecutive rows of about [`TASK_BYTES`], and
/// each task's cost (its bytes, and a little per row).
fn task_bounds(rows: &dyn Rows) -> (Vec<usize>, Vec<usize>) {
    let mut bounds = vec![0usize];
    let mut costs = Vec::new();
    let mut acc = 0;
    for i in 0..rows.len() {
        acc += rows.size(i) + 16; // a row costs something even when empty
        if acc >= TASK_BYTES {
            bounds.push(i + 1);
            costs.push(acc);
            acc = 0;
        }
    }
    if *bounds.last().unwrap() != rows.len() {
        bounds.push(rows.len());
        costs.push(acc);
    }
    (bounds, costs)
}

/// Run `fill(first_row, part)` for each task's part on up to `threads`
/// threads; the parts are disjoint, so results land without locks fighting.
/// The costliest tasks go first (`costs`, one per part), so that no thread
/// is left with a large one at the end while the others wait: a single
/// large row (a long article) is one task.
fn run_tasks<P: Send>(
    parts: Vec<(usize, P)>,
    costs: &[usize],
    threads: usize,
    fill: impl Fn(usize, &mut P) + Sync,
) {
    let threads = threads_or_cores(threads);
    let workers = threads.min(parts.len()).max(1);
    if workers == 1 {
        for (first, mut p) in parts {
            fill(first, &mut p);
        }
        return;
    }
    let mut parts: Vec<(usize, (usize, P))> = costs.iter().copied().zip(parts).collect();
    parts.sort_by_key(|&(cost, _)| std::cmp::Reverse(cost));
    let slots: Vec<std::sync::Mutex<(usize, P)>> = parts
        .into_iter()
        .map(|(_, part)| std::sync::Mutex::new(part))
        .collect();
    let next = AtomicUsize::new(0);
    run_workers(workers, || loop {
        let t = next.fetch_add(1, Ordering::Relaxed);
        let Some(slot) = slots.get(t) else { break };
        let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
        let (first, part) = &mut *guard;
        fill(*first, part);
    });
}

/// Is `row` inside `buffer`, at character boundaries of it?
fn at_boundaries(buffer: &[u8], row: &[u8]) -> bool {
    // The row's place in the buffer, from the addresses: it must lie inside
    // (a buffer may be only the part of a larger one worth validating).
    let Some(start) = (row.as_ptr() as usize).checked_sub(buffer.as_ptr() as usize) else {
        return false;
    };
    start.checked_add(row.len()).is_some_and(|end| {
        end <= buffer.len() && buffer.get(end).is_none_or(|&b| !is_continuation(b))
    }) && row.first().is_none_or(|&b| !is_continuation(b))
}

/// Rows of this many bytes on average are validated each on its own, while
/// it is counted (see `Backend::count_valid`; one pass over the bytes where
/// a validation of the span first is two), not by the span.
const SELF_CHECKED: usize = 4096;

/// The bytes that the UTF-8 rows `first..first + n` use of one of
/// `rows.whole_buffers()`, from the first row's start to the last one's end,
/// when that span is valid UTF-8: then a row of it that starts and ends at
/// character boundaries is valid too, and is not validated on its own. Each
/// task validates its own span just before counting its rows, so both
/// passes find the bytes in cache and no thread waits for a validation of
/// the whole buffer. `None` when no row is in such a buffer, when the span
/// is much larger than the rows (views scattered over a large buffer), when
/// the rows are large enough to be validated each on its own
/// ([`SELF_CHECKED`]), or when it is not valid.
fn valid_span(rows: &dyn Rows, first: usize, n: usize, backend: Backend) -> Option<(usize, &[u8])> {
    let buffers = rows.whole_buffers();
    let mut which = None;
    let (mut lo, mut hi, mut used) = (usize::MAX, 0, 0);
    for i in first..first + n {
        let (Some(b), Some(t)) = (rows.buffer_index(i), rows.get(i)) else {
            continue;
        };
        let Some(buf) = buffers.get(b) else { continue };
        if rows.units(i).is_some() || *which.get_or_insert(b) != b {
            continue;
        }
        let Some(start) = (t.as_ptr() as usize).checked_sub(buf.as_ptr() as usize) else {
            continue;
        };
        if start + t.len() <= buf.len() {
            lo = lo.min(start);
            hi = hi.max(start + t.len());
            used += t.len();
        }
    }
    let b = which?;
    if lo >= hi || hi - lo > 2 * used + 4096 || used >= SELF_CHECKED * n {
        return None;
    }
    let span = &buffers[b][lo..hi];
    backend.is_utf8(span).then_some((b, span))
}

fn count_row(
    rows: &dyn Rows,
    i: usize,
    backend: Backend,
    opts: &Options,
    errors: Errors,
    span: Option<(usize, &[u8])>,
) -> Row {
    match rows.get(i) {
        None => Row::Null,
        Some(t)
            if rows.units(i).is_none()
                && span.is_some_and(|(b, s)| {
                    rows.buffer_index(i) == Some(b) && at_boundaries(s, t)
                }) =>
        {
            // Valid UTF-8 (a whole text starts and ends at word boundaries).
            Row::Counts(backend.count_region(t, opts))
        }
        Some(t) if rows.units(i).is_some() => {
            let w = rows.units(i).unwrap_or(UnitWidth::One);
            // The length was checked by `Slices::new`; a unit above U+10FFFF
            // is reported as an invalid row at its first byte.
            match count_units(t, w, opts) {
                Ok(c) => Row::Counts(c),
                Err(e) => Row::Invalid(Utf8Error {
                    offset: match e {
                        crate::UnitsError::NotACodePoint(u) => (u * w as usize) as u64,
                        crate::UnitsError::Length => 0,
                    },
                    len: w as usize,
                    kind: crate::Utf8ErrorKind::InvalidStartByte,
                }),
            }
        }
        Some(t) => match count_with(backend, t, opts, errors) {
            Ok(c) => Row::Counts(c),
            Err(e) => Row::Invalid(e),
        },
    }
}

/// Count every row of `rows` into `out` (`out.len() == rows.len()`), on up
/// to `threads` threads (0: one per core).
pub fn count_rows(
    rows: &dyn Rows,
    opts: &Options,
    errors: Errors,
    threads: usize,
    out: &mut [Row],
) {
    assert_eq!(out.len(), rows.len(), "one output per row");
    let backend = Backend::best();
    let (bounds, costs) = task_bounds(rows);
    let mut parts = Vec::with_capacity(bounds.len());
    let mut rest = out;
    for w in bounds.windows(2) {
        let (head, tail) = rest.split_at_mut(w[1] - w[0]);
        parts.push((w[0], head));
        rest = tail;
    }
    let threads = batch_threads(threads, rows.len(), &costs);
    run_tasks(parts, &costs, threads, |first, part| {
        let span = valid_span(rows, first, part.len(), backend);
        for (k, o) in part.iter_mut().enumerate() {
            *o = count_row(rows, first + k, backend, opts, errors, span);
        }
    });
}

/// Count every row of `rows` into the columns of `out`, on up to `threads`
/// threads (0: one per core). Panics when the columns' lengths differ from
/// the number of rows.
pub fn count_columns(
    rows: &dyn Rows,
    opts: &Options,
    errors: Errors,
    threads: usize,
    out: Columns<'_>,
) {
    assert_eq!(
        out.rows(),
        Some(rows.len()),
        "one value per row in every column"
    );
    let backend = Backend::best();
    let (bounds, costs) = task_bounds(rows);
    let mut parts = Vec::with_capacity(bounds.len());
    let mut rest = out;
    for w in bounds.windows(2) {
        let (head, tail) = rest.split_at(w[1] - w[0]);
        parts.push((w[0], head));
        rest = tail;
    }
    let threads = batch_threads(threads, rows.len(), &costs);
    run_tasks(parts, &costs, threads, |first, part| {
        let span = valid_span(rows, first, part.status.len(), backend);
        for k in 0..part.status.len() {
            part.set(k, count_row(rows, first + k, backend, opts, errors, span));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrow(texts: &[Option<&str>]) -> (Vec<u8>, Vec<i32>, Vec<u8>) {
        let mut data = Vec::new();
        let mut offsets = vec![0i32];
        let mut bits = vec![0u8; texts.len().div_ceil(8)];
        for (i, t) in texts.iter().enumerate() {
            if let Some(t) = t {
                data.extend_from_slice(t.as_bytes());
                bits[i / 8] |= 1 << (i % 8);
            }
            offsets.push(data.len() as i32);
        }
        (data, offsets, bits)
    }

    #[test]
    fn rows_equal_one_call_each_whatever_the_threads() {
        let texts: Vec<Option<String>> = (0..3000)
            .map(|i| {
                (i % 7 != 3).then(|| {
                    format!(
                        "the encyclopédie {} a{}",
                        "x".repeat(i % 50),
                        "\u{3000}".repeat(i % 3)
                    )
                })
            })
            .collect();
        let refs: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
        let (data, offsets, bits) = arrow(&refs);
        let o = Options::default();
        let rows = Offsets::new(&data, &offsets, Validity::new(Some(&bits), 0)).unwrap();
        let want: Vec<Row> = refs
            .iter()
            .map(|t| t.map_or(Row::Null, |t| Row::Counts(crate::count_str(t, &o))))
            .collect();
        for threads in [1, 2, 3, 8] {
            let mut out = vec![Row::Null; rows.len()];
            count_rows(&rows, &o, Errors::Strict, threads, &mut out);
            assert_eq!(out, want, "threads={threads}");
        }
    }

    #[test]
    fn columns_equal_rows() {
        let texts: Vec<Option<String>> = (0..5000)
            .map(|i| (i % 11 != 0).then(|| format!("the a {}", "é".repeat(i % 20))))
            .collect();
        let refs: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
        let (data, offsets, bits) = arrow(&refs);
        let rows = Offsets::new(&data, &offsets, Validity::new(Some(&bits), 0)).unwrap();
        let o = Options::default();
        let n = rows.len();
        let mut want = vec![Row::Null; n];
        count_rows(&rows, &o, Errors::Strict, 1, &mut want);
        for threads in [1, 2, 5] {
            let (mut w, mut i, mut l, mut f, mut s) =
                (vec![9; n], vec![9; n], vec![9; n], vec![0.5; n], vec![9; n]);
            let cols = Columns {
                words: &mut w,
                ignored: &mut i,
                long: &mut l,
                fraction: &mut f,
                status: &mut s,
            };
            count_columns(&rows, &o, Errors::Strict, threads, cols);
            for (k, r) in want.iter().enumerate() {
                match r {
                    Row::Counts(c) => {
                        assert_eq!(
                            (s[k], w[k], i[k], l[k]),
                            (ROW_OK, c.words, c.ignored, c.long)
                        );
                        assert_eq!(f[k].to_bits(), c.fraction().unwrap_or(f64::NAN).to_bits());
                    }
                    _ => assert_eq!((s[k], w[k]), (ROW_NULL, 0)),
                }
            }
        }
    }

    #[test]
    fn one_invalid_row_keeps_the_others() {
        let data = b"good words\xFFbad more words";
        let offsets = [0i64, 10, 14, 24];
        let rows = Offsets::new(data, &offsets, Validity::ALL).unwrap();
        let mut out = vec![Row::Null; 3];
        count_rows(&rows, &Options::default(), Errors::Strict, 2, &mut out);
        assert!(matches!(out[0], Row::Counts(c) if c.words == 2));
        assert!(matches!(out[1], Row::Invalid(e) if e.offset == 0));
        assert!(matches!(out[2], Row::Counts(c) if c.words == 2));
    }

    /// Large rows are validated each while it is counted, not by their
    /// span: an invalid byte anywhere in one (its first batch, main loop or
    /// tail) is that row's error, at its offset, and the others count.
    #[test]
    fn large_rows_are_validated_each_on_its_own() {
        let row = "the encyclopedia of a thing жж 中文 ".repeat(200);
        let len = row.len();
        assert!(len >= SELF_CHECKED);
        for at in [0, 1, 300, 600, 2000, len - 100, len - 1] {
            let mut data = row.repeat(3).into_bytes();
            data[len + at] = 0xFF;
            let offsets = [0i64, len as i64, 2 * len as i64, 3 * len as i64];
            let rows = Offsets::new(&data, &offsets, Validity::ALL).unwrap();
            let mut out = vec![Row::Null; 3];
            count_rows(&rows, &Options::default(), Errors::Strict, 2, &mut out);
            let want = crate::count(row.as_bytes(), &Options::default(), Errors::Strict).unwrap();
            assert_eq!(out[0], Row::Counts(want));
            // The byte replaced may be inside a character: the error is at
            // that character's start.
            let start = (0..=at).rev().find(|&k| row.is_char_boundary(k)).unwrap();
            assert!(
                matches!(out[1], Row::Invalid(e) if e.offset == start as u64),
                "{at}: {:?}",
                out[1]
            );
            assert_eq!(out[2], Row::Counts(want));
        }
    }

    #[test]
    fn layouts_are_checked() {
        let data = b"abc";
        assert_eq!(
            Offsets::new(data, &[0i32, 2, 1], Validity::ALL).err(),
            Some(LayoutError::BadOffsets { row: 1 })
        );
        assert_eq!(
            Offsets::new(data, &[0i32, 4], Validity::ALL).err(),
            Some(LayoutError::BadOffsets { row: 0 })
        );
        assert_eq!(
            Offsets::new(data, &[-1i32, 2], Validity::ALL).err(),
            Some(LayoutError::BadOffsets { row: 0 })
        );
        assert_eq!(
            Offsets::new(data, &[0i32, 1, 2, 3], Validity::new(Some(&[0xFF][..]), 6)).err(),
            Some(LayoutError::ShortValidity)
        );
        // Sliced validity: rows 0..3 use bits 5..8.
        let rows = Offsets::new(
            data,
            &[0i32, 1, 2, 3],
            Validity::new(Some(&[0b1010_0000][..]), 5),
        )
        .unwrap();
        assert_eq!(
            (rows.get(0), rows.get(1), rows.get(2)),
            (Some(&b"a"[..]), None, Some(&b"c"[..]))
        );
        let mut long = [0u8; 16];
        long[0] = 20; // 20 bytes, in buffer 0 at 0: past its end
        assert_eq!(
            Views::new(&[long], vec![&b"short"[..]], Validity::ALL).err(),
            Some(LayoutError::BadView { row: 0 })
        );
        let mut inline = [0u8; 16];
        inline[0] = 3;
        inline[4..7].copy_from_slice(b"xyz");
        let inline = [inline];
        let views = Views::new(&inline, vec![], Validity::ALL).unwrap();
        assert_eq!(views.get(0), Some(&b"xyz"[..]));
        let fixed = FixedWidth::new(b"ab\0\0cdef", 4).unwrap();
        assert_eq!(
            (fixed.len(), fixed.get(0), fixed.get(1)),
            (2, Some(&b"ab"[..]), Some(&b"cdef"[..]))
        );
        assert!(FixedWidth::new(b"abc", 2).is_err());
    }

    #[test]
    fn rows_cut_inside_a_character_of_a_valid_buffer_are_invalid() {
        // The buffer "é a é" is valid UTF-8; rows cut inside the é are not,
        // and must not take the whole-buffer shortcut.
        let data = "\u{e9} a \u{e9}".as_bytes();
        let offsets: [i32; 5] = [0, 1, 4, 5, 6];
        let rows = Offsets::new(data, &offsets, Validity::ALL).unwrap();
        let o = Options::default();
        let mut out = vec![Row::Null; 4];
        count_rows(&rows, &o, Errors::Strict, 1, &mut out);
        for (k, want) in [
            (0, data[0..1].to_vec()),
            (1, data[1..4].to_vec()),
            (2, data[4..5].to_vec()),
            (3, data[5..6].to_vec()),
        ] {
            let direct = crate::count(&want, &o, Errors::Strict);
            match (out[k], direct) {
                (Row::Counts(c), Ok(d)) => assert_eq!(c, d, "row {k}"),
                (Row::Invalid(e), Err(d)) => assert_eq!(e, d, "row {k}"),
                (got, d) => panic!("row {k}: {got:?} vs {d:?}"),
            }
        }
        assert!(matches!(out[0], Row::Invalid(_)) && matches!(out[1], Row::Invalid(_)));
        assert!(matches!(out[2], Row::Counts(_)) && matches!(out[3], Row::Invalid(_)));
    }

    /// Rows over many tasks, with an invalid row (and so an invalid span) in
    /// some: every row's result is its own count's, on 1 and 2 threads.
    #[test]
    fn rows_in_tasks_with_invalid_spans_equal_their_own_counts() {
        let o = Options::default();
        let mut data = Vec::new();
        let mut offsets = vec![0i64];
        for i in 0..6000 {
            let row: &[u8] = match i % 997 {
                0 => b"bad \xff row",
                1 => b"cut \xe2\x82",
                _ if i % 3 == 0 => "an encyclopedia é 中 😀 ".as_bytes(),
                _ => b"the quick brown fox jumps over a lazy dog ",
            };
            data.extend_from_slice(row);
            offsets.push(data.len() as i64);
        }
        let rows = Offsets::new(&data, &offsets, Validity::ALL).unwrap();
        for threads in [1, 2] {
            let mut out = vec![Row::Null; offsets.len() - 1];
            count_rows(&rows, &o, Errors::Strict, threads, &mut out);
            for (k, got) in out.iter().enumerate() {
                let row = &data[offsets[k] as usize..offsets[k + 1] as usize];
                match (got, crate::count(row, &o, Errors::Strict)) {
                    (Row::Counts(c), Ok(d)) => assert_eq!(*c, d, "row {k}"),
                    (Row::Invalid(e), Err(d)) => assert_eq!(*e, d, "row {k}"),
                    (got, d) => panic!("row {k}: {got:?} vs {d:?}"),
                }
            }
        }
    }

    /// A batch worth less than a text that is split goes on one thread;
    /// many rows count for more than their bytes.
    #[test]
    fn small_batches_stay_on_one_thread() {
        let big = [64 << 10; 32]; // 2 MiB in 32 tasks
        assert_eq!(batch_threads(4, 32, &big), 4);
        assert_eq!(batch_threads(4, 8, &big[..8]), 1); // 512 KiB
                                                       // 5,000 rows of 100 bytes: 0.5 MB of text, but 5,000 rows.
        assert_eq!(batch_threads(2, 5000, &[500_000 + 5000 * 16]), 2);
        assert_eq!(batch_threads(2, 100, &[10_000]), 1);
        // Sizes from a caller (the C ABI's wake-up hint) may be anything:
        // no overflow.
        assert_eq!(batch_threads(2, usize::MAX, &[usize::MAX, 1]), 2);
        assert_eq!(batch_threads(2, 0, &[usize::MAX, usize::MAX]), 2);
    }

    /// The wake-up hint takes any sizes and thread counts, and results never
    /// depend on it.
    #[test]
    fn waking_the_threads_is_only_a_hint() {
        for (bytes, rows, threads) in [
            (0, 0, 0),
            (1 << 30, 10, 1),
            (1 << 30, 10, 2),
            (usize::MAX, usize::MAX, usize::MAX),
            (usize::MAX, 0, 0),
        ] {
            wake_for(bytes, rows, threads);
        }
        let text = "the encyclopedia of a thing ".repeat(1 << 16);
        let offsets: Vec<i64> = (0..=16).map(|i| i * text.len() as i64 / 16).collect();
        let rows = Offsets::new(text.as_bytes(), &offsets, Validity::ALL).unwrap();
        let (mut one, mut two) = (vec![Row::Null; 16], vec![Row::Null; 16]);
        count_rows(&rows, &Options::default(), Errors::Strict, 1, &mut one);
        wake_for(text.len(), 16, 2);
        count_rows(&rows, &Options::default(), Errors::Strict, 2, &mut two);
        assert_eq!(one, two);
    }

    #[test]
    fn a_slice_of_a_buffer_is_validated_over_its_rows_only() {
        // Invalid bytes outside the rows' span do not matter; a row cut
        // inside a character at the span's edge is still invalid.
        let mut data = b"\xff\xfe the encyclopedia a \xc3\xa9 \xff".to_vec();
        data.extend_from_slice(&[0xC3; 4]);
        let o = Options::default();
        for offsets in [&[2i64, 18, 21, 24][..], &[2, 18, 23]] {
            let rows = Offsets::new(&data, offsets, Validity::ALL).unwrap();
            let mut out = vec![Row::Null; offsets.len() - 1];
            count_rows(&rows, &o, Errors::Strict, 1, &mut out);
            for k in 0..out.len() {
                let row = &data[offsets[k] as usize..offsets[k + 1] as usize];
                match (out[k], crate::count(row, &o, Errors::Strict)) {
                    (Row::Counts(c), Ok(d)) => assert_eq!(c, d, "row {k}"),
                    (Row::Invalid(e), Err(d)) => assert_eq!(e, d, "row {k}"),
                    (got, d) => panic!("row {k}: {got:?} vs {d:?}"),
                }
            }
        }
    }

    #[test]
    fn views_cut_inside_a_character_of_a_valid_buffer_are_invalid() {
        // String views into a valid buffer (rows over 12 bytes are not
        // inline): whole, cut at the start, cut at the end.
        let o = Options::default();
        let buf = "\u{e9}encyclopedia is long\u{e9}".as_bytes();
        let view = |off: usize, len: usize| {
            let mut v = [0u8; 16];
            v[0..4].copy_from_slice(&(len as u32).to_le_bytes());
            v[12..16].copy_from_slice(&(off as u32).to_le_bytes());
            v
        };
        let views = [
            view(0, buf.len()),
            view(1, buf.len() - 1),
            view(0, buf.len() - 1),
        ];
        let rows = Views::new(&views, vec![buf], Validity::ALL).unwrap();
        let mut out = vec![Row::Null; 3];
        count_rows(&rows, &o, Errors::Strict, 1, &mut out);
        assert_eq!(
            out[0],
            Row::Counts(crate::count(buf, &o, Errors::Strict).unwrap())
        );
        assert!(matches!(out[1], Row::Invalid(_)) && matches!(out[2], Row::Invalid(_)));
    }
}
