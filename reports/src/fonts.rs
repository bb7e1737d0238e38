//! The embedded font: PNG text is rasterised from it, so charts need no system fonts.
use plotters::style::{register_font, FontStyle};
use std::sync::Once;

/// The family every chart asks for; SVG files name it, and viewers map it to a local font.
pub(crate) const FAMILY: &str = "sans-serif";

/// DejaVu Sans (licence in `assets/DejaVuSans-LICENSE.txt`).
const DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Registers the embedded font under [`FAMILY`]; plotters needs it before it can lay out any
/// text, in SVG as in PNG. Safe to call from every chart.
pub(crate) fn ensure_registered() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let registered = register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS);
        assert!(
            registered.is_ok(),
            "the embedded DejaVuSans.ttf is a valid font"
        );
    });
}
