//! How numbers are printed as text, in the report and in `compare`, in one place so that every
//! table reads the same way. Every number goes through here: a non-finite value (a diverged
//! run, an overflowing sum) prints as [`NOT_A_NUMBER`], and an interval never leaves the range
//! its quantity can take ([`Bounds`]).
use crate::model::{Bounds, Value};
use prefbench_results::stats::Summary;

/// Shown in place of a cell or a statistic that has no value, so gaps are visibly gaps.
pub(crate) const MISSING: &str = "–";

/// Shown in place of a NaN or infinite value.
pub(crate) const NOT_A_NUMBER: &str = "n/a";

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

/// An interval of a difference as `[-0.0100, +0.0900]`: both ends carry their sign, so an
/// interval that straddles 0 reads as one at a glance.
pub(crate) fn signed_interval(lo: f64, hi: f64, decimals: usize) -> String {
    format!("[{}, {}]", signed(lo, decimals), signed(hi, decimals))
}

/// A share (0.12) as a percentage with one decimal ("12.0%").
pub(crate) fn percent(share: f64) -> String {
    if share.is_finite() {
        format!("{:.1}%", 100.0 * share)
    } else {
        NOT_A_NUMBER.into()
    }
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
    match bounds.interval(s) {
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

/// A step time ratio as `1.034× (+3.4%)`.
pub(crate) fn ratio(ratio: f64) -> String {
    format!("{}× ({})", number(ratio, 3), change(ratio - 1.0))
}

/// A relative change (0.034) as `+3.4%`.
pub(crate) fn change(fraction: f64) -> String {
    format!("{}%", signed(100.0 * fraction, 1))
}

/// Seconds with two decimals (`0.42 s`), or [`MISSING`].
pub(crate) fn seconds(value: Option<f64>) -> String {
    value.map_or(MISSING.into(), |s| format!("{} s", number(s, 2)))
}

/// A table cell as plain text; markup (a Markdown table's emphasis) is the renderer's.
pub(crate) fn value(value: &Value) -> String {
    match value {
        Value::Text(text) | Value::Strong(text) => text.clone(),
        Value::Method(method) => method.name().to_string(),
        Value::Count(n) => n.to_string(),
        Value::Number { value, decimals } => number(*value, *decimals),
        Value::Signed { value, decimals } => signed(*value, *decimals),
        Value::Share(share) => percent(*share),
        Value::Summary {
            summary,
            bounds,
            signed: false,
        } => self::summary(summary, *bounds),
        Value::Summary {
            summary,
            bounds,
            signed: true,
        } => signed_summary(summary, *bounds),
        Value::Spread { summary, decimals } => short_summary(summary, *decimals),
        Value::Mean { mean, n, signed } => {
            let mean = if *signed {
                self::signed(*mean, 4)
            } else {
                number(*mean, 4)
            };
            format!("{mean} (n={n})")
        }
        Value::P(p) => p_value(*p),
        Value::Ratio(r) => ratio(*r),
        Value::Change(fraction) => change(*fraction),
        Value::Interval { lo, hi, decimals } => {
            format!("{} … {}", number(*lo, *decimals), number(*hi, *decimals))
        }
        Value::LastEpoch { mean, n, kept, of } => {
            let kept: Vec<String> = kept.iter().map(usize::to_string).collect();
            format!(
                "{} (n={n}) · kept {} of {of}",
                number(*mean, 4),
                kept.join(", ")
            )
        }
        Value::Missing => MISSING.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{UNIT, UNIT_DIFFERENCE};

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
