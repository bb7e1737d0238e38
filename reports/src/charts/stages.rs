//! Where a run's time goes: one horizontal bar per method, stacked by stage (the seed's share
//! of SFT and of the reference log-likelihoods, PO steps, the rest of PO, each split's
//! evaluation), so the stage worth cutting is the widest colour. The numbers are in the
//! report's cost section. The stages' legend sits below the bars.
use super::frame::{Axes, Frame, XTicks, TICK_SIZE};
use super::legend::{Entry, Place, Swatch};
use super::Chart;
use crate::analysis::dataset::DatasetResults;
use crate::analysis::stages::{Profile, STAGES};
use crate::fonts::FAMILY;
use crate::palette::STAGE_COLOURS;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The chart for one dataset.
pub(crate) struct Stages<'a, 'r> {
    pub data: &'a DatasetResults<'r>,
    pub profile: Profile,
}

impl Chart for Stages<'_, '_> {
    fn stem(&self) -> String {
        format!("stages-{}", self.data.file_stem())
    }

    fn caption(&self) -> String {
        format!("Where a run's time goes on {}", self.data.label())
    }

    fn frame(&self) -> Frame {
        let names = self
            .profile
            .methods
            .iter()
            .map(|m| m.method.name().to_string());
        let axes = Axes {
            title: None,
            x_desc: "seconds per run (mean)".into(),
            y_desc: "method".into(),
            y_ticks: names.collect(),
            x_ticks: XTicks::Ends("0".into(), format!("{:.0}", self.x_hi())),
        };
        let legend = STAGES
            .iter()
            .zip(STAGE_COLOURS)
            .map(|(name, colour)| Entry::new(*name, Swatch::Block(colour)))
            .collect();
        Frame::new(&self.caption(), &[axes], 1, legend, Place::Below)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let frame = self.frame();
        let panel = &frame.panels[0];
        let area = panel.outer.area(root);
        let methods = &self.profile.methods;
        let rows = methods.len() as i32;
        let mut chart = panel
            .builder(&area)
            // An integer range holds both its ends: 0..rows − 1 is `rows` segments.
            .build_cartesian_2d(0.0..self.x_hi(), (0..(rows - 1).max(0)).into_segmented())?;
        let label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => methods
                .get(*i as usize)
                .map_or_else(String::new, |m| m.method.name().to_string()),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .label_style((FAMILY, TICK_SIZE))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&label)
            .y_labels(methods.len())
            .disable_y_mesh()
            .max_light_lines(1)
            .draw()?;
        for (stage, colour) in STAGE_COLOURS.iter().enumerate() {
            let bars = methods.iter().enumerate().map(|(row, m)| {
                let start: f64 = m.seconds[..stage].iter().sum();
                let row = row as i32;
                let mut bar = Rectangle::new(
                    [
                        (start, SegmentValue::Exact(row)),
                        (start + m.seconds[stage], SegmentValue::Exact(row + 1)),
                    ],
                    colour.filled(),
                );
                bar.set_margin(6, 6, 0, 0);
                bar
            });
            chart.draw_series(bars)?;
        }
        frame.draw_text(root)
    }
}

impl Stages<'_, '_> {
    /// The x axis's end: 5% past the longest run.
    fn x_hi(&self) -> f64 {
        let longest = self
            .profile
            .methods
            .iter()
            .map(|m| m.total())
            .fold(0.0, f64::max);
        if longest > 0.0 {
            longest * 1.05
        } else {
            1.0
        }
    }
}
