//! The chart the verdicts read: DynamicPO (and each ablation) minus its base in test HR@1,
//! paired by seed as the pairs table and the claim tests pair them ([`pairs`]). Per K, one
//! dot per seed, the mean difference with its 95 % t interval, a zero line, and, where the
//! paper published a size for the comparison, its relative lift turned into this base's
//! units (lift × the base's mean) as a dashed reference: whether an effect is there, and
//! whether it is as large as claimed, in one look; each setting's name carries its mean
//! relative lift (Δ / the base's mean), the number to hold against the paper's. One panel per pair when the section ran
//! several K; one panel of all pairs when it ran one.
use super::frame::{draw_panels, slot_range, Axes, Frame, Panel, PanelPlan, XTicks, TICK_SIZE};
use super::legend::{Entry, Place, Swatch};
use super::marker::marker;
use super::vs_k::{padded_range, tick_decimals};
use super::Chart;
use crate::analysis::dataset::DatasetResults;
use crate::analysis::endpoints::paper_lift;
use crate::analysis::pairs::{self, paired, shared_ks, test_hr_at_1};
use crate::fonts::FAMILY;
use crate::palette::{method_style, Dash, Style, REFERENCE};
use plotters::coord::Shift;
use plotters::prelude::*;
use prefbench_results::stats::Summary;
use prefbench_vocabulary::Method;
use std::collections::BTreeSet;

/// The chart for one dataset; drawn only when some pair ran.
pub(crate) struct Paired<'a, 'r> {
    pub data: &'a DatasetResults<'r>,
}

/// One compared setting: a pair at one K.
struct Slot {
    name: String,
    style: Style,
    diffs: Vec<f64>,
    mean: f64,
    ci: Option<(f64, f64)>,
    /// The paper's lift × the base's mean, where it applies.
    reference: Option<f64>,
}

/// One panel's slots and y range.
struct Plan {
    title: String,
    x_desc: String,
    slots: Vec<Slot>,
    y: (f64, f64),
}

impl Paired<'_, '_> {
    /// Whether the section has a pair to draw.
    pub fn applies(&self) -> bool {
        !pairs::pairs(self.data).is_empty()
    }

    fn slot(&self, variant: Method, base: Method, k: usize, name: String) -> Option<Slot> {
        let p = paired(self.data, variant, base, k, test_hr_at_1)?;
        let reference = paper_lift(variant, base, self.data.name)
            .filter(|(paper_k, _)| *paper_k == k)
            .map(|(_, lift)| lift * p.base_mean);
        // The relative lift (Δ / the base's mean) as the second line of the slot's name, under
        // its interval: the quantity that compares with the paper's, beside the absolute one.
        let relative = match p.base_mean > 0.0 {
            true => format!("\n{:+.1}%", 100.0 * p.diff / p.base_mean),
            false => String::new(),
        };
        Some(Slot {
            name: name + &relative,
            style: method_style(variant),
            ci: Summary::of(&p.diffs).and_then(|s| s.ci95()),
            mean: p.diff,
            diffs: p.diffs,
            reference,
        })
    }

    fn plans(&self) -> Vec<Plan> {
        let pairs = pairs::pairs(self.data);
        let ks = |&(v, b): &(Method, Method)| shared_ks(self.data, v, b);
        let single_k: BTreeSet<usize> = pairs.iter().flat_map(ks).collect();
        let panels: Vec<(String, String, Vec<Slot>)> = match single_k.len() {
            // One K: one panel of every pair, each named by its variant.
            1 => {
                let slots = pairs
                    .iter()
                    .flat_map(|&(v, b)| {
                        ks(&(v, b))
                            .into_iter()
                            .filter_map(move |k| self.slot(v, b, k, v.to_string()))
                    })
                    .collect();
                let k = single_k.first().copied().unwrap_or_default();
                vec![(
                    String::new(),
                    format!("variant − its base, K = {k} (relative lift: Δ / base)"),
                    slots,
                )]
            }
            _ => pairs
                .iter()
                .map(|&(v, b)| {
                    let slots = ks(&(v, b))
                        .into_iter()
                        .filter_map(|k| self.slot(v, b, k, k.to_string()))
                        .collect();
                    (
                        format!("{v} − {b}"),
                        "K (negatives per sample) and relative lift (Δ / base)".to_string(),
                        slots,
                    )
                })
                .collect(),
        };
        panels
            .into_iter()
            .filter(|(_, _, slots)| !slots.is_empty())
            .map(|(title, x_desc, slots)| {
                let values = slots.iter().flat_map(|s| {
                    let ci = s.ci.map_or([s.mean; 2], |(lo, hi)| [lo, hi]);
                    s.diffs
                        .iter()
                        .copied()
                        .chain(ci)
                        .chain(s.reference)
                        .chain([0.0])
                });
                let y = padded_range(values, f64::NEG_INFINITY, f64::INFINITY);
                Plan {
                    title,
                    x_desc,
                    slots,
                    y,
                }
            })
            .collect()
    }

    fn frame_of(&self, plans: &[Plan]) -> Frame {
        let axes: Vec<Axes> = plans
            .iter()
            .map(|plan| {
                let tick = |v: f64| format!("{v:+.*}", tick_decimals(plan.y, 3));
                Axes {
                    title: (!plan.title.is_empty()).then(|| plan.title.clone()),
                    x_desc: plan.x_desc.clone(),
                    y_desc: "Δ test HR@1 (variant − base)".into(),
                    y_ticks: vec![tick(plan.y.0), tick(plan.y.1)],
                    x_ticks: XTicks::Slots(plan.slots.iter().map(|s| s.name.clone()).collect()),
                }
            })
            .collect();
        let mut legend = vec![
            Entry::new("one seed", Swatch::Dot(REFERENCE)),
            Entry::new("mean Δ, 95 % t interval", Swatch::Interval(REFERENCE)),
        ];
        if plans
            .iter()
            .flat_map(|p| &p.slots)
            .any(|s| s.reference.is_some())
        {
            legend.push(Entry::new(
                "paper's relative lift × the base's mean",
                Swatch::Line(REFERENCE, Dash::Dashed),
            ));
        }
        let columns = match plans.len() {
            n @ 0..=3 => n,
            4 => 2,
            _ => 3,
        };
        Frame::new(&self.caption(), &axes, columns, legend, Place::Below)
    }
}

impl PanelPlan for Plan {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        panel: &Panel,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let area = panel.outer.area(root);
        let (x_lo, x_hi) = slot_range(self.slots.len());
        let decimals = tick_decimals(self.y, 3);
        let mut chart = panel
            .builder(&area)
            .build_cartesian_2d(x_lo..x_hi, self.y.0..self.y.1)?;
        chart
            .configure_mesh()
            .label_style((FAMILY, TICK_SIZE))
            .x_labels(0)
            .disable_x_mesh()
            .y_label_formatter(&|v| format!("{v:+.decimals$}"))
            .max_light_lines(1)
            .draw()?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x_lo, 0.0), (x_hi, 0.0)],
            BLACK.mix(0.6).stroke_width(1),
        )))?;
        for (i, slot) in self.slots.iter().enumerate() {
            let x = i as f64;
            let colour = slot.style.colour;
            if let Some(r) = slot.reference {
                chart.draw_series(DashedLineSeries::new(
                    [(x - 0.4, r), (x + 0.4, r)],
                    8,
                    5,
                    REFERENCE.stroke_width(2),
                ))?;
            }
            // Seeds left of the slot's centre, spread a little so equal values stay apart.
            let spread = (slot.diffs.len() as f64 - 1.0).max(1.0);
            chart.draw_series(slot.diffs.iter().enumerate().map(|(j, &d)| {
                let dx = -0.16 + 0.1 * (j as f64 / spread - 0.5);
                Circle::new((x + dx, d), 3, colour.stroke_width(1))
            }))?;
            if let Some((lo, hi)) = slot.ci {
                let at = x + 0.1;
                chart.draw_series(
                    [
                        vec![(at, lo), (at, hi)],
                        vec![(at - 0.04, lo), (at + 0.04, lo)],
                        vec![(at - 0.04, hi), (at + 0.04, hi)],
                    ]
                    .into_iter()
                    .map(|path| PathElement::new(path, colour.stroke_width(2))),
                )?;
            }
            let style = slot.style;
            chart.draw_series(std::iter::once(marker(
                (x + 0.1, slot.mean),
                style.marker,
                colour,
                true,
                5,
            )))?;
        }
        Ok(())
    }
}

impl Chart for Paired<'_, '_> {
    fn stem(&self) -> String {
        format!("paired-{}", self.data.file_stem())
    }

    fn caption(&self) -> String {
        format!(
            "DynamicPO minus its base in test HR@1, paired by seed, on {}",
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
