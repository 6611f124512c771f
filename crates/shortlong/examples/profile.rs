//! Count one file many times, for profilers:
//! `cargo run --release -p shortlong --example profile -- FILE [ITERATIONS] [BACKEND]`.

use shortlong::{count_with, Backend, Errors, Options};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .get(1)
        .expect("usage: profile FILE [ITERATIONS] [BACKEND]");
    let iters: usize = args.get(2).map_or(200, |s| s.parse().expect("iterations"));
    let backend = match args.get(3).map(String::as_str) {
        None => Backend::best(),
        Some(name) => *Backend::available()
            .iter()
            .find(|b| b.name() == name)
            .expect("backend not available"),
    };
    let text = std::fs::read(path).expect("read");
    // PROFILE_LONGER_THAN (default 8) and PROFILE_IGNORE (entries separated
    // by commas; default "the" and "a").
    let longer_than: u64 = std::env::var("PROFILE_LONGER_THAN").map_or(8, |s| s.parse().unwrap());
    let o = match std::env::var("PROFILE_IGNORE") {
        Ok(list) => Options::new(longer_than, list.split(',').filter(|w| !w.is_empty())),
        Err(_) => Options::new(longer_than, ["the", "a"]),
    }
    .unwrap();
    let t0 = Instant::now();
    let mut total = 0;
    // PROFILE_STR: count it as a `str` (count_str, no UTF-8 check).
    let as_str =
        std::env::var_os("PROFILE_STR").map(|_| std::str::from_utf8(&text).expect("UTF-8"));
    for _ in 0..iters {
        total += if let Some(s) = as_str {
            shortlong::count_str(s, &o).words
        } else {
            count_with(backend, &text, &o, Errors::Strict)
                .unwrap()
                .words
        };
    }
    let secs = t0.elapsed().as_secs_f64();
    eprintln!(
        "{backend:?}: {:.2} GB/s ({total} words)",
        (text.len() * iters) as f64 / secs / 1e9
    );
}
