//! Trivial baselines: what rules that learn nothing (or only counts) score on a dataset, so that
//! a report can say how much of a method's HR@1 a trivial rule already gets. Counts come from
//! the train split only; scores are reported on the valid and test splits.
//!
//! Ties never reward candidate order: a sample whose target ties with others at the cut-off
//! counts as the expected hit under a uniformly random tie-break (see [`expected_hit`]).
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::formats::{goodreads, hetrec, movielens, steam};
use crate::sample::{Dataset, ItemId, Sample};

/// One trivial rule's hit rates on the evaluation splits (written into the dataset card).
/// A split without samples gets 0.0; its split card's `samples` says it is empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrivialBaseline {
    /// `random`, `popularity`, `successor` or `id-order`.
    pub name: String,
    /// What the rule scores and how ties are counted, for a reader of the card.
    pub description: String,
    pub valid_hr_at_1: f64,
    pub test_hr_at_1: f64,
    pub valid_hr_at_5: f64,
    pub test_hr_at_5: f64,
}

/// Expected HR@k of one sample under a uniformly random tie-break: with `a` candidates scored
/// strictly above the target and `t` scored equal to it (the target included), the target's
/// rank is uniform on `a+1..=a+t`, so the hit is `clamp(k - a, 0, t) / t`. A sample whose
/// target is missing (`target = None`) is a miss. The baselines sum [`hit_fraction`]s exactly;
/// this float form is what the tests state the rule in.
#[cfg(test)]
fn expected_hit<S: PartialOrd>(scores: &[S], target: Option<usize>, k: usize) -> f64 {
    let (hits, tied) = hit_fraction(scores, target, k);
    hits as f64 / tied as f64
}

/// [`expected_hit`] as the exact fraction `(hits, tied)`; `(0, 1)` for a missing target.
fn hit_fraction<S: PartialOrd>(scores: &[S], target: Option<usize>, k: usize) -> (u64, u64) {
    let Some(s) = target.and_then(|t| scores.get(t)) else {
        return (0, 1);
    };
    let above = scores.iter().filter(|x| *x > s).count();
    let tied = scores.iter().filter(|x| *x == s).count();
    (k.saturating_sub(above).min(tied) as u64, tied as u64)
}

/// Occurrence counts of the train split that the counting rules score with.
#[derive(Debug, Default)]
struct Counts {
    /// Occurrences of an item as a target plus in histories.
    popularity: HashMap<ItemId, u64>,
    /// `(a, b)` → times `b` came directly after `a`: consecutive history items and the
    /// (last history item, target) pair of every sample.
    successors: HashMap<(ItemId, ItemId), u64>,
}

impl Counts {
    /// One pass over the samples: linear in the number of history items.
    fn from_samples(train: &[Sample]) -> Self {
        let mut c = Counts::default();
        for s in train {
            for &i in s.history.iter().chain([&s.target]) {
                *c.popularity.entry(i).or_default() += 1;
            }
            let sequence: Vec<ItemId> = s.history.iter().copied().chain([s.target]).collect();
            for w in sequence.windows(2) {
                *c.successors.entry((w[0], w[1])).or_default() += 1;
            }
        }
        c
    }

    fn popularity(&self, item: ItemId) -> u64 {
        self.popularity.get(&item).copied().unwrap_or(0)
    }

    fn successor(&self, previous: Option<ItemId>, item: ItemId) -> u64 {
        previous
            .and_then(|p| self.successors.get(&(p, item)))
            .copied()
            .unwrap_or(0)
    }
}

/// A candidate's ranking key: larger ranks higher, equal keys tie.
type Key = (u64, u64);

#[derive(Clone, Copy)]
enum Rule {
    Random,
    Popularity,
    Successor,
    IdOrder,
}

impl Rule {
    const ALL: [Rule; 4] = [
        Rule::Random,
        Rule::Popularity,
        Rule::Successor,
        Rule::IdOrder,
    ];

    fn name(self) -> &'static str {
        match self {
            Rule::Random => "random",
            Rule::Popularity => "popularity",
            Rule::Successor => "successor",
            Rule::IdOrder => "id-order",
        }
    }

    /// `ids` says which item ids the id-order rule ranks by (see [`ids_used`]).
    fn description(self, ids: &str) -> String {
        let ties = "Ties count as the expected hit of a uniform random tie-break.";
        match self {
            Rule::Random => {
                "Uniform random pick: 1/candidates (k/candidates for HR@k), exactly.".into()
            }
            Rule::Popularity => format!(
                "Scores a candidate by its occurrences in the train split, as a target plus in \
                 histories (overlapping histories count an item once per window). {ties}"
            ),
            Rule::Successor => format!(
                "Last-item successor memory: scores a candidate by how often it directly followed \
                 the sample's last history item in the train split (consecutive history items and \
                 each (last history item, target) pair); ties broken by popularity. {ties}"
            ),
            Rule::IdOrder => format!(
                "Order-artifact diagnostic: ranks candidates by item id, starting just above the \
                 largest id in the history and wrapping around (so with no larger candidate it \
                 picks the smallest id). Near 1/candidates unless ids leak the target. Uses \
                 {ids}."
            ),
        }
    }

    fn key(self, counts: &Counts, order: &dyn Fn(ItemId) -> u64, s: &Sample, c: ItemId) -> Key {
        match self {
            Rule::Random => (0, 0),
            Rule::Popularity => (counts.popularity(c), 0),
            Rule::Successor => (
                counts.successor(s.history.last().copied(), c),
                counts.popularity(c),
            ),
            Rule::IdOrder => {
                let top = s.history.iter().map(|&h| order(h)).max();
                let o = order(c);
                (u64::from(top.is_none_or(|m| o > m)), u64::MAX - o)
            }
        }
    }
}

/// Mean expected HR@k of `rule` over `samples`; 0.0 for no samples. Hits are summed exactly
/// per tie size, so that e.g. the random rule gives exactly 1/20 and not a rounded float sum.
fn hit_rate(
    rule: Rule,
    counts: &Counts,
    order: &dyn Fn(ItemId) -> u64,
    samples: &[Sample],
    k: usize,
) -> f64 {
    let mut by_tie: BTreeMap<u64, u64> = BTreeMap::new();
    let mut keys = Vec::new();
    for s in samples {
        keys.clear();
        keys.extend(s.candidates.iter().map(|&c| rule.key(counts, order, s, c)));
        let (hits, tied) = hit_fraction(&keys, s.target_index(), k);
        *by_tie.entry(tied).or_default() += hits;
    }
    let n = samples.len() as f64;
    by_tie
        .into_iter()
        .map(|(tied, hits)| hits as f64 / (tied as f64 * n))
        .sum()
}

/// How the id-order description names the source ids of the dataset called `name`
/// ([`Dataset::source_ids`]), for the recipes that keep them.
pub fn source_id_kind(name: &str) -> Option<&'static str> {
    match name {
        "lastfm-raw" | "lastfm-dated" => Some(hetrec::SOURCE_IDS),
        "movielens-llara" | "movielens-loo" => Some(movielens::SOURCE_IDS),
        "steam" => Some(steam::SOURCE_IDS),
        "goodreads" => Some(goodreads::SOURCE_IDS),
        _ => None,
    }
}

/// Which ids the id-order rule of `dataset` ranks by, for its description.
fn ids_used(dataset: &Dataset, source_order: bool) -> String {
    match (source_order, source_id_kind(&dataset.name)) {
        (true, Some(kind)) => format!("the source's own item ids: {kind}"),
        (true, None) => "the source's own item ids".into(),
        (false, _) if dataset.name == "synthetic" => {
            "the generator's own item ids (synthetic data has no others)".into()
        }
        (false, _) => "prefbench's internal ids, whose order carries no meaning for this \
                       dataset (items are numbered in order of first appearance; the source's \
                       own ids are not available, so an ordering artifact in them cannot show \
                       here)"
            .into(),
    }
}

/// The four trivial baselines of `dataset` (counts from train, scores on valid and test), in
/// linear time. `source_order[item]`, when given, is the item's id in the source (e.g. the
/// hetrec artistID, normally [`Dataset::source_ids`]) for the id-order rule, which is only
/// meaningful in the source's order; without it the rule uses the internal ids. An item beyond
/// `source_order` sorts last. The id-order description says which ids it used.
pub fn trivial_baselines(dataset: &Dataset, source_order: Option<&[u64]>) -> Vec<TrivialBaseline> {
    let counts = Counts::from_samples(&dataset.train);
    let order = |i: ItemId| match source_order {
        Some(o) => o.get(i as usize).copied().unwrap_or(u64::MAX),
        None => u64::from(i),
    };
    let ids = ids_used(dataset, source_order.is_some());
    Rule::ALL
        .iter()
        .map(|&rule| {
            let hr = |samples: &[Sample], k| hit_rate(rule, &counts, &order, samples, k);
            TrivialBaseline {
                name: rule.name().into(),
                description: rule.description(&ids),
                valid_hr_at_1: hr(&dataset.valid, 1),
                test_hr_at_1: hr(&dataset.test, 1),
                valid_hr_at_5: hr(&dataset.valid, 5),
                test_hr_at_5: hr(&dataset.test, 5),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::test_sample as sample;
    use crate::synthetic::{generate, SyntheticConfig};

    fn get<'a>(b: &'a [TrivialBaseline], name: &str) -> &'a TrivialBaseline {
        b.iter().find(|x| x.name == name).unwrap()
    }

    #[test]
    fn ties_count_as_the_expected_hit_of_a_random_tie_break() {
        // Target (index 2) ties with two others, one candidate above them.
        let scores = [5, 3, 3, 3, 1];
        let hits: Vec<f64> = (1..=5).map(|k| expected_hit(&scores, Some(2), k)).collect();
        assert_eq!(hits, [0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0, 1.0]);
        assert_eq!(expected_hit(&[1, 4, 2], Some(1), 1), 1.0);
        assert_eq!(expected_hit(&[4, 4, 2], Some(1), 1), 0.5);
        assert_eq!(expected_hit(&[4, 4, 2], Some(2), 2), 0.0);
        assert_eq!(expected_hit(&[7; 20], Some(13), 1), 0.05);
        assert_eq!(expected_hit(&[7; 20], Some(13), 5), 0.25);
        assert_eq!(expected_hit(&[7; 20], None, 5), 0.0);
    }

    /// Train counts: popularity 10:2, 11:3, 12:2, 13:1, 14:1; successors (10,11):2, (11,12):2,
    /// (11,13):1, (13,14):1. Expected hits per evaluated sample are in the comments.
    fn hand_made() -> Dataset {
        let train = vec![
            sample(vec![10, 11], vec![12, 13, 14, 15], 12),
            sample(vec![10, 11], vec![12, 13, 14, 15], 12),
            sample(vec![11, 13], vec![12, 14, 15, 16], 14),
        ];
        let eval = vec![
            // popularity 1, successor 1 (12 follows 11 twice), id-order 0 (30 is above 20).
            sample(vec![20, 11], vec![13, 12, 14, 30], 12),
            // popularity: 12 and 10 tie at 2 → 1/2; successor: no counts after 5, popularity
            // breaks it → 1/2; id-order: 10 is the smallest above 5 → 1.
            sample(vec![5], vec![12, 10, 40, 41], 10),
            // nothing known: 4-way ties → 1/4, 1/4; id-order wraps to the smallest id → 1.
            sample(vec![50], vec![7, 3, 20, 30], 3),
            // popularity picks 11 → 0; successor: 14 followed 13 once → 1; id-order: 14 → 1.
            sample(vec![13], vec![11, 14, 12, 99], 14),
        ];
        Dataset {
            name: "hand-made".into(),
            n_items: 100,
            titles: None,
            source_ids: None,
            train,
            valid: eval[..2].to_vec(),
            test: eval,
        }
    }

    #[test]
    fn hand_made_samples_score_exactly() {
        let b = trivial_baselines(&hand_made(), None);
        let names: Vec<&str> = b.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["random", "popularity", "successor", "id-order"]);
        let hr1 = |n| (get(&b, n).valid_hr_at_1, get(&b, n).test_hr_at_1);
        assert_eq!(hr1("random"), (0.25, 0.25));
        assert_eq!(hr1("popularity"), (0.75, 1.75 / 4.0));
        assert_eq!(hr1("successor"), (0.75, 2.75 / 4.0));
        assert_eq!(hr1("id-order"), (0.5, 0.75));
        // Four candidates: every rule hits at 5.
        assert!(b.iter().all(|x| x.test_hr_at_5 == 1.0));
    }

    #[test]
    fn hr_at_5_and_source_order() {
        let mut ds = hand_made();
        // 20 candidates 0..=12 and 15..=21 (known: 10, 11, 12), history [25], target 7.
        ds.test = vec![sample(vec![25], (0..=12).chain(15..=21).collect(), 7)];
        ds.valid.clear();
        let b = trivial_baselines(&ds, None);
        // Random: exactly 1/20 and 5/20; empty valid split: 0.
        let r = get(&b, "random");
        assert_eq!(
            (r.test_hr_at_1, r.test_hr_at_5, r.valid_hr_at_1),
            (0.05, 0.25, 0.0)
        );
        // Popularity: 10, 11, 12 (known) rank above the 17 unknown, 7 among them: 2/17 at 5.
        let p = get(&b, "popularity");
        assert_eq!((p.test_hr_at_1, p.test_hr_at_5), (0.0, 2.0 / 17.0));
        // id-order wraps: 0, 1, 2, … so 7 is 8th: no hit at 5.
        let i = get(&b, "id-order");
        assert_eq!((i.test_hr_at_1, i.test_hr_at_5), (0.0, 0.0));
        assert!(i.description.contains("prefbench's internal ids"));
        // In a source order that puts 7 just above 25, it is first.
        let mut order: Vec<u64> = (0..100).map(|i| 2 * i).collect();
        order[7] = 51;
        let i = get(&trivial_baselines(&ds, Some(&order)), "id-order").clone();
        assert_eq!((i.test_hr_at_1, i.test_hr_at_5), (1.0, 1.0));
        assert!(i.description.contains("the source's own item ids"));
    }

    /// Histories drawn in id order (the LastFM artifact) make id-order nearly perfect, while
    /// uniformly random sequences with uniform negatives (target and negatives exchangeable)
    /// keep every rule at chance.
    #[test]
    fn id_order_is_at_chance_without_an_order_artifact_and_high_with_one() {
        let config = SyntheticConfig {
            noise: 1.0,
            hard_negative_share: 0.0,
            users: 2000,
            holdout_share: 0.25,
            ..SyntheticConfig::default()
        };
        let mut ds = generate(&config).unwrap();
        assert!(ds.test.len() > 4000 && ds.valid.len() > 4000);
        for b in trivial_baselines(&ds, None) {
            for hr in [b.valid_hr_at_1, b.test_hr_at_1] {
                assert!((hr - 0.05).abs() < 0.015, "{}: {hr}", b.name);
            }
        }
        // Sorting every history and making the smallest larger candidate the target (where one
        // exists: about three samples in four here) builds the artifact; id-order hits those.
        for s in ds.valid.iter_mut().chain(&mut ds.test) {
            s.history.sort_unstable();
            let top = *s.history.last().unwrap();
            if let Some(&t) = s.candidates.iter().filter(|&&c| c > top).min() {
                s.target = t;
            }
        }
        let b = trivial_baselines(&ds, None);
        let i = get(&b, "id-order");
        assert!(i.test_hr_at_1 > 0.7, "{}", i.test_hr_at_1);
        assert!(get(&b, "random").test_hr_at_1 == 0.05);
    }
}
