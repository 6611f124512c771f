//! Many short rows through the batch path, for profilers:
//! `cargo run --release -p shortlong --example rows -- FILE [THREADS]`.

use shortlong::batch::{count_rows, Offsets, Row, Validity};
use shortlong::{Errors, Options};
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: rows FILE [THREADS]");
    let threads: usize = std::env::args().nth(2).map_or(1, |s| s.parse().unwrap());
    let text = std::fs::read_to_string(path).expect("read");
    let words: Vec<&str> = text.split_whitespace().take(5000).collect();
    // 1,000,000 rows of 30 to 100 bytes, deterministic.
    let (mut data, mut offsets) = (String::new(), vec![0i64]);
    let mut x = 12345u64;
    for _ in 0..1_000_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let target = 30 + (x >> 33) as usize % 71;
        let start = data.len();
        while data.len() - start < target {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            data.push_str(words[(x >> 33) as usize % words.len()]);
            data.push(' ');
        }
        offsets.push(data.len() as i64);
    }
    let rows = Offsets::new(data.as_bytes(), &offsets, Validity::ALL).unwrap();
    let mut out = vec![Row::Null; 1_000_000];
    let o = Options::default();
    for _ in 0..3 {
        let t0 = Instant::now();
        count_rows(&rows, &o, Errors::Strict, threads, &mut out);
        let s = t0.elapsed().as_secs_f64();
        eprintln!(
            "{threads} threads: {:.0} ms, {:.2} GB/s",
            s * 1e3,
            data.len() as f64 / s / 1e9
        );
    }
}
