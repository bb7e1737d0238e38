//! CUDA paths, behind the `cuda-tests` feature (CI has no GPU): `cargo test --release -p
//! prefbench-baselines --features cuda-tests` on a GPU machine; `scripts/gpu-check.sh` runs it
//! where cargo is available.
#![cfg(feature = "cuda-tests")]

use prefbench_baselines::train::workload::{Workload, WorkloadSpec};
use prefbench_vocabulary::Method;
use tch::{Cuda, Device};

/// A few PO steps on CUDA follow the CPU's: the same data, reference and (dropout-free) steps,
/// so per-step losses agree to float32 accumulation-order tolerance.
#[test]
fn po_steps_on_cuda_follow_the_cpu() {
    assert!(Cuda::is_available(), "this test needs a CUDA device");
    let spec = WorkloadSpec {
        items: 500,
        steps: 5,
        ..WorkloadSpec::default()
    };
    for method in ["dmpo", "dynamicpo-dmpo"] {
        let method: Method = method.parse().unwrap();
        let cpu = Workload::new(spec.clone(), Device::Cpu).train(method);
        let cuda = Workload::new(spec.clone(), Device::Cuda(0)).train(method);
        let (a, b) = (cpu.epochs[0].train_loss, cuda.epochs[0].train_loss);
        assert!(
            (a - b).abs() < 1e-4 * a.abs().max(1.0),
            "{method}: CPU {a}, CUDA {b}"
        );
        assert_eq!(cuda.step_seconds.len(), spec.steps);
        if method.is_dynamic() {
            assert!(cuda.selection_seconds > 0.0, "selection is timed on CUDA");
        }
    }
}
