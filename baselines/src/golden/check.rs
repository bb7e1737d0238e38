//! Computed against expected values: the tolerance of each float kind, the mismatches and the
//! one-line summary `prefbench loss eval --check` prints.
use std::fmt;

use prefbench_vocabulary::Method;
use tch::Kind;

use super::GoldenEvaluation;

impl GoldenEvaluation {
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
