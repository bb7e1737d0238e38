//! Embedding a LastFM-sized catalogue (4,606 titles: the golden titles of
//! baselines/tests/fixtures/minilm-titles.json, cycled) with the Rust all-MiniLM-L6-v2 on CPU, the cost
//! of a title-embedding cache miss (issue 6; the sentence-transformers reference takes about 21 s
//! on a 2-core machine). Loading the encoder is measured separately.
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use prefbench_baselines::text::{ModelFiles, SentenceEncoder};
use tch::Device;

const TITLES: usize = 4606;

fn titles() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minilm-titles.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let golden: serde_json::Value = serde_json::from_str(&text).expect("golden JSON");
    let cases = golden["cases"].as_array().expect("cases");
    (0..TITLES)
        .map(|i| {
            cases[i % cases.len()]["text"]
                .as_str()
                .expect("text")
                .to_string()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let titles = titles();
    let texts: Vec<&str> = titles.iter().map(String::as_str).collect();
    let files = ModelFiles::locate().unwrap_or_else(|e| panic!("{e}"));
    let mut group = c.benchmark_group("minilm-cpu");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(20));
    group.bench_function("load+verify", |b| {
        b.iter(|| SentenceEncoder::load(&ModelFiles::locate().unwrap(), Device::Cpu).unwrap())
    });
    let encoder = SentenceEncoder::load(&files, Device::Cpu).unwrap();
    group.bench_function("embed-4606-titles", |b| {
        b.iter(|| encoder.embed(&texts).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
