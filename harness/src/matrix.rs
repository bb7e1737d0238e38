//! Expands a config into run specs and gives each a stable id: the hash of its canonical form,
//! so a finished run is recognised across restarts, shards and machines.
use std::collections::BTreeMap;

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

/// Dataset-major, then seed, so runs that share an SFT reference are adjacent. A method runs
/// only at the K values it is defined for (`dpo` only at K = 1), see
/// [`ExperimentConfig::runs_at`].
pub fn expand(config: &ExperimentConfig, dataset_hashes: &[(String, String)]) -> Vec<RunSpec> {
    let mut runs = Vec::new();
    for (dataset, content_hash) in dataset_hashes {
        for &seed in &config.seeds {
            for &method in &config.methods {
                for k in config
                    .k
                    .iter()
                    .copied()
                    .filter(|&k| ExperimentConfig::runs_at(method, k))
                {
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

/// The runs that share one SFT reference: a (dataset, seed) and its PO runs, in matrix order.
/// Shards and jobs hand out whole groups, so each reference is trained once.
#[derive(Debug, Clone, PartialEq)]
pub struct Group<'a> {
    pub dataset: &'a str,
    pub seed: u64,
    pub runs: Vec<&'a RunSpec>,
}

/// Groups `runs` by (dataset, seed), in order of first appearance.
pub fn groups<'a>(runs: impl IntoIterator<Item = &'a RunSpec>) -> Vec<Group<'a>> {
    let mut order: Vec<(&str, u64)> = Vec::new();
    let mut by_key: BTreeMap<(&str, u64), Vec<&RunSpec>> = BTreeMap::new();
    for run in runs {
        let key = (run.dataset.as_str(), run.seed);
        by_key
            .entry(key)
            .or_insert_with(|| {
                order.push(key);
                Vec::new()
            })
            .push(run);
    }
    order
        .into_iter()
        .map(|key| Group {
            dataset: key.0,
            seed: key.1,
            runs: by_key.remove(&key).unwrap_or_default(),
        })
        .collect()
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
    fn dpo_runs_only_at_one_negative_and_groups_share_a_reference() {
        let mut c = demo();
        c.methods.insert(0, "dpo".parse().unwrap());
        let hashes = [("synthetic".to_string(), "abc".to_string())];
        let runs = expand(&c, &hashes);
        let dpo: Vec<usize> = runs
            .iter()
            .filter(|r| r.method == Method::Dpo)
            .map(|r| r.k)
            .collect();
        assert_eq!(dpo, vec![1, 1], "once per seed, at K = 1");
        let groups = groups(&runs);
        assert_eq!(groups.len(), 2);
        assert!(groups
            .iter()
            .all(|g| g.runs.len() == 9 && g.runs.iter().all(|r| r.seed == g.seed)));
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
