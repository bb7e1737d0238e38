//! Statistics across seeds: every number a report shows for a cell is a summary of its seeds,
//! and every comparison between methods or result sets is a test over seeds. Distributions
//! come from `statrs`; the Wilcoxon signed-rank null distribution is enumerated exactly.
//!
//! No value of a record can make these functions panic: tests and intervals on non-finite
//! values (a diverged run, or sums of extreme values that overflow) are `None`, never a call
//! into `statrs` outside its domain, and a summary of such values has a non-finite mean that
//! reports print as "n/a".
use crate::record::RunRecord;
use crate::setting::CellKey;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
use std::collections::BTreeMap;

/// Arithmetic mean; `None` for no values, so an empty cell cannot pass for a zero.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The median (the mean of the two middle values of an even count), as Python's
/// `statistics.median`; `None` for no values.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    match v.len() {
        0 => None,
        n if n % 2 == 0 => Some((v[mid - 1] + v[mid]) / 2.0),
        _ => Some(v[mid]),
    }
}

/// Sample standard deviation (n − 1 in the denominator), the spread of a metric over seeds;
/// 0 for a single value so one-seed cells still print, `None` for no values.
pub fn sample_std(values: &[f64]) -> Option<f64> {
    let m = mean(values)?;
    if values.len() == 1 {
        return Some(0.0);
    }
    let ss: f64 = values.iter().map(|v| (v - m).powi(2)).sum();
    Some((ss / (values.len() - 1) as f64).sqrt())
}

/// A metric over the seeds of one cell; `n` is kept because partial matrices give cells with
/// fewer seeds, and readers must see that.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub n: usize,
    pub mean: f64,
    pub std: f64,
}

impl Summary {
    /// Summarises the values, `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Self> {
        Some(Self {
            n: values.len(),
            mean: mean(values)?,
            std: sample_std(values)?,
        })
    }
}

/// Groups records by [`CellKey`] (dataset, method, K and the whole setting, so runs of two
/// settings are never pooled as seeds) and summarises `metric` over their seeds; the ordered
/// map gives reports a deterministic order.
pub fn aggregate<'a>(
    records: impl IntoIterator<Item = &'a RunRecord>,
    metric: impl Fn(&RunRecord) -> f64,
) -> BTreeMap<CellKey, Summary> {
    let mut values: BTreeMap<CellKey, Vec<f64>> = BTreeMap::new();
    for record in records {
        values
            .entry(CellKey::of(record))
            .or_default()
            .push(metric(record));
    }
    values
        .into_iter()
        .filter_map(|(key, mut v)| {
            // Sorted so that the sum, to the last bit, does not depend on record order.
            v.sort_by(f64::total_cmp);
            Some((key, Summary::of(&v)?))
        })
        .collect()
}

/// Confidence level of every interval a report shows.
pub const CONFIDENCE: f64 = 0.95;

impl Summary {
    /// The t-based 95% confidence interval of the mean over seeds; `None` for one seed, whose
    /// spread is unknown, and for non-finite values.
    pub fn ci95(&self) -> Option<(f64, f64)> {
        if self.n < 2 || !self.mean.is_finite() || !self.std.is_finite() {
            return None;
        }
        let half = t_critical(self.n - 1)? * self.std / (self.n as f64).sqrt();
        Some((self.mean - half, self.mean + half))
            .filter(|(lo, hi)| lo.is_finite() && hi.is_finite())
    }
}

/// The two-sided critical value of Student's t for [`CONFIDENCE`] with `df` degrees of freedom.
fn t_critical(df: usize) -> Option<f64> {
    let t = StudentsT::new(0.0, 1.0, df as f64).ok()?;
    Some(t.inverse_cdf(1.0 - (1.0 - CONFIDENCE) / 2.0))
}

/// Two-sided p-value of a t statistic; a zero standard error gives 1 when the effect is zero
/// and 0 otherwise (identical seeds make a difference certain, not undefined). `None` for
/// non-finite inputs: statrs' t CDF panics (`XOutOfRange`) on a NaN statistic.
fn t_p_value(effect: f64, se: f64, df: f64) -> Option<f64> {
    if !effect.is_finite() || !se.is_finite() || se < 0.0 {
        return None;
    }
    if se == 0.0 {
        return Some(if effect == 0.0 { 1.0 } else { 0.0 });
    }
    let t = StudentsT::new(0.0, 1.0, df).ok()?;
    Some((2.0 * t.cdf(-(effect / se).abs())).min(1.0))
}

/// Paired t-test of `differences` (one per seed) against zero, two-sided; needs two pairs.
pub fn paired_t_test(differences: &[f64]) -> Option<f64> {
    let s = Summary::of(differences).filter(|s| s.n >= 2)?;
    t_p_value(s.mean, s.std / (s.n as f64).sqrt(), (s.n - 1) as f64)
}

/// Welch's unequal-variance t-test of mean(b) − mean(a), two-sided; needs two values on each
/// side, since one seed says nothing about the spread. Used by `compare`, where the seeds of
/// two result sets are independent runs.
pub fn welch_t_test(a: &[f64], b: &[f64]) -> Option<f64> {
    let (a, b) = (Summary::of(a)?, Summary::of(b)?);
    if a.n < 2 || b.n < 2 {
        return None;
    }
    let (va, vb) = (a.std.powi(2) / a.n as f64, b.std.powi(2) / b.n as f64);
    let se = (va + vb).sqrt();
    let df = (va + vb).powi(2)
        / (va.powi(2) / (a.n - 1) as f64 + vb.powi(2) / (b.n - 1) as f64).max(f64::MIN_POSITIVE);
    t_p_value(b.mean - a.mean, se, df)
}

/// Largest number of non-zero differences for which [`wilcoxon_signed_rank`] enumerates the
/// exact null distribution; above it a normal approximation with tie correction is used.
pub const WILCOXON_EXACT_MAX: usize = 50;

/// Two-sided p-value of the Wilcoxon signed-rank test of `differences` (one per seed) against
/// zero. Zero differences are dropped (Wilcoxon's rule), ties get mid-ranks. For up to
/// [`WILCOXON_EXACT_MAX`] differences the p-value is exact: a dynamic programme counts, over
/// all 2^n sign patterns, the sums of positive (doubled, hence integer) ranks, which is tiny
/// for seed counts. `None` for no differences or a non-finite one (NaN has no rank); 1 when
/// all are zero.
pub fn wilcoxon_signed_rank(differences: &[f64]) -> Option<f64> {
    if differences.is_empty() || differences.iter().any(|d| !d.is_finite()) {
        return None;
    }
    let mut nonzero: Vec<f64> = differences.iter().copied().filter(|d| *d != 0.0).collect();
    if nonzero.is_empty() {
        return Some(1.0);
    }
    nonzero.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    let doubled = doubled_mid_ranks(&nonzero);
    let total: usize = doubled.iter().sum();
    let positive: usize = nonzero
        .iter()
        .zip(&doubled)
        .filter(|(d, _)| **d > 0.0)
        .map(|(_, r)| r)
        .sum();
    let observed = (2 * positive).abs_diff(total);
    if nonzero.len() > WILCOXON_EXACT_MAX {
        return Some(wilcoxon_normal(&doubled, positive, total));
    }
    let mut counts = vec![0.0f64; total + 1];
    counts[0] = 1.0;
    for &r in &doubled {
        for s in (r..=total).rev() {
            counts[s] += counts[s - r];
        }
    }
    let extreme: f64 = (0..=total)
        .filter(|&s| (2 * s).abs_diff(total) >= observed)
        .map(|s| counts[s])
        .sum();
    Some((extreme / 2f64.powi(nonzero.len() as i32)).min(1.0))
}

/// Twice the mid-ranks of `sorted` by absolute value (ties share the mean of their ranks).
fn doubled_mid_ranks(sorted: &[f64]) -> Vec<usize> {
    let mut ranks = vec![0; sorted.len()];
    let mut start = 0;
    while start < sorted.len() {
        let end = (start..sorted.len())
            .find(|&i| sorted[i].abs() != sorted[start].abs())
            .unwrap_or(sorted.len());
        // Ranks start + 1 ..= end; doubled mean = start + 1 + end.
        ranks[start..end].fill(start + 1 + end);
        start = end;
    }
    ranks
}

/// The normal approximation of the signed-rank statistic, with the tie-corrected variance.
fn wilcoxon_normal(doubled: &[usize], positive: usize, total: usize) -> f64 {
    let mean = total as f64 / 4.0;
    let variance: f64 = doubled
        .iter()
        .map(|&r| (r as f64 / 2.0).powi(2))
        .sum::<f64>()
        / 4.0;
    let z = (positive as f64 / 2.0 - mean).abs() / variance.sqrt();
    let normal = Normal::new(0.0, 1.0).expect("the standard normal is valid");
    (2.0 * normal.cdf(-z)).min(1.0)
}

/// An ordinary least-squares line through (x, y) points, with the two-sided p-value of its
/// slope (t with n − 2 degrees of freedom): "does the value shrink as K grows?".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    pub slope: f64,
    pub p: f64,
    pub n: usize,
}

/// Fits [`Trend`]; needs three points, all finite, and two distinct x values.
pub fn linear_trend(points: &[(f64, f64)]) -> Option<Trend> {
    let n = points.len();
    if n < 3 || points.iter().any(|(x, y)| !x.is_finite() || !y.is_finite()) {
        return None;
    }
    let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
    let ys: Vec<f64> = points.iter().map(|p| p.1).collect();
    let (mx, my) = (mean(&xs)?, mean(&ys)?);
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    if sxx == 0.0 || !sxx.is_finite() {
        return None;
    }
    let sxy: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let slope = sxy / sxx;
    let residual: f64 = points
        .iter()
        .map(|(x, y)| (y - my - slope * (x - mx)).powi(2))
        .sum();
    let se = (residual / (n - 2) as f64 / sxx).sqrt();
    let p = t_p_value(slope, se, (n - 2) as f64)?;
    Some(Trend { slope, p, n })
}
