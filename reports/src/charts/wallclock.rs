//! PO wall-clock per method against K: the cost of each objective and DynamicPO's overhead
//! (C6) at a glance; the report's cost tables give the numbers with intervals.
use super::vs_k::VsK;
use super::Chart;
use crate::analysis::dataset::DatasetResults;
use crate::analysis::metric::po_seconds;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The chart for one dataset.
pub(crate) struct WallClock<'a, 'r> {
    pub data: &'a DatasetResults<'r>,
}

impl Chart for WallClock<'_, '_> {
    fn stem(&self) -> String {
        format!("wallclock-{}", self.data.file_stem())
    }

    fn caption(&self) -> String {
        format!("PO wall-clock per method on {}", self.data.label())
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        VsK {
            data: self.data,
            cells: self.data.cells(po_seconds),
            references: Vec::new(),
            y_desc: "PO training wall-clock, s (mean ± std)",
            decimals: 2,
            lower: 0.0,
            upper: f64::INFINITY,
        }
        .draw(area, &self.caption())
    }
}
