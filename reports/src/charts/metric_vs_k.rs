//! The "one value against K" charts without reference lines, one constructor per kind:
//! the final PO loss (beside HR@1 it shows C1's collapse signature, accuracy falling while the
//! loss keeps falling), the boundary share of the gradient (C2's mechanism, which predicts a
//! shrinking share under DMPO as K grows) and the PO wall-clock (each objective's cost and
//! DynamicPO's overhead, C6, at a glance; the cost tables give the numbers with intervals).
use super::vs_k::{Statistic, VsK};
use crate::analysis::dataset::DatasetResults;
use crate::analysis::metric;

/// Final PO training loss against K.
pub(crate) fn loss<'a, 'r>(data: &'a DatasetResults<'r>) -> VsK<'a, 'r> {
    VsK {
        data,
        prefix: "loss-vs-k",
        title: "Final training loss against K",
        value: metric::final_loss,
        statistic: Statistic::MeanSd,
        references: Vec::new(),
        y_desc: "final PO training loss (mean ± std)",
        decimals: 2,
        lower: f64::NEG_INFINITY,
        upper: f64::INFINITY,
        marks_sharing: false,
    }
}

/// The share of the loss gradient on boundary negatives against K.
pub(crate) fn boundary_share<'a, 'r>(data: &'a DatasetResults<'r>) -> VsK<'a, 'r> {
    VsK {
        prefix: "boundary-share-vs-k",
        title: "Boundary share of the gradient against K",
        value: metric::boundary_share,
        y_desc: "gradient share on boundary negatives (mean ± std)",
        lower: 0.0,
        upper: 1.0,
        ..loss(data)
    }
}

/// PO wall-clock per method against K, as the median and interquartile range over seeds: a
/// run slowed by others sharing the machine moves a mean and a standard deviation, not these.
/// Cells where a run shared the machine with another process's run are ringed.
pub(crate) fn wall_clock<'a, 'r>(data: &'a DatasetResults<'r>) -> VsK<'a, 'r> {
    VsK {
        prefix: "wallclock",
        title: "PO wall-clock per method",
        value: metric::po_seconds,
        statistic: Statistic::MedianIqr,
        y_desc: "PO training wall-clock, s (median and IQR over seeds)",
        decimals: 0,
        lower: 0.0,
        upper: f64::INFINITY,
        marks_sharing: true,
        ..loss(data)
    }
}
