//! Golden-vector evaluation behind `prefbench loss eval`: reads the format of
//! `baselines/tests/fixtures/losses-public.json`, computes every method a case names (losses, gradients of
//! the batch-mean loss, boundary, β_b) and compares with the expected values, so anyone can
//! cross-check another implementation against ours and ours against the official formulas.
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tch::{Device, Kind, Tensor};

use crate::objectives::{Method, ObjectiveError, ObjectiveParams, PreferenceInputs};

/// The `format` string of the files this module reads and writes.
pub const FORMAT: &str = "prefbench golden loss vectors v1";

/// One case's inputs, as in the file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GoldenInput {
    /// The base β.
    pub beta: f64,
    /// ℓ_w per sample, `[B]`.
    pub policy_chosen: Vec<f64>,
    /// ℓ_j per sample and negative, `[B][K]`.
    pub policy_rejected: Vec<Vec<f64>>,
    /// Reference log-likelihood of the positive, `[B]`.
    pub reference_chosen: Vec<f64>,
    /// Reference log-likelihoods of the negatives, `[B][K]`.
    pub reference_rejected: Vec<Vec<f64>>,
}

/// One method's values for one case (expected in the file, or computed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MethodValues {
    /// Per-sample losses, `[B]`.
    pub losses: Vec<f64>,
    /// ∂(mean loss)/∂ℓ_w, `[B]`.
    pub grad_policy_chosen: Vec<f64>,
    /// ∂(mean loss)/∂ℓ_j, `[B][K]`.
    pub grad_policy_rejected: Vec<Vec<f64>>,
    /// The boundary mask, `[B][K]` (dynamic methods only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary: Option<Vec<Vec<bool>>>,
    /// β of each boundary negative, in order, `[B][|B_b|]` (dynamic methods only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary_betas: Option<Vec<Vec<f64>>>,
}

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
}

/// Reads `path`, computes every method each case names (every method valid for its K when it
/// names none) in `kind` on `device`, with the official M = 6 and tanh scale 0.5.
pub fn evaluate(path: &Path, kind: Kind, device: Device) -> Result<GoldenEvaluation, GoldenError> {
    let text = std::fs::read_to_string(path).map_err(|source| GoldenError::Io {
        path: path.to_owned(),
        source,
    })?;
    let root: Value = serde_json::from_str(&text).map_err(|source| GoldenError::Json {
        path: path.to_owned(),
        source,
    })?;
    match root.get("format") {
        Some(Value::String(format)) if format == FORMAT => {}
        found => {
            return Err(GoldenError::Format {
                path: path.to_owned(),
                found: found.map_or("missing".into(), Value::to_string),
            })
        }
    }
    let Some(Value::Array(cases)) = root.get("cases") else {
        return Err(case_error(path, "-", "cases", "missing or not an array"));
    };
    let cases = cases
        .iter()
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

fn case_error(path: &Path, case: &str, field: &str, reason: impl fmt::Display) -> GoldenError {
    GoldenError::Case {
        path: path.to_owned(),
        case: case.to_owned(),
        field: field.to_owned(),
        reason: reason.to_string(),
    }
}

/// Deserialises `value[key]`, naming `field` in the error.
fn field<T: DeserializeOwned>(
    path: &Path,
    case: &str,
    value: &Value,
    key: &str,
    field: &str,
) -> Result<T, GoldenError> {
    let found = value
        .get(key)
        .ok_or_else(|| case_error(path, case, field, "missing"))?;
    T::deserialize(found).map_err(|e| case_error(path, case, field, e))
}

fn evaluate_case(
    path: &Path,
    index: usize,
    case: &Value,
    kind: Kind,
    device: Device,
) -> Result<CaseEvaluation, GoldenError> {
    let id = match case.get("id") {
        Some(Value::String(id)) => id.clone(),
        _ => format!("#{index}"),
    };
    let raw_input = case
        .get("input")
        .ok_or_else(|| case_error(path, &id, "input", "missing"))?;
    let input = GoldenInput {
        beta: field(path, &id, raw_input, "beta", "input.beta")?,
        policy_chosen: field(path, &id, raw_input, "policy_chosen", "input.policy_chosen")?,
        policy_rejected: field(
            path,
            &id,
            raw_input,
            "policy_rejected",
            "input.policy_rejected",
        )?,
        reference_chosen: field(
            path,
            &id,
            raw_input,
            "reference_chosen",
            "input.reference_chosen",
        )?,
        reference_rejected: field(
            path,
            &id,
            raw_input,
            "reference_rejected",
            "input.reference_rejected",
        )?,
    };
    let k = check_shapes(&input).map_err(|(f, reason)| case_error(path, &id, f, reason))?;
    if let Some(declared) = case.get("k") {
        if declared.as_u64() != Some(k as u64) {
            return Err(case_error(
                path,
                &id,
                "k",
                format!("is {declared}, but the inputs have K = {k}"),
            ));
        }
    }
    let expected: Vec<(Method, Option<MethodValues>)> = match case.get("expected") {
        None => Method::ALL
            .into_iter()
            .filter(|m| m.validate_k(k as i64).is_ok())
            .map(|m| (m, None))
            .collect(),
        Some(Value::Object(methods)) => parse_expected(path, &id, methods)?,
        Some(_) => return Err(case_error(path, &id, "expected", "not an object")),
    };
    let tensors = InputTensors::new(&input, kind, device);
    let methods = expected
        .into_iter()
        .map(|(method, expected)| {
            let computed =
                tensors
                    .run(method, input.beta)
                    .map_err(|source| GoldenError::Objective {
                        path: path.to_owned(),
                        case: id.clone(),
                        method,
                        source,
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

fn parse_expected(
    path: &Path,
    id: &str,
    methods: &Map<String, Value>,
) -> Result<Vec<(Method, Option<MethodValues>)>, GoldenError> {
    methods
        .iter()
        .map(|(name, values)| {
            let field = format!("expected.{name}");
            let method = name.parse().map_err(|e| case_error(path, id, &field, e))?;
            let values =
                MethodValues::deserialize(values).map_err(|e| case_error(path, id, &field, e))?;
            Ok((method, Some(values)))
        })
        .collect()
}

/// Checks B ≥ 1, K ≥ 1, rectangular `[B][K]` rows and β > 0; returns K or the bad field.
fn check_shapes(input: &GoldenInput) -> Result<usize, (&'static str, String)> {
    let batch = input.policy_chosen.len();
    if batch == 0 {
        return Err(("input.policy_chosen", "empty batch".into()));
    }
    if !(input.beta.is_finite() && input.beta > 0.0) {
        return Err((
            "input.beta",
            format!("{} is not a positive number", input.beta),
        ));
    }
    let k = input.policy_rejected[0].len();
    if k == 0 {
        return Err(("input.policy_rejected", "no negatives (K = 0)".into()));
    }
    if input.reference_chosen.len() != batch {
        return Err((
            "input.reference_chosen",
            format!(
                "has {} entries, expected {batch}",
                input.reference_chosen.len()
            ),
        ));
    }
    for (name, rows) in [
        ("input.policy_rejected", &input.policy_rejected),
        ("input.reference_rejected", &input.reference_rejected),
    ] {
        if rows.len() != batch || rows.iter().any(|row| row.len() != k) {
            return Err((name, format!("is not a [{batch}][{k}] array")));
        }
    }
    Ok(k)
}

/// A case's inputs on the device, the policy tensors as fresh autograd leaves per method.
struct InputTensors {
    chosen: Tensor,
    rejected: Tensor,
    reference_chosen: Tensor,
    reference_rejected: Tensor,
}

impl InputTensors {
    fn new(input: &GoldenInput, kind: Kind, device: Device) -> Self {
        let vector = |v: &[f64]| Tensor::from_slice(v).to_kind(kind).to_device(device);
        let matrix = |rows: &[Vec<f64>]| vector(&rows.concat()).view([rows.len() as i64, -1]);
        Self {
            chosen: vector(&input.policy_chosen),
            rejected: matrix(&input.policy_rejected),
            reference_chosen: vector(&input.reference_chosen),
            reference_rejected: matrix(&input.reference_rejected),
        }
    }

    fn run(&self, method: Method, beta: f64) -> Result<MethodValues, ObjectiveError> {
        let chosen = self.chosen.detach().set_requires_grad(true);
        let rejected = self.rejected.detach().set_requires_grad(true);
        let inputs = PreferenceInputs {
            policy_chosen: &chosen,
            policy_rejected: &rejected,
            reference_chosen: &self.reference_chosen,
            reference_rejected: &self.reference_rejected,
        };
        let params = ObjectiveParams {
            beta,
            ..ObjectiveParams::default()
        };
        let output = method.compute(&params, &inputs)?;
        let grads = Tensor::run_backward(
            &[output.losses.mean(None)],
            &[&chosen, &rejected],
            false,
            false,
        );
        let boundary = output.boundary.as_ref().map(host_rows::<bool>);
        let boundary_betas =
            output
                .boundary_betas
                .as_ref()
                .zip(boundary.as_ref())
                .map(|(betas, mask)| {
                    host_rows::<f64>(betas)
                        .into_iter()
                        .zip(mask)
                        .map(|(row, keep)| {
                            row.into_iter()
                                .zip(keep)
                                .filter(|(_, &k)| k)
                                .map(|(b, _)| b)
                                .collect()
                        })
                        .collect()
                });
        Ok(MethodValues {
            losses: host_rows::<f64>(&output.losses.unsqueeze(0)).remove(0),
            grad_policy_chosen: host_rows::<f64>(&grads[0].unsqueeze(0)).remove(0),
            grad_policy_rejected: host_rows(&grads[1]),
            boundary,
            boundary_betas,
        })
    }
}

/// Copies a `[R, C]` tensor to host rows.
fn host_rows<T: tch::kind::Element + Copy>(t: &Tensor) -> Vec<Vec<T>> {
    Vec::<Vec<T>>::try_from(t.detach().to_kind(T::KIND).to_device(Device::Cpu))
        .expect("a 2-D tensor converts to rows")
}

impl GoldenEvaluation {
    /// The computed values as a file of the same format (`expected` holds what prefbench
    /// computed), so the output of one implementation can be checked against another's.
    pub fn to_json(&self) -> Value {
        let cases: Vec<Value> = self
            .cases
            .iter()
            .map(|case| {
                let methods: Map<String, Value> = case
                    .methods
                    .iter()
                    .map(|m| {
                        (
                            m.method.to_string(),
                            serde_json::to_value(&m.computed).expect("plain data"),
                        )
                    })
                    .collect();
                serde_json::json!({
                    "id": case.id,
                    "k": case.input.policy_rejected[0].len(),
                    "input": case.input,
                    "expected": methods,
                })
            })
            .collect();
        serde_json::json!({
            "format": FORMAT,
            "about": format!(
                "Computed by prefbench {} in {} on {:?} from {}; `expected` holds the computed values.",
                env!("CARGO_PKG_VERSION"),
                dtype_name(self.kind),
                self.device,
                self.path.display()
            ),
            "cases": cases,
        })
    }

    /// Compares every computed value with the expected one under [`Tolerance::for_kind`];
    /// boundary masks must match exactly.
    pub fn check(&self) -> CheckSummary {
        let tolerance = Tolerance::for_kind(self.kind);
        let mut summary = CheckSummary::default();
        for case in &self.cases {
            summary.cases += 1;
            let mut failed = false;
            for m in &case.methods {
                let Some(expected) = &m.expected else {
                    continue;
                };
                let mut compare = Comparison {
                    tolerance,
                    summary: &mut summary,
                    case: &case.id,
                    method: m.method,
                    failed: false,
                };
                compare.numbers(
                    "losses",
                    std::slice::from_ref(&m.computed.losses),
                    std::slice::from_ref(&expected.losses),
                );
                compare.numbers(
                    "grad_policy_chosen",
                    std::slice::from_ref(&m.computed.grad_policy_chosen),
                    std::slice::from_ref(&expected.grad_policy_chosen),
                );
                compare.numbers(
                    "grad_policy_rejected",
                    &m.computed.grad_policy_rejected,
                    &expected.grad_policy_rejected,
                );
                if let Some(want) = &expected.boundary {
                    compare.masks(m.computed.boundary.as_deref(), want);
                }
                if let Some(want) = &expected.boundary_betas {
                    compare.numbers(
                        "boundary_betas",
                        m.computed.boundary_betas.as_deref().unwrap_or_default(),
                        want,
                    );
                }
                failed |= compare.failed;
            }
            if failed {
                summary.failing_cases.push(case.id.clone());
            }
        }
        summary
    }
}

/// "f32" or "f64", the CLI's names.
pub fn dtype_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Float => "f32",
        _ => "f64",
    }
}

/// Pass criterion for one value: |computed − expected| ≤ `absolute` or ≤ `relative`·|expected|.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// Absolute bound, for values near zero.
    pub absolute: f64,
    /// Relative bound.
    pub relative: f64,
}

impl Tolerance {
    /// float64: 1e-9 absolute or 1e-7 relative (issue 7). float32: 1e-4 relative, or 1e-6
    /// absolute so that near-zero gradients, whose f32 rounding is relative to the larger terms
    /// they cancel from, are not failed on meaningless digits.
    pub fn for_kind(kind: Kind) -> Self {
        match kind {
            Kind::Float => Self {
                absolute: 1e-6,
                relative: 1e-4,
            },
            _ => Self {
                absolute: 1e-9,
                relative: 1e-7,
            },
        }
    }

    /// The error of one value on the relative scale: |a − e| / max(|e|, absolute / relative).
    /// A value passes iff its error ≤ `relative` (equivalent to the absolute-or-relative rule).
    pub fn error(&self, computed: f64, expected: f64) -> f64 {
        if computed == expected {
            return 0.0;
        }
        let scale = expected.abs().max(self.absolute / self.relative);
        let error = (computed - expected).abs() / scale;
        if error.is_nan() {
            f64::INFINITY
        } else {
            error
        }
    }
}

/// One value (or row) that failed the check.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// The case id.
    pub case: String,
    /// The method.
    pub method: Method,
    /// The field and position, e.g. `losses[3]` or `boundary[1]`.
    pub field: String,
    /// Computed versus expected, in words.
    pub detail: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}: {}",
            self.case, self.method, self.field, self.detail
        )
    }
}

/// The outcome of [`GoldenEvaluation::check`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckSummary {
    /// Cases checked.
    pub cases: usize,
    /// Values compared (numbers and mask entries).
    pub values: usize,
    /// The largest error on the scale of [`Tolerance::error`] (infinite for a non-finite value).
    pub worst_error: f64,
    /// Ids of the cases with any mismatch, in file order.
    pub failing_cases: Vec<String>,
    /// Every mismatch, in file order.
    pub mismatches: Vec<Mismatch>,
}

impl CheckSummary {
    /// Whether every value matched.
    pub fn passed(&self) -> bool {
        self.mismatches.is_empty()
    }
}

impl fmt::Display for CheckSummary {
    /// Exactly one line: `N cases, M values, worst error E`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cases, {} values, worst error {:.3e}",
            self.cases, self.values, self.worst_error
        )
    }
}

/// Compares the fields of one method on one case, recording into the summary.
struct Comparison<'a> {
    tolerance: Tolerance,
    summary: &'a mut CheckSummary,
    case: &'a str,
    method: Method,
    failed: bool,
}

impl Comparison<'_> {
    fn fail(&mut self, field: String, detail: String) {
        self.failed = true;
        self.summary.mismatches.push(Mismatch {
            case: self.case.to_owned(),
            method: self.method,
            field,
            detail,
        });
    }

    fn numbers(&mut self, name: &str, computed: &[Vec<f64>], expected: &[Vec<f64>]) {
        if computed.len() != expected.len() {
            let detail = format!(
                "{} rows computed, {} expected",
                computed.len(),
                expected.len()
            );
            return self.fail(name.to_owned(), detail);
        }
        let single = expected.len() == 1;
        for (r, (got, want)) in computed.iter().zip(expected).enumerate() {
            if got.len() != want.len() {
                let detail = format!("{} values computed, {} expected", got.len(), want.len());
                self.fail(format!("{name}[{r}]"), detail);
                continue;
            }
            for (c, (&a, &e)) in got.iter().zip(want).enumerate() {
                self.summary.values += 1;
                let error = self.tolerance.error(a, e);
                self.summary.worst_error = self.summary.worst_error.max(error);
                if error > self.tolerance.relative {
                    let at = if single {
                        format!("{name}[{c}]")
                    } else {
                        format!("{name}[{r}][{c}]")
                    };
                    self.fail(at, format!("computed {a:e}, expected {e:e}"));
                }
            }
        }
    }

    fn masks(&mut self, computed: Option<&[Vec<bool>]>, expected: &[Vec<bool>]) {
        let Some(computed) = computed else {
            return self.fail("boundary".into(), "not computed".into());
        };
        self.summary.values += expected.iter().map(Vec::len).sum::<usize>();
        let rows = expected.len().max(computed.len());
        for r in (0..rows).filter(|&r| computed.get(r) != expected.get(r)) {
            let detail = format!(
                "computed {:?}, expected {:?}",
                computed.get(r),
                expected.get(r)
            );
            self.fail(format!("boundary[{r}]"), detail);
        }
    }
}
