//! The published results (`published/`, README "Findings") are reproducible from their own
//! records: `prefbench report` on a copy of the committed inputs (records, config, environment,
//! dataset cards, failures) rebuilds report.md and report.json byte for byte. A change to the
//! report code that changes the published report fails here until `published/` is rebuilt
//! (`prefbench report published`) and committed with it. `prefbench verify` then checks the
//! whole directory against its manifest.
use std::path::{Path, PathBuf};

use crate::support::{prefbench, text};

fn published() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../published")
}

/// Copies `rel` from `published/` into `to`, if the run wrote it.
fn copy(rel: &str, to: &Path) {
    let from = published().join(rel);
    if from.is_file() {
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&from, dest).unwrap();
    }
}

#[test]
fn published_report_rebuilds_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("published");
    for rel in [
        "results.jsonl",
        "config.yaml",
        "env.json",
        "failures.jsonl",
        "overhead.json",
    ] {
        copy(rel, &out);
    }
    // Every `config-*.yaml` (the report shows each as a resolved config).
    for entry in std::fs::read_dir(published()).expect("published/") {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with("config-") && name.ends_with(".yaml") {
            copy(&name, &out);
        }
    }
    assert!(
        out.join("results.jsonl").is_file(),
        "published/results.jsonl is missing"
    );
    let cards = std::fs::read_dir(published().join("datasets")).expect("published/datasets/");
    for card in cards {
        let name = card.unwrap().file_name().to_string_lossy().into_owned();
        copy(&format!("datasets/{name}/card.json"), &out);
    }
    let o = prefbench(&["report", out.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    for file in ["report.md", "report.json"] {
        let want = std::fs::read(published().join(file)).unwrap();
        let got = std::fs::read(out.join(file)).unwrap();
        let first_diff = want.iter().zip(&got).position(|(a, b)| a != b);
        assert!(
            want == got,
            "published/{file} differs from its rebuild at byte {first_diff:?} (lengths {} and \
             {}); rebuild it with `prefbench report published` and commit it",
            want.len(),
            got.len()
        );
    }
}

/// Every committed file of `published/` matches its manifest, every record passes the checks
/// on read, and the rebuilt report is identical.
#[test]
fn published_directory_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let o = prefbench(&["verify", published().to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", text(&o));
}

/// The README's "Findings" table is the published report's verdicts, not a copy that drifts:
/// `scripts/findings.py` prints it from `published/report.json` (the first tables from the
/// report.md beside it), and the README must hold every line of it.
#[test]
fn the_readme_findings_table_is_the_published_reports() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let o = std::process::Command::new("python3")
        .arg(root.join("scripts/findings.py"))
        .arg(published().join("report.json"))
        .output()
        .expect("python3 runs scripts/findings.py");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let table = String::from_utf8(o.stdout).unwrap();
    assert!(table.lines().count() > 10, "{table}");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for line in table.lines() {
        assert!(
            readme.contains(line),
            "README.md lacks this line of `python3 scripts/findings.py published/report.json`; \
             paste the table into the Findings section:\n{line}"
        );
    }
}
