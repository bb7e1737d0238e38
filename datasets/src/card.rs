//! The dataset card: what a prepared dataset is made of, where its bytes came from and whether
//! every sample keeps the protocol's invariants. Written next to every run so that a report can
//! always say which data it was computed on.
use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::recipe::{Recipe, RecipeKind};
use crate::sample::{Dataset, Sample, Split, CANDIDATES, MAX_HISTORY};
use crate::trivial::trivial_baselines;
use crate::trivial::TrivialBaseline;

/// One downloaded (or locally supplied) source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    pub file: String,
    /// Where it was fetched from; `None` for files given with `--from`.
    pub url: Option<String>,
    pub sha256: String,
    /// False when the registry pins no hash (the lock file's first-seen hash was used) or the
    /// file came from a directory without its archive.
    pub pinned: bool,
}

/// A file the recipe wrote (e.g. the rebuilt S-DPO JSON), with the hash it should have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DerivedFile {
    pub file: String,
    pub sha256: String,
    pub expected_sha256: Option<String>,
}

impl DerivedFile {
    /// `Some(true)` when the rebuilt file is byte-identical to the published one.
    pub fn matches(&self) -> Option<bool> {
        self.expected_sha256.as_ref().map(|e| *e == self.sha256)
    }
}

/// Everything about a dataset that its samples cannot tell: sources, terms, recipe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Generator parameters for synthetic data; `None` for public datasets.
    #[serde(rename = "synthetic_params")]
    pub synthetic: Option<serde_json::Value>,
    pub sources: Vec<SourceFile>,
    pub terms: String,
    pub recipe: Recipe,
    #[serde(default)]
    pub derived: Vec<DerivedFile>,
    /// Free-form remarks, e.g. that an archive hash could not be checked.
    #[serde(default)]
    pub notes: Vec<String>,
}

impl Provenance {
    /// Provenance of generated data: no sources, no terms, the generator's parameters.
    pub fn synthetic(params: serde_json::Value, recipe_version: u32) -> Self {
        Provenance {
            synthetic: Some(params),
            sources: Vec::new(),
            terms: "Synthetic data generated locally by prefbench; no third-party terms.".into(),
            recipe: Recipe {
                name: RecipeKind::Synthetic,
                version: recipe_version,
            },
            derived: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// Counts of samples that break an invariant of docs/datasets.md (dataset cards); all zero for a clean split.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityChecks {
    pub target_not_in_candidates: usize,
    pub wrong_candidate_count: usize,
    pub duplicate_candidates: usize,
    pub candidate_in_history: usize,
    /// Histories that are empty or longer than [`MAX_HISTORY`].
    pub bad_history_length: usize,
    /// Samples that mention an id `>= n_items`.
    pub item_out_of_range: usize,
    /// Samples where a negative has the target's title: ambiguous for title-matching metrics.
    /// `None` when the dataset has no titles. Counted, not a violation.
    pub negative_shares_target_title: Option<usize>,
}

impl IntegrityChecks {
    /// Number of samples breaking a hard invariant (title collisions are only reported).
    pub fn violations(&self) -> usize {
        self.target_not_in_candidates
            + self.wrong_candidate_count
            + self.duplicate_candidates
            + self.candidate_in_history
            + self.bad_history_length
            + self.item_out_of_range
    }
}

/// Per-split statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitCard {
    pub split: Split,
    pub users: usize,
    /// Distinct items appearing anywhere in the split (histories and candidates).
    pub items_seen: usize,
    pub samples: usize,
    /// History length → number of samples.
    pub history_lengths: BTreeMap<usize, usize>,
    pub checks: IntegrityChecks,
}

/// The card of one prepared dataset (`card.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetCard {
    pub name: String,
    pub synthetic: bool,
    pub n_items: usize,
    pub has_titles: bool,
    #[serde(flatten)]
    pub provenance: Provenance,
    pub splits: Vec<SplitCard>,
    /// HR@1 (and HR@5) of the trivial rules on valid and test, counted on train: the floor a
    /// method's score should be read against. Empty in cards written before they existed.
    #[serde(default)]
    pub trivial: Vec<TrivialBaseline>,
}

impl DatasetCard {
    /// Computes counts, integrity checks and the trivial baselines in a few linear passes over
    /// the samples. The id-order baseline ranks by the source's own item ids where the dataset
    /// keeps them ([`Dataset::source_ids`]), else by the internal ids, and its description says
    /// which (see [`trivial_baselines`]).
    pub fn build(dataset: &Dataset, provenance: Provenance) -> Self {
        let titles = dataset.titles.as_deref();
        let splits = Split::ALL
            .iter()
            .map(|&split| split_card(split, dataset.split(split), dataset.n_items, titles))
            .collect();
        DatasetCard {
            name: dataset.name.clone(),
            synthetic: provenance.synthetic.is_some(),
            n_items: dataset.n_items,
            has_titles: titles.is_some(),
            provenance,
            splits,
            trivial: trivial_baselines(dataset, dataset.source_ids.as_deref()),
        }
    }

    /// Hard violations over all splits; a usable dataset has none.
    pub fn violations(&self) -> usize {
        self.splits.iter().map(|s| s.checks.violations()).sum()
    }

    /// The card of one split.
    pub fn split(&self, split: Split) -> Option<&SplitCard> {
        self.splits.iter().find(|s| s.split == split)
    }
}

fn split_card(
    split: Split,
    samples: &[Sample],
    n_items: usize,
    titles: Option<&[String]>,
) -> SplitCard {
    let mut users = HashSet::new();
    let mut seen = vec![false; n_items];
    let mut history_lengths = BTreeMap::new();
    let mut checks = IntegrityChecks {
        negative_shares_target_title: titles.map(|_| 0),
        ..IntegrityChecks::default()
    };
    for s in samples {
        users.insert(s.user);
        *history_lengths.entry(s.history.len()).or_insert(0) += 1;
        if s.history
            .iter()
            .chain(&s.candidates)
            .chain([&s.target])
            .any(|&i| i as usize >= n_items)
        {
            checks.item_out_of_range += 1;
            continue;
        }
        for &i in s.history.iter().chain(&s.candidates) {
            seen[i as usize] = true;
        }
        check_sample(s, titles, &mut checks);
    }
    SplitCard {
        split,
        users: users.len(),
        items_seen: seen.iter().filter(|&&b| b).count(),
        samples: samples.len(),
        history_lengths,
        checks,
    }
}

/// Checks one sample whose ids are all in range; candidate lists are tiny, so quadratic scans
/// beat hashing.
fn check_sample(s: &Sample, titles: Option<&[String]>, checks: &mut IntegrityChecks) {
    let c = &s.candidates;
    checks.target_not_in_candidates += usize::from(!c.contains(&s.target));
    checks.wrong_candidate_count += usize::from(c.len() != CANDIDATES);
    checks.duplicate_candidates += usize::from((1..c.len()).any(|i| c[..i].contains(&c[i])));
    checks.candidate_in_history += usize::from(c.iter().any(|x| s.history.contains(x)));
    checks.bad_history_length += usize::from(s.history.is_empty() || s.history.len() > MAX_HISTORY);
    if let (Some(titles), Some(n)) = (titles, checks.negative_shares_target_title.as_mut()) {
        let title = &titles[s.target as usize];
        *n += usize::from(s.negatives().any(|x| titles[x as usize] == *title));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::test_sample as sample;

    fn dataset(train: Vec<Sample>, titles: Option<Vec<String>>) -> Dataset {
        Dataset {
            name: "t".into(),
            n_items: 40,
            titles,
            source_ids: None,
            train,
            valid: vec![],
            test: vec![],
        }
    }

    #[test]
    fn clean_and_broken_samples_are_counted() {
        let good = sample(vec![30, 31], (0..20).collect(), 5);
        let mut dup = (0..20).collect::<Vec<_>>();
        dup[19] = 0;
        let broken = sample(vec![1], dup, 25);
        let out_of_range = sample(vec![99], (0..20).collect(), 5);
        let ds = dataset(vec![good, broken, out_of_range], None);
        let card = DatasetCard::build(&ds, Provenance::synthetic(serde_json::json!({}), 1));
        let train = card.split(Split::Train).unwrap();
        assert_eq!(train.samples, 3);
        assert_eq!(train.users, 1);
        assert_eq!(train.items_seen, 22);
        assert_eq!(train.history_lengths, BTreeMap::from([(1, 2), (2, 1)]));
        let c = &train.checks;
        assert_eq!(
            (
                c.target_not_in_candidates,
                c.duplicate_candidates,
                c.candidate_in_history
            ),
            (1, 1, 1)
        );
        assert_eq!((c.item_out_of_range, c.wrong_candidate_count), (1, 0));
        assert_eq!(c.negative_shares_target_title, None);
        assert_eq!(card.violations(), 4);
        assert!(card.synthetic);
    }

    #[test]
    fn title_collisions_are_reported() {
        let mut titles: Vec<String> = (0..40).map(|i| format!("t{i}")).collect();
        titles[7] = "t5".into();
        let ds = dataset(vec![sample(vec![30], (0..20).collect(), 5)], Some(titles));
        let card = DatasetCard::build(&ds, Provenance::synthetic(serde_json::json!({}), 1));
        let checks = &card.split(Split::Train).unwrap().checks;
        assert_eq!(checks.negative_shares_target_title, Some(1));
        assert_eq!(card.violations(), 0);
        let json = serde_json::to_string(&card).unwrap();
        assert_eq!(serde_json::from_str::<DatasetCard>(&json).unwrap(), card);
    }

    #[test]
    fn cards_carry_the_trivial_baselines_and_older_cards_still_parse() {
        let mut ds = dataset(vec![sample(vec![30], (0..20).collect(), 5)], None);
        ds.test = vec![sample(vec![31], (0..20).collect(), 5)];
        let card = DatasetCard::build(&ds, Provenance::synthetic(serde_json::json!({}), 1));
        let names: Vec<&str> = card.trivial.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["random", "popularity", "successor", "id-order"]);
        // Item 5 is the only candidate seen in train: popularity hits, and so does successor
        // (nothing followed 31, popularity breaks the tie); id-order wraps to 0 and misses.
        let hr: Vec<f64> = card.trivial.iter().map(|b| b.test_hr_at_1).collect();
        assert_eq!(hr, [0.05, 1.0, 1.0, 0.0]);
        let mut json = serde_json::to_value(&card).unwrap();
        json.as_object_mut().unwrap().remove("trivial");
        let old: DatasetCard = serde_json::from_value(json).unwrap();
        assert!(old.trivial.is_empty());
        assert_eq!(
            DatasetCard {
                trivial: card.trivial.clone(),
                ..old
            },
            card
        );
    }

    /// The card ranks id-order by the source ids when the dataset has them and says so.
    #[test]
    fn id_order_uses_the_source_ids_when_present() {
        // Internal ids: the target 5 is below the history's 30, the rule wraps to 0 and misses.
        // Source ids 2 * id, except 61 for item 5: 5 is then the only candidate above 30's 60.
        let mut ds = dataset(vec![sample(vec![30], (0..20).collect(), 5)], None);
        ds.name = "lastfm-raw".into();
        ds.test = vec![sample(vec![30], (0..20).collect(), 5)];
        let id_order = |ds: &Dataset| {
            let card = DatasetCard::build(ds, Provenance::synthetic(serde_json::json!({}), 1));
            card.trivial
                .into_iter()
                .find(|b| b.name == "id-order")
                .unwrap()
        };
        let internal = id_order(&ds);
        assert_eq!(internal.test_hr_at_1, 0.0);
        assert!(
            internal
                .description
                .contains("prefbench's internal ids, whose order carries no meaning"),
            "{}",
            internal.description
        );
        assert!(!internal.description.contains("hetrec artist ids"));
        let mut source_ids: Vec<u64> = (0..40).map(|i| 2 * i).collect();
        source_ids[5] = 61;
        ds.source_ids = Some(source_ids);
        let source = id_order(&ds);
        assert_eq!(source.test_hr_at_1, 1.0);
        assert!(
            source.description.contains("hetrec artist ids"),
            "{}",
            source.description
        );
        assert!(!source.description.contains("internal ids"));
    }
}
