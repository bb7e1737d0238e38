//! A method's marker as one plotters element: hollow markers are white inside, so a line
//! behind them does not show through and hollow reads as a property of the method. An element
//! of its own (not plotters' composed elements) because those, boxed for a choice of shape,
//! must outlive the backend.
use crate::palette::Marker;
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;
use plotters_backend::{BackendCoord, DrawingErrorKind};

/// The radius of the ring around a marked point, and of its legend swatch.
pub(crate) const RING_RADIUS: i32 = 8;

/// A marker at one point, `radius` pixels from centre to edge.
pub(crate) struct MarkerElement<C> {
    at: C,
    marker: Marker,
    colour: RGBColor,
    filled: bool,
    radius: i32,
}

/// `marker` at `at` in `colour`, filled or hollow.
pub(crate) fn marker<C>(
    at: C,
    marker: Marker,
    colour: RGBColor,
    filled: bool,
    radius: i32,
) -> MarkerElement<C> {
    MarkerElement {
        at,
        marker,
        colour,
        filled,
        radius,
    }
}

impl<'a, C> PointCollection<'a, C> for &'a MarkerElement<C> {
    type Point = &'a C;
    type IntoIter = std::iter::Once<&'a C>;

    fn point_iter(self) -> Self::IntoIter {
        std::iter::once(&self.at)
    }
}

impl<C, DB: DrawingBackend> Drawable<DB> for MarkerElement<C> {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut points: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        let Some((x, y)) = points.next() else {
            return Ok(());
        };
        let r = self.radius;
        let line = self.colour.stroke_width(2);
        let fill = match self.filled {
            true => self.colour.filled(),
            false => WHITE.filled(),
        };
        let at = |corners: &[(i32, i32)]| -> Vec<BackendCoord> {
            corners.iter().map(|(dx, dy)| (x + dx, y + dy)).collect()
        };
        let corners = match self.marker {
            Marker::Circle => {
                backend.draw_circle((x, y), r as u32, &fill, true)?;
                return backend.draw_circle((x, y), r as u32, &line, false);
            }
            Marker::Cross => {
                backend.draw_path(at(&[(-r, -r), (r, r)]), &line)?;
                return backend.draw_path(at(&[(-r, r), (r, -r)]), &line);
            }
            Marker::Plus => {
                backend.draw_path(at(&[(-r - 1, 0), (r + 1, 0)]), &line)?;
                return backend.draw_path(at(&[(0, -r - 1), (0, r + 1)]), &line);
            }
            Marker::Square => at(&[(-r, -r), (r, -r), (r, r), (-r, r)]),
            Marker::Triangle => at(&[(0, -r - 1), (r + 1, r), (-r - 1, r)]),
            Marker::Diamond => at(&[(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)]),
        };
        backend.fill_polygon(corners.clone(), &fill)?;
        let mut closed = corners.clone();
        closed.push(corners[0]);
        backend.draw_path(closed, &line)
    }
}
