//! Where every piece of a chart goes, computed before anything is drawn: the title (one line,
//! or two, or smaller, whichever first fits the canvas), the legend in a band of its own beside
//! or below the plots, and each panel's plot with its axis bands. Text is measured with the
//! font metrics the PNG is rasterised with, so [`Frame::problems`] can tell, without drawing,
//! whether any text leaves the canvas or any legend covers a plot; the layout test asks it of
//! every chart a report draws.
use super::legend::{Entry, Legend, Place};
use super::text::{draw_labels, fit, text_width, Label, Rect, BOX_HEIGHT, INK_ABOVE};
use super::SIZE;
use plotters::coord::Shift;
use plotters::prelude::{ChartBuilder, DrawingArea, DrawingAreaErrorKind, DrawingBackend};
use plotters::style::text_anchor::{HPos, VPos};

/// Blank border of the canvas, in pixels.
const MARGIN: i32 = 12;
/// Space between the title, the panels and the legend.
const GAP: i32 = 10;
/// The title's font size when it fits on one line, and the smallest it may shrink to.
const TITLE_SIZES: (u32, u32) = (22, 12);
/// A single-line title shrinks to this before it is broken in two.
const TITLE_ONE_LINE_MIN: u32 = 18;
/// Panel titles, axis descriptions and tick labels.
pub(crate) const SUBTITLE_SIZE: f64 = 17.0;
const DESC_SIZE: f64 = 16.0;
pub(crate) const TICK_SIZE: f64 = 13.0;
/// What one panel's axes say, from which its bands are sized.
pub(crate) struct Axes {
    pub title: Option<String>,
    pub x_desc: String,
    pub y_desc: String,
    /// Candidates for the widest y tick label (the axis ends, as formatted); the widest
    /// sizes the left band.
    pub y_ticks: Vec<String>,
    pub x_ticks: XTicks,
}

/// The x axis's tick labels.
pub(crate) enum XTicks {
    /// plotters' ticks on a numeric axis: the first and last labels, centred under the plot's
    /// ends, are what can leave the canvas.
    Ends(String, String),
    /// Named slots of equal width centred on x = 0, 1, …, n − 1 over [`slot_range`], labelled
    /// by the layout under each slot's centre, each line of a name (`\n`) shrunk to the slot's
    /// width on its own.
    Slots(Vec<String>),
}

/// The x range of `n` named slots: one unit per slot, and never fewer than three slots wide, so
/// that one or two compared settings are not stretched over the whole plot.
pub(crate) fn slot_range(n: usize) -> (f64, f64) {
    let pad = (3usize.saturating_sub(n)) as f64 / 2.0;
    (-0.5 - pad, n as f64 - 0.5 + pad)
}

/// One panel: the area plotters gets, the plot inside it and the text around the plot.
pub(crate) struct Panel {
    pub outer: Rect,
    pub plot: Rect,
    /// The panel's title and axis descriptions, which the chart draws from here.
    pub labels: Vec<Label>,
    /// Where plotters' outermost tick labels fall (the widest y label at the top, the first
    /// and last x labels), so that the check covers the text plotters places.
    #[cfg_attr(not(test), allow(dead_code))]
    pub ticks: Vec<Label>,
}

impl Panel {
    /// A chart builder on `area` (this panel's `outer`) whose plotting area is `plot`;
    /// plotters draws the ticks and their labels, the rest of the text is in `labels`.
    pub fn builder<'a, 'b, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
    ) -> ChartBuilder<'a, 'b, DB> {
        let mut builder = ChartBuilder::on(area);
        builder
            .margin_top(self.plot.y0 - self.outer.y0)
            .margin_right(self.outer.x1 - self.plot.x1)
            .x_label_area_size(self.outer.y1 - self.plot.y1)
            .y_label_area_size(self.plot.x0 - self.outer.x0);
        builder
    }
}

/// A whole chart's layout.
pub(crate) struct Frame {
    /// What the check holds every text to.
    #[cfg_attr(not(test), allow(dead_code))]
    pub canvas: Rect,
    pub title: Vec<Label>,
    pub panels: Vec<Panel>,
    pub legend: Legend,
}

impl Frame {
    /// Lays out a chart of `axes.len()` panels in `columns` columns under `title`, with
    /// `legend` at `place`.
    pub fn new(
        title: &str,
        axes: &[Axes],
        columns: usize,
        legend: Vec<Entry>,
        place: Place,
    ) -> Self {
        let canvas = Rect {
            x0: 0,
            y0: 0,
            x1: SIZE.0 as i32,
            y1: SIZE.1 as i32,
        };
        let inner = Rect {
            x0: MARGIN,
            y0: MARGIN,
            x1: canvas.x1 - MARGIN,
            y1: canvas.y1 - MARGIN,
        };
        let title = title_labels(title, inner);
        let below_title = title
            .iter()
            .map(|l| l.extent().y1)
            .max()
            .unwrap_or(inner.y0)
            + GAP;
        let body = Rect {
            y0: below_title,
            ..inner
        };
        let legend = Legend::new(legend, place, body);
        let body = match (place, legend.rect) {
            (_, None) => body,
            (Place::Right, Some(r)) => Rect {
                x1: r.x0 - GAP,
                ..body
            },
            (Place::Below, Some(r)) => Rect {
                y1: r.y0 - GAP,
                ..body
            },
        };
        let columns = columns.clamp(1, axes.len().max(1));
        let rows = axes.len().div_ceil(columns).max(1);
        let (cols, rows_i) = (columns as i32, rows as i32);
        let cell_w = (body.width() - (cols - 1) * GAP * 2) / cols;
        let cell_h = (body.height() - (rows_i - 1) * GAP) / rows_i;
        let panels = axes
            .iter()
            .enumerate()
            .map(|(i, axes)| {
                let (col, row) = ((i % columns) as i32, (i / columns) as i32);
                let x0 = body.x0 + col * (cell_w + GAP * 2);
                let y0 = body.y0 + row * (cell_h + GAP);
                panel(
                    axes,
                    Rect {
                        x0,
                        y0,
                        x1: x0 + cell_w,
                        y1: y0 + cell_h,
                    },
                )
            })
            .collect();
        Frame {
            canvas,
            title,
            panels,
            legend,
        }
    }

    /// Every text of the chart that the chart draws itself: titles, axis descriptions and
    /// the legend's labels.
    #[cfg(test)]
    pub fn labels(&self) -> impl Iterator<Item = &Label> {
        self.title
            .iter()
            .chain(self.panels.iter().flat_map(|p| &p.labels))
            .chain(self.legend.labels())
    }

    /// Draws the text the chart places itself (titles, axis descriptions) and the legend on
    /// `root`, the whole canvas; plotters has drawn the ticks.
    pub fn draw_text<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let panels = self.panels.iter().flat_map(|p| &p.labels);
        draw_labels(root, self.title.iter().chain(panels))?;
        self.legend.draw(root)
    }

    /// What a reader would stumble on, in words; empty when the layout is sound: text off the
    /// canvas, a legend over a panel or off the canvas, a title over a panel, text over a
    /// plot or over other text of its panel, a plot too small to read.
    #[cfg(test)]
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let ticks = self.panels.iter().flat_map(|p| &p.ticks);
        for label in self.labels().chain(ticks) {
            if !self.canvas.contains(&label.extent()) {
                out.push(format!(
                    "{:?} leaves the canvas: {:?}",
                    label.text,
                    label.extent()
                ));
            }
        }
        if let Some(legend) = self.legend.rect {
            if !self.canvas.contains(&legend) {
                out.push(format!("the legend leaves the canvas: {legend:?}"));
            }
            for label in self.legend.labels() {
                if !legend.contains(&label.extent()) {
                    out.push(format!("{:?} leaves the legend box", label.text));
                }
            }
        }
        for (i, panel) in self.panels.iter().enumerate() {
            if panel.plot.width() < 120 || panel.plot.height() < 100 {
                out.push(format!("panel {i}'s plot is too small: {:?}", panel.plot));
            }
            if let Some(legend) = self.legend.rect.filter(|r| r.overlaps(&panel.outer)) {
                out.push(format!("the legend {legend:?} covers panel {i}"));
            }
            for title in self
                .title
                .iter()
                .filter(|t| t.extent().overlaps(&panel.outer))
            {
                out.push(format!("the title line {:?} covers panel {i}", title.text));
            }
            for (j, other) in self.panels.iter().enumerate().skip(i + 1) {
                if panel.outer.overlaps(&other.outer) {
                    out.push(format!("panels {i} and {j} overlap"));
                }
            }
            let text: Vec<&Label> = panel.labels.iter().chain(&panel.ticks).collect();
            for (j, label) in text.iter().enumerate() {
                let extent = label.extent();
                if extent.overlaps(&panel.plot) {
                    out.push(format!("{:?} covers panel {i}'s plot", label.text));
                }
                if !panel.outer.contains(&extent) {
                    out.push(format!("{:?} leaves panel {i}", label.text));
                }
                for other in &text[j + 1..] {
                    if extent.overlaps(&other.extent()) {
                        out.push(format!("{:?} covers {:?}", label.text, other.text));
                    }
                }
            }
        }
        out
    }
}

/// The title on one line (shrunk down to [`TITLE_ONE_LINE_MIN`]), else on two lines broken
/// where the longer is shortest (shrunk down to the smallest size), centred over `inner`.
fn title_labels(title: &str, inner: Rect) -> Vec<Label> {
    let width = inner.width();
    let (max, min) = TITLE_SIZES;
    let one = (TITLE_ONE_LINE_MIN..=max)
        .rev()
        .map(f64::from)
        .find(|&s| text_width(title, s) <= width)
        .map(|s| (vec![title.to_string()], s));
    let two = || {
        let breaks: Vec<usize> = title.match_indices(' ').map(|(i, _)| i).collect();
        let lines = |size: f64| {
            breaks
                .iter()
                .map(|&i| (title[..i].to_string(), title[i + 1..].to_string()))
                .min_by_key(|(a, b)| text_width(a, size).max(text_width(b, size)))
        };
        let mut size = f64::from(max);
        loop {
            let Some((a, b)) = lines(size) else {
                return (vec![title.to_string()], size);
            };
            if size <= f64::from(min) || text_width(&a, size).max(text_width(&b, size)) <= width {
                return (vec![a, b], size);
            }
            size -= 1.0;
        }
    };
    let (lines, size) = one.unwrap_or_else(two);
    let centre = (inner.x0 + inner.x1) / 2;
    let step = (size * 1.25).round() as i32;
    let top = inner.y0 + (INK_ABOVE * size).ceil() as i32;
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            Label::new(
                line,
                size,
                (centre, top + i as i32 * step),
                HPos::Center,
                VPos::Top,
            )
        })
        .collect()
}

/// A panel in `cell`: its title on top, the y description and tick labels on the left, the
/// x tick labels and description below, the plot in what is left.
fn panel(axes: &Axes, cell: Rect) -> Panel {
    let mut labels = Vec::new();
    let centre_x = (cell.x0 + cell.x1) / 2;
    let mut top = cell.y0;
    if let Some(title) = &axes.title {
        let size = fit(title, SUBTITLE_SIZE, 10.0, cell.width());
        let label = Label::new(
            title.clone(),
            size,
            (centre_x, cell.y0 + (INK_ABOVE * size).ceil() as i32),
            HPos::Center,
            VPos::Top,
        );
        top = label.extent().y1 + 4;
        labels.push(label);
    }
    // The top y tick label is centred on the plot's top edge: half a line of room above it.
    let top = top + TICK_SIZE as i32;
    let tick_h = (TICK_SIZE * (BOX_HEIGHT + INK_ABOVE)).ceil() as i32;
    let desc_h = (DESC_SIZE * (BOX_HEIGHT + INK_ABOVE)).ceil() as i32;
    // Slot names may run over several lines (a setting and its relative lift).
    let tick_lines = match &axes.x_ticks {
        XTicks::Slots(names) => names.iter().map(|n| n.lines().count()).max().unwrap_or(1),
        XTicks::Ends(..) => 1,
    }
    .max(1) as i32;
    // A label's extent reaches a pixel past its box on either side (rounding): 3 px between
    // lines keep two of them apart.
    let tick_step = tick_h + 3;
    // plotters puts x tick labels 5 px of tick mark and a few more below the axis.
    let x_band = 10 + tick_h + tick_step * (tick_lines - 1) + 6 + desc_h;
    let widest = axes
        .y_ticks
        .iter()
        .max_by_key(|t| text_width(t, TICK_SIZE))
        .cloned()
        .unwrap_or_default();
    let tick_w = text_width(&widest, TICK_SIZE);
    let y_band = desc_h + 8 + tick_w + 12;
    let half_last = match &axes.x_ticks {
        XTicks::Ends(_, last) => text_width(last, TICK_SIZE) / 2,
        XTicks::Slots(_) => 0,
    };
    let plot = Rect {
        x0: cell.x0 + y_band,
        y0: top,
        x1: cell.x1 - (half_last + 4).max(12),
        y1: cell.y1 - x_band,
    };
    let mid_y = (plot.y0 + plot.y1) / 2;
    let x_desc_size = fit(&axes.x_desc, DESC_SIZE, 10.0, plot.width());
    labels.push(Label::new(
        axes.x_desc.clone(),
        x_desc_size,
        ((plot.x0 + plot.x1) / 2, cell.y1 - 1),
        HPos::Center,
        VPos::Bottom,
    ));
    let y_desc_size = fit(&axes.y_desc, DESC_SIZE, 10.0, plot.height());
    labels.push(Label {
        vertical: true,
        ..Label::new(
            axes.y_desc.clone(),
            y_desc_size,
            (cell.x0 + (0.71 * y_desc_size).ceil() as i32 + 1, mid_y),
            HPos::Center,
            VPos::Center,
        )
    });
    let tick_y = plot.y1 + 10;
    let mut ticks = Vec::new();
    match &axes.x_ticks {
        XTicks::Ends(first, last) => ticks.extend(
            [(first, plot.x0), (last, plot.x1)]
                .into_iter()
                .map(|(t, x)| {
                    Label::new(t.clone(), TICK_SIZE, (x, tick_y), HPos::Center, VPos::Top)
                }),
        ),
        XTicks::Slots(names) => {
            let (lo, hi) = slot_range(names.len());
            let unit = f64::from(plot.width()) / (hi - lo);
            let width = unit as i32;
            labels.extend(names.iter().enumerate().flat_map(|(i, name)| {
                let x = plot.x0 + ((i as f64 - lo) * unit).round() as i32;
                name.lines().enumerate().map(move |(j, line)| {
                    let size = fit(line, TICK_SIZE, 9.0, width - 6);
                    let y = tick_y + j as i32 * tick_step;
                    Label::new(line.to_string(), size, (x, y), HPos::Center, VPos::Top)
                })
            }));
        }
    }
    ticks.push(Label::new(
        widest,
        TICK_SIZE,
        (plot.x0 - 8, plot.y0),
        HPos::Right,
        VPos::Center,
    ));
    Panel {
        outer: cell,
        plot,
        labels,
        ticks,
    }
}

/// One panel's drawing of a multi-panel chart, in the place its [`Frame`] gives it.
pub(crate) trait PanelPlan {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        panel: &Panel,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>;
}

/// Draws each of `plans` in its panel of `frame`, then the frame's own text (title, legend):
/// the whole drawing of a chart whose panels are its plans.
pub(crate) fn draw_panels<DB: DrawingBackend, P: PanelPlan>(
    root: &DrawingArea<DB, Shift>,
    plans: &[P],
    frame: &Frame,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    for (plan, panel) in plans.iter().zip(&frame.panels) {
        plan.draw(root, panel)?;
    }
    frame.draw_text(root)
}
