//! Whole PO steps of the default policy (issue 8): batch 128, K = 15, a catalogue of 4,606
//! items (LastFM's size), two threads, for DMPO and DynamicPO-DMPO. Each iteration trains
//! `STEPS` steps through `PoTrainer::train`, so criterion's time / STEPS is the step time
//! (with the policy's copy from the reference and the optimiser's creation amortised over them);
//! evaluation runs on a single sample and is negligible. `scripts/pytorch_po_step.py` times the
//! same model and step in PyTorch eager mode for comparison.
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use prefbench_baselines::objectives::{Method, ObjectiveParams};
use prefbench_baselines::policy::{Policy, PolicyConfig};
use prefbench_baselines::train::{self, PoConfig, PoTrainer, Silent, SplitTensors};
use prefbench_datasets::synthetic::{generate, SyntheticConfig};
use tch::Device;

const BATCH: usize = 128;
const STEPS: usize = 20;
const K: usize = 15;

fn bench(c: &mut Criterion) {
    tch::set_num_threads(2);
    let data = generate(&SyntheticConfig {
        items: 4606,
        users: 400,
        clusters: 40,
        ..SyntheticConfig::default()
    })
    .expect("valid synthetic config");
    let train_samples = &data.train[..BATCH * STEPS];
    let train = SplitTensors::new(train_samples, data.n_items, Device::Cpu);
    let one = SplitTensors::new(&data.test[..1], data.n_items, Device::Cpu);
    tch::manual_seed(0);
    let model = PolicyConfig::default();
    let reference = Policy::new(&model, data.n_items, None, Device::Cpu);
    let reference_ll = train::candidate_log_probs(&reference, &train);
    let po = PoConfig {
        epochs: 1,
        batch_size: BATCH,
        // Diagnostics on the first step only, so both sides time the same work.
        logged_steps: 1,
        ..PoConfig::default()
    };
    let mut group = c.benchmark_group("po_step");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(STEPS as u64));
    for method in ["dmpo", "dynamicpo-dmpo"] {
        let method: Method = method.parse().expect("known method");
        group.bench_function(format!("{method}/128x15/4606-items"), |b| {
            b.iter(|| {
                let mut policy = Policy::new(&model, data.n_items, None, Device::Cpu);
                policy.vs.copy(&reference.vs).expect("same shapes");
                let trainer = PoTrainer {
                    config: &po,
                    method,
                    params: ObjectiveParams::default(),
                    k: K,
                    seed: 0,
                    valid: &one,
                    test: &one,
                };
                trainer
                    .train(&mut policy, &train, &reference_ll, &mut Silent)
                    .expect("trains")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
