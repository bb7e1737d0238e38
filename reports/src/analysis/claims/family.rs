//! The multiple-comparison family of one report. A report decides up to eight claims per
//! policy, per dataset and per pair, each at α = 0.05: without a correction, some would come
//! out "significant" by chance alone. Every p-value that decides a verdict row is one member
//! of a Holm–Bonferroni family, and verdicts read the Holm-adjusted p (docs/claims.md, "Shared
//! machinery").
//!
//! Holm needs every p-value before it can adjust any, while the rules decide as they test. So
//! the rules run twice over the same records ([`Family::collecting`], then
//! [`Family::adjusted`]): the first pass records each member's raw p by the key of its
//! hypothesis, the second reads back the adjusted p for the same key. Both passes are pure
//! functions of the sorted records, so they test the same hypotheses.
//!
//! A member is a hypothesis, not a use of it: a key names the dataset (with its policy and
//! setting) and the comparison, so C3's test on a backbone, which C5 reads again, counts once,
//! as does a pair at K = 19 that both C3 (as its main K) and C8 test.
use prefbench_results::stats::holm;
use std::collections::BTreeMap;

/// The Holm family of a report's verdicts.
#[derive(Debug, Default)]
pub(crate) struct Family {
    /// Raw p of each member by its key, in key order (the order does not change Holm's
    /// result, but keeps everything deterministic).
    raw: BTreeMap<String, f64>,
    /// Holm-adjusted p by key; `None` during the collecting pass.
    adjusted: Option<BTreeMap<String, f64>>,
}

impl Family {
    /// The first pass: records members and lets the raw p decide (those verdicts are
    /// discarded).
    pub fn collecting() -> Self {
        Self::default()
    }

    /// The second pass over the members the first recorded.
    pub fn adjusted(collected: Family) -> Self {
        let keys: Vec<&String> = collected.raw.keys().collect();
        let values: Vec<f64> = collected.raw.values().copied().collect();
        let adjusted = keys.into_iter().cloned().zip(holm(&values)).collect();
        Self {
            raw: collected.raw,
            adjusted: Some(adjusted),
        }
    }

    /// The p-value that decides the hypothesis `key`, whose raw p-value is `p` (finite): `p`
    /// itself while collecting, the Holm-adjusted p after. A key the first pass did not see
    /// (which two passes over the same records cannot produce) gets the Bonferroni bound over
    /// the family, which is never below Holm's.
    pub fn decide(&mut self, key: String, p: f64) -> f64 {
        match &self.adjusted {
            None => {
                self.raw.insert(key, p);
                p
            }
            Some(adjusted) => adjusted
                .get(&key)
                .copied()
                .unwrap_or_else(|| (p * self.raw.len().max(1) as f64).min(1.0)),
        }
    }

    /// Members of the family.
    pub fn size(&self) -> usize {
        self.raw.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_second_pass_reads_holm_adjusted_p_by_key_and_duplicates_count_once() {
        let mut first = Family::collecting();
        assert_eq!(first.decide("a".into(), 0.03), 0.03);
        assert_eq!(first.decide("b".into(), 0.04), 0.04);
        assert_eq!(
            first.decide("a".into(), 0.03),
            0.03,
            "the same hypothesis again"
        );
        assert_eq!(first.size(), 2);
        let mut second = Family::adjusted(first);
        // statsmodels' multipletests([0.03, 0.04], method="holm"): [0.06, 0.06].
        assert_eq!(second.decide("a".into(), 0.03), 0.06);
        assert_eq!(second.decide("b".into(), 0.04), 0.06);
        assert_eq!(second.decide("unseen".into(), 0.01), 0.02);
        assert_eq!(second.size(), 2);
    }
}
