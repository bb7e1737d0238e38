//! Where a run's time goes: one horizontal bar per method, stacked by stage (the seed's share
//! of SFT and of the reference log-likelihoods, PO steps, the rest of PO, each split's
//! evaluation), so the stage worth cutting is the widest colour. The numbers are in the
//! report's cost section.
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
    pub profile: &'a Profile,
}

impl Chart for Stages<'_, '_> {
    fn stem(&self) -> String {
        format!("stages-{}", self.data.file_stem())
    }

    fn caption(&self) -> String {
        format!("Where a run's time goes on {}", self.data.label())
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let methods = &self.profile.methods;
        let longest = methods.iter().map(|m| m.total()).fold(0.0, f64::max);
        let x_hi = if longest > 0.0 { longest * 1.05 } else { 1.0 };
        let rows = methods.len() as i32;
        area.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(area)
            .caption(self.caption(), (FAMILY, 24))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(200)
            .build_cartesian_2d(0.0..x_hi, (0..rows).into_segmented())?;
        let label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => methods
                .get(*i as usize)
                .map_or_else(String::new, |m| m.method.name().to_string()),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .x_desc("seconds per run (mean)")
            .axis_desc_style((FAMILY, 18))
            .label_style((FAMILY, 14))
            .y_label_formatter(&label)
            .y_labels(methods.len())
            .disable_y_mesh()
            .max_light_lines(1)
            .draw()?;
        for (stage, (&name, &colour)) in STAGES.iter().zip(&STAGE_COLOURS).enumerate() {
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
            chart.draw_series(bars)?.label(name).legend(move |(x, y)| {
                Rectangle::new([(x, y - 6), (x + 16, y + 6)], colour.filled())
            });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FAMILY, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
    }
}
