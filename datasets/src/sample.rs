//! The canonical sample every source is turned into (docs/datasets.md): whatever the raw format, the
//! trainer and the metrics only ever see these types.
use serde::{Deserialize, Serialize};

pub use prefbench_vocabulary::{CANDIDATES, MAX_HISTORY};

/// Dense item id in `0..Dataset::n_items`.
pub type ItemId = u32;

/// One recommendation choice: a user's recent history and 20 candidates, one of them the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub user: u32,
    /// At most [`MAX_HISTORY`] items, oldest first, never empty.
    pub history: Vec<ItemId>,
    /// [`CANDIDATES`] distinct items, none from the history, the target among them.
    pub candidates: Vec<ItemId>,
    pub target: ItemId,
}

impl Sample {
    /// Position of the target in `candidates`; `None` only for a sample that failed integrity.
    pub fn target_index(&self) -> Option<usize> {
        self.candidates.iter().position(|&c| c == self.target)
    }

    /// The 19 candidates that are not the target, in candidate order.
    pub fn negatives(&self) -> impl Iterator<Item = ItemId> + '_ {
        self.candidates
            .iter()
            .copied()
            .filter(move |&c| c != self.target)
    }
}

/// The three splits of the paper's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Valid,
    Test,
}

impl Split {
    pub const ALL: [Split; 3] = [Split::Train, Split::Valid, Split::Test];

    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Valid => "valid",
            Split::Test => "test",
        }
    }
}

/// A prepared dataset: what a recipe produces and what training consumes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dataset {
    pub name: String,
    /// Size of the item catalogue; every id is below it.
    pub n_items: usize,
    /// Item titles by id, where the source has them (the text-aware policy needs them).
    pub titles: Option<Vec<String>>,
    /// The source's own id of every item (`source_ids[item]`, e.g. the hetrec artistID), where
    /// the source numbers its items. prefbench renumbers items densely in order of first
    /// appearance, which hides any order the source's ids carry: LastFM's histories are sorted
    /// by artistID, not by time, and only these ids let the card's `id-order` baseline show
    /// that artifact (the dataset card's trivial baselines). Absent from the JSON when `None`, so datasets
    /// without source ids serialise, and hash into run ids, exactly as before the field existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ids: Option<Vec<u64>>,
    pub train: Vec<Sample>,
    pub valid: Vec<Sample>,
    pub test: Vec<Sample>,
}

impl Dataset {
    pub fn split(&self, split: Split) -> &[Sample] {
        match split {
            Split::Train => &self.train,
            Split::Valid => &self.valid,
            Split::Test => &self.test,
        }
    }
}

/// A sample of user 0 built by hand, for the crate's unit tests.
#[cfg(test)]
pub(crate) fn test_sample(history: Vec<ItemId>, candidates: Vec<ItemId>, target: ItemId) -> Sample {
    Sample {
        user: 0,
        history,
        candidates,
        target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(source_ids: Option<Vec<u64>>) -> Dataset {
        Dataset {
            name: "d".into(),
            n_items: 2,
            titles: Some(vec!["a".into(), "b".into()]),
            source_ids,
            train: vec![Sample {
                user: 7,
                history: vec![0],
                candidates: vec![1, 0],
                target: 1,
            }],
            valid: vec![],
            test: vec![],
        }
    }

    /// The content hash (sha256 of this JSON) enters every run id: a dataset without source
    /// ids must serialise byte for byte as it did before the field existed.
    #[test]
    fn without_source_ids_the_json_is_unchanged() {
        let before = r#"{"name":"d","n_items":2,"titles":["a","b"],"train":[{"user":7,"history":[0],"candidates":[1,0],"target":1}],"valid":[],"test":[]}"#;
        assert_eq!(serde_json::to_string(&dataset(None)).unwrap(), before);
        let old: Dataset = serde_json::from_str(before).unwrap();
        assert_eq!(old.source_ids, None);
        let with = dataset(Some(vec![51, 3]));
        let json = serde_json::to_string(&with).unwrap();
        assert!(json.contains(r#""source_ids":[51,3]"#), "{json}");
        let back: Dataset = serde_json::from_str(&json).unwrap();
        assert_eq!(back.source_ids, with.source_ids);
    }
}
