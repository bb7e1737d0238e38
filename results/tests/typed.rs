//! The typed views of a record's spec (`prefbench_results::RunIdentity`) and environment (`prefbench_results::Environment`) read
//! every stored record without losing a field: a field renamed in either type (which the
//! harness writes and every reader reads) leaves a stored key unread, and fails here, instead
//! of reading as its default and silently changing a verdict.
use prefbench_results::setting::canonical_hash;
use prefbench_results::{Environment, RunRecord};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn repository(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

/// Each line of a `results.jsonl` as stored, and as a record.
fn stored(rel: &str) -> Vec<(Value, RunRecord)> {
    let text = std::fs::read_to_string(repository(rel)).unwrap();
    let records: Vec<_> = text
        .lines()
        .map(|l| {
            let value: Value = serde_json::from_str(l).unwrap();
            let record = serde_json::from_value(value.clone()).unwrap();
            (value, record)
        })
        .collect();
    assert!(!records.is_empty(), "{rel} holds records");
    records
}

/// Whether every key of `stored`, at every level, is in `read` with the same value.
fn keeps(stored: &Value, read: &Value) -> bool {
    match (stored, read) {
        (Value::Object(stored), Value::Object(read)) => stored
            .iter()
            .all(|(k, v)| read.get(k).is_some_and(|r| keeps(v, r))),
        _ => stored == read,
    }
}

/// The published records (prefbench 0.2.0) are the typed views' JSON exactly, so the views
/// hash to the stored ids.
#[test]
fn every_published_record_is_its_typed_views() {
    let records = stored("published/results.jsonl");
    assert!(records.len() >= 615, "{}", records.len());
    for (line, record) in &records {
        let identity = record.identity().unwrap();
        let spec = serde_json::to_value(&identity).unwrap();
        assert_eq!(spec, line["spec"], "{}", record.id);
        assert_eq!(canonical_hash(&spec), record.id);
        assert_eq!(identity.k, record.cell.k);
        assert_eq!(identity.reference.seed, record.seed);
        let environment = serde_json::to_value(&record.environment).unwrap();
        assert_eq!(environment, line["environment"], "{}", record.id);
    }
}

/// Older records (the reports' fixture, prefbench 0.1.0) lack settings added since, which
/// their typed view gives today's defaults; every key they have is read.
#[test]
fn every_older_record_reads_every_stored_field() {
    for (line, record) in stored("reports/tests/fixtures/results.jsonl") {
        let spec = serde_json::to_value(record.identity().unwrap()).unwrap();
        assert!(keeps(&line["spec"], &spec), "{}: {spec}", record.id);
        let environment = serde_json::to_value(&record.environment).unwrap();
        assert_eq!(environment, line["environment"], "{}", record.id);
    }
}

/// The `env.json` files beside the records read into the same type, losslessly.
#[test]
fn every_env_json_reads_back_losslessly() {
    for rel in ["published/env.json", "reports/tests/fixtures/env.json"] {
        let text = std::fs::read_to_string(repository(rel)).unwrap();
        let stored: Value = serde_json::from_str(&text).unwrap();
        let read: Environment = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(serde_json::to_value(read).unwrap(), stored, "{rel}");
    }
}
