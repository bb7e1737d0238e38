//! DynamicPO variants against the base objective they plug into, paired by seed: both runs of
//! a seed share the SFT reference and the data order, so their difference removes most of the
//! seed-to-seed spread.
use super::dataset::DatasetResults;
use super::metric::HR_AT_1;
use crate::model::{Column, RegimeComparison, Table, Value};
use prefbench_results::stats::{mean, paired_t_test, wilcoxon_signed_rank};
use prefbench_results::RunRecord;
use prefbench_vocabulary::Method;
use std::collections::{BTreeMap, BTreeSet};

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
    /// variant − base per shared seed, in seed order: what the claim rules test.
    pub diffs: Vec<f64>,
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
    let samples = data
        .per_seed(variant, k, |r| Some(r.test.samples as f64))
        .into_values()
        .next();
    Some(Paired {
        n: diffs.len(),
        base_mean: mean(&b)?,
        variant_mean: mean(&v)?,
        diff: mean(&diffs)?,
        t_p: paired_t_test(&diffs),
        wilcoxon_p: wilcoxon_signed_rank(&hit_counts(&diffs, samples).unwrap_or(diffs.clone())),
        diffs,
    })
}

/// Differences of two hit ratios over `samples` test samples as whole hit counts, so that
/// Wilcoxon's ties are decided on integers, not on float bits (0.30 − 0.20 and 0.50 − 0.40
/// differ in their last bits). `None` when a difference is not a whole count (another
/// quantity, such as the win rate), whose differences are then ranked as they are.
fn hit_counts(diffs: &[f64], samples: Option<f64>) -> Option<Vec<f64>> {
    let n = samples.filter(|n| *n > 0.0)?;
    diffs
        .iter()
        .map(|d| {
            let count = d * n;
            ((count - count.round()).abs() < 1e-6).then(|| count.round())
        })
        .collect()
}

/// Test HR@1 at the selected epoch, the value every pair comparison of a table reads.
pub(crate) fn test_hr_at_1(record: &RunRecord) -> Option<f64> {
    Some((HR_AT_1.of)(&record.test))
}

/// The K values both methods ran, ascending.
pub(crate) fn shared_ks(data: &DatasetResults, variant: Method, base: Method) -> BTreeSet<usize> {
    data.ks_of(variant)
        .intersection(&data.ks_of(base))
        .copied()
        .collect()
}

/// DynamicPO against its base at every K both ran, paired by seed; `None` without a pair.
pub(crate) fn table(data: &DatasetResults) -> Option<Table> {
    let pairs = pairs(data);
    if pairs.is_empty() {
        return None;
    }
    let mut rows = Vec::new();
    for (variant, base) in pairs {
        for k in shared_ks(data, variant, base) {
            let mut row = vec![Value::Method(variant), Value::Method(base), Value::Count(k)];
            row.extend(match paired(data, variant, base, k, test_hr_at_1) {
                Some(p) => [
                    Value::Number {
                        value: p.base_mean,
                        decimals: 4,
                    },
                    Value::Number {
                        value: p.variant_mean,
                        decimals: 4,
                    },
                    Value::Signed {
                        value: p.diff,
                        decimals: 4,
                    },
                    Value::P(p.t_p),
                    Value::P(p.wilcoxon_p),
                    Value::Count(p.n),
                ],
                None => [
                    Value::Missing,
                    Value::Missing,
                    Value::Missing,
                    Value::Missing,
                    Value::Missing,
                    Value::Count(0),
                ],
            });
            rows.push(row);
        }
    }
    Some(Table::new(
        Some(
            "Test HR@1 (selected epoch) paired by seed: mean of (variant − base), two-sided \
             paired t-test and exact Wilcoxon signed-rank test over the shared seeds (with n \
             seeds the smallest possible Wilcoxon p is 2/2^n). These p-values are raw, one \
             per row; the claims table gives the Holm-adjusted p of the comparisons that decide \
             verdicts."
                .into(),
        ),
        vec![
            Column::left("variant"),
            Column::left("base"),
            Column::right("K"),
            Column::right("base HR@1"),
            Column::right("variant HR@1"),
            Column::right("Δ"),
            Column::right("paired t p"),
            Column::right("Wilcoxon p"),
            Column::right("n"),
        ],
        rows,
    ))
}

/// For each dataset that ran more than one regime, the DynamicPO − base difference in test
/// HR@1 (mean over shared seeds) of every pair at every K, one column per regime.
pub(crate) fn across_regimes(datasets: &[DatasetResults]) -> Vec<RegimeComparison> {
    let mut by_name: BTreeMap<&str, Vec<&DatasetResults>> = BTreeMap::new();
    datasets
        .iter()
        .for_each(|d| by_name.entry(d.name).or_default().push(d));
    by_name.retain(|_, sections| {
        sections
            .iter()
            .map(|d| &d.regime)
            .collect::<BTreeSet<_>>()
            .len()
            > 1
    });
    by_name
        .into_iter()
        .map(|(name, regimes)| {
            let mut columns = vec![Column::left("variant − base"), Column::right("K")];
            columns.extend(
                regimes
                    .iter()
                    .map(|d| Column::right(format!("{}{}", d.regime_label(), d.setting_note()))),
            );
            // In the variants' name order, as each section lists them.
            let all_pairs: BTreeMap<&str, (Method, Method)> = regimes
                .iter()
                .flat_map(|d| pairs(d))
                .map(|pair| (pair.0.name(), pair))
                .collect();
            let mut rows = Vec::new();
            for (variant, base) in all_pairs.into_values() {
                let ks: BTreeSet<usize> = regimes
                    .iter()
                    .flat_map(|d| shared_ks(d, variant, base))
                    .collect();
                for k in ks {
                    let mut row = vec![Value::Text(format!("{variant} − {base}")), Value::Count(k)];
                    row.extend(regimes.iter().map(|data| {
                        paired(data, variant, base, k, test_hr_at_1).map_or(Value::Missing, |p| {
                            Value::Mean {
                                mean: p.diff,
                                n: p.n,
                                signed: true,
                            }
                        })
                    }));
                    rows.push(row);
                }
            }
            RegimeComparison {
                dataset: name.to_string(),
                table: Table::new(None, columns, rows),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_ratio_differences_are_ranked_as_whole_counts() {
        // 0.8 − 0.7 and 0.3 − 0.2 are one hit of ten each, though their floats differ.
        assert_ne!(0.8 - 0.7, 0.3 - 0.2);
        let counts = hit_counts(&[0.8 - 0.7, 0.3 - 0.2], Some(10.0)).unwrap();
        assert_eq!(counts, vec![1.0, 1.0]);
        assert_eq!(hit_counts(&[0.123], Some(10.0)), None, "not a whole count");
    }
}
