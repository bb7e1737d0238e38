//! Training loss and reward win rate against PO step, side by side, one line per method (mean
//! over seeds) at the paper's main K (15, or the largest K present): how training went, and
//! C7's "higher reward win rate during training". Per-step values of a small batch are noisy
//! enough to hide the trend, so each line is an exponential moving average ([`ema`]) drawn
//! over the raw mean, which stays faintly visible behind it.
use super::vs_k::padded_range;
use super::{legend_corner, Chart, SIZE};
use crate::analysis::dataset::DatasetResults;
use crate::analysis::metric::MAIN_K;
use crate::fonts::FAMILY;
use crate::palette::method_colour;
use plotters::coord::Shift;
use plotters::prelude::*;
use prefbench_results::StepPoint;
use prefbench_vocabulary::Method;
use std::collections::BTreeMap;

/// The chart for one dataset.
pub(crate) struct Curves<'a, 'r> {
    pub data: &'a DatasetResults<'r>,
}

/// One panel: a quantity of the curve and its axis.
struct Panel {
    field: fn(&StepPoint) -> f64,
    title: &'static str,
    y_desc: &'static str,
    bounds: (f64, f64),
}

const PANELS: [Panel; 2] = [
    Panel {
        field: |p| p.loss,
        title: "training loss",
        y_desc: "PO loss per step (mean over seeds, EMA; raw faint)",
        bounds: (f64::NEG_INFINITY, f64::INFINITY),
    },
    Panel {
        field: |p| p.reward_win_rate,
        title: "reward win rate",
        y_desc: "reward win rate per step (mean over seeds, EMA; raw faint)",
        bounds: (0.0, 1.0),
    },
];

impl Curves<'_, '_> {
    /// [`MAIN_K`] when present, else the largest K.
    fn k(&self) -> Option<usize> {
        let ks = self.data.ks();
        ks.get(&MAIN_K).or(ks.last()).copied()
    }

    /// (method, [(step, mean over seeds)]) for the methods that logged a curve at K.
    fn lines(&self, field: fn(&StepPoint) -> f64) -> Vec<(Method, Vec<(f64, f64)>)> {
        let Some(k) = self.k() else {
            return Vec::new();
        };
        self.data
            .methods()
            .into_iter()
            .filter_map(|method| {
                let mut by_step: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
                for run in self.data.runs(method).filter(|r| r.cell.k == k) {
                    for point in run.curve.iter().filter(|p| field(p).is_finite()) {
                        by_step.entry(point.step).or_default().push(field(point));
                    }
                }
                let line: Vec<(f64, f64)> = by_step
                    .into_iter()
                    .map(|(s, v)| (s as f64, v.iter().sum::<f64>() / v.len() as f64))
                    .filter(|(_, mean)| mean.is_finite())
                    .collect();
                (!line.is_empty()).then_some((method, line))
            })
            .collect()
    }

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &Panel,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let lines = self.lines(panel.field);
        let steps = lines.iter().flat_map(|(_, l)| l.iter().map(|p| p.0));
        let x_hi = steps.fold(1.0, f64::max);
        let values = lines.iter().flat_map(|(_, l)| l.iter().map(|p| p.1));
        let (y_lo, y_hi) = padded_range(values, panel.bounds.0, panel.bounds.1);
        let mut chart = ChartBuilder::on(area)
            .caption(panel.title, (FAMILY, 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..x_hi, y_lo..y_hi)?;
        chart
            .configure_mesh()
            .x_desc("PO step")
            .y_desc(panel.y_desc)
            .axis_desc_style((FAMILY, 15))
            .label_style((FAMILY, 13))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.2}"))
            .max_light_lines(1)
            .draw()?;
        for (method, line) in &lines {
            let colour = method_colour(*method);
            chart.draw_series(LineSeries::new(
                line.iter().copied(),
                colour.mix(0.3).stroke_width(1),
            ))?;
            chart
                .draw_series(LineSeries::new(ema(line), colour.stroke_width(2)))?
                .label(method.name())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
                });
        }
        let drawn: Vec<Vec<(f64, f64)>> = lines.iter().map(|(_, l)| ema(l).collect()).collect();
        chart
            .configure_series_labels()
            .position(legend_corner(&drawn, (0.0, x_hi), (y_lo, y_hi)))
            .label_font((FAMILY, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()?;
        Ok(())
    }
}

/// How many logged points an EMA spans: an eighth of the line, at least four.
fn span(points: usize) -> f64 {
    (points as f64 / 8.0).max(4.0)
}

/// The exponential moving average of a line, α = 2 / (span + 1), started at its first point
/// so the start is not pulled towards zero.
pub(crate) fn ema(line: &[(f64, f64)]) -> impl Iterator<Item = (f64, f64)> + '_ {
    let alpha = 2.0 / (span(line.len()) + 1.0);
    let mut state: Option<f64> = None;
    line.iter().map(move |&(x, y)| {
        let s = state.map_or(y, |s| s + alpha * (y - s));
        state = Some(s);
        (x, s)
    })
}

impl Chart for Curves<'_, '_> {
    fn stem(&self) -> String {
        format!("curves-{}", self.data.file_stem())
    }

    fn caption(&self) -> String {
        let k = self.k().map_or(String::new(), |k| format!(" at K = {k}"));
        format!(
            "Loss and reward win rate per step, {}{k}",
            self.data.label()
        )
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let area = area.titled(&self.caption(), (FAMILY, 20))?;
        let (left, right) = area.split_horizontally(SIZE.0 / 2);
        self.panel(&left, &PANELS[0])?;
        self.panel(&right, &PANELS[1])
    }
}

#[cfg(test)]
mod tests {
    use super::ema;

    #[test]
    fn ema_starts_at_the_first_point_and_smooths_noise() {
        let noisy: Vec<(f64, f64)> = (0..40)
            .map(|i| (f64::from(i), if i % 2 == 0 { 1.0 } else { 0.0 }))
            .collect();
        let smooth: Vec<(f64, f64)> = ema(&noisy).collect();
        assert_eq!(smooth[0], (0.0, 1.0));
        assert_eq!(smooth.len(), noisy.len());
        let tail: Vec<f64> = smooth[20..].iter().map(|p| p.1).collect();
        let swing =
            tail.iter().fold(0.0f64, |m, v| m.max(*v)) - tail.iter().fold(1.0f64, |m, v| m.min(*v));
        assert!(swing < 0.5, "the 0/1 alternation is damped: {swing}");
    }
}
