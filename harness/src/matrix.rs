//! Expands a config into run specs and gives each a stable id: the hash of its canonical form,
//! so a finished run is recognised across restarts, shards and machines.
use prefbench_baselines::objectives::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::config::ExperimentConfig;

/// One PO run of the matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSpec {
    pub dataset: String,
    pub method: Method,
    pub k: usize,
    pub seed: u64,
    /// Everything that determines the result, in canonical form; hashed into `id`.
    pub canonical: Value,
    pub id: String,
}

/// Dataset-major, then seed, so runs that share an SFT reference are adjacent.
pub fn expand(config: &ExperimentConfig, dataset_hashes: &[(String, String)]) -> Vec<RunSpec> {
    let mut runs = Vec::new();
    for (dataset, content_hash) in dataset_hashes {
        for &seed in &config.seeds {
            for &method in &config.methods {
                for &k in &config.k {
                    let canonical = json!({
                        "dataset": dataset,
                        "dataset_hash": content_hash,
                        "method": method.to_string(),
                        "k": k,
                        "seed": seed,
                        "model": config.model,
                        "sft": config.sft,
                        "po": config.po,
                        "objective": config.objective,
                        "prefbench": env!("CARGO_PKG_VERSION"),
                    });
                    runs.push(RunSpec {
                        dataset: dataset.clone(),
                        method,
                        k,
                        seed,
                        id: hash_json(&canonical),
                        canonical,
                    });
                }
            }
        }
    }
    runs
}

/// sha256 of the compact JSON form, hex; serde_json keeps object keys sorted, so the form is
/// canonical.
pub fn hash_json(value: &Value) -> String {
    hex::encode(Sha256::digest(value.to_string().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> ExperimentConfig {
        ExperimentConfig::preset("demo").unwrap()
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let hashes = [("synthetic".to_string(), "abc".to_string())];
        let a = expand(&demo(), &hashes);
        let b = expand(&demo(), &hashes);
        assert_eq!(a.len(), 2 * 4 * 2);
        assert_eq!(a, b);
        let mut ids: Vec<_> = a.iter().map(|r| r.id.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), a.len());
    }

    #[test]
    fn any_setting_changes_the_id() {
        let hashes = [("synthetic".to_string(), "abc".to_string())];
        let base = expand(&demo(), &hashes)[0].id.clone();
        let mut c = demo();
        c.po.lr *= 2.0;
        assert_ne!(expand(&c, &hashes)[0].id, base);
        let other = [("synthetic".to_string(), "abd".to_string())];
        assert_ne!(expand(&demo(), &other)[0].id, base);
    }
}
