//! The shared drawing of every "value against K" chart: a line per method through the mean
//! over seeds, a band of ± one std (clamped to the range the value can take, so no band
//! reaches below 0 or above 1 for a rate), and labelled horizontal reference lines (the SFT
//! reference, trivial baselines). Chart kinds (`hr1_vs_k.rs`, `metric_vs_k.rs`) say what
//! value to plot. Non-finite means are not drawn.
use super::legend_corner;
use crate::analysis::dataset::{Cells, DatasetResults};
use crate::fonts::FAMILY;
use crate::palette::method_colour;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use prefbench_vocabulary::Method;

/// What one "value against K" chart plots.
pub(crate) struct VsK<'a, 'r> {
    pub data: &'a DatasetResults<'r>,
    /// Summary over seeds per (method, K); methods without cells are not drawn.
    pub cells: Cells,
    /// Horizontal lines, for example the SFT reference and the trivial baselines.
    pub references: Vec<Reference>,
    pub y_desc: &'static str,
    /// Fewest decimals of the y tick labels; more are used when the ticks are closer together,
    /// so that no two ticks read the same.
    pub decimals: usize,
    /// The y axis never leaves [lower, upper] (for example [0, 1] for rates).
    pub lower: f64,
    pub upper: f64,
}

/// A method's line: its name, colour and (K, mean, std) points.
type Line = (Method, RGBColor, Vec<(i32, f64, f64)>);

/// A horizontal line across the chart, labelled at its left end and in the legend.
pub(crate) struct Reference {
    pub label: String,
    pub value: f64,
    pub colour: RGBColor,
    /// Dash and gap lengths in pixels: long dashes for the SFT line, dots for baselines.
    pub dash: (u32, u32),
    /// Whether the y axis stretches to show this line. Baselines far below the methods (a
    /// random pick at 0.05 against methods at 0.75) would squeeze every method into a sliver;
    /// those off the axis are named in a note at its foot instead.
    pub stretches_axis: bool,
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
        let references: Vec<&Reference> = self
            .references
            .iter()
            .filter(|r| r.value.is_finite())
            .collect();
        let core: Vec<f64> = self
            .cells
            .values()
            .flat_map(|s| [s.mean - s.std, s.mean + s.std])
            .chain(
                references
                    .iter()
                    .filter(|r| r.stretches_axis)
                    .map(|r| r.value),
            )
            .filter(|v| v.is_finite())
            .collect();
        // A line that does not stretch the axis still joins it when it lies within one span
        // of the data (at least 0.02), so a near baseline stays in view.
        let (lo, hi) = core
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let span = (hi - lo).max(0.02);
        let near = |v: f64| (lo - span..=hi + span).contains(&v);
        let y = core.iter().copied().chain(
            references
                .iter()
                .filter(|r| !r.stretches_axis && near(r.value))
                .map(|r| r.value),
        );
        let (y_lo, y_hi) = padded_range(y, self.lower, self.upper);
        let (references, off_axis): (Vec<&Reference>, Vec<&Reference>) = references
            .into_iter()
            .partition(|r| (y_lo..=y_hi).contains(&r.value));
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

        // The band stays inside the axis, itself inside [lower, upper].
        let edge = |m: f64, s: f64, sign: f64| {
            let v = m + sign * s;
            if v.is_nan() {
                m
            } else {
                v.max(y_lo).min(y_hi)
            }
        };
        let lines: Vec<Line> = self
            .data
            .methods()
            .into_iter()
            .map(|method| {
                let points = self
                    .cells
                    .iter()
                    .filter(|(m, _, s)| *m == method && s.mean.is_finite())
                    .map(|(_, k, s)| (k as i32, s.mean, s.std))
                    .collect();
                (method, method_colour(method), points)
            })
            .filter(|(_, _, points): &(_, _, Vec<_>)| !points.is_empty())
            .collect();
        // Back to front: reference lines, every band, every line, the reference labels; so no
        // band tints another method's line.
        for reference in &references {
            let value = reference.value;
            drawn.push(vec![(f64::from(x_lo), value), (f64::from(x_hi), value)]);
            chart.draw_series(DashedLineSeries::new(
                [(x_lo, value), (x_hi, value)],
                reference.dash.0,
                reference.dash.1,
                reference.colour.stroke_width(2),
            ))?;
        }
        for (_, colour, points) in &lines {
            let band = points
                .iter()
                .map(|&(k, m, s)| (k, edge(m, s, 1.0)))
                .chain(points.iter().rev().map(|&(k, m, s)| (k, edge(m, s, -1.0))));
            chart.draw_series(std::iter::once(Polygon::new(
                band.collect::<Vec<_>>(),
                colour.mix(0.15).filled(),
            )))?;
        }
        for (method, colour, points) in &lines {
            for offset in [-1.0, 0.0, 1.0] {
                drawn.push(
                    points
                        .iter()
                        .map(|&(k, m, s)| (f64::from(k), edge(m, s, offset)))
                        .collect(),
                );
            }
            let colour = *colour;
            chart
                .draw_series(
                    LineSeries::new(
                        points.iter().map(|&(k, m, _)| (k, m)),
                        colour.stroke_width(2),
                    )
                    .point_size(4),
                )?
                .label(method.name())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
                });
        }
        // Labels right-aligned just above their lines, pushed apart so that close values
        // stay readable; the legend avoids them like data.
        let gap = (y_hi - y_lo) * 0.04;
        let mut sorted = references.clone();
        sorted.sort_by(|a, b| a.value.total_cmp(&b.value));
        let mut last = f64::NEG_INFINITY;
        for reference in sorted {
            let y = (reference.value + gap * 0.15).max(last + gap);
            last = y;
            let right = f64::from(x_hi);
            drawn.push(vec![(right - 0.3 * f64::from(x_hi - x_lo), y), (right, y)]);
            let font = (FAMILY, 13)
                .into_font()
                .color(&reference.colour)
                .pos(Pos::new(HPos::Right, VPos::Bottom));
            chart.draw_series(std::iter::once(Text::new(
                reference.label.clone(),
                (x_hi, y),
                font,
            )))?;
        }
        if !off_axis.is_empty() {
            let names: Vec<&str> = off_axis.iter().map(|r| r.label.as_str()).collect();
            let font = (FAMILY, 13)
                .into_font()
                .color(&BLACK.mix(0.7))
                .pos(Pos::new(HPos::Left, VPos::Bottom));
            let foot = y_lo + (y_hi - y_lo) * 0.01;
            drawn.push(vec![(f64::from(x_lo), foot), (f64::from(x_hi) * 0.6, foot)]);
            chart.draw_series(std::iter::once(Text::new(
                format!("off the axis: {}", names.join(", ")),
                (x_lo, foot),
                font,
            )))?;
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

/// The value range with 8% head-room, within [lower, upper], never empty. Values outside the
/// bounds are clamped first and non-finite ones ignored, so no record value can give a
/// reversed or infinite axis.
pub(crate) fn padded_range(
    values: impl Iterator<Item = f64>,
    lower: f64,
    upper: f64,
) -> (f64, f64) {
    let fallback = (lower.max(0.0), upper.min(1.0));
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .map(|v| v.max(lower).min(upper))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return fallback;
    }
    let pad = ((hi - lo) * 0.08).max(0.02 * hi.abs().max(1e-3));
    let (a, b) = ((lo - pad).max(lower), (hi + pad).min(upper));
    if a.is_finite() && b.is_finite() && a < b {
        (a, b)
    } else {
        fallback
    }
}

#[cfg(test)]
mod tests {
    use super::padded_range;

    #[test]
    fn the_axis_never_leaves_the_bounds_nor_reverses() {
        let (lo, hi) = padded_range([-0.2, 0.5, 1.3].into_iter(), 0.0, 1.0);
        assert!((0.0..0.5).contains(&lo) && hi == 1.0, "{lo} {hi}");
        for values in [vec![5.0, 7.0], vec![1e308, -1e308], vec![f64::NAN], vec![]] {
            let (lo, hi) = padded_range(values.clone().into_iter(), 0.0, 1.0);
            assert!(0.0 <= lo && lo < hi && hi <= 1.0, "{values:?}: {lo} {hi}");
            let (lo, hi) = padded_range(values.into_iter(), f64::NEG_INFINITY, f64::INFINITY);
            assert!(lo.is_finite() && hi.is_finite() && lo < hi);
        }
    }
}
