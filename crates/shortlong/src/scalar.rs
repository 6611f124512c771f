//! The scalar oracle: a code-point state machine that counts words exactly.
//!
//! Owns the definition of the statistic in code. It decodes one character
//! at a time (see the crate's `utf8` module), so it is simple enough to trust and is
//! the reference every fast path is tested against. It also carries all
//! state across chunk boundaries, so the streaming [`crate::Counter`] is
//! this machine fed piece by piece.
//!
//! No allocation happens per word: a word's bytes are looked at in place,
//! and only a word that straddles two chunks (or holds a U+FFFD replacement)
//! is copied, at most `max_ignore_len + 1` bytes of it, into one reused
//! buffer.

use crate::utf8::{decode, Step, Utf8ErrorKind};
use crate::whitespace::{after_last_space, after_next_space, is_ascii_space, is_space};
use crate::{Counts, Errors, Options, Utf8Error};

const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// A faster counter for regions that start and end at word boundaries:
/// their counts, or `None` to leave them to the machine.
pub(crate) type RegionCounter<'a> = &'a dyn Fn(&[u8]) -> Option<Counts>;

/// Counting state that survives between chunks.
#[derive(Clone, Debug, Default)]
pub(crate) struct Machine {
    errors: Errors,
    counts: Counts,
    in_word: bool,
    /// Code points of the current word so far.
    cps: u64,
    /// The current word's bytes that lie before the chunk being fed (or that
    /// differ from the input, for U+FFFD), capped at `max_ignore_len + 1`.
    /// Non-empty exactly when such bytes exist.
    spill: Vec<u8>,
    /// The bytes of a character cut by the end of the previous chunk.
    pending: [u8; 4],
    pending_len: usize,
    /// Absolute offset of the next chunk's first byte.
    base: u64,
    error: Option<Utf8Error>,
}

impl Machine {
    pub(crate) fn new(errors: Errors) -> Self {
        Machine {
            errors,
            ..Machine::default()
        }
    }

    /// Counts of the words completed so far.
    pub(crate) fn counts(&self) -> Counts {
        self.counts
    }

    fn spill_extend(&mut self, opts: &Options, bytes: &[u8]) {
        let room = (opts.max_ignore_len() + 1).saturating_sub(self.spill.len());
        self.spill
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// Close the current word, whose last bytes are `tail` (after `spill`).
    #[inline]
    fn end_word(&mut self, opts: &Options, tail: &[u8]) {
        let ignored = if self.spill.is_empty() {
            opts.is_ignored(tail)
        } else {
            self.spill_extend(opts, tail);
            let hit = self.spill.len() <= opts.max_ignore_len() && opts.is_ignored(&self.spill);
            self.spill.clear();
            hit
        };
        self.counts.words += 1;
        if ignored {
            self.counts.ignored += 1;
        } else if self.cps > opts.longer_than() {
            self.counts.long += 1;
        }
        self.in_word = false;
    }

    /// A character that does not lie in the chunk: completed from pending
    /// bytes, or a U+FFFD standing for an invalid sequence.
    fn push_detached(&mut self, opts: &Options, cp: u32, bytes: &[u8]) {
        if is_space(cp) {
            if self.in_word {
                self.end_word(opts, &[]);
            }
        } else {
            if !self.in_word {
                self.in_word = true;
                self.cps = 0;
            }
            self.cps += 1;
            // An empty spill must mean "no earlier bytes"; a zero-room cap
            // cannot happen because the cap is at least one byte.
            self.spill_extend(opts, bytes);
        }
    }

    /// An invalid sequence of `len` bytes at absolute offset `offset`.
    fn invalid(
        &mut self,
        opts: &Options,
        offset: u64,
        len: usize,
        kind: Utf8ErrorKind,
    ) -> Result<(), Utf8Error> {
        match self.errors {
            Errors::Replace => {
                self.push_detached(opts, 0xFFFD, REPLACEMENT);
                Ok(())
            }
            Errors::Strict | Errors::SurrogatePass => {
                let e = Utf8Error { offset, len, kind };
                self.error = Some(e);
                Err(e)
            }
        }
    }

    fn surrogates(&self) -> bool {
        self.errors == Errors::SurrogatePass
    }

    /// Finish the character cut by the previous chunk, using the first bytes
    /// of `chunk`; returns how many bytes of `chunk` it used, or `None` when
    /// `chunk` was too short to finish it (then it was all taken into
    /// `pending`).
    fn finish_pending(
        &mut self,
        opts: &Options,
        chunk: &[u8],
        at_end: bool,
    ) -> Result<Option<usize>, Utf8Error> {
        let mut used = 0;
        while self.pending_len > 0 {
            let plen = self.pending_len;
            let mut buf = [0u8; 8];
            buf[..plen].copy_from_slice(&self.pending[..plen]);
            let take = (4 - plen).min(chunk.len() - used);
            buf[plen..plen + take].copy_from_slice(&chunk[used..used + take]);
            let last = at_end && used + take == chunk.len();
            let start = self.base + used as u64 - plen as u64;
            let len = match decode(&buf[..plen + take], self.surrogates(), last) {
                Step::Incomplete => {
                    self.pending[plen..plen + take].copy_from_slice(&chunk[used..used + take]);
                    self.pending_len += take;
                    return Ok(None);
                }
                Step::Char { cp, len } => {
                    self.push_detached(opts, cp, &buf[..len]);
                    len
                }
                Step::Invalid { len, kind } => {
                    self.invalid(opts, start, len, kind)?;
                    len
                }
            };
            if len >= plen {
                used += len - plen;
                self.pending_len = 0;
            } else {
                self.pending.copy_within(len..plen, 0);
                self.pending_len = plen - len;
            }
        }
        Ok(Some(used))
    }

    /// Feed the next chunk. `at_end` says no more bytes follow it.
    pub(crate) fn feed(
        &mut self,
        opts: &Options,
        chunk: &[u8],
        at_end: bool,
    ) -> Result<(), Utf8Error> {
        self.feed_with(opts, chunk, at_end, None)
    }

    /// [`Machine::feed`], optionally with a faster counter for regions:
    /// `region(bytes)` must return the counts of `bytes` (which start and
    /// end at word boundaries), or `None` to leave them to this machine.
    /// The oracle itself never passes one.
    pub(crate) fn feed_with(
        &mut self,
        opts: &Options,
        chunk: &[u8],
        at_end: bool,
        region: Option<RegionCounter<'_>>,
    ) -> Result<(), Utf8Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let result = self.feed_inner(opts, chunk, at_end, region);
        self.base += chunk.len() as u64;
        result
    }

    fn feed_inner(
        &mut self,
        opts: &Options,
        chunk: &[u8],
        at_end: bool,
        region: Option<RegionCounter<'_>>,
    ) -> Result<(), Utf8Error> {
        let Some(mut from) = self.finish_pending(opts, chunk, at_end)? else {
            return Ok(());
        };
        if let Some(count_region) = region {
            // Close the word carried over from the previous chunk (one
            // character at a time), then hand everything up to the chunk's
            // last space to the region counter: it starts and ends at word
            // boundaries, as the counter needs.
            if self.in_word {
                match after_next_space(chunk, from) {
                    Some(e) => {
                        self.feed_chars(opts, &chunk[..e], from, false)?;
                        from = e;
                    }
                    None => return self.feed_chars(opts, chunk, from, at_end),
                }
            }
            if let Some(b) = after_last_space(chunk, from) {
                if let Some(c) = count_region(&chunk[from..b]) {
                    self.counts += c;
                    from = b;
                }
            }
        }
        self.feed_chars(opts, chunk, from, at_end)
    }

    fn feed_chars(
        &mut self,
        opts: &Options,
        chunk: &[u8],
        mut i: usize,
        at_end: bool,
    ) -> Result<(), Utf8Error> {
        // The current word's bytes in this chunk start at `start`.
        let mut start = i;
        while i < chunk.len() {
            let b = chunk[i];
            let (space, len) = if b < 0x80 {
                (is_ascii_space(b), 1)
            } else {
                match decode(&chunk[i..], self.surrogates(), at_end) {
                    Step::Char { cp, len } => (is_space(cp), len),
                    Step::Invalid { len, kind } => {
                        if self.in_word {
                            self.spill_extend(opts, &chunk[start..i]);
                        }
                        self.invalid(opts, self.base + i as u64, len, kind)?;
                        i += len;
                        start = i;
                        continue;
                    }
                    Step::Incomplete => {
                        if self.in_word {
                            self.spill_extend(opts, &chunk[start..i]);
                        }
                        let rest = &chunk[i..];
                        self.pending[..rest.len()].copy_from_slice(rest);
                        self.pending_len = rest.len();
                        return Ok(());
                    }
                }
            };
            if space {
                if self.in_word {
                    self.end_word(opts, &chunk[start..i]);
                }
            } else if !self.in_word {
                self.in_word = true;
                self.cps = 0;
                start = i;
            }
            // Counting code points of spaces too is harmless: the counter is
            // reset when the next word starts.
            self.cps += 1;
            i += len;
        }
        if self.in_word {
            self.spill_extend(opts, &chunk[start..]);
        }
        Ok(())
    }

    /// No more input: close the last word.
    pub(crate) fn finish(&mut self, opts: &Options) -> Result<Counts, Utf8Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.finish_pending(opts, &[], true)?;
        if self.in_word {
            self.end_word(opts, &[]);
        }
        Ok(self.counts)
    }
}

/// Count `text` with the scalar oracle, one character at a time.
///
/// This is the reference for every fast path. It is public so that tests
/// (and sceptical users) can compare against it.
pub fn count(text: &[u8], opts: &Options, errors: Errors) -> Result<Counts, Utf8Error> {
    let mut m = Machine::new(errors);
    m.feed(opts, text, true)?;
    m.finish(opts)
}
