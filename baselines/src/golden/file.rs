//! The golden file as types: what `baselines/tests/fixtures/losses-public.json` and the output of
//! `prefbench loss eval --emit` hold. Deserialised with the JSON path of any bad value, so an
//! error names the case and field instead of a line in a hand-written walker.
use std::collections::BTreeMap;
use std::path::Path;

use prefbench_vocabulary::Method;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::GoldenError;

/// The `format` string of the files this module reads and writes.
pub const FORMAT: &str = "prefbench golden loss vectors v1";

/// The most negatives per sample a case may have. DynamicPO's exact k-means scores every pair
/// of cut points, (K − 1)² per sample, so memory grows as K²; the paper's K is at most 19.
pub const MAX_NEGATIVES: usize = 1024;

/// The most k-means cut scores, B · (K − 1)², one case may need: 2^24, about 0.5 GB of
/// temporaries in f64. Split larger cases into smaller batches.
pub const MAX_CUT_SCORES: usize = 1 << 24;

/// A whole golden file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GoldenFile {
    /// Must be [`FORMAT`].
    pub format: String,
    /// Where the values come from, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    pub cases: Vec<GoldenCase>,
}

/// One batch of inputs and, optionally, the values each method must give on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GoldenCase {
    /// Named in errors and mismatches (`#index` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Negatives per sample, when declared; checked against the inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<usize>,
    pub input: GoldenInput,
    /// Expected values by method; absent: every method valid for the case's K is computed
    /// and nothing is compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<BTreeMap<Method, MethodValues>>,
}

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

/// Just the `format`, read before the rest so that a file of another format is named as
/// such rather than by its first unexpected field.
#[derive(Deserialize)]
struct Header {
    format: Option<serde_json::Value>,
}

/// Just the case ids and method names, to name the case of a deserialisation error and to
/// refuse an unknown method before its values are read.
#[derive(Deserialize)]
struct Outline {
    cases: Vec<CaseOutline>,
}

#[derive(Deserialize)]
struct CaseOutline {
    id: Option<String>,
    expected: Option<BTreeMap<String, IgnoredAny>>,
}

impl GoldenFile {
    /// Parses the text of the golden file at `path` (named in errors): not JSON, another
    /// format, or a value of the wrong type or shape, each with the case and field.
    pub fn parse(path: &Path, text: &str) -> Result<Self, GoldenError> {
        let json = |source| GoldenError::Json {
            path: path.to_owned(),
            source,
        };
        let header: Header = serde_json::from_str(text).map_err(json)?;
        match header.format {
            Some(serde_json::Value::String(f)) if f == FORMAT => {}
            found => {
                return Err(GoldenError::Format {
                    path: path.to_owned(),
                    found: found.map_or("missing".into(), |v| v.to_string()),
                })
            }
        }
        let error = |case: String, field: String, reason: String| GoldenError::Case {
            path: path.to_owned(),
            case,
            field,
            reason,
        };
        let outline = serde_json::from_str::<Outline>(text).ok();
        let cases = outline.iter().flat_map(|o| o.cases.iter().enumerate());
        for (index, case) in cases {
            for name in case.expected.iter().flat_map(BTreeMap::keys) {
                if let Err(e) = name.parse::<Method>() {
                    let case = case_name(case.id.as_deref(), index);
                    return Err(error(case, format!("expected.{name}"), e.to_string()));
                }
            }
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let file: Self = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let (case, field) = locate(e.path(), outline.as_ref());
            error(case, field, e.into_inner().to_string())
        })?;
        for (index, case) in file.cases.iter().enumerate() {
            let field =
                |(field, reason): (&str, String)| error(case.id_or(index), field.into(), reason);
            let k = case.input.check_shapes().map_err(field)?;
            if let Some(declared) = case.k.filter(|&d| d != k) {
                let reason = format!("is {declared}, but the inputs have K = {k}");
                return Err(field(("k", reason)));
            }
        }
        Ok(file)
    }

    /// The first expected value JSON cannot hold (NaN or ±∞, which serde_json writes as
    /// `null`, so the file would not read back), as (case, `expected.method.field`).
    pub fn first_non_finite(&self) -> Option<(String, String)> {
        self.cases.iter().enumerate().find_map(|(index, case)| {
            case.expected.iter().flatten().find_map(|(method, values)| {
                values
                    .non_finite()
                    .map(|field| (case.id_or(index), format!("expected.{method}.{field}")))
            })
        })
    }
}

impl MethodValues {
    /// The name of the first field holding a value that is not finite.
    fn non_finite(&self) -> Option<&'static str> {
        let any = |v: &[f64]| v.iter().any(|x| !x.is_finite());
        let any2 = |v: &[Vec<f64>]| v.iter().any(|row| any(row));
        [
            ("losses", any(&self.losses)),
            ("grad_policy_chosen", any(&self.grad_policy_chosen)),
            ("grad_policy_rejected", any2(&self.grad_policy_rejected)),
            (
                "boundary_betas",
                self.boundary_betas.as_deref().is_some_and(any2),
            ),
        ]
        .into_iter()
        .find_map(|(field, bad)| bad.then_some(field))
    }
}

impl GoldenCase {
    /// The case's id, or `#index` when it has none.
    pub fn id_or(&self, index: usize) -> String {
        case_name(self.id.as_deref(), index)
    }
}

/// How errors and mismatches name the case at `index`: its id, or `#index` without one.
fn case_name(id: Option<&str>, index: usize) -> String {
    id.map_or_else(|| format!("#{index}"), str::to_owned)
}

/// The case (its id, `#index` without one, `-` outside the cases) and the field within it
/// (`input.beta`, `expected.dmpo`) of a deserialisation error at `path`.
fn locate(path: &serde_path_to_error::Path, outline: Option<&Outline>) -> (String, String) {
    use serde_path_to_error::Segment;
    let segments: Vec<&Segment> = path.iter().collect();
    match segments.as_slice() {
        [Segment::Map { key }, Segment::Seq { index }, rest @ ..] if key == "cases" => {
            let id = outline.and_then(|o| o.cases.get(*index));
            let id = case_name(id.and_then(|c| c.id.as_deref()), *index);
            let field: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
            let field = if field.is_empty() {
                "case".into()
            } else {
                field.join(".")
            };
            (id, field)
        }
        _ => ("-".into(), path.to_string()),
    }
}

impl GoldenInput {
    /// Checks B ≥ 1, 1 ≤ K ≤ [`MAX_NEGATIVES`], B · (K − 1)² ≤ [`MAX_CUT_SCORES`], rectangular
    /// `[B][K]` rows and β > 0; returns K or the bad field.
    pub fn check_shapes(&self) -> Result<usize, (&'static str, String)> {
        let batch = self.policy_chosen.len();
        if batch == 0 {
            return Err(("input.policy_chosen", "empty batch".into()));
        }
        if !(self.beta.is_finite() && self.beta > 0.0) {
            return Err((
                "input.beta",
                format!("{:?} is not a positive number", self.beta),
            ));
        }
        let Some(first) = self.policy_rejected.first() else {
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
        if self.reference_chosen.len() != batch {
            return Err((
                "input.reference_chosen",
                format!(
                    "has {} entries, expected {batch}",
                    self.reference_chosen.len()
                ),
            ));
        }
        for (name, rows) in [
            ("input.policy_rejected", &self.policy_rejected),
            ("input.reference_rejected", &self.reference_rejected),
        ] {
            if rows.len() != batch || rows.iter().any(|row| row.len() != k) {
                return Err((name, format!("is not a [{batch}][{k}] array")));
            }
        }
        Ok(k)
    }
}
