//! Whole PO steps of the default policy: batch 128, K = 15, a catalogue of 4,606 items
//! (LastFM's size), two threads, for DMPO and DynamicPO-DMPO, with PO dropout 0 (the default
//! regime) and 0.2 (SFT's, to show its cost). Each iteration trains `steps` steps of
//! [`Workload`], so criterion's time / steps is the step time (with the policy's copy from the
//! reference and the optimiser's creation amortised over them), and a stack of seven such runs.
//! `scripts/pytorch_po_step.py` times the same model and step in PyTorch eager mode for
//! comparison.
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use prefbench_baselines::train::workload::{Workload, WorkloadSpec};
use prefbench_vocabulary::Method;
use tch::Device;

fn bench(c: &mut Criterion) {
    tch::set_num_threads(2);
    let mut group = c.benchmark_group("po_step");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    for dropout in [0.0, 0.2] {
        let workload = Workload::new(
            WorkloadSpec {
                dropout,
                ..WorkloadSpec::default()
            },
            Device::Cpu,
        );
        group.throughput(Throughput::Elements(workload.spec().steps as u64));
        for method in ["dmpo", "dynamicpo-dmpo"] {
            let method: Method = method.parse().expect("known method");
            group.bench_function(
                format!("{method}/128x15/4606-items/dropout-{dropout}"),
                |b| b.iter(|| workload.train(method)),
            );
        }
    }
    // Seven runs as one stack (the methods in turn): its throughput in member-steps a second
    // sets it beside the runs above; `prefbench bench po-step --stacks` compares more sizes.
    let workload = Workload::new(WorkloadSpec::default(), Device::Cpu);
    let methods: Vec<Method> = ["dmpo", "dynamicpo-dmpo"]
        .iter()
        .cycle()
        .take(7)
        .map(|m| m.parse().expect("known method"))
        .collect();
    group.throughput(Throughput::Elements(
        (workload.spec().steps * methods.len()) as u64,
    ));
    group.bench_function("stack-of-7/128x15/4606-items/dropout-0", |b| {
        b.iter(|| workload.train_stack(&methods))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
