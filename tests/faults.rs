//! Hostile but fair input through the binary: output to a closed pipe, bad configs, bad golden
//! files, a merge into a directory someone owns, a damaged SFT cache, damaged records, colour
//! settings. Each must end in one clear message or the conventional signal, never a panic, and
//! never lose or silently use data. Tiny synthetic configs, one thread, offline, in temporary
//! directories.
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::server::{serve, Reply, HOLD};
use crate::support::{command, prefbench, refused_config, text};

/// 2 methods × K {1, 3} × 1 seed: 4 runs sharing one SFT reference.
const TINY: &str = "\
name: tiny
datasets: [synthetic]
methods: [dmpo, dynamicpo-dmpo]
k: [1, 3]
seeds: [5]
synthetic: {items: 120, users: 60, clusters: 4, min_sequence: 6, max_sequence: 10}
model: {width: 16, blocks: 1, heads: 2, dropout: 0.1}
sft: {epochs: 2, batch_size: 64}
po: {epochs: 1, batch_size: 64}
device: cpu
threads: 1
";

fn golden_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../baselines/tests/fixtures/losses-public.json")
}

/// Runs the binary with stdout a pipe whose reader is already closed.
fn with_stdout_closed(args: &[&str], cwd: &Path) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    command(args, cwd)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("prefbench runs")
}

/// Commands that print a result on stdout, from a list to a whole report's worth.
fn printing_commands(golden: &str) -> Vec<Vec<&str>> {
    vec![
        vec!["data", "list"],
        vec!["env"],
        vec!["--help"],
        vec!["run", "--preset", "paper", "--dry-run"],
        vec!["loss", "eval", golden],
        vec!["loss", "eval", golden, "--check"],
    ]
}

#[test]
fn a_closed_stdout_ends_the_process_by_sigpipe_without_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let golden = golden_fixture();
    for args in printing_commands(golden.to_str().unwrap()) {
        let o = with_stdout_closed(&args, tmp.path());
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(o.status.signal(), Some(libc::SIGPIPE), "{args:?}: {stderr}");
    }
}

/// Every command that prints a result, with stdout on `/dev/full` (each write fails with
/// ENOSPC): an error naming stdout and exit 1, never a panic (101).
#[test]
fn a_full_stdout_is_an_error_naming_stdout_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let golden = golden_fixture();
    for args in printing_commands(golden.to_str().unwrap()) {
        let full = OpenOptions::new().write(true).open("/dev/full").unwrap();
        let o = command(&args, tmp.path())
            .stdout(full)
            .output()
            .expect("prefbench runs");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: cannot write the command's output to stdout")
                && stderr.contains("No space left on device")
                && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
}

/// A missing file is named with its OS cause once, not once per layer of the error.
#[test]
fn a_missing_file_is_reported_with_one_os_cause() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        &["report", "nowhere"][..],
        &["loss", "eval", "nowhere.json"],
    ] {
        let o = prefbench(args, tmp.path());
        let err = text(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.matches("(os error 2)").count(), 1, "{args:?}: {err}");
    }
}

/// A cache disk that fills while the SFT checkpoint is written (the file-size limit,
/// RLIMIT_FSIZE, with SIGXFSZ ignored, makes writes past 8 KiB fail; the config and the card
/// fit): an error naming the file, not libtorch's abort (134) nor "diverged"; no staging
/// directory is left, and the same command without the limit then runs.
#[test]
fn a_full_cache_disk_is_an_error_naming_the_checkpoint_file() {
    use std::os::unix::process::CommandExt;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("tiny.yaml"), TINY).unwrap();
    let args = ["run", "tiny.yaml", "--out", "out"];
    let mut limited = command(&args, tmp.path());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        limited.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 8192,
                rlim_max: 8192,
            };
            match libc::setrlimit(libc::RLIMIT_FSIZE, &limit) {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            }
        })
    };
    let o = limited.output().unwrap();
    let err = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("policy.ot: writing failed: File too large")
            && err.contains("has free space")
            && !err.contains("diverged"),
        "{err}"
    );
    let sft = tmp.path().join("cache/sft");
    let left: Vec<_> = std::fs::read_dir(&sft).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    let o = prefbench(&args, tmp.path());
    assert!(o.status.success(), "{}", text(&o));
}

/// Under umask 022 every file of a run directory (records, report, figures, manifest, cards)
/// is 0644 and every directory 0755, as for any file its user writes: readable by the group.
#[test]
fn every_file_of_a_run_directory_follows_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("tiny.yaml"), TINY).unwrap();
    let mut run = command(&["run", "tiny.yaml", "--out", "out"], tmp.path());
    // SAFETY: umask is async-signal-safe.
    unsafe {
        run.pre_exec(|| {
            libc::umask(0o022);
            Ok(())
        })
    };
    let o = run.output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let mut stack = vec![tmp.path().join("out")];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let mode = meta.permissions().mode() & 0o777;
            if meta.is_dir() {
                assert_eq!(mode, 0o755, "{}", path.display());
                stack.push(path);
            } else {
                assert_eq!(mode, 0o644, "{}: {mode:o}", path.display());
                files += 1;
            }
        }
    }
    assert!(files >= 10, "{files} files");
}

/// The first Ctrl-C during `data fetch` stops the download within a piece of the body: exit
/// 130, one message naming the `.part` file, whose bytes stay for the next fetch to resume.
#[test]
fn a_download_stops_at_the_first_sigint_keeping_its_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let server = serve(vec![Reply::Trickle(vec![b'x'; 1000])]);
    let args = ["data", "fetch", "lastfm-raw", "--mirror", &server.base];
    let child = command(&args, tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let part = tmp
        .path()
        .join("cache/downloads/lastfm-raw/hetrec2011-lastfm-2k.zip.part");
    let started = Instant::now();
    while std::fs::metadata(&part).map_or(0, |m| m.len()) < 3 {
        assert!(started.elapsed() < HOLD, "no bytes arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: kill has no memory effects.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{:?}: {err}", o.status);
    assert!(
        !err.contains("error: ")
            && err.contains("interrupted: ")
            && err.contains("hetrec2011-lastfm-2k.zip.part and the next fetch resumes"),
        "{err}"
    );
    // No wall-clock bound (a loaded machine must not fail this): a fetch that ignored the
    // signal would outlive the server's trickle (a byte per 100 ms, given up after `HOLD`)
    // and end in a download error or further attempts, not in 130 and this message.
    assert!(std::fs::metadata(&part).unwrap().len() >= 3);
}

/// The ids of a store, checking that every line is a whole record.
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

#[test]
fn a_matrix_whose_reader_goes_away_keeps_every_stored_record_whole_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // About half a second a run, one run at a time (a stack would finish its runs together and
    // could print every line before the reader goes), so the reader is gone long before the
    // next line.
    let slow = TINY.replace("po: {epochs: 1,", "po: {epochs: 50, ensemble: off,");
    std::fs::write(dir.join("slow.yaml"), slow).unwrap();
    let mut child = command(&["run", "slow.yaml", "--out", "out"], dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.contains("test HR@1") && line.contains(" K=");
        seen.push(line);
        if done {
            break;
        }
    }
    drop(lines);
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGPIPE), "{seen:?}");
    let stored = ids(&dir.join("out/results.jsonl"));
    assert!((1..4).contains(&stored.len()), "{stored:?}");

    let o = prefbench(&["run", "slow.yaml", "--out", "out"], dir);
    assert!(o.status.success(), "{}", text(&o));
    let all = ids(&dir.join("out/results.jsonl"));
    assert_eq!(all.len(), 4, "every run once");
    assert_eq!(
        &all[..stored.len()],
        &stored[..],
        "the stored records are kept"
    );
}

#[test]
fn configs_outside_their_domains_are_refused_before_training() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "po: {epochs: 1, batch_size: 64}",
            "po: {epochs: 1, batch_size: 0}",
            "po.batch_size",
            9,
        ),
        (
            "sft: {epochs: 2, batch_size: 64}",
            "sft:\n  epochs: 2\n  lr: -1",
            "sft.lr",
            10,
        ),
        ("seeds: [5]", "seeds: [5, 5]", "seeds", 5),
        ("name: tiny", "name: ../../elsewhere", "name", 1),
        ("threads: 1", "threads: 100000", "threads", 11),
        (
            "model: {width: 16, blocks: 1, heads: 2, dropout: 0.1}",
            "model: {width: 16, blocks: 1, heads: 3, dropout: 0.1}",
            "model.heads",
            7,
        ),
    ];
    for case in cases {
        let (code, err) = refused_config(tmp.path(), TINY, case, &[]);
        let field = case.2;
        assert_eq!(code, Some(1), "{err}");
        assert!(err.contains(&format!("`{field}`")), "{field}: {err}");
        assert!(!err.contains("SFT") && !err.contains("panicked"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    assert!(
        !tmp.path().join("prefbench-out").exists(),
        "nothing written"
    );
}

#[test]
fn bad_golden_files_are_refused_and_checking_nothing_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let file = |name: &str, rejected: &str, chosen: &str| {
        let text = format!(
            r#"{{"format": "prefbench golden loss vectors v1", "cases": [{{"id": "c1",
            "input": {{"beta": 1.0, "policy_chosen": {chosen}, "policy_rejected": {rejected},
            "reference_chosen": {chosen}, "reference_rejected": {rejected}}}}}]}}"#
        );
        std::fs::write(tmp.path().join(name), text).unwrap();
        name.to_string()
    };
    let huge: Vec<f64> = (0..2000).map(|j| -1.0 - j as f64 * 1e-3).collect();
    let huge = serde_json::to_string(&vec![huge]).unwrap();
    let cases = [
        (file("none.json", "[]", "[-1.0]"), "has no rows"),
        (file("empty.json", "[[]]", "[-1.0]"), "row 0 is empty"),
        (
            file("huge.json", &huge, "[-1.0]"),
            "more than the 1024 supported",
        ),
    ];
    for (name, reason) in cases {
        let o = prefbench(&["loss", "eval", &name], tmp.path());
        let err = text(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(
            err.contains("case c1: input.policy_rejected") && err.contains(reason),
            "{name}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let bare = file("bare.json", "[[-2.0, -3.0]]", "[-1.0]");
    let o = prefbench(&["loss", "eval", &bare, "--check"], tmp.path());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("nothing was checked"), "{}", text(&o));
    let o = prefbench(
        &[
            "loss",
            "eval",
            golden_fixture().to_str().unwrap(),
            "--check",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
}

/// Inputs whose objective overflows to NaN: `loss eval` refuses to write them (JSON would
/// hold `null`, which `--check` cannot read back) and names the case and field.
#[test]
fn a_computed_value_that_is_not_finite_is_refused_not_written_as_null() {
    let tmp = tempfile::tempdir().unwrap();
    let golden = r#"{"format": "prefbench golden loss vectors v1", "cases": [{"id": "overflow",
        "input": {"beta": 1.0, "policy_chosen": [1e308], "policy_rejected": [[1e308]],
        "reference_chosen": [-1e308], "reference_rejected": [[-1e308]]}}]}"#;
    std::fs::write(tmp.path().join("overflow.json"), golden).unwrap();
    let o = prefbench(&["loss", "eval", "overflow.json"], tmp.path());
    let err = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(o.stdout.is_empty(), "nothing written: {err}");
    assert!(
        err.contains(
            "overflow.json: case overflow: the computed expected.dpo.losses is not finite"
        ),
        "{err}"
    );
}

/// Holds `dir`'s lock the way a live `prefbench run` does (same lock file, same OS lock).
fn hold_lock(dir: &Path) -> File {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(dir.join(".prefbench.lock"))
        .unwrap();
    file.try_lock().unwrap();
    write!(file, "pid {} (prefbench run)", std::process::id()).unwrap();
    file
}

#[test]
fn merge_refuses_a_directory_that_a_run_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("live")).unwrap();
    let live_store = "{\"not\": \"parsed by a refused merge\"}\n";
    std::fs::write(dir.join("live/results.jsonl"), live_store).unwrap();
    std::fs::write(dir.join("shard.jsonl"), "").unwrap();
    let lock = hold_lock(&dir.join("live"));
    for out in ["live", "live/other.jsonl"] {
        let o = prefbench(&["results", "merge", "shard.jsonl", "-o", out], dir);
        let err = text(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(
            err.contains("cannot merge into live")
                && err.contains("`prefbench run`")
                && err.contains(&format!("pid {}", std::process::id())),
            "{out}: {err}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("live/results.jsonl")).unwrap(),
        live_store,
        "the live store is untouched"
    );
    assert!(!dir.join("live/other.jsonl").exists());
    drop(lock);
    let o = prefbench(&["results", "merge", "shard.jsonl", "-o", "free"], dir);
    assert!(o.status.success(), "{}", text(&o));
}

/// The SFT checkpoint directories in `cache`.
fn sft_dirs(cache: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(cache.join("sft"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    dirs.retain(|d| d.is_dir() && !d.file_name().unwrap().to_string_lossy().starts_with('.'));
    dirs.sort();
    dirs
}

fn sha256(path: &Path) -> String {
    prefbench_io::sha256_file(path).unwrap()
}

fn run_records(dir: &Path, config: &str, out: &str) -> (Vec<serde_json::Value>, String) {
    std::fs::write(dir.join("c.yaml"), config).unwrap();
    let o = prefbench(&["run", "c.yaml", "--out", out], dir);
    assert!(o.status.success(), "{}", text(&o));
    let records = std::fs::read_to_string(dir.join(out).join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (records, text(&o))
}

fn cached(records: &[serde_json::Value]) -> Vec<bool> {
    records
        .iter()
        .map(|r| r["timings"]["sft_cached"].as_bool().unwrap())
        .collect()
}

fn tests(records: &[serde_json::Value]) -> Vec<serde_json::Value> {
    records.iter().map(|r| r["test"].clone()).collect()
}

#[test]
fn an_sft_cache_of_the_wrong_shape_is_retrained_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cache = dir.join("cache");
    let (first, _) = run_records(dir, TINY, "first");
    let [checkpoint] = <[PathBuf; 1]>::try_from(sft_dirs(&cache)).unwrap();
    // Another split size: its reference is [N', 20] where ours is [N, 20].
    run_records(dir, &TINY.replace("users: 60", "users: 45"), "other");
    let other = sft_dirs(&cache)
        .into_iter()
        .find(|d| *d != checkpoint)
        .unwrap();
    std::fs::copy(other.join("reference.ot"), checkpoint.join("reference.ot")).unwrap();
    // Made consistent with the manifest, so only the shape check can catch it.
    let manifest_path = checkpoint.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    manifest["sha256"]["reference.ot"] = sha256(&checkpoint.join("reference.ot")).into();
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();

    let (again, log) = run_records(dir, TINY, "again");
    assert!(
        log.contains(&format!(
            "warning: SFT cache {} is not used",
            checkpoint.display()
        )) && log.contains("reference.ot holds a Float tensor of shape")
            && log.contains("training it again"),
        "{log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    assert_eq!(cached(&again), [false; 4], "retrained, not used");
    assert_eq!(
        tests(&again),
        tests(&first),
        "the same reference as a fresh SFT"
    );

    // The retrained checkpoint replaced the bad one and is used from now on.
    let (third, log) = run_records(dir, TINY, "third");
    assert!(!log.contains("warning"), "{log}");
    assert_eq!(cached(&third), [true; 4]);

    // An edited meta.json (the recorded SFT metrics) is not used either.
    let meta_path = checkpoint.join("meta.json");
    let meta = std::fs::read_to_string(&meta_path).unwrap();
    let edited = meta.replacen("\"hr_at_1\":", "\"hr_at_1\": 0.999, \"x\":", 1);
    assert_ne!(meta, edited);
    std::fs::write(&meta_path, edited).unwrap();
    let (fourth, log) = run_records(dir, TINY, "fourth");
    assert!(log.contains("meta.json does not match its sha256"), "{log}");
    assert_eq!(cached(&fourth), [false; 4]);
    assert_eq!(tests(&fourth), tests(&first));
}

/// More threads than cores make a valid config that this machine refuses where it plans the
/// run, `--dry-run` included, naming the file, the field, its line and the cores rather than
/// a flag nobody gave; a byte-order mark before the first key is no part of it.
#[test]
fn config_threads_are_checked_against_the_cores_and_a_bom_is_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let case = ("threads: 1", "threads: 100000", "threads", 11);
    let (code, err) = refused_config(tmp.path(), TINY, case, &["--dry-run"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("config bad.yaml cannot run on this machine: field `threads`")
            && err.contains("100000 threads, but this machine has")
            && !err.contains("--threads"),
        "{err}"
    );
    let o = prefbench(
        &["run", "--preset", "demo", "--threads", "100000"],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("--threads 100000: "), "{}", text(&o));

    std::fs::write(tmp.path().join("bom.yaml"), format!("\u{feff}{TINY}")).unwrap();
    let o = prefbench(&["run", "bom.yaml", "--dry-run"], tmp.path());
    assert!(o.status.success(), "{}", text(&o));
}

/// The reports crate's frozen store of a real run: 36 records that every reader accepts.
fn real_store() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/tests/fixtures/results.jsonl");
    std::fs::read_to_string(path).unwrap()
}

/// Every kind of damage a fault probe put into well-formed records: `report`, `merge`, the
/// resume of `run` and `compare` refuse the store (exit 1, 1, 1 and 2), naming the file, the
/// line, the run id and the field, and write no report. Refusing, not skipping: a skipped record silently changes the
/// seeds behind a verdict, and the store must be repaired either way.
#[test]
fn damaged_records_are_refused_by_every_reader_naming_file_line_id_and_field() {
    type Edit = fn(&mut serde_json::Value);
    let cases: [(Edit, &str); 12] = [
        (
            |r| r["test"]["hr_at_1"] = 1e308.into(),
            "`test.hr_at_1` is 1e308",
        ),
        (
            |r| r["test"]["hr_at_1"] = (-1.0).into(),
            "`test.hr_at_1` is -1",
        ),
        (|r| r["test"]["samples"] = 0.into(), "`test.samples` is 0"),
        (
            |r| r["cell"]["k"] = 1_000_000_000_000u64.into(),
            "`cell.k` is 1000000000000",
        ),
        (|r| r["cell"]["k"] = 3.into(), "but spec.k is"),
        (
            |r| r["cell"]["method"] = "mppo".into(),
            "`cell.method` is \"mppo\"",
        ),
        (|r| r["id"] = "abc".into(), "`id` is \"abc\", not a run id"),
        (|r| r["spec"]["dataset"] = "lastfm".into(), "spec hashes to"),
        (
            |r| r["selected_epoch"] = 99.into(),
            "`selected_epoch` is 99",
        ),
        (
            |r| r["timings"]["po_s"] = 1e308.into(),
            "`timings.po_s` is 1e308",
        ),
        (
            |r| r["epochs"] = serde_json::json!([]),
            "`epochs` holds 0 epochs",
        ),
        (|r| r["curve"] = serde_json::json!([]), "`curve` is empty"),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let store = real_store();
    std::fs::write(dir.join("good.jsonl"), &store).unwrap();
    std::fs::write(dir.join("tiny.yaml"), TINY).unwrap();
    let first_case = cases[0].1;
    for (edit, said) in cases {
        let mut lines: Vec<String> = store.lines().map(str::to_string).collect();
        let mut record: serde_json::Value = serde_json::from_str(&lines[4]).unwrap();
        let id = record["id"].as_str().unwrap().to_string();
        edit(&mut record);
        lines[4] = record.to_string();
        let out = dir.join("bad");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("results.jsonl"), lines.join("\n") + "\n").unwrap();
        // Every kind through `report` and `compare`; `merge` and the resume of `run` read
        // through the same check.
        let once = [
            (&["results", "merge", "bad", "-o", "merged"][..], 1),
            (&["run", "tiny.yaml", "--out", "bad"], 1),
        ];
        let readers = [
            (&["report", "bad"][..], 1),
            (&["compare", "good.jsonl", "bad"], 2),
        ];
        let first = said == first_case;
        for (args, code) in readers
            .into_iter()
            .chain(once.into_iter().filter(|_| first))
        {
            let o = prefbench(args, dir);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(code), "{args:?} {said}: {}", text(&o));
            assert!(
                err.contains("bad/results.jsonl:5: record ")
                    && (err.contains(&id) || said.contains("`id`"))
                    && err.contains(said),
                "{args:?} {said}: {err}"
            );
            assert!(
                !err.contains("panicked") && o.stdout.is_empty(),
                "{}",
                text(&o)
            );
        }
        assert!(!out.join("report.md").exists(), "{said}: no report");
        assert!(
            !dir.join("merged/results.jsonl").exists(),
            "{said}: no merge"
        );
    }
}

/// `c` with the colour variables of the environment replaced by `vars`.
fn colour_env(mut c: Command, vars: &[(&str, &str)]) -> Command {
    for name in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM"] {
        c.env_remove(name);
    }
    c.envs(vars.iter().copied());
    c
}

/// The first log line of a download that cannot connect (its retry notice, at info level),
/// with `vars` set; the download is stopped there.
fn first_log_line(dir: &Path, vars: &[(&str, &str)]) -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mirror = format!("https://127.0.0.1:{port}/");
    let mut child = colour_env(
        command(&["data", "fetch", "lastfm", "--mirror", &mirror], dir),
        vars,
    )
    .env("RUST_LOG", "info")
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let line = BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map(Result::unwrap)
        .find(|l| l.contains("retrying"))
        .expect("a retry notice");
    child.kill().unwrap();
    child.wait().unwrap();
    line
}

/// Colours follow the stream and the conventions: none into a pipe, even with
/// `CLICOLOR_FORCE=0`; forced with `CLICOLOR_FORCE=1`, unless `NO_COLOR` is set; for help
/// (stdout), usage errors (stderr) and log lines (stderr) alike.
#[test]
fn colours_follow_the_terminal_no_color_and_clicolor_force() {
    let tmp = tempfile::tempdir().unwrap();
    let escape = |bytes: &[u8]| bytes.windows(2).any(|w| w == b"\x1b[");
    let run = |args: &[&str], vars: &[(&str, &str)]| {
        colour_env(command(args, tmp.path()), vars)
            .output()
            .unwrap()
    };
    for vars in [
        &[][..],
        &[("CLICOLOR_FORCE", "0")],
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
    ] {
        let help = run(&["--help"], vars);
        assert!(help.status.success() && !escape(&help.stdout), "{vars:?}");
        let usage = run(&["--no-such-flag"], vars);
        assert_eq!(usage.status.code(), Some(2), "{vars:?}");
        assert!(!escape(&usage.stderr), "{vars:?}: {}", text(&usage));
        let log = first_log_line(tmp.path(), vars);
        assert!(!escape(log.as_bytes()), "{vars:?}: {log}");
    }
    let forced = [("CLICOLOR_FORCE", "1")];
    assert!(escape(&run(&["--help"], &forced).stdout));
    assert!(escape(&run(&["--no-such-flag"], &forced).stderr));
    let log = first_log_line(tmp.path(), &forced);
    assert!(escape(log.as_bytes()), "{log}");
}
