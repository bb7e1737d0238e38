use prefbench_results::store::{
    merge, read_records, read_unique, truncate_partial_tail, unique, write_records, Duplicate,
    ResultsStore, StoreError,
};
use prefbench_results::SCHEMA_VERSION;
use prefbench_testkit::{scratch, stored};
use std::fs;
use std::io::Write;

#[test]
fn round_trip_creates_parents_and_resumes_ids() {
    let path = scratch!("round-trip").join("nested/out/results.jsonl");
    let a = stored("dmpo", 5, 0);
    let b = stored("dynamicpo-dmpo", 5, 0);
    {
        let mut store = ResultsStore::open(&path).unwrap();
        store.append(&a).unwrap();
        store.append(&b).unwrap();
        assert!(store.contains(&a.id) && store.contains(&b.id));
    }
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(text.ends_with('\n'));
    assert_eq!(read_records(&path).unwrap(), vec![a.clone(), b.clone()]);

    let mut reopened = ResultsStore::open(&path).unwrap();
    let ids: Vec<&str> = reopened.ids().iter().map(String::as_str).collect();
    assert_eq!(ids, [a.id.as_str(), b.id.as_str()]);
    assert!(!reopened.contains("other"));
    let err = reopened.append(&a).unwrap_err();
    assert!(matches!(err, StoreError::DuplicateId { .. }), "{err}");
    assert_eq!(read_records(&path).unwrap().len(), 2);
}

#[test]
fn partial_trailing_line_is_reported_distinctly_and_can_be_dropped() {
    let path = scratch!("partial").join("results.jsonl");
    let kept = stored("dmpo", 1, 0);
    ResultsStore::open(&path).unwrap().append(&kept).unwrap();
    let full = serde_json::to_string(&stored("dmpo", 3, 0)).unwrap();
    let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(&full.as_bytes()[..full.len() / 2]).unwrap();
    drop(file);

    let err = read_records(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::PartialTail { line: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("results.jsonl:2"), "{err}");
    assert!(matches!(
        ResultsStore::open(&path).unwrap_err(),
        StoreError::PartialTail { .. }
    ));

    assert_eq!(truncate_partial_tail(&path).unwrap(), Some(2));
    assert_eq!(truncate_partial_tail(&path).unwrap(), None);
    assert_eq!(read_records(&path).unwrap(), vec![kept.clone()]);
    let again = stored("dmpo", 3, 0);
    ResultsStore::open(&path).unwrap().append(&again).unwrap();
    assert_eq!(read_records(&path).unwrap(), vec![kept, again]);
}

#[test]
fn complete_last_line_without_newline_is_kept_and_newline_restored() {
    let path = scratch!("no-newline").join("results.jsonl");
    let a = stored("mppo", 5, 1);
    fs::write(&path, serde_json::to_string(&a).unwrap()).unwrap();
    assert_eq!(read_records(&path).unwrap(), vec![a.clone()]);
    let b = stored("mppo", 5, 2);
    ResultsStore::open(&path).unwrap().append(&b).unwrap();
    assert_eq!(read_records(&path).unwrap(), vec![a, b]);
}

#[test]
fn other_schema_is_refused_with_line_number() {
    let path = scratch!("schema").join("results.jsonl");
    let good = serde_json::to_string(&stored("dmpo", 1, 0)).unwrap();
    let mut old = serde_json::to_value(stored("dmpo", 1, 1)).unwrap();
    old["schema"] = 0.into();
    fs::write(&path, format!("{good}\n{old}\n")).unwrap();
    let err = read_records(&path).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Schema {
                line: 2,
                found: 0,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("results.jsonl:2"), "{err}");
}

/// A byte-order mark (an editor's) is named as such, not as JSON that fails at column 1.
#[test]
fn a_byte_order_mark_is_named_as_the_cause() {
    let path = scratch!("bom").join("results.jsonl");
    let good = serde_json::to_string(&stored("dmpo", 1, 0)).unwrap();
    fs::write(&path, format!("\u{feff}{good}\n")).unwrap();
    let message = read_records(&path).unwrap_err().to_string();
    assert!(
        message.contains("results.jsonl: starts with a UTF-8 byte-order mark")
            && message.contains("remove those 3 bytes")
            && !message.contains("column 1"),
        "{message}"
    );
}

#[test]
fn corrupt_middle_line_names_file_and_line() {
    let path = scratch!("corrupt").join("results.jsonl");
    let good = serde_json::to_string(&stored("dmpo", 1, 0)).unwrap();
    fs::write(
        &path,
        format!("{good}\n\n{{\"schema\": {SCHEMA_VERSION}, \"id\": 3}}\n{good}\n"),
    )
    .unwrap();
    let err = read_records(&path).unwrap_err();
    assert!(matches!(err, StoreError::Parse { line: 3, .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("results.jsonl:3"), "{message}");
    assert!(message.contains("remove or repair"), "{message}");
}

#[test]
fn non_finite_numbers_are_refused_before_writing() {
    let path = scratch!("nan").join("results.jsonl");
    let mut bad = stored("dmpo", 1, 0);
    bad.final_train_loss = f64::NAN;
    let mut store = ResultsStore::open(&path).unwrap();
    let err = store.append(&bad).unwrap_err();
    assert!(matches!(err, StoreError::Unreadable { .. }), "{err}");
    assert!(!store.contains(&bad.id));
    assert_eq!(fs::read(&path).unwrap(), b"");
}

#[test]
fn a_record_outside_its_domain_is_refused_on_read_naming_file_line_id_and_field() {
    let path = scratch!("invalid").join("results.jsonl");
    let good = stored("dmpo", 1, 0);
    let mut bad = serde_json::to_value(stored("dmpo", 1, 1)).unwrap();
    bad["timings"]["po_s"] = (-5.0).into();
    fs::write(
        &path,
        format!("{}\n{bad}\n", serde_json::to_string(&good).unwrap()),
    )
    .unwrap();
    for err in [
        read_records(&path).unwrap_err(),
        read_unique(std::slice::from_ref(&path)).unwrap_err(),
        ResultsStore::open(&path).unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::Invalid { line: 2, .. }), "{err}");
        let message = err.to_string();
        let id = bad["id"].as_str().unwrap();
        assert!(
            message.contains("results.jsonl:2")
                && message.contains(id)
                && message.contains("`timings.po_s` is -5"),
            "{message}"
        );
    }
}

#[test]
fn a_record_readers_would_refuse_is_not_appended() {
    let path = scratch!("refused").join("results.jsonl");
    let mut bad = stored("dmpo", 1, 0);
    bad.cell.k = 3;
    let mut store = ResultsStore::open(&path).unwrap();
    let err = store.append(&bad).unwrap_err();
    assert!(matches!(err, StoreError::Refused { .. }), "{err}");
    assert!(err.to_string().contains("`cell.k` is 3"), "{err}");
    assert!(!store.contains(&bad.id));
    assert_eq!(fs::read(&path).unwrap(), b"");
}

#[test]
fn missing_file_names_the_file() {
    let path = scratch!("missing").join("results.jsonl");
    let err = read_records(&path).unwrap_err();
    assert!(matches!(err, StoreError::Io { .. }), "{err}");
    assert!(err.to_string().contains("results.jsonl"), "{err}");
}

#[test]
fn merge_dedups_identical_records_and_refuses_different_ones_under_one_id() {
    let dir = scratch!("merge");
    let a = stored("dmpo", 5, 0);
    let b = stored("dmpo", 5, 1);
    let (first, second) = (dir.join("a.jsonl"), dir.join("b.jsonl"));
    write_records(&first, &[a.clone(), b.clone()]).unwrap();
    write_records(&second, std::slice::from_ref(&b)).unwrap();
    let merged = merge(&[first.clone(), second.clone()]).unwrap();
    assert_eq!(merged, vec![a.clone(), b.clone()]);

    let mut changed = b.clone();
    changed.timings.po_s *= 2.0;
    write_records(&second, &[changed]).unwrap();
    let err = merge(&[first, second]).unwrap_err().to_string();
    assert!(
        err.contains(&b.id) && err.contains("a.jsonl") && err.contains("b.jsonl"),
        "{err}"
    );
}

/// Runs of one SFT reference copy its block; an edit to one copy would move the report's SFT
/// line without any record failing on its own, so records read together must agree on it,
/// unless they ran on different CPU models, where the reference was trained again.
#[test]
fn records_sharing_an_sft_reference_must_agree_on_it_unless_trained_on_another_cpu() {
    let dir = scratch!("shared-reference");
    let with_curve = |method: &str, last_loss: f64| {
        let mut r = stored(method, 5, 0);
        r.sft.valid_hr_at_1 = vec![0.05, 0.07, r.sft.valid.hr_at_1];
        r.sft.train_loss = vec![3.0, 2.0, last_loss];
        r
    };
    let (a, b) = (with_curve("dmpo", 1.0), with_curve("sdpo", 1.0));
    let path = dir.join("results.jsonl");
    write_records(&path, &[a.clone(), b]).unwrap();
    assert_eq!(
        read_unique(std::slice::from_ref(&path))
            .unwrap()
            .records
            .len(),
        2
    );

    let edited = with_curve("sdpo", 1.0000001);
    write_records(&path, &[a.clone(), edited.clone()]).unwrap();
    let err = read_unique(std::slice::from_ref(&path))
        .unwrap_err()
        .to_string();
    for part in [
        "results.jsonl:1",
        "results.jsonl:2",
        "`sft.train_loss`",
        "one SFT reference",
    ] {
        assert!(err.contains(part), "{part}: {err}");
    }
    assert!(unique(&[a.clone(), edited.clone()]).is_err());

    let mut elsewhere = edited;
    elsewhere.environment.cpu_model = Some("Intel(R) Xeon(R) Processor".into());
    write_records(&path, &[a, elsewhere]).unwrap();
    assert_eq!(
        read_unique(std::slice::from_ref(&path))
            .unwrap()
            .records
            .len(),
        2
    );
}

#[test]
fn identical_copies_collapse_with_one_duplicate_per_id_and_conflicts_name_both_lines() {
    let dir = scratch!("unique");
    let a = stored("dmpo", 5, 0);
    let b = stored("dmpo", 5, 1);
    let path = dir.join("results.jsonl");
    write_records(&path, &[a.clone(), b.clone(), a.clone(), a.clone()]).unwrap();
    let read = read_unique(std::slice::from_ref(&path)).unwrap();
    assert_eq!(read.records, vec![a.clone(), b.clone()]);
    assert_eq!(
        read.duplicates,
        vec![Duplicate {
            id: a.id.clone(),
            copies: 3
        }]
    );
    let warning = read.duplicates[0].to_string();
    assert!(
        warning.contains(&a.id) && warning.contains("3 times"),
        "{warning}"
    );

    let input = [a.clone(), b.clone(), b.clone()];
    let in_memory = unique(&input).unwrap();
    assert_eq!(in_memory.records, vec![&a, &b]);
    assert_eq!(in_memory.duplicates.len(), 1);

    let mut changed = a.clone();
    changed.timings.po_s *= 2.0;
    write_records(&path, &[a.clone(), b.clone(), changed.clone()]).unwrap();
    let err = read_unique(&[path]).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&a.id)
            && message.contains("results.jsonl:1")
            && message.contains("results.jsonl:3"),
        "{message}"
    );
    let err = unique(&[a.clone(), changed]).unwrap_err().to_string();
    assert!(err.contains(&a.id) && err.contains("record 2"), "{err}");
}

/// The record format is a contract with every results.jsonl already on disk: reading a line
/// into `RunRecord` and writing it back gives the same bytes, so no field is dropped,
/// renamed or reordered unnoticed; and every record of a real run passes the reader's check.
#[test]
fn a_fixture_store_round_trips_byte_for_byte() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../reports/tests/fixtures/results.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.lines().count() > 10);
    assert_eq!(read_records(&path).unwrap().len(), text.lines().count());
    for (i, line) in text.lines().enumerate() {
        let record: prefbench_results::RunRecord = serde_json::from_str(line).unwrap();
        assert_eq!(
            serde_json::to_string(&record).unwrap(),
            line,
            "line {}",
            i + 1
        );
    }
}
