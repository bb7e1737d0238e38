//! One style per method, shared by every chart, so a method is recognisable across figures.
//! A method is told apart by colour *and* by marker and line, so nine lines stay legible in
//! grey print and for colour-blind readers:
//! - the hue says the base objective (DMPO blue, S-DPO green, MPPO orange; DPO grey), a base
//!   and its DynamicPO variant being a light/dark pair of that hue, so the comparison the
//!   claims make is the pair a reader finds first;
//! - the base is light, dashed and hollow, DynamicPO dark, solid and filled;
//! - the ablations take hues of their own (purple select-only, magenta β-only, olive
//!   random-subset), dotted lines and markers no full method uses.
//!
//! Shades are ColorBrewer's sequential Blues, Greens, Oranges, Purples, RdPu and Paul Tol's
//! olive, each dark enough to read as a thin line on white.
use plotters::style::RGBColor;
use prefbench_vocabulary::BaseObjective::{self, Dmpo, Mppo, Sdpo};
use prefbench_vocabulary::DynamicVariant::{BetaOnly, Full, RandomSubset, SelectOnly};
use prefbench_vocabulary::Method::{self, Base, Dpo, Dynamic};

/// A marker's shape; hollow or filled is [`Style::filled`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
    Cross,
    Plus,
}

/// A line's pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dash {
    Solid,
    /// Long dashes: a base objective, or the SFT reference.
    Dashed,
    /// Short dots: an ablation, or a trivial baseline.
    Dotted,
}

impl Dash {
    /// (dash, gap) lengths in pixels; `None` for a solid line.
    pub fn pattern(self) -> Option<(u32, u32)> {
        match self {
            Dash::Solid => None,
            Dash::Dashed => Some((9, 5)),
            Dash::Dotted => Some((2, 4)),
        }
    }
}

/// How one method is drawn in every chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Style {
    pub colour: RGBColor,
    pub marker: Marker,
    pub filled: bool,
    pub dash: Dash,
}

/// (light, dark) shade of a base objective's hue: the base and its full DynamicPO variant.
fn hue(base: BaseObjective) -> (RGBColor, RGBColor) {
    match base {
        Dmpo => (RGBColor(0x6b, 0xae, 0xd6), RGBColor(0x08, 0x51, 0x9c)),
        Sdpo => (RGBColor(0x74, 0xc4, 0x76), RGBColor(0x1e, 0x6e, 0x22)),
        Mppo => (RGBColor(0xfd, 0x8d, 0x3c), RGBColor(0xa6, 0x36, 0x03)),
    }
}

/// The marker of a base objective's pair.
fn shape(base: BaseObjective) -> Marker {
    match base {
        Dmpo => Marker::Circle,
        Sdpo => Marker::Square,
        Mppo => Marker::Triangle,
    }
}

/// An ablation's colour: its own hue, one shade per base objective it plugs into.
fn ablation_colour([dmpo, sdpo, mppo]: [RGBColor; 3], base: BaseObjective) -> RGBColor {
    match base {
        Dmpo => dmpo,
        Sdpo => sdpo,
        Mppo => mppo,
    }
}

/// The style of `method` in every chart.
pub(crate) fn method_style(method: Method) -> Style {
    let ablation = |shades, marker| Style {
        colour: ablation_colour(shades, base_of(method)),
        marker,
        filled: true,
        dash: Dash::Dotted,
    };
    match method {
        Dpo => Style {
            colour: RGBColor(0x52, 0x52, 0x52),
            marker: Marker::Diamond,
            filled: true,
            dash: Dash::Solid,
        },
        Base(base) => Style {
            colour: hue(base).0,
            marker: shape(base),
            filled: false,
            dash: Dash::Dashed,
        },
        Dynamic(base, Full) => Style {
            colour: hue(base).1,
            marker: shape(base),
            filled: true,
            dash: Dash::Solid,
        },
        Dynamic(_, SelectOnly) => ablation(
            [
                RGBColor(0x80, 0x7d, 0xba),
                RGBColor(0x54, 0x27, 0x8f),
                RGBColor(0x9e, 0x9a, 0xc8),
            ],
            Marker::Cross,
        ),
        Dynamic(_, BetaOnly) => ablation(
            [
                RGBColor(0xdd, 0x34, 0x97),
                RGBColor(0xae, 0x01, 0x7e),
                RGBColor(0xf7, 0x68, 0xa1),
            ],
            Marker::Plus,
        ),
        Dynamic(_, RandomSubset) => ablation(
            [
                RGBColor(0x99, 0x99, 0x33),
                RGBColor(0x66, 0x66, 0x11),
                RGBColor(0xbb, 0xbb, 0x55),
            ],
            Marker::Diamond,
        ),
    }
}

/// The base objective a method builds on (DMPO for DPO, which equals it at K = 1).
fn base_of(method: Method) -> BaseObjective {
    match method {
        Base(base) | Dynamic(base, _) => base,
        Dpo => Dmpo,
    }
}

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

/// Colour of the ring around a point whose cell has a run that shared the machine.
pub(crate) const SHARED_RING: RGBColor = RGBColor(0x52, 0x52, 0x52);

/// Colour of the trivial baselines' lines: darker than the SFT line, and dotted.
pub(crate) const TRIVIAL: RGBColor = RGBColor(0x40, 0x40, 0x40);

#[cfg(test)]
mod tests {
    use super::*;

    /// (HSV hue in degrees, Rec. 601 luma in [0, 1]) of a colour.
    fn hue_and_luma(RGBColor(r, g, b): RGBColor) -> (f64, f64) {
        let [r, g, b] = [r, g, b].map(|c| f64::from(c) / 255.0);
        let (max, min) = (r.max(g).max(b), r.min(g).min(b));
        let d = max - min;
        let h = if d == 0.0 {
            0.0
        } else if max == r {
            ((g - b) / d).rem_euclid(6.0)
        } else if max == g {
            (b - r) / d + 2.0
        } else {
            (r - g) / d + 4.0
        };
        (60.0 * h, 0.299 * r + 0.587 * g + 0.114 * b)
    }

    #[test]
    fn methods_differ_in_colour_and_the_nine_of_a_report_in_marker_or_line_too() {
        for (i, a) in Method::ALL.iter().enumerate() {
            for b in &Method::ALL[i + 1..] {
                assert_ne!(
                    method_style(*a).colour,
                    method_style(*b).colour,
                    "{a} and {b}"
                );
            }
        }
        let nine = [
            Dpo,
            Base(Dmpo),
            Base(Sdpo),
            Base(Mppo),
            Dynamic(Dmpo, Full),
            Dynamic(Sdpo, Full),
            Dynamic(Mppo, Full),
            Dynamic(Dmpo, SelectOnly),
            Dynamic(Dmpo, BetaOnly),
            Dynamic(Dmpo, RandomSubset),
        ];
        for (i, a) in nine.iter().enumerate() {
            for b in &nine[i + 1..] {
                let (sa, sb) = (method_style(*a), method_style(*b));
                assert!(
                    (sa.marker, sa.filled, sa.dash) != (sb.marker, sb.filled, sb.dash),
                    "{a} and {b} differ only in colour"
                );
            }
        }
    }

    #[test]
    fn a_base_and_its_dynamicpo_variant_are_a_light_and_dark_pair_of_one_hue() {
        for base in [Dmpo, Sdpo, Mppo] {
            let (light, dark) = (
                method_style(Base(base)).colour,
                method_style(Dynamic(base, Full)).colour,
            );
            let ((h1, l1), (h2, l2)) = (hue_and_luma(light), hue_and_luma(dark));
            let apart = (h1 - h2).abs().min(360.0 - (h1 - h2).abs());
            assert!(apart < 12.0, "{base:?}: hues {h1:.0}° and {h2:.0}°");
            assert!(l1 - l2 > 0.25, "{base:?}: luma {l1:.2} and {l2:.2}");
        }
    }
}
