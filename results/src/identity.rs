//! What makes a run, or an SFT reference, the same one: the typed fields that determine its
//! result, and the hash of their canonical JSON. The harness builds a [`RunIdentity`] for each
//! run of its matrix and stores its JSON as the record's `spec`; every reader reads the spec
//! back into the same type ([`crate::RunRecord::identity`]), so the writer and the readers name
//! a field once and a renamed field changes both, or fails to compile.
//!
//! A run's identity contains its reference's identity ([`RunIdentity::reference`], flattened),
//! so whatever retrains a reference also gives its runs new ids, by construction rather than by
//! two lists kept in step by hand.
//!
//! The canonical form is compact JSON with the keys of every object sorted, whatever order the
//! structs declare their fields in ([`crate::canonical::canonical`]), and the run id is its hash
//! ([`canonical_hash`]), so a reader recomputes a record's id from its stored spec. The ids are
//! hashes of these bytes: renaming or adding a field changes every id. The pinned run id in the
//! harness's `plan::matrix`, its pinned SFT key, the stored id pinned in `tests/validate.rs`
//! and the published records (`tests/typed.rs`) guard them.
use crate::canonical::canonical_hash;
use prefbench_vocabulary::{Method, ObjectiveParams, PoConfig, PolicyConfig, Schedule, SftConfig};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything that determines an SFT reference: a change to any of it retrains. Records from
/// before a setting of `model` or `sft` existed read it as its default (which is what they
/// trained with).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SftIdentity {
    /// The content hash of the prepared dataset.
    pub dataset_hash: String,
    pub seed: u64,
    /// The policy, with the run's axes applied.
    pub model: PolicyConfig,
    pub sft: SftConfig,
    /// The prefbench version, so a release that changes training never reuses old results.
    pub prefbench: String,
}

/// Everything that determines a PO run's result: its reference's identity plus the run's own
/// settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunIdentity {
    #[serde(flatten)]
    pub reference: SftIdentity,
    pub dataset: String,
    pub method: Method,
    pub k: usize,
    /// The PO settings that shape the result: all of `PoConfig` but `ensemble`.
    pub po: PoSettings,
    pub objective: ObjectiveParams,
    /// The protocol the run belongs to when it is not the paper's (one setting shared by every
    /// method); absent otherwise, so the ids of paper-protocol runs are unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
}

/// How the methods of a matrix were set up, when not as in the paper (one shared setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Every method at its own lr, β and margin, chosen on validation HR@1 over a pre-declared
    /// grid with the same budget for every method (`prefbench tune`, docs/claims.md).
    Tuned,
}

impl Protocol {
    /// The name reports use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tuned => "tuned",
        }
    }

    /// The name of a run's protocol, `None` being the paper's (one setting for all methods).
    pub fn name_of(protocol: Option<Self>) -> &'static str {
        protocol.map_or("paper", Self::name)
    }
}

/// `PoConfig` without `ensemble`: how runs were packed into stacks is not part of what they
/// are, so a directory resumes under any packing and old ids stay valid. Built by destructuring
/// every field, so a field added to `PoConfig` does not compile until it is placed here or
/// named as left out. Records from before a setting existed read it as `PoConfig`'s default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoSettings {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub schedule: Schedule,
    pub warmup_share: f64,
    pub grad_clip: f64,
    pub weight_decay: f64,
    pub dropout: f64,
    pub logged_steps: usize,
}

impl From<&PoConfig> for PoSettings {
    fn from(po: &PoConfig) -> Self {
        let PoConfig {
            epochs,
            batch_size,
            lr,
            schedule,
            warmup_share,
            grad_clip,
            weight_decay,
            dropout,
            logged_steps,
            ensemble: _,
        } = po;
        Self {
            epochs: *epochs,
            batch_size: *batch_size,
            lr: *lr,
            schedule: *schedule,
            warmup_share: *warmup_share,
            grad_clip: *grad_clip,
            weight_decay: *weight_decay,
            dropout: *dropout,
            logged_steps: *logged_steps,
        }
    }
}

impl Default for PoSettings {
    fn default() -> Self {
        (&PoConfig::default()).into()
    }
}

impl SftIdentity {
    /// The SFT cache key: the first 32 hex digits of the identity's hash.
    pub fn key(&self) -> String {
        canonical_hash(&to_json(self))[..32].to_string()
    }
}

impl RunIdentity {
    /// The record's `spec` and the run id, the canonical hash of it.
    pub fn canonical_and_id(&self) -> (Value, String) {
        let spec = to_json(self);
        let id = canonical_hash(&spec);
        (spec, id)
    }
}

/// `identity` as a JSON value (the record's `spec`); its canonical text and hash are
/// [`crate::setting`]'s, the one canonicaliser every reader also uses.
fn to_json(identity: &impl Serialize) -> Value {
    serde_json::to_value(identity).expect("identities serialise to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes hashed must not depend on field declaration order (`RunIdentity` declares
    /// `reference` first, and flattens it): keys come out sorted at every level.
    #[test]
    fn the_canonical_form_sorts_keys_at_every_level() {
        #[derive(Serialize)]
        struct Inner {
            z: u8,
            a: u8,
        }
        #[derive(Serialize)]
        struct Outer {
            y: Inner,
            b: u8,
        }
        let value = to_json(&Outer {
            y: Inner { z: 1, a: 2 },
            b: 3,
        });
        assert_eq!(
            crate::canonical::canonical(&value),
            r#"{"b":3,"y":{"a":2,"z":1}}"#
        );
    }
}
