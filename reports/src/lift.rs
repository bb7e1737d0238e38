//! What PO adds to the SFT reference it starts from: per run, test HR@1 at the selected PO
//! epoch minus the same seed's SFT test HR@1. The paper's comparisons between PO methods
//! assume PO helps; when it lowers the reference in most runs, the methods are being ranked
//! by how much accuracy each loses, and the report says so first, loudly.
use crate::dataset::DatasetResults;
use crate::format::{signed, signed_summary, MISSING, NOT_A_NUMBER, UNIT_DIFFERENCE};
use crate::markdown::table;
use prefbench_results::stats::mean;
use prefbench_results::RunRecord;
use prefbench_vocabulary::Method;
use std::collections::BTreeSet;

/// Test HR@1 after PO (selected epoch) minus the run's SFT reference on the test split.
pub(crate) fn lift(record: &RunRecord) -> f64 {
    record.test.hr_at_1 - record.sft.test.hr_at_1
}

/// Runs whose lift is negative, and all runs with a finite lift.
fn lowered(data: &DatasetResults) -> (usize, usize) {
    let lifts: Vec<f64> = data
        .records()
        .iter()
        .map(|r| lift(r))
        .filter(|l| l.is_finite())
        .collect();
    (lifts.iter().filter(|l| **l < 0.0).count(), lifts.len())
}

/// The warning block at the top of a dataset's section when PO lowers the SFT reference in
/// more than half of its runs; empty otherwise.
pub(crate) fn warning(data: &DatasetResults) -> String {
    let (down, all) = lowered(data);
    if 2 * down <= all {
        return String::new();
    }
    let mut lifts: Vec<f64> = data.records().iter().map(|r| lift(r)).collect();
    lifts.sort_by(f64::total_cmp);
    format!(
        "> **Warning: PO lowers the SFT reference in {down} of {all} runs.** Test HR@1 after \
         preference optimisation (at the selected epoch) is below the run's own SFT reference \
         (mean change {} over all runs). Here PO hurts the policy it starts from, so the \
         comparisons between PO methods below rank how much accuracy each one loses, not how \
         much it adds; see \"SFT → PO lift\".\n\n",
        mean(&lifts).map_or(NOT_A_NUMBER.into(), |m| signed(m, 4)),
    )
}

/// The lift table: per (method, K), the mean lift over seeds with its interval.
pub(crate) fn section(data: &DatasetResults, methods: &[Method], ks: &BTreeSet<usize>) -> String {
    let cells = data.cells(|r| Some(lift(r)));
    let (down, all) = lowered(data);
    let mut out = String::from(
        "### SFT → PO lift\n\n\
         Per run, test HR@1 at the selected PO epoch minus the same seed's SFT reference (test \
         HR@1 before PO); cells give the mean ± std over seeds with the 95% t interval. \
         Negative: PO lowered the reference.\n\n",
    );
    out += &table(methods, ks, |method, k| {
        cells
            .get(method, k)
            .map_or(MISSING.into(), |s| signed_summary(s, UNIT_DIFFERENCE))
    });
    out + &format!("PO lowered test HR@1 below the SFT reference in {down} of {all} runs.\n\n")
}
