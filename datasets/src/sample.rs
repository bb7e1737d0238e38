//! The canonical sample every source is turned into (datasets.md): whatever the raw format, the
//! trainer and the metrics only ever see these types.
use serde::{Deserialize, Serialize};

/// Number of candidates per sample (target + 19 negatives), fixed by the paper's protocol.
pub const CANDIDATES: usize = 20;
/// Longest history the policy sees.
pub const MAX_HISTORY: usize = 10;

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
