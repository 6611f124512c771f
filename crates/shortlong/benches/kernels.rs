//! GB/s per backend and per corpus: `cargo bench -p shortlong --bench kernels`.
//!
//! Corpora: the article's English sample (from ../shared/data, when present),
//! generated Cyrillic and CJK prose, and pure ASCII. The scalar oracle and
//! the article's naive approach (split, collect, filter) are the baselines;
//! `count_str` is the best backend on a `str` (no UTF-8 check).
//! The English sample is also counted with the 150 stop words of
//! `bench/stopwords.txt` (the large-list path), per backend.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use shortlong::{count_with, Backend, Errors, Options};

fn corpora() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/formalSentences.txt"
    );
    if let Ok(b) = std::fs::read(path) {
        out.push(("english", b));
    }
    let cyr = "Википедия е свободна енциклопедия, която всеки може да редактира. ";
    out.push(("cyrillic", cyr.repeat(1 << 20 >> 7).into_bytes()));
    let cjk = "维基百科是一个自由内容的百科全书 、任何人都可以编辑 。 日本語のウィキペディア\u{3000}です ";
    out.push(("cjk", cjk.repeat(1 << 20 >> 7).into_bytes()));
    out
}

/// The article's approach, with Python's whitespace: split, collect, filter.
fn naive(text: &str) -> (usize, usize) {
    let words: Vec<&str> = text
        .split(|c: char| shortlong::whitespace::is_space(c as u32))
        .filter(|w| !w.is_empty() && *w != "the" && *w != "a")
        .collect();
    (
        words.iter().filter(|w| w.chars().count() > 8).count(),
        words.len(),
    )
}

fn bench(c: &mut Criterion) {
    let o = Options::default();
    for (name, text) in corpora() {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(text.len() as u64));
        for b in Backend::available() {
            g.bench_function(b.name(), |bn| {
                bn.iter(|| count_with(b, black_box(&text), &o, Errors::Strict).unwrap())
            });
        }
        g.bench_function("scalar-oracle", |bn| {
            bn.iter(|| shortlong::scalar::count(black_box(&text), &o, Errors::Strict).unwrap())
        });
        let s = std::str::from_utf8(&text).unwrap();
        // A `str` is valid by its type: the best backend without its check.
        g.bench_function("count_str", |bn| {
            bn.iter(|| shortlong::count_str(black_box(s), &o))
        });
        g.bench_function("naive-split-collect", |bn| bn.iter(|| naive(black_box(s))));
        g.finish();
        if name == "english" {
            stop_words(c, &text);
        }
    }
}

/// The English sample with the stop-word list, per backend.
fn stop_words(c: &mut Criterion, text: &[u8]) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/stopwords.txt");
    let Ok(list) = std::fs::read_to_string(path) else {
        return;
    };
    let o = Options::new(8, list.split_whitespace()).expect("the stop words are valid");
    let mut g = c.benchmark_group("english-stopwords");
    g.throughput(Throughput::Bytes(text.len() as u64));
    for b in Backend::available() {
        g.bench_function(b.name(), |bn| {
            bn.iter(|| count_with(b, black_box(text), &o, Errors::Strict).unwrap())
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
