//! The test kit: hand-built and stored run records and scratch directories, shared by the
//! tests of every crate that reads records (a dev-dependency only), so that no test crate
//! keeps its own copy.
use prefbench_results::{
    Cell, Environment, EpochPoint, PoWindow, RankingMetrics, RunRecord, SftMetrics, Timings,
    SCHEMA_VERSION,
};

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

/// The canonical spec of a run as the harness writes it (a transformer over item ids).
pub fn spec(dataset: &str, method: &str, k: usize, seed: u64) -> serde_json::Value {
    serde_json::json!({
        "dataset": dataset,
        "dataset_hash": "abc",
        "method": method,
        "k": k,
        "seed": seed,
        "model": { "architecture": "transformer", "width": 16, "blocks": 1, "heads": 2,
                   "dropout": 0.1, "item_text": "none" },
        "sft": { "epochs": 3, "lr": 1e-3 },
        "po": { "epochs": 1, "lr": 1e-4 },
        "objective": { "beta": 1.0, "margin": 6.0, "tanh_scale": 0.5 },
        "prefbench": "0.1.0",
    })
}

/// A record of one run with one PO epoch (so the selected epoch is the last); its id is
/// derived from the cell and seed. The SFT reference scores 0.25 + seed/64 on both splits.
pub fn record(dataset: &str, method: &str, k: usize, seed: u64, hr_at_1: f64) -> RunRecord {
    let sft = metrics(0.25 + seed as f64 / 64.0);
    RunRecord {
        schema: SCHEMA_VERSION,
        id: format!("{dataset}-{method}-k{k}-s{seed}"),
        cell: Cell {
            dataset: dataset.into(),
            method: method.parse().expect("a known method"),
            k,
        },
        seed,
        spec: spec(dataset, method, k, seed),
        sft: SftMetrics {
            valid: sft,
            test: sft,
            kept_epoch: 3,
            valid_hr_at_1: vec![0.125, 0.25, sft.hr_at_1],
            train_loss: vec![2.0, 1.5, 1.25],
        },
        selected_epoch: 1,
        valid: metrics(hr_at_1),
        test: metrics(hr_at_1),
        final_train_loss: 0.5 / k as f64,
        epochs: vec![EpochPoint {
            epoch: 1,
            train_loss: 0.5 / k as f64,
            valid: metrics(hr_at_1),
            test: metrics(hr_at_1),
        }],
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
            data_s: Some(2.0),
            reference_load_s: (seed > 0).then_some(0.125),
            po_steps_s: Some(9.0 * k as f64 + seed as f64),
            eval_valid_s: Some(0.125),
            eval_test_s: Some(0.125),
            cuda_peak_mib: None,
            stack_members: None,
            // One process, one run after another: no run shared the machine.
            po_window: Some(PoWindow {
                machine: Some("0b8e6a4c-testkit".into()),
                process: 4242,
                started_unix_s: 1_765_000_000.0,
                finished_unix_s: 1_765_000_000.0 + 10.25 * k as f64 + seed as f64,
            }),
        },
        device: "cpu".into(),
        threads: 2,
        prefbench_version: "0.1.0".into(),
        environment: environment(),
        ranks: None,
    }
}

/// The environment of a two-core CPU machine, as the harness captures it.
fn environment() -> Environment {
    Environment {
        prefbench: "0.1.0".into(),
        git_commit: Some("964c1c683e47".into()),
        tch: "0.24.0".into(),
        libtorch: Some("2.11.0".into()),
        libtorch_loaded: None,
        os: "linux".into(),
        arch: "x86_64".into(),
        cpu_model: Some("AMD EPYC".into()),
        cores: 2,
        torch_threads: 2,
        cuda_available: false,
        cuda_device_names: Vec::new(),
        cudnn_available: false,
    }
}

/// `record` with a second PO epoch after the first whose validation HR@1 is lower, so model
/// selection keeps epoch 1 and the last epoch's test HR@1 is `last_hr_at_1`.
pub fn with_worse_last_epoch(mut record: RunRecord, last_hr_at_1: f64) -> RunRecord {
    let first = record.epochs[0];
    record.epochs.push(EpochPoint {
        epoch: 2,
        train_loss: first.train_loss / 2.0,
        valid: metrics(first.valid.hr_at_1 / 2.0),
        test: metrics(last_hr_at_1),
    });
    record.final_train_loss = first.train_loss / 2.0;
    record
}

/// A record exactly as `prefbench run` wrote it (prefbench 0.1.0, schema 2): the first record
/// of the reports' frozen fixture, id `30418ce1…`.
pub const STORED_RECORD: &str = include_str!("../fixtures/record.json");

/// [`STORED_RECORD`] moved to (`method`, `k`, `seed`), with its id recomputed from its spec: a
/// record every reader accepts.
pub fn stored(method: &str, k: usize, seed: u64) -> RunRecord {
    let mut record: RunRecord =
        serde_json::from_str(STORED_RECORD).expect("the fixture is a record");
    record.cell.method = method.parse().expect("a known method");
    record.cell.k = k;
    record.seed = seed;
    record.spec["method"] = method.into();
    record.spec["k"] = k.into();
    record.spec["seed"] = seed.into();
    record.id = prefbench_results::setting::canonical_hash(&record.spec);
    record
}

/// A fresh, empty directory named `test` under `base`, replacing any earlier one; through
/// [`scratch!`], `base` is cargo's per-target scratch space of the calling test crate, so reruns
/// replace it and nothing is left in the system temp directory.
pub fn scratch_in(base: &str, test: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(base).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating scratch directory");
    dir
}

/// `scratch!("name")`: a fresh directory for one test under the calling crate's
/// `CARGO_TARGET_TMPDIR` (set only while integration tests compile, hence a macro).
#[macro_export]
macro_rules! scratch {
    ($test:expr) => {
        $crate::scratch_in(env!("CARGO_TARGET_TMPDIR"), $test)
    };
}
