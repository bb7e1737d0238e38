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

use crate::objectives::{compute, ObjectiveError, PreferenceInputs};
use prefbench_vocabulary::{Method, ObjectiveParams};

/// The `format` string of the files this module reads and writes.
pub const FORMAT: &str = "prefbench golden loss vectors v1";

/// The most negatives per sample a case may have. DynamicPO's exact k-means scores every pair
/// of cut points, (K − 1)² per sample, so memory grows as K²; the paper's K is at most 19.
pub const MAX_NEGATIVES: usize = 1024;

/// The most k-means cut scores, B · (K − 1)², one case may need: 2^24, about 0.5 GB of
/// temporaries in f64. Split larger cases into smaller batches.
pub const MAX_CUT_SCORES: usize = 1 << 24;

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
    let root: Value = serde_json::from_str(text).map_err(|source| GoldenError::Json {
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
    let torch_error = |source| GoldenError::Torch {
        path: path.to_owned(),
        case: id.clone(),
        source,
    };
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

/// Checks B ≥ 1, 1 ≤ K ≤ [`MAX_NEGATIVES`], B · (K − 1)² ≤ [`MAX_CUT_SCORES`], rectangular
/// `[B][K]` rows and β > 0; returns K or the bad field.
fn check_shapes(input: &GoldenInput) -> Result<usize, (&'static str, String)> {
    let batch = input.policy_chosen.len();
    if batch == 0 {
        return Err(("input.policy_chosen", "empty batch".into()));
    }
    if !(input.beta.is_finite() && input.beta > 0.0) {
        return Err((
            "input.beta",
            format!("{:?} is not a positive number", input.beta),
        ));
    }
    let Some(first) = input.policy_rejected.first() else {
        return Err((
            "input.policy_rejected",
            format!("has no rows, expected {batch} (one per sample)"),
        ));
    };
    let k = first.len();
    if k == 0 {
        return Err((
            "input.policy_rejected",
            format!("row 0 is empty: no negatives (K = 0); K must be in 1..={MAX_NEGATIVES}"),
        ));
    }
    if k > MAX_NEGATIVES {
        return Err((
            "input.policy_rejected",
            format!(
                "K = {k} negatives per sample, more than the {MAX_NEGATIVES} supported \
                 (DynamicPO's exact k-means needs (K − 1)² scores per sample)"
            ),
        ));
    }
    let scores = batch.saturating_mul((k - 1) * (k - 1));
    if scores > MAX_CUT_SCORES {
        return Err((
            "input.policy_rejected",
            format!(
                "B = {batch} samples of K = {k} negatives need {scores} k-means cut scores \
                 (B · (K − 1)²), more than the {MAX_CUT_SCORES} one case may use; split the \
                 case into smaller batches"
            ),
        ));
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

/// Why one method could not be computed on a case.
enum RunError {
    Objective(ObjectiveError),
    Torch(tch::TchError),
}

impl From<ObjectiveError> for RunError {
    fn from(e: ObjectiveError) -> Self {
        Self::Objective(e)
    }
}

impl From<tch::TchError> for RunError {
    fn from(e: tch::TchError) -> Self {
        Self::Torch(e)
    }
}

impl InputTensors {
    /// The inputs as tensors; the shapes were checked by [`check_shapes`].
    fn new(input: &GoldenInput, kind: Kind, device: Device) -> Result<Self, tch::TchError> {
        let vector = |v: &[f64]| {
            Tensor::f_from_slice(v)
                .and_then(|t| t.f_to_kind(kind))
                .and_then(|t| t.f_to_device(device))
        };
        let matrix = |rows: &[Vec<f64>]| vector(&rows.concat())?.f_view([rows.len() as i64, -1]);
        Ok(Self {
            chosen: vector(&input.policy_chosen)?,
            rejected: matrix(&input.policy_rejected)?,
            reference_chosen: vector(&input.reference_chosen)?,
            reference_rejected: matrix(&input.reference_rejected)?,
        })
    }

    fn run(&self, method: Method, beta: f64) -> Result<MethodValues, RunError> {
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
        let output = compute(method, &params, &inputs)?;
        let grads = Tensor::f_run_backward(
            &[output.losses.f_mean(None)?],
            &[&chosen, &rejected],
            false,
            false,
        )?;
        let [grad_chosen, grad_rejected] = <[Tensor; 2]>::try_from(grads)
            .map_err(|g| tch::TchError::Shape(format!("{} gradients for 2 inputs", g.len())))?;
        let boundary = output
            .boundary
            .as_ref()
            .map(host_rows::<bool>)
            .transpose()?;
        let boundary_betas = match (&output.boundary_betas, &boundary) {
            (Some(betas), Some(mask)) => Some(
                host_rows::<f64>(betas)?
                    .into_iter()
                    .zip(mask)
                    .map(|(row, keep)| {
                        row.into_iter()
                            .zip(keep)
                            .filter(|(_, &k)| k)
                            .map(|(b, _)| b)
                            .collect()
                    })
                    .collect(),
            ),
            _ => None,
        };
        Ok(MethodValues {
            losses: host_row(&output.losses)?,
            grad_policy_chosen: host_row(&grad_chosen)?,
            grad_policy_rejected: host_rows(&grad_rejected)?,
            boundary,
            boundary_betas,
        })
    }
}

/// Copies a `[R, C]` tensor to host rows.
fn host_rows<T: tch::kind::Element + Copy>(t: &Tensor) -> Result<Vec<Vec<T>>, tch::TchError> {
    let host = t
        .f_detach()
        .and_then(|t| t.f_to_kind(T::KIND))
        .and_then(|t| t.f_to_device(Device::Cpu))?;
    Vec::<Vec<T>>::try_from(host)
}

/// Copies a `[N]` tensor to the host.
fn host_row(t: &Tensor) -> Result<Vec<f64>, tch::TchError> {
    let host = t
        .f_detach()
        .and_then(|t| t.f_to_kind(Kind::Double))
        .and_then(|t| t.f_to_device(Device::Cpu))?;
    Vec::<f64>::try_from(host)
}

/// `values` as a JSON array (a non-finite number becomes `null`, as serde_json writes it).
fn json_array<T: Clone + Into<Value>>(values: &[T]) -> Value {
    Value::Array(values.iter().cloned().map(Into::into).collect())
}

fn json_rows<T: Clone + Into<Value>>(rows: &[Vec<T>]) -> Value {
    Value::Array(rows.iter().map(|r| json_array(r)).collect())
}

impl MethodValues {
    /// The values as they appear under `expected` in a golden file.
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("losses".into(), json_array(&self.losses));
        m.insert(
            "grad_policy_chosen".into(),
            json_array(&self.grad_policy_chosen),
        );
        m.insert(
            "grad_policy_rejected".into(),
            json_rows(&self.grad_policy_rejected),
        );
        if let Some(boundary) = &self.boundary {
            m.insert("boundary".into(), json_rows(boundary));
        }
        if let Some(betas) = &self.boundary_betas {
            m.insert("boundary_betas".into(), json_rows(betas));
        }
        Value::Object(m)
    }
}

impl GoldenInput {
    /// The inputs as they appear under `input` in a golden file.
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("beta".into(), self.beta.into());
        m.insert("policy_chosen".into(), json_array(&self.policy_chosen));
        m.insert("policy_rejected".into(), json_rows(&self.policy_rejected));
        m.insert(
            "reference_chosen".into(),
            json_array(&self.reference_chosen),
        );
        m.insert(
            "reference_rejected".into(),
            json_rows(&self.reference_rejected),
        );
        Value::Object(m)
    }
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
                    .map(|m| (m.method.to_string(), m.computed.to_json()))
                    .collect();
                let k = case.input.policy_rejected.first().map_or(0, Vec::len);
                let mut out = Map::new();
                out.insert("id".into(), case.id.clone().into());
                out.insert("k".into(), k.into());
                out.insert("input".into(), case.input.to_json());
                out.insert("expected".into(), Value::Object(methods));
                Value::Object(out)
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
            if case.methods.iter().all(|m| m.expected.is_none()) {
                summary.unchecked_cases.push(case.id.clone());
            }
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
    /// Ids of the cases with no expected values, which nothing was compared for.
    pub unchecked_cases: Vec<String>,
}

impl CheckSummary {
    /// Whether every value matched and at least one was compared: a file without expected
    /// values checks nothing, which is not a pass.
    pub fn passed(&self) -> bool {
        self.values > 0 && self.mismatches.is_empty()
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
        let again = eval(&evaluation.to_json().to_string()).unwrap().check();
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
            let out = evaluation.to_json().to_string();
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
