//! Test HR@1 (selected epoch) against K, one line per method with a ± one std band over
//! seeds, the SFT reference as a dashed line and the trivial baselines as dotted lines, each
//! labelled: the paper's collapse (C1) and lift (C3, C4) at a glance, and whether PO beats
//! its starting point and a predictor that learns nothing.
use super::vs_k::{Reference, VsK};
use super::Chart;
use crate::analysis::dataset::DatasetResults;
use crate::analysis::metric::HR_AT_1;
use crate::format::number;
use crate::palette::{REFERENCE, TRIVIAL};
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
        format!(
            "Test HR@1 (best-validation epoch) against K on {}",
            self.data.label()
        )
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let sft = self.data.sft(HR_AT_1).map(|s| Reference {
            label: format!("SFT reference {}", number(s.mean, 3)),
            value: s.mean,
            colour: REFERENCE,
            dash: (10, 6),
            stretches_axis: true,
        });
        let trivial = self.data.trivial.iter().map(|t| Reference {
            label: format!("{} {}", t.name, number(t.test_hr_at_1, 3)),
            value: t.test_hr_at_1,
            colour: TRIVIAL,
            dash: (2, 5),
            stretches_axis: false,
        });
        VsK {
            data: self.data,
            cells: self.data.test_cells(HR_AT_1),
            references: sft.into_iter().chain(trivial).collect(),
            y_desc: "test HR@1 (mean ± std over seeds)",
            decimals: 2,
            lower: 0.0,
            upper: 1.0,
        }
        .draw(area, &self.caption())
    }
}
