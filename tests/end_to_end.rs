//! End-to-end tests of the `prefbench` binary on tiny configs, offline, in temporary directories.
use std::path::Path;
use std::process::Output;

use prefbench_vocabulary::ItemText;

use crate::support::{command_cached, prefbench, text};

fn prefbench_cached(args: &[&str], cwd: &Path, cache: &str) -> Output {
    command_cached(args, cwd, cache)
        .output()
        .expect("prefbench runs")
}

/// A few hundred synthetic samples, one seed, one K, one thread: seconds, and repeatable. The
/// runner's own stop test (`execute::local`) trains the same config.
const TINY: &str = include_str!("support/tiny.yaml");

fn run_tiny(dir: &Path, out: &str) -> Vec<serde_json::Value> {
    run_config(dir, TINY, out, "cache")
}

/// Runs `config` into `dir/out` with the SFT cache `dir/cache`; returns the records.
fn run_config(dir: &Path, config: &str, out: &str, cache: &str) -> Vec<serde_json::Value> {
    std::fs::write(dir.join("tiny.yaml"), config).unwrap();
    let o = prefbench_cached(&["run", "tiny.yaml", "--out", out], dir, cache);
    assert!(o.status.success(), "{}", text(&o));
    let report = Path::new(out).join("report.md");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        report.display().to_string(),
        "prints the report path"
    );
    std::fs::read_to_string(dir.join(out).join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_tiny_run_writes_records_report_and_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let records = run_tiny(tmp.path(), "out");
    assert_eq!(records.len(), 2);
    for r in &records {
        for hr in [
            &r["test"],
            &r["valid"],
            &r["sft"]["test"],
            &r["sft"]["valid"],
        ] {
            let hr = hr["hr_at_1"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&hr), "HR@1 {hr} in {r}");
        }
        let epochs = r["epochs"].as_array().unwrap();
        let selected = r["selected_epoch"].as_u64().unwrap() as usize;
        assert!((1..=epochs.len()).contains(&selected));
        assert_eq!(
            r["test"],
            epochs[selected - 1]["test"],
            "the selected epoch's metrics"
        );
        let best = epochs
            .iter()
            .map(|e| e["valid"]["hr_at_1"].as_f64().unwrap())
            .fold(f64::MIN, f64::max);
        assert_eq!(r["valid"]["hr_at_1"].as_f64().unwrap(), best);
        assert!(r["final_train_loss"].as_f64().unwrap().is_finite());
        assert!(!r["curve"].as_array().unwrap().is_empty());
    }
    let out = tmp.path().join("out");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("dynamicpo-dmpo") && report.contains("±"),
        "{report}"
    );
    for f in ["config.yaml", "env.json", "datasets/synthetic/card.json"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let figures: Vec<String> = std::fs::read_dir(out.join("figures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(figures.iter().any(|f| f.ends_with(".svg")), "{figures:?}");
    let png = figures.iter().find(|f| f.ends_with(".png")).expect("a PNG");
    let bytes = std::fs::read(out.join("figures").join(png)).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");

    // A rerun finds every run in the store and trains nothing.
    let again = run_tiny(tmp.path(), "out");
    assert_eq!(again, records);
}

#[test]
fn the_same_config_and_seed_give_identical_metrics_on_cpu() {
    let tmp = tempfile::tempdir().unwrap();
    let strip = |mut records: Vec<serde_json::Value>| {
        for r in &mut records {
            r.as_object_mut().unwrap().remove("timings");
        }
        records
    };
    // Separate SFT caches, so the reference is trained twice as well.
    let a = strip(run_config(tmp.path(), TINY, "a", "cache-a"));
    let b = strip(run_config(tmp.path(), TINY, "b", "cache-b"));
    assert_eq!(a, b);
}

#[test]
fn the_sft_reference_is_cached_and_retrained_when_the_model_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let cached = |records: &[serde_json::Value]| {
        records
            .iter()
            .map(|r| r["timings"]["sft_cached"].as_bool().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(cached(&run_tiny(tmp.path(), "first")), [false, false]);
    let second = run_tiny(tmp.path(), "second");
    assert_eq!(cached(&second), [true, true]);
    let wider = TINY.replace("width: 16", "width: 24");
    assert_eq!(
        cached(&run_config(tmp.path(), &wider, "wider", "cache")),
        [false, false]
    );
    let first: Vec<_> = std::fs::read_to_string(tmp.path().join("first/results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["test"].clone())
        .collect();
    let again: Vec<_> = second.iter().map(|r| r["test"].clone()).collect();
    assert_eq!(first, again, "a cached reference gives the same PO results");
}

#[test]
fn an_item_text_axis_trains_each_policy_on_its_own_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let both = TINY.replace("seeds: [7]\n", "seeds: [7]\nitem_text: [none, minilm]\n");
    let records = run_config(tmp.path(), &both, "both", "cache");
    let regime = |r: &serde_json::Value| {
        let record: prefbench_results::RunRecord = serde_json::from_value(r.clone()).unwrap();
        record.policy().unwrap().item_text
    };
    let regimes: Vec<ItemText> = records.iter().map(regime).collect();
    assert_eq!(
        regimes,
        [
            ItemText::None,
            ItemText::None,
            ItemText::Minilm,
            ItemText::Minilm
        ]
    );
    let mut ids: Vec<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4, "distinct ids");
    let references = std::fs::read_dir(tmp.path().join("cache/sft"))
        .unwrap()
        .count();
    assert_eq!(references, 2, "one SFT reference per policy");

    // The config without the axis is the `none` half: same ids, and its reference is cached.
    let plain = run_tiny(tmp.path(), "plain");
    let none: Vec<_> = records
        .iter()
        .filter(|r| regime(r) == ItemText::None)
        .collect();
    assert_eq!(
        plain.iter().map(|r| &r["id"]).collect::<Vec<_>>(),
        none.iter().map(|r| &r["id"]).collect::<Vec<_>>()
    );
    assert!(plain.iter().all(|r| r["timings"]["sft_cached"] == true));

    let report = std::fs::read_to_string(tmp.path().join("both/report.md")).unwrap();
    for heading in [
        "## Dataset `synthetic` (item ids only)",
        "## Dataset `synthetic` (item ids + MiniLM titles)",
        "## Regimes",
    ] {
        assert!(report.contains(heading), "{heading} in {report}");
    }
}

#[test]
fn bad_input_gets_one_clear_line() {
    let tmp = tempfile::tempdir().unwrap();
    let o = prefbench(&["run", "--preset", "nope"], tmp.path());
    assert!(!o.status.success());
    let err = text(&o);
    assert!(err.contains("`nope`") && err.contains("demo"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let o = prefbench(&["run", "missing.yaml"], tmp.path());
    assert!(!o.status.success());
    assert!(text(&o).contains("missing.yaml") && text(&o).contains("demo"));

    std::fs::write(tmp.path().join("tiny.yaml"), TINY).unwrap();
    std::fs::write(tmp.path().join("file"), "").unwrap();
    let o = prefbench(&["run", "tiny.yaml", "--out", "file/out"], tmp.path());
    assert!(!o.status.success());
    let err = text(&o);
    assert!(
        err.contains("file/out: file is a file, not a directory") && !err.contains("writable"),
        "{err}"
    );
    assert!(!err.contains("SFT"), "refused before training: {err}");
}

#[test]
fn help_lists_the_planned_subcommands_and_env_reports_versions() {
    let tmp = tempfile::tempdir().unwrap();
    let help = text(&prefbench(&["--help"], tmp.path()));
    for sub in ["run", "report", "compare", "data", "results", "loss", "env"] {
        assert!(help.contains(sub), "{sub} in {help}");
    }
    let env = prefbench(&["env"], tmp.path());
    assert!(env.status.success());
    let env = text(&env);
    assert!(
        env.contains("tch") && env.contains("libtorch") && env.contains("cuda"),
        "{env}"
    );
}
