//! Charts, one file per kind (as in criterion.rs): each kind says what it draws, and
//! [`render`] writes it as SVG (for the Markdown report) and PNG (for places without SVG).
mod curves;
mod hr1_vs_k;
mod metric_vs_k;
mod stages;
mod vs_k;

use crate::analysis::dataset::DatasetResults;
use crate::model::Figure;
use crate::{fonts, output, ReportError};
use metric_vs_k::MetricVsK;
use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, DrawingAreaErrorKind, DrawingBackend};
use plotters::prelude::{IntoDrawingArea, SVGBackend, SeriesLabelPosition};
use std::path::Path;

/// Pixel size of every chart, so figures line up in the report.
pub(crate) const SIZE: (u32, u32) = (960, 600);

/// A chart kind. Drawing is generic over the backend so that one implementation yields both
/// the SVG and the PNG.
pub(crate) trait Chart {
    /// File name without extension under `figures/`; unique per chart.
    fn stem(&self) -> String;
    /// What the chart shows, used as its alt text in the report.
    fn caption(&self) -> String;
    /// Draws onto a blank area of [`SIZE`].
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>;
}

/// Every chart of one dataset, in the order the report shows them.
pub(crate) fn render_dataset(
    data: &DatasetResults,
    figures_dir: &Path,
) -> Result<Vec<Figure>, ReportError> {
    let mut figures = vec![
        render(&hr1_vs_k::Hr1VsK { data }, figures_dir)?,
        render(&MetricVsK::loss(data), figures_dir)?,
        render(&curves::Curves { data }, figures_dir)?,
        render(&MetricVsK::boundary_share(data), figures_dir)?,
        render(&MetricVsK::wall_clock(data), figures_dir)?,
    ];
    if let Some(profile) = crate::analysis::stages::profile(data) {
        let chart = stages::Stages {
            data,
            profile: &profile,
        };
        figures.push(render(&chart, figures_dir)?);
    }
    Ok(figures)
}

/// Writes `figures_dir/<stem>.svg` and `.png` (each atomically) and returns their links.
fn render(chart: &impl Chart, figures_dir: &Path) -> Result<Figure, ReportError> {
    fonts::ensure_registered();
    let stem = chart.stem();
    let (svg, png) = (format!("{stem}.svg"), format!("{stem}.png"));

    let svg_path = figures_dir.join(&svg);
    let mut text = String::new();
    {
        let area = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        chart
            .draw(&area)
            .and_then(|()| area.present())
            .map_err(|e| chart_err(&svg_path, e))?;
    }
    output::write_text(&svg_path, &text)?;

    let png_path = figures_dir.join(&png);
    output::write_atomically(&png_path, |tmp| {
        let area = BitMapBackend::new(tmp, SIZE).into_drawing_area();
        chart
            .draw(&area)
            .and_then(|()| area.present())
            .map_err(|e| chart_err(&png_path, e))
    })?;

    Ok(Figure {
        caption: chart.caption(),
        svg: format!("figures/{svg}"),
        png: format!("figures/{png}"),
    })
}

fn chart_err<E: std::error::Error + Send + Sync>(
    path: &Path,
    error: DrawingAreaErrorKind<E>,
) -> ReportError {
    ReportError::Chart {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

/// The corner of the plot where the legend hides the least data: the one crossed by the
/// fewest samples along `lines` (in data coordinates), upper right on a tie.
pub(crate) fn legend_corner(
    lines: &[Vec<(f64, f64)>],
    x: (f64, f64),
    y: (f64, f64),
) -> SeriesLabelPosition {
    const SAMPLES: usize = 16;
    let fraction = |v: f64, (lo, hi): (f64, f64)| (v - lo) / (hi - lo);
    let mut counts = [0usize; 4]; // upper right, lower right, upper left, lower left
    for line in lines {
        let segments = line.windows(2).map(|w| (w[0], w[1]));
        let points = line.first().map(|&p| (p, p)).into_iter().chain(segments);
        for ((x0, y0), (x1, y1)) in points {
            for i in 0..=SAMPLES {
                let t = i as f64 / SAMPLES as f64;
                let (fx, fy) = (
                    fraction(x0 + t * (x1 - x0), x),
                    fraction(y0 + t * (y1 - y0), y),
                );
                let right = match fx {
                    f if f > 0.6 => 0,
                    f if f < 0.4 => 2,
                    _ => continue,
                };
                match fy {
                    f if f > 0.6 => counts[right] += 1,
                    f if f < 0.4 => counts[right + 1] += 1,
                    _ => {}
                }
            }
        }
    }
    let corners = [
        SeriesLabelPosition::UpperRight,
        SeriesLabelPosition::LowerRight,
        SeriesLabelPosition::UpperLeft,
        SeriesLabelPosition::LowerLeft,
    ];
    let best = (0..4).min_by_key(|&i| counts[i]).unwrap_or(0);
    corners[best].clone()
}
