//! Code-unit input (a CPython `str`'s storage) against its UTF-8, for
//! profilers: `cargo run --release -p shortlong --example units -- FILE`.

use shortlong::{count, count_units, Errors, Options, UnitWidth};
use std::time::Instant;

fn best_of(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: units FILE");
    let text = std::fs::read_to_string(path).expect("read UTF-8");
    let o = Options::default();
    let utf8 = text.as_bytes();
    let t = best_of(50, || {
        count(std::hint::black_box(utf8), &o, Errors::Strict).unwrap();
    });
    println!("UTF-8 bytes: {:.3} ms", t * 1e3);
    let two: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_ne_bytes()).collect();
    let four: Vec<u8> = text
        .chars()
        .flat_map(|c| (c as u32).to_ne_bytes())
        .collect();
    // Latin-1: the text with every character above U+00FF made U+00E9.
    let one: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(0xE9))
        .collect();
    for (name, units, w) in [
        ("Latin-1", &one, UnitWidth::One),
        ("UCS-2", &two, UnitWidth::Two),
        ("UCS-4", &four, UnitWidth::Four),
    ] {
        let t = best_of(50, || {
            count_units(std::hint::black_box(units), w, &o).unwrap();
        });
        println!(
            "{name} units ({} chars): {:.3} ms",
            text.chars().count(),
            t * 1e3
        );
    }
}
