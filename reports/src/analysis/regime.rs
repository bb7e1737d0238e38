//! Which policy a run trained, its *backbone*: the architecture (a causal transformer or a
//! GRU) and what it knows about an item besides its id (nothing, or frozen MiniLM title
//! embeddings: the `item_text` setting). DynamicPO's effect can change sign between them, so a
//! report never pools them: results are split by (dataset, regime), where a dataset ran
//! several the DynamicPO differences are set side by side, and C5 ("it holds on other
//! backbones") is judged across them.
use prefbench_results::RunRecord;
use prefbench_vocabulary::{Architecture, ItemText};
use std::cmp::Ordering;

/// The backbone of a run, read typed from `spec.model` ([`RunRecord::policy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Regime {
    pub architecture: Architecture,
    pub item_text: ItemText,
}

/// Regimes sort by the architecture's config name, then ids before titles: the order
/// sections, columns and claim rows have always had (`gru` before `transformer`).
impl Ord for Regime {
    fn cmp(&self, other: &Self) -> Ordering {
        let key = |r: &Self| (r.architecture_id(), r.titles());
        key(self).cmp(&key(other))
    }
}

impl PartialOrd for Regime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Regime {
    /// The regime of `record`. Records written before the `architecture` option trained the
    /// transformer, and before `item_text` item ids only; a `spec.model` this version cannot
    /// read counts as the default policy, which cannot pool it with other runs, since a
    /// section only holds runs whose whole spec agrees.
    pub fn of(record: &RunRecord) -> Self {
        let policy = record.policy().unwrap_or_default();
        Self {
            architecture: policy.architecture,
            item_text: policy.item_text,
        }
    }

    /// Whether the policy reads MiniLM title embeddings.
    fn titles(&self) -> bool {
        self.item_text.reads_titles()
    }

    /// The architecture as configs spell it.
    pub fn architecture_id(&self) -> &'static str {
        self.architecture.name()
    }

    /// The architecture as prose ("GRU", "transformer").
    /// The architecture as prose names it.
    pub fn architecture_name(&self) -> &'static str {
        match self.architecture {
            Architecture::Gru => "GRU",
            Architecture::Transformer => "transformer",
        }
    }

    /// What the policy reads besides ids, for labels.
    fn text_label(&self) -> &'static str {
        if self.titles() {
            "item ids + MiniLM titles"
        } else {
            "item ids only"
        }
    }

    /// The full label, architecture included ("GRU, item ids only"): C5 compares backbones.
    pub fn label(&self) -> String {
        format!("{}, {}", self.architecture_name(), self.text_label())
    }

    /// The label for headings, tables and captions: the architecture is named only when the
    /// report holds several, so one-architecture reports keep short labels.
    pub fn label_among(&self, several_architectures: bool) -> String {
        if several_architectures {
            self.label()
        } else {
            self.text_label().to_string()
        }
    }

    /// What the policy reads, in full, for the overview.
    pub fn description(&self) -> String {
        let text = if self.titles() {
            "item ids + frozen all-MiniLM-L6-v2 title embeddings"
        } else {
            "item ids only"
        };
        format!("{} over {text}", self.architecture_name())
    }

    /// Figure file names of this regime, so the charts of two regimes never collide; the
    /// architecture is part of them when the report holds several.
    pub fn file_suffix(&self, several_architectures: bool) -> String {
        let text = if self.titles() { "minilm" } else { "ids" };
        if several_architectures {
            format!("{}-{text}", self.architecture_id())
        } else {
            text.to_string()
        }
    }
}
