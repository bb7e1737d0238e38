//! Expands a config into run specs, each with its stable id (see `identity`), and groups them
//! by the SFT reference they share.
use std::collections::hash_map::{Entry, HashMap};

use prefbench_results::{Cell, RunKey};
use prefbench_vocabulary::PolicyConfig;
use serde_json::Value;

use super::identity;
use crate::config::{ExperimentConfig, RunSetting};

/// One PO run of the matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSpec {
    /// Its coordinates: (dataset, method, K) and seed.
    pub key: RunKey,
    /// The policy of this run: `model` with the run's value of the `item_text` axis.
    pub model: PolicyConfig,
    /// Its peak learning rate and objective (the config's, or its own in a grid or the
    /// tuned protocol).
    pub setting: RunSetting,
    /// Everything that determines the result, in canonical form; hashed into `id`.
    pub canonical: Value,
    pub id: String,
}

/// Dataset-major, then seed and policy, so runs that share an SFT reference are adjacent.
/// Inside such a group the runs go K by K, and at each K the methods take turns at being first
/// (rotated by the K's and the seed's positions), so no method is systematically the first run
/// of a group: step-time comparisons (C6) would otherwise measure the order (a warm-up effect),
/// not the method. A method runs only at the K values it is defined for (`dpo` only at K = 1),
/// see [`ExperimentConfig::runs_at`]. Without axes the run's model is `model` itself, so ids
/// of such configs do not depend on the axes existing.
pub fn expand(config: &ExperimentConfig, dataset_hashes: &[(String, String)]) -> Vec<RunSpec> {
    let models = config.models();
    let methods = &config.methods;
    let mut runs = Vec::new();
    for (dataset, content_hash) in dataset_hashes {
        for (seed_index, &seed) in config.seeds.iter().enumerate() {
            for model in &models {
                for (k_index, &k) in config.all_k().iter().enumerate() {
                    let first = (k_index + seed_index) % methods.len();
                    for &method in methods[first..].iter().chain(&methods[..first]) {
                        if !config.runs_method_at(method, k) {
                            continue;
                        }
                        for setting in config.settings_of(method) {
                            let reference = identity::reference(config, model, content_hash, seed);
                            let (canonical, id) =
                                identity::run(config, reference, dataset, method, k, setting)
                                    .canonical_and_id();
                            runs.push(RunSpec {
                                key: RunKey {
                                    cell: Cell {
                                        dataset: dataset.clone(),
                                        method,
                                        k,
                                    },
                                    seed,
                                },
                                model: model.clone(),
                                setting,
                                id,
                                canonical,
                            });
                        }
                    }
                }
            }
        }
    }
    runs
}

/// The runs that share one SFT reference: a (dataset, seed, policy) and its PO runs, in matrix
/// order. Shards and jobs hand out whole groups, so each reference is trained once.
#[derive(Debug, Clone, PartialEq)]
pub struct Group<'a> {
    pub dataset: &'a str,
    pub seed: u64,
    /// The policy the reference and every run of the group train.
    pub model: &'a PolicyConfig,
    pub runs: Vec<&'a RunSpec>,
}

/// The matrix of `config` before its datasets are prepared: the ids use placeholder dataset
/// hashes, so only its shape (runs, groups, shards) means anything. What `--dry-run` and
/// `prefbench shards` plan with.
pub fn expand_unprepared(config: &ExperimentConfig) -> Vec<RunSpec> {
    let unprepared: Vec<(String, String)> = config
        .datasets
        .iter()
        .map(|d| (d.clone(), String::new()))
        .collect();
    expand(config, &unprepared)
}

/// Groups `runs` by (dataset, seed, policy), in order of first appearance, in time linear in
/// the runs: a map from the key to its group's position (a search of the groups made a dry run
/// of 80 000 seeds take minutes). A matrix has few policies, so each run's is found by a
/// search of the distinct ones (policies hold floats, so they cannot key a map themselves).
pub fn groups<'a>(runs: impl IntoIterator<Item = &'a RunSpec>) -> Vec<Group<'a>> {
    let mut groups: Vec<Group> = Vec::new();
    let mut models: Vec<&PolicyConfig> = Vec::new();
    let mut positions: HashMap<(&str, u64, usize), usize> = HashMap::new();
    for run in runs {
        let model = match models.iter().position(|m| **m == run.model) {
            Some(i) => i,
            None => {
                models.push(&run.model);
                models.len() - 1
            }
        };
        let key = (run.key.cell.dataset.as_str(), run.key.seed, model);
        match positions.entry(key) {
            Entry::Occupied(at) => groups[*at.get()].runs.push(run),
            Entry::Vacant(at) => {
                at.insert(groups.len());
                groups.push(Group {
                    dataset: &run.key.cell.dataset,
                    seed: run.key.seed,
                    model: &run.model,
                    runs: vec![run],
                });
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use prefbench_vocabulary::{ItemText, Method};
    use serde::Deserialize;

    /// The `demo` preset as it was when the run id below was pinned (K 1, 3, 5 and 10, SFT 8
    /// epochs, PO lr 1e-4; the demo now runs a shorter matrix): these tests pin the matrix's
    /// form, not the preset's settings.
    fn demo() -> ExperimentConfig {
        let mut c = ExperimentConfig::preset("demo").unwrap();
        c.k = vec![1, 3, 5, 10];
        c.sft.epochs = 8;
        c.po.lr = 1e-4;
        c
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
            .filter(|r| r.key.cell.method == Method::Dpo)
            .map(|r| r.key.cell.k)
            .collect();
        assert_eq!(dpo, vec![1, 1], "once per seed, at K = 1");
        let groups = groups(&runs);
        assert_eq!(groups.len(), 2);
        assert!(groups
            .iter()
            .all(|g| g.runs.len() == 9 && g.runs.iter().all(|r| r.key.seed == g.seed)));
    }

    #[test]
    fn the_item_text_axis_doubles_runs_and_references_and_keeps_ids_without_it() {
        let hashes = [("synthetic".to_string(), "abc".to_string())];
        let plain = expand(&demo(), &hashes);
        let mut c = demo();
        c.item_text = Some(vec![ItemText::None, ItemText::Minilm]);
        let runs = expand(&c, &hashes);
        assert_eq!(runs.len(), 2 * plain.len());
        let none: Vec<&str> = runs
            .iter()
            .filter(|r| r.model.item_text == ItemText::None)
            .map(|r| r.id.as_str())
            .collect();
        let plain: Vec<&str> = plain.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            none, plain,
            "the `none` runs are the runs of the config without the axis"
        );
        let groups = groups(&runs);
        assert_eq!(groups.len(), 4);
        assert!(groups
            .iter()
            .all(|g| g.runs.iter().all(|r| r.model == *g.model)));
        assert_eq!(
            runs.iter()
                .filter(|r| r.model.item_text == ItemText::Minilm)
                .count(),
            runs.iter()
                .filter(|r| {
                    let read = prefbench_results::RunIdentity::deserialize(&r.canonical).unwrap();
                    read.reference.model.item_text == ItemText::Minilm
                })
                .count()
        );
    }

    #[test]
    fn no_method_is_always_first_in_its_group() {
        let hashes = [("synthetic".to_string(), "abc".to_string())];
        let runs = expand(&demo(), &hashes);
        let mut first_of_pair = std::collections::BTreeMap::new();
        for pair in runs.chunks(2) {
            assert_eq!(
                pair[0].key.cell.k, pair[1].key.cell.k,
                "methods of one K are adjacent"
            );
            *first_of_pair.entry(pair[0].key.cell.method).or_insert(0) += 1;
        }
        assert_eq!(first_of_pair.len(), 2, "{first_of_pair:?}");
        assert!(first_of_pair.values().all(|&n| n == runs.len() / 4));
        for group in groups(&runs) {
            let firsts: std::collections::BTreeSet<_> = group
                .runs
                .chunks(2)
                .map(|pair| pair[0].key.cell.method)
                .collect();
            assert_eq!(
                firsts.len(),
                2,
                "both methods lead at some K in every group"
            );
        }
    }

    /// Pins the run id of the `demo` preset's first run: ids key the store, so a drift in their
    /// form would silently rerun everything on resume and split old records from new ones.
    #[test]
    fn the_demo_run_id_is_pinned() {
        let hashes = [("synthetic".to_string(), "abc".to_string())];
        let first = &expand(&demo(), &hashes)[0];
        assert_eq!(
            (
                first.key.cell.method.to_string(),
                first.key.cell.k,
                first.key.seed
            ),
            ("dmpo".into(), 1, 0)
        );
        assert_eq!(
            first.id,
            "984c4cfa2f4d9782ccd63163c7b3479ffc6bacd01c9f4d5bcd90304d40e1401d"
        );
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
