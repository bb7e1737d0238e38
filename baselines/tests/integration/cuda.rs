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

/// The in-process overhead measurement runs on CUDA: every step's synchronised wall time is
/// positive and finite, and DynamicPO's selection is timed (values are never asserted).
#[test]
fn the_overhead_measurement_runs_on_cuda() {
    use prefbench_baselines::train::workload::overhead::OverheadSpec;
    assert!(Cuda::is_available(), "this test needs a CUDA device");
    let spec = WorkloadSpec {
        items: 1000,
        batch: 16,
        steps: 2,
        ..WorkloadSpec::default()
    };
    let workload = Workload::new(spec, Device::Cuda(0));
    let (variant, base): (Method, Method) =
        ("dynamicpo-dmpo".parse().unwrap(), "dmpo".parse().unwrap());
    let timing = OverheadSpec {
        repetitions: 4,
        warmup: 2,
    };
    let times = workload.overhead(variant, base, timing).unwrap();
    assert_eq!(times.repetitions.len(), 4);
    for r in &times.repetitions {
        for seconds in [r.variant.wall_seconds, r.base.wall_seconds] {
            assert!(seconds.is_finite() && seconds > 0.0, "{r:?}");
        }
        assert!(r.selection_seconds > 0.0, "{r:?}");
    }
}
