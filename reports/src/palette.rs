//! One colour per method, shared by every chart, so a method is recognisable across figures.
//! A base objective and its DynamicPO variant get clearly different hues (two shades of one
//! hue blur together in a small legend, and for colour-blind readers): bases are cool
//! colours, DynamicPO variants warm ones, from the colour-blind-safe Okabe–Ito palette
//! (dmpo blue / DynamicPO-DMPO orange, S-DPO bluish green / vermillion, MPPO sky blue /
//! reddish purple) and Paul Tol's muted palette for the rest.
use plotters::style::RGBColor;
use prefbench_vocabulary::BaseObjective::{Dmpo, Mppo, Sdpo};
use prefbench_vocabulary::DynamicVariant::{BetaOnly, Full, SelectOnly};
use prefbench_vocabulary::Method::{self, Base, Dpo, Dynamic};

/// Methods with a colour of their own; the order is irrelevant, lookups are by method.
const KNOWN: &[(Method, RGBColor)] = &[
    (Dpo, RGBColor(0x33, 0x22, 0x88)),
    (Base(Dmpo), RGBColor(0x00, 0x72, 0xb2)),
    (Dynamic(Dmpo, Full), RGBColor(0xe6, 0x9f, 0x00)),
    (Base(Sdpo), RGBColor(0x00, 0x9e, 0x73)),
    (Dynamic(Sdpo, Full), RGBColor(0xd5, 0x5e, 0x00)),
    (Base(Mppo), RGBColor(0x56, 0xb4, 0xe9)),
    (Dynamic(Mppo, Full), RGBColor(0xcc, 0x79, 0xa7)),
    (Dynamic(Dmpo, SelectOnly), RGBColor(0x99, 0x99, 0x33)),
    (Dynamic(Dmpo, BetaOnly), RGBColor(0x88, 0x22, 0x55)),
];

/// Colours for methods not listed above (the other ablations); picked by a stable hash of
/// the name so the choice does not depend on which methods a report holds.
const OTHERS: &[RGBColor] = &[
    RGBColor(0xb1, 0x59, 0x28),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x2b, 0x2b, 0x2b),
];

/// One colour per stage of a run, in the order of the stage chart's bars: the seed's shared
/// stages (SFT, reference log-likelihoods) grey, PO dark and light blue, evaluation green and
/// olive (Paul Tol's muted palette), so a run's own cost stands out from what its seed shares.
pub(crate) const STAGE_COLOURS: [RGBColor; 6] = [
    RGBColor(0xbb, 0xbb, 0xbb),
    RGBColor(0x77, 0x77, 0x77),
    RGBColor(0x33, 0x22, 0x88),
    RGBColor(0x88, 0xcc, 0xee),
    RGBColor(0x11, 0x77, 0x33),
    RGBColor(0x99, 0x99, 0x33),
];

/// Colour of the SFT reference line, neutral because it is not a PO method.
pub(crate) const REFERENCE: RGBColor = RGBColor(0x70, 0x70, 0x70);

/// Colour of the trivial baselines' lines: darker than the SFT line, and dotted.
pub(crate) const TRIVIAL: RGBColor = RGBColor(0x40, 0x40, 0x40);

/// The colour of `method` in every chart.
pub(crate) fn method_colour(method: Method) -> RGBColor {
    KNOWN
        .iter()
        .find(|(known, _)| *known == method)
        .map(|&(_, colour)| colour)
        .unwrap_or_else(|| OTHERS[fnv1a(method.name()) as usize % OTHERS.len()])
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

    /// The HSV hue of a colour in degrees.
    fn hue(RGBColor(r, g, b): RGBColor) -> f64 {
        let [r, g, b] = [r, g, b].map(|c| f64::from(c) / 255.0);
        let (max, min) = (r.max(g).max(b), r.min(g).min(b));
        let d = max - min;
        if d == 0.0 {
            return 0.0;
        }
        let h = if max == r {
            ((g - b) / d).rem_euclid(6.0)
        } else if max == g {
            (b - r) / d + 2.0
        } else {
            (r - g) / d + 4.0
        };
        60.0 * h
    }

    #[test]
    fn known_methods_have_distinct_colours_and_unknown_ones_are_stable() {
        for (i, (_, a)) in KNOWN.iter().enumerate() {
            for (_, b) in &KNOWN[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(method_colour(Base(Dmpo)), RGBColor(0x00, 0x72, 0xb2));
        let unlisted = Dynamic(Mppo, BetaOnly);
        assert_eq!(method_colour(unlisted), method_colour(unlisted));
        assert!(OTHERS.contains(&method_colour(unlisted)));
    }

    #[test]
    fn every_variant_differs_from_its_base_in_hue_not_just_shade() {
        let mut checked = 0;
        for (variant, colour) in KNOWN {
            let Some(base) = variant.baseline() else {
                continue;
            };
            let (a, b) = (hue(*colour), hue(method_colour(base)));
            let apart = (a - b).abs().min(360.0 - (a - b).abs());
            assert!(
                apart >= 60.0,
                "{variant} ({a:.0}°) and {base} ({b:.0}°) are {apart:.0}° apart"
            );
            checked += 1;
        }
        assert_eq!(checked, 5);
        assert!((hue(RGBColor(0xe6, 0x9f, 0x00)) - 41.5).abs() < 1.0);
    }
}
