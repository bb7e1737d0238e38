//! What a report reads off one run: ranking metrics on the test split, the lift over the SFT
//! reference, training-curve means and timings. Each is a plain function of one record, so
//! tables, charts and verdicts read a quantity the same way.
use crate::model::{Bounds, UNIT};
use prefbench_results::{RankingMetrics, RunRecord, StepPoint};

/// The paper's main setting: the K at which C3, C4 and C7 compare methods and the curves
/// chart draws training.
pub(crate) const MAIN_K: usize = 15;

/// A ranking metric, with the name tables and axes give it; read from the test split of a
/// run or from its SFT reference.
#[derive(Clone, Copy)]
pub(crate) struct Metric {
    pub label: &'static str,
    pub of: fn(&RankingMetrics) -> f64,
    /// The metric's range, to which intervals are clamped.
    pub bounds: Bounds,
}

/// HitRatio@1, the paper's headline metric.
pub(crate) const HR_AT_1: Metric = Metric {
    label: "HR@1",
    of: |m| m.hr_at_1,
    bounds: UNIT,
};
/// HitRatio@5.
pub(crate) const HR_AT_5: Metric = Metric {
    label: "HR@5",
    of: |m| m.hr_at_5,
    bounds: UNIT,
};
/// NDCG@5.
pub(crate) const NDCG_AT_5: Metric = Metric {
    label: "NDCG@5",
    of: |m| m.ndcg_at_5,
    bounds: UNIT,
};

/// Test HR@1 after PO (selected epoch) minus the run's SFT reference on the test split.
pub(crate) fn lift(record: &RunRecord) -> f64 {
    record.test.hr_at_1 - record.sft.test.hr_at_1
}

/// The test metrics of a run's last PO epoch, its result without model selection; `None`
/// when the record lists no epochs.
pub(crate) fn last_epoch_test(record: &RunRecord) -> Option<&RankingMetrics> {
    record.epochs.last().map(|e| &e.test)
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
/// `None` for a run trained in a stack: its step time is its share of the stack's, the same
/// for every method of the stack.
pub(crate) fn step_ms(record: &RunRecord) -> Option<f64> {
    Some(record.timings.po_step_median_ms)
        .filter(|ms| ms.is_finite() && *ms > 0.0)
        .filter(|_| record.timings.stack_members.is_none())
}

/// The mean share of the gradient on boundary negatives over training (the paper's mechanism).
pub(crate) fn boundary_share(record: &RunRecord) -> Option<f64> {
    curve_mean(record, |p| p.boundary_grad_share)
}

/// The mean reward win rate over training (C7).
/// The boundary gradient share in excess of the boundary's count share |B|/K, averaged over
/// the training curve: C2's control, since under DMPO the share equals |B|/K up to the
/// per-sample sigmoid weights.
pub(crate) fn boundary_excess(record: &RunRecord) -> Option<f64> {
    let k = record.cell.k as f64;
    let values: Vec<f64> = record
        .curve
        .iter()
        .map(|p| p.boundary_grad_share - p.boundary_size / k)
        .collect();
    prefbench_results::stats::mean(&values)
}

pub(crate) fn reward_win_rate(record: &RunRecord) -> Option<f64> {
    curve_mean(record, |p| p.reward_win_rate)
}
