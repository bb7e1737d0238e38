//! The policy's shape: encoder architecture, width, depth, dropout and what an item knows
//! besides its id. Part of every run id, since they change the results.
use serde::{Deserialize, Serialize};

use crate::field::{in_range, share, FieldError};

/// Which sequence encoder sits between the item embeddings and the tied output layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    /// SASRec-style causal transformer with pre-norm blocks.
    Transformer,
    Gru,
}

impl Architecture {
    /// The name configs and records use (its serde name).
    pub fn name(self) -> &'static str {
        match self {
            Self::Transformer => "transformer",
            Self::Gru => "gru",
        }
    }
}

/// What an item's representation knows besides its id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemText {
    /// A learned id embedding only.
    #[default]
    None,
    /// The id embedding plus a learned linear projection of the item title's frozen
    /// all-MiniLM-L6-v2 embedding ((`prefbench_baselines::text`)): the regime closest to the paper's LLMs,
    /// which read titles.
    Minilm,
}

impl ItemText {
    /// The name configs and records use (its serde name).
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Minilm => "minilm",
        }
    }

    /// Whether the policy reads item titles (their frozen MiniLM embeddings): what loads the
    /// encoder, adds the title projection and labels a run's backbone.
    pub fn reads_titles(self) -> bool {
        match self {
            Self::None => false,
            Self::Minilm => true,
        }
    }
}

/// Model settings; part of every run id, since they change the results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    pub architecture: Architecture,
    pub width: i64,
    pub blocks: i64,
    pub heads: i64,
    pub dropout: f64,
    pub item_text: ItemText,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            architecture: Architecture::Transformer,
            width: 64,
            blocks: 2,
            heads: 2,
            dropout: 0.2,
            item_text: ItemText::None,
        }
    }
}

/// The largest `width` a config may ask for: far above the paper-scale default (64), below
/// what would only exhaust memory.
pub const MAX_WIDTH: i64 = 4096;
/// The most transformer blocks (GRU layers) a config may ask for.
pub const MAX_BLOCKS: i64 = 64;

impl PolicyConfig {
    /// The policy's architecture and item text as configs spell them (`gru/minilm`), as
    /// plans and reports label a policy.
    pub fn label(&self) -> String {
        format!("{}/{}", self.architecture.name(), self.item_text.name())
    }

    /// Checks every field against its domain: `width` in 1..=[`MAX_WIDTH`], `blocks` in
    /// 1..=[`MAX_BLOCKS`], `heads` >= 1 and dividing `width` (checked for both architectures,
    /// since an `architecture` axis may turn any config into a transformer), `dropout` in
    /// [0, 1).
    pub fn validate(&self) -> Result<(), FieldError> {
        in_range("width", self.width, MAX_WIDTH, "")?;
        in_range("blocks", self.blocks, MAX_BLOCKS, "")?;
        if self.heads < 1 {
            return Err(FieldError::new(
                "heads",
                format!(
                    "{} is out of range; must be >= 1 and divide width ({})",
                    self.heads, self.width
                ),
            ));
        }
        if self.width % self.heads != 0 {
            return Err(FieldError::new(
                "heads",
                format!(
                    "{} does not divide width {}; attention splits the width evenly over the \
                     heads, so heads must be a divisor of width",
                    self.heads, self.width
                ),
            ));
        }
        share("dropout", self.dropout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serde_names() {
        for a in [Architecture::Transformer, Architecture::Gru] {
            assert_eq!(serde_json::to_value(a).unwrap(), a.name());
        }
        for t in [ItemText::None, ItemText::Minilm] {
            assert_eq!(serde_json::to_value(t).unwrap(), t.name());
        }
    }

    #[test]
    fn a_policy_label_is_its_config_spelling() {
        let policy = PolicyConfig {
            architecture: Architecture::Gru,
            item_text: ItemText::Minilm,
            ..PolicyConfig::default()
        };
        assert_eq!(policy.label(), "gru/minilm");
        assert_eq!(PolicyConfig::default().label(), "transformer/none");
        assert!(ItemText::Minilm.reads_titles() && !ItemText::None.reads_titles());
    }
}
