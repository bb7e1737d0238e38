//! SFT and PO on small synthetic data: the reference learns, and every objective trains to
//! finite metrics from it.
use prefbench_baselines::policy::Policy;
use prefbench_baselines::train::{self, Member, PoTrainer, Silent, SplitTensors};
use prefbench_datasets::{generate_synthetic as generate, SyntheticConfig};
use prefbench_vocabulary::{
    Architecture, Method, ObjectiveParams, PoConfig, PolicyConfig, RunKey, SftConfig,
};
use tch::Device;

struct Setup {
    n_items: usize,
    train: SplitTensors,
    valid: SplitTensors,
    test: SplitTensors,
}

fn setup() -> Setup {
    let data = generate(&SyntheticConfig {
        items: 150,
        users: 160,
        clusters: 5,
        noise: 0.05,
        ..SyntheticConfig::default()
    })
    .unwrap();
    let split = |s: &[_]| SplitTensors::new(s, data.n_items, Device::Cpu).unwrap();
    Setup {
        n_items: data.n_items,
        train: split(&data.train),
        valid: split(&data.valid),
        test: split(&data.test),
    }
}

/// A small model, so the tests take seconds.
fn model(architecture: Architecture) -> PolicyConfig {
    PolicyConfig {
        architecture,
        width: 32,
        blocks: 1,
        ..PolicyConfig::default()
    }
}

fn sft(setup: &Setup, architecture: Architecture) -> Policy {
    tch::set_num_threads(1);
    tch::manual_seed(0);
    let mut policy = Policy::new(&model(architecture), setup.n_items, None, Device::Cpu);
    let sft = SftConfig {
        epochs: 6,
        batch_size: 64,
        lr: 3e-3,
        ..SftConfig::default()
    };
    let splits = [&setup.train, &setup.valid, &setup.test];
    let outcome = train::train_sft(&sft, &mut policy, splits, 0, &mut Silent).unwrap();
    assert!(outcome.train_loss.iter().all(|l| l.is_finite()));
    assert!(outcome.train_loss.last() < outcome.train_loss.first());
    policy
}

#[test]
fn sft_beats_chance_by_far_with_both_architectures() {
    let setup = setup();
    for architecture in [Architecture::Transformer, Architecture::Gru] {
        let policy = sft(&setup, architecture);
        let hr = train::evaluate(&policy, &setup.test).hr_at_1;
        assert!(hr > 0.15, "{architecture:?}: HR@1 {hr} vs chance 0.05");
    }
}

#[test]
fn early_stopping_keeps_the_best_validation_epoch() {
    let setup = setup();
    tch::set_num_threads(1);
    tch::manual_seed(0);
    let mut policy = Policy::new(
        &model(Architecture::Transformer),
        setup.n_items,
        None,
        Device::Cpu,
    );
    let sft = SftConfig {
        epochs: 8,
        batch_size: 64,
        lr: 3e-3,
        patience: 2,
        ..SftConfig::default()
    };
    let splits = [&setup.train, &setup.valid, &setup.test];
    let outcome = train::train_sft(&sft, &mut policy, splits, 0, &mut Silent).unwrap();
    let hrs = &outcome.valid_hr_at_1;
    let best = hrs.iter().copied().fold(f64::MIN, f64::max);
    // `kept_epoch` is 1-based.
    assert_eq!(hrs[outcome.kept_epoch - 1], best, "{hrs:?}");
    assert_eq!(
        hrs.iter().position(|&h| h == best),
        Some(outcome.kept_epoch - 1)
    );
    let now = train::evaluate(&policy, &setup.valid).hr_at_1;
    assert_eq!(now, best, "the kept weights are the best epoch's");
    assert_eq!(
        outcome.valid.hr_at_1, best,
        "the metrics are the kept weights'"
    );
    assert!(
        hrs.len() == 8 || hrs.len() - outcome.kept_epoch == 2,
        "{hrs:?}"
    );
}

#[test]
fn every_objective_trains_to_finite_metrics() {
    let setup = setup();
    let reference = sft(&setup, Architecture::Transformer);
    let reference_ll = train::candidate_log_probs(&reference, &setup.train);
    let po = PoConfig {
        epochs: 1,
        batch_size: 64,
        ..PoConfig::default()
    };
    for method in Method::ALL {
        let k = if method == Method::Dpo { 1 } else { 3 };
        let mut policy = Policy::stack(&[&reference]).unwrap();
        let members = [Member {
            key: RunKey::new("synthetic", method, k, 1),
            params: ObjectiveParams::default(),
            lr: None,
        }];
        let trainer = PoTrainer {
            config: &po,
            members: &members,
            valid: &setup.valid,
            test: &setup.test,
        };
        let outcome = trainer
            .train(
                &mut policy,
                &setup.train,
                &reference_ll.unsqueeze(0),
                &mut Silent,
            )
            .unwrap()
            .remove(0)
            .unwrap();
        let last = outcome.epochs.last().unwrap();
        assert!(last.train_loss.is_finite(), "{method}");
        let selected = &outcome.epochs[outcome.selected_epoch().unwrap()];
        assert!(
            outcome
                .epochs
                .iter()
                .all(|e| e.valid.hr_at_1 <= selected.valid.hr_at_1),
            "{method}: the selected epoch has the best validation HR@1"
        );
        assert!((0.0..=1.0).contains(&last.test.hr_at_1), "{method}");
        let d = &outcome.curve[0];
        for v in [
            d.violating_share,
            d.reward_win_rate,
            d.boundary_grad_share,
            d.boundary_size,
        ] {
            assert!(v.is_finite(), "{method}: {d:?}");
        }
        assert_eq!(
            outcome.selection_seconds > 0.0,
            method.is_dynamic(),
            "{method}"
        );
    }
}
