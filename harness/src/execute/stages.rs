//! The stages of a matrix, each a plain function: prepare a dataset, train the SFT reference of
//! a (dataset, seed, policy), train one stack of PO runs into complete records. The runner decides what
//! to run; the stages tell the observer their progress and hand the trainer the stop token.
use std::time::Instant;

use anyhow::{Context as _, Result};
use prefbench_baselines::policy::Policy;
use prefbench_baselines::text;
use prefbench_baselines::train::checkpoint::{self, SftSummary};
use prefbench_baselines::train::{self, Member, PoOutcome, PoTrainer, Progress, SplitTensors};
use prefbench_datasets::{prepare, prepare_synthetic, Dataset, PrepareOptions, Split};
use prefbench_datasets::{reads_extracted_members, Registry};
use prefbench_results::{Cell, RunRecord, Timings, SCHEMA_VERSION};
use prefbench_vocabulary::{Architecture, ItemText, PolicyConfig};

use super::context::{Context, RunOptions};
use super::memory;
use crate::config::ExperimentConfig;
use crate::observe::Observer;
use crate::plan::identity::{self, SftIdentity};
use crate::plan::matrix::RunSpec;
use crate::stop::StopToken;

/// A dataset ready for training, with the hash that enters every run id.
pub struct Prepared {
    pub dataset: Dataset,
    pub content_hash: String,
    /// Seconds this process spent preparing it, titles and tensors included.
    seconds: f64,
    /// Frozen title embeddings [n_items, 384] when a policy of the matrix reads titles.
    titles: Option<tch::Tensor>,
    train: SplitTensors,
    valid: SplitTensors,
    test: SplitTensors,
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
                let prepare_options = PrepareOptions {
                    fetch: options.fetch.clone(),
                    from: options.from.clone().filter(|_| accepts_from(name)),
                };
                prepare(name, &prepare_options)
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

/// Whether dataset `name`'s recipe reads extracted archive members (`--from DIR`).
fn accepts_from(name: &str) -> bool {
    Registry::builtin()
        .ok()
        .and_then(|r| r.get(name).ok().map(reads_extracted_members))
        .unwrap_or(false)
}

impl Prepared {
    /// Bytes one PO run of `model` at `batch` samples a step holds in a stack on this dataset
    /// ([`train::member_bytes`]).
    pub fn member_bytes(&self, model: &PolicyConfig, batch: usize) -> u64 {
        train::member_bytes(model, self.dataset.n_items, self.train.len(), batch)
    }

    /// A fresh policy of `model` on this dataset, given the title embeddings only when it reads
    /// them (another run of the matrix may have needed them).
    fn policy(&self, model: &PolicyConfig, options: &RunOptions) -> Result<Policy> {
        let titles = self
            .titles
            .as_ref()
            .filter(|_| model.item_text == ItemText::Minilm);
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
    if config
        .models()
        .iter()
        .all(|m| m.item_text == ItemText::None)
    {
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

/// The SFT policy of one (dataset, seed, policy), its cached train-split candidate
/// log-likelihoods and what it cost.
pub struct Reference {
    policy: Policy,
    train_log_probs: tch::Tensor,
    summary: SftSummary,
    /// Loaded from the SFT cache rather than trained by this process.
    cached: bool,
    /// Seconds loading it from the cache, when `cached`.
    load_s: Option<f64>,
}

impl Reference {
    /// Loads the reference of (dataset, seed, `model` and SFT settings) from the cache, or
    /// trains it, computes the reference log-likelihoods of the training candidates and caches
    /// both.
    pub fn train(
        context: &Context,
        data: &Prepared,
        seed: u64,
        model: &PolicyConfig,
        observer: &mut dyn Observer,
    ) -> Result<Self> {
        let (config, options) = (context.config, context.options);
        let name = format!("{}{}", data.dataset.name, policy_note(model));
        observer.stage(0, &format!("SFT {name} seed {seed}"));
        tch::manual_seed(seed as i64);
        let mut policy = data.policy(model, options)?;
        let dir = options
            .fetch
            .cache
            .join("sft")
            .join(SftIdentity::of(config, model, &data.content_hash, seed).key());
        let started = Instant::now();
        match checkpoint::load(&dir, &mut policy, data.train.len()) {
            Ok(Some((train_log_probs, summary))) => {
                train::synchronize(options.device);
                let load_s = Some(started.elapsed().as_secs_f64());
                observer.line(&format!(
                    "SFT {name} seed {seed}: cached in {} (test HR@1 {:.4})",
                    dir.display(),
                    summary.metrics.test.hr_at_1
                ));
                return Ok(Self {
                    policy,
                    train_log_probs,
                    summary,
                    cached: true,
                    load_s,
                });
            }
            Ok(None) => {}
            // Not cached: a damaged or mismatched checkpoint is never used, and `policy` is
            // still the fresh one.
            Err(reason) => observer.line(&format!("warning: {reason}; training it again")),
        }
        let started = Instant::now();
        let splits = [&data.train, &data.valid, &data.test];
        let mut training = Training::new(observer, context.stop);
        let metrics = train::train_sft(&config.sft, &mut policy, splits, seed, &mut training)?;
        let sft_s = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let train_log_probs = train::candidate_log_probs(&policy, &data.train);
        train::synchronize(options.device);
        let summary = SftSummary {
            metrics,
            sft_s,
            reference_cache_s: started.elapsed().as_secs_f64(),
        };
        checkpoint::save(&dir, &policy, &train_log_probs, &summary)?;
        observer.line(&format!(
            "SFT {name} seed {seed}: final loss {:.4}, test HR@1 {:.4} ({sft_s:.1} s)",
            summary
                .metrics
                .train_loss
                .last()
                .copied()
                .unwrap_or(f64::NAN),
            summary.metrics.test.hr_at_1
        ));
        Ok(Self {
            policy,
            train_log_probs,
            summary,
            cached: false,
            load_s: None,
        })
    }
}

/// What progress lines add to a dataset's name so the policies of one matrix stay apart; the
/// default backbone (a transformer on item ids) adds nothing.
pub fn policy_note(model: &PolicyConfig) -> String {
    let mut parts = Vec::new();
    if model.architecture != Architecture::Transformer {
        parts.push(model.architecture.name());
    }
    if model.item_text == ItemText::Minilm {
        parts.push("with titles");
    }
    match parts.is_empty() {
        true => String::new(),
        false => format!(" ({})", parts.join(", ")),
    }
}

/// What a trainer reports to and asks: its steps go to the observer, and it stops when the
/// token is stopped.
struct Training<'a> {
    observer: &'a mut dyn Observer,
    stop: &'a StopToken,
}

impl<'a> Training<'a> {
    fn new(observer: &'a mut dyn Observer, stop: &'a StopToken) -> Self {
        Self { observer, stop }
    }
}

impl Progress for Training<'_> {
    fn step(&mut self, done: usize, total: usize) {
        self.observer.step(done, total);
    }

    fn should_stop(&self) -> bool {
        self.stop.is_stopped()
    }
}

/// One run of a stack and the reference it starts from.
pub type StackRun<'a> = (&'a RunSpec, &'a Reference);

/// Trains `runs` as one stack, each from its own seed's reference, and evaluates each into a
/// complete record. A run that diverged is its own `Err`; a stop or any other error ends the
/// whole stack, which then records nothing. A stack of one is a run alone.
pub fn run_stack(
    context: &Context,
    data: &Prepared,
    runs: &[StackRun],
    observer: &mut dyn Observer,
) -> Result<Vec<Result<RunRecord>>> {
    let config = context.config;
    let (first, _) = runs.first().context("a stack needs a run")?;
    observer.stage(0, &stack_name(runs));
    let references: Vec<&Policy> = runs.iter().map(|(_, r)| &r.policy).collect();
    let mut policy = Policy::stack(&references)?;
    let log_probs: Vec<&tch::Tensor> = runs.iter().map(|(_, r)| &r.train_log_probs).collect();
    let log_probs = tch::Tensor::f_stack(&log_probs, 0)?;
    // Seeds PO dropout's masks (off by default): a run alone draws them from its own seed.
    tch::manual_seed(first.seed as i64);
    let members: Vec<Member> = runs
        .iter()
        .map(|(spec, _)| Member {
            method: spec.method,
            params: config.objective,
            k: spec.k,
            seed: spec.seed,
            lr: config.po.lr,
        })
        .collect();
    let trainer = PoTrainer {
        config: &config.po,
        members: &members,
        valid: &data.valid,
        test: &data.test,
    };
    let started = Instant::now();
    let outcomes = trainer.train(
        &mut policy,
        &data.train,
        &log_probs,
        &mut Training::new(observer, context.stop),
    )?;
    let share = started.elapsed().as_secs_f64() / runs.len() as f64;
    let stack_members = (runs.len() > 1).then_some(runs.len());
    Ok(runs
        .iter()
        .zip(outcomes)
        .map(|(&(spec, reference), outcome)| {
            let outcome = outcome?;
            let po_s = share - outcome.eval_seconds;
            record(context, data, spec, reference, outcome, po_s, stack_members)
        })
        .collect())
}

/// What the progress display calls a stack: the run itself when alone.
fn stack_name(runs: &[StackRun]) -> String {
    match runs {
        [(spec, _)] => format!("{} K={} seed {}", spec.method, spec.k, spec.seed),
        _ => {
            let mut seeds: Vec<u64> = runs.iter().map(|(s, _)| s.seed).collect();
            seeds.sort_unstable();
            seeds.dedup();
            let seeds: Vec<String> = seeds.iter().map(u64::to_string).collect();
            format!("{} runs stacked (seeds {})", runs.len(), seeds.join(", "))
        }
    }
}

/// The record of one finished run. `po_s` is its PO wall-clock (its share of the stack's);
/// `stack_members` the size of the stack it trained in, when more than one.
fn record(
    context: &Context,
    data: &Prepared,
    spec: &RunSpec,
    reference: &Reference,
    outcome: PoOutcome,
    po_s: f64,
    stack_members: Option<usize>,
) -> Result<RunRecord> {
    let options = context.options;
    let selected = outcome
        .selected_epoch()
        .context("PO ran no epoch; set po.epochs >= 1")?;
    let (best, last) = (
        outcome.epochs[selected],
        outcome.epochs[outcome.epochs.len() - 1],
    );
    let timings = Timings {
        sft_s: reference.summary.sft_s,
        reference_cache_s: reference.summary.reference_cache_s,
        sft_cached: reference.cached,
        po_s,
        po_step_median_ms: outcome.median_step_seconds() * 1e3,
        selection_share: outcome.selection_share(),
        eval_s: outcome.eval_seconds,
        peak_rss_mib: memory::peak_rss_mib(),
        data_s: Some(data.seconds),
        reference_load_s: reference.load_s,
        // Stacked: the steps' share, like `po_s` (a step's seconds are already per member).
        po_steps_s: Some(outcome.steps_seconds()),
        eval_valid_s: Some(outcome.eval_valid_seconds),
        eval_test_s: Some(outcome.eval_seconds - outcome.eval_valid_seconds),
        cuda_peak_mib: options
            .device
            .is_cuda()
            .then(memory::gpu_memory_mib)
            .flatten(),
        stack_members,
    };
    Ok(RunRecord {
        schema: SCHEMA_VERSION,
        id: spec.id.clone(),
        cell: Cell {
            dataset: spec.dataset.clone(),
            method: spec.method,
            k: spec.k,
        },
        seed: spec.seed,
        spec: spec.canonical.clone(),
        sft: reference.summary.metrics.clone(),
        selected_epoch: best.epoch,
        valid: best.valid,
        test: best.test,
        final_train_loss: last.train_loss,
        curve: outcome.curve,
        epochs: outcome.epochs,
        timings,
        device: format!("{:?}", options.device),
        threads: options.threads,
        prefbench_version: identity::VERSION.to_string(),
        environment: context.environment.clone(),
    })
}
