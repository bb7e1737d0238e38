//! End-to-end tests of the runner through the binary: interruption and resume, the output
//! lock, shards and merging, parallel jobs, config errors and the dry run. Tiny synthetic
//! configs with one thread, offline, in temporary directories.
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::{command, prefbench, text};

/// 2 methods × K {1, 3} × 3 seeds: 12 runs in 3 (dataset, seed) groups, a fraction of a second
/// each.
const MATRIX: &str = "\
name: matrix
datasets: [synthetic]
methods: [dmpo, dynamicpo-dmpo]
k: [1, 3]
seeds: [1, 2, 3]
synthetic: {items: 120, users: 60, clusters: 4, min_sequence: 6, max_sequence: 10}
model: {width: 16, blocks: 1, heads: 2, dropout: 0.1}
sft: {epochs: 2, batch_size: 64}
po: {epochs: 1, batch_size: 64}
device: cpu
threads: 1
";
const RUNS: usize = 12;

fn setup() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("matrix.yaml"), MATRIX).unwrap();
    tmp
}

fn run_ok(args: &[&str], cwd: &Path) {
    let o = prefbench(args, cwd);
    assert!(o.status.success(), "{args:?}: {}", text(&o));
}

/// The ids of a store, checking that every line is whole and parses.
fn ids(store: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(store).unwrap_or_default();
    assert!(text.is_empty() || text.ends_with('\n'), "no partial line");
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a whole record");
            v["id"].as_str().unwrap().to_string()
        })
        .collect()
}

fn id_set(store: &Path) -> BTreeSet<String> {
    ids(store).into_iter().collect()
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill has no memory effects.
    unsafe { libc::kill(child.id() as i32, sig) };
}

/// Starts `slow.yaml` into `out` and waits until it has stored `records` records.
fn start_and_wait_for(cwd: &Path, out: &str, records: usize) -> Child {
    let child = command(&["run", "slow.yaml", "--out", out], cwd)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let store = cwd.join(out).join("results.jsonl");
    let started = Instant::now();
    while ids(&store).len() < records {
        assert!(started.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[test]
fn interrupted_matrices_resume_with_each_run_once_and_one_process_per_directory() {
    let tmp = setup();
    let dir = tmp.path();
    let store = dir.join("out/results.jsonl");
    // Longer PO runs (about a second), so signals land inside runs as well as between them.
    let slow = MATRIX.replace("po: {epochs: 1,", "po: {epochs: 100,");
    std::fs::write(dir.join("slow.yaml"), slow).unwrap();

    // Ctrl-C a third of the way in, between or inside runs.
    let mut first = start_and_wait_for(dir, "out", 3);
    let second = prefbench(&["run", "slow.yaml", "--out", "out"], dir);
    assert!(!second.status.success());
    let err = text(&second);
    assert!(
        err.contains("in use by another `prefbench run`") && err.contains("out"),
        "{err}"
    );
    std::thread::sleep(Duration::from_millis(150));
    signal(&first, libc::SIGINT);
    let status = first.wait().unwrap();
    assert_eq!(status.code(), Some(130), "interrupted exit status");
    let after_sigint = ids(&store).len();
    assert!((3..RUNS).contains(&after_sigint), "{after_sigint}");

    // SIGKILL a bit later: at most the run in flight is lost.
    let mut killed = start_and_wait_for(dir, "out", after_sigint + 2);
    std::thread::sleep(Duration::from_millis(320));
    signal(&killed, libc::SIGKILL);
    killed.wait().unwrap();
    let after_sigkill = ids(&store).len();
    assert!(after_sigkill >= after_sigint + 2, "{after_sigkill}");

    run_ok(&["run", "slow.yaml", "--out", "out"], dir);
    let all = ids(&store);
    assert_eq!(all.len(), RUNS, "every run once");
    assert_eq!(id_set(&store).len(), RUNS);
}

#[test]
fn shards_and_jobs_cover_the_matrix_and_merge_refuses_conflicts() {
    let tmp = setup();
    let dir = tmp.path();
    run_ok(
        &["run", "matrix.yaml", "--out", "full", "--threads", "1"],
        dir,
    );
    let full = id_set(&dir.join("full/results.jsonl"));
    assert_eq!(full.len(), RUNS);

    let mut shard_sizes = Vec::new();
    for i in 1..=3 {
        let out = format!("shard{i}");
        run_ok(
            &[
                "run",
                "matrix.yaml",
                "--out",
                &out,
                "--shard",
                &format!("{i}/3"),
            ],
            dir,
        );
        shard_sizes.push(ids(&dir.join(out).join("results.jsonl")).len());
    }
    assert_eq!(shard_sizes, [4, 4, 4], "one (dataset, seed) group each");
    let o = prefbench(
        &[
            "results",
            "merge",
            "shard1",
            "shard2",
            "shard3/results.jsonl",
            "-o",
            "merged",
        ],
        dir,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(id_set(&dir.join("merged/results.jsonl")), full);
    assert_eq!(ids(&dir.join("merged/results.jsonl")).len(), RUNS);

    // The same runs trained twice differ (timings): merging them is refused, naming both.
    let o = prefbench(&["results", "merge", "full", "merged", "-o", "both"], dir);
    assert!(!o.status.success());
    let err = text(&o);
    assert!(
        err.contains("full/results.jsonl") && err.contains("merged/results.jsonl"),
        "{err}"
    );

    let o = prefbench(&["run", "matrix.yaml", "--out", "jobs", "--jobs", "2"], dir);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("in 2 job(s)"), "{}", text(&o));
    assert_eq!(id_set(&dir.join("jobs/results.jsonl")), full);
    assert_eq!(ids(&dir.join("jobs/results.jsonl")).len(), RUNS);
}

#[test]
fn bad_configs_name_the_field_and_line() {
    let tmp = setup();
    let cases = [
        (
            "sft: {epochs: 2, batch_size: 64}",
            "sft: {epochs: 2, batchsize: 64}",
            "batchsize",
            8,
        ),
        ("threads: 1", "threads: one", "threads", 11),
        (
            "methods: [dmpo, dynamicpo-dmpo]",
            "methods: []",
            "methods",
            3,
        ),
        ("k: [1, 3]", "k: [1, 20]", "k", 4),
        (
            "datasets: [synthetic]",
            "datasets: [movielens]",
            "datasets",
            2,
        ),
    ];
    for (from, to, field, line) in cases {
        std::fs::write(tmp.path().join("bad.yaml"), MATRIX.replace(from, to)).unwrap();
        let o = prefbench(&["run", "bad.yaml", "--out", "out"], tmp.path());
        assert!(!o.status.success());
        let err = text(&o);
        assert!(
            err.contains("bad.yaml")
                && err.contains(field)
                && err.contains(&format!("line {line}")),
            "{field}: {err}"
        );
    }
}

#[test]
fn the_dry_run_prints_the_matrix_and_estimates_from_records() {
    let tmp = setup();
    let o = prefbench(&["run", "--preset", "paper", "--dry-run"], tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    let plan = text(&o);
    for expected in [
        "735 runs",
        "15 SFT references",
        "dpo is defined only for K = 1",
        "no earlier records",
    ] {
        assert!(plan.contains(expected), "{expected}: {plan}");
    }
    let o = prefbench(
        &["run", "--preset", "lastfm-quick", "--dry-run"],
        tmp.path(),
    );
    let plan = text(&o);
    for expected in [
        "36 runs",
        "× 2 policy(ies)",
        "6 SFT references",
        "policies (architecture/item_text): transformer/none, transformer/minilm",
        "transformer/minilm",
    ] {
        assert!(plan.contains(expected), "{expected}: {plan}");
    }
    let o = prefbench(
        &["run", "--preset", "nightly", "--dry-run", "--shard", "2/2"],
        tmp.path(),
    );
    assert!(text(&o).contains("shard 2/2: 1 of the 2"), "{}", text(&o));
}
