//! Golden-vector evaluation behind `prefbench loss eval`: reads the format of
//! `baselines/tests/fixtures/losses-public.json` ([`GoldenFile`]), computes every method a
//! case names (losses, gradients of the batch-mean loss, boundary, β_b) and compares with the
//! expected values, so anyone can cross-check another implementation against ours and ours
//! against the official formulas.
mod check;
mod file;
mod tensors;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use prefbench_vocabulary::Method;
use tch::{Device, Kind};

use crate::objectives::ObjectiveError;
use tensors::{InputTensors, RunError};

pub use check::{CheckSummary, Mismatch, Tolerance};
pub use file::{
    GoldenCase, GoldenFile, GoldenInput, MethodValues, FORMAT, MAX_CUT_SCORES, MAX_NEGATIVES,
};

/// One method evaluated on one case.
#[derive(Clone, Debug)]
pub struct MethodEvaluation {
    /// The objective.
    pub method: Method,
    /// What prefbench computed.
    pub computed: MethodValues,
    /// What the file expects, if it says.
    pub expected: Option<MethodValues>,
}

/// One case evaluated.
#[derive(Clone, Debug)]
pub struct CaseEvaluation {
    /// The case id of the file.
    pub id: String,
    /// The inputs, as read.
    pub input: GoldenInput,
    /// One entry per method, in the file's order.
    pub methods: Vec<MethodEvaluation>,
}

/// A whole file evaluated in one dtype on one device.
#[derive(Clone, Debug)]
pub struct GoldenEvaluation {
    /// The file read.
    pub path: PathBuf,
    /// The float kind the objectives ran in.
    pub kind: Kind,
    /// The device they ran on.
    pub device: Device,
    /// Every case, in the file's order.
    pub cases: Vec<CaseEvaluation>,
}

/// Why a golden file cannot be evaluated; each names the file and, where it applies, the case
/// and field.
#[derive(Debug, thiserror::Error)]
pub enum GoldenError {
    /// The file cannot be read.
    #[error("cannot read golden file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("golden file {path} is not valid JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parse error, with line and column.
        source: serde_json::Error,
    },
    /// The `format` key is missing or names another format.
    #[error("golden file {path}: format is {found}, expected \"{FORMAT}\"")]
    Format {
        /// The file.
        path: PathBuf,
        /// What the file says.
        found: String,
    },
    /// A case or one of its fields is malformed.
    #[error("golden file {path}: case {case}: {field}: {reason}")]
    Case {
        /// The file.
        path: PathBuf,
        /// The case id (or `#index` when it has none).
        case: String,
        /// The field, e.g. `input.policy_rejected` or `expected.dmpo`.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// An objective rejected a case's inputs.
    #[error("golden file {path}: case {case}: method {method}: {source}")]
    Objective {
        /// The file.
        path: PathBuf,
        /// The case id.
        case: String,
        /// The method.
        method: Method,
        /// The objective's error.
        source: ObjectiveError,
    },
    /// libtorch failed on a case's tensors.
    #[error("golden file {path}: case {case}: libtorch: {source}")]
    Torch {
        /// The file.
        path: PathBuf,
        /// The case id.
        case: String,
        /// libtorch's error.
        source: tch::TchError,
    },
}

/// Reads `path`, computes every method each case names (every method valid for its K when it
/// names none) in `kind` on `device`, with the official M = 6 and tanh scale 0.5.
pub fn evaluate(path: &Path, kind: Kind, device: Device) -> Result<GoldenEvaluation, GoldenError> {
    let text = std::fs::read_to_string(path).map_err(|source| GoldenError::Io {
        path: path.to_owned(),
        source,
    })?;
    evaluate_text(path, &text, kind, device)
}

/// [`evaluate`] on the text of a golden file already read; `path` names it in errors.
pub fn evaluate_text(
    path: &Path,
    text: &str,
    kind: Kind,
    device: Device,
) -> Result<GoldenEvaluation, GoldenError> {
    let file = GoldenFile::parse(path, text)?;
    let cases = file
        .cases
        .into_iter()
        .enumerate()
        .map(|(index, case)| evaluate_case(path, index, case, kind, device))
        .collect::<Result<_, _>>()?;
    Ok(GoldenEvaluation {
        path: path.to_owned(),
        kind,
        device,
        cases,
    })
}

fn evaluate_case(
    path: &Path,
    index: usize,
    case: GoldenCase,
    kind: Kind,
    device: Device,
) -> Result<CaseEvaluation, GoldenError> {
    let id = case.id_or(index);
    let k = case.input.policy_rejected[0].len();
    let expected: Vec<(Method, Option<MethodValues>)> = match case.expected {
        // Every method defined at K whose loss the inputs determine: the random-subset
        // control draws its subset from libtorch's generator, so it has no golden values.
        None => Method::ALL
            .into_iter()
            .filter(|m| m.validate_k(k as i64).is_ok() && !m.is_random())
            .map(|m| (m, None))
            .collect(),
        Some(methods) => methods.into_iter().map(|(m, v)| (m, Some(v))).collect(),
    };
    let torch_error = |source| GoldenError::Torch {
        path: path.to_owned(),
        case: id.clone(),
        source,
    };
    let input = case.input;
    let tensors = InputTensors::new(&input, kind, device).map_err(torch_error)?;
    let methods = expected
        .into_iter()
        .map(|(method, expected)| {
            let computed = tensors.run(method, input.beta).map_err(|e| match e {
                RunError::Objective(source) => GoldenError::Objective {
                    path: path.to_owned(),
                    case: id.clone(),
                    method,
                    source,
                },
                RunError::Torch(source) => torch_error(source),
            })?;
            Ok(MethodEvaluation {
                method,
                computed,
                expected,
            })
        })
        .collect::<Result<_, GoldenError>>()?;
    Ok(CaseEvaluation { id, input, methods })
}

impl GoldenEvaluation {
    /// The computed values as a file of the same format (`expected` holds what prefbench
    /// computed), so the output of one implementation can be checked against another's.
    pub fn to_file(&self) -> GoldenFile {
        let cases = self
            .cases
            .iter()
            .map(|case| {
                let expected: BTreeMap<Method, MethodValues> = case
                    .methods
                    .iter()
                    .map(|m| (m.method, m.computed.clone()))
                    .collect();
                GoldenCase {
                    id: Some(case.id.clone()),
                    k: Some(case.input.policy_rejected.first().map_or(0, Vec::len)),
                    input: case.input.clone(),
                    expected: Some(expected),
                }
            })
            .collect();
        GoldenFile {
            format: FORMAT.into(),
            about: Some(format!(
                "Computed by prefbench {} in {} on {:?} from {}; `expected` holds the computed values.",
                env!("CARGO_PKG_VERSION"),
                dtype_name(self.kind),
                self.device,
                self.path.display()
            )),
            cases,
        }
    }
}

/// "f32" or "f64", the CLI's names.
pub fn dtype_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Float => "f32",
        _ => "f64",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn eval(text: &str) -> Result<GoldenEvaluation, GoldenError> {
        evaluate_text(Path::new("prop.json"), text, Kind::Double, Device::Cpu)
    }

    /// A file of one case with these inputs (JSON text) and no expected values.
    fn one_case(chosen: &str, rejected: &str) -> String {
        format!(
            r#"{{"format": "{FORMAT}", "cases": [{{"id": "c1", "input": {{"beta": 1.0,
            "policy_chosen": {chosen}, "policy_rejected": {rejected},
            "reference_chosen": {chosen}, "reference_rejected": {rejected}}}}}]}}"#
        )
    }

    fn rows(b: usize, k: usize) -> (String, String) {
        let chosen = serde_json::to_string(&vec![-1.0; b]).unwrap();
        let row: Vec<f64> = (0..k).map(|j| -2.0 - j as f64 / k as f64).collect();
        (chosen, serde_json::to_string(&vec![row; b]).unwrap())
    }

    #[test]
    fn no_negatives_name_the_field_instead_of_panicking() {
        let cases = [
            ("[-1.0]", "[]", "has no rows"),
            ("[-1.0]", "[[]]", "row 0 is empty"),
            ("[-1.0, -1.0]", "[[], [-2.0]]", "row 0 is empty"),
            ("[-1.0, -1.0]", "[[-2.0], []]", "is not a [2][1] array"),
        ];
        for (chosen, rejected, reason) in cases {
            let message = eval(&one_case(chosen, rejected)).unwrap_err().to_string();
            assert!(
                message.contains("case c1: input.policy_rejected") && message.contains(reason),
                "{rejected}: {message}"
            );
        }
    }

    #[test]
    fn k_and_the_k_means_grid_are_bounded() {
        let (chosen, rejected) = rows(1, MAX_NEGATIVES + 1);
        let message = eval(&one_case(&chosen, &rejected)).unwrap_err().to_string();
        assert!(
            message.contains("more than the 1024 supported"),
            "{message}"
        );
        let (chosen, rejected) = rows(17, MAX_NEGATIVES);
        let message = eval(&one_case(&chosen, &rejected)).unwrap_err().to_string();
        assert!(message.contains("split the case"), "{message}");
        // The largest K itself evaluates (one sample: about a million cut scores).
        let (chosen, rejected) = rows(1, MAX_NEGATIVES);
        let evaluation = eval(&one_case(&chosen, &rejected)).unwrap();
        assert_eq!(evaluation.cases[0].methods.len(), 12);
    }

    #[test]
    fn checking_nothing_is_not_a_pass() {
        let evaluation = eval(&one_case("[-1.0]", "[[-2.0, -3.0]]")).unwrap();
        let summary = evaluation.check();
        assert_eq!((summary.values, summary.mismatches.len()), (0, 0));
        assert!(!summary.passed(), "0 values compared");
        assert_eq!(summary.unchecked_cases, ["c1"]);
        let empty = eval(&format!(r#"{{"format": "{FORMAT}", "cases": []}}"#)).unwrap();
        assert!(!empty.check().passed());
        // Its own output has expected values, and passes.
        let again = eval(&serde_json::to_string(&evaluation.to_file()).unwrap())
            .unwrap()
            .check();
        assert!(again.passed() && again.values > 0 && again.unchecked_cases.is_empty());
    }

    const KEYS: &[&str] = &[
        "format",
        "cases",
        "id",
        "k",
        "input",
        "expected",
        "beta",
        "policy_chosen",
        "policy_rejected",
        "reference_chosen",
        "reference_rejected",
        "losses",
        "grad_policy_chosen",
        "grad_policy_rejected",
        "boundary",
        "boundary_betas",
        "dpo",
        "dmpo",
        "dynamicpo-sdpo",
        "mppo",
        FORMAT,
    ];

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            prop::sample::select(KEYS).prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(KEYS), inner), 0..5).prop_map(|kv| {
                    Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
                }),
            ]
        })
    }

    fn number() -> impl Strategy<Value = f64> {
        prop_oneof![
            -20.0f64..5.0,
            Just(0.0),
            Just(-0.0),
            Just(1e300),
            Just(-1e300),
            Just(f64::MIN_POSITIVE),
        ]
    }

    fn numbers(max: usize) -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(number(), 0..max)
    }

    fn matrix() -> impl Strategy<Value = Vec<Vec<f64>>> {
        prop::collection::vec(numbers(6), 0..4)
    }

    /// Expected values of plausible and implausible shapes, under real and unknown names.
    fn expected() -> impl Strategy<Value = Option<Value>> {
        let names: Vec<String> = Method::ALL
            .iter()
            .map(ToString::to_string)
            .chain(["dpo2".to_string()])
            .collect();
        let values = (
            numbers(4),
            numbers(4),
            matrix(),
            prop::option::of(prop::collection::vec(
                prop::collection::vec(any::<bool>(), 0..6),
                0..4,
            )),
            prop::option::of(matrix()),
        )
            .prop_map(|(losses, chosen, rejected, boundary, betas)| {
                let mut m = serde_json::json!({
                    "losses": losses,
                    "grad_policy_chosen": chosen,
                    "grad_policy_rejected": rejected,
                });
                if let Some(b) = boundary {
                    m["boundary"] = b.into();
                }
                if let Some(b) = betas {
                    m["boundary_betas"] = b.into();
                }
                m
            });
        prop::option::of(prop::collection::vec(
            (prop::sample::select(names), values),
            0..3,
        ))
        .prop_map(|v| v.map(|pairs| Value::Object(pairs.into_iter().collect())))
    }

    /// `[b]` and `[b][k]` inputs, or with `ragged` arbitrary lengths instead.
    fn inputs(b: usize, k: usize, ragged: bool) -> BoxedStrategy<(Vec<f64>, Vec<Vec<f64>>)> {
        if ragged {
            (numbers(4), matrix()).boxed()
        } else {
            (
                prop::collection::vec(number(), b),
                prop::collection::vec(prop::collection::vec(number(), k), b),
            )
                .boxed()
        }
    }

    /// Cases in the file's format: consistent shapes (B in 1..4, K in 1..8) with arbitrary
    /// values, or ragged ones; declared K right, wrong or absent; expected values of any shape.
    fn golden_file() -> impl Strategy<Value = String> {
        let ragged = || prop::bool::weighted(0.2);
        let beta = prop_oneof![3 => 0.01f64..10.0, 1 => number()].boxed();
        let case = (1usize..4, 1usize..8, ragged(), ragged())
            .prop_flat_map(move |(b, k, ragged_policy, ragged_reference)| {
                (
                    beta.clone(),
                    inputs(b, k, ragged_policy),
                    inputs(b, k, ragged_reference),
                    prop::option::of(prop_oneof![Just(k as u64), 0u64..8]),
                    expected(),
                )
            })
            .prop_map(|(beta, (pc, pr), (rc, rr), k, expected)| {
                let mut case = serde_json::json!({
                    "id": "p",
                    "input": {
                        "beta": beta,
                        "policy_chosen": pc,
                        "policy_rejected": pr,
                        "reference_chosen": rc,
                        "reference_rejected": rr,
                    },
                });
                if let Some(k) = k {
                    case["k"] = k.into();
                }
                if let Some(e) = expected {
                    case["expected"] = e;
                }
                case
            });
        prop::collection::vec(case, 0..3)
            .prop_map(|cases| serde_json::json!({"format": FORMAT, "cases": cases}).to_string())
    }

    /// Evaluating, checking and writing back never panic; a file that evaluates writes one
    /// that evaluates again.
    fn never_panics(text: &str) {
        if let Ok(evaluation) = eval(text) {
            let _ = evaluation.check().to_string();
            let out = serde_json::to_string(&evaluation.to_file()).unwrap();
            let finite = |m: &MethodValues| {
                m.losses
                    .iter()
                    .chain(&m.grad_policy_chosen)
                    .chain(m.grad_policy_rejected.iter().flatten())
                    .chain(m.boundary_betas.iter().flatten().flatten())
                    .all(|x| x.is_finite())
            };
            if evaluation
                .cases
                .iter()
                .all(|c| c.methods.iter().all(|m| finite(&m.computed)))
            {
                assert!(eval(&out).is_ok(), "{out}");
            }
        }
    }

    /// The case strategy is not vacuous: some of its files evaluate, methods and all.
    #[test]
    fn the_case_strategy_reaches_the_objectives() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = golden_file();
        let evaluated = (0..64)
            .filter(|_| {
                let text = strategy.new_tree(&mut runner).unwrap().current();
                eval(&text).is_ok_and(|e| e.cases.iter().any(|c| !c.methods.is_empty()))
            })
            .count();
        assert!(evaluated >= 4, "{evaluated} of 64");
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 128,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn arbitrary_text_never_panics(text in any::<String>()) {
            never_panics(&text);
        }

        #[test]
        fn arbitrary_json_never_panics(value in json()) {
            never_panics(&value.to_string());
        }

        #[test]
        fn arbitrary_json_under_the_format_never_panics(cases in json()) {
            never_panics(&serde_json::json!({"format": FORMAT, "cases": cases}).to_string());
        }

        #[test]
        fn arbitrary_cases_never_panic(text in golden_file()) {
            never_panics(&text);
        }
    }
}
