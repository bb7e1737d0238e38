//! Text and rectangles on a chart's canvas, measured before anything is drawn: a label's box
//! comes from the font metrics the PNG is rasterised with, so a layout (the frame, the legend)
//! can check that text stays on the canvas and off the plots without drawing it.
use crate::fonts::{self, FAMILY};
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingAreaErrorKind, DrawingBackend};
use plotters::prelude::{FontTransform, IntoFont, Text};
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// plotters places a glyph's baseline half a font size below the top of its layout box, so
/// ascenders reach this fraction of the size above the box; the box itself is size / 1.24
/// high (its `estimate_layout`). `tests::extents_cover_the_rasterised_ink` holds both to the
/// rasteriser.
pub(crate) const INK_ABOVE: f64 = 0.3;
pub(crate) const BOX_HEIGHT: f64 = 1.0 / 1.24;

/// A rectangle in canvas pixels, `[x0, x1) × [y0, y1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    pub x0: i32,
    pub y0: i32,
    pub x1: i32,
    pub y1: i32,
}

impl Rect {
    pub fn width(&self) -> i32 {
        self.x1 - self.x0
    }

    pub fn height(&self) -> i32 {
        self.y1 - self.y0
    }

    #[cfg(test)]
    pub fn contains(&self, other: &Rect) -> bool {
        self.x0 <= other.x0 && other.x1 <= self.x1 && self.y0 <= other.y0 && other.y1 <= self.y1
    }

    #[cfg(test)]
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }

    /// This part of `root` as an area of its own.
    pub fn area<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> DrawingArea<DB, Shift> {
        root.clone().shrink(
            (self.x0, self.y0),
            (self.width().max(1) as u32, self.height().max(1) as u32),
        )
    }
}

/// The width of `text` in pixels at `size`, as the PNG renderer lays it out; text the font
/// cannot measure counts as wider than any canvas, so a layout never trusts it.
pub(crate) fn text_width(text: &str, size: f64) -> i32 {
    fonts::ensure_registered();
    (FAMILY, size)
        .into_font()
        .box_size(text)
        .map_or(i32::MAX / 4, |(w, _)| w as i32)
}

/// The largest size from `max` down to `min` (in steps of one) at which `text` is at most
/// `width` wide; `min` when none is.
pub(crate) fn fit(text: &str, max: f64, min: f64, width: i32) -> f64 {
    let mut size = max;
    while size > min && text_width(text, size) > width {
        size -= 1.0;
    }
    size
}

/// A line of text placed on the canvas.
#[derive(Clone)]
pub(crate) struct Label {
    pub text: String,
    pub size: f64,
    /// The anchor, in canvas pixels.
    pub at: (i32, i32),
    pub h: HPos,
    pub v: VPos,
    /// Read bottom to top (a y-axis description), turned about `at`.
    pub vertical: bool,
}

impl Label {
    pub fn new(text: impl Into<String>, size: f64, at: (i32, i32), h: HPos, v: VPos) -> Self {
        Self {
            text: text.into(),
            size,
            at,
            h,
            v,
            vertical: false,
        }
    }

    /// The box the rasterised glyphs stay in.
    pub fn extent(&self) -> Rect {
        let w = f64::from(text_width(&self.text, self.size));
        let h = self.size * BOX_HEIGHT;
        let dx = match self.h {
            HPos::Left => 0.0,
            HPos::Center => -w / 2.0,
            HPos::Right => -w,
        };
        let dy = match self.v {
            VPos::Top => 0.0,
            VPos::Center => -h / 2.0,
            VPos::Bottom => -h,
        };
        let (along, across) = ((dx, dx + w), (dy - INK_ABOVE * self.size, dy + h));
        let (x, y) = (f64::from(self.at.0), f64::from(self.at.1));
        let [x0, x1, y0, y1] = match self.vertical {
            // plotters turns (dx, dy) into (dy, −dx) about the anchor.
            true => [x + across.0, x + across.1, y - along.1, y - along.0],
            false => [x + along.0, x + along.1, y + across.0, y + across.1],
        };
        Rect {
            x0: x0.floor() as i32,
            y0: y0.floor() as i32,
            x1: x1.ceil() as i32 + 1,
            y1: y1.ceil() as i32 + 1,
        }
    }
}

/// Draws `labels` in black on `root`, the whole canvas.
pub(crate) fn draw_labels<'l, DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    labels: impl Iterator<Item = &'l Label>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    for label in labels {
        let mut font = (FAMILY, label.size).into_font();
        if label.vertical {
            font = font.transform(FontTransform::Rotate270);
        }
        let style = font
            .color(&plotters::style::BLACK)
            .pos(Pos::new(label.h, label.v));
        root.draw(&Text::new(label.text.as_str(), label.at, style))?;
    }
    Ok(())
}
