//! What PO adds to the SFT reference it starts from: per run, test HR@1 at the selected PO
//! epoch minus the same seed's SFT test HR@1 ([`lift`]). The paper's comparisons between PO
//! methods assume PO helps; when it lowers the reference in most runs, the methods are being
//! ranked by how much accuracy each loses, and the report says so first, loudly.
use super::dataset::DatasetResults;
use super::metric::lift;
use crate::model::{LiftWarning, Table, Value, UNIT_DIFFERENCE};
use prefbench_results::stats::mean;

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

/// The warning at the top of a dataset's section when PO lowers the SFT reference in more
/// than half of its runs.
pub(crate) fn warning(data: &DatasetResults) -> Option<LiftWarning> {
    let (lowered, runs) = lowered(data);
    if 2 * lowered <= runs {
        return None;
    }
    let mut lifts: Vec<f64> = data.records().iter().map(|r| lift(r)).collect();
    lifts.sort_by(f64::total_cmp);
    Some(LiftWarning {
        lowered,
        runs,
        mean_change: mean(&lifts).unwrap_or(f64::NAN),
    })
}

/// The lift table: per (method, K), the mean lift over seeds with its interval.
pub(crate) fn table(data: &DatasetResults) -> Table {
    let cells = data.cells(|r| Some(lift(r)));
    let (down, all) = lowered(data);
    let mut table = data.table(
        "Per run, test HR@1 at the selected PO epoch minus the same seed's SFT reference (test \
         HR@1 before PO); cells give the mean ± std over seeds with the 95% t interval. \
         Negative: PO lowered the reference.",
        |method, k| {
            cells
                .get(method, k)
                .map_or(Value::Missing, |s| Value::Summary {
                    summary: *s,
                    bounds: UNIT_DIFFERENCE,
                    signed: true,
                })
        },
    );
    table.notes.push(format!(
        "PO lowered test HR@1 below the SFT reference in {down} of {all} runs."
    ));
    table
}
