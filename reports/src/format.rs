//! How numbers are printed in the report and in `compare`, in one place so that every table
//! reads the same way.
use prefbench_results::stats::Summary;

/// Shown in place of a cell or a statistic that has no value, so gaps are visibly gaps.
pub(crate) const MISSING: &str = "–";

/// `mean ± std [95% CI] (n=…)`; the interval is left out for a single seed.
pub(crate) fn summary(s: &Summary) -> String {
    match s.ci95() {
        Some((lo, hi)) => format!(
            "{:.4} ± {:.4} [{lo:.4}, {hi:.4}] (n={})",
            s.mean, s.std, s.n
        ),
        None => format!("{:.4} ± {:.4} (n={})", s.mean, s.std, s.n),
    }
}

/// A p-value with three significant decimals, or [`MISSING`] when the test could not run.
pub(crate) fn p_value(p: Option<f64>) -> String {
    match p {
        Some(p) if p < 0.001 => "< 0.001".into(),
        Some(p) => format!("{p:.3}"),
        None => MISSING.into(),
    }
}

/// A signed difference, so that the direction is never lost.
pub(crate) fn signed(value: f64, decimals: usize) -> String {
    format!("{value:+.decimals$}")
}
