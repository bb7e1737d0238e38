//! Runs an experiment matrix: prepare each dataset, train one SFT reference per (dataset,
//! seed), then every pending PO run, appending each finished record to `results.jsonl` at
//! once; runs already in the store are skipped, so a rerun completes an interrupted matrix.
use std::path::PathBuf;

use anyhow::Result;
use prefbench_datasets::FetchOptions;
use prefbench_results::store::ResultsStore;
use tch::Device;

use crate::config::ExperimentConfig;
use crate::environment::Environment;
use crate::matrix::{self, RunSpec};
use crate::output::{prepare_dir, write_atomic};
use crate::progress::MatrixProgress;
use crate::report;
use crate::stages::{prepare_datasets, run_po, Reference};

/// How and where to run, beyond the config itself.
pub struct RunOptions {
    pub out: PathBuf,
    pub device: Device,
    pub threads: usize,
    /// Cache, mirror and offline settings for public datasets.
    pub fetch: FetchOptions,
}

/// Runs every pending run of the matrix and writes the report; returns the report's path.
pub fn run(config: &ExperimentConfig, options: &RunOptions) -> Result<PathBuf> {
    prepare_dir(&options.out)?;
    tch::set_num_threads(options.threads as i32);
    write_atomic(
        &options.out.join("config.yaml"),
        config.to_yaml()?.as_bytes(),
    )?;
    let environment = serde_json::to_value(Environment::capture())?;
    write_atomic(
        &options.out.join("env.json"),
        serde_json::to_string_pretty(&environment)?.as_bytes(),
    )?;

    let datasets = prepare_datasets(config, options)?;
    let hashes: Vec<(String, String)> = datasets
        .iter()
        .map(|d| (d.dataset.name.clone(), d.content_hash.clone()))
        .collect();
    let matrix = matrix::expand(config, &hashes);
    let mut store = ResultsStore::open(&options.out.join("results.jsonl"))?;
    let pending: Vec<&RunSpec> = matrix.iter().filter(|r| !store.contains(&r.id)).collect();
    let mut progress = MatrixProgress::new(pending.len());
    progress.line(&format!(
        "{} runs in the matrix, {} already in {}, {} to run on {:?} with {} threads",
        matrix.len(),
        matrix.len() - pending.len(),
        options.out.display(),
        pending.len(),
        options.device,
        options.threads
    ));

    for prepared in &datasets {
        for &seed in &config.seeds {
            let group: Vec<&RunSpec> = pending
                .iter()
                .copied()
                .filter(|r| r.dataset == prepared.dataset.name && r.seed == seed)
                .collect();
            if group.is_empty() {
                continue;
            }
            let reference = Reference::train(config, prepared, seed, options, &mut progress)?;
            for spec in group {
                let record = run_po(
                    config,
                    prepared,
                    &reference,
                    spec,
                    options,
                    &environment,
                    &mut progress,
                )?;
                store.append(&record)?;
                progress.run_done(&format!(
                    "{} {} K={} seed={}: test HR@1 {:.4} (SFT {:.4})",
                    spec.dataset,
                    spec.method,
                    spec.k,
                    spec.seed,
                    record.test.hr_at_1,
                    record.sft_test.hr_at_1
                ));
            }
        }
    }
    progress.finish();
    report::write(&options.out)
}
