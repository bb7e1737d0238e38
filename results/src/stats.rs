//! Statistics across seeds: every number a report shows for a cell is a summary of its seeds,
//! and every comparison between methods or result sets is a test over seeds. Distributions
//! come from `statrs`; the Wilcoxon signed-rank null distribution is enumerated exactly.
//!
//! What a verdict needs beyond a p-value is here too ([`PairedEffect`]): a percentile bootstrap
//! interval from a fixed-seed ChaCha8 stream (reports must rebuild byte-identical), the exact
//! power of the paired t-test from the noncentral t (which statrs lacks, so its CDF is
//! integrated numerically), the minimum detectable effect and the seeds needed at 80% power,
//! and the Holm–Bonferroni adjustment across a report's tests. `tests/stats.rs` checks them
//! against scipy and statsmodels (`scripts/stats_power_reference.py`).
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
    /// The 95% t interval of the slope (n − 2 degrees of freedom); `None` when not finite.
    pub ci: Option<(f64, f64)>,
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
    let ci = t_critical(n - 2)
        .map(|t| (slope - t * se, slope + t * se))
        .filter(|(lo, hi)| lo.is_finite() && hi.is_finite());
    Some(Trend { slope, ci, p, n })
}

/// Level of every test a verdict rests on, two-sided.
pub const ALPHA: f64 = 0.05;

/// The power at which [`minimum_detectable_effect`] and [`seeds_needed`] are stated: 80%, the
/// usual design target (a true effect of that size is found four times in five).
pub const POWER: f64 = 0.8;

/// The largest seed count [`seeds_needed`] searches; beyond it the answer is "more than this",
/// which at the scale of a seed matrix means "not with seeds".
pub const MAX_SEEDS: usize = 1000;

/// Resamples of every bootstrap interval: enough that the percentile ends move by well under
/// a tenth of the interval's width between generators.
pub const BOOTSTRAP_RESAMPLES: usize = 10_000;

/// The seed of the bootstrap's generator. Fixed, so that a report rebuilt from the same records
/// is byte-identical: the interval depends on the data alone, never on time or threads.
pub const BOOTSTRAP_SEED: u64 = 0x5EED_B007;

/// The resample indices of a percentile bootstrap: `resamples` rows of `n` indices into the
/// data, drawn uniformly with replacement from ChaCha8 seeded with `seed`, row after row (the
/// flat vector is row-major). ChaCha8's stream is the same on every platform, and the bounded
/// draw is Lemire's unbiased multiply-shift on its 32-bit outputs, written here so that the
/// indices do not depend on a `rand` version's choice of algorithm. Public so that a test can
/// hand the same indices to numpy.
pub fn bootstrap_indices(n: usize, resamples: usize, seed: u64) -> Vec<usize> {
    let mut draws = Draws::new(seed);
    if u32::try_from(n).map_or(true, |b| b == 0) {
        return Vec::new();
    }
    (0..n * resamples).map(|_| draws.below(n)).collect()
}

/// Uniform indices from ChaCha8, bounded by Lemire's unbiased multiply-shift on its 32-bit
/// outputs: the one generator of every bootstrap here, so resamples are the same on every
/// platform and do not depend on a `rand` version's choice of algorithm.
pub(crate) struct Draws(rand_chacha::ChaCha8Rng);

impl Draws {
    pub(crate) fn new(seed: u64) -> Self {
        use rand_chacha::rand_core::SeedableRng;
        Self(rand_chacha::ChaCha8Rng::seed_from_u64(seed))
    }

    /// A uniform index in `0..n`; `n` must be in `1..=u32::MAX`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        use rand_chacha::rand_core::RngCore;
        let bound = n as u32;
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let product = u64::from(self.0.next_u32()) * u64::from(bound);
            if (product as u32) >= threshold {
                return (product >> 32) as usize;
            }
        }
    }
}

/// The percentile interval of the mean of `values` over the resamples in `indices` (rows of
/// `values.len()` indices, as [`bootstrap_indices`] lays them out): the 2.5th and 97.5th
/// percentiles of the resampled means, interpolated linearly between order statistics as
/// numpy's default `percentile` does. `None` for fewer than two values, a non-finite value,
/// no complete row, or an index out of range.
pub fn bootstrap_ci_from(values: &[f64], indices: &[usize]) -> Option<(f64, f64)> {
    let n = values.len();
    if n < 2 || values.iter().any(|v| !v.is_finite()) || indices.iter().any(|&i| i >= n) {
        return None;
    }
    let mut means: Vec<f64> = indices
        .chunks_exact(n)
        .map(|row| row.iter().map(|&i| values[i]).sum::<f64>() / n as f64)
        .collect();
    if means.is_empty() || means.iter().any(|m| !m.is_finite()) {
        return None;
    }
    means.sort_by(f64::total_cmp);
    let tail = (1.0 - CONFIDENCE) / 2.0;
    Some((percentile(&means, tail), percentile(&means, 1.0 - tail)))
}

/// The `q` quantile of sorted values, linear between order statistics (numpy's default).
pub(crate) fn percentile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let fraction = position - below as f64;
    sorted[below] + (sorted[above] - sorted[below]) * fraction
}

/// The percentile bootstrap 95% interval of the mean of `values` with `resamples` resamples
/// from `seed` ([`bootstrap_indices`], [`bootstrap_ci_from`]). Beside the t interval it shows
/// what the data say without assuming normal differences; with few seeds it is narrower
/// than the t interval (it cannot see beyond the observed values), which is why verdicts rest
/// on the t-test and the bootstrap is shown, not used.
pub fn bootstrap_ci(values: &[f64], resamples: usize, seed: u64) -> Option<(f64, f64)> {
    bootstrap_ci_from(values, &bootstrap_indices(values.len(), resamples, seed))
}

/// [`bootstrap_ci`] with the report's [`BOOTSTRAP_RESAMPLES`] and [`BOOTSTRAP_SEED`].
pub fn bootstrap_ci95(values: &[f64]) -> Option<(f64, f64)> {
    bootstrap_ci(values, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED)
}

/// Intervals of the composite Simpson rule in [`chi_expectation`]: fine enough that the
/// noncentral t probabilities agree with scipy's to about 1e-12.
const SIMPSON_INTERVALS: usize = 4096;

/// E[g(S)] for S = √(V/df), V ~ χ² with `df` degrees of freedom: the denominator of a t
/// statistic. S has density 2 (df/2)^(df/2) s^(df−1) e^(−df s²/2) / Γ(df/2); the integral runs
/// over mean ± 12/√df (clamped at 0), outside which the density is below e^(−70), by Simpson's
/// rule.
fn chi_expectation(df: f64, g: impl Fn(f64) -> f64) -> f64 {
    let log_norm = std::f64::consts::LN_2 + df / 2.0 * (df / 2.0).ln()
        - statrs::function::gamma::ln_gamma(df / 2.0);
    let density = |s: f64| {
        if s <= 0.0 {
            // s^(df−1) at 0: 1 for df = 1, 0 above.
            return if df == 1.0 { log_norm.exp() } else { 0.0 };
        }
        (log_norm + (df - 1.0) * s.ln() - df * s * s / 2.0).exp()
    };
    let spread = 12.0 / df.sqrt();
    let (lo, hi) = ((1.0 - spread).max(0.0), 1.0 + spread);
    let h = (hi - lo) / SIMPSON_INTERVALS as f64;
    let f = |i: usize| {
        let s = lo + i as f64 * h;
        g(s) * density(s)
    };
    let inner: f64 = (1..SIMPSON_INTERVALS)
        .map(|i| if i % 2 == 1 { 4.0 } else { 2.0 } * f(i))
        .sum();
    (f(0) + inner + f(SIMPSON_INTERVALS)) * h / 3.0
}

/// P(T ≤ t) for T noncentral t with `df` degrees of freedom and noncentrality `nc`, that is
/// T = (Z + nc)/S with Z standard normal and S as in [`chi_expectation`]: P(T ≤ t) =
/// E[Φ(t·S − nc)], integrated numerically (statrs has no noncentral t). `None` for
/// non-finite arguments or `df` not positive.
pub fn noncentral_t_cdf(t: f64, df: f64, nc: f64) -> Option<f64> {
    if !t.is_finite() || !nc.is_finite() || !df.is_finite() || df <= 0.0 {
        return None;
    }
    let normal = Normal::new(0.0, 1.0).ok()?;
    Some(chi_expectation(df, |s| normal.cdf(t * s - nc)).clamp(0.0, 1.0))
}

/// P(T > t) for the T of [`noncentral_t_cdf`], integrated directly as E[Φ(nc − t·S)] rather
/// than as 1 − cdf, so a small upper tail keeps its digits.
pub fn noncentral_t_sf(t: f64, df: f64, nc: f64) -> Option<f64> {
    if !t.is_finite() || !nc.is_finite() || !df.is_finite() || df <= 0.0 {
        return None;
    }
    let normal = Normal::new(0.0, 1.0).ok()?;
    Some(chi_expectation(df, |s| normal.cdf(nc - t * s)).clamp(0.0, 1.0))
}

/// The power of the two-sided paired t-test at level `alpha` with `n` pairs when the true
/// mean difference is `d` standard deviations of the differences: P(T > c) + P(T < −c) with
/// T noncentral t (df = n − 1, nc = d·√n) and c Student's critical value, exactly as
/// statsmodels' `TTestPower` computes it. The lower tail is taken as P(T' > c) for T' with
/// noncentrality −nc, the same probability by symmetry. `None` below two pairs and for
/// non-finite `d`.
pub fn paired_t_power(d: f64, n: usize, alpha: f64) -> Option<f64> {
    if n < 2 || !d.is_finite() || !(alpha > 0.0 && alpha < 1.0) {
        return None;
    }
    let df = (n - 1) as f64;
    let critical = StudentsT::new(0.0, 1.0, df)
        .ok()?
        .inverse_cdf(1.0 - alpha / 2.0);
    let nc = d * (n as f64).sqrt();
    Some((noncentral_t_sf(critical, df, nc)? + noncentral_t_sf(critical, df, -nc)?).min(1.0))
}

/// The smallest standardised effect (mean difference over the SD of the differences) that the
/// two-sided paired t-test at [`ALPHA`] finds with [`POWER`] given `n` pairs: the root of
/// [`paired_t_power`] − 0.8 (power grows with |d|), bracketed by doubling and found by the
/// Illinois variant of regula falsi to a power within 1e-12 of 0.8 (a dozen power evaluations
/// where bisection takes forty). Multiply by the observed SD for the effect in the metric's
/// units. `None` below two pairs.
pub fn minimum_detectable_effect(n: usize) -> Option<f64> {
    let gap = |d: f64| paired_t_power(d, n, ALPHA).map(|p| p - POWER);
    let (mut a, mut b) = (0.0, 1.0);
    let (mut fa, mut fb) = (gap(a)?, gap(b)?);
    while fb < 0.0 {
        (a, fa) = (b, fb);
        b *= 2.0;
        if b > 1e6 {
            return None;
        }
        fb = gap(b)?;
    }
    // Invariant: fa < 0 ≤ fb; the root lies in [a, b] (or [b, a]).
    for _ in 0..200 {
        let c = b - fb * (b - a) / (fb - fa);
        let fc = gap(c)?;
        if fc.abs() <= 1e-12 || (b - a).abs() <= 1e-14 * c.abs() {
            return Some(c);
        }
        if (fc < 0.0) != (fb < 0.0) {
            (a, fa) = (b, fb);
        } else {
            // Illinois: halve the stale end's value so it cannot stall the bracket.
            fa /= 2.0;
        }
        (b, fb) = (c, fc);
    }
    Some(b)
}

/// How many seeds the paired t-test needs to find an effect with [`POWER`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedsNeeded {
    /// The smallest n (at least 2) whose power reaches [`POWER`].
    Seeds(usize),
    /// Even [`MAX_SEEDS`] would not: the effect is too small against its spread.
    MoreThan(usize),
}

impl std::fmt::Display for SeedsNeeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Seeds(n) => write!(f, "{n}"),
            Self::MoreThan(n) => write!(f, "> {n}"),
        }
    }
}

/// The seeds that would detect a true standardised effect `d` at [`ALPHA`] with [`POWER`]:
/// the smallest n in 2..=[`MAX_SEEDS`] with [`paired_t_power`] ≥ 0.8, by bisection (power
/// grows with n). An infinite `d` (differences without spread) needs 2, the fewest that test;
/// a zero `d` is never detected. `None` for NaN.
pub fn seeds_needed(d: f64) -> Option<SeedsNeeded> {
    if d.is_nan() {
        return None;
    }
    if d.is_infinite() {
        return Some(SeedsNeeded::Seeds(2));
    }
    let reaches = |n: usize| paired_t_power(d, n, ALPHA).map(|p| p >= POWER);
    if !reaches(MAX_SEEDS)? {
        return Some(SeedsNeeded::MoreThan(MAX_SEEDS));
    }
    if reaches(2)? {
        return Some(SeedsNeeded::Seeds(2));
    }
    // reaches(lo) is false, reaches(hi) is true.
    let (mut lo, mut hi) = (2, MAX_SEEDS);
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if reaches(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(SeedsNeeded::Seeds(hi))
}

/// Holm–Bonferroni adjusted p-values, in the order of `p`: sorted ascending, the i-th smallest
/// (from 0) is multiplied by m − i, then a running maximum keeps the order, capped at 1; as
/// statsmodels' `multipletests(method="holm")`. It controls the chance of any false
/// "significant" over the whole family at α without assuming independence, and is uniformly
/// more powerful than Bonferroni. Non-finite p-values are not valid input and come back NaN.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut adjusted = vec![f64::NAN; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        if !p[i].is_finite() {
            continue;
        }
        running = running.max(((m - rank) as f64 * p[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// What a report shows about one paired comparison over seeds (DynamicPO against its base):
/// the effect with two intervals, the test, and what the seed count could detect.
#[derive(Debug, Clone, PartialEq)]
pub struct PairedEffect {
    /// Pairs (seeds both methods ran).
    pub n: usize,
    /// Δ: the mean of the per-seed differences.
    pub mean: f64,
    /// Sample standard deviation of the differences (0 for one pair).
    pub sd: f64,
    /// The 95% t interval of Δ; `None` below two pairs.
    pub t_ci: Option<(f64, f64)>,
    /// The percentile bootstrap 95% interval of Δ ([`bootstrap_ci95`]); `None` below two pairs.
    pub bootstrap_ci: Option<(f64, f64)>,
    /// The two-sided paired t-test p-value ([`paired_t_test`]).
    pub p: Option<f64>,
    /// The smallest |Δ| the test finds with 80% power at this n and the observed SD, in the
    /// metric's units; `None` below two pairs.
    pub mde: Option<f64>,
    /// The seeds that would find the observed Δ with 80% power if it were the true effect;
    /// `None` when Δ and the SD are both 0 or not finite, or below two pairs.
    pub seeds_needed: Option<SeedsNeeded>,
}

impl PairedEffect {
    /// The effect of `differences` (variant − base, one per seed, in seed order: the
    /// bootstrap's draws index positions, so the order is part of the input). `None` without
    /// differences.
    pub fn of(differences: &[f64]) -> Option<Self> {
        let s = Summary::of(differences)?;
        let tested = s.n >= 2 && s.mean.is_finite() && s.std.is_finite();
        let d = if s.std != 0.0 {
            s.mean / s.std
        } else if s.mean == 0.0 {
            f64::NAN
        } else {
            s.mean.signum() * f64::INFINITY
        };
        Some(Self {
            n: s.n,
            mean: s.mean,
            sd: s.std,
            t_ci: s.ci95(),
            bootstrap_ci: tested.then(|| bootstrap_ci95(differences)).flatten(),
            p: paired_t_test(differences),
            mde: tested
                .then(|| minimum_detectable_effect(s.n))
                .flatten()
                .map(|d| d * s.std),
            seeds_needed: tested.then(|| seeds_needed(d.abs())).flatten(),
        })
    }
}
