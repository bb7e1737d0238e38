//! Hand-built run records for tests (also used by the reports crate's tests via `#[path]`).
// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]
use prefbench_results::{Cell, RankingMetrics, RunRecord, Timings, SCHEMA_VERSION};

/// Ranking metrics whose HR@5 and NDCG@5 derive from HR@1, so tables can be checked by hand.
/// Only exact operations (scaling by powers of two) are used, so that values survive a JSON
/// round trip bit for bit even without serde_json's `float_roundtrip` feature.
pub fn metrics(hr_at_1: f64) -> RankingMetrics {
    RankingMetrics {
        hr_at_1,
        hr_at_5: (hr_at_1 * 2.0).min(1.0),
        ndcg_at_5: hr_at_1 / 2.0,
        samples: 100,
    }
}

/// A record of one run; its id is derived from the cell and seed.
pub fn record(dataset: &str, method: &str, k: usize, seed: u64, hr_at_1: f64) -> RunRecord {
    RunRecord {
        schema: SCHEMA_VERSION,
        id: format!("{dataset}-{method}-k{k}-s{seed}"),
        cell: Cell {
            dataset: dataset.into(),
            method: method.into(),
            k,
        },
        seed,
        spec: serde_json::json!({ "lr": 1e-4 }),
        sft_test: metrics(0.25 + seed as f64 / 64.0),
        valid: metrics(hr_at_1),
        test: metrics(hr_at_1),
        final_train_loss: 0.5 / k as f64,
        epochs: Vec::new(),
        curve: Vec::new(),
        timings: Timings {
            sft_s: 1.0,
            reference_cache_s: 0.5,
            sft_cached: seed > 0,
            po_s: 10.0 * k as f64 + seed as f64,
            po_step_median_ms: 2.0 * k as f64,
            selection_share: 0.0,
            eval_s: 0.25,
            peak_rss_mib: 512.0,
        },
        device: "cpu".into(),
        threads: 2,
        prefbench_version: "0.1.0".into(),
        environment: serde_json::json!({ "cores": 2 }),
    }
}

/// A fresh, empty directory for one test, under cargo's per-target scratch space so reruns
/// replace it and nothing is left in the system temp directory.
pub fn scratch(test: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating scratch directory");
    dir
}
