//! Test HR@1 against K, one line per method with a ± one std band over seeds, and the SFT
//! reference as a dashed line: the paper's collapse (C1) and lift (C3, C4) at a glance.
use super::{legend_corner, Chart};
use crate::dataset::{DatasetResults, HR_AT_1};
use crate::fonts::FAMILY;
use crate::palette::{method_colour, REFERENCE};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The chart for one dataset.
pub(crate) struct Hr1VsK<'a, 'r> {
    pub data: &'a DatasetResults<'r>,
}

impl Chart for Hr1VsK<'_, '_> {
    fn stem(&self) -> String {
        format!("hr1-vs-k-{}", crate::file_safe(self.data.name))
    }

    fn caption(&self) -> String {
        format!("Test HR@1 against K on {}", self.data.name)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let cells = self.data.test_cells(HR_AT_1);
        let sft = self.data.sft(HR_AT_1);
        let ks = self.data.ks();
        let (k_min, k_max) = match (ks.first(), ks.last()) {
            (Some(&lo), Some(&hi)) => (lo as i32, hi as i32),
            _ => (0, 1),
        };
        let y = cells
            .values()
            .flat_map(|s| [s.mean - s.std, s.mean + s.std])
            .chain(sft.map(|s| s.mean));
        let (y_lo, y_hi) = padded_range(y);
        let (x_lo, x_hi) = ((k_min - 1).max(0), k_max + 1);
        let mut drawn: Vec<Vec<(f64, f64)>> = Vec::new();

        area.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(area)
            .caption(self.caption(), (FAMILY, 24))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
        chart
            .configure_mesh()
            .x_desc("K (negatives per sample)")
            .y_desc("test HR@1 (mean ± std over seeds)")
            .axis_desc_style((FAMILY, 18))
            .label_style((FAMILY, 14))
            .y_label_formatter(&|v| format!("{v:.2}"))
            .max_light_lines(1)
            .draw()?;

        for method in self.data.methods() {
            let colour = method_colour(method);
            let points: Vec<(i32, f64, f64)> = cells
                .iter()
                .filter(|((m, _), _)| m == method)
                .map(|((_, k), s)| (*k as i32, s.mean, s.std))
                .collect();
            for offset in [-1.0, 0.0, 1.0] {
                drawn.push(
                    points
                        .iter()
                        .map(|&(k, m, s)| (f64::from(k), m + offset * s))
                        .collect(),
                );
            }
            let band = points
                .iter()
                .map(|&(k, m, s)| (k, m + s))
                .chain(points.iter().rev().map(|&(k, m, s)| (k, m - s)));
            chart.draw_series(std::iter::once(Polygon::new(
                band.collect::<Vec<_>>(),
                colour.mix(0.18).filled(),
            )))?;
            chart
                .draw_series(
                    LineSeries::new(
                        points.iter().map(|&(k, m, _)| (k, m)),
                        colour.stroke_width(2),
                    )
                    .point_size(4),
                )?
                .label(method)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
                });
        }
        if let Some(sft) = sft {
            drawn.push(vec![
                (f64::from(x_lo), sft.mean),
                (f64::from(x_hi), sft.mean),
            ]);
            let style = REFERENCE.stroke_width(2);
            chart
                .draw_series(DashedLineSeries::new(
                    [(x_lo, sft.mean), (x_hi, sft.mean)],
                    8,
                    6,
                    style,
                ))?
                .label("SFT reference")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
        }
        chart
            .configure_series_labels()
            .position(legend_corner(
                &drawn,
                (f64::from(x_lo), f64::from(x_hi)),
                (y_lo, y_hi),
            ))
            .label_font((FAMILY, 15))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()?;
        Ok(())
    }
}

/// The value range with 8% head-room, within [0, 1] where HitRatio lives, never empty.
fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(0.02);
    ((lo - pad).max(0.0), (hi + pad).min(1.0))
}
