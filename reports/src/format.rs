//! How numbers are printed in the report and in `compare`, in one place so that every table
//! reads the same way. Every number goes through here: a non-finite value (a diverged run, an
//! overflowing sum) prints as [`NOT_A_NUMBER`], and an interval never leaves the range its
//! quantity can take ([`Bounds`]).
use prefbench_results::stats::Summary;

/// Shown in place of a cell or a statistic that has no value, so gaps are visibly gaps.
pub(crate) const MISSING: &str = "–";

/// Shown in place of a NaN or infinite value.
pub(crate) const NOT_A_NUMBER: &str = "n/a";

/// The range a quantity can take; confidence intervals are clamped to it, since a t interval
/// of a rate over two seeds easily reaches below 0 or above 1, where no value can lie.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bounds {
    pub lower: f64,
    pub upper: f64,
}

/// Rates and ranking metrics: HR@k, NDCG, win rates, gradient shares.
pub(crate) const UNIT: Bounds = Bounds {
    lower: 0.0,
    upper: 1.0,
};
/// A difference of two rates.
pub(crate) const UNIT_DIFFERENCE: Bounds = Bounds {
    lower: -1.0,
    upper: 1.0,
};
/// Times, losses, ratios: never negative.
pub(crate) const NON_NEGATIVE: Bounds = Bounds {
    lower: 0.0,
    upper: f64::INFINITY,
};

impl Bounds {
    /// `value` clamped into the bounds (NaN stays NaN).
    pub fn clamp(self, value: f64) -> f64 {
        value.max(self.lower).min(self.upper)
    }
}

/// `value` with `decimals` decimals, or [`NOT_A_NUMBER`].
pub(crate) fn number(value: f64, decimals: usize) -> String {
    if value.is_finite() {
        format!("{value:.decimals$}")
    } else {
        NOT_A_NUMBER.into()
    }
}

/// A signed difference, so that the direction is never lost; [`NOT_A_NUMBER`] when not finite.
pub(crate) fn signed(value: f64, decimals: usize) -> String {
    if value.is_finite() {
        format!("{value:+.decimals$}")
    } else {
        NOT_A_NUMBER.into()
    }
}

/// A share (0.12) as a percentage with one decimal ("12.0%").
pub(crate) fn percent(share: f64) -> String {
    if share.is_finite() {
        format!("{:.1}%", 100.0 * share)
    } else {
        NOT_A_NUMBER.into()
    }
}

/// The 95% t confidence interval of `s`, clamped to `bounds`; `None` for one seed or
/// non-finite values.
pub(crate) fn interval(s: &Summary, bounds: Bounds) -> Option<(f64, f64)> {
    s.ci95()
        .map(|(lo, hi)| (bounds.clamp(lo), bounds.clamp(hi)))
}

/// `mean ± std [95% CI] (n=…)` with four decimals; the interval is left out for a single seed
/// and clamped to `bounds`.
pub(crate) fn summary(s: &Summary, bounds: Bounds) -> String {
    summary_with(s, bounds, 4, number)
}

/// As [`summary`] for a difference: the mean and the interval carry their sign.
pub(crate) fn signed_summary(s: &Summary, bounds: Bounds) -> String {
    summary_with(s, bounds, 4, signed)
}

/// `mean ± std (n=…)` with `decimals` decimals, for the compact tables (times, losses).
pub(crate) fn short_summary(s: &Summary, decimals: usize) -> String {
    format!(
        "{} ± {} (n={})",
        number(s.mean, decimals),
        number(s.std, decimals),
        s.n
    )
}

fn summary_with(
    s: &Summary,
    bounds: Bounds,
    decimals: usize,
    value: impl Fn(f64, usize) -> String,
) -> String {
    let head = format!("{} ± {}", value(s.mean, decimals), number(s.std, decimals));
    match interval(s, bounds) {
        Some((lo, hi)) => format!(
            "{head} [{}, {}] (n={})",
            value(lo, decimals),
            value(hi, decimals),
            s.n
        ),
        None => format!("{head} (n={})", s.n),
    }
}

/// A p-value with three significant decimals, or [`MISSING`] when the test could not run.
pub(crate) fn p_value(p: Option<f64>) -> String {
    match p {
        Some(p) if p < 0.001 => "< 0.001".into(),
        Some(p) => number(p, 3),
        None => MISSING.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_clamped_and_non_finite_values_print_as_n_a() {
        let wide = Summary::of(&[0.0, 0.5]).unwrap();
        assert_eq!(
            summary(&wide, UNIT),
            "0.2500 ± 0.3536 [0.0000, 1.0000] (n=2)"
        );
        let nan = Summary::of(&[f64::NAN, 0.5]).unwrap();
        assert_eq!(summary(&nan, UNIT), "n/a ± n/a (n=2)");
        assert_eq!(number(f64::INFINITY, 2), "n/a");
        assert_eq!(signed(f64::NAN, 2), "n/a");
        assert_eq!(percent(0.125), "12.5%");
        let diff = Summary::of(&[-0.5, 0.25]).unwrap();
        assert!(
            signed_summary(&diff, UNIT_DIFFERENCE)
                .starts_with("-0.1250 ± 0.5303 [-1.0000, +1.0000]"),
            "{}",
            signed_summary(&diff, UNIT_DIFFERENCE)
        );
    }
}
