//! AdamW over a stack's variables, with each member's own learning rate and its own gradient
//! clip: the members of a stack are separate runs, so a clip is a norm over one member's
//! slice of every variable, not over the stack. AdamW is elementwise, so members that share a
//! rate (a run alone, every stack of one config) step through libtorch's own AdamW; members of
//! different rates through the same update written out with the rate a tensor `[M]`, tested
//! equal to libtorch's for each member.
use tch::nn::{self, OptimizerConfig};
use tch::{Device, Kind, TchError, Tensor};

use crate::policy::Policy;

/// PyTorch's and tch's AdamW defaults.
const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-8;
/// The term `clip_grad_norm` adds to the norm before dividing by it.
const CLIP_EPS: f64 = 1e-6;

struct Slot {
    var: Tensor,
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    /// Steps this variable took (libtorch counts per parameter, skipping undefined gradients).
    steps: i32,
}

/// The optimizer of one stack.
pub struct StackedAdamW {
    update: Update,
    /// Every trainable variable, in the store's (sorted) order.
    vars: Vec<Tensor>,
    members: i64,
    device: Device,
}

/// How the weights move: libtorch's own AdamW when every member moves at one rate (every
/// stack of one config: it has one `po.lr`), the written-out update when rates differ.
enum Update {
    Libtorch(nn::Optimizer),
    PerMember { slots: Vec<Slot>, weight_decay: f64 },
}

impl StackedAdamW {
    /// The optimizer of `policy`, whose members have the peak learning rates `peak_lrs` (their
    /// schedules share one shape, so equal peaks stay equal at every step).
    pub fn new(policy: &Policy, weight_decay: f64, peak_lrs: &[f64]) -> Result<Self, TchError> {
        let vars = policy.vs.trainable_variables();
        let update = if peak_lrs.windows(2).all(|w| w[0] == w[1]) {
            let rate = peak_lrs.first().copied().unwrap_or(0.0);
            Update::Libtorch(
                nn::AdamW {
                    wd: weight_decay,
                    ..Default::default()
                }
                .build(&policy.vs, rate)?,
            )
        } else {
            let slots = vars
                .iter()
                .map(|var| Slot {
                    exp_avg: var.zeros_like(),
                    exp_avg_sq: var.zeros_like(),
                    var: var.shallow_clone(),
                    steps: 0,
                })
                .collect();
            Update::PerMember {
                slots,
                weight_decay,
            }
        };
        Ok(Self {
            update,
            vars,
            members: policy.members(),
            device: policy.device(),
        })
    }

    pub fn zero_grad(&mut self) {
        for var in &mut self.vars {
            var.zero_grad();
        }
    }

    /// Scales each member's gradients so that their norm (over all its variables) is at most
    /// `max`, as `clip_grad_norm` does for one run: one norm per variable and member, and the
    /// gradients are touched only when some member is above `max`.
    pub fn clip_grad_norm(&self, max: f64) {
        tch::no_grad(|| {
            let grads: Vec<Tensor> = self
                .vars
                .iter()
                .map(Tensor::grad)
                .filter(Tensor::defined)
                .collect();
            if grads.is_empty() {
                return;
            }
            let norms: Vec<Tensor> = grads
                .iter()
                .map(|g| {
                    g.reshape([self.members, -1])
                        .norm_scalaropt_dim(2, [1], false)
                })
                .collect();
            let total = Tensor::stack(&norms, 0).norm_scalaropt_dim(2, [0], false);
            let coef = ((total + CLIP_EPS).reciprocal() * max).clamp_max(1.0);
            if !bool::try_from(coef.lt(1.0).any()).unwrap_or(true) {
                return;
            }
            for mut grad in grads {
                let _ = grad.g_mul_(&coef.view(member_shape(&grad, self.members).as_slice()));
            }
        });
    }

    /// One AdamW step; member m moves at `lrs[m]`.
    ///
    /// # Panics
    /// If `lrs` does not hold one rate per member.
    pub fn step(&mut self, lrs: &[f64]) {
        assert_eq!(
            lrs.len() as i64,
            self.members,
            "one learning rate per member"
        );
        let (slots, weight_decay) = match &mut self.update {
            Update::Libtorch(optimizer) => {
                optimizer.set_lr(lrs[0]);
                optimizer.step();
                return;
            }
            Update::PerMember {
                slots,
                weight_decay,
            } => (slots, *weight_decay),
        };
        let lrs = Tensor::from_slice(lrs)
            .to_kind(Kind::Float)
            .to_device(self.device);
        tch::no_grad(|| {
            for slot in slots {
                let grad = slot.var.grad();
                if !grad.defined() {
                    continue;
                }
                slot.steps += 1;
                let lr = lrs.view(member_shape(&slot.var, self.members).as_slice());
                // Decoupled weight decay; skipped at 0 (PO's default), where it is a no-op.
                if weight_decay != 0.0 {
                    let _ = slot.var.g_mul_(&(1.0 - &lr * weight_decay));
                }
                let _ = slot.exp_avg.lerp_(&grad, 1.0 - BETA1);
                let _ = slot.exp_avg_sq.g_mul_scalar_(BETA2);
                let _ = slot.exp_avg_sq.addcmul_(&grad, &(&grad * (1.0 - BETA2)));
                let bias1 = 1.0 - BETA1.powi(slot.steps);
                let bias2 = 1.0 - BETA2.powi(slot.steps);
                let denom = slot.exp_avg_sq.sqrt() / bias2.sqrt() + EPS;
                let _ = slot.var.g_sub_(&(&slot.exp_avg / denom * (lr / bias1)));
            }
        });
    }
}

/// `[M, 1, ..., 1]` of the rank of `t`: a per-member value broadcast over one variable.
fn member_shape(t: &Tensor, members: i64) -> Vec<i64> {
    let mut shape = vec![1; t.dim()];
    shape[0] = members;
    shape
}

#[cfg(test)]
mod tests {
    use super::*;
    use prefbench_vocabulary::{Architecture, PolicyConfig};
    use tch::nn::OptimizerConfig;

    /// A loss that reaches every variable of a small policy.
    fn loss(policy: &Policy) -> Tensor {
        let h = Tensor::from_slice(&[3i64, 4, 5, 6, 7, 8, 9, 1, 2, 3]).view([1, 10]);
        let items = Tensor::from_slice(&[1i64, 2, 3]).view([1, 3]);
        policy.log_probs(&h, &items, true).sum(Kind::Float) * 3.0
    }

    /// Member 0 of a stack of two rates (the written-out update) against libtorch's AdamW and
    /// `clip_grad_norm` on the same policy alone; member 1 moves at half the rate.
    #[test]
    fn members_of_different_rates_step_like_tchs_adamw_with_clipping() {
        // A GRU: every one of its weights has a real gradient (an attention's key bias has an
        // exactly zero one, where AdamW amplifies float noise in any implementation).
        let config = PolicyConfig {
            architecture: Architecture::Gru,
            width: 16,
            heads: 2,
            blocks: 1,
            dropout: 0.0,
            ..Default::default()
        };
        for wd in [0.0, 0.05] {
            tch::manual_seed(7);
            let theirs = Policy::new(&config, 20, None, Device::Cpu);
            let ours = Policy::stack(&[&theirs, &theirs]).unwrap();
            let mut adamw = StackedAdamW::new(&ours, wd, &[1e-2, 5e-3]).unwrap();
            let mut reference = tch::nn::AdamW {
                wd,
                ..Default::default()
            }
            .build(&theirs.vs, 1e-2)
            .unwrap();
            for step in 0..5 {
                let lr = 1e-2 / (step + 1) as f64;
                adamw.zero_grad();
                loss(&ours).backward();
                adamw.clip_grad_norm(0.5);
                adamw.step(&[lr, lr / 2.0]);
                reference.set_lr(lr);
                reference.zero_grad();
                loss(&theirs).backward();
                reference.clip_grad_norm(0.5);
                reference.step();
            }
            let theirs = theirs.vs.variables();
            for (name, var) in ours.vs.variables() {
                let diff = (var.get(0) - &theirs[&name]).abs().max().double_value(&[]);
                assert!(diff < 1e-5, "wd {wd}, {name}: {diff}");
                let other = (var.get(1) - &theirs[&name]).abs().max().double_value(&[]);
                assert!(other > 1e-6, "wd {wd}, {name}: member 1 has its own rate");
            }
        }
    }
}
