//! 1 vs N threads by text size, to place `PARALLEL_MIN`:
//! `cargo run --release -p shortlong --example threads -- FILE`.

use shortlong::{count_split, Errors, Options};
use std::time::Instant;

fn median_secs(mut f: impl FnMut(), reps: usize) -> f64 {
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: threads FILE");
    let unit = std::fs::read(path).expect("read");
    let o = Options::default();
    for size in [256 << 10, 512 << 10, 1 << 20, 4 << 20, 32 << 20, 256 << 20] {
        let text: Vec<u8> = unit.iter().cycle().take(size).copied().collect();
        let reps = (2_000_000_000 / size).clamp(5, 201);
        let one = median_secs(
            || {
                std::hint::black_box(count_split(&text, &o, Errors::Replace, 1)).ok();
            },
            reps,
        );
        let two = median_secs(
            || {
                std::hint::black_box(count_split(&text, &o, Errors::Replace, 2)).ok();
            },
            reps,
        );
        println!(
            "{:>8} KiB: 1 thread {:>6.2} GB/s, 2 threads {:>6.2} GB/s, speedup {:.2}x",
            size >> 10,
            size as f64 / one / 1e9,
            size as f64 / two / 1e9,
            one / two
        );
    }
}
