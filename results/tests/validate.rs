//! The check every reader applies to a record (`prefbench_results::validate`): a real record
//! passes, its id is the stored one, and each kind of damage found by fault probes is refused
//! naming the field.

use prefbench_results::setting::canonical_hash;
use prefbench_results::{validate, RunRecord};
use serde_json::{json, Value};

/// The test kit's stored record as written by `prefbench run` (prefbench 0.1.0, schema 2).
fn genuine() -> Value {
    serde_json::from_str(prefbench_testkit::STORED_RECORD).unwrap()
}

/// An edit of a record's JSON.
type Edit = fn(&mut Value);

fn check(value: Value) -> Result<(), prefbench_results::InvalidRecord> {
    let record: RunRecord = serde_json::from_value(value).expect("still a well-formed record");
    validate(&record)
}

/// The ids already stored stay the ids: the function that assigns them is the one readers
/// recompute them with, and it still gives this stored record's id.
#[test]
fn a_stored_record_passes_and_its_id_is_the_hash_of_its_spec() {
    const STORED: &str = "30418ce12ec5da912262a82ca4fc9063c1cb3d7a7a50919c426764250cf1cad3";
    let record = genuine();
    assert_eq!(record["id"], STORED);
    assert_eq!(canonical_hash(&record["spec"]), STORED);
    check(record).unwrap();
    validate(&prefbench_testkit::stored("dynamicpo-sdpo", 19, 3)).unwrap();
}

#[test]
fn each_kind_of_damage_is_refused_naming_the_field() {
    let cases: [(&str, Edit, &str, &str); 41] = [
        (
            "HR@1 of 1e308",
            |r| r["test"]["hr_at_1"] = json!(1e308),
            "test.hr_at_1",
            "outside [0, 1]",
        ),
        (
            "HR@1 of -1",
            |r| r["test"]["hr_at_1"] = json!(-1.0),
            "test.hr_at_1",
            "outside",
        ),
        (
            "HR@1 of 5",
            |r| r["valid"]["hr_at_1"] = json!(5.0),
            "valid.hr_at_1",
            "outside",
        ),
        (
            "no samples",
            |r| r["test"]["samples"] = json!(0),
            "test.samples",
            "is 0",
        ),
        (
            "HR@1 that is no count of hits",
            |r| r["test"]["hr_at_1"] = json!(0.1),
            "test.hr_at_1",
            "whole number of hits",
        ),
        (
            "NDCG@5 below HR@1",
            |r| r["test"]["ndcg_at_5"] = json!(0.0),
            "test.ndcg_at_5",
            "outside [0.211868, 0.284663], what HR@1",
        ),
        (
            "NDCG@5 between HR@1 and HR@5 but above what the hits allow",
            |r| r["test"]["ndcg_at_5"] = r["test"]["hr_at_5"].clone(),
            "test.ndcg_at_5",
            "every hit at rank 2 to 5 scoring 1/log2(6) to 1/log2(3)",
        ),
        (
            "a selection share on a method without selection",
            |r| r["timings"]["selection_share"] = json!(0.25),
            "timings.selection_share",
            "is 0.25, but dmpo selects no boundary",
        ),
        (
            "an SFT kept epoch that its curve does not give",
            |r| with_sft_curve(r, [0.05, 0.07, 0.08771929824561403], 2),
            "sft.kept_epoch",
            "is 2 but its curve's kept epoch, the last epoch that ran (spec.sft.patience is 0), is 3",
        ),
        (
            "an SFT validation HR@1 that is not its kept epoch's",
            |r| with_sft_curve(r, [0.05, 0.07, 0.09], 3),
            "sft.valid.hr_at_1",
            "holds 0.09 at the kept epoch 3",
        ),
        (
            "a test HR@1 that is not the selected epoch's",
            |r| r["test"]["hr_at_1"] = json!(0.0),
            "test",
            "differs from epochs[0].test",
        ),
        (
            "a damaged epoch",
            |r| r["epochs"][0]["valid"]["hr_at_5"] = json!(2.0),
            "epochs[0].valid.hr_at_5",
            "outside",
        ),
        (
            "K of 0",
            |r| r["cell"]["k"] = json!(0),
            "cell.k",
            "is 0; K is 1 to 19",
        ),
        (
            "K of 10^12",
            |r| r["cell"]["k"] = json!(1_000_000_000_000u64),
            "cell.k",
            "K is 1 to 19",
        ),
        (
            "cell.k disagreeing with spec.k",
            |r| r["cell"]["k"] = json!(5),
            "cell.k",
            "is 5 but spec.k is 1",
        ),
        (
            "DPO at K > 1",
            |r| {
                r["cell"]["method"] = json!("dpo");
                r["cell"]["k"] = json!(3)
            },
            "cell.k",
            "dpo needs exactly one negative",
        ),
        (
            "another method in the cell",
            |r| r["cell"]["method"] = json!("sdpo"),
            "cell.method",
            "is \"sdpo\" but spec.method is \"dmpo\"",
        ),
        (
            "another dataset in the cell",
            |r| r["cell"]["dataset"] = json!("steam"),
            "cell.dataset",
            "spec.dataset is \"synthetic\"",
        ),
        (
            "a dataset name that is a path",
            |r| r["cell"]["dataset"] = json!("../x"),
            "cell.dataset",
            "not a plain name",
        ),
        (
            "another seed",
            |r| r["seed"] = json!(1),
            "seed",
            "is 1 but spec.seed is 0",
        ),
        (
            "another version",
            |r| r["prefbench_version"] = json!("9.9.9"),
            "prefbench_version",
            "spec.prefbench is \"0.1.0\"",
        ),
        (
            "an id that is no run id",
            |r| r["id"] = json!("abc"),
            "id",
            "not a run id",
        ),
        (
            "an id of another spec",
            |r| r["id"] = json!("0".repeat(64)),
            "id",
            "spec hashes to 30418ce1",
        ),
        (
            "an edited spec",
            |r| r["spec"]["po"]["lr"] = json!(0.1),
            "id",
            "the spec or the id was changed",
        ),
        (
            "a spec without its policy, with its id recomputed",
            |r| {
                r["spec"].as_object_mut().unwrap().remove("model");
                r["id"] = json!(canonical_hash(&r["spec"]))
            },
            "spec",
            "missing field `model`",
        ),
        (
            "selected epoch 0",
            |r| r["selected_epoch"] = json!(0),
            "selected_epoch",
            "epoch 1 has the best validation HR@1",
        ),
        (
            "selected epoch 99",
            |r| r["selected_epoch"] = json!(99),
            "selected_epoch",
            "is 99",
        ),
        (
            "a last loss that is not the last epoch's",
            |r| r["final_train_loss"] = json!(0.5),
            "final_train_loss",
            "last epoch's train_loss",
        ),
        (
            "PO seconds of -5",
            |r| r["timings"]["po_s"] = json!(-5.0),
            "timings.po_s",
            "is -5.0, outside",
        ),
        (
            "PO seconds of 1e308",
            |r| r["timings"]["po_s"] = json!(1e308),
            "timings.po_s",
            "outside",
        ),
        (
            "PO steps longer than PO",
            |r| r["timings"]["po_steps_s"] = json!(1e6),
            "timings.po_steps_s",
            "outside",
        ),
        (
            "a test evaluation longer than evaluation",
            |r| r["timings"]["eval_test_s"] = json!(1e6),
            "timings.eval_test_s",
            "outside",
        ),
        (
            "data preparation of -1 s",
            |r| r["timings"]["data_s"] = json!(-1.0),
            "timings.data_s",
            "is -1.0, outside",
        ),
        (
            "a stack of one",
            |r| r["timings"]["stack_members"] = json!(1),
            "timings.stack_members",
            "trained alone",
        ),
        (
            "no epochs",
            |r| r["epochs"] = json!([]),
            "epochs",
            "holds 0 epochs but spec.po.epochs is 1",
        ),
        ("no curve", |r| r["curve"] = json!([]), "curve", "is empty"),
        (
            "a boundary larger than K",
            |r| r["curve"][0]["boundary_size"] = json!(2.0),
            "curve[0].boundary_size",
            "outside [0, 1]",
        ),
        ("no threads", |r| r["threads"] = json!(0), "threads", "is 0"),
        (
            "a PO window in a record of schema 2",
            |r| r["timings"]["po_window"] = window(10.0, 20.0),
            "timings.po_window",
            "kept by schema 4 on",
        ),
        (
            "a record of schema 4 without its PO window",
            |r| r["schema"] = json!(4),
            "timings.po_window",
            "is missing",
        ),
        (
            "a PO window that ends before it starts",
            |r| {
                r["schema"] = json!(4);
                r["timings"]["po_window"] = window(20.0, 10.0);
            },
            "timings.po_window.finished_unix_s",
            "before started_unix_s",
        ),
    ];
    for (what, edit, field, problem) in cases {
        let mut record = genuine();
        edit(&mut record);
        let err = check(record).expect_err(what);
        assert_eq!(err.field, field, "{what}: {err}");
        assert!(err.problem.contains(problem), "{what}: {err}");
    }
}

/// A PO window on one machine from `start` to `end` seconds after 2025-12-06 05:46:40 UTC.
fn window(start: f64, end: f64) -> Value {
    json!({ "machine": "boot-id", "process": 7, "started_unix_s": 1_765_000_000.0 + start,
            "finished_unix_s": 1_765_000_000.0 + end })
}

/// `record`'s SFT block with a curve of three epochs (it has none: it predates them) and
/// `kept` as its kept epoch.
fn with_sft_curve(record: &mut Value, valid_hr_at_1: [f64; 3], kept: usize) {
    record["sft"]["valid_hr_at_1"] = json!(valid_hr_at_1);
    record["sft"]["train_loss"] = json!([3.0, 2.0, 1.0]);
    record["sft"]["kept_epoch"] = json!(kept);
}

/// The kept epoch's rule, both ways: the last epoch without early stopping, the first best one
/// with it (ties to the earliest), and the block's validation HR@1 is that epoch's.
#[test]
fn an_sft_curve_that_gives_its_kept_epoch_passes_with_and_without_early_stopping() {
    let hr = 0.08771929824561403;
    let mut record = genuine();
    with_sft_curve(&mut record, [0.05, 0.07, hr], 3);
    check(record.clone()).unwrap();
    record["spec"]["sft"]["patience"] = json!(1);
    record["id"] = json!(canonical_hash(&record["spec"]));
    with_sft_curve(&mut record, [0.05, hr, hr], 2);
    check(record.clone()).unwrap();
    with_sft_curve(&mut record, [0.05, hr, hr], 3);
    let err = check(record).unwrap_err();
    assert_eq!(err.field, "sft.kept_epoch", "{err}");
    assert!(
        err.problem
            .contains("the first epoch of best validation HR@1"),
        "{err}"
    );
}

/// The record schema closes its objects (`additionalProperties: false`), and so does the
/// reader: a field it does not know is refused where it stands, not read and then dropped by
/// a merge.
#[test]
fn a_field_the_schema_does_not_know_is_refused_at_every_closed_level() {
    let places: [(&str, Edit); 6] = [
        ("the record", |r| r["note"] = json!("x")),
        ("cell", |r| r["cell"]["note"] = json!("x")),
        ("sft", |r| r["sft"]["note"] = json!("x")),
        ("test metrics", |r| r["test"]["note"] = json!("x")),
        ("an epoch", |r| r["epochs"][0]["note"] = json!("x")),
        ("timings", |r| r["timings"]["note"] = json!("x")),
    ];
    for (place, edit) in places {
        let mut record = genuine();
        edit(&mut record);
        let err = serde_json::from_value::<RunRecord>(record).expect_err(place);
        assert!(
            err.to_string().contains("unknown field `note`"),
            "{place}: {err}"
        );
    }
}

/// Datasets are open-ended (a recipe added later, a private one): a name the registry does not
/// know is a record all the same, as long as the spec and the id agree with it.
#[test]
fn a_dataset_unknown_to_the_registry_is_accepted_when_the_spec_agrees() {
    let mut record = genuine();
    record["cell"]["dataset"] = json!("my-private-set");
    record["spec"]["dataset"] = json!("my-private-set");
    record["id"] = json!(canonical_hash(&record["spec"]));
    check(record).unwrap();
}
