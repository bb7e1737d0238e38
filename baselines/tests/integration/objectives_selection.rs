//! Boundary selection, the exact k-means, the dual-margin β, every method against the scalar
//! reference (the ablations have no golden values), the random-subset control, and the step
//! diagnostics.

use crate::support::{
    brute_force_top, deterministic, host, host_mask, reference_boundary, reference_loss,
    reference_losses, reference_weights, sample, Batch,
};
use prefbench_baselines::objectives::{compute, diagnostics, dynamic, kmeans};
use prefbench_vocabulary::{BaseObjective, Method, ObjectiveParams};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use tch::{Device, Kind, Tensor};

fn top_group(rows: &[Vec<f64>]) -> Vec<bool> {
    let values = Tensor::from_slice(&rows.concat()).view([rows.len() as i64, -1]);
    host_mask(&values.ge_tensor(&kmeans::top_cluster_threshold(&values)))
}

#[test]
fn kmeans_is_the_exact_optimum() {
    let mut rng = Pcg64::seed_from_u64(11);
    for k in 1..=19 {
        // One decimal makes equal values common, which must never be split.
        let rows: Vec<Vec<f64>> = (0..200)
            .map(|row| {
                (0..k)
                    .map(|_| {
                        let v: f64 = rng.random_range(-6.0..0.0);
                        if row % 2 == 0 {
                            (v * 10.0).round() / 10.0
                        } else {
                            v
                        }
                    })
                    .collect()
            })
            .collect();
        let expected: Vec<bool> = rows.iter().flat_map(|r| brute_force_top(r)).collect();
        assert_eq!(top_group(&rows), expected, "K = {k}");
    }
}

#[test]
fn kmeans_ties_prefer_the_higher_threshold() {
    // {0}{1}{2,3}, {0,1}{2}{3} and {0}{1,2}{3} all cost 0.5: the top group is {3}.
    assert_eq!(
        top_group(&[vec![2.0, 0.0, 3.0, 1.0]]),
        vec![false, false, true, false]
    );
    // Symmetric pairs: {0,0}{5,5}{10,10} is optimal, top {10,10}.
    let row = [10.0, 0.0, 5.0, 0.0, 10.0, 5.0];
    let expected = vec![true, false, false, false, true, false];
    assert_eq!(top_group(&[row.to_vec()]), expected);
    assert_eq!(brute_force_top(&row), expected);
    // Fewer than three distinct values: the maximum; one distinct value: everything.
    assert_eq!(
        top_group(&[vec![-1.0, -2.0, -1.0]]),
        vec![true, false, true]
    );
    assert_eq!(top_group(&[vec![-4.0; 3]]), vec![true; 3]);
}

#[test]
fn violators_take_precedence_over_kmeans() {
    let chosen = Tensor::from_slice(&[-1.0f64, -1.0]);
    let rejected =
        Tensor::from_slice(&[-0.5f64, -3.0, -1.0, -9.0, -3.0, -2.0, -8.0, -2.1]).view([2, 4]);
    let boundary = host_mask(&dynamic::select_boundary(&chosen, &rejected));
    let mut expected = reference_boundary(-1.0, &[-0.5, -3.0, -1.0, -9.0]);
    expected.extend(reference_boundary(-1.0, &[-3.0, -2.0, -8.0, -2.1]));
    assert_eq!(boundary, expected);
    assert_eq!(&boundary[..4], &[true, false, true, false]);
}

#[test]
fn every_method_matches_the_scalar_reference() {
    let params = ObjectiveParams {
        beta: 0.8,
        margin: 2.0,
        tanh_scale: 0.5,
    };
    for (seed, k) in [(1, 1), (2, 2), (3, 3), (4, 5), (5, 15), (6, 19)] {
        let batch = Batch::random(seed, 16, k);
        let tensors = batch.tensors(Kind::Double, Device::Cpu);
        for method in deterministic(k) {
            let output = compute(method, &params, &tensors.inputs()).unwrap();
            let got = host(&output.losses);
            let want = reference_losses(method, &params, &batch);
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g - w).abs() <= 1e-12 * (1.0 + w.abs()),
                    "{method} K={k}: {got:?} vs {want:?}"
                );
            }
            if let (Some(boundary), Some(betas)) = (&output.boundary, &output.boundary_betas) {
                let (boundary, betas) = (host_mask(boundary), host(betas));
                for b in 0..batch.chosen.len() {
                    let row = b * k..(b + 1) * k;
                    let selected = reference_boundary(batch.chosen[b], &batch.rejected[b]);
                    assert_eq!(boundary[row.clone()], selected[..], "{method} sample {b}");
                    let (mask, want) =
                        reference_weights(method, &params, batch.chosen[b], &batch.rejected[b]);
                    for (j, (g, w)) in betas[row].iter().zip(&want).enumerate() {
                        let w = if mask[j] { *w } else { params.beta };
                        assert!((g - w).abs() <= 1e-12, "{method} β of sample {b}");
                    }
                }
            }
        }
    }
}

#[test]
fn diagnostics_measure_the_boundary() {
    let params = ObjectiveParams::default();
    // Sample 0 has two violators; sample 1 none (k-means picks the top pair).
    let batch = Batch {
        chosen: vec![-1.0, -1.0],
        rejected: vec![vec![-0.5, -3.0, -1.0, -9.0], vec![-3.0, -2.0, -8.0, -2.1]],
        ref_chosen: vec![-2.0, -1.0],
        ref_rejected: vec![vec![-1.0, -3.0, -1.0, -9.0], vec![-3.0, -2.0, -8.0, -2.1]],
    };
    let tensors = batch.tensors(Kind::Double, Device::Cpu);
    for method in [
        Method::Base(BaseObjective::Dmpo),
        "dynamicpo-dmpo".parse().unwrap(),
    ] {
        let output = compute(method, &params, &tensors.inputs()).unwrap();
        let stats = diagnostics(method, &params, &tensors.inputs(), &output, None).unwrap();
        assert_eq!(stats.violating_share, 2.0 / 8.0);
        assert_eq!(stats.mean_boundary_size, 2.0);
        // ρ_w = 1 beats every ρ_j in sample 0 (ρ = 0.5, 0, 0, 0); ρ_w = 0 ties ρ_j = 0 in sample 1.
        assert_eq!(stats.reward_win_rate, 0.5);
        let grad = Tensor::run_backward(
            &[output.losses.mean(None)],
            &[&tensors.rejected],
            false,
            false,
        );
        let given =
            diagnostics(method, &params, &tensors.inputs(), &output, Some(&grad[0])).unwrap();
        assert_eq!(given, stats, "recomputed gradient equals the step's");
        let g = host(&grad[0]).iter().map(|v| v.abs()).collect::<Vec<_>>();
        let share = (g[0] + g[2] + g[5] + g[7]) / g.iter().sum::<f64>();
        assert!((stats.boundary_grad_share - share).abs() < 1e-12);
        if method.is_dynamic() {
            assert_eq!(
                stats.boundary_grad_share, 1.0,
                "only boundary negatives get gradient"
            );
            assert!(stats.beta_min < stats.beta_max && stats.beta_max < 1.5);
        } else {
            assert!(stats.boundary_grad_share < 1.0);
            assert_eq!(
                (stats.beta_min, stats.beta_mean, stats.beta_max),
                (1.0, 1.0, 1.0)
            );
        }
    }
}

/// The random-subset control keeps, in every sample, as many negatives as DynamicPO's boundary
/// holds, drawn at random (the same draw for the same libtorch seed), each with the base β; its
/// loss is the base objective over exactly that subset. Over many draws every negative is kept
/// about |B|/K of the time, whatever its likelihood.
#[test]
fn the_random_subset_keeps_as_many_negatives_as_the_boundary_at_random() {
    let params = ObjectiveParams::default();
    let k = 15;
    let batch = Batch::random(7, 32, k);
    let tensors = batch.tensors(Kind::Double, Device::Cpu);
    for base in ["dmpo", "sdpo", "mppo"] {
        let method: Method = format!("dynamicpo-{base}-random-subset").parse().unwrap();
        let draw = |seed: i64| {
            tch::manual_seed(seed);
            let output = compute(method, &params, &tensors.inputs()).unwrap();
            let mask = host_mask(output.loss_mask.as_ref().expect("a subset"));
            (output, mask)
        };
        let (output, mask) = draw(3);
        assert_eq!(draw(3).1, mask, "{method}: repeatable from the seed");
        let boundary = host_mask(output.boundary.as_ref().unwrap());
        let losses = host(&output.losses);
        for (b, loss) in losses.iter().enumerate() {
            let row = b * k..(b + 1) * k;
            let count = |m: &[bool]| m.iter().filter(|&&x| x).count();
            assert_eq!(
                count(&mask[row.clone()]),
                count(&boundary[row.clone()]),
                "{method} {b}"
            );
            let want = reference_loss(
                method.base(),
                sample(&batch, b),
                &mask[row],
                &vec![params.beta; k],
            );
            assert!(
                (loss - want).abs() <= 1e-12 * (1.0 + want.abs()),
                "{method} {b}"
            );
        }
    }
    // Frequencies over 400 draws of the first sample whose boundary is a proper subset.
    let method: Method = "dynamicpo-dmpo-random-subset".parse().unwrap();
    let selected: Vec<usize> = (0..batch.chosen.len())
        .map(|b| reference_boundary(batch.chosen[b], &batch.rejected[b]))
        .map(|m| m.iter().filter(|&&x| x).count())
        .collect();
    let b = selected
        .iter()
        .position(|&n| (2..k - 1).contains(&n))
        .expect("a sample with a proper boundary");
    let mut kept = vec![0usize; k];
    let draws = 400;
    tch::manual_seed(11);
    for _ in 0..draws {
        let output = compute(method, &params, &tensors.inputs()).unwrap();
        let mask = host_mask(output.loss_mask.as_ref().unwrap());
        for (j, &m) in mask[b * k..(b + 1) * k].iter().enumerate() {
            kept[j] += usize::from(m);
        }
    }
    let p = selected[b] as f64 / k as f64;
    for (j, &n) in kept.iter().enumerate() {
        let share = n as f64 / draws as f64;
        // Four binomial standard deviations at most (sd <= 0.025 here).
        assert!(
            (share - p).abs() < 0.1,
            "negative {j}: kept {share}, expected {p}"
        );
    }
}
