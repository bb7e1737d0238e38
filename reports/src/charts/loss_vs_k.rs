//! Final PO training loss against K: next to HR@1 against K it shows the collapse signature
//! of C1, accuracy falling while the loss keeps falling.
use super::vs_k::VsK;
use super::Chart;
use crate::analysis::dataset::DatasetResults;
use crate::analysis::metric::final_loss;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The chart for one dataset.
pub(crate) struct LossVsK<'a, 'r> {
    pub data: &'a DatasetResults<'r>,
}

impl Chart for LossVsK<'_, '_> {
    fn stem(&self) -> String {
        format!("loss-vs-k-{}", self.data.file_stem())
    }

    fn caption(&self) -> String {
        format!("Final training loss against K on {}", self.data.label())
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        VsK {
            data: self.data,
            cells: self.data.cells(final_loss),
            references: Vec::new(),
            y_desc: "final PO training loss (mean ± std)",
            decimals: 2,
            lower: f64::NEG_INFINITY,
            upper: f64::INFINITY,
        }
        .draw(area, &self.caption())
    }
}
