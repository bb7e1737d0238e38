//! The Slurm recipe of the README (scripts/slurm/) on a real scheduler: a synthetic matrix of
//! 4 shards submitted as a job array, merged by the job that depends on it, against a local
//! `prefbench run` of the same config; then the faults a cluster brings. Needs a running
//! cluster and `SLURM_CONF` naming it (`scripts/slurm-local.sh up`, as root), so it is ignored
//! by `cargo test` and run by `make test-slurm`, which .ci/run calls between bringing the
//! cluster up and down.
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{command_cached, text};

const MATRIX: &str = include_str!("support/slurm.yaml");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A Slurm client command (or a script that calls them) in `cwd`, its stdout, failing the
/// test with its output when it fails. The jobs it submits inherit its environment (sbatch
/// `--export=ALL`): this build's binary, and a cache of their own in `cwd`.
fn slurm(program: &str, args: &[&str], cwd: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env("PREFBENCH", env!("CARGO_BIN_EXE_prefbench"))
        .env("PREFBENCH_CACHE", cwd.join("cache-slurm"))
        .env_remove("RUST_LOG")
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (is Slurm installed and SLURM_CONF set?)"));
    assert!(out.status.success(), "{program} {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The `Key=Value` fields of `scontrol show job ID` (one job, or the task `ARRAY_TASK`).
fn job(id: &str) -> Vec<(String, String)> {
    slurm("scontrol", &["show", "job", "-o", id], Path::new("."))
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn field(job: &[(String, String)], key: &str) -> String {
    job.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// Polls `done` every 0.3 s for at most `limit`, failing with `what` when it never holds.
fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < limit,
            "gave up waiting {limit:?} for {what}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Waits until job (or task) `id` has ended, and returns its final state.
fn ended(id: &str, limit: Duration) -> String {
    let mut state = String::new();
    wait_for(&format!("job {id} to end"), limit, || {
        state = field(&job(id), "JobState");
        !matches!(
            state.as_str(),
            "PENDING" | "RUNNING" | "CONFIGURING" | "COMPLETING" | "REQUEUED"
        )
    });
    state
}

/// Puts an ended task back in the queue to run now (a requeued job otherwise waits its
/// BeginTime, about two minutes), with `changes` (`TimeLimit=5`): an ended job cannot be
/// updated, a requeued one can.
fn requeue(id: &str, changes: &[&str]) {
    slurm("scontrol", &["requeue", id], Path::new("."));
    // slurmd revokes the ended job's credential with a one-second granularity: a launch in the
    // same second as the requeue is refused ("Job credential revoked", exit 1; seen once in a
    // fresh-clone CI). Start it from the second after next.
    std::thread::sleep(Duration::from_secs(2));
    let job = format!("jobid={id}");
    let mut update = vec!["update", &job, "StartTime=now"];
    update.extend(changes);
    slurm("scontrol", &update, Path::new("."));
}

/// The records of a store, parsed, checking that every line is whole.
fn records(store: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(store).unwrap_or_default();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "{}: partial line",
        store.display()
    );
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a whole record"))
        .collect()
}

fn id(record: &Value) -> &str {
    record["id"].as_str().expect("an id")
}

/// The pid holding the output directory `dir` (its lock file reads "pid N (prefbench run)").
fn holder(dir: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(dir.join(".prefbench.lock")).ok()?;
    text.strip_prefix("pid ")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `submit.sh MATRIX OUT -- --cpus-per-task=1` in `dir`: (array job id, merge job id).
fn submit(dir: &Path, matrix: &str, out: &str) -> (String, String) {
    let ids = slurm(
        repo().join("scripts/slurm/submit.sh").to_str().unwrap(),
        &[matrix, out, "--", "--cpus-per-task=1"],
        dir,
    );
    let (array, merge) = ids.split_once(' ').expect("two job ids");
    (array.to_string(), merge.to_string())
}

/// A local `prefbench run` of `matrix` into `dir/local`, with a cache of its own so that it
/// trains every SFT reference itself.
fn local_run(dir: &Path, matrix: &str) -> Child {
    command_cached(&["run", matrix, "--out", "local"], dir, "cache-local")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("prefbench runs")
}

#[test]
#[ignore = "needs a Slurm cluster (SLURM_CONF): `scripts/slurm-local.sh up` as root, then `make test-slurm`; .ci/run does both"]
fn the_array_recipe_matches_a_local_run_and_survives_cancel_time_limit_and_failure() {
    assert!(
        std::env::var_os("SLURM_CONF").is_some(),
        "SLURM_CONF is not set: start a cluster with `scripts/slurm-local.sh up` and export \
         the SLURM_CONF it prints"
    );
    // Under target/, which the cluster's jobs (root, this machine) can read and write.
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("matrix.yaml"), MATRIX).unwrap();
    // Seed 1 alone: one group, so one shard, and the records of shard (seed) 1 of the matrix.
    std::fs::write(
        dir.join("one.yaml"),
        MATRIX.replace("seeds: [1, 2, 3, 4]", "seeds: [1]"),
    )
    .unwrap();
    // The time limit first: the longest wait (Slurm counts limits in minutes and checks them
    // every 30 s). Once its shard has stored a record, the task is stopped (SIGSTOP) as a
    // slow run would be, holding its core but using none, until Slurm ends it. A cache of its
    // own: a stopped process must hold nothing the array's task for seed 1 waits on.
    let own_cache = format!(
        "--export=ALL,PREFBENCH_CACHE={}",
        dir.join("cache-limited").display()
    );
    let limited = slurm(
        "sbatch",
        &[
            "--parsable",
            &own_cache,
            "--array=1",
            "--time=1",
            "--cpus-per-task=1",
            repo().join("scripts/slurm/paper.sbatch").to_str().unwrap(),
            "one.yaml",
            "limited",
        ],
        dir,
    );
    let limited_task = format!("{limited}_1");
    let limited_store = dir.join("limited/shards/1/results.jsonl");
    wait_for(
        "the first record of the time-limited task",
        Duration::from_secs(60),
        || !records(&limited_store).is_empty(),
    );
    let pid = holder(&limited_store.with_file_name("")).expect("the task holds its directory");
    // SAFETY: kill(2) on a pid, no memory involved.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
    assert_eq!(
        records(&limited_store).len(),
        1,
        "the task was stopped with one run stored and one in flight"
    );

    let mut local = local_run(dir, "matrix.yaml");

    // The array; task 2 is cancelled mid-run, which fails the merge's afterok.
    let (array, merge) = submit(dir, "matrix.yaml", "out");
    let task2 = dir.join("out/shards/2/results.jsonl");
    wait_for(
        "the first record of task 2",
        Duration::from_secs(60),
        || !records(&task2).is_empty(),
    );
    slurm("scancel", &[&format!("{array}_2")], dir);
    assert_eq!(
        ended(&format!("{array}_2"), Duration::from_secs(60)),
        "CANCELLED"
    );
    let kept = records(&task2);
    assert_eq!(
        kept.len(),
        1,
        "cancelled mid-run: one run stored, the one in flight dropped"
    );
    for task in [1, 3, 4] {
        assert_eq!(
            ended(&format!("{array}_{task}"), Duration::from_secs(90)),
            "COMPLETED"
        );
    }
    assert_eq!(
        ended(&merge, Duration::from_secs(30)),
        "CANCELLED",
        "the merge depends on every task succeeding (afterok) and is dropped when one fails"
    );
    assert!(
        !dir.join("out/results.jsonl").exists(),
        "the merge never ran"
    );

    // Resubmitted, task 2 resumes: its stored run is kept, the other trained, none twice.
    requeue(&format!("{array}_2"), &[]);
    assert_eq!(
        ended(&format!("{array}_2"), Duration::from_secs(60)),
        "COMPLETED"
    );
    let resumed = records(&task2);
    assert_eq!(resumed.len(), 2, "{resumed:?}");
    assert_eq!(resumed[0], kept[0], "the stored record is kept as it was");
    assert_ne!(id(&resumed[0]), id(&resumed[1]));

    // The same command again completes the matrix: every shard is done, so the tasks train
    // nothing, and the merge runs.
    let lines_before: Vec<usize> = (1..=4)
        .map(|t| records(&dir.join(format!("out/shards/{t}/results.jsonl"))).len())
        .collect();
    let (again, merge) = submit(dir, "matrix.yaml", "out");
    assert_eq!(ended(&merge, Duration::from_secs(90)), "COMPLETED");
    for task in 1..=4 {
        assert_eq!(
            field(&job(&format!("{again}_{task}")), "JobState"),
            "COMPLETED"
        );
        let n = records(&dir.join(format!("out/shards/{task}/results.jsonl"))).len();
        assert_eq!(
            n,
            lines_before[task - 1],
            "task {task} trained nothing again"
        );
    }
    let merge_log = std::fs::read_to_string(dir.join(format!("slurm-{merge}.out"))).unwrap();
    assert!(!merge_log.contains("warning"), "{merge_log}");
    let report = std::fs::read_to_string(dir.join("out/report.md")).unwrap();
    assert!(
        report.contains("pipeline check"),
        "the merged report knows the data is synthetic (the cards came along)"
    );

    let status = local.wait().unwrap();
    assert!(status.success(), "local run: {status}");
    compare_with_local(dir);

    // The time-limited task: ended by Slurm's SIGTERM at its limit (SIGCONT first, so the
    // stopped process sees it), cleanly: status 130, its stored record whole, its lock free.
    assert_eq!(ended(&limited_task, Duration::from_secs(120)), "TIMEOUT");
    let log = std::fs::read_to_string(dir.join(format!("slurm-{limited}_1.out"))).unwrap();
    assert!(log.contains("DUE TO TIME LIMIT"), "{log}");
    assert!(!log.contains("panicked"), "{log}");
    assert_eq!(field(&job(&limited_task), "ExitCode"), "130:0", "{log}");
    assert_eq!(records(&limited_store).len(), 1);
    // Requeued with room enough, it resumes: the records of seed 1 of the local run.
    requeue(&limited_task, &["TimeLimit=5"]);
    assert_eq!(ended(&limited_task, Duration::from_secs(60)), "COMPLETED");
    let finished = records(&limited_store);
    let local_seed1: Vec<Value> = records(&dir.join("local/results.jsonl"))
        .into_iter()
        .filter(|r| r["seed"] == 1)
        .collect();
    assert_eq!(without_timings(&finished), without_timings(&local_seed1));
}

/// `records` sorted by id, without what differs between two runs of one spec (timings and
/// the environment).
fn without_timings(records: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = records
        .iter()
        .map(|r| {
            let mut r = r.clone();
            let object = r.as_object_mut().unwrap();
            object.remove("timings");
            object.remove("environment");
            r
        })
        .collect();
    out.sort_by(|a, b| id(a).cmp(id(b)));
    out
}

/// The merged store holds the local run's records, record for record (ids and metrics: all
/// but timings and environment), once each; and the merged directory reports what the local
/// one does: both rebuilt with the local timings and no environment give the same report.
fn compare_with_local(dir: &Path) {
    let merged = records(&dir.join("out/results.jsonl"));
    let local = records(&dir.join("local/results.jsonl"));
    assert_eq!(local.len(), 8);
    assert_eq!(without_timings(&merged), without_timings(&local));
    let timings: std::collections::BTreeMap<&str, &Value> =
        local.iter().map(|r| (id(r), r)).collect();
    let mut reports = Vec::new();
    for (name, source, records) in [("a", "out", &merged), ("b", "local", &local)] {
        let target = dir.join(name);
        std::fs::create_dir(&target).unwrap();
        let mut store = String::new();
        for record in records.iter() {
            let mut r = record.clone();
            for key in ["timings", "environment"] {
                r[key] = timings[id(record)][key].clone();
            }
            store.push_str(&serde_json::to_string(&r).unwrap());
            store.push('\n');
        }
        std::fs::write(target.join("results.jsonl"), store).unwrap();
        let source = dir.join(source);
        std::fs::copy(source.join("config.yaml"), target.join("config.yaml")).unwrap();
        let card = "datasets/synthetic/card.json";
        std::fs::create_dir_all(target.join("datasets/synthetic")).unwrap();
        std::fs::copy(source.join(card), target.join(card)).unwrap();
        let o = command_cached(&["report", name], dir, "cache-local")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        reports.push(["report.md", "report.json"].map(|f| std::fs::read(target.join(f)).unwrap()));
    }
    assert!(
        reports[0] == reports[1],
        "the merged directory reports what the local run does (diff {0}/a {0}/b)",
        dir.display()
    );
}
