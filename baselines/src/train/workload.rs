//! A fixed PO workload for timing: LastFM-sized synthetic data (4,606 items by default), a
//! default-shaped policy as reference and K negatives, trained for a given number of steps
//! through [`PoTrainer`]. The criterion bench and `prefbench bench po-step` (the one a GPU node
//! can run without cargo) time the same thing.
use prefbench_datasets::{generate_synthetic as generate, SyntheticConfig};
use tch::{Device, Tensor};

use super::{candidate_log_probs, PoOutcome, PoTrainer, Silent, SplitTensors};
use crate::policy::Policy;
use prefbench_vocabulary::{Method, ObjectiveParams};
use prefbench_vocabulary::{PoConfig, PolicyConfig};

/// What to time.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadSpec {
    pub items: usize,
    pub batch: usize,
    pub steps: usize,
    pub k: usize,
    /// PO dropout (0 is the default regime; SFT's 0.2 shows its cost).
    pub dropout: f64,
}

impl Default for WorkloadSpec {
    fn default() -> Self {
        Self {
            items: 4606,
            batch: 128,
            steps: 20,
            k: 15,
            dropout: 0.0,
        }
    }
}

/// The data, reference and settings of one [`WorkloadSpec`], built once and trained many times.
pub struct Workload {
    spec: WorkloadSpec,
    model: PolicyConfig,
    n_items: usize,
    reference: Policy,
    reference_ll: Tensor,
    train: SplitTensors,
    /// One sample: the end-of-epoch evaluations are negligible next to the steps.
    one: SplitTensors,
    po: PoConfig,
}

impl Workload {
    /// # Panics
    /// When the synthetic generator cannot produce `batch × steps` training samples (only for
    /// absurd specs: it scales its users to the need).
    pub fn new(spec: WorkloadSpec, device: Device) -> Self {
        let needed = spec.batch * spec.steps;
        let data = generate(&SyntheticConfig {
            items: spec.items,
            users: needed.div_ceil(5).max(400),
            clusters: 40,
            ..SyntheticConfig::default()
        })
        .expect("valid synthetic config");
        assert!(data.train.len() >= needed, "too few synthetic samples");
        let train = SplitTensors::new(&data.train[..needed], data.n_items, device);
        let one = SplitTensors::new(&data.test[..1], data.n_items, device);
        tch::manual_seed(0);
        let model = PolicyConfig::default();
        let reference = Policy::new(&model, data.n_items, None, device);
        let reference_ll = candidate_log_probs(&reference, &train);
        let po = PoConfig {
            epochs: 1,
            batch_size: spec.batch,
            dropout: spec.dropout,
            // Diagnostics on the first step only, so every method times the same work.
            logged_steps: 1,
            ..PoConfig::default()
        };
        Self {
            spec,
            model,
            n_items: data.n_items,
            reference,
            reference_ll,
            train,
            one,
            po,
        }
    }

    /// Trains a fresh copy of the reference for the workload's steps with `method`.
    pub fn train(&self, method: Method) -> PoOutcome {
        let mut policy = Policy::new(&self.model, self.n_items, None, self.reference.device());
        policy.vs.copy(&self.reference.vs).expect("same shapes");
        let trainer = PoTrainer {
            config: &self.po,
            method,
            params: ObjectiveParams::default(),
            k: self.spec.k,
            seed: 0,
            valid: &self.one,
            test: &self.one,
        };
        trainer
            .train(&mut policy, &self.train, &self.reference_ll, &mut Silent)
            .expect("the workload trains")
    }

    pub fn spec(&self) -> &WorkloadSpec {
        &self.spec
    }
}
