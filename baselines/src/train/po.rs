//! Preference optimisation from the SFT reference: each epoch draws K negatives per sample from
//! its 19 non-target candidates and minimises one objective, with the paper's cosine schedule
//! (or a constant rate), warm-up and gradient clipping. The reference log-likelihoods come from
//! the cache. Every epoch is evaluated on both splits; the run's result is the epoch with the
//! best validation HR@1, as S-DPO and LLaRA select checkpoints.
//!
//! The trainer trains a stack of runs ([`Member`]s) as one batched model: each member keeps
//! its own data order and negatives (drawn from its seed exactly as when alone), reference,
//! K, objective, learning rate, clip and diagnostics, and the members' mean losses are summed,
//! so each member's gradient is its own. A single run is the stack of one. One step (the
//! batch, forward, objective, backward and update) is [`step`]'s, which the in-process overhead
//! measurement (`workload::overhead`) times too.
use std::time::Instant;

use prefbench_datasets::CANDIDATES;
use prefbench_vocabulary::{EpochPoint, ObjectiveParams, PoConfig, RunKey, SampleRanks, StepPoint};
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

pub(super) mod step;

use super::batches::{stage_rng, SplitTensors};
use super::schedule::learning_rate;
use super::{ranked_members, synchronize, Progress, TrainError};
use crate::policy::Policy;
use step::{StackBatch, Stepper};

/// Stage id of PO in [`stage_rng`].
const PO_STAGE: u64 = 2;

/// What a PO run measured besides the trained weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoOutcome {
    pub epochs: Vec<EpochPoint>,
    /// Every sample's rank on (validation, test) after each epoch, in `epochs`' order.
    #[serde(default)]
    pub ranks: Vec<(SampleRanks, SampleRanks)>,
    /// Seconds spent in the end-of-epoch evaluations (not part of any step): both splits.
    pub eval_seconds: f64,
    /// Of `eval_seconds`, the validation split's.
    pub eval_valid_seconds: f64,
    pub curve: Vec<StepPoint>,
    pub step_seconds: Vec<f64>,
    /// Host time spent in DynamicPO's selection + β over all steps.
    pub selection_seconds: f64,
}

impl PoOutcome {
    fn with_capacity(epochs: usize, steps: usize) -> Self {
        Self {
            epochs: Vec::with_capacity(epochs),
            ranks: Vec::with_capacity(epochs),
            eval_seconds: 0.0,
            eval_valid_seconds: 0.0,
            curve: Vec::new(),
            step_seconds: Vec::with_capacity(steps),
            selection_seconds: 0.0,
        }
    }

    /// 0-based index of the epoch with the best validation HR@1 (ties: the earliest); `None`
    /// when no epoch ran.
    pub fn selected_epoch(&self) -> Option<usize> {
        let mut best: Option<(usize, f64)> = None;
        for (i, e) in self.epochs.iter().enumerate() {
            if best.is_none_or(|(_, hr)| e.valid.hr_at_1 > hr) {
                best = Some((i, e.valid.hr_at_1));
            }
        }
        best.map(|(i, _)| i)
    }

    /// Seconds inside the steps, in all.
    pub fn steps_seconds(&self) -> f64 {
        self.step_seconds.iter().sum()
    }

    pub fn median_step_seconds(&self) -> f64 {
        let mut s = self.step_seconds.clone();
        s.sort_by(f64::total_cmp);
        s.get(s.len() / 2).copied().unwrap_or(0.0)
    }

    /// Share of PO step time spent in selection + β.
    pub fn selection_share(&self) -> f64 {
        let total: f64 = self.step_seconds.iter().sum();
        if total > 0.0 {
            self.selection_seconds / total
        } else {
            0.0
        }
    }
}

/// One run of a stack: which run it is (its method, K and the seed of its data order and
/// negatives; the dataset is only a name here), its objective's parameters and its rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub key: RunKey,
    pub params: ObjectiveParams,
    /// Peak learning rate of its schedule when it is not the stack's `po.lr`, so that one
    /// stack can hold the runs of a learning-rate sweep; `None` trains at `po.lr`.
    pub lr: Option<f64>,
}

/// What a stack's trainer returns for each member: its outcome, or its own divergence.
pub type MemberResult = Result<PoOutcome, TrainError>;

/// PO of a stack: the settings every member shares, the members (one per stack member, in
/// order) and the splits evaluated at the end of every epoch.
pub struct PoTrainer<'a> {
    /// The shared settings; `lr` is the peak rate of every member that names none of its own
    /// ([`Member::lr`]).
    pub config: &'a PoConfig,
    pub members: &'a [Member],
    pub valid: &'a SplitTensors,
    pub test: &'a SplitTensors,
}

impl PoTrainer<'_> {
    /// Trains the stack `policy` (member i initialised from run i's reference) in place.
    /// `references` holds each member's reference log-likelihoods of the train split's
    /// candidates, `[M, N, 20]`. A member whose loss diverges gets its own
    /// [`TrainError::NonFinite`] and the others train on, unaffected (no weight is shared); a
    /// stop or a libtorch error ends the whole stack.
    pub fn train(
        &self,
        policy: &mut Policy,
        train: &SplitTensors,
        references: &Tensor,
        progress: &mut dyn Progress,
    ) -> Result<Vec<MemberResult>, TrainError> {
        let c = self.config;
        let m = self.members.len();
        let stack = m as i64;
        let device = policy.device();
        let n = train.len() as i64;
        if policy.members() != stack || references.size() != [stack, n, CANDIDATES as i64] {
            return Err(TrainError::Stack(format!(
                "{m} runs, a stack of {} and references {:?} for {n} samples",
                policy.members(),
                references.size()
            )));
        }
        policy.set_dropout(c.dropout);
        let peak_lrs: Vec<f64> = self.members.iter().map(|r| r.lr.unwrap_or(c.lr)).collect();
        let mut stepper =
            Stepper::new(policy, self.members, c.weight_decay, c.grad_clip, &peak_lrs)?;
        let mut rngs: Vec<Pcg64> = self
            .members
            .iter()
            .map(|r| stage_rng(r.key.seed, PO_STAGE))
            .collect();
        let steps_per_epoch = train.len().div_ceil(c.batch_size);
        let total = steps_per_epoch * c.epochs;
        let log_every = total.div_ceil(c.logged_steps.max(1)).max(1);
        let mut outcomes: Vec<PoOutcome> = (0..m)
            .map(|_| PoOutcome::with_capacity(c.epochs, total))
            .collect();
        let mut failures: Vec<Option<TrainError>> = (0..m).map(|_| None).collect();
        let mut step = 0;
        for epoch in 0..c.epochs {
            let batches: Vec<Vec<Vec<usize>>> = rngs
                .iter_mut()
                .map(|rng| train.epoch_batches(c.batch_size, rng))
                .collect();
            let mut sum = Tensor::zeros([stack], (Kind::Float, device));
            for i in 0..steps_per_epoch {
                if progress.should_stop() {
                    return Err(TrainError::Stopped { stage: "PO" });
                }
                let started = Instant::now();
                let rows: Vec<&[usize]> = batches.iter().map(|b| b[i].as_slice()).collect();
                let b = rows[0].len() as i64;
                let batch = StackBatch::draw(train, references, self.members, &rows, &mut rngs);
                let lrs: Vec<f64> = peak_lrs
                    .iter()
                    .map(|&lr| learning_rate(c.schedule, lr, step, total, c.warmup_share))
                    .collect();
                let stepped = stepper.step(policy, &batch, &lrs, step % log_every == 0)?;
                synchronize(device);
                let seconds = started.elapsed().as_secs_f64() / m as f64;
                sum += &stepped.losses;
                let groups = stepper.groups();
                for (group, group_step) in groups.iter().zip(&stepped.groups) {
                    let share = group_step.output.selection_seconds / group.members.len() as f64;
                    for &member in &group.members {
                        outcomes[member].selection_seconds += share;
                    }
                }
                for outcome in &mut outcomes {
                    outcome.step_seconds.push(seconds);
                }
                if let Some(grads) = &stepped.grads {
                    let values: Vec<f64> =
                        Vec::try_from(stepped.losses.to_kind(Kind::Double).to_device(Device::Cpu))?;
                    for ((group, group_step), grad) in groups.iter().zip(&stepped.groups).zip(grads)
                    {
                        for (j, &member) in group.members.iter().enumerate() {
                            if failures[member].is_some() {
                                continue;
                            }
                            let d = group_step.diagnostics_of(&group.run, j as i64, b, grad)?;
                            outcomes[member].curve.push(StepPoint::new(
                                step,
                                values[member],
                                lrs[member],
                                &d,
                            ));
                        }
                    }
                }
                step += 1;
                progress.step(step, total);
            }
            let sums: Vec<f64> = Vec::try_from(sum.to_kind(Kind::Double).to_device(Device::Cpu))?;
            for (member, total) in sums.iter().enumerate() {
                if failures[member].is_none() && !total.is_finite() {
                    failures[member] = Some(TrainError::NonFinite {
                        stage: "PO",
                        epoch: epoch + 1,
                    });
                    stepper.drop_member(member);
                }
            }
            let started = Instant::now();
            let valid = ranked_members(policy, self.valid);
            synchronize(device);
            let valid_seconds = started.elapsed().as_secs_f64() / m as f64;
            let test = ranked_members(policy, self.test);
            let seconds = started.elapsed().as_secs_f64() / m as f64;
            for (member, ((outcome, valid), test)) in
                outcomes.iter_mut().zip(valid).zip(test).enumerate()
            {
                outcome.eval_seconds += seconds;
                outcome.eval_valid_seconds += valid_seconds;
                outcome.epochs.push(EpochPoint {
                    epoch: epoch + 1,
                    train_loss: sums[member] / steps_per_epoch as f64,
                    valid: valid.0,
                    test: test.0,
                });
                outcome.ranks.push((valid.1, test.1));
            }
        }
        Ok(outcomes
            .into_iter()
            .zip(failures)
            .map(|(outcome, failure)| match failure {
                Some(error) => Err(error),
                None => Ok(outcome),
            })
            .collect())
    }
}
