//! What makes a run, or an SFT reference, the same one: the typed fields that determine its
//! result, and the hash of their canonical JSON. The run id keys the store (a finished run is
//! recognised across restarts, shards and machines); the SFT key names the cached reference.
//!
//! A run's identity contains its reference's identity ([`RunIdentity::reference`], flattened),
//! so whatever retrains a reference also gives its runs new ids, by construction rather than by
//! two lists kept in step by hand.
//!
//! The canonical form is compact JSON with the keys of every object sorted, whatever order the
//! structs declare their fields in: an identity becomes a `serde_json::Value` ([`to_json`],
//! stored as the record's `spec`), and the id is `prefbench_results::setting::canonical_hash`
//! of it, so a reader recomputes a record's id from its spec with the same function. The
//! pinned run id in `matrix`, the SFT key pinned here and the stored id pinned in
//! `results/tests/validate.rs` guard the bytes.
use anyhow::Result;
use prefbench_datasets::Dataset;
use prefbench_results::setting::canonical_hash;
use prefbench_vocabulary::{Method, ObjectiveParams, PoConfig, PolicyConfig, Schedule, SftConfig};
use serde::Serialize;
use serde_json::Value;

use crate::config::ExperimentConfig;

/// Everything that determines an SFT reference: a change to any of it retrains.
#[derive(Debug, Clone, Serialize)]
pub struct SftIdentity<'a> {
    /// The content hash of the prepared dataset ([`dataset_hash`]).
    pub dataset_hash: &'a str,
    pub seed: u64,
    /// The policy, with the run's axes applied.
    pub model: &'a PolicyConfig,
    pub sft: &'a SftConfig,
    /// The prefbench version, so a release that changes training never reuses old results.
    pub prefbench: &'a str,
}

/// Everything that determines a PO run's result: its reference's identity plus the run's own
/// settings.
#[derive(Debug, Clone, Serialize)]
pub struct RunIdentity<'a> {
    #[serde(flatten)]
    pub reference: SftIdentity<'a>,
    pub dataset: &'a str,
    pub method: Method,
    pub k: usize,
    /// The PO settings that shape the result: all of `PoConfig` but `ensemble`.
    pub po: PoSettings<'a>,
    pub objective: &'a ObjectiveParams,
}

/// `PoConfig` without `ensemble`: how runs were packed into stacks is not part of what they
/// are, so a directory resumes under any packing and old ids stay valid. Built by destructuring
/// every field, so a field added to `PoConfig` does not compile until it is placed here or
/// named as left out.
#[derive(Debug, Clone, Serialize)]
pub struct PoSettings<'a> {
    epochs: usize,
    batch_size: usize,
    lr: f64,
    schedule: &'a Schedule,
    warmup_share: f64,
    grad_clip: f64,
    weight_decay: f64,
    dropout: f64,
    logged_steps: usize,
}

impl<'a> From<&'a PoConfig> for PoSettings<'a> {
    fn from(po: &'a PoConfig) -> Self {
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
            schedule,
            warmup_share: *warmup_share,
            grad_clip: *grad_clip,
            weight_decay: *weight_decay,
            dropout: *dropout,
            logged_steps: *logged_steps,
        }
    }
}

/// The prefbench version that enters every identity.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

impl<'a> SftIdentity<'a> {
    /// The identity of the reference of (`config`'s SFT settings, `model`, dataset, seed).
    pub fn of(
        config: &'a ExperimentConfig,
        model: &'a PolicyConfig,
        dataset_hash: &'a str,
        seed: u64,
    ) -> Self {
        Self {
            dataset_hash,
            seed,
            model,
            sft: &config.sft,
            prefbench: VERSION,
        }
    }

    /// The SFT cache key: the first 32 hex digits of the identity's hash.
    pub fn key(&self) -> String {
        canonical_hash(&to_json(self))[..32].to_string()
    }
}

impl RunIdentity<'_> {
    /// The record's `spec` and the run id, the canonical hash of it.
    pub fn canonical_and_id(&self) -> (Value, String) {
        let spec = to_json(self);
        let id = canonical_hash(&spec);
        (spec, id)
    }
}

/// The content hash of a prepared dataset (sha256 of its JSON, hex), which enters every run
/// id and SFT key, so a change to the data never reuses results of other data.
pub fn dataset_hash(dataset: &Dataset) -> Result<String> {
    Ok(prefbench_io::sha256_hex(&serde_json::to_vec(dataset)?))
}

/// `identity` as a JSON value (the record's `spec`); its canonical text and hash are
/// `prefbench_results::setting`'s, the one canonicaliser every reader also uses.
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
            prefbench_results::setting::canonical(&value),
            r#"{"b":3,"y":{"a":2,"z":1}}"#
        );
    }

    /// Pins the SFT cache key of the `demo` preset's first reference: a change to the key's
    /// form would silently retrain every cached reference, so it must be deliberate (bump the
    /// version, update this literal).
    #[test]
    fn the_packing_of_runs_stays_out_of_their_ids() {
        let config = ExperimentConfig::preset("demo").unwrap();
        let hashes = [("synthetic".to_string(), "abc".to_string())];
        let ids = |ensemble| {
            let mut config = config.clone();
            config.po.ensemble = ensemble;
            crate::plan::matrix::expand(&config, &hashes)
                .into_iter()
                .map(|r| (r.id, r.canonical))
                .collect::<Vec<_>>()
        };
        let auto = ids(prefbench_vocabulary::Ensemble::Auto);
        assert_eq!(auto, ids(prefbench_vocabulary::Ensemble::Off));
        assert_eq!(auto, ids(prefbench_vocabulary::Ensemble::Members(3)));
        assert!(auto[0].1["po"].get("ensemble").is_none(), "{}", auto[0].1);
        assert!(auto[0].1["po"].get("lr").is_some(), "{}", auto[0].1);
    }

    #[test]
    fn the_demo_sft_key_is_pinned() {
        let mut config = ExperimentConfig::preset("demo").unwrap();
        // The demo's SFT epochs when the key was pinned (it now trains 4): the literal pins the
        // key's form, not the preset's settings.
        config.sft.epochs = 8;
        let model = &config.models()[0];
        let key = SftIdentity::of(&config, model, "abc", 0).key();
        assert_eq!(key, "d141afdefb896ca403cd29164b13aacf");
    }
}
