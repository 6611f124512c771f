//! Counting one large text on several threads.
//!
//! Owns splitting: a text is cut right after whitespace characters, so each
//! piece starts and ends at a word boundary and at a character boundary,
//! and the pieces' counts add up exactly to the whole text's. An invalid
//! sequence never spans a cut (a cut follows a whole, valid space), so
//! replacement and error offsets are also the same as counting serially.
//! Results never depend on the number of threads.

use crate::whitespace::after_next_space;
use crate::{count_with, Backend, Counts, Errors, Options, Utf8Error};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The worker pool, made on first need and made again in a child process
/// after `fork()`: a child inherits the pool's state but not its threads,
/// so reusing it (as rayon's global pool would be) deadlocks.
pub(crate) fn pool() -> Arc<rayon::ThreadPool> {
    static POOL: Mutex<Option<(u32, Arc<rayon::ThreadPool>)>> = Mutex::new(None);
    let pid = std::process::id();
    let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((owner, pool)) = guard.as_ref() {
        if *owner == pid {
            return pool.clone();
        }
        // Inherited from the parent: its threads do not exist here. Leak it
        // rather than drop it (dropping would signal threads that are gone).
        std::mem::forget(guard.take());
    }
    let pool = Arc::new(
        rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("shortlong-{i}"))
            .build()
            .expect("a thread pool"),
    );
    *guard = Some((pid, pool.clone()));
    pool
}

/// Wake up to `threads - 1` threads of the pool (0: one per core) with empty
/// jobs, so that they are running by the time parallel work arrives. For a
/// caller that knows it will soon make a parallel call and has other work to
/// do first (the Python package calls it before reading an Arrow column).
///
/// A pool thread that has been idle for a while sleeps, and on a virtual
/// machine its vCPU may halt: on the 2-vCPU development VM, with 1 ms idle
/// before each call, the 206 enwiki pages (5.8 MB, `batch::count_rows`)
/// took as long on 2 threads as on 1 (the second never joined in time);
/// woken 30 µs ahead, 0.54x as long. The woken threads spin briefly and
/// sleep again if no work comes.
pub fn wake_threads(threads: usize) {
    let want = threads_or_cores(threads);
    if want <= 1 {
        return;
    }
    let pool = pool();
    // The calling thread works too (see `run_workers`).
    for _ in 0..(want - 1).min(pool.current_num_threads()) {
        pool.spawn(|| {});
    }
}

/// Run `work` on `workers` threads: this one and `workers - 1` of the pool.
/// (The calling thread works too: handing all of it to the pool would cost
/// one more thread wake-up and leave this thread idle: two threads' gain on
/// a 1 MiB text was 1.06x that way, and is 1.5x this way.)
pub(crate) fn run_workers(workers: usize, work: impl Fn() + Sync) {
    if workers <= 1 {
        work();
        return;
    }
    // Pool threads inside `work`: when this thread runs out of work first,
    // it spins while they finish their last items, rather than sleep on the
    // scope's latch (waking a sleeping thread goes through the hypervisor on
    // a VM, and can take longer than the last item).
    let busy = AtomicUsize::new(0);
    pool().in_place_scope(|s| {
        for _ in 1..workers {
            s.spawn(|_| {
                busy.fetch_add(1, Ordering::AcqRel);
                work();
                busy.fetch_sub(1, Ordering::Release);
            });
        }
        work();
        let start = std::time::Instant::now();
        while busy.load(Ordering::Acquire) != 0 {
            let waited = start.elapsed();
            if waited > WAIT_FOR_WORKERS {
                break;
            }
            if waited > SPIN_FOR_WORKERS {
                // Other threads may need this core (callers on many threads
                // at once): spin no longer, but stay awake.
                std::thread::yield_now();
            } else {
                for _ in 0..64 {
                    std::hint::spin_loop();
                }
            }
        }
    });
}

/// How long the calling thread spins for the pool's last items, and how
/// long it waits awake in all before it sleeps (see `run_workers`). On the
/// 2-vCPU development VM, the 206 enwiki pages as an Arrow column took
/// 0.23 ms on 2 threads this way and 0.27 ms with the sleep (1 thread:
/// 0.45 ms; native call, medians of 31).
const SPIN_FOR_WORKERS: std::time::Duration = std::time::Duration::from_micros(20);
const WAIT_FOR_WORKERS: std::time::Duration = std::time::Duration::from_micros(200);

/// A thread count as callers give it: 0 means one per core.
pub(crate) fn threads_or_cores(threads: usize) -> usize {
    if threads == 0 {
        default_threads()
    } else {
        threads
    }
}

/// One per core, found once: `available_parallelism` reads the cgroup
/// files on Linux, which costs tens of microseconds per call.
fn default_threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Texts shorter than this are counted on one thread: below it, handing
/// work to other threads costs more than it saves (see docs/performance.md,
/// two threads against one, by size).
pub const PARALLEL_MIN: usize = 1 << 20;

pub(crate) const PIECES_PER_THREAD: usize = 4;
const MIN_PIECE: usize = 256 << 10;
/// And none larger than this: a large text's last pieces are small enough
/// that the threads finish together. One 256 MB text, 2 threads from
/// Python: pieces of 32 MB gave 16.7-18.3 GB/s (1.55-1.71x one thread),
/// of 4 MB 19.9-20.2 GB/s (1.82-1.84x).
const MAX_PIECE: usize = 4 << 20;

/// Cut `text` into at most `parts` pieces at word boundaries.
fn split(text: &[u8], parts: usize) -> Vec<(usize, &[u8])> {
    let mut pieces = Vec::with_capacity(parts);
    let mut start = 0;
    for k in 1..parts {
        let target = (text.len() / parts * k).max(start);
        match after_next_space(text, target) {
            Some(cut) if cut < text.len() => {
                pieces.push((start, &text[start..cut]));
                start = cut;
            }
            _ => break,
        }
    }
    pieces.push((start, &text[start..]));
    pieces
}

/// Count `text` on up to `threads` threads (`0`: one per core). The result
/// is the same as [`crate::count`] for every thread count.
pub fn count_threads(
    text: &[u8],
    opts: &Options,
    errors: Errors,
    threads: usize,
) -> Result<Counts, Utf8Error> {
    // Size first: a small text must not even start the thread pool.
    if threads == 1 || text.len() < PARALLEL_MIN {
        return count_with(Backend::best(), text, opts, errors);
    }
    let threads = threads_or_cores(threads);
    if threads <= 1 {
        return count_with(Backend::best(), text, opts, errors);
    }
    count_split(text, opts, errors, threads)
}

/// Split into `threads` pieces and count them in parallel, whatever the
/// size (`count_threads` without its size threshold; for measuring it).
#[doc(hidden)]
pub fn count_split(
    text: &[u8],
    opts: &Options,
    errors: Errors,
    threads: usize,
) -> Result<Counts, Utf8Error> {
    let backend = Backend::best();
    // Several pieces per thread, so that a thread slowed by a busy core (or
    // a piece slower to count) does not hold the others up; but none so
    // small that handing it over costs more than counting it.
    let parts = (threads.max(1) * PIECES_PER_THREAD)
        .max(text.len() / MAX_PIECE)
        .min(text.len() / MIN_PIECE)
        .max(1);
    let pieces = split(text, parts);
    let results = map_in_order(&pieces, threads, |&(start, piece)| {
        count_with(backend, piece, opts, errors).map_err(|mut e| {
            e.offset += start as u64;
            e
        })
    });
    sum_in_order(results)
}

/// `f` of every item on up to `threads` threads (at least 1), the results in
/// the items' order whatever the scheduling: `threads` workers take items in
/// turn from a shared counter, and each result lands in its item's slot.
pub(crate) fn map_in_order<T: Sync, R: Send + Sync>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results: Vec<OnceLock<R>> = items.iter().map(|_| OnceLock::new()).collect();
    run_workers(threads.max(1).min(items.len()), || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(item) = items.get(i) else { break };
        let _ = results[i].set(f(item));
    });
    results
        .into_iter()
        .map(|r| r.into_inner().expect("every item is done"))
        .collect()
}

/// The total of pieces' counts, or the first piece's error: in order, so
/// that it is the error a serial count reports.
pub(crate) fn sum_in_order<E>(results: Vec<Result<Counts, E>>) -> Result<Counts, E> {
    let mut total = Counts::default();
    for r in results {
        total += r?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_text_and_end_after_spaces() {
        let text = "aé\u{3000}b c\u{2029}dd eee ffff\u{85}ggggg".repeat(50);
        for parts in 1..40 {
            let pieces = split(text.as_bytes(), parts);
            assert!(pieces.len() <= parts);
            let mut at = 0;
            for (start, p) in &pieces {
                assert_eq!(*start, at);
                at += p.len();
                let s = std::str::from_utf8(p).expect("cut inside a character");
                if at < text.len() {
                    assert!(s
                        .chars()
                        .last()
                        .is_some_and(|c| crate::whitespace::is_space(c as u32)));
                }
            }
            assert_eq!(at, text.len());
        }
        // No space at all: one piece.
        assert_eq!(split(&[b'x'; 100], 4).len(), 1);
    }
}
