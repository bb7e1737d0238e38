//! The "one value against K" charts without reference lines, one constructor per kind:
//! the final PO loss (beside HR@1 it shows C1's collapse signature, accuracy falling while the
//! loss keeps falling), the boundary share of the gradient (C2's mechanism, which predicts a
//! shrinking share under DMPO as K grows) and the PO wall-clock (each objective's cost and
//! DynamicPO's overhead, C6, at a glance; the cost tables give the numbers with intervals).
use super::vs_k::VsK;
use super::Chart;
use crate::analysis::dataset::DatasetResults;
use crate::analysis::metric::{boundary_share, final_loss, po_seconds};
use plotters::coord::Shift;
use plotters::prelude::*;
use prefbench_results::RunRecord;

/// One kind of value-against-K chart for one dataset.
pub(crate) struct MetricVsK<'a, 'r> {
    data: &'a DatasetResults<'r>,
    /// File name prefix; the dataset's stem follows.
    prefix: &'static str,
    /// Caption before " on <dataset>".
    title: &'static str,
    value: fn(&RunRecord) -> Option<f64>,
    y_desc: &'static str,
    /// The y axis never leaves [lower, upper].
    lower: f64,
    upper: f64,
}

impl<'a, 'r> MetricVsK<'a, 'r> {
    /// Final PO training loss against K.
    pub fn loss(data: &'a DatasetResults<'r>) -> Self {
        Self {
            data,
            prefix: "loss-vs-k",
            title: "Final training loss against K",
            value: final_loss,
            y_desc: "final PO training loss (mean ± std)",
            lower: f64::NEG_INFINITY,
            upper: f64::INFINITY,
        }
    }

    /// The share of the loss gradient on boundary negatives against K.
    pub fn boundary_share(data: &'a DatasetResults<'r>) -> Self {
        Self {
            data,
            prefix: "boundary-share-vs-k",
            title: "Boundary share of the gradient against K",
            value: boundary_share,
            y_desc: "gradient share on boundary negatives (training mean)",
            lower: 0.0,
            upper: 1.0,
        }
    }

    /// PO wall-clock per method against K.
    pub fn wall_clock(data: &'a DatasetResults<'r>) -> Self {
        Self {
            data,
            prefix: "wallclock",
            title: "PO wall-clock per method",
            value: po_seconds,
            y_desc: "PO training wall-clock, s (mean ± std)",
            lower: 0.0,
            upper: f64::INFINITY,
        }
    }
}

impl Chart for MetricVsK<'_, '_> {
    fn stem(&self) -> String {
        format!("{}-{}", self.prefix, self.data.file_stem())
    }

    fn caption(&self) -> String {
        format!("{} on {}", self.title, self.data.label())
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        VsK {
            data: self.data,
            cells: self.data.cells(self.value),
            references: Vec::new(),
            y_desc: self.y_desc,
            decimals: 2,
            lower: self.lower,
            upper: self.upper,
        }
        .draw(area, &self.caption())
    }
}
