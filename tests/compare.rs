//! `prefbench compare` through the binary, on the frozen fixture of a real small run.
use std::path::{Path, PathBuf};
use std::process::Output;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/tests/fixtures/results.jsonl")
}

fn compare(args: &[&Path]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_prefbench"))
        .arg("compare")
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("prefbench runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The fixture with `f` applied to every record, written to `dir/results.jsonl`.
fn edited(dir: &Path, f: impl Fn(&mut serde_json::Value)) -> PathBuf {
    let text = std::fs::read_to_string(fixture()).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let mut record: serde_json::Value = serde_json::from_str(line).unwrap();
        f(&mut record);
        out += &serde_json::to_string(&record).unwrap();
        out.push('\n');
    }
    let path = dir.join("results.jsonl");
    std::fs::write(&path, out).unwrap();
    path
}

/// Sets a record's test HR@1 through `f`, in `test` and in the selected epoch it copies, so
/// the record stays one that readers accept; a change is a whole number of the fixture's
/// 228 test samples.
fn set_test_hr(r: &mut serde_json::Value, f: impl Fn(f64) -> f64) {
    let selected = r["selected_epoch"].as_u64().unwrap() as usize - 1;
    let hr = f(r["test"]["hr_at_1"].as_f64().unwrap());
    r["test"]["hr_at_1"] = hr.into();
    r["epochs"][selected]["test"]["hr_at_1"] = hr.into();
}

#[test]
fn identical_inputs_exit_0() {
    let o = compare(&[&fixture(), &fixture()]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let text = stdout(&o);
    assert!(text.contains("12 shared cell(s)"), "{text}");
    assert!(text.contains("- regressed: 0"), "{text}");
}

#[test]
fn an_injected_hr_regression_exits_1_and_is_listed() {
    let tmp = tempfile::tempdir().unwrap();
    edited(tmp.path(), |r| {
        if r["cell"]["method"] == "dmpo" && r["cell"]["k"] == 15 {
            set_test_hr(r, |hr| (hr * 228.0 - 12.0) / 228.0);
        }
    });
    // A directory stands for its results.jsonl.
    let o = compare(&[&fixture(), tmp.path()]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let text = stdout(&o);
    assert!(text.contains("- regressed: 1"), "{text}");
    assert!(
        text.contains("| synthetic/dmpo/K=15 | test HR@1 |") && text.contains("**regressed**"),
        "{text}"
    );
}

#[test]
fn a_change_below_the_threshold_or_from_one_seed_is_not_a_regression() {
    let tmp = tempfile::tempdir().unwrap();
    let slower = edited(tmp.path(), |r| {
        let s = r["timings"]["po_s"].as_f64().unwrap();
        r["timings"]["po_s"] = (s * 1.05).into();
    });
    let o = compare(&[&fixture(), &slower]);
    assert_eq!(o.status.code(), Some(0), "5% slower is within 10%: {o:?}");
    let twice = tempfile::tempdir().unwrap();
    let twice = edited(twice.path(), |r| {
        let s = r["timings"]["po_s"].as_f64().unwrap();
        r["timings"]["po_s"] = (s * 2.0).into();
    });
    let o = compare(&[
        &fixture(),
        &twice,
        Path::new("--time-threshold"),
        Path::new("0.5"),
    ]);
    assert_eq!(o.status.code(), Some(1), "twice as slow exceeds 50%: {o:?}");
    assert!(stdout(&o).contains("PO wall-clock (s)"), "{}", stdout(&o));

    let one_seed = tempfile::tempdir().unwrap();
    let worse = edited(one_seed.path(), |r| set_test_hr(r, |_| 0.0));
    let text = std::fs::read_to_string(&worse).unwrap();
    let seed0: String = text
        .lines()
        .filter(|l| l.contains("\"seed\":0"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&worse, seed0).unwrap();
    let o = compare(&[&fixture(), &worse]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(
        stdout(&o).contains("unverifiable (one seed)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_missing_file_exits_2_with_a_one_line_error() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope/results.jsonl");
    let o = compare(&[&fixture(), &missing]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("nope/results.jsonl") && err.trim().lines().count() == 1,
        "{err}"
    );
}
