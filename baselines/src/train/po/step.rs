//! One optimisation step of a stack, apart from the epoch loop around it: the batch every
//! member draws, the groups that share an objective call, and forward, objective, backward,
//! clip and update. The trainer times this step for every run, and `workload::overhead` times
//! it for two methods in turn on one batch, so both measure the same work.
use prefbench_datasets::CANDIDATES;
use prefbench_vocabulary::StepDiagnostics;
use rand_pcg::Pcg64;
use tch::{Device, Kind, Tensor};

use super::Member;
use crate::objectives::{compute, diagnostics, ObjectiveOutput, PreferenceInputs};
use crate::policy::Policy;
use crate::train::optimizer::StackedAdamW;
use crate::train::{SplitTensors, TrainError};

/// The members that share (method, K, params): one call of the objective over all their
/// samples, since every objective is per sample.
pub(crate) struct ObjectiveGroup {
    pub(crate) run: Member,
    /// Their positions in the stack, ascending.
    pub(crate) members: Vec<usize>,
    index: Tensor,
}

/// Groups the members by (method, K, params), in order of first appearance.
fn objective_groups(members: &[Member], device: Device) -> Vec<ObjectiveGroup> {
    let mut groups: Vec<(Member, Vec<usize>)> = Vec::new();
    for (i, run) in members.iter().enumerate() {
        let same = |g: &&mut (Member, Vec<usize>)| {
            g.0.key.cell.method == run.key.cell.method
                && g.0.key.cell.k == run.key.cell.k
                && g.0.params == run.params
        };
        match groups.iter_mut().find(same) {
            Some(group) => group.1.push(i),
            None => groups.push((run.clone(), vec![i])),
        }
    }
    groups
        .into_iter()
        .map(|(run, members)| {
            let index: Vec<i64> = members.iter().map(|&i| i as i64).collect();
            ObjectiveGroup {
                run,
                members,
                index: Tensor::from_slice(&index).to_device(device),
            }
        })
        .collect()
}

/// One step's samples of every member of a stack, each drawn from the member's own generator.
pub(crate) struct StackBatch {
    /// `[M, B, MAX_HISTORY]`.
    histories: Tensor,
    /// Candidate ids, the target first, then each member's K negatives, padded to the stack's
    /// largest K: `[M, B, 1 + K_max]`.
    ids: Tensor,
    /// The same candidates' reference log-likelihoods.
    reference_ll: Tensor,
}

impl StackBatch {
    /// Member m's batch is rows `rows[m]` of `train`, with negatives drawn by `rngs[m]` exactly
    /// as a run alone draws them.
    pub(crate) fn draw(
        train: &SplitTensors,
        references: &Tensor,
        members: &[Member],
        rows: &[&[usize]],
        rngs: &mut [Pcg64],
    ) -> Self {
        let (m, b) = (members.len() as i64, rows[0].len() as i64);
        let candidates = CANDIDATES as i64;
        let k_max = members.iter().map(|r| r.key.cell.k).max().unwrap_or(1);
        let positions: Vec<Tensor> = rows
            .iter()
            .zip(members)
            .zip(rngs)
            .map(|((rows, run), rng)| {
                let drawn = train.draw_positions(rows, run.key.cell.k, rng);
                // Members with fewer negatives are padded with their target; the padding is
                // never read.
                let pad = drawn
                    .narrow(1, 0, 1)
                    .expand([b, (k_max - run.key.cell.k) as i64], false);
                Tensor::cat(&[drawn, pad], 1)
            })
            .collect();
        let positions = Tensor::stack(&positions, 0);
        let idx: Vec<Tensor> = rows.iter().map(|r| train.rows_tensor(r)).collect();
        let idx = Tensor::stack(&idx, 0);
        let flat = idx.view([-1]);
        let rows_of = idx.unsqueeze(2).expand([m, b, candidates], false);
        Self {
            histories: train.histories.index_select(0, &flat).view([m, b, -1]),
            ids: train
                .candidates
                .index_select(0, &flat)
                .view([m, b, candidates])
                .gather(2, &positions, false),
            reference_ll: references
                .gather(1, &rows_of, false)
                .gather(2, &positions, false),
        }
    }
}

/// One group's objective at one step: its members' log-likelihoods as one batch of G·B
/// samples, and the objective's output on them.
pub(crate) struct GroupStep {
    policy_chosen: Tensor,
    policy_rejected: Tensor,
    reference_chosen: Tensor,
    reference_rejected: Tensor,
    pub(crate) output: ObjectiveOutput,
}

impl GroupStep {
    /// `policy_ll` and `reference_ll` are the stack's `[M, B, 1 + K_max]` (target first).
    fn new(
        group: &ObjectiveGroup,
        policy_ll: &Tensor,
        reference_ll: &Tensor,
    ) -> Result<Self, TrainError> {
        let k = group.run.key.cell.k as i64;
        let mine = |t: &Tensor| t.index_select(0, &group.index);
        let (policy_ll, reference_ll) = (mine(policy_ll), mine(reference_ll));
        let chosen = |t: &Tensor| t.select(2, 0).reshape([-1]);
        let rejected = |t: &Tensor| t.narrow(2, 1, k).reshape([-1, k]);
        let (policy_chosen, policy_rejected) = (chosen(&policy_ll), rejected(&policy_ll));
        let (reference_chosen, reference_rejected) =
            (chosen(&reference_ll), rejected(&reference_ll));
        let inputs = PreferenceInputs {
            policy_chosen: &policy_chosen,
            policy_rejected: &policy_rejected,
            reference_chosen: &reference_chosen,
            reference_rejected: &reference_rejected,
        };
        let output = compute(group.run.key.cell.method, &group.run.params, &inputs)?;
        Ok(Self {
            output,
            policy_chosen,
            policy_rejected,
            reference_chosen,
            reference_rejected,
        })
    }

    /// The mean loss of each member of the group: `[G]`.
    fn member_losses(&self, members: usize) -> Tensor {
        self.output
            .losses
            .view([members as i64, -1])
            .mean_dim(1, false, Kind::Float)
    }

    /// The diagnostics of the group's `j`-th member, whose samples are rows `j·B..(j+1)·B`;
    /// `grad` is ∂L/∂ℓ_j of the whole group's rejected log-likelihoods.
    pub(crate) fn diagnostics_of(
        &self,
        run: &Member,
        j: i64,
        b: i64,
        grad: &Tensor,
    ) -> Result<StepDiagnostics, TrainError> {
        let rows = |t: &Tensor| t.narrow(0, j * b, b);
        let inputs = PreferenceInputs {
            policy_chosen: &rows(&self.policy_chosen),
            policy_rejected: &rows(&self.policy_rejected),
            reference_chosen: &rows(&self.reference_chosen),
            reference_rejected: &rows(&self.reference_rejected),
        };
        let output = ObjectiveOutput {
            losses: rows(&self.output.losses),
            boundary: self.output.boundary.as_ref().map(rows),
            boundary_betas: self.output.boundary_betas.as_ref().map(rows),
            loss_mask: self.output.loss_mask.as_ref().map(rows),
            selection_seconds: self.output.selection_seconds,
        };
        Ok(diagnostics(
            run.key.cell.method,
            &run.params,
            &inputs,
            &output,
            Some(&rows(grad)),
        )?)
    }
}

/// What lives across a stack's steps: its objective groups, where each member's loss stands
/// in their order, which members still train, and the optimizer.
pub(crate) struct Stepper {
    groups: Vec<ObjectiveGroup>,
    /// Member i's loss is entry `at[i]` of the groups' losses concatenated.
    at: Tensor,
    /// Members whose loss diverged train on with a zero loss ([`Stepper::drop_member`]).
    alive: Tensor,
    opt: StackedAdamW,
    grad_clip: f64,
}

/// One step's results: each member's mean loss `[M]`, every group's objective, and the
/// gradients of the groups' rejected log-likelihoods where the diagnostics asked for them.
pub(crate) struct Stepped {
    pub(crate) losses: Tensor,
    pub(crate) groups: Vec<GroupStep>,
    pub(crate) grads: Option<Vec<Tensor>>,
}

impl Stepper {
    /// The state of `policy` (a stack of `members`), its members at `peak_lrs`; gradients are
    /// clipped to `grad_clip` per member (0: not clipped).
    pub(crate) fn new(
        policy: &Policy,
        members: &[Member],
        weight_decay: f64,
        grad_clip: f64,
        peak_lrs: &[f64],
    ) -> Result<Self, TrainError> {
        let device = policy.device();
        let groups = objective_groups(members, device);
        let mut at = vec![0i64; members.len()];
        for (position, &member) in groups.iter().flat_map(|g| &g.members).enumerate() {
            at[member] = position as i64;
        }
        Ok(Self {
            groups,
            at: Tensor::from_slice(&at).to_device(device),
            alive: Tensor::ones([members.len() as i64], (Kind::Bool, device)),
            opt: StackedAdamW::new(policy, weight_decay, peak_lrs)?,
            grad_clip,
        })
    }

    pub(crate) fn groups(&self) -> &[ObjectiveGroup] {
        &self.groups
    }

    /// Takes `member` out of the summed loss, so a diverged run leaves the others' gradients
    /// alone.
    pub(crate) fn drop_member(&self, member: usize) {
        let _ = self.alive.get(member as i64).fill_(0);
    }

    /// One step of `policy` on `batch` at the rates `lrs`; with `logged`, also the gradients
    /// the diagnostics read. Queued device work is not waited for.
    pub(crate) fn step(
        &mut self,
        policy: &Policy,
        batch: &StackBatch,
        lrs: &[f64],
        logged: bool,
    ) -> Result<Stepped, TrainError> {
        let policy_ll = policy.log_probs(&batch.histories, &batch.ids, true);
        let groups: Vec<GroupStep> = self
            .groups
            .iter()
            .map(|g| GroupStep::new(g, &policy_ll, &batch.reference_ll))
            .collect::<Result<_, _>>()?;
        let losses: Vec<Tensor> = groups
            .iter()
            .zip(&self.groups)
            .map(|(s, g)| s.member_losses(g.members.len()))
            .collect();
        let losses = Tensor::cat(&losses, 0).index_select(0, &self.at);
        let loss = losses.where_scalarother(&self.alive, 0.0).sum(Kind::Float);
        self.opt.zero_grad();
        let grads = logged.then(|| {
            let rejected: Vec<&Tensor> = groups.iter().map(|s| &s.policy_rejected).collect();
            Tensor::run_backward(&[&loss], &rejected, true, false)
        });
        loss.backward();
        if self.grad_clip > 0.0 {
            self.opt.clip_grad_norm(self.grad_clip);
        }
        self.opt.step(lrs);
        Ok(Stepped {
            losses: losses.detach(),
            groups,
            grads,
        })
    }
}

impl Stepped {
    /// Seconds of DynamicPO's selection + β in this step, all groups together.
    pub(crate) fn selection_seconds(&self) -> f64 {
        self.groups.iter().map(|g| g.output.selection_seconds).sum()
    }
}
