//! Loss + backward per objective, the cost that DynamicPO adds to a PO step (issue 7): batch ∈
//! {32, 128, 512} × K ∈ {1, 5, 15, 19}, f32, on CPU and (when present) CUDA. Short measurement
//! windows keep the whole run to a few minutes; filter with e.g. `-- 'cpu/.*/128x15'`.
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use prefbench_baselines::objectives::{compute, PreferenceInputs};
use prefbench_vocabulary::{Method, ObjectiveParams};
use tch::{Cuda, Device, Kind, Tensor};

const BATCHES: [i64; 3] = [32, 128, 512];
const NEGATIVES: [i64; 4] = [1, 5, 15, 19];

/// Log-likelihood-like inputs: ℓ_w somewhat above the ℓ_j, so both the violator and the
/// k-means path of the selection occur.
fn inputs(batch: i64, k: i64, device: Device) -> [Tensor; 4] {
    tch::manual_seed(7);
    let opts = (Kind::Float, device);
    [
        Tensor::randn([batch], opts) - 2.0,
        Tensor::randn([batch, k], opts) - 3.0,
        Tensor::randn([batch], opts) - 2.0,
        Tensor::randn([batch, k], opts) - 3.0,
    ]
}

fn bench_device(c: &mut Criterion, device: Device, name: &str) {
    let params = ObjectiveParams::default();
    let mut group = c.benchmark_group(name);
    for method in Method::ALL {
        for batch in BATCHES {
            for k in NEGATIVES
                .into_iter()
                .filter(|&k| method.validate_k(k).is_ok())
            {
                let [chosen, rejected, ref_chosen, ref_rejected] = inputs(batch, k, device);
                let chosen = chosen.set_requires_grad(true);
                let rejected = rejected.set_requires_grad(true);
                let inputs = PreferenceInputs {
                    policy_chosen: &chosen,
                    policy_rejected: &rejected,
                    reference_chosen: &ref_chosen,
                    reference_rejected: &ref_rejected,
                };
                let id = BenchmarkId::new(method.to_string(), format!("{batch}x{k}"));
                group.bench_function(id, |b| {
                    b.iter(|| {
                        let output = compute(method, &params, &inputs).expect("valid inputs");
                        let grads = Tensor::run_backward(
                            &[output.losses.mean(None)],
                            &[&chosen, &rejected],
                            false,
                            false,
                        );
                        if device.is_cuda() {
                            Cuda::synchronize(0);
                        }
                        grads
                    })
                });
            }
        }
    }
    group.finish();
}

fn objectives(c: &mut Criterion) {
    // One intra-op thread: the tensors are small, and timings stay comparable on a shared host.
    tch::set_num_threads(1);
    bench_device(c, Device::Cpu, "cpu");
    if Cuda::is_available() {
        bench_device(c, Device::Cuda(0), "cuda");
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_millis(1500))
        .warm_up_time(Duration::from_millis(300))
        .sample_size(20);
    targets = objectives
}
criterion_main!(benches);
