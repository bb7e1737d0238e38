//! The five outcomes of docs/claims.md ("Five outcomes"): significance *and* size, so that
//! "not significant" tells "the claimed effect is ruled out" from "too few seeds to tell".
use crate::model::Outcome;
use prefbench_results::stats::ALPHA;

/// What a comparison found, given Δ, its adjusted p, the 95 % interval of its relative lift and
/// the paper's relative lift (`None` where the paper gave no number). Every claim's direction
/// is positive (the variant is claimed to be better).
pub(super) fn classify(
    effect: f64,
    p_adjusted: Option<f64>,
    relative_ci: Option<(f64, f64)>,
    paper: Option<f64>,
) -> Outcome {
    let Some(p) = p_adjusted.filter(|p| p.is_finite()) else {
        return Outcome::Underpowered;
    };
    let reaches_paper = match (paper, relative_ci) {
        (Some(size), Some((_, hi))) => Some(hi >= size),
        _ => None,
    };
    match (p < ALPHA, effect > 0.0, reaches_paper) {
        (true, false, _) => Outcome::Opposite,
        (true, true, Some(false)) => Outcome::SmallerThanClaimed,
        (true, true, _) => Outcome::Reproduced,
        (false, _, Some(false)) => Outcome::RuledOut,
        (false, _, _) => Outcome::Underpowered,
    }
}

/// What a secondary comparison found (no claimed size, no claimed direction): higher, lower,
/// or no significant difference at its adjusted p.
pub(super) fn direction(effect: f64, p_adjusted: Option<f64>) -> Outcome {
    match p_adjusted.filter(|p| p.is_finite() && *p < ALPHA) {
        Some(_) if effect > 0.0 => Outcome::Higher,
        Some(_) if effect < 0.0 => Outcome::Lower,
        _ => Outcome::NotSignificant,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significance_and_size_give_the_five_outcomes() {
        let paper = Some(0.139);
        assert_eq!(
            classify(0.05, Some(0.01), Some((0.05, 0.20)), paper),
            Outcome::Reproduced
        );
        assert_eq!(
            classify(0.01, Some(0.01), Some((0.005, 0.03)), paper),
            Outcome::SmallerThanClaimed
        );
        assert_eq!(
            classify(0.002, Some(0.6), Some((-0.02, 0.04)), paper),
            Outcome::RuledOut
        );
        assert_eq!(
            classify(0.05, Some(0.2), Some((-0.05, 0.3)), paper),
            Outcome::Underpowered
        );
        assert_eq!(
            classify(-0.03, Some(0.001), Some((-0.1, -0.01)), paper),
            Outcome::Opposite
        );
        // Without a published size: significance alone.
        assert_eq!(
            classify(0.03, Some(0.01), Some((0.01, 0.05)), None),
            Outcome::Reproduced
        );
        assert_eq!(
            classify(0.03, Some(0.3), Some((-0.01, 0.05)), None),
            Outcome::Underpowered
        );
        assert_eq!(classify(0.03, None, None, paper), Outcome::Underpowered);
        assert_eq!(direction(-0.01, Some(0.01)), Outcome::Lower);
        assert_eq!(direction(0.01, Some(0.2)), Outcome::NotSignificant);
    }
}
