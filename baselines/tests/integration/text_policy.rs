//! The text-aware policy (`item_text: minilm`) trains on synthetic data, and its title path
//! learns.
use prefbench_baselines::policy::Policy;
use prefbench_baselines::text::{ModelFiles, SentenceEncoder};
use prefbench_baselines::train::{self, Silent, SplitTensors};
use prefbench_datasets::{generate_synthetic as generate, SyntheticConfig};
use prefbench_vocabulary::{ItemText, PolicyConfig, SftConfig};
use tch::{Device, Kind, Tensor};

fn projection(policy: &Policy) -> Tensor {
    policy.vs.variables()["title_projection.weight"].copy()
}

#[test]
fn minilm_policy_trains_with_finite_loss() {
    tch::set_num_threads(1);
    let data = generate(&SyntheticConfig {
        items: 150,
        users: 160,
        clusters: 5,
        ..SyntheticConfig::default()
    })
    .unwrap();
    let titles: Vec<&str> = data.titles.iter().flatten().map(String::as_str).collect();
    assert_eq!(titles.len(), data.n_items);
    let files = ModelFiles::locate().unwrap_or_else(|e| panic!("{e}"));
    let embeddings = SentenceEncoder::load(&files, Device::Cpu)
        .unwrap()
        .embed(&titles)
        .unwrap();

    tch::manual_seed(0);
    let config = PolicyConfig {
        width: 32,
        blocks: 1,
        item_text: ItemText::Minilm,
        ..PolicyConfig::default()
    };
    let mut policy = Policy::new(&config, data.n_items, Some(&embeddings), Device::Cpu);
    let before = projection(&policy);
    let train_split = SplitTensors::new(&data.train, data.n_items, Device::Cpu).unwrap();
    let test = SplitTensors::new(&data.test, data.n_items, Device::Cpu).unwrap();
    let sft = SftConfig {
        epochs: 2,
        batch_size: 64,
        lr: 3e-3,
        ..SftConfig::default()
    };
    let splits = [&train_split, &test, &test];
    let outcome = train::train_sft(&sft, &mut policy, splits, 0, &mut Silent).unwrap();
    assert!(
        outcome.train_loss.iter().all(|l| l.is_finite()),
        "{outcome:?}"
    );
    let moved = (projection(&policy) - before).abs().max().double_value(&[]);
    assert!(moved > 0.0, "the title projection got no gradient");

    let ranking = train::evaluate(&policy, &test);
    assert!(ranking.hr_at_1.is_finite());
    let scores = train::candidate_log_probs(&policy, &test);
    assert!(bool::try_from(scores.isfinite().all()).unwrap());
    assert_eq!(scores.kind(), Kind::Float);
}
