//! DynamicPO's cost against its base in one process (claim C6). Separate runs on a shared
//! machine differ by more than the few per cent in question, so two copies of the workload's
//! reference, one trained with the variant and one with its base, step in turn on the same
//! batch: one repetition is one step of each, and which steps first alternates, so that
//! neither always finds the caches the other left. Each step is timed by the process's CPU
//! time, which other processes' load barely moves (with one libtorch thread it is the step's
//! own), and by the wall clock, the measure on CUDA (the device is synchronised around every
//! step). Both run the trainer's own step (`po::step::Stepper`), without the diagnostics.
use std::time::Instant;

use prefbench_vocabulary::{Method, ObjectiveParams, RunKey};
use rand::SeedableRng;
use rand_pcg::Pcg64;
use tch::{Device, Kind};

use super::Workload;
use crate::policy::Policy;
use crate::train::po::step::{StackBatch, Stepped, Stepper};
use crate::train::{synchronize, Member, TrainError};

/// How long to measure one pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverheadSpec {
    /// Timed repetitions.
    pub repetitions: usize,
    /// Untimed repetitions first: the allocator, caches and lazily chosen kernels settle.
    pub warmup: usize,
}

/// What one step cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StepCost {
    /// CPU seconds of the whole process (every thread) during the step.
    pub cpu_seconds: f64,
    /// Wall-clock seconds, the device synchronised before and after.
    pub wall_seconds: f64,
}

/// One timed repetition: one step of each method on one batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Repetition {
    /// Whether the variant stepped first.
    pub variant_first: bool,
    pub variant: StepCost,
    pub base: StepCost,
    /// Of the variant's step, seconds in DynamicPO's selection + β (synchronised on CUDA).
    pub selection_seconds: f64,
}

/// The repetitions of one (variant, base) pair, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct PairTimes {
    pub variant: Method,
    pub base: Method,
    pub repetitions: Vec<Repetition>,
}

impl Workload {
    /// Times `variant` against `base` step by step on this workload (its K, batch, dropout and
    /// optimiser settings, at the constant peak rate: the rate changes no step's work).
    pub fn overhead(
        &self,
        variant: Method,
        base: Method,
        spec: OverheadSpec,
    ) -> Result<PairTimes, TrainError> {
        let device = self.reference.device();
        let lr = [self.po.lr];
        let member = |method| {
            [Member {
                key: RunKey::new("synthetic", method, self.spec.k, 0),
                params: ObjectiveParams::default(),
                lr: None,
            }]
        };
        let members = [member(variant), member(base)];
        let copy = || Policy::stack(&[&self.reference]).expect("a policy stacks alone");
        let mut policies = [copy(), copy()];
        let mut steppers = Vec::with_capacity(2);
        for (policy, members) in policies.iter_mut().zip(&members) {
            policy.set_dropout(self.po.dropout);
            let (decay, clip) = (self.po.weight_decay, self.po.grad_clip);
            steppers.push(Stepper::new(policy, members, decay, clip, &lr)?);
        }
        let references = self.reference_ll.unsqueeze(0);
        let mut rng = Pcg64::seed_from_u64(0);
        let mut epoch: Vec<Vec<usize>> = Vec::new();
        let mut epochs = 0;
        let mut repetitions = Vec::with_capacity(spec.repetitions);
        for i in 0..spec.warmup + spec.repetitions {
            if epoch.is_empty() {
                epoch = self.train.epoch_batches(self.po.batch_size, &mut rng);
                epochs += 1;
            }
            let rows = epoch.pop().unwrap_or_default();
            // One batch, drawn outside the timed steps, read by both: the same histories,
            // candidates, negatives and reference log-likelihoods.
            let batch = StackBatch::draw(
                &self.train,
                &references,
                &members[0],
                &[&rows],
                std::slice::from_mut(&mut rng),
            );
            let variant_first = i % 2 == 0;
            let order = if variant_first { [0, 1] } else { [1, 0] };
            let mut costs = [StepCost::default(); 2];
            let mut selection_seconds = 0.0;
            for at in order {
                synchronize(device);
                let (cpu, wall) = (process_cpu_seconds(), Instant::now());
                let stepped = steppers[at].step(&policies[at], &batch, &lr, false)?;
                synchronize(device);
                costs[at] = StepCost {
                    cpu_seconds: process_cpu_seconds() - cpu,
                    wall_seconds: wall.elapsed().as_secs_f64(),
                };
                finite(&stepped, epochs)?;
                if at == 0 {
                    selection_seconds = stepped.selection_seconds();
                }
            }
            if i >= spec.warmup {
                repetitions.push(Repetition {
                    variant_first,
                    variant: costs[0],
                    base: costs[1],
                    selection_seconds,
                });
            }
        }
        Ok(PairTimes {
            variant,
            base,
            repetitions,
        })
    }
}

/// A diverged copy would time NaN arithmetic, not the method; read after the step's timing.
fn finite(stepped: &Stepped, epoch: usize) -> Result<(), TrainError> {
    let loss = f64::try_from(stepped.losses.sum(Kind::Double).to_device(Device::Cpu))?;
    match loss.is_finite() {
        true => Ok(()),
        false => Err(TrainError::NonFinite {
            stage: "the overhead measurement",
            epoch,
        }),
    }
}

/// CPU seconds this process has used, all its threads together (`CLOCK_PROCESS_CPUTIME_ID`).
fn process_cpu_seconds() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a pointer to a live, owned one.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) };
    // Every POSIX system has this clock; an error would be EINVAL for a clock it lacks.
    assert_eq!(status, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    now.tv_sec as f64 + now.tv_nsec as f64 * 1e-9
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::workload::WorkloadSpec;

    /// On a tiny workload: one timed repetition each, the order alternating, every time
    /// positive and finite, and selection timed only where DynamicPO selects. Timing values
    /// are never asserted.
    #[test]
    fn alternating_steps_give_one_positive_time_each() {
        let workload = Workload::new(
            WorkloadSpec {
                items: 1000,
                batch: 8,
                steps: 2,
                k: 5,
                ..WorkloadSpec::default()
            },
            Device::Cpu,
        );
        let spec = OverheadSpec {
            repetitions: 5,
            warmup: 1,
        };
        let variant: Method = "dynamicpo-mppo".parse().unwrap();
        let base: Method = "mppo".parse().unwrap();
        let times = workload.overhead(variant, base, spec).unwrap();
        assert_eq!((times.variant, times.base), (variant, base));
        assert_eq!(times.repetitions.len(), 5);
        for (i, r) in times.repetitions.iter().enumerate() {
            // The warm-up repetition went variant first, so the timed ones start with the base.
            assert_eq!(r.variant_first, i % 2 == 1);
            for s in [r.variant, r.base] {
                for seconds in [s.cpu_seconds, s.wall_seconds] {
                    assert!(seconds.is_finite() && seconds > 0.0, "{r:?}");
                }
            }
            assert!(r.selection_seconds > 0.0, "{r:?}");
        }
        let same = workload.overhead(base, base, spec).unwrap();
        assert!(same.repetitions.iter().all(|r| r.selection_seconds == 0.0));
    }
}
