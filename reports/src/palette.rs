//! One colour per method, shared by every chart, so a method is recognisable across figures.
//! Each base objective and its DynamicPO variant form a light/dark pair of one hue (ColorBrewer
//! "Paired"), so "base versus DynamicPO" reads at a glance.
use plotters::style::RGBColor;

/// Known methods and their colours; the order is irrelevant, lookups are by name.
const KNOWN: &[(&str, RGBColor)] = &[
    ("dpo", RGBColor(0x1f, 0x78, 0xb4)),
    ("sdpo", RGBColor(0x8c, 0xc8, 0x5a)),
    ("dynamicpo-sdpo", RGBColor(0x33, 0xa0, 0x2c)),
    ("dmpo", RGBColor(0xf5, 0x7f, 0x7d)),
    ("dynamicpo-dmpo", RGBColor(0xc4, 0x10, 0x16)),
    ("mppo", RGBColor(0xfd, 0xae, 0x4f)),
    ("dynamicpo-mppo", RGBColor(0xe0, 0x6c, 0x00)),
    ("dynamicpo-dmpo-select-only", RGBColor(0xb0, 0x92, 0xc9)),
    ("dynamicpo-dmpo-beta-only", RGBColor(0x6a, 0x3d, 0x9a)),
];

/// Colours for methods not listed above (other ablations, future objectives); picked by a
/// stable hash of the name so the choice does not depend on which methods a report holds.
const OTHERS: &[RGBColor] = &[
    RGBColor(0xb1, 0x59, 0x28),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x2b, 0x2b, 0x2b),
];

/// Colour of the SFT reference line, neutral because it is not a PO method.
pub(crate) const REFERENCE: RGBColor = RGBColor(0x70, 0x70, 0x70);

/// The colour of `method` in every chart.
pub(crate) fn method_colour(method: &str) -> RGBColor {
    KNOWN
        .iter()
        .find(|(name, _)| *name == method)
        .map(|&(_, colour)| colour)
        .unwrap_or_else(|| OTHERS[fnv1a(method) as usize % OTHERS.len()])
}

/// FNV-1a, chosen because it is stable across Rust versions (unlike `DefaultHasher`).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_methods_have_distinct_colours_and_unknown_ones_are_stable() {
        for (i, (_, a)) in KNOWN.iter().enumerate() {
            for (_, b) in &KNOWN[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(method_colour("dmpo"), RGBColor(0xf5, 0x7f, 0x7d));
        assert_eq!(method_colour("new-method"), method_colour("new-method"));
        assert!(OTHERS.contains(&method_colour("new-method")));
    }
}
