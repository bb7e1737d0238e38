//! The shared drawing of every "value against K" chart: a line per method through the mean
//! over seeds, a band of ± one std, and an optional dashed reference line. Chart kinds
//! (`hr1_vs_k.rs`, `loss_vs_k.rs`, ...) say what value to plot.
use super::legend_corner;
use crate::dataset::DatasetResults;
use crate::fonts::FAMILY;
use crate::palette::{method_colour, REFERENCE};
use plotters::coord::Shift;
use plotters::prelude::*;
use prefbench_results::stats::Summary;
use std::collections::BTreeMap;

/// What one "value against K" chart plots.
pub(crate) struct VsK<'a, 'r> {
    pub data: &'a DatasetResults<'r>,
    /// Summary over seeds per (method, K); methods without cells are not drawn.
    pub cells: BTreeMap<(String, usize), Summary>,
    /// A horizontal dashed line, for example the SFT reference: (legend label, value).
    pub reference: Option<(&'static str, f64)>,
    pub y_desc: &'static str,
    /// Fewest decimals of the y tick labels; more are used when the ticks are closer together,
    /// so that no two ticks read the same.
    pub decimals: usize,
    /// The y axis never leaves [lower, upper] (for example [0, 1] for rates).
    pub lower: f64,
    pub upper: f64,
}

impl VsK<'_, '_> {
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        caption: &str,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let ks = self.data.ks();
        let (k_min, k_max) = match (ks.first(), ks.last()) {
            (Some(&lo), Some(&hi)) => (lo as i32, hi as i32),
            _ => (0, 1),
        };
        let y = self
            .cells
            .values()
            .flat_map(|s| [s.mean - s.std, s.mean + s.std])
            .chain(self.reference.map(|r| r.1));
        let (y_lo, y_hi) = padded_range(y, self.lower, self.upper);
        let (x_lo, x_hi) = ((k_min - 1).max(0), k_max + 1);
        let mut drawn: Vec<Vec<(f64, f64)>> = Vec::new();

        area.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(area)
            .caption(caption, (FAMILY, 24))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
        let tick_step = (y_hi - y_lo) / 10.0;
        let needed = (-tick_step.log10()).ceil().max(0.0) as usize;
        let decimals = self.decimals.max(needed);
        chart
            .configure_mesh()
            .x_desc("K (negatives per sample)")
            .y_desc(self.y_desc)
            .axis_desc_style((FAMILY, 18))
            .label_style((FAMILY, 14))
            .y_label_formatter(&|v| format!("{v:.decimals$}"))
            .max_light_lines(1)
            .draw()?;

        for method in self.data.methods() {
            let colour = method_colour(method);
            let points: Vec<(i32, f64, f64)> = self
                .cells
                .iter()
                .filter(|((m, _), _)| m == method)
                .map(|((_, k), s)| (*k as i32, s.mean, s.std))
                .collect();
            if points.is_empty() {
                continue;
            }
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
        if let Some((label, value)) = self.reference {
            drawn.push(vec![(f64::from(x_lo), value), (f64::from(x_hi), value)]);
            let style = REFERENCE.stroke_width(2);
            chart
                .draw_series(DashedLineSeries::new(
                    [(x_lo, value), (x_hi, value)],
                    8,
                    6,
                    style,
                ))?
                .label(label)
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

/// The value range with 8% head-room, within [lower, upper], never empty.
pub(crate) fn padded_range(
    values: impl Iterator<Item = f64>,
    lower: f64,
    upper: f64,
) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (lower.max(0.0), upper.min(1.0));
    }
    let pad = ((hi - lo) * 0.08).max(0.02 * hi.abs().max(1e-3));
    ((lo - pad).max(lower), (hi + pad).min(upper))
}
