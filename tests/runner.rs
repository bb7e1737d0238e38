//! End-to-end tests of the runner through the binary: interruption and resume, the output
//! lock, shards and merging, parallel jobs, config errors and the dry run. Tiny synthetic
//! configs with one thread, offline, in temporary directories.
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use prefbench_results::store::read_records;
use prefbench_results::PoWindow;

use crate::support::{command, prefbench, refused_config, text};

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

/// A `prefbench run slow.yaml` whose stderr lines arrive on a channel, so that a test acts on
/// what the process reported rather than after a delay: a run's summary line comes after its
/// record is appended and synced.
struct Watched {
    child: Child,
    lines: Receiver<String>,
}

impl Watched {
    fn start(cwd: &Path, out: &str) -> Self {
        let mut child = command(&["run", "slow.yaml", "--out", out], cwd)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let (tx, lines) = mpsc::channel();
        // Reads to the end even when nobody listens, so the child never meets a closed pipe.
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Self { child, lines }
    }

    /// Waits until the process has reported `runs` more finished runs. The timeout only keeps
    /// a hung process from hanging the test; nothing depends on how fast it is.
    fn wait_for_runs(&self, runs: usize) {
        let mut done = 0;
        while done < runs {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(300))
                .expect("a run finishes");
            done += usize::from(line.contains(" K=") && line.contains("test HR@1"));
        }
    }

    fn signal(&self, sig: i32) {
        // SAFETY: kill has no memory effects.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }

    /// The exit status and the rest of stderr.
    fn wait(mut self) -> (ExitStatus, Vec<String>) {
        let status = self.child.wait().unwrap();
        (status, self.lines.iter().collect())
    }
}

#[test]
fn interrupted_matrices_resume_with_each_run_once_and_one_process_per_directory() {
    let tmp = setup();
    let dir = tmp.path();
    let store = dir.join("out/results.jsonl");
    // Longer PO runs (about a second), so a signal lands inside a run or between two.
    let slow = MATRIX.replace("po: {epochs: 1,", "po: {epochs: 100,");
    std::fs::write(dir.join("slow.yaml"), slow).unwrap();

    // Ctrl-C once three runs are stored.
    let first = Watched::start(dir, "out");
    first.wait_for_runs(3);
    let second = prefbench(&["run", "slow.yaml", "--out", "out"], dir);
    assert!(!second.status.success());
    let err = text(&second);
    assert!(
        err.contains("in use by another `prefbench run`") && err.contains("out"),
        "{err}"
    );
    first.signal(libc::SIGINT);
    let (status, stderr) = first.wait();
    assert_eq!(status.code(), Some(130), "interrupted exit status");
    let said: Vec<&String> = stderr
        .iter()
        .filter(|l| l.starts_with("interrupted"))
        .collect();
    assert_eq!(said.len(), 1, "one message: {stderr:?}");
    assert!(
        said[0].contains("out/results.jsonl") && said[0].contains("rerun the same command"),
        "{said:?}"
    );
    let after_sigint = ids(&store).len();
    assert!((3..RUNS).contains(&after_sigint), "{after_sigint}");

    // SIGKILL once two more runs are stored: at most the run in flight is lost.
    let killed = Watched::start(dir, "out");
    killed.wait_for_runs(2);
    killed.signal(libc::SIGKILL);
    killed.wait();
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

    // Each record says when, in which process and on which machine its PO trained, and the
    // report counts the runs that shared the machine: none when one process ran them all.
    let windows = |out: &str| -> Vec<PoWindow> {
        read_records(dir.join(out).join("results.jsonl"))
            .unwrap()
            .into_iter()
            .map(|r| r.timings.po_window.expect("schema 4 keeps the PO window"))
            .collect()
    };
    let processes = |w: &[PoWindow]| w.iter().map(|w| w.process).collect::<BTreeSet<_>>();
    let (alone, jobs) = (windows("full"), windows("jobs"));
    assert_eq!(processes(&alone).len(), 1);
    assert_eq!(processes(&jobs).len(), 2, "one process a job");
    let machines: BTreeSet<_> = alone.iter().chain(&jobs).map(|w| &w.machine).collect();
    assert_eq!(machines.len(), 1, "{machines:?}");
    assert!(machines.iter().all(|m| m.is_some()), "Linux has a boot id");
    let report = std::fs::read_to_string(dir.join("full/report.md")).unwrap();
    assert!(
        report.contains(&format!(
            "{RUNS} run(s) had the machine to themselves among the runs read here and 0 shared"
        )),
        "{report}"
    );
    // Two jobs: whether their windows overlapped depends on timing, so the count is checked
    // against the windows themselves.
    let shared = jobs
        .iter()
        .filter(|w| jobs.iter().any(|o| w.competes_with(o)))
        .count();
    let report = std::fs::read_to_string(dir.join("jobs/report.md")).unwrap();
    assert!(
        report.contains(&format!(
            "{} run(s) had the machine to themselves among the runs read here and {shared} shared",
            RUNS - shared
        )),
        "{report}"
    );
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
    for case in cases {
        let (_, err) = refused_config(tmp.path(), MATRIX, case, &["--out", "out"]);
        assert!(err.contains("bad.yaml"), "{}: {err}", case.0);
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
        "stacks",
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
        "stacks (po.ensemble auto): on the CPU every run trains alone; on CUDA the runs of \
         each of the 2 (dataset, policy) families",
    ] {
        assert!(plan.contains(expected), "{expected}: {plan}");
    }
    let o = prefbench(
        &["run", "--preset", "nightly", "--dry-run", "--shard", "2/2"],
        tmp.path(),
    );
    assert!(text(&o).contains("shard 2/2: 1 of the 2"), "{}", text(&o));
    assert!(
        text(&o).contains("stacks: none (po.ensemble off): every run trains alone"),
        "{}",
        text(&o)
    );

    // A source that is not there is refused by name, not estimated from nothing.
    let o = prefbench(
        &[
            "run",
            "--preset",
            "nightly",
            "--dry-run",
            "--estimate-from",
            "no-such-dir",
        ],
        tmp.path(),
    );
    assert!(!o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("--estimate-from no-such-dir: there is no results file"),
        "{}",
        text(&o)
    );
}
