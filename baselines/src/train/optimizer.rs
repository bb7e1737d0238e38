//! AdamW over a stack's variables, with each member's own learning rate and its own gradient
//! clip: the members of a stack are separate runs, so a clip is a norm over one member's
//! slice of every variable, not over the stack. The update is libtorch's AdamW (tch's
//! `nn::AdamW` with the same defaults), written out so the learning rate can be a tensor
//! `[M]`; tested equal to `nn::AdamW` + `clip_grad_norm` for a stack of one.
use tch::{Device, Kind, Tensor};

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
    slots: Vec<Slot>,
    weight_decay: f64,
    members: i64,
    device: Device,
}

impl StackedAdamW {
    pub fn new(policy: &Policy, weight_decay: f64) -> Self {
        let slots = policy
            .vs
            .trainable_variables()
            .into_iter()
            .map(|var| Slot {
                exp_avg: var.zeros_like(),
                exp_avg_sq: var.zeros_like(),
                var,
                steps: 0,
            })
            .collect();
        Self {
            slots,
            weight_decay,
            members: policy.members(),
            device: policy.device(),
        }
    }

    pub fn zero_grad(&mut self) {
        for slot in &mut self.slots {
            slot.var.zero_grad();
        }
    }

    /// Scales each member's gradients so that their norm (over all its variables) is at most
    /// `max`, as `clip_grad_norm` does for one run; on the device, with no host round trip.
    pub fn clip_grad_norm(&self, max: f64) {
        tch::no_grad(|| {
            let grads: Vec<Tensor> = self.defined_grads().collect();
            let mut squares = Tensor::zeros([self.members, 1], (Kind::Float, self.device));
            for grad in &grads {
                let flat = grad.reshape([self.members, -1]);
                squares += flat.square().sum_dim_intlist(1, true, Kind::Float);
            }
            let coef = (squares.sqrt() + CLIP_EPS)
                .reciprocal()
                .g_mul_scalar(max)
                .clamp_max(1.0);
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
        let lrs = Tensor::from_slice(lrs)
            .to_kind(Kind::Float)
            .to_device(self.device);
        tch::no_grad(|| {
            for slot in &mut self.slots {
                let grad = slot.var.grad();
                if !grad.defined() {
                    continue;
                }
                slot.steps += 1;
                let lr = lrs.view(member_shape(&slot.var, self.members).as_slice());
                // Decoupled weight decay; skipped at 0 (PO's default), where it is a no-op.
                if self.weight_decay != 0.0 {
                    let _ = slot.var.g_mul_(&(1.0 - &lr * self.weight_decay));
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

    fn defined_grads(&self) -> impl Iterator<Item = Tensor> + '_ {
        self.slots
            .iter()
            .map(|s| s.var.grad())
            .filter(Tensor::defined)
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

    #[test]
    fn a_stack_of_one_steps_like_tchs_adamw_with_clipping() {
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
            let ours = Policy::new(&config, 20, None, Device::Cpu);
            let mut theirs = Policy::new(&config, 20, None, Device::Cpu);
            theirs.vs.copy(&ours.vs).unwrap();
            let mut adamw = StackedAdamW::new(&ours, wd);
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
                adamw.step(&[lr]);
                reference.set_lr(lr);
                reference.zero_grad();
                loss(&theirs).backward();
                reference.clip_grad_norm(0.5);
                reference.step();
            }
            let theirs = theirs.vs.variables();
            for (name, var) in ours.vs.variables() {
                let diff = (&var - &theirs[&name]).abs().max().double_value(&[]);
                assert!(diff < 1e-5, "wd {wd}, {name}: {diff}");
            }
        }
    }
}
