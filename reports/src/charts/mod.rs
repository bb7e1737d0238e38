//! Charts, one file per kind (as in criterion.rs): each kind says what it draws, lays itself
//! out first ([`frame`]: title, panels, legend, all measured) and then draws into that layout,
//! so a test can check every chart's layout without drawing it. [`render`] writes each as SVG
//! (for the Markdown report) and PNG (for places without SVG).
mod curves;
mod frame;
mod hr1_vs_k;
mod legend;
mod marker;
mod metric_vs_k;
mod paired;
mod stages;
mod text;
mod vs_k;

use crate::analysis::dataset::DatasetResults;
use crate::model::{Figure, SectionFigures};
use crate::{fonts, output, ReportError};
use frame::Frame;
use plotters::coord::Shift;
use plotters::prelude::{BitMapBackend, DrawingArea, DrawingAreaErrorKind, DrawingBackend};
use plotters::prelude::{IntoDrawingArea, SVGBackend, WHITE};
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
    /// Where the chart's title, panels and legend go on a canvas of [`SIZE`].
    fn frame(&self) -> Frame;
    /// Draws onto a white area of [`SIZE`], in the places of [`Chart::frame`].
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>;
}

/// Every chart kind, so that one list says which charts a dataset gets.
enum Kind<'a, 'r> {
    Paired(paired::Paired<'a, 'r>),
    VsK(vs_k::VsK<'a, 'r>),
    Curves(curves::Curves<'a, 'r>),
    Stages(stages::Stages<'a, 'r>),
}

/// `$body` with `$chart` bound to the chart inside `$kind`, whatever its kind.
macro_rules! with_chart {
    ($kind:expr, $chart:ident => $body:expr) => {
        match $kind {
            Kind::Paired($chart) => $body,
            Kind::VsK($chart) => $body,
            Kind::Curves($chart) => $body,
            Kind::Stages($chart) => $body,
        }
    };
}

/// The charts of one dataset, in the order the report shows them. The paired difference
/// comes first, when a pair ran. The "against K" charts need two K at least: over one K they
/// would be a dot per method, whose numbers the tables give.
fn charts<'a, 'r>(data: &'a DatasetResults<'r>) -> Vec<Kind<'a, 'r>> {
    let mut charts = Vec::new();
    let paired = paired::Paired { data };
    if paired.applies() {
        charts.push(Kind::Paired(paired));
    }
    let against_k = data.ks().len() >= 2;
    if against_k {
        charts.push(Kind::VsK(hr1_vs_k::hr1_vs_k(data)));
        charts.push(Kind::VsK(metric_vs_k::loss(data)));
    }
    charts.push(Kind::Curves(curves::Curves { data }));
    if against_k {
        charts.push(Kind::VsK(metric_vs_k::boundary_share(data)));
        charts.push(Kind::VsK(metric_vs_k::wall_clock(data)));
    }
    if let Some(profile) = crate::analysis::stages::profile(data) {
        charts.push(Kind::Stages(stages::Stages { data, profile }));
    }
    charts
}

/// Renders every chart of one dataset under `figures_dir`.
pub(crate) fn render_dataset(
    data: &DatasetResults,
    figures_dir: &Path,
) -> Result<SectionFigures, ReportError> {
    let mut figures = SectionFigures {
        pairs: None,
        others: Vec::new(),
    };
    for kind in charts(data) {
        match kind {
            Kind::Paired(chart) => figures.pairs = Some(render(&chart, figures_dir)?),
            kind => figures
                .others
                .push(with_chart!(kind, chart => render(&chart, figures_dir)?)),
        }
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
        area.fill(&WHITE)
            .and_then(|()| chart.draw(&area))
            .and_then(|()| area.present())
            .map_err(|e| chart_err(&svg_path, e))?;
    }
    output::write_text(&svg_path, &text)?;

    let png_path = figures_dir.join(&png);
    let (width, height) = SIZE;
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
        area.fill(&WHITE)
            .and_then(|()| chart.draw(&area))
            .and_then(|()| area.present())
            .map_err(|e| chart_err(&png_path, e))?;
    }
    let encoded = encode_png(&pixels, SIZE).map_err(|e| ReportError::Chart {
        path: png_path.clone(),
        message: format!("encoding the PNG failed: {e}"),
    })?;
    output::write_bytes(&png_path, &encoded)?;

    Ok(Figure {
        caption: chart.caption(),
        svg: format!("figures/{svg}"),
        png: format!("figures/{png}"),
    })
}

/// `pixels` (RGB, 8 bits a channel, rows top down) as a PNG file's bytes, encoded as
/// plotters' own PNG writer (the `image` crate) encodes them: fast compression, the adaptive
/// filter starting from Sub, no other chunks; so the published figures keep their bytes without
/// compiling `image` and its other codecs.
fn encode_png(pixels: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>, png::EncodingError> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::FilterType::Sub);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(pixels)?;
    writer.finish()?;
    Ok(bytes)
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

// After `with_chart!`, which the layout test uses.
#[cfg(test)]
mod tests;
