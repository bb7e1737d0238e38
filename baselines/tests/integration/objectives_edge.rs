//! Names, validation, and the edge cases of issue 7 point 3: no NaN or infinity for finite
//! inputs, in f32 and f64.

use crate::support::{host, host_mask, Batch};
use prefbench_baselines::objectives::{compute, ObjectiveError};
use prefbench_vocabulary::{BaseObjective, Method, MethodError, ObjectiveParams, ParamError};
use tch::{Device, Kind, Tensor};

#[test]
fn names_round_trip_through_display_fromstr_and_serde() {
    assert_eq!(Method::ALL.len(), 16);
    for method in Method::ALL {
        let name = method.to_string();
        assert_eq!(name.parse::<Method>().unwrap(), method);
        let json = serde_json::to_string(&method).unwrap();
        assert_eq!(json, format!("\"{name}\""));
        assert_eq!(serde_json::from_str::<Method>(&json).unwrap(), method);
    }
    let dynamic: Method = "dynamicpo-mppo-beta-only".parse().unwrap();
    assert!(dynamic.is_dynamic());
    assert_eq!(dynamic.base(), BaseObjective::Mppo);
    assert_eq!(Method::Dpo.base(), BaseObjective::Dmpo);
    assert!(!Method::Dpo.is_dynamic());
}

#[test]
fn unknown_names_list_the_valid_ones() {
    let message = "dynamicpo".parse::<Method>().unwrap_err().to_string();
    assert!(
        message.contains("unknown objective `dynamicpo`"),
        "{message}"
    );
    for method in Method::ALL {
        assert!(message.contains(&method.to_string()), "{message}");
    }
    assert!(serde_json::from_str::<Method>("\"ipo\"").is_err());
}

#[test]
fn params_default_to_the_official_release() {
    let params = ObjectiveParams::default();
    assert_eq!(
        (params.beta, params.margin, params.tanh_scale),
        (1.0, 6.0, 0.5)
    );
    let bad = ObjectiveParams {
        beta: 0.0,
        ..params
    };
    let tensors = Batch::random(1, 2, 3).tensors(Kind::Double, Device::Cpu);
    assert!(matches!(
        compute(Method::Base(BaseObjective::Dmpo), &bad, &tensors.inputs()),
        Err(ObjectiveError::Param(ParamError { name: "beta", .. }))
    ));
}

#[test]
fn dpo_needs_one_negative() {
    let params = ObjectiveParams::default();
    let tensors = Batch::random(1, 4, 2).tensors(Kind::Double, Device::Cpu);
    let error = compute(Method::Dpo, &params, &tensors.inputs()).unwrap_err();
    assert!(matches!(
        error,
        ObjectiveError::Method(MethodError::DpoNeedsOneNegative { k: 2 })
    ));
    assert!(Method::Dpo.validate_k(1).is_ok());
    assert!(Method::Base(BaseObjective::Sdpo).validate_k(0).is_err());
}

#[test]
fn shapes_kinds_and_devices_are_checked() {
    let params = ObjectiveParams::default();
    let method = Method::Base(BaseObjective::Dmpo);
    let tensors = Batch::random(1, 4, 3).tensors(Kind::Double, Device::Cpu);
    let mut inputs = tensors.inputs();
    let wrong = Tensor::zeros([3, 3], (Kind::Double, Device::Cpu));
    inputs.reference_rejected = &wrong;
    let message = compute(method, &params, &inputs).unwrap_err().to_string();
    assert!(
        message.contains("reference_rejected has shape [3, 3]"),
        "{message}"
    );
    let single = tensors.ref_rejected.to_kind(Kind::Float);
    inputs.reference_rejected = &single;
    let message = compute(method, &params, &inputs).unwrap_err().to_string();
    assert!(message.contains("reference_rejected is Float"), "{message}");
}

/// The edge cases, one sample each (all with ℓ_w = -1 and zero references).
fn edge_batches() -> Vec<(&'static str, Batch)> {
    vec![
        ("K = 1", Batch::from_rows(-1.0, &[&[-2.0]])),
        ("K = 1, Δ_pb = Δ_bd = 0", Batch::from_rows(-1.0, &[&[-1.0]])),
        ("K = 2", Batch::from_rows(-1.0, &[&[-2.0, -3.0]])),
        ("all tied", Batch::from_rows(-1.0, &[&[-2.5; 7]])),
        ("all tied with ℓ_w", Batch::from_rows(-1.0, &[&[-1.0; 5]])),
        (
            "all violating",
            Batch::from_rows(-1.0, &[&[-0.5, -0.2, -1.0, 0.0]]),
        ),
        (
            "two distinct values",
            Batch::from_rows(-1.0, &[&[-2.0, -3.0, -2.0, -3.0]]),
        ),
        (
            "very negative",
            Batch::from_rows(-1e4, &[&[-1e4 - 1.0, -2e4, -1e4 - 3.0]]),
        ),
        (
            "underflow of exp",
            Batch::from_rows(-1.0, &[&[-1e4, -2e4, -3e4, -1e4]]),
        ),
        ("19 negatives", Batch::from_rows(-1.0, &[&[-3.0; 19]])),
        (
            "large margin",
            Batch::from_rows(0.0, &[&[-300.0, -310.0, -600.0]]),
        ),
    ]
}

#[test]
fn edge_cases_stay_finite() {
    let params = ObjectiveParams::default();
    for kind in [Kind::Float, Kind::Double] {
        for (name, batch) in edge_batches() {
            let tensors = batch.tensors(kind, Device::Cpu);
            let k = batch.rejected[0].len() as i64;
            for method in Method::ALL.into_iter().filter(|m| m.validate_k(k).is_ok()) {
                let output = compute(method, &params, &tensors.inputs()).unwrap();
                let grads = Tensor::run_backward(
                    &[output.losses.mean(None)],
                    &[&tensors.chosen, &tensors.rejected],
                    false,
                    false,
                );
                let context = format!("{method} on {name} in {kind:?}");
                for (what, t) in [
                    ("loss", &output.losses),
                    ("∂ℓ_w", &grads[0]),
                    ("∂ℓ_j", &grads[1]),
                ] {
                    assert!(host(t).iter().all(|v| v.is_finite()), "{what} of {context}");
                }
                if let Some(betas) = &output.boundary_betas {
                    let betas = host(betas);
                    assert!(
                        betas.iter().all(|b| (0.5..=1.5).contains(b)),
                        "β of {context}: {betas:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn zero_over_zero_gives_the_base_beta() {
    let params = ObjectiveParams {
        beta: 0.7,
        ..ObjectiveParams::default()
    };
    let tensors = Batch::from_rows(-1.0, &[&[-1.0]]).tensors(Kind::Double, Device::Cpu);
    let method: Method = "dynamicpo-dmpo".parse().unwrap();
    let output = compute(method, &params, &tensors.inputs()).unwrap();
    assert_eq!(host(output.boundary_betas.as_ref().unwrap()), vec![0.7]);
    assert_eq!(host_mask(output.boundary.as_ref().unwrap()), vec![true]);
}

#[test]
fn selection_time_is_reported_for_dynamic_methods_only() {
    let params = ObjectiveParams::default();
    let tensors = Batch::random(3, 8, 5).tensors(Kind::Double, Device::Cpu);
    for method in Method::ALL.into_iter().filter(|m| m.validate_k(5).is_ok()) {
        let output = compute(method, &params, &tensors.inputs()).unwrap();
        assert_eq!(
            output.selection_seconds > 0.0,
            method.is_dynamic(),
            "{method}"
        );
        assert_eq!(output.boundary.is_some(), method.is_dynamic(), "{method}");
    }
}
