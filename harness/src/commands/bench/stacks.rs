//! `bench po-step --stacks`: per-member step time of stacks of runs against the same runs
//! trained alone, in one process, the rounds interleaved (the machine's speed drifts), with the
//! achieved matrix-product rate against one large sgemm and the memory each member adds.
use std::fmt::Write as _;
use std::time::Instant;

use prefbench_baselines::train::synchronize;
use prefbench_baselines::train::workload::Workload;
use prefbench_results::stats::median;
use prefbench_vocabulary::Method;
use serde::Serialize;
use tch::{Device, Kind, Tensor};

use crate::execute::memory;

/// The stack comparison of one workload.
#[derive(Debug, Serialize)]
pub struct StackComparison {
    /// A run's median step alone (the mean over the methods), ms; median over rounds.
    pub sequential_ms: f64,
    /// Matrix-product GFLOP of one member's step.
    pub step_gflop: f64,
    /// One 2048³ float32 matrix product on the same device and threads, GFLOP/s.
    pub sgemm_gflops: f64,
    /// The sequential path's achieved rate, GFLOP/s.
    pub sequential_gflops: f64,
    pub rows: Vec<StackRow>,
}

/// One stack size.
#[derive(Debug, Serialize)]
pub struct StackRow {
    pub members: usize,
    /// The stack's median step over its members, ms; median over rounds.
    pub ms_per_member: f64,
    /// `sequential_ms` over `ms_per_member`: above 1 the stack is faster per run.
    pub speedup: f64,
    pub gflops: f64,
    /// Peak memory the stack added per member over the runs alone (VmHWM on the CPU, the
    /// process's GPU memory on CUDA), MiB; absent for a stack of one or where unreadable.
    pub measured_mib_per_member: Option<f64>,
    /// What `po.ensemble: auto` budgets a member of this workload, MiB.
    pub budgeted_mib_per_member: f64,
}

/// Times stacks of each of `sizes` (members take `methods` in turn) against the methods alone;
/// `sgemm_gflops` is [`sgemm_gflops`] on `device`.
pub fn compare(
    workload: &Workload,
    methods: &[Method],
    sizes: &[usize],
    rounds: usize,
    device: Device,
    sgemm_gflops: f64,
) -> StackComparison {
    let members =
        |size: usize| -> Vec<Method> { methods.iter().copied().cycle().take(size).collect() };
    // Warm-up, ascending, reading the memory high-water mark each stack adds.
    let baseline = memory_mib(device);
    let mut ascending: Vec<(usize, usize)> = sizes.iter().copied().enumerate().collect();
    ascending.sort_by_key(|&(_, size)| size);
    let mut measured = vec![None; sizes.len()];
    for (at, size) in ascending {
        workload.train_stack(&members(size));
        measured[at] = match (baseline, memory_mib(device)) {
            (Some(before), Some(after)) if size > 1 => {
                Some((after - before).max(0.0) / size as f64)
            }
            _ => None,
        };
    }
    let mut sequential = Vec::with_capacity(rounds);
    let mut stacked = vec![Vec::with_capacity(rounds); sizes.len()];
    for _ in 0..rounds {
        let alone: Vec<f64> = methods
            .iter()
            .map(|&m| workload.train(m).median_step_seconds())
            .collect();
        sequential.push(alone.iter().sum::<f64>() / alone.len() as f64);
        for (times, &size) in stacked.iter_mut().zip(sizes) {
            let outcomes = workload.train_stack(&members(size));
            times.push(outcomes[0].median_step_seconds());
        }
    }
    let sequential_ms = median(&sequential).unwrap_or(f64::NAN) * 1e3;
    let step_gflop = workload.step_flops() / 1e9;
    let budgeted = workload.member_bytes() as f64 / (1 << 20) as f64;
    let rows = sizes
        .iter()
        .zip(stacked)
        .zip(measured)
        .map(|((&members, times), measured)| {
            let ms = median(&times).unwrap_or(f64::NAN) * 1e3;
            StackRow {
                members,
                ms_per_member: ms,
                speedup: sequential_ms / ms,
                gflops: step_gflop / (ms / 1e3),
                measured_mib_per_member: measured,
                budgeted_mib_per_member: budgeted,
            }
        })
        .collect();
    StackComparison {
        sequential_ms,
        step_gflop,
        sgemm_gflops,
        sequential_gflops: step_gflop / (sequential_ms / 1e3),
        rows,
    }
}

impl StackComparison {
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "\nStacks against the sequential path: {:.3} ms a run alone, {:.3} GFLOP of matrix products a step ({:.1} GFLOP/s, {:.0} % of one 2048³ sgemm at {:.1} GFLOP/s)\n\
             | stack | ms/step per member | speed-up vs sequential | GFLOP/s | of sgemm | MiB/member measured | MiB/member budgeted |\n\
             |--:|--:|--:|--:|--:|--:|--:|\n",
            self.sequential_ms,
            self.step_gflop,
            self.sequential_gflops,
            100.0 * self.sequential_gflops / self.sgemm_gflops,
            self.sgemm_gflops
        );
        for r in &self.rows {
            let measured = r
                .measured_mib_per_member
                .map_or_else(|| "n/a".to_string(), |m| format!("{m:.1}"));
            let _ = writeln!(
                out,
                "| {} | {:.3} | {:.2}× | {:.1} | {:.0} % | {measured} | {:.1} |",
                r.members,
                r.ms_per_member,
                r.speedup,
                r.gflops,
                100.0 * r.gflops / self.sgemm_gflops,
                r.budgeted_mib_per_member
            );
        }
        out
    }
}

/// The memory this process holds now on the device, MiB: the high-water mark on the CPU, the
/// process's GPU memory on CUDA (its caching allocator keeps its peak).
fn memory_mib(device: Device) -> Option<f64> {
    match device {
        Device::Cuda(_) => memory::gpu_memory_mib(),
        _ => Some(memory::peak_rss_mib()).filter(|&m| m > 0.0),
    }
}

/// GFLOP/s of one 2048³ float32 matrix product, the median of five after a warm-up: the
/// device's attainable rate, beside which a step's rate is read.
pub fn sgemm_gflops(device: Device) -> f64 {
    let n = 2048;
    let a = Tensor::randn([n, n], (Kind::Float, device));
    let b = Tensor::randn([n, n], (Kind::Float, device));
    let _ = a.matmul(&b);
    synchronize(device);
    let times: Vec<f64> = (0..5)
        .map(|_| {
            let started = Instant::now();
            let _ = a.matmul(&b);
            synchronize(device);
            started.elapsed().as_secs_f64()
        })
        .collect();
    2.0 * (n as f64).powi(3) / median(&times).unwrap_or(f64::NAN) / 1e9
}
