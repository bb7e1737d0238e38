//! The records of one dataset under one policy regime, and the per-cell summaries that tables
//! and charts show.
use crate::regime::Regime;
use prefbench_results::stats::{aggregate, Summary};
use prefbench_results::{RankingMetrics, RunRecord, StepPoint};
use std::collections::{BTreeMap, BTreeSet};

/// A ranking metric, with the name tables and axes give it; read from the test split of a
/// run or from its SFT reference.
#[derive(Clone, Copy)]
pub(crate) struct Metric {
    pub label: &'static str,
    pub of: fn(&RankingMetrics) -> f64,
}

/// HitRatio@1, the paper's headline metric.
pub(crate) const HR_AT_1: Metric = Metric {
    label: "HR@1",
    of: |m| m.hr_at_1,
};
/// HitRatio@5.
pub(crate) const HR_AT_5: Metric = Metric {
    label: "HR@5",
    of: |m| m.hr_at_5,
};
/// NDCG@5.
pub(crate) const NDCG_AT_5: Metric = Metric {
    label: "NDCG@5",
    of: |m| m.ndcg_at_5,
};

/// Records of one dataset under one policy regime, sorted by (cell, seed, id) so that every
/// output is independent of the order of `results.jsonl` (shards may be merged in any order).
pub(crate) struct DatasetResults<'a> {
    pub name: &'a str,
    pub regime: Regime,
    /// Whether the report holds more than one regime, so names must say which one this is.
    several_regimes: bool,
    records: Vec<&'a RunRecord>,
}

impl<'a> DatasetResults<'a> {
    /// Splits records by (dataset, regime), in name then regime order.
    pub fn split(records: &'a [RunRecord]) -> Vec<Self> {
        let mut by_key: BTreeMap<(&str, Regime), Vec<&RunRecord>> = BTreeMap::new();
        for record in records {
            by_key
                .entry((&record.cell.dataset, Regime::of(record)))
                .or_default()
                .push(record);
        }
        let regimes: BTreeSet<Regime> = by_key.keys().map(|(_, r)| *r).collect();
        by_key
            .into_iter()
            .map(|((name, regime), mut records)| {
                records.sort_by(|a, b| (&a.cell, a.seed, &a.id).cmp(&(&b.cell, b.seed, &b.id)));
                Self {
                    name,
                    regime,
                    several_regimes: regimes.len() > 1,
                    records,
                }
            })
            .collect()
    }

    /// ` (regime)` when the report holds several regimes, else nothing: follows the dataset's
    /// name wherever it is shown.
    pub fn regime_note(&self) -> String {
        if self.several_regimes {
            format!(" ({})", self.regime.label())
        } else {
            String::new()
        }
    }

    /// The dataset's name and [`Self::regime_note`].
    pub fn label(&self) -> String {
        format!("{}{}", self.name, self.regime_note())
    }

    /// The dataset's part of figure file names, with its regime when the report holds several.
    pub fn file_stem(&self) -> String {
        let name = crate::file_safe(self.name);
        if self.several_regimes {
            format!("{name}-{}", self.regime.file_suffix())
        } else {
            name
        }
    }

    /// Whether the data is generated: such numbers test the machinery, not the paper.
    pub fn is_synthetic(&self) -> bool {
        self.name.starts_with("synthetic")
    }

    /// Methods present, in name order (rows of tables, lines of charts).
    pub fn methods(&self) -> BTreeSet<&'a str> {
        self.records
            .iter()
            .map(|r| r.cell.method.as_str())
            .collect()
    }

    /// K values present over all methods (columns of tables); cells a method lacks are missing.
    pub fn ks(&self) -> BTreeSet<usize> {
        self.records.iter().map(|r| r.cell.k).collect()
    }

    /// `value` summarised over seeds for each (method, K); runs without a value (for example
    /// without a logged curve) are left out, so they cannot pass for zeros.
    pub fn cells(
        &self,
        value: impl Fn(&RunRecord) -> Option<f64>,
    ) -> BTreeMap<(String, usize), Summary> {
        let with_value = self.records.iter().copied().filter(|r| value(r).is_some());
        aggregate(with_value, |r| value(r).unwrap_or(f64::NAN))
            .into_iter()
            .map(|(cell, summary)| ((cell.method, cell.k), summary))
            .collect()
    }

    /// A metric on the test split after PO, per (method, K).
    pub fn test_cells(&self, metric: Metric) -> BTreeMap<(String, usize), Summary> {
        self.cells(|r| Some((metric.of)(&r.test)))
    }

    /// `value` of each seed's run of (method, K), by seed: tests pair methods by seed.
    pub fn per_seed(
        &self,
        method: &str,
        k: usize,
        value: impl Fn(&RunRecord) -> Option<f64>,
    ) -> BTreeMap<u64, f64> {
        self.runs(method)
            .filter(|r| r.cell.k == k)
            .filter_map(|r| Some((r.seed, value(r)?)))
            .collect()
    }

    /// Every run of `method`, in (K, seed) order.
    pub fn runs<'s>(&'s self, method: &'s str) -> impl Iterator<Item = &'a RunRecord> + 's {
        self.records
            .iter()
            .copied()
            .filter(move |r| r.cell.method == method)
    }

    /// The K values `method` ran with, ascending.
    pub fn ks_of(&self, method: &str) -> BTreeSet<usize> {
        self.runs(method).map(|r| r.cell.k).collect()
    }

    /// The SFT reference on the test split, over seeds: SFT is trained once per (dataset,
    /// seed), so each seed counts once however many PO runs share it.
    pub fn sft(&self, metric: Metric) -> Option<Summary> {
        let mut per_seed = BTreeMap::new();
        for record in &self.records {
            per_seed
                .entry(record.seed)
                .or_insert((metric.of)(&record.sft_test));
        }
        Summary::of(&per_seed.into_values().collect::<Vec<_>>())
    }
}

/// The mean of one logged quantity over a run's training curve; `None` without a curve.
pub(crate) fn curve_mean(record: &RunRecord, field: fn(&StepPoint) -> f64) -> Option<f64> {
    let values: Vec<f64> = record.curve.iter().map(field).collect();
    prefbench_results::stats::mean(&values)
}

/// The final PO training loss, when finite (a diverged run is shown as missing).
pub(crate) fn final_loss(record: &RunRecord) -> Option<f64> {
    Some(record.final_train_loss).filter(|l| l.is_finite())
}

/// Wall-clock seconds of PO training.
pub(crate) fn po_seconds(record: &RunRecord) -> Option<f64> {
    Some(record.timings.po_s)
}

/// Median PO step time in ms: the fair measure of an objective's overhead, since the run's
/// wall-clock also holds the per-step diagnostics, which cost the same for every method.
pub(crate) fn step_ms(record: &RunRecord) -> Option<f64> {
    Some(record.timings.po_step_median_ms).filter(|ms| *ms > 0.0)
}

/// The mean share of the gradient on boundary negatives over training (the paper's mechanism).
pub(crate) fn boundary_share(record: &RunRecord) -> Option<f64> {
    curve_mean(record, |p| p.boundary_grad_share)
}

/// The mean reward win rate over training (C7).
pub(crate) fn reward_win_rate(record: &RunRecord) -> Option<f64> {
    curve_mean(record, |p| p.reward_win_rate)
}
