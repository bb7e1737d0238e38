//! The contract with whoever reads an output directory: a fresh tiny run's records and
//! report.json follow the published JSON Schemas (docs/schema/), whose versions are the
//! code's; and `prefbench verify` passes on the fresh directory and names the file when a byte
//! of a record, of report.md or of a figure changed since the report was written.
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::{command_cached, text};

/// The tiny run every test here reads (run once per test binary, never written to: tests
/// copy it before editing), under cargo's per-target scratch space.
fn fresh() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("contract");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("tiny.yaml"), include_str!("support/tiny.yaml")).unwrap();
        let o = prefbench(&["run", "tiny.yaml", "--out", "out"], &dir);
        assert!(o.status.success(), "{}", text(&o));
        dir.join("out")
    })
}

fn prefbench(args: &[&str], cwd: &Path) -> std::process::Output {
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("contract-cache");
    command_cached(args, cwd, cache.to_str().unwrap())
        .output()
        .expect("prefbench runs")
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn schema(name: &str) -> Value {
    json(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../docs/schema")
            .join(name),
    )
}

/// Every schema error of `instance`, as boon's tree of causes: one a line, each at its place in
/// the instance (a JSON pointer); empty when it conforms.
fn violations(schema: &Value, instance: &Value) -> String {
    // The schema is given as a resource under a name of its own: nothing is fetched.
    const NAME: &str = "https://prefbench.invalid/schema.json";
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource(NAME, schema.clone())
        .expect("a schema resource");
    let mut schemas = boon::Schemas::new();
    let index = compiler
        .compile(NAME, &mut schemas)
        .expect("a valid JSON Schema");
    match schemas.validate(instance, index) {
        Ok(()) => String::new(),
        Err(e) => format!("{e}\n"),
    }
}

fn records(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("results.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn records_and_report_json_follow_the_published_schemas() {
    let record_schema = schema("record.schema.json");
    let records = records(fresh());
    assert_eq!(records.len(), 2);
    for record in &records {
        assert_eq!(violations(&record_schema, record), "");
    }
    let mut broken = records[0].clone();
    broken["test"]["hr_at_1"] = "high".into();
    broken["cell"]["k"] = 20.into();
    let found = violations(&record_schema, &broken);
    assert!(
        found.contains("/test/hr_at_1") && found.contains("/cell/k"),
        "{found}"
    );

    let report_schema = schema("report.schema.json");
    let report = json(&fresh().join("report.json"));
    assert_eq!(violations(&report_schema, &report), "");
    let mut broken = report.clone();
    broken.as_object_mut().unwrap().remove("claims");
    broken["datasets"][0]["metrics"] = "none".into();
    let found = violations(&report_schema, &broken);
    assert!(
        found.contains("claims") && found.contains("/datasets/0/metrics"),
        "{found}"
    );
}

/// The schema files carry the versions the code writes, and the methods it knows: the code
/// stays the one source of truth, and a bump without the schema fails here.
#[test]
fn the_schemas_carry_the_code_versions() {
    let record = schema("record.schema.json");
    assert_eq!(
        record["properties"]["schema"]["enum"],
        serde_json::json!(prefbench_results::READABLE_SCHEMAS)
    );
    assert_eq!(
        prefbench_results::READABLE_SCHEMAS.last(),
        Some(&prefbench_results::SCHEMA_VERSION)
    );
    let methods: Vec<&str> = prefbench_vocabulary::Method::ALL
        .iter()
        .map(|m| m.name())
        .collect();
    assert_eq!(
        record["properties"]["cell"]["properties"]["method"]["enum"],
        serde_json::json!(methods)
    );
    let report = schema("report.schema.json");
    assert_eq!(
        report["properties"]["schema"]["const"],
        prefbench_reports::SCHEMA
    );
    assert_eq!(
        json(&fresh().join("report.json"))["schema"],
        prefbench_reports::SCHEMA
    );
}

/// A copy of the fresh run's directory, to edit.
fn copy_of_fresh(to: &Path) -> PathBuf {
    let copy = to.join("out");
    let mut pending = vec![PathBuf::new()];
    while let Some(sub) = pending.pop() {
        std::fs::create_dir_all(copy.join(&sub)).unwrap();
        for entry in std::fs::read_dir(fresh().join(&sub)).unwrap() {
            let entry = entry.unwrap();
            let rel = sub.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                pending.push(rel);
            } else {
                std::fs::copy(entry.path(), copy.join(&rel)).unwrap();
            }
        }
    }
    copy
}

/// Flips one byte of `path` in the middle of the file.
fn flip_a_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}

fn verify(dir: &Path) -> std::process::Output {
    prefbench(&["verify", dir.to_str().unwrap()], dir)
}

#[test]
fn verify_passes_on_a_fresh_run_and_after_report() {
    let o = verify(fresh());
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("2 records pass their checks, report.md and report.json rebuild"),
        "{}",
        text(&o)
    );
    let manifest = json(&fresh().join("manifest.json"));
    assert_eq!(manifest["prefbench"], env!("CARGO_PKG_VERSION"));
    for file in [
        "results.jsonl",
        "report.md",
        "report.json",
        "config.yaml",
        "env.json",
    ] {
        assert!(manifest["sha256"][file].is_string(), "{file}: {manifest}");
    }
    // `report` writes the manifest too.
    let tmp = tempfile::tempdir().unwrap();
    let copy = copy_of_fresh(tmp.path());
    std::fs::remove_file(copy.join("manifest.json")).unwrap();
    let o = verify(&copy);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("no manifest to verify against"),
        "{}",
        text(&o)
    );
    let o = prefbench(&["report", "out"], tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    assert!(verify(&copy).status.success());
}

#[test]
fn verify_names_the_first_file_that_changed_after_the_report() {
    let figure = std::fs::read_dir(fresh().join("figures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "svg"))
        .expect("a figure");
    let figure = format!("figures/{}", figure.file_name().unwrap().to_string_lossy());
    for edited in ["results.jsonl", "report.md", figure.as_str()] {
        let tmp = tempfile::tempdir().unwrap();
        let copy = copy_of_fresh(tmp.path());
        flip_a_byte(&copy.join(edited));
        let o = verify(&copy);
        assert_eq!(o.status.code(), Some(1), "{edited}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!(
                "out/{edited}: changed after the report was written"
            )),
            "{edited}: {err}"
        );
    }
    // The manifest's own bytes are sealed too (every bit is tried in `harness::manifest`).
    let tmp = tempfile::tempdir().unwrap();
    let copy = copy_of_fresh(tmp.path());
    flip_a_byte(&copy.join("manifest.json"));
    let o = verify(&copy);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("out/manifest.json: "), "{}", text(&o));
}

/// Rewrites the manifest's hash of `file` to the file's bytes now, and its seal to match, as
/// someone covering an edit would.
fn reseal(dir: &Path, file: &str) {
    let path = dir.join("manifest.json");
    let (text, mut manifest) = (std::fs::read_to_string(&path).unwrap(), json(&path));
    let (old_hash, old_seal) = (manifest["sha256"][file].clone(), manifest["seal"].clone());
    let hash = prefbench_io::sha256_file(&dir.join(file)).unwrap();
    manifest["sha256"][file] = hash.clone().into();
    manifest.as_object_mut().unwrap().remove("seal");
    let seal = prefbench_results::setting::canonical_hash(&manifest);
    let text = text
        .replace(old_hash.as_str().unwrap(), &hash)
        .replace(old_seal.as_str().unwrap(), &seal);
    std::fs::write(path, text).unwrap();
}

/// With the manifest's hash forged, a record's edit is still caught: outside its domain by the
/// record check, inside it by the report that no longer rebuilds.
#[test]
fn verify_catches_edited_records_behind_a_forged_manifest() {
    type Edit = fn(&mut Value);
    let cases: [(Edit, &str); 2] = [
        (
            |r| r["timings"]["po_s"] = (-5.0).into(),
            "`timings.po_s` is -5",
        ),
        (
            |r| r["timings"]["po_s"] = (r["timings"]["po_s"].as_f64().unwrap() * 4.0).into(),
            "out/report.md: does not rebuild from the directory's records",
        ),
    ];
    for (edit, said) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let copy = copy_of_fresh(tmp.path());
        let mut records = records(&copy);
        edit(&mut records[0]);
        let lines: String = records.iter().map(|r| format!("{r}\n")).collect();
        std::fs::write(copy.join("results.jsonl"), lines).unwrap();
        reseal(&copy, "results.jsonl");
        let o = verify(&copy);
        assert_eq!(o.status.code(), Some(1), "{said}: {}", text(&o));
        assert!(text(&o).contains(said), "{said}: {}", text(&o));
    }
}
