//! The legend as a box of its own beside or below the plots ([`Place`]), never over data:
//! its entries, where each goes, and how each swatch is drawn.
use super::marker::{marker, RING_RADIUS};
use super::text::{draw_labels, text_width, Label, Rect};
use crate::palette::{Dash, Style};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

const FONT: f64 = 14.0;
const ROW: i32 = 22;
const SWATCH: i32 = 32;
const PAD: i32 = 8;
/// Between a swatch and its label, and between columns of a legend below the plots.
const SPACE: i32 = 6;
const COLUMN_GAP: i32 = 18;

/// Where the legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// A column to the right of the panels.
    Right,
    /// Rows below the panels.
    Below,
}

/// What a legend entry's swatch shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Swatch {
    /// A method: its line with its marker.
    Method(Style),
    /// A reference line.
    Line(RGBColor, Dash),
    /// A filled block (a stacked bar's stage).
    Block(RGBColor),
    /// One seed's value: a small hollow dot.
    Dot(RGBColor),
    /// A mean with its interval: a whisker through a filled dot.
    Interval(RGBColor),
    /// A ring drawn around a point to mark it.
    Ring(RGBColor),
    /// None: the entry is a note.
    Blank,
}

/// One legend entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub label: String,
    pub swatch: Swatch,
}

impl Entry {
    pub fn new(label: impl Into<String>, swatch: Swatch) -> Self {
        Self {
            label: label.into(),
            swatch,
        }
    }
}

/// A laid-out legend: its box (`None` without entries) and each entry's swatch box and label.
pub(crate) struct Legend {
    pub rect: Option<Rect>,
    pub(super) items: Vec<(Rect, Label, Swatch)>,
}

impl Legend {
    /// `entries` in a box at the right of `body` (one column, from its top) or at its foot
    /// (as many columns as fit, centred).
    pub fn new(entries: Vec<Entry>, place: Place, body: Rect) -> Self {
        let n = entries.len() as i32;
        if n == 0 {
            return Self {
                rect: None,
                items: Vec::new(),
            };
        }
        let widest = entries
            .iter()
            .map(|e| text_width(&e.label, FONT))
            .max()
            .unwrap_or(0);
        let column = SWATCH + SPACE + widest + COLUMN_GAP;
        let columns = match place {
            Place::Right => 1,
            Place::Below => ((body.width() - 2 * PAD + COLUMN_GAP) / column).clamp(1, n),
        };
        let rows = (n + columns - 1) / columns;
        let (w, h) = (
            2 * PAD + columns * column - COLUMN_GAP,
            2 * PAD + rows * ROW,
        );
        let rect = match place {
            Place::Right => Rect {
                x0: body.x1 - w,
                y0: body.y0,
                x1: body.x1,
                y1: body.y0 + h,
            },
            Place::Below => {
                let x0 = (body.x0 + body.x1 - w) / 2;
                Rect {
                    x0,
                    y0: body.y1 - h,
                    x1: x0 + w,
                    y1: body.y1,
                }
            }
        };
        let items = entries
            .into_iter()
            .enumerate()
            .map(|(i, entry)| {
                let (col, row) = (i as i32 % columns, i as i32 / columns);
                let (x, y) = (rect.x0 + PAD + col * column, rect.y0 + PAD + row * ROW);
                let swatch = Rect {
                    x0: x,
                    y0: y + 3,
                    x1: x + SWATCH,
                    y1: y + ROW - 3,
                };
                let at = (swatch.x1 + SPACE, y + ROW / 2);
                let label = Label::new(entry.label, FONT, at, HPos::Left, VPos::Center);
                (swatch, label, entry.swatch)
            })
            .collect();
        Self {
            rect: Some(rect),
            items,
        }
    }

    pub fn labels(&self) -> impl Iterator<Item = &Label> {
        self.items.iter().map(|(_, label, _)| label)
    }

    /// Draws the box, the swatches and the labels on `root`, the whole canvas.
    pub fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let Some(rect) = self.rect else {
            return Ok(());
        };
        let corners = [(rect.x0, rect.y0), (rect.x1, rect.y1)];
        root.draw(&Rectangle::new(corners, WHITE.filled()))?;
        root.draw(&Rectangle::new(corners, BLACK.mix(0.4)))?;
        for (r, _, swatch) in &self.items {
            let mid = (r.y0 + r.y1) / 2;
            let centre = ((r.x0 + r.x1) / 2, mid);
            match *swatch {
                Swatch::Method(style) => {
                    line(root, *r, style.colour, style.dash)?;
                    root.draw(&marker(centre, style.marker, style.colour, style.filled, 4))?;
                }
                Swatch::Line(colour, dash) => line(root, *r, colour, dash)?,
                Swatch::Block(colour) => root.draw(&Rectangle::new(
                    [(r.x0 + 6, r.y0), (r.x1 - 6, r.y1)],
                    colour.filled(),
                ))?,
                Swatch::Dot(colour) => {
                    root.draw(&Circle::new(centre, 3, colour.stroke_width(1)))?
                }
                Swatch::Interval(colour) => {
                    let whisker = vec![(centre.0, r.y0), (centre.0, r.y1)];
                    root.draw(&PathElement::new(whisker, colour.stroke_width(2)))?;
                    root.draw(&Circle::new(centre, 4, colour.filled()))?;
                }
                Swatch::Ring(colour) => {
                    root.draw(&Circle::new(centre, RING_RADIUS, colour.stroke_width(2)))?
                }
                Swatch::Blank => {}
            }
        }
        draw_labels(root, self.labels())
    }
}

/// A horizontal line across `r` in `dash`'s pattern.
fn line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: Rect,
    colour: RGBColor,
    dash: Dash,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let y = (r.y0 + r.y1) / 2;
    let (on, off) = dash
        .pattern()
        .map_or((r.width(), 0), |(a, b)| (a as i32, b as i32));
    let mut x = r.x0;
    while x < r.x1 {
        let end = (x + on).min(r.x1);
        root.draw(&PathElement::new(
            vec![(x, y), (end, y)],
            colour.stroke_width(2),
        ))?;
        x = end + off;
    }
    Ok(())
}
