//! The run record: one line of `results.jsonl` per finished PO run. Everything a report, a
//! comparison or a resume needs is in the record, so reports are built from records alone.
use crate::environment::Environment;
use crate::identity::RunIdentity;
use prefbench_vocabulary::{
    Cell, EpochPoint, PolicyConfig, RankingMetrics, RunKey, RunRanks, SftMetrics, StepPoint,
};
use serde::{Deserialize, Serialize};

/// Bumped whenever a field changes meaning or is added; readers refuse records of a schema
/// they do not know ([`READABLE_SCHEMAS`]). Schema 3 added [`RunRecord::ranks`], schema 4
/// [`Timings::po_window`].
pub const SCHEMA_VERSION: u32 = 4;

/// The schemas this prefbench reads: 2 (no per-sample ranks), 3 (no PO window) and 4.
pub const READABLE_SCHEMAS: [u32; 3] = [2, 3, SCHEMA_VERSION];

/// Wall-clock seconds of each stage of one run. SFT and the reference cache are shared by all
/// PO runs of a (dataset, seed); `sft_cached` says whether this run paid for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timings {
    pub sft_s: f64,
    pub reference_cache_s: f64,
    pub sft_cached: bool,
    pub po_s: f64,
    pub po_step_median_ms: f64,
    /// Share of the PO step spent in DynamicPO's selection + β (0 for base objectives).
    pub selection_share: f64,
    pub eval_s: f64,
    /// Peak resident memory of the process so far (VmHWM), MiB.
    pub peak_rss_mib: f64,
    /// On CUDA: GPU memory the process holds at the end of the run, MiB, from nvidia-smi
    /// (libtorch's caching allocator keeps its peak reservation, and tch exposes no allocator
    /// statistics); absent on CPU or without nvidia-smi.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cuda_peak_mib: Option<f64>,
    /// Seconds the process that trained this run spent preparing its dataset (fetch or cache,
    /// recipe, card, content hash, title embeddings, tensors), shared by every run it then
    /// trained on that dataset; absent in older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_s: Option<f64>,
    /// Seconds loading the cached reference (weights and log-likelihoods) when `sft_cached`,
    /// shared by the runs of its (dataset, seed, policy) in that process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_load_s: Option<f64>,
    /// Of `po_s`, the seconds inside PO steps (a stacked run: its share); the rest is batching
    /// of epochs and bookkeeping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub po_steps_s: Option<f64>,
    /// Of `eval_s`, the seconds evaluating the validation split (every epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_valid_s: Option<f64>,
    /// Of `eval_s`, the seconds evaluating the test split (every epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval_test_s: Option<f64>,
    /// The number of runs of the stack this run trained in (`po.ensemble`), absent for a run
    /// trained alone. A stacked run's PO, step and evaluation times are its share of the
    /// stack's (the stack's divided by its runs), the same for every run of the stack, so they
    /// do not measure the run's own cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_members: Option<usize>,
    /// When and where the run's PO trained; present from schema 4 on. With the other
    /// records' windows it tells which runs shared the machine's CPUs while they trained
    /// (`--jobs`, a second prefbench, Slurm tasks on one node), which slows a run's
    /// wall-clock without any fault of its method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub po_window: Option<PoWindow>,
}

/// The wall-clock interval of a run's PO (training and evaluation; a stacked run: the
/// stack's) and the process and machine that trained it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoWindow {
    /// Linux's boot id (`/proc/sys/kernel/random/boot_id`): the same for every process under
    /// one running kernel, containers on one host included, and different on any other
    /// machine or after a reboot; so it says which runs competed for the same CPUs. `None`
    /// where the system has none.
    pub machine: Option<String>,
    /// The id of the process that trained the run. A process trains one stack at a time, so
    /// windows of one process that overlap are one stack, not two runs competing.
    pub process: u32,
    /// Seconds since the Unix epoch (UTC), to the microsecond.
    pub started_unix_s: f64,
    pub finished_unix_s: f64,
}

impl PoWindow {
    /// Whether the two runs trained at the same time on the same machine in different
    /// processes, so each slowed the other. Windows that only touch do not overlap.
    pub fn competes_with(&self, other: &PoWindow) -> bool {
        self.machine.is_some()
            && self.machine == other.machine
            && self.process != other.process
            && self.started_unix_s < other.finished_unix_s
            && other.started_unix_s < self.finished_unix_s
    }
}

/// A finished PO run. A field this version does not know is refused, at every level the
/// record schema closes (`docs/schema/record.schema.json`, `additionalProperties: false`):
/// read and then dropped, it would vanish from a merge without a word.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRecord {
    pub schema: u32,
    /// Stable hash of the canonical run spec; the store's key.
    pub id: String,
    pub cell: Cell,
    pub seed: u64,
    /// The run's [`RunIdentity`] (model, training and objective settings) as it ran, kept as
    /// the JSON it was stored as, since the id is the hash of exactly these bytes: a record
    /// from before a setting existed lacks it, and its typed view would add the default.
    /// Read it through [`RunRecord::identity`].
    pub spec: serde_json::Value,
    /// The SFT reference policy, before PO.
    pub sft: SftMetrics,
    /// 1-based PO epoch with the best validation HR@1 (ties: the earliest), as S-DPO and LLaRA
    /// select checkpoints; `valid` and `test` are that epoch's metrics.
    pub selected_epoch: usize,
    pub valid: RankingMetrics,
    pub test: RankingMetrics,
    /// Mean PO training loss over the last epoch.
    pub final_train_loss: f64,
    /// Every PO epoch; the last one is the run's metrics without model selection.
    pub epochs: Vec<EpochPoint>,
    pub curve: Vec<StepPoint>,
    pub timings: Timings,
    pub device: String,
    pub threads: usize,
    pub prefbench_version: String,
    /// The environment the run happened in (versions, CPU, GPU, threads), as `env.json`.
    pub environment: Environment,
    /// Every sample's rank at the selected epoch (both splits) and on the test split at the
    /// last epoch; present from schema 3 on, absent in older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranks: Option<RunRanks>,
}

impl RunRecord {
    /// The run's coordinates.
    pub fn key(&self) -> RunKey {
        RunKey {
            cell: self.cell.clone(),
            seed: self.seed,
        }
    }

    /// The typed view of `spec`, so that readers branch on typed values instead of spelling
    /// the spec's keys. Settings a record predates take their defaults (records from before
    /// the `architecture` option trained the transformer, those from before `item_text` item
    /// ids only); an error means `spec` is not a run identity of this version, which
    /// [`crate::validate`] refuses, so it is `Ok` for every record a store reads.
    pub fn identity(&self) -> Result<RunIdentity, serde_json::Error> {
        RunIdentity::deserialize(&self.spec)
    }

    /// The policy the run trained, from [`RunRecord::identity`].
    pub fn policy(&self) -> Result<PolicyConfig, serde_json::Error> {
        self.identity().map(|i| i.reference.model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prefbench_vocabulary::{Architecture, ItemText};
    use serde_json::{json, Value};

    #[test]
    fn the_policy_is_read_typed_and_missing_options_take_their_defaults() {
        let policy = |model: Value| {
            record(
                json!({ "dataset": "d", "dataset_hash": "abc", "method": "dmpo", "k": 1,
                           "seed": 0, "model": model, "sft": {}, "po": {}, "objective": {},
                           "prefbench": "0.1.0" }),
            )
            .policy()
            .unwrap()
        };
        let old = policy(json!({ "width": 16, "blocks": 1 }));
        assert_eq!(old.architecture, Architecture::Transformer);
        assert_eq!(old.item_text, ItemText::None);
        assert_eq!(old.width, 16);
        let gru = policy(json!({ "architecture": "gru", "item_text": "minilm" }));
        assert_eq!(
            (gru.architecture, gru.item_text),
            (Architecture::Gru, ItemText::Minilm)
        );
        let partial = record(json!({ "model": { "width": 16 } }));
        assert!(partial.policy().is_err(), "a spec without its other fields");
    }

    fn record(spec: Value) -> RunRecord {
        serde_json::from_value(json!({
            "schema": SCHEMA_VERSION, "id": "x",
            "cell": { "dataset": "d", "method": "dmpo", "k": 1 }, "seed": 0,
            "spec": spec,
            "sft": { "valid": metrics(), "test": metrics(), "kept_epoch": 1,
                     "valid_hr_at_1": [], "train_loss": [] },
            "selected_epoch": 1, "valid": metrics(), "test": metrics(),
            "final_train_loss": 0.5, "epochs": [], "curve": [],
            "timings": { "sft_s": 0.0, "reference_cache_s": 0.0, "sft_cached": false,
                         "po_s": 0.0, "po_step_median_ms": 0.0, "selection_share": 0.0,
                         "eval_s": 0.0, "peak_rss_mib": 0.0 },
            "device": "cpu", "threads": 1, "prefbench_version": "0.1.0",
            "environment": { "prefbench": "0.1.0", "git_commit": null, "tch": "0.24.0",
                             "libtorch": null, "os": "linux", "arch": "x86_64",
                             "cpu_model": null, "cores": 1, "torch_threads": 1,
                             "cuda_available": false, "cuda_device_names": [],
                             "cudnn_available": false },
        }))
        .unwrap()
    }

    fn metrics() -> Value {
        json!({ "hr_at_1": 0.5, "hr_at_5": 0.5, "ndcg_at_5": 0.5, "samples": 1 })
    }
}
