//! The share of the loss gradient that falls on boundary negatives against K: the paper's
//! mechanism (C2), which predicts that it shrinks as K grows under DMPO.
use super::vs_k::VsK;
use super::Chart;
use crate::analysis::dataset::DatasetResults;
use crate::analysis::metric::boundary_share;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The chart for one dataset.
pub(crate) struct BoundaryVsK<'a, 'r> {
    pub data: &'a DatasetResults<'r>,
}

impl Chart for BoundaryVsK<'_, '_> {
    fn stem(&self) -> String {
        format!("boundary-share-vs-k-{}", self.data.file_stem())
    }

    fn caption(&self) -> String {
        format!(
            "Boundary share of the gradient against K on {}",
            self.data.label()
        )
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        VsK {
            data: self.data,
            cells: self.data.cells(boundary_share),
            references: Vec::new(),
            y_desc: "gradient share on boundary negatives (training mean)",
            decimals: 2,
            lower: 0.0,
            upper: 1.0,
        }
        .draw(area, &self.caption())
    }
}
