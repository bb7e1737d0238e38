//! A fixed PO workload for timing: LastFM-sized synthetic data (4,606 items by default), a
//! default-shaped policy as reference and K negatives, trained for a given number of steps
//! through [`PoTrainer`]. The criterion bench and `prefbench bench po-step` (the one a GPU node
//! can run without cargo) time the same thing. With `item_text: minilm` the policy reads
//! stand-in title embeddings (seeded random unit vectors of MiniLM's shape): the published
//! presets' regime, whose catalogue-wide title projection is a third of a step's arithmetic.
//! [`overhead`] times a DynamicPO variant against its base on it step by step, in one process
//! (claim C6).
use prefbench_datasets::{generate_synthetic as generate, SyntheticConfig};
use tch::{Device, Kind, Tensor};

use super::{
    candidate_log_probs, member_bytes, Member, PoOutcome, PoTrainer, Silent, SplitTensors,
};
use crate::policy::Policy;
use crate::text::EMBEDDING_DIM;
use prefbench_vocabulary::{ItemText, Method, ObjectiveParams, RunKey};
use prefbench_vocabulary::{PoConfig, PolicyConfig, MAX_HISTORY};

pub mod overhead;

/// What to time.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadSpec {
    pub items: usize,
    pub batch: usize,
    pub steps: usize,
    pub k: usize,
    /// PO dropout (0 is the default regime; SFT's 0.2 shows its cost).
    pub dropout: f64,
    /// Whether the policy reads title embeddings (stand-ins of MiniLM's shape).
    pub item_text: ItemText,
}

impl Default for WorkloadSpec {
    fn default() -> Self {
        Self {
            items: 4606,
            batch: 128,
            steps: 20,
            k: 15,
            dropout: 0.0,
            item_text: ItemText::None,
        }
    }
}

/// The data, reference and settings of one [`WorkloadSpec`], built once and trained many times.
pub struct Workload {
    spec: WorkloadSpec,
    model: PolicyConfig,
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
        let train = SplitTensors::new(&data.train[..needed], data.n_items, device)
            .expect("synthetic samples fit the protocol");
        let one = SplitTensors::new(&data.test[..1], data.n_items, device)
            .expect("synthetic samples fit the protocol");
        tch::manual_seed(0);
        let model = PolicyConfig {
            item_text: spec.item_text,
            ..PolicyConfig::default()
        };
        let titles = (spec.item_text == ItemText::Minilm).then(|| {
            let raw = Tensor::randn([data.n_items as i64, EMBEDDING_DIM], (Kind::Float, device));
            let norms = raw.norm_scalaropt_dim(2, [1], true);
            raw / norms
        });
        let reference = Policy::new(&model, data.n_items, titles.as_ref(), device);
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
            reference,
            reference_ll,
            train,
            one,
            po,
        }
    }

    /// Trains a fresh copy of the reference for the workload's steps with `method`.
    pub fn train(&self, method: Method) -> PoOutcome {
        self.train_stack(&[method]).remove(0)
    }

    /// Trains one stack of fresh copies of the reference, member i with `methods[i]` and seed
    /// i, for the workload's steps; the outcomes in member order.
    pub fn train_stack(&self, methods: &[Method]) -> Vec<PoOutcome> {
        let copies: Vec<&Policy> = methods.iter().map(|_| &self.reference).collect();
        let mut policy = Policy::stack(&copies).expect("copies of one policy stack");
        let members: Vec<Member> = methods
            .iter()
            .zip(0..)
            .map(|(&method, seed)| Member {
                key: RunKey::new("synthetic", method, self.spec.k, seed),
                params: ObjectiveParams::default(),
                lr: None,
            })
            .collect();
        let references = self
            .reference_ll
            .unsqueeze(0)
            .expand([members.len() as i64, -1, -1], false);
        let trainer = PoTrainer {
            config: &self.po,
            members: &members,
            valid: &self.one,
            test: &self.one,
        };
        trainer
            .train(&mut policy, &self.train, &references, &mut Silent)
            .expect("the workload trains")
            .into_iter()
            .map(|outcome| outcome.expect("the workload does not diverge"))
            .collect()
    }

    pub fn spec(&self) -> &WorkloadSpec {
        &self.spec
    }

    /// The bytes one member of a stack of this workload is budgeted ([`member_bytes`]).
    pub fn member_bytes(&self) -> u64 {
        member_bytes(
            &self.model,
            self.spec.items,
            self.train.len(),
            self.spec.batch,
        )
    }

    /// Floating-point operations of the matrix products of one member's PO step (forward and
    /// the backward's two products per forward product; one for the frozen title embeddings'
    /// projection, whose input needs no gradient), to set the achieved rate beside the
    /// machine's; elementwise work is left out.
    pub fn step_flops(&self) -> f64 {
        let (w, l) = (self.model.width as f64, MAX_HISTORY as f64);
        let blocks = self.model.blocks as f64;
        // Every position through every block, but only the last position past the last
        // block's keys and values.
        let projections = |rows: f64| rows * (w * w + 8.0 * w * w);
        let per_block = 3.0 * l * w * w + projections(l) + 2.0 * l * l * w;
        let last_block = 3.0 * l * w * w + projections(1.0) + 2.0 * l * w;
        let forward = (blocks - 1.0) * per_block + last_block + (self.spec.items as f64) * w;
        // The whole catalogue's title projection, once a step whatever the batch.
        let titles = match self.model.item_text {
            ItemText::Minilm => (self.spec.items as f64 + 1.0) * EMBEDDING_DIM as f64 * w,
            ItemText::None => 0.0,
        };
        // 2 flops a multiply-add; backward twice the forward (once for the projection).
        2.0 * (3.0 * forward * self.spec.batch as f64 + 2.0 * titles)
    }
}
