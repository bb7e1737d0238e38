//! Test HR@1 against K, one line per method with a ± one std band over seeds, and the SFT
//! reference as a dashed line: the paper's collapse (C1) and lift (C3, C4) at a glance.
use super::vs_k::VsK;
use super::Chart;
use crate::dataset::{DatasetResults, HR_AT_1};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The chart for one dataset.
pub(crate) struct Hr1VsK<'a, 'r> {
    pub data: &'a DatasetResults<'r>,
}

impl Chart for Hr1VsK<'_, '_> {
    fn stem(&self) -> String {
        format!("hr1-vs-k-{}", self.data.file_stem())
    }

    fn caption(&self) -> String {
        format!("Test HR@1 against K on {}", self.data.label())
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        VsK {
            data: self.data,
            cells: self.data.test_cells(HR_AT_1),
            reference: self.data.sft(HR_AT_1).map(|s| ("SFT reference", s.mean)),
            y_desc: "test HR@1 (mean ± std over seeds)",
            decimals: 2,
            lower: 0.0,
            upper: 1.0,
        }
        .draw(area, &self.caption())
    }
}
