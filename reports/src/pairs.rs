//! DynamicPO variants against the base objective they plug into, paired by seed: both runs of
//! a seed share the SFT reference and the data order, so their difference removes most of the
//! seed-to-seed spread.
use crate::dataset::DatasetResults;
use prefbench_results::stats::{mean, paired_t_test, wilcoxon_signed_rank};
use prefbench_results::RunRecord;
use prefbench_vocabulary::Method;

/// The (variant, base) pairs whose both methods ran on this dataset, in the variants' name
/// order; the base is [`Method::baseline`].
pub(crate) fn pairs(data: &DatasetResults) -> Vec<(Method, Method)> {
    let methods = data.methods();
    methods
        .iter()
        .filter_map(|&m| Some((m, m.baseline().filter(|b| methods.contains(b))?)))
        .collect()
}

/// A per-seed comparison of two methods at one K.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Paired {
    /// Seeds both methods ran.
    pub n: usize,
    pub base_mean: f64,
    pub variant_mean: f64,
    /// Mean of variant − base over the shared seeds.
    pub diff: f64,
    /// Paired t-test, two-sided; `None` below two pairs.
    pub t_p: Option<f64>,
    /// Exact Wilcoxon signed-rank test, two-sided.
    pub wilcoxon_p: Option<f64>,
}

/// Compares `value` of `variant` and `base` at `k` over their shared seeds; `None` when they
/// share none.
pub(crate) fn paired(
    data: &DatasetResults,
    variant: Method,
    base: Method,
    k: usize,
    value: impl Fn(&RunRecord) -> Option<f64> + Copy,
) -> Option<Paired> {
    let base_runs = data.per_seed(base, k, value);
    let (mut b, mut v) = (Vec::new(), Vec::new());
    for (seed, x) in data.per_seed(variant, k, value) {
        if let Some(&y) = base_runs.get(&seed) {
            v.push(x);
            b.push(y);
        }
    }
    let diffs: Vec<f64> = v.iter().zip(&b).map(|(x, y)| x - y).collect();
    Some(Paired {
        n: diffs.len(),
        base_mean: mean(&b)?,
        variant_mean: mean(&v)?,
        diff: mean(&diffs)?,
        t_p: paired_t_test(&diffs),
        wilcoxon_p: wilcoxon_signed_rank(&diffs),
    })
}
