//! Training loss and reward win rate against PO step, side by side, one line per method (mean
//! over seeds) at the paper's main K (15, or the largest K present): how training went, and
//! C7's "higher reward win rate during training". Per-step values of a small batch are noisy
//! enough to hide the trend, so each line is an exponential moving average ([`ema`]) drawn
//! over the raw mean, which stays faintly visible behind it. One legend below both panels.
use super::frame::{draw_panels, Axes, Frame, PanelPlan, XTicks, TICK_SIZE};
use super::legend::{Entry, Place, Swatch};
use super::marker::marker;
use super::vs_k::{dashed, padded_range};
use super::Chart;
use crate::analysis::dataset::DatasetResults;
use crate::analysis::metric::MAIN_K;
use crate::fonts::FAMILY;
use crate::palette::method_style;
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
        y_desc: "PO loss (mean over seeds; EMA, raw faint)",
        bounds: (f64::NEG_INFINITY, f64::INFINITY),
    },
    Panel {
        field: |p| p.reward_win_rate,
        title: "reward win rate",
        y_desc: "reward win rate (mean over seeds; EMA, raw faint)",
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

    /// Each panel's lines and axis ranges.
    fn plans(&self) -> Vec<Plan> {
        PANELS
            .iter()
            .map(|panel| {
                let lines = self.lines(panel.field);
                let steps = lines.iter().flat_map(|(_, l)| l.iter().map(|p| p.0));
                let x_hi = steps.fold(1.0, f64::max);
                let values = lines.iter().flat_map(|(_, l)| l.iter().map(|p| p.1));
                let y = padded_range(values, panel.bounds.0, panel.bounds.1);
                Plan { lines, x_hi, y }
            })
            .collect()
    }

    fn frame_of(&self, plans: &[Plan]) -> Frame {
        let axes: Vec<Axes> = PANELS
            .iter()
            .zip(plans)
            .map(|(panel, plan)| Axes {
                title: Some(panel.title.into()),
                x_desc: "PO step".into(),
                y_desc: panel.y_desc.into(),
                y_ticks: vec![format!("{:.2}", plan.y.0), format!("{:.2}", plan.y.1)],
                x_ticks: XTicks::Ends("0".into(), format!("{:.0}", plan.x_hi)),
            })
            .collect();
        let methods: BTreeMap<&str, Method> = plans
            .iter()
            .flat_map(|p| p.lines.iter().map(|(m, _)| (m.name(), *m)))
            .collect();
        let legend = methods
            .into_values()
            .map(|m| Entry::new(m.name(), Swatch::Method(method_style(m))))
            .collect();
        Frame::new(&self.caption(), &axes, 2, legend, Place::Below)
    }
}

/// One panel's lines and ranges.
struct Plan {
    lines: Vec<(Method, Vec<(f64, f64)>)>,
    x_hi: f64,
    y: (f64, f64),
}

/// Markers per line: enough to tell lines apart by shape, few enough not to hide them.
const MARKERS: usize = 6;

impl PanelPlan for Plan {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        panel: &super::frame::Panel,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let area = panel.outer.area(root);
        let (y_lo, y_hi) = self.y;
        let mut chart = panel
            .builder(&area)
            .build_cartesian_2d(0.0..self.x_hi, y_lo..y_hi)?;
        chart
            .configure_mesh()
            .label_style((FAMILY, TICK_SIZE))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.2}"))
            .max_light_lines(1)
            .draw()?;
        for (method, line) in &self.lines {
            let colour = method_style(*method).colour;
            chart.draw_series(LineSeries::new(
                line.iter().copied(),
                colour.mix(0.25).stroke_width(1),
            ))?;
        }
        let n = self.lines.len().max(1) as f64;
        for (i, (method, line)) in self.lines.iter().enumerate() {
            let style = method_style(*method);
            let smooth: Vec<(f64, f64)> = ema(line).collect();
            dashed(&mut chart, smooth.iter().copied(), style.colour, style.dash)?;
            // Staggered by method, so that markers of close lines do not sit on each other.
            let at = (0..MARKERS).filter_map(|j| {
                let t = (j as f64 + (i as f64 + 0.5) / n) / MARKERS as f64;
                smooth.get((t * smooth.len() as f64) as usize).copied()
            });
            chart
                .draw_series(at.map(|p| marker(p, style.marker, style.colour, style.filled, 4)))?;
        }
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

    fn frame(&self) -> Frame {
        self.frame_of(&self.plans())
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let plans = self.plans();
        draw_panels(root, &plans, &self.frame_of(&plans))
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
