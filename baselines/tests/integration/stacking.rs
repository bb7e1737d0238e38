//! A stack of runs trains exactly like its members trained alone: with dropout 0, every
//! member's per-step losses, learning rates and boundary sizes and its final weights match
//! its run alone within float32 tolerance, for different methods, K, seeds, β and learning
//! rates in one stack, for both architectures and the text-aware policy. A stack of one repeats
//! itself bit for bit, and a member that diverges fails alone.
use std::collections::HashMap;

use prefbench_baselines::policy::Policy;
use prefbench_baselines::text::EMBEDDING_DIM;
use prefbench_baselines::train::{self, Member, MemberResult, PoTrainer, Silent, SplitTensors};
use prefbench_baselines::train::{PoOutcome, TrainError};
use prefbench_datasets::{generate_synthetic as generate, SyntheticConfig};
use prefbench_vocabulary::{
    Architecture, ItemText, ObjectiveParams, PoConfig, PolicyConfig, RunKey,
};
use tch::{Device, Kind, Tensor};

struct Data {
    n_items: usize,
    train: SplitTensors,
    test: SplitTensors,
    titles: Tensor,
}

fn data() -> Data {
    let data = generate(&SyntheticConfig {
        items: 120,
        users: 100,
        clusters: 4,
        ..SyntheticConfig::default()
    })
    .unwrap();
    let split = |s: &[_]| SplitTensors::new(s, data.n_items, Device::Cpu).unwrap();
    tch::manual_seed(99);
    Data {
        n_items: data.n_items,
        train: split(&data.train[..192]),
        test: split(&data.test),
        titles: Tensor::randn(
            [data.n_items as i64, EMBEDDING_DIM],
            (Kind::Float, Device::Cpu),
        ),
    }
}

fn model(architecture: Architecture, item_text: ItemText) -> PolicyConfig {
    PolicyConfig {
        architecture,
        item_text,
        width: 16,
        heads: 2,
        blocks: 2,
        ..PolicyConfig::default()
    }
}

/// Three references (random policies of seeds 10, 11, 12) and their log-likelihoods.
fn references(data: &Data, model: &PolicyConfig) -> Vec<(Policy, Tensor)> {
    let titles = (model.item_text == ItemText::Minilm).then_some(&data.titles);
    (10..13)
        .map(|seed| {
            tch::manual_seed(seed);
            let policy = Policy::new(model, data.n_items, titles, Device::Cpu);
            let ll = train::candidate_log_probs(&policy, &data.train);
            (policy, ll)
        })
        .collect()
}

fn po() -> PoConfig {
    PoConfig {
        epochs: 2,
        batch_size: 64,
        grad_clip: 0.05,
        // Every step is logged, so every step's loss is compared.
        logged_steps: 1000,
        ..PoConfig::default()
    }
}

fn member(method: &str, k: usize, seed: u64, lr: f64, beta: f64) -> Member {
    Member {
        key: RunKey::new("synthetic", method.parse().unwrap(), k, seed),
        params: ObjectiveParams {
            beta,
            ..ObjectiveParams::default()
        },
        lr: Some(lr),
    }
}

/// Trains `members` as one stack, member i from reference `sources[i]`.
fn train(
    data: &Data,
    references: &[(Policy, Tensor)],
    members: &[Member],
    sources: &[usize],
) -> (Vec<MemberResult>, Policy) {
    let policies: Vec<&Policy> = sources.iter().map(|&s| &references[s].0).collect();
    let mut stack = Policy::stack(&policies).unwrap();
    let lls: Vec<&Tensor> = sources.iter().map(|&s| &references[s].1).collect();
    let trainer = PoTrainer {
        config: &po(),
        members,
        valid: &data.test,
        test: &data.test,
    };
    let results = trainer
        .train(
            &mut stack,
            &data.train,
            &Tensor::stack(&lls, 0),
            &mut Silent,
        )
        .unwrap();
    (results, stack)
}

fn weights(policy: &Policy, member: i64) -> HashMap<String, Tensor> {
    policy
        .vs
        .variables()
        .into_iter()
        .map(|(name, t)| (name, t.get(member)))
        .collect()
}

fn assert_same_run(name: &str, stacked: &PoOutcome, alone: &PoOutcome) {
    assert_eq!(stacked.curve.len(), alone.curve.len(), "{name}");
    for (s, a) in stacked.curve.iter().zip(&alone.curve) {
        let close = (s.loss - a.loss).abs() <= 1e-5 * a.loss.abs().max(1e-3);
        assert!(
            close,
            "{name} step {}: {} stacked, {} alone",
            a.step, s.loss, a.loss
        );
        assert_eq!(s.lr, a.lr, "{name} step {}", a.step);
        assert_eq!(s.boundary_size, a.boundary_size, "{name} step {}", a.step);
    }
    assert_eq!(stacked.epochs.len(), alone.epochs.len(), "{name}");
}

fn assert_same_weights(
    name: &str,
    stacked: &HashMap<String, Tensor>,
    alone: &HashMap<String, Tensor>,
) {
    for (var, value) in alone {
        let got = &stacked[var];
        // The key half of each attention bias has a gradient of exactly zero in exact
        // arithmetic (a query's scores all shift by q·b), so AdamW turns float noise into
        // steps of ±lr there in any implementation; no output depends on it.
        let (got, value) = if var.ends_with("qkv.bias") {
            let w = value.size()[0] / 3;
            (
                Tensor::cat(&[got.narrow(0, 0, w), got.narrow(0, 2 * w, w)], 0),
                Tensor::cat(&[value.narrow(0, 0, w), value.narrow(0, 2 * w, w)], 0),
            )
        } else {
            (got.shallow_clone(), value.shallow_clone())
        };
        assert!(got.allclose(&value, 1e-4, 1e-5, false), "{name}: {var}");
    }
}

fn stack_reproduces_its_members_alone(architecture: Architecture, item_text: ItemText) {
    tch::set_num_threads(1);
    let data = data();
    let model = model(architecture, item_text);
    let references = references(&data, &model);
    let members = [
        member("dmpo", 3, 1, 1e-3, 1.0),
        member("dynamicpo-sdpo", 5, 2, 2e-3, 1.0),
        member("dpo", 1, 3, 1e-3, 0.5),
        member("dmpo", 3, 4, 5e-4, 1.0),
        member("dynamicpo-mppo", 7, 5, 1e-3, 2.0),
    ];
    let sources = [0, 1, 0, 1, 2];
    let (stacked, stack) = train(&data, &references, &members, &sources);
    for (i, (run, &source)) in members.iter().zip(&sources).enumerate() {
        let name = format!("{architecture:?}/{item_text:?} member {i} ({})", run.key);
        let (mut alone, policy) = train(&data, &references, std::slice::from_ref(run), &[source]);
        let alone = alone.remove(0).unwrap();
        assert_same_run(&name, stacked[i].as_ref().unwrap(), &alone);
        assert_same_weights(&name, &weights(&stack, i as i64), &weights(&policy, 0));
    }
}

#[test]
fn a_transformer_stack_reproduces_its_members_alone() {
    stack_reproduces_its_members_alone(Architecture::Transformer, ItemText::None);
}

#[test]
fn a_gru_stack_reproduces_its_members_alone() {
    stack_reproduces_its_members_alone(Architecture::Gru, ItemText::None);
}

#[test]
fn a_text_aware_stack_reproduces_its_members_alone() {
    stack_reproduces_its_members_alone(Architecture::Transformer, ItemText::Minilm);
}

#[test]
fn a_stack_of_one_repeats_itself_bit_for_bit() {
    tch::set_num_threads(1);
    let data = data();
    let references = references(&data, &model(Architecture::Transformer, ItemText::None));
    let run = [member("dynamicpo-dmpo", 4, 7, 1e-3, 1.0)];
    let (first, a) = train(&data, &references, &run, &[1]);
    let (second, b) = train(&data, &references, &run, &[1]);
    let (first, second) = (first[0].as_ref().unwrap(), second[0].as_ref().unwrap());
    assert_eq!(first.curve, second.curve, "every logged step");
    assert_eq!(first.epochs, second.epochs, "every epoch's metrics");
    for (name, value) in weights(&a, 0) {
        assert!(value.equal(&weights(&b, 0)[&name]), "{name}");
    }
}

#[test]
fn a_diverging_member_fails_alone_and_the_others_train_as_without_it() {
    tch::set_num_threads(1);
    let data = data();
    let references = references(&data, &model(Architecture::Transformer, ItemText::None));
    let members = [
        member("dmpo", 3, 1, 1e-3, 1.0),
        member("dmpo", 3, 2, 1e30, 1.0),
    ];
    let (results, stack) = train(&data, &references, &members, &[0, 0]);
    assert!(
        matches!(results[1], Err(TrainError::NonFinite { stage: "PO", .. })),
        "{:?}",
        results[1]
    );
    let (mut alone, policy) = train(&data, &references, &members[..1], &[0]);
    let alone = alone.remove(0).unwrap();
    assert_same_run("the survivor", results[0].as_ref().unwrap(), &alone);
    assert_same_weights("the survivor", &weights(&stack, 0), &weights(&policy, 0));
}
