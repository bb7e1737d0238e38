//! What makes a run, or an SFT reference, the same one: the harness's side of
//! [`prefbench_results::identity`], whose types it fills from a config. The run id keys the
//! store (a finished run is recognised across restarts, shards and machines); the SFT key names
//! the cached reference. The pinned run id in `matrix`, the SFT key pinned here and the stored
//! id pinned in `results/tests/validate.rs` guard the bytes.
use anyhow::Result;
use prefbench_datasets::Dataset;
use prefbench_results::{PoSettings, RunIdentity, SftIdentity};
use prefbench_vocabulary::{Method, PolicyConfig};

use crate::config::{ExperimentConfig, RunSetting};

/// The prefbench version that enters every identity.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The identity of the reference of (`config`'s SFT settings, `model`, dataset, seed).
pub fn reference(
    config: &ExperimentConfig,
    model: &PolicyConfig,
    dataset_hash: &str,
    seed: u64,
) -> SftIdentity {
    SftIdentity {
        dataset_hash: dataset_hash.into(),
        seed,
        model: model.clone(),
        sft: config.sft.clone(),
        prefbench: VERSION.into(),
    }
}

/// The identity of the run of `method` at `k` on the reference `reference` of `dataset`, with
/// `config`'s PO settings but the learning rate and objective of `setting` (one of
/// [`ExperimentConfig::settings_of`]).
pub fn run(
    config: &ExperimentConfig,
    reference: SftIdentity,
    dataset: &str,
    method: Method,
    k: usize,
    setting: RunSetting,
) -> RunIdentity {
    RunIdentity {
        reference,
        dataset: dataset.into(),
        method,
        k,
        po: PoSettings {
            lr: setting.lr,
            ..(&config.po).into()
        },
        objective: setting.objective,
        protocol: config.protocol(),
    }
}

/// The content hash of a prepared dataset (sha256 of its JSON, hex), which enters every run
/// id and SFT key, so a change to the data never reuses results of other data.
pub fn dataset_hash(dataset: &Dataset) -> Result<String> {
    Ok(prefbench_io::sha256_hex(&serde_json::to_vec(dataset)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// What the harness writes is what readers read: every identity of a matrix survives a
    /// trip through its stored JSON into the readers' type unchanged, and hashes to its id.
    #[test]
    fn every_identity_reads_back_losslessly() {
        let mut config = ExperimentConfig::preset("demo").unwrap();
        config.item_text = Some(vec![
            prefbench_vocabulary::ItemText::None,
            prefbench_vocabulary::ItemText::Minilm,
        ]);
        let hashes = [("synthetic".to_string(), "abc".to_string())];
        for run in crate::plan::matrix::expand(&config, &hashes) {
            let read = RunIdentity::deserialize(&run.canonical).unwrap();
            assert_eq!(read.canonical_and_id(), (run.canonical.clone(), run.id));
            assert_eq!(read.reference.model, run.model);
            assert_eq!(
                (
                    read.dataset.as_str(),
                    read.method,
                    read.k,
                    read.reference.seed
                ),
                (
                    run.key.cell.dataset.as_str(),
                    run.key.cell.method,
                    run.key.cell.k,
                    run.key.seed
                )
            );
        }
    }

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

    /// Pins the SFT cache key of the `demo` preset's first reference: a change to the key's
    /// form would silently retrain every cached reference, so it must be deliberate (bump the
    /// version, update this literal).
    #[test]
    fn the_demo_sft_key_is_pinned() {
        let mut config = ExperimentConfig::preset("demo").unwrap();
        // The demo's SFT epochs when the key was pinned (it now trains 4): the literal pins the
        // key's form, not the preset's settings.
        config.sft.epochs = 8;
        let model = &config.models()[0];
        let key = reference(&config, model, "abc", 0).key();
        assert_eq!(key, "d141afdefb896ca403cd29164b13aacf");
    }
}
