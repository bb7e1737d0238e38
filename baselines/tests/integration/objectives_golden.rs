//! Every case and method of the public golden file through the library, in f64 and f32, plus
//! the evaluator's own contract (its output is a golden file; malformed files name the field).

use std::path::PathBuf;

use crate::support::golden_path;
use prefbench_baselines::golden::{evaluate, GoldenError, Tolerance};
use tch::{Device, Kind};

fn check(kind: Kind, device: Device) {
    let evaluation = evaluate(&golden_path(), kind, device).unwrap();
    let summary = evaluation.check();
    println!("{kind:?} on {device:?}: {summary}");
    let mismatches: Vec<String> = summary
        .mismatches
        .iter()
        .take(20)
        .map(|m| m.to_string())
        .collect();
    assert!(summary.passed(), "{summary}\n{}", mismatches.join("\n"));
    assert_eq!(summary.cases, 144);
    let methods: usize = evaluation.cases.iter().map(|c| c.methods.len()).sum();
    assert_eq!(
        methods,
        144 * 6 + 12,
        "every method of every case is computed"
    );
}

#[test]
fn golden_f64_cpu_matches() {
    check(Kind::Double, Device::Cpu);
}

#[test]
fn golden_f32_cpu_matches() {
    check(Kind::Float, Device::Cpu);
}

#[cfg(feature = "cuda-tests")]
#[test]
fn golden_cuda_matches() {
    check(Kind::Double, Device::Cuda(0));
    check(Kind::Float, Device::Cuda(0));
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "prefbench-objectives-{}-{name}.json",
        std::process::id()
    ));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn output_is_a_golden_file_that_checks_against_itself() {
    let evaluation = evaluate(&golden_path(), Kind::Double, Device::Cpu).unwrap();
    let path = temp_file(
        "roundtrip",
        &serde_json::to_string(&evaluation.to_file()).unwrap(),
    );
    let again = evaluate(&path, Kind::Double, Device::Cpu).unwrap().check();
    std::fs::remove_file(&path).unwrap();
    assert!(again.passed());
    assert_eq!(again.worst_error, 0.0, "CPU results are deterministic");
}

#[test]
fn a_case_without_expected_values_gets_every_valid_method() {
    let text = r#"{"format": "prefbench golden loss vectors v1", "cases": [{"id": "bare",
        "input": {"beta": 1.0, "policy_chosen": [-1.0], "policy_rejected": [[-2.0, -3.0]],
        "reference_chosen": [-1.0], "reference_rejected": [[-2.0, -2.0]]}}]}"#;
    let path = temp_file("bare", text);
    let evaluation = evaluate(&path, Kind::Double, Device::Cpu).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        evaluation.cases[0].methods.len(),
        12,
        "all methods but dpo at K = 2"
    );
    assert_eq!(evaluation.check().values, 0);
}

fn error_of(name: &str, text: &str) -> String {
    let path = temp_file(name, text);
    let error: GoldenError = evaluate(&path, Kind::Double, Device::Cpu).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    message
}

#[test]
fn malformed_files_name_the_case_and_field() {
    let case = |input: &str, expected: &str| {
        format!(
            r#"{{"format": "prefbench golden loss vectors v1", "cases": [{{"id": "c7",
            "input": {input}, "expected": {expected}}}]}}"#
        )
    };
    let good = r#"{"beta": 1.0, "policy_chosen": [-1.0, -1.0],
        "policy_rejected": [[-2.0, -3.0], [-2.0, -3.0]], "reference_chosen": [-1.0, -1.0],
        "reference_rejected": [[-2.0, -2.0], [-2.0, -2.0]]}"#;
    let ragged = good.replacen("[[-2.0, -3.0], [-2.0, -3.0]]", "[[-2.0, -3.0], [-2.0]]", 1);
    let wrong_type = good.replacen("\"beta\": 1.0", "\"beta\": \"one\"", 1);

    assert!(error_of("json", "{").contains("not valid JSON"));
    assert!(error_of("format", r#"{"format": "v0", "cases": []}"#).contains("format is \"v0\""));
    let message = error_of("ragged", &case(&ragged, "{}"));
    assert!(
        message.contains("case c7: input.policy_rejected"),
        "{message}"
    );
    let message = error_of("type", &case(&wrong_type, "{}"));
    assert!(message.contains("case c7: input.beta"), "{message}");
    let message = error_of("method", &case(good, r#"{"dpo2": {}}"#));
    assert!(
        message.contains("case c7: expected.dpo2: unknown objective"),
        "{message}"
    );
    let message = error_of("values", &case(good, r#"{"dmpo": {"losses": [1.0]}}"#));
    assert!(message.contains("case c7: expected.dmpo"), "{message}");
    let message = error_of(
        "dpo",
        &case(
            good,
            r#"{"dpo": {"losses": [], "grad_policy_chosen": [], "grad_policy_rejected": []}}"#,
        ),
    );
    assert!(
        message.contains("case c7: method dpo: dpo needs exactly one negative"),
        "{message}"
    );
}

#[test]
fn tolerance_is_absolute_or_relative() {
    let f64_tol = Tolerance::for_kind(Kind::Double);
    assert!(f64_tol.error(1e-10, 0.0) <= f64_tol.relative);
    assert!(f64_tol.error(2e-9, 0.0) > f64_tol.relative);
    assert!(f64_tol.error(1.0 + 5e-8, 1.0) <= f64_tol.relative);
    assert!(f64_tol.error(1.0 + 5e-7, 1.0) > f64_tol.relative);
    assert!(f64_tol.error(f64::NAN, 1.0).is_infinite());
    let f32_tol = Tolerance::for_kind(Kind::Float);
    assert!(f32_tol.error(1.00005, 1.0) <= f32_tol.relative);
    assert!(f32_tol.error(1.0002, 1.0) > f32_tol.relative);
}
