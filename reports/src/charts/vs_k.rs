//! Every "value against K" chart: per method, a line through the centre over seeds and a
//! whisker over their spread at each K, the methods' points nudged apart sideways so that
//! nine whiskers at one K do not cover each other; labelled horizontal reference lines (the
//! SFT reference, trivial baselines). The legend is a column right of the plot. Chart kinds
//! (`hr1_vs_k.rs`, `metric_vs_k.rs`) say what value to plot and how to summarise it.
//! Non-finite values are not drawn; a section that ran one K gets no such chart (see
//! [`super::render_dataset`]).
use super::frame::{Axes, Frame, XTicks, TICK_SIZE};
use super::legend::{Entry, Place, Swatch};
use super::marker::{marker, RING_RADIUS};
use super::Chart;
use crate::analysis::dataset::DatasetResults;
use crate::analysis::sharing::Sharing;
use crate::fonts::FAMILY;
use crate::palette::{method_style, Dash, Style, SHARED_RING};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use prefbench_results::stats::median;
use prefbench_results::RunRecord;
use prefbench_vocabulary::Method;

/// How a cell's seeds are summarised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Statistic {
    /// Mean with ± one sample standard deviation.
    MeanSd,
    /// Median with the interquartile range: robust to one run slowed by a busy machine.
    MedianIqr,
}

/// One "value against K" chart of one dataset.
pub(crate) struct VsK<'a, 'r> {
    pub data: &'a DatasetResults<'r>,
    /// File name prefix; the dataset's stem follows.
    pub prefix: &'static str,
    /// Caption before " on <dataset>".
    pub title: &'static str,
    pub value: fn(&RunRecord) -> Option<f64>,
    pub statistic: Statistic,
    /// Horizontal lines, for example the SFT reference and the trivial baselines.
    pub references: Vec<Reference>,
    pub y_desc: &'static str,
    /// Fewest decimals of the y tick labels ([`tick_decimals`]).
    pub decimals: usize,
    /// The y axis never leaves [lower, upper] (for example [0, 1] for rates).
    pub lower: f64,
    pub upper: f64,
    /// Whether to ring the points of cells where a run shared the machine while it trained
    /// (a wall-clock chart), and to say in the legend how many runs do not tell.
    pub marks_sharing: bool,
}

/// A horizontal line across the chart, named in the legend with its value.
pub(crate) struct Reference {
    pub label: String,
    pub value: f64,
    pub colour: RGBColor,
    pub dash: Dash,
    /// Whether the y axis stretches to show this line. Baselines far below the methods (a
    /// random pick at 0.05 against methods at 0.75) would squeeze every method into a sliver;
    /// those off the axis are listed in the legend as such instead.
    pub stretches_axis: bool,
}

/// One method's summary at one K.
#[derive(Debug, Clone, Copy)]
struct Point {
    /// K, nudged sideways by the method's place.
    x: f64,
    centre: f64,
    /// The low and high end of the spread.
    lo: f64,
    hi: f64,
    /// Whether a run of the cell shared the machine (only when the chart marks sharing).
    ringed: bool,
}

/// What the chart draws, decided once for both the layout and the drawing.
struct Plan<'c> {
    lines: Vec<(Method, Style, Vec<Point>)>,
    /// Runs whose records do not say whether they shared the machine, when the chart marks
    /// sharing.
    sharing_unknown: usize,
    x: (f64, f64),
    y: (f64, f64),
    decimals: usize,
    on_axis: Vec<&'c Reference>,
    off_axis: Vec<&'c Reference>,
}

impl VsK<'_, '_> {
    /// Each method's points, nudged sideways by its place among the methods.
    fn lines(&self) -> Vec<(Method, Style, Vec<Point>)> {
        let methods = self.data.methods();
        let ks: Vec<f64> = self.data.ks().into_iter().map(|k| k as f64).collect();
        let gap = ks.windows(2).map(|w| w[1] - w[0]).fold(2.0, f64::min);
        let step = match methods.len() {
            0 | 1 => 0.0,
            n => 0.35 * gap / (n - 1) as f64,
        };
        let centre = (methods.len() as f64 - 1.0) / 2.0;
        methods
            .iter()
            .enumerate()
            .map(|(i, &method)| {
                let nudge = (i as f64 - centre) * step;
                let points = self
                    .data
                    .ks_of(method)
                    .into_iter()
                    .filter_map(|k| {
                        let (centre, lo, hi) = self.summary(method, k)?;
                        Some(Point {
                            x: k as f64 + nudge,
                            centre,
                            lo,
                            hi,
                            ringed: self.marks_sharing && self.shared(method, k),
                        })
                    })
                    .collect();
                (method, method_style(method), points)
            })
            .filter(|(_, _, points): &(_, _, Vec<_>)| !points.is_empty())
            .collect()
    }

    /// Whether a run of `method` at `k` shared the machine while it trained.
    fn shared(&self, method: Method, k: usize) -> bool {
        self.data
            .runs(method)
            .filter(|r| r.cell.k == k)
            .any(|r| matches!(self.data.sharing(r), Sharing::Shared { .. }))
    }

    /// (centre, low, high) of `method` at `k` over its seeds; `None` without a finite value.
    fn summary(&self, method: Method, k: usize) -> Option<(f64, f64, f64)> {
        let mut values: Vec<f64> = self
            .data
            .per_seed(method, k, self.value)
            .into_values()
            .filter(|v| v.is_finite())
            .collect();
        values.sort_by(f64::total_cmp);
        let centre = match self.statistic {
            Statistic::MeanSd => prefbench_results::stats::Summary::of(&values)
                .map(|s| (s.mean, s.mean - s.std, s.mean + s.std)),
            Statistic::MedianIqr => {
                median(&values).map(|m| (m, quantile(&values, 0.25), quantile(&values, 0.75)))
            }
        }?;
        centre.0.is_finite().then_some(centre)
    }

    fn plan(&self) -> Plan<'_> {
        let lines = self.lines();
        let ks = self.data.ks();
        let (k_min, k_max) = match (ks.first(), ks.last()) {
            (Some(&lo), Some(&hi)) => (lo as f64, hi as f64),
            _ => (0.0, 1.0),
        };
        let references: Vec<&Reference> = self
            .references
            .iter()
            .filter(|r| r.value.is_finite())
            .collect();
        let core: Vec<f64> = lines
            .iter()
            .flat_map(|(_, _, points)| points.iter().flat_map(|p| [p.lo, p.hi]))
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
        let (on_axis, off_axis) = references
            .into_iter()
            .partition(|r| (y_lo..=y_hi).contains(&r.value));
        let sharing_unknown = match self.marks_sharing {
            true => self.data.sharing_summary().unknown,
            false => 0,
        };
        Plan {
            lines,
            sharing_unknown,
            x: ((k_min - 1.0).max(0.0), k_max + 1.0),
            y: (y_lo, y_hi),
            decimals: tick_decimals((y_lo, y_hi), self.decimals),
            on_axis,
            off_axis,
        }
    }

    fn frame_of(&self, plan: &Plan) -> Frame {
        let tick = |v: f64| format!("{v:.*}", plan.decimals);
        let axes = Axes {
            title: None,
            x_desc: "K (negatives per sample)".into(),
            y_desc: self.y_desc.into(),
            y_ticks: vec![tick(plan.y.0), tick(plan.y.1)],
            x_ticks: XTicks::Ends(k_tick(plan.x.0), k_tick(plan.x.1)),
        };
        let methods = plan
            .lines
            .iter()
            .map(|(m, style, _)| Entry::new(m.name(), Swatch::Method(*style)));
        let on = plan
            .on_axis
            .iter()
            .map(|r| Entry::new(r.label.clone(), Swatch::Line(r.colour, r.dash)));
        let off = plan.off_axis.iter().map(|r| {
            Entry::new(
                format!("{} (off the axis)", r.label),
                Swatch::Line(r.colour, r.dash),
            )
        });
        let ringed = plan.lines.iter().flat_map(|(_, _, p)| p).any(|p| p.ringed);
        let sharing = [
            ringed.then(|| Entry::new("a run shared the machine", Swatch::Ring(SHARED_RING))),
            (plan.sharing_unknown > 0).then(|| {
                Entry::new(
                    format!("{} runs: sharing not recorded", plan.sharing_unknown),
                    Swatch::Blank,
                )
            }),
        ];
        let entries = methods
            .chain(on)
            .chain(off)
            .chain(sharing.into_iter().flatten())
            .collect();
        Frame::new(&self.caption(), &[axes], 1, entries, Place::Right)
    }
}

impl Chart for VsK<'_, '_> {
    fn stem(&self) -> String {
        format!("{}-{}", self.prefix, self.data.file_stem())
    }

    fn caption(&self) -> String {
        format!("{} on {}", self.title, self.data.label())
    }

    fn frame(&self) -> Frame {
        self.frame_of(&self.plan())
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let plan = self.plan();
        let frame = self.frame_of(&plan);
        let panel = &frame.panels[0];
        let area = panel.outer.area(root);
        let ((x_lo, x_hi), (y_lo, y_hi)) = (plan.x, plan.y);
        let mut chart = panel
            .builder(&area)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
        chart
            .configure_mesh()
            .label_style((FAMILY, TICK_SIZE))
            .x_label_formatter(&|v| k_label(*v))
            .y_label_formatter(&|v| format!("{v:.*}", plan.decimals))
            .max_light_lines(1)
            .draw()?;
        let clamp = |v: f64| v.clamp(y_lo, y_hi);
        // Back to front: reference lines, whiskers, lines, markers; so no whisker hides a
        // marker.
        for r in &plan.on_axis {
            dashed(
                &mut chart,
                [(x_lo, r.value), (x_hi, r.value)],
                r.colour,
                r.dash,
            )?;
        }
        for (_, style, points) in &plan.lines {
            let whiskers = points.iter().map(|p| {
                PathElement::new(
                    vec![(p.x, clamp(p.lo)), (p.x, clamp(p.hi))],
                    style.colour.mix(0.7).stroke_width(1),
                )
            });
            chart.draw_series(whiskers)?;
        }
        for (_, style, points) in &plan.lines {
            let line: Vec<(f64, f64)> = points.iter().map(|p| (p.x, p.centre)).collect();
            dashed(&mut chart, line, style.colour, style.dash)?;
        }
        for (_, _, points) in &plan.lines {
            let rings = points
                .iter()
                .filter(|p| p.ringed)
                .map(|p| Circle::new((p.x, p.centre), RING_RADIUS, SHARED_RING.stroke_width(2)));
            chart.draw_series(rings)?;
        }
        for (_, style, points) in &plan.lines {
            chart.draw_series(
                points
                    .iter()
                    .map(|p| marker((p.x, p.centre), style.marker, style.colour, style.filled, 4)),
            )?;
        }
        frame.draw_text(root)
    }
}

/// A line through `points` in `dash`'s pattern.
pub(crate) fn dashed<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    points: impl IntoIterator<Item = (f64, f64), IntoIter: Clone>,
    colour: RGBColor,
    dash: Dash,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let style = colour.stroke_width(2);
    match dash.pattern() {
        None => chart.draw_series(LineSeries::new(points, style))?,
        Some((on, off)) => chart.draw_series(DashedLineSeries::new(points, on, off, style))?,
    };
    Ok(())
}

/// Decimals of y tick labels over `range`: at least `fewest`, more when ten ticks are closer
/// together, so that no two ticks read the same.
pub(crate) fn tick_decimals((lo, hi): (f64, f64), fewest: usize) -> usize {
    let needed = (-((hi - lo) / 10.0).log10()).ceil().max(0.0) as usize;
    fewest.max(needed)
}

/// A K tick label: whole numbers only, since K is a count.
fn k_label(v: f64) -> String {
    match (v - v.round()).abs() < 1e-9 {
        true => format!("{v:.0}"),
        false => String::new(),
    }
}

/// The label plotters would print at an axis end, for the layout.
fn k_tick(v: f64) -> String {
    format!("{v:.0}")
}

/// The `p` quantile of sorted `values` by linear interpolation between order statistics
/// (Hyndman and Fan's type 7, numpy's default).
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len().saturating_sub(1)) as f64 * p;
    let (i, frac) = (h.floor() as usize, h - h.floor());
    match sorted.get(i + 1) {
        Some(next) => sorted[i] + frac * (next - sorted[i]),
        None => sorted.get(i).copied().unwrap_or(f64::NAN),
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
    use super::{padded_range, quantile};

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

    #[test]
    fn quartiles_interpolate_and_ignore_a_slow_outlier() {
        let times = [10.0, 11.0, 12.0, 13.0, 100.0];
        assert_eq!(quantile(&times, 0.25), 11.0);
        assert_eq!(quantile(&times, 0.75), 13.0);
        assert_eq!(quantile(&[1.0, 2.0], 0.25), 1.25);
        assert_eq!(quantile(&[4.0], 0.75), 4.0);
    }
}
