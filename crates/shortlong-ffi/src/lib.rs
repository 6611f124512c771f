//! The C ABI of shortlong: every `extern "C"` function and `#[repr(C)]` type.
//!
//! Conventions (after rustls-ffi, see `../shared/STYLE.md`):
//! - Names: `sl_<type>_<verb>` functions, `Sl*` types, `SL_*` constants.
//! - Every function returns an [`SlStatus`] (except the two that return
//!   static strings); numbers are never reused.
//! - Text is `(const uint8_t *ptr, size_t len)` without a NUL terminator;
//!   `(NULL, 0)` is the empty text and `(NULL, n > 0)` is
//!   `SL_STATUS_NULL_POINTER`.
//! - Inputs come before out-params; out-params are written only on success.
//!   Error-detail params (`SlUtf8Error *`, `size_t *bad_index`) may be NULL
//!   and are written only with the status they describe.
//! - Every body runs inside [`guard`]: a panic becomes `SL_STATUS_PANIC`
//!   instead of unwinding into C.
//! - No global or thread-local error state: everything a caller needs to
//!   know comes back through the status and the out-params.
//!
//! This crate holds no counting logic; it translates between C and the
//! `shortlong` core.

#![allow(non_camel_case_types)]

use shortlong::batch::{self, LayoutError, Rows, Validity};
use shortlong::{Counter, Counts, Errors, Options, OptionsError, UnitWidth, UnitsError, Utf8Error};
use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Result of every `sl_*` call. Values are stable and never reused.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlStatus {
    /// Success.
    Ok = 0,
    /// A required pointer was NULL (or text was `(NULL, n > 0)`).
    NullPointer = 1,
    /// The text is not valid UTF-8 (details in the `SlUtf8Error`).
    InvalidUtf8 = 2,
    /// No word remains after removing ignored words: the fraction is 0/0.
    NoWords = 3,
    /// An ignore entry is empty.
    EmptyIgnore = 4,
    /// An ignore entry contains whitespace.
    IgnoreHasWhitespace = 5,
    /// An ignore entry is not UTF-8.
    IgnoreNotUtf8 = 6,
    /// The `errors` argument is not one of the `SL_ERRORS_*` values.
    InvalidErrors = 7,
    /// The stream was already finished.
    StreamFinished = 8,
    /// A length does not fit in memory (`len > PTRDIFF_MAX`).
    TooLong = 9,
    /// A bug in shortlong: a Rust panic was caught at the boundary.
    Panic = 10,
    /// A column's offsets, views or validity bitmap are inconsistent (they
    /// point outside their buffers, or decrease).
    BadLayout = 11,
    /// A 4-byte code unit is above U+10FFFF (`sl_count_units`).
    NotACodePoint = 12,
}

/// Invalid sequences are an error (`SL_STATUS_INVALID_UTF8`).
pub const SL_ERRORS_STRICT: u32 = 0;
/// Each invalid sequence counts as one U+FFFD, like Python's "replace".
pub const SL_ERRORS_REPLACE: u32 = 1;
/// Like strict, but 3-byte encodings of lone surrogates (U+D800..U+DFFF)
/// count as one character each, like Python's "surrogatepass".
pub const SL_ERRORS_SURROGATEPASS: u32 = 2;

/// `SlColumns.status`: the row was counted.
pub const SL_ROW_OK: u8 = 0;
/// `SlColumns.status`: the row is null (missing); its counts are 0.
pub const SL_ROW_NULL: u8 = 1;
/// `SlColumns.status`: the row is not UTF-8; count it alone with `sl_count`
/// to learn where.
pub const SL_ROW_INVALID_UTF8: u8 = 2;

// Literals above so that cbindgen can write them; the same as the core's.
const _: () = assert!(
    SL_ROW_OK == batch::ROW_OK
        && SL_ROW_NULL == batch::ROW_NULL
        && SL_ROW_INVALID_UTF8 == batch::ROW_INVALID_UTF8
);

/// `SlUtf8Error.kind`: a byte that cannot start a character.
pub const SL_UTF8_INVALID_START_BYTE: u32 = 1;
/// `SlUtf8Error.kind`: a lead byte followed by a byte that cannot continue it.
pub const SL_UTF8_INVALID_CONTINUATION_BYTE: u32 = 2;
/// `SlUtf8Error.kind`: the text ends inside a character.
pub const SL_UTF8_UNEXPECTED_END: u32 = 3;

/// Word counts of a text.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlCounts {
    /// All whitespace-separated words.
    pub words: u64,
    /// Words equal to an ignore entry.
    pub ignored: u64,
    /// Words not ignored with more than `longer_than` code points.
    pub long_words: u64,
}

/// Where and why a text is not UTF-8.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlUtf8Error {
    /// Byte offset of the invalid sequence from the start of the text
    /// (of the whole stream, for `sl_stream_feed`).
    pub offset: u64,
    /// Length of the invalid sequence in bytes (1 to 3).
    pub length: u64,
    /// One of the `SL_UTF8_*` kinds.
    pub kind: u32,
}

/// Where `sl_count_offsets32` and friends write their results: one column
/// per field, each with room for one value per row (caller-owned; every
/// pointer must be non-NULL when there are rows).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SlColumns {
    /// Words per row (0 in a null or invalid row).
    pub words: *mut u64,
    /// Ignored words per row.
    pub ignored: *mut u64,
    /// Long words per row.
    pub long_words: *mut u64,
    /// `long_words / (words - ignored)`, or NaN in a null or invalid row and
    /// in a row with no remaining word.
    pub fraction: *mut f64,
    /// Per row: `SL_ROW_OK`, `SL_ROW_NULL` or `SL_ROW_INVALID_UTF8`.
    pub status: *mut u8,
}

/// A borrowed UTF-8 string: `(ptr, len)`, no NUL terminator.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SlStr {
    /// First byte (may be NULL when `len` is 0).
    pub ptr: *const u8,
    /// Number of bytes.
    pub len: usize,
}

/// Counting options: threshold, ignore list and UTF-8 error handling.
/// Opaque; create with `sl_options_new`, free with `sl_options_free`.
/// Immutable once created, so one may be shared by any number of threads.
pub struct SlOptions {
    options: Options,
    errors: Errors,
}

/// A text counted chunk by chunk. Opaque; create with `sl_stream_new`, free
/// with `sl_stream_free`. Not thread-safe: use one stream from one thread
/// at a time.
pub struct SlStream {
    counter: Option<Counter>,
}

/// Run `body`, turning a panic into `SL_STATUS_PANIC`.
fn guard(body: impl FnOnce() -> Result<(), SlStatus>) -> SlStatus {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => SlStatus::Ok,
        Ok(Err(status)) => status,
        Err(_) => SlStatus::Panic,
    }
}

/// The text `(ptr, len)` as a slice.
///
/// # Safety
/// Unless `ptr` is NULL, it must point to `len` readable bytes that stay
/// valid and unmodified for `'a`.
unsafe fn text<'a>(ptr: *const u8, len: usize) -> Result<&'a [u8], SlStatus> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(SlStatus::NullPointer)
        };
    }
    if len > isize::MAX as usize {
        return Err(SlStatus::TooLong);
    }
    // SAFETY: non-null, len <= isize::MAX, and the caller promises `len`
    // readable bytes that outlive 'a.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Write `value` through `out`, which was checked non-null.
fn put<T>(out: *mut T, value: T) {
    // SAFETY: every caller checked `out` for NULL first, and the C contract
    // of each function requires it to be valid for a write of `T`.
    unsafe { out.write(value) }
}

/// The body of every function that writes an `SlCounts`: panics caught,
/// `out` checked for NULL before anything runs, and written only on success.
fn counts_into(out: *mut SlCounts, count: impl FnOnce() -> Result<Counts, SlStatus>) -> SlStatus {
    guard(|| {
        if out.is_null() {
            return Err(SlStatus::NullPointer);
        }
        put(out, counts_to_c(count()?));
        Ok(())
    })
}

fn counts_to_c(c: Counts) -> SlCounts {
    SlCounts {
        words: c.words,
        ignored: c.ignored,
        long_words: c.long,
    }
}

fn report_utf8(err: *mut SlUtf8Error, e: Utf8Error) -> SlStatus {
    if !err.is_null() {
        put(
            err,
            SlUtf8Error {
                offset: e.offset,
                length: e.len as u64,
                kind: e.kind as u32,
            },
        );
    }
    SlStatus::InvalidUtf8
}

/// The library version, e.g. "0.1.0": a static NUL-terminated string.
///
/// Thread-safe; the caller must not free it.
#[no_mangle]
pub extern "C" fn sl_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The kernel backend this process uses ("avx512", "avx2", "sse2" or
/// "portable"): the fastest the CPU supports, unless the environment
/// variable `SHORTLONG_BACKEND` named another when it was first needed.
/// A static NUL-terminated string.
///
/// Thread-safe; the caller must not free it.
#[no_mangle]
pub extern "C" fn sl_backend() -> *const c_char {
    let name: &'static std::ffi::CStr = match catch_unwind(shortlong::Backend::best) {
        Ok(shortlong::Backend::Avx512) => c"avx512",
        Ok(shortlong::Backend::Avx2) => c"avx2",
        Ok(shortlong::Backend::Sse2) => c"sse2",
        Ok(shortlong::Backend::Portable) => c"portable",
        Err(_) => c"unknown",
    };
    name.as_ptr()
}

/// A hint from a caller that will soon count `rows` texts of `bytes` bytes
/// in all on `threads` threads (0: one per core), and has other work to do
/// first (such as reading a column): if the batch will be counted on
/// several threads, the library's worker threads are woken now, so that
/// they are running when it comes. Results never depend on it; a woken
/// thread that gets no work sleeps again. Thread-safe.
#[no_mangle]
pub extern "C" fn sl_wake_threads(bytes: usize, rows: usize, threads: usize) {
    // A failure to make the pool is reported by the call that needs it.
    let _ = catch_unwind(|| shortlong::batch::wake_for(bytes, rows, threads));
}

/// A static, NUL-terminated English message for a status value. Unknown
/// values give "unknown status".
///
/// Thread-safe; the caller must not free it.
#[no_mangle]
pub extern "C" fn sl_status_message(status: u32) -> *const c_char {
    let msg: &'static std::ffi::CStr = match status {
        0 => c"ok",
        1 => c"a required pointer was NULL",
        2 => c"the text is not valid UTF-8",
        3 => c"no words remain after removing ignored words (division by zero)",
        4 => c"an ignore entry is empty, so it could never match a word",
        5 => c"an ignore entry contains whitespace, so it could never match a word",
        6 => c"an ignore entry is not valid UTF-8",
        7 => c"errors must be SL_ERRORS_STRICT, SL_ERRORS_REPLACE or SL_ERRORS_SURROGATEPASS",
        8 => c"the stream was already finished",
        9 => c"a length is larger than PTRDIFF_MAX",
        10 => c"internal error: a panic was caught at the C boundary (please report it)",
        11 => c"the column's offsets, views or validity bitmap are inconsistent",
        12 => c"a 4-byte code unit is above U+10FFFF, not a code point",
        _ => c"unknown status",
    };
    msg.as_ptr()
}

/// Create counting options.
///
/// - `longer_than`: words with more code points than this are long.
/// - `ignore`, `ignore_len`: the words to ignore (exact, case-sensitive
///   UTF-8; lone surrogates allowed as 3-byte sequences). `(NULL, 0)` means
///   none. The strings are copied; the caller keeps ownership.
/// - `errors`: one of `SL_ERRORS_*`.
/// - `out`: on success receives the new options, owned by the caller, who
///   frees them with `sl_options_free`.
/// - `bad_index` (may be NULL): receives the index of the offending entry
///   with `SL_STATUS_EMPTY_IGNORE`, `..._IGNORE_HAS_WHITESPACE` or
///   `..._IGNORE_NOT_UTF8`.
///
/// # Safety
/// `ignore` must point to `ignore_len` valid `SlStr` (or be NULL with
/// `ignore_len == 0`), each pointing to `len` readable bytes; `out` must
/// be valid for writing a pointer; `bad_index` must be NULL or writable.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sl_options_new(
    longer_than: u64,
    ignore: *const SlStr,
    ignore_len: usize,
    errors: u32,
    out: *mut *mut SlOptions,
    bad_index: *mut usize,
) -> SlStatus {
    guard(|| {
        if out.is_null() {
            return Err(SlStatus::NullPointer);
        }
        let errors = match errors {
            SL_ERRORS_STRICT => Errors::Strict,
            SL_ERRORS_REPLACE => Errors::Replace,
            SL_ERRORS_SURROGATEPASS => Errors::SurrogatePass,
            _ => return Err(SlStatus::InvalidErrors),
        };
        let entries: &[SlStr] = if ignore.is_null() {
            if ignore_len != 0 {
                return Err(SlStatus::NullPointer);
            }
            &[]
        } else {
            if ignore_len > isize::MAX as usize / std::mem::size_of::<SlStr>() {
                return Err(SlStatus::TooLong);
            }
            // SAFETY: non-null, size checked above, and the caller promises
            // `ignore_len` valid SlStr for the duration of this call.
            unsafe { std::slice::from_raw_parts(ignore, ignore_len) }
        };
        let mut words = Vec::with_capacity(entries.len());
        for e in entries {
            // SAFETY: the caller promises each entry points to `len` bytes.
            words.push(unsafe { text(e.ptr, e.len) }?);
        }
        let options = Options::new(longer_than, words).map_err(|e| {
            let (status, index) = match e {
                OptionsError::EmptyIgnore { index } => (SlStatus::EmptyIgnore, index),
                OptionsError::IgnoreHasWhitespace { index } => {
                    (SlStatus::IgnoreHasWhitespace, index)
                }
                OptionsError::IgnoreNotUtf8 { index } => (SlStatus::IgnoreNotUtf8, index),
            };
            if !bad_index.is_null() {
                put(bad_index, index);
            }
            status
        })?;
        put(out, Box::into_raw(Box::new(SlOptions { options, errors })));
        Ok(())
    })
}

/// Free options made by `sl_options_new`. NULL is ignored.
///
/// # Safety
/// `options` must be NULL or come from `sl_options_new`, not yet freed,
/// and no other thread may be using it.
#[no_mangle]
pub unsafe extern "C" fn sl_options_free(options: *mut SlOptions) {
    // SAFETY: forwarded caller contract.
    unsafe { free_box(options) }
}

/// Drop a `Box` handed to C by `Box::into_raw`; NULL is ignored.
///
/// # Safety
/// `ptr` must be NULL or come from `Box::into_raw`, not yet freed, and not
/// in use by another thread.
unsafe fn free_box<T>(ptr: *mut T) {
    let _ = guard(|| {
        if !ptr.is_null() {
            // SAFETY: ownership of a Box::into_raw pointer comes back here.
            drop(unsafe { Box::from_raw(ptr) });
        }
        Ok(())
    });
}

/// Default options, built once: longer than 8, ignoring "the" and "a".
fn default_options() -> &'static SlOptions {
    static DEFAULT: std::sync::OnceLock<SlOptions> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(|| SlOptions {
        options: Options::default(),
        errors: Errors::Strict,
    })
}

/// Resolve an options pointer: NULL means the defaults.
///
/// # Safety
/// `options` must be NULL or a live pointer from `sl_options_new`.
unsafe fn options<'a>(options: *const SlOptions) -> &'a SlOptions {
    if options.is_null() {
        default_options()
    } else {
        // SAFETY: the caller promises a live SlOptions, which is immutable.
        unsafe { &*options }
    }
}

/// The shared body of `sl_count` and `sl_short_long`.
///
/// # Safety
/// `options` NULL or live; `text` NULL or `len` readable bytes; `err` NULL
/// or writable.
unsafe fn count_text(
    options: *const SlOptions,
    text: *const u8,
    len: usize,
    threads: usize,
    err: *mut SlUtf8Error,
) -> Result<Counts, SlStatus> {
    // SAFETY: forwarded caller contract.
    let (o, t) = unsafe { (self::options(options), self::text(text, len)?) };
    shortlong::count_threads(t, &o.options, o.errors, threads).map_err(|e| report_utf8(err, e))
}

/// Count the words of a text.
///
/// - `options`: from `sl_options_new`, or NULL for the defaults (longer
///   than 8, ignore "the" and "a", strict UTF-8).
/// - `text`, `len`: the UTF-8 text; `(NULL, 0)` is empty.
/// - `threads`: how many threads may count a large text (1 MiB or more):
///   0 for one per core, 1 for the calling thread only. The result is the
///   same for every value.
/// - `out`: receives the counts on success.
/// - `err` (may be NULL): receives the position of the first invalid
///   sequence with `SL_STATUS_INVALID_UTF8`.
///
/// # Safety
/// `text` must be NULL or point to `len` readable bytes; `options` NULL or
/// live; `out` writable; `err` NULL or writable. Nothing is retained after
/// the call. Thread-safe: any number of threads may count at once, sharing
/// the same options.
#[no_mangle]
pub unsafe extern "C" fn sl_count(
    options: *const SlOptions,
    text: *const u8,
    len: usize,
    threads: usize,
    out: *mut SlCounts,
    err: *mut SlUtf8Error,
) -> SlStatus {
    // SAFETY: forwarded caller contract (see # Safety).
    counts_into(out, || unsafe {
        count_text(options, text, len, threads, err)
    })
}

/// The fraction of long words among the words not ignored, in one call:
/// `long_words / (words - ignored)` of `sl_count`. `SL_STATUS_NO_WORDS`
/// when no word remains (where Python raises `ZeroDivisionError`).
///
/// - `options`: from `sl_options_new`, or NULL for the article's statistic
///   (longer than 8, ignoring "the" and "a", strict UTF-8).
/// - `threads`: as for `sl_count`.
///
/// # Safety
/// `options` NULL or live; `text` NULL or `len` readable bytes; `out`
/// writable; `err` NULL or writable. Nothing is retained. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sl_short_long(
    options: *const SlOptions,
    text: *const u8,
    len: usize,
    threads: usize,
    out: *mut f64,
    err: *mut SlUtf8Error,
) -> SlStatus {
    guard(|| {
        if out.is_null() {
            return Err(SlStatus::NullPointer);
        }
        // SAFETY: forwarded caller contract.
        let c = unsafe { count_text(options, text, len, threads, err)? };
        put(out, c.fraction().ok_or(SlStatus::NoWords)?);
        Ok(())
    })
}

/// `sl_short_long` in the fewest arguments (threads 0, no error details),
/// for bindings where every argument costs time (CFFI's ABI mode): the
/// fraction, or NaN whenever `sl_short_long` would not return
/// `SL_STATUS_OK` (no word remains, invalid UTF-8, a NULL pointer, ...);
/// call `sl_short_long` to learn why.
///
/// # Safety
/// As for `sl_short_long`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sl_short_long_or_nan(
    options: *const SlOptions,
    text: *const u8,
    len: usize,
) -> f64 {
    let mut out = f64::NAN;
    // SAFETY: forwarded caller contract; `out` is a local.
    match unsafe { sl_short_long(options, text, len, 0, &mut out, std::ptr::null_mut()) } {
        SlStatus::Ok => out,
        _ => f64::NAN,
    }
}

/// Count the words of a text given as code units, as CPython stores a
/// `str`: `width` bytes per code point (1: Latin-1; 2: UCS-2; 4: UCS-4;
/// native-endian; lone surrogates allowed). The result is that of `sl_count`
/// on the text's UTF-8 (with surrogates as 3-byte sequences), without that
/// copy: the units are transcoded a cache-sized chunk at a time. The options'
/// `errors` setting does not apply (code units cannot be malformed).
///
/// - `units`, `len`: `len` bytes (not units); `(NULL, 0)` is empty.
/// - `threads`: as for `sl_count` (a text of 1 MiB or more is cut after
///   whitespace and counted on several threads; the result is the same).
/// - `SL_STATUS_BAD_LAYOUT` when `width` is not 1, 2 or 4 or `len` is not a
///   multiple of it; `SL_STATUS_NOT_A_CODE_POINT` for a 4-byte unit above
///   U+10FFFF.
///
/// # Safety
/// `options` NULL or live; `units` NULL or `len` readable bytes; `out`
/// writable. Nothing is retained. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sl_count_units(
    options: *const SlOptions,
    units: *const u8,
    len: usize,
    width: usize,
    threads: usize,
    out: *mut SlCounts,
) -> SlStatus {
    // SAFETY: forwarded caller contract.
    counts_into(out, || unsafe {
        count_units(options, units, len, width, threads)
    })
}

/// `sl_count_units` (threads 0) as the fraction `sl_short_long_or_nan`
/// gives: NaN for any status other than OK (no words remain, or bad
/// arguments).
///
/// # Safety
/// As for `sl_count_units`.
#[no_mangle]
pub unsafe extern "C" fn sl_short_long_units_or_nan(
    options: *const SlOptions,
    units: *const u8,
    len: usize,
    width: usize,
) -> f64 {
    let mut out = f64::NAN;
    guard(|| {
        // SAFETY: forwarded caller contract.
        let c = unsafe { count_units(options, units, len, width, 0)? };
        out = c.fraction().ok_or(SlStatus::NoWords)?;
        Ok(())
    });
    out
}

/// # Safety
/// As for `sl_count_units`.
unsafe fn count_units(
    options: *const SlOptions,
    units: *const u8,
    len: usize,
    width: usize,
    threads: usize,
) -> Result<Counts, SlStatus> {
    let width = UnitWidth::from_bytes(width).ok_or(SlStatus::BadLayout)?;
    // SAFETY: forwarded caller contract.
    let (o, t) = unsafe { (self::options(options), self::text(units, len)?) };
    shortlong::count_units_threads(t, width, &o.options, threads).map_err(|e| match e {
        UnitsError::Length => SlStatus::BadLayout,
        UnitsError::NotACodePoint(_) => SlStatus::NotACodePoint,
    })
}

/// `sl_count` in the fewest arguments: threads 0 (one per core for a large
/// text) and no error details (call `sl_count` for them after
/// `SL_STATUS_INVALID_UTF8`). For bindings where every argument costs time.
///
/// # Safety
/// As for `sl_count`. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sl_count_quick(
    options: *const SlOptions,
    text: *const u8,
    len: usize,
    out: *mut SlCounts,
) -> SlStatus {
    // SAFETY: forwarded caller contract.
    unsafe { sl_count(options, text, len, 0, out, std::ptr::null_mut()) }
}

/// The default options' counts of a tiny text in one step, when
/// `shortlong::count_tiny` can count it: the two-argument calls below go
/// there first (a call on 30 bytes from Python took 430 ns through
/// `sl_short_long` and 395 ns this way).
///
/// # Safety
/// `text` must be NULL or point to `len` readable bytes.
#[inline(always)]
unsafe fn count_tiny_default(text: *const u8, len: usize) -> Option<Counts> {
    if text.is_null() || len > 64 {
        return None;
    }
    // SAFETY: non-null, `len` (at most 64) readable bytes by the caller's
    // contract, and bytes need no alignment.
    let t = unsafe { std::slice::from_raw_parts(text, len) };
    shortlong::count_tiny(t, &default_options().options)
}

/// Texts below this many bytes (2^21) have counts that `sl_count_packed` can pack:
/// each count is below 2^21.
pub const SL_PACKED_MAX_LEN: usize = 2097152;

/// What `sl_count_packed` returns when it has no counts to give (all ones).
pub const SL_PACKED_NONE: u64 = 0xFFFFFFFFFFFFFFFF;

/// `sl_count` with the default options (longer than 8, ignore "the" and
/// "a", strict UTF-8) in two arguments and one integer result, for bindings
/// where each argument and each result object costs time (CFFI's ABI mode,
/// on the many tiny texts of a corpus): the counts packed as
/// `words | ignored << 21 | long_words << 42`, or `SL_PACKED_NONE` when the
/// text has `SL_PACKED_MAX_LEN` bytes or more, or `sl_count` would not
/// return `SL_STATUS_OK` (call it to learn why).
///
/// # Safety
/// `text` must be NULL or point to `len` readable bytes. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sl_count_packed(text: *const u8, len: usize) -> u64 {
    if len >= SL_PACKED_MAX_LEN {
        return SL_PACKED_NONE;
    }
    // SAFETY: forwarded caller contract.
    let (words, ignored, long) = match unsafe { count_tiny_default(text, len) } {
        Some(c) => (c.words, c.ignored, c.long),
        None => {
            let mut c = SlCounts::default();
            // SAFETY: forwarded caller contract; `c` is a local.
            let status =
                unsafe { sl_count(std::ptr::null(), text, len, 0, &mut c, std::ptr::null_mut()) };
            if status != SlStatus::Ok {
                return SL_PACKED_NONE;
            }
            (c.words, c.ignored, c.long_words)
        }
    };
    // Each count is at most `len` < 2^21.
    words | ignored << 21 | long << 42
}

/// `sl_short_long_or_nan` with the default options, in two arguments (see
/// `sl_count_packed`): the fraction, or NaN where `sl_short_long` would not
/// return `SL_STATUS_OK`.
///
/// # Safety
/// `text` must be NULL or point to `len` readable bytes. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sl_short_long_default_or_nan(text: *const u8, len: usize) -> f64 {
    // SAFETY: forwarded caller contract.
    if let Some(c) = unsafe { count_tiny_default(text, len) } {
        return c.fraction().unwrap_or(f64::NAN);
    }
    // SAFETY: forwarded caller contract.
    unsafe { sl_short_long_or_nan(std::ptr::null(), text, len) }
}

/// `long_words / (words - ignored)`; `SL_STATUS_NO_WORDS` when that is 0/0.
///
/// # Safety
/// `counts` must be readable and `out` writable. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sl_counts_fraction(counts: *const SlCounts, out: *mut f64) -> SlStatus {
    guard(|| {
        if counts.is_null() || out.is_null() {
            return Err(SlStatus::NullPointer);
        }
        // SAFETY: non-null and the caller promises a readable SlCounts.
        let c = unsafe { counts.read() };
        if c.ignored > c.words {
            // Not counts this library produced; refuse rather than wrap.
            return Err(SlStatus::NoWords);
        }
        let c = Counts {
            words: c.words,
            ignored: c.ignored,
            long: c.long_words,
        };
        put(out, c.fraction().ok_or(SlStatus::NoWords)?);
        Ok(())
    })
}

/// Start counting a text that arrives in chunks.
///
/// `options` (NULL for the defaults) is copied; the caller may free it
/// right after. On success `*out` is a new stream owned by the caller, to
/// be freed with `sl_stream_free`.
///
/// # Safety
/// `options` NULL or live; `out` writable. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sl_stream_new(
    options: *const SlOptions,
    out: *mut *mut SlStream,
) -> SlStatus {
    guard(|| {
        if out.is_null() {
            return Err(SlStatus::NullPointer);
        }
        // SAFETY: forwarded caller contract.
        let o = unsafe { self::options(options) };
        let counter = Counter::new(o.options.clone(), o.errors);
        put(
            out,
            Box::into_raw(Box::new(SlStream {
                counter: Some(counter),
            })),
        );
        Ok(())
    })
}

/// Borrow a live stream.
///
/// # Safety
/// `stream` must be NULL or a live pointer from `sl_stream_new` that no
/// other thread is using.
unsafe fn stream<'a>(stream: *mut SlStream) -> Result<&'a mut Counter, SlStatus> {
    if stream.is_null() {
        return Err(SlStatus::NullPointer);
    }
    // SAFETY: the caller promises exclusive use of a live stream.
    unsafe { &mut *stream }
        .counter
        .as_mut()
        .ok_or(SlStatus::StreamFinished)
}

/// Feed the next chunk; a chunk may end anywhere, even inside a character.
/// After an invalid-UTF-8 error every later call reports the same error.
///
/// # Safety
/// `stream` live and used by this thread only; `chunk` NULL or `len`
/// readable bytes (not retained); `err` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn sl_stream_feed(
    stream: *mut SlStream,
    chunk: *const u8,
    len: usize,
    err: *mut SlUtf8Error,
) -> SlStatus {
    guard(|| {
        // SAFETY: forwarded caller contract.
        let (s, t) = unsafe { (self::stream(stream)?, text(chunk, len)?) };
        s.feed(t).map_err(|e| report_utf8(err, e))
    })
}

/// Counts of the words completed so far (the last word may still grow).
/// Useful after an error: nothing counted before it is lost.
///
/// # Safety
/// `stream` live and used by this thread only; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn sl_stream_counts(stream: *mut SlStream, out: *mut SlCounts) -> SlStatus {
    // SAFETY: forwarded caller contract.
    counts_into(out, || Ok(unsafe { self::stream(stream)? }.counts()))
}

/// End of input: the counts of the whole text. The stream is finished
/// afterwards (whatever the status): later feeds return
/// `SL_STATUS_STREAM_FINISHED`. It must still be freed.
///
/// # Safety
/// `stream` live and used by this thread only; `out` writable; `err` NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn sl_stream_finish(
    stream: *mut SlStream,
    out: *mut SlCounts,
    err: *mut SlUtf8Error,
) -> SlStatus {
    counts_into(out, || {
        if stream.is_null() {
            return Err(SlStatus::NullPointer);
        }
        // SAFETY: non-null; the caller promises a live stream used only here.
        let slot = unsafe { &mut (*stream).counter };
        let counter = slot.take().ok_or(SlStatus::StreamFinished)?;
        counter.finish().map_err(|e| report_utf8(err, e))
    })
}

/// Free a stream. NULL is ignored.
///
/// # Safety
/// `stream` must be NULL or come from `sl_stream_new`, not yet freed, and
/// not in use by another thread.
#[no_mangle]
pub unsafe extern "C" fn sl_stream_free(stream: *mut SlStream) {
    // SAFETY: forwarded caller contract.
    unsafe { free_box(stream) }
}

/// A slice of `n` values of `T` at `ptr` (NULL only with `n == 0`).
///
/// # Safety
/// Unless NULL, `ptr` must point to `n` valid, initialised `T` that outlive
/// `'a`.
unsafe fn slice_of<'a, T>(ptr: *const T, n: usize) -> Result<&'a [T], SlStatus> {
    if ptr.is_null() {
        return if n == 0 {
            Ok(&[])
        } else {
            Err(SlStatus::NullPointer)
        };
    }
    if n > isize::MAX as usize / std::mem::size_of::<T>().max(1) {
        return Err(SlStatus::TooLong);
    }
    // SAFETY: non-null, size in range, and the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, n) })
}

/// # Safety
/// `bits` NULL or `bits_len` readable bytes.
unsafe fn validity<'a>(
    bits: *const u8,
    bits_len: usize,
    offset: usize,
) -> Result<Validity<'a>, SlStatus> {
    if bits.is_null() {
        return Ok(Validity::ALL);
    }
    // SAFETY: forwarded contract.
    Ok(Validity::new(
        Some(unsafe { slice_of(bits, bits_len)? }),
        offset,
    ))
}

/// Count every row into the columns of `out` (`n` rows).
///
/// # Safety
/// Each column of `*out` must be valid for writing `n` values.
unsafe fn count_rows_into(
    options: *const SlOptions,
    rows: Result<impl Rows, LayoutError>,
    threads: usize,
    out: *const SlColumns,
    n: usize,
) -> Result<(), SlStatus> {
    let rows = rows.map_err(|_| SlStatus::BadLayout)?;
    if rows.len() != n {
        return Err(SlStatus::BadLayout);
    }
    if n == 0 {
        return Ok(());
    }
    if out.is_null() {
        return Err(SlStatus::NullPointer);
    }
    // SAFETY: non-null; the caller provides a readable SlColumns.
    let cols = unsafe { out.read() };
    if cols.words.is_null()
        || cols.ignored.is_null()
        || cols.long_words.is_null()
        || cols.fraction.is_null()
        || cols.status.is_null()
    {
        return Err(SlStatus::NullPointer);
    }
    // SAFETY: forwarded caller contract: each column has room for n
    // values, and the columns do not overlap.
    let cols = unsafe {
        batch::Columns {
            words: std::slice::from_raw_parts_mut(cols.words, n),
            ignored: std::slice::from_raw_parts_mut(cols.ignored, n),
            long: std::slice::from_raw_parts_mut(cols.long_words, n),
            fraction: std::slice::from_raw_parts_mut(cols.fraction, n),
            status: std::slice::from_raw_parts_mut(cols.status, n),
        }
    };
    // SAFETY: forwarded caller contract.
    let o = unsafe { self::options(options) };
    batch::count_columns(&rows, &o.options, o.errors, threads, cols);
    Ok(())
}

/// The shared body of `sl_count_offsets32` and `sl_count_offsets64`.
///
/// # Safety
/// As for `sl_count_offsets32`.
#[allow(clippy::too_many_arguments)] // the C signature, passed through
unsafe fn count_offsets<O: Copy + TryInto<usize> + Sync>(
    options: *const SlOptions,
    data: *const u8,
    data_len: usize,
    offsets: *const O,
    n: usize,
    validity: *const u8,
    validity_len: usize,
    validity_offset: usize,
    threads: usize,
    out: *const SlColumns,
) -> SlStatus {
    guard(|| {
        // SAFETY: forwarded caller contract.
        unsafe {
            let offs = if n == 0 && offsets.is_null() {
                &[][..]
            } else {
                slice_of(offsets, n + 1)?
            };
            let rows = batch::Offsets::new(
                slice_of(data, data_len)?,
                offs,
                self::validity(validity, validity_len, validity_offset)?,
            );
            count_rows_into(options, rows, threads, out, n)
        }
    })
}

/// Count each row of an Arrow `string` column (32-bit offsets) into
/// `out[0..n]`, on up to `threads` threads (0: one per core).
///
/// - `data`, `data_len`: the value buffer.
/// - `offsets`: `n + 1` offsets into `data` (already advanced by the
///   array's offset, for a sliced array).
/// - `validity`, `validity_len`: the validity bitmap and its size in bytes,
///   or NULL when every row is valid; `validity_offset` is the bit of row 0.
/// - `out`: the columns to fill, `n` values each, not overlapping; each
///   row's `status` says OK, null or invalid UTF-8. The call itself fails
///   (`SL_STATUS_BAD_LAYOUT`) only when the offsets or bitmap are
///   inconsistent; then nothing is written.
///
/// # Safety
/// Every pointer is NULL (with a zero length) or valid for its length;
/// every column of `out` is writable for `n` values. Nothing is retained.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn sl_count_offsets32(
    options: *const SlOptions,
    data: *const u8,
    data_len: usize,
    offsets: *const i32,
    n: usize,
    validity: *const u8,
    validity_len: usize,
    validity_offset: usize,
    threads: usize,
    out: *const SlColumns,
) -> SlStatus {
    // SAFETY: forwarded caller contract.
    unsafe {
        count_offsets(
            options,
            data,
            data_len,
            offsets,
            n,
            validity,
            validity_len,
            validity_offset,
            threads,
            out,
        )
    }
}

/// As `sl_count_offsets32`, for Arrow `large_string` (64-bit offsets).
///
/// # Safety
/// As for `sl_count_offsets32`.
#[no_mangle]
pub unsafe extern "C" fn sl_count_offsets64(
    options: *const SlOptions,
    data: *const u8,
    data_len: usize,
    offsets: *const i64,
    n: usize,
    validity: *const u8,
    validity_len: usize,
    validity_offset: usize,
    threads: usize,
    out: *const SlColumns,
) -> SlStatus {
    // SAFETY: forwarded caller contract.
    unsafe {
        count_offsets(
            options,
            data,
            data_len,
            offsets,
            n,
            validity,
            validity_len,
            validity_offset,
            threads,
            out,
        )
    }
}

/// As `sl_count_offsets32`, for Arrow `string_view` (what polars uses):
/// `views` holds `n` views of 16 bytes; `buffers[0..nbuffers]` are the
/// variadic data buffers the views point into.
///
/// # Safety
/// As for `sl_count_offsets32`; `views` is `16 * n` readable bytes and
/// each buffer is `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn sl_count_views(
    options: *const SlOptions,
    views: *const u8,
    n: usize,
    buffers: *const SlStr,
    nbuffers: usize,
    validity: *const u8,
    validity_len: usize,
    validity_offset: usize,
    threads: usize,
    out: *const SlColumns,
) -> SlStatus {
    guard(|| {
        // SAFETY: forwarded caller contract; [u8; 16] has alignment 1.
        unsafe {
            let views = slice_of(views.cast::<[u8; 16]>(), n)?;
            let mut bufs = Vec::with_capacity(nbuffers);
            for b in slice_of(buffers, nbuffers)? {
                bufs.push(text(b.ptr, b.len)?);
            }
            let rows = batch::Views::new(
                views,
                bufs,
                self::validity(validity, validity_len, validity_offset)?,
            );
            count_rows_into(options, rows, threads, out, n)
        }
    })
}

/// As `sl_count_offsets32`, for rows anywhere in memory (a list of Python
/// `str`): row i is `rows[i]`, UTF-8 when `widths[i]` is 0, else code units
/// of `widths[i]` bytes (1, 2 or 4; see `sl_count_units`). No row is null;
/// `(NULL, 0)` is an empty row. `SL_STATUS_BAD_LAYOUT` when a width is not
/// 0, 1, 2 or 4 or a row's length is not a multiple of it. A 4-byte unit
/// above U+10FFFF makes its row `SL_ROW_INVALID_UTF8`.
///
/// # Safety
/// `rows` and `widths` are `n` readable values; each row's `len` bytes are
/// readable; every column of `out` writable for `n` values.
#[no_mangle]
pub unsafe extern "C" fn sl_count_rows(
    options: *const SlOptions,
    rows: *const SlStr,
    widths: *const u8,
    n: usize,
    threads: usize,
    out: *const SlColumns,
) -> SlStatus {
    guard(|| {
        // SAFETY: forwarded caller contract.
        unsafe {
            let (rows, widths) = (slice_of(rows, n)?, slice_of(widths, n)?);
            let mut slices = Vec::with_capacity(n);
            for (r, &w) in rows.iter().zip(widths) {
                let w = match w {
                    0 => None,
                    w => Some(UnitWidth::from_bytes(w as usize).ok_or(SlStatus::BadLayout)?),
                };
                slices.push((text(r.ptr, r.len)?, w));
            }
            count_rows_into(options, batch::Slices::new(slices), threads, out, n)
        }
    })
}

/// As `sl_count_offsets32`, for fixed-width byte strings (NumPy `S`):
/// `n = data_len / width` rows of `width` bytes, trailing NUL bytes removed
/// as NumPy does. No row is null.
///
/// # Safety
/// `data` is `data_len` readable bytes; every column of `out` writable
/// for `data_len / width` values.
#[no_mangle]
pub unsafe extern "C" fn sl_count_fixed(
    options: *const SlOptions,
    data: *const u8,
    data_len: usize,
    width: usize,
    threads: usize,
    out: *const SlColumns,
) -> SlStatus {
    guard(|| {
        // SAFETY: forwarded caller contract.
        unsafe {
            let rows = batch::FixedWidth::new(text(data, data_len)?, width);
            let n = data_len.checked_div(width).unwrap_or(0);
            count_rows_into(options, rows, threads, out, n)
        }
    })
}
