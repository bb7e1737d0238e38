//! The first phase of a matrix: each dataset fetched or built, its card written, its splits
//! and (when a policy reads them) its title embeddings loaded onto the device, with the content
//! hash that enters every run id.
use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, Result};
use prefbench_baselines::policy::Policy;
use prefbench_baselines::text;
use prefbench_baselines::train::{self, SplitTensors};
use prefbench_datasets::{members_dir, Registry};
use prefbench_datasets::{prepare, prepare_synthetic, Dataset, PrepareOptions, Split};
use prefbench_vocabulary::PolicyConfig;

use super::context::RunOptions;
use crate::config::ExperimentConfig;
use crate::plan::identity;

/// A dataset ready for training, with the hash that enters every run id.
pub struct Prepared {
    pub dataset: Dataset,
    pub content_hash: String,
    /// Seconds this process spent preparing it, titles and tensors included.
    pub(super) seconds: f64,
    /// Frozen title embeddings [n_items, 384] when a policy of the matrix reads titles.
    titles: Option<tch::Tensor>,
    pub(super) train: SplitTensors,
    pub(super) valid: SplitTensors,
    pub(super) test: SplitTensors,
}

/// Prepares every dataset of `config` (fetching or building it), writes its card into the
/// output directory and loads its splits onto the device.
pub fn prepare_datasets(config: &ExperimentConfig, options: &RunOptions) -> Result<Vec<Prepared>> {
    config
        .datasets
        .iter()
        .map(|name| {
            let started = Instant::now();
            let (dataset, card) = if name == "synthetic" {
                prepare_synthetic(&config.synthetic)
            } else {
                Registry::builtin()
                    .and_then(|r| members_dir(r.get(name)?, &options.from))
                    .and_then(|from| {
                        let prepare_options = PrepareOptions {
                            fetch: options.fetch.clone(),
                            from: from.map(Path::to_path_buf),
                        };
                        prepare(name, &prepare_options)
                    })
            }
            .with_context(|| format!("cannot prepare dataset `{name}`"))?;
            prefbench_io::write_atomic(
                &options.out.dataset_card(name),
                serde_json::to_string_pretty(&card)?.as_bytes(),
            )?;
            let content_hash = identity::dataset_hash(&dataset)?;
            let split = |s| {
                SplitTensors::new(dataset.split(s), dataset.n_items, options.device)
                    .with_context(|| format!("dataset `{name}`, {s:?} split"))
            };
            let titles = item_titles(config, &dataset, &content_hash, options)?;
            let (train, valid, test) = (
                split(Split::Train)?,
                split(Split::Valid)?,
                split(Split::Test)?,
            );
            train::synchronize(options.device);
            Ok(Prepared {
                seconds: started.elapsed().as_secs_f64(),
                titles,
                train,
                valid,
                test,
                content_hash,
                dataset,
            })
        })
        .collect()
}

impl Prepared {
    /// Bytes one PO run of `model` at `batch` samples a step holds in a stack on this dataset
    /// ([`train::member_bytes`]).
    pub fn member_bytes(&self, model: &PolicyConfig, batch: usize) -> u64 {
        train::member_bytes(model, self.dataset.n_items, self.train.len(), batch)
    }

    /// A fresh policy of `model` on this dataset, given the title embeddings only when it reads
    /// them (another run of the matrix may have needed them).
    pub(super) fn policy(&self, model: &PolicyConfig, options: &RunOptions) -> Result<Policy> {
        let titles = self
            .titles
            .as_ref()
            .filter(|_| model.item_text.reads_titles());
        Ok(Policy::try_new(
            model,
            self.dataset.n_items,
            titles,
            options.device,
        )?)
    }
}

/// The title embeddings that `item_text: minilm` needs when any run of the matrix uses it
/// (cached by dataset and encoder), else none.
fn item_titles(
    config: &ExperimentConfig,
    dataset: &Dataset,
    content_hash: &str,
    options: &RunOptions,
) -> Result<Option<tch::Tensor>> {
    if !config.models().iter().any(|m| m.item_text.reads_titles()) {
        return Ok(None);
    }
    let titles = dataset.titles.as_ref().with_context(|| {
        format!(
            "dataset `{}` has no item titles, which `model.item_text: minilm` needs; use \
             `item_text: none` for it",
            dataset.name
        )
    })?;
    text::title_embeddings(titles, content_hash, &options.fetch.cache, options.device)
        .map(Some)
        .with_context(|| format!("cannot embed the item titles of `{}`", dataset.name))
}
