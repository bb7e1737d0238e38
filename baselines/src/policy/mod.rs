//! The policy: a small generative next-item model, the counterpart of the paper's LLM.
//!
//! log π(y | history) is the log-softmax over the whole catalogue at the last position, so the
//! preference objectives see true sequence likelihoods, as they would with an LLM. Histories are
//! left-padded to [`MAX_HISTORY`] with a padding item, so the last position always holds the
//! most recent item and position embeddings count back from it.
//!
//! A policy is a *stack* of M members with one shape: every weight has a leading member
//! dimension, so M independent runs train as one batched model (docs/design.md, "Stacks"). A
//! single run is the stack of one; there is no second model.
mod gru;
mod layers;
mod transformer;

use std::collections::HashMap;

use prefbench_datasets::Sample;
use prefbench_vocabulary::{Architecture, PolicyConfig, MAX_HISTORY};
use tch::nn;
use tch::{Device, Kind, Tensor};

use crate::text;
use gru::GruLayer;
use layers::{dropout, log_likelihoods, per_member, Linear, Norm};
use transformer::{attention_mask, Block};

/// Why a policy cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A model setting is outside its domain ([`PolicyConfig::validate`]).
    #[error("invalid model settings: {0}")]
    Config(String),
    /// The title embeddings do not fit the config or the catalogue.
    #[error("title embeddings: {0}")]
    Titles(String),
    /// Policies of different shapes, devices or catalogues cannot form one stack.
    #[error("cannot stack policies: {0}")]
    Stack(String),
    /// libtorch refused an operation.
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
}

/// A stack of M policies and the variables they own (each `[M, ...]`); weights are copied
/// between stacks of one shape through `vs`.
pub struct Policy {
    pub vs: nn::VarStore,
    net: Network,
    config: PolicyConfig,
    n_items: i64,
    members: i64,
}

struct Network {
    /// `[M, n_items + 1, W]`: one extra row, the padding item, never a candidate.
    items: Tensor,
    titles: Option<Titles>,
    /// `[M, MAX_HISTORY, W]`.
    positions: Tensor,
    encoder: Encoder,
    final_norm: Norm,
    dropout: f64,
}

/// The text part of the item representation: frozen title embeddings `[n_items + 1, 384]`
/// shared by every member (a zero row for the padding item) and each member's projection.
struct Titles {
    embeddings: Tensor,
    projection: Linear,
}

enum Encoder {
    Transformer(Vec<Block>),
    Gru(Vec<GruLayer>),
}

/// PyTorch's default initialisation of `nn.Linear` (weights and bias uniform in ±1/√fan_in),
/// which the reference implementations use. tch's default draws weights from a ReLU-gain Kaiming
/// uniform, √6 ≈ 2.45 times wider, which trains this policy markedly worse and left PO below
/// its reference (LastFM, seed 0, SFT test HR@1 0.690 with tch's init against 0.741 with this
/// one at batch 128; 0.607 against 0.718 at batch 256).
fn linear_init(bias: bool) -> nn::LinearConfig {
    nn::LinearConfig {
        ws_init: nn::Init::Kaiming {
            dist: nn::init::NormalOrUniform::Uniform,
            fan: nn::init::FanInOut::FanIn,
            non_linearity: nn::init::NonLinearity::ExplicitGain(1.0 / 3f64.sqrt()),
        },
        bs_init: None,
        bias,
    }
}

/// Draws the initial weights of one member through tch's layers, in the order the policy has
/// always drawn them, so a seed gives the policy it always gave. Returns them by name.
fn initial_weights(config: &PolicyConfig, n_items: i64, device: Device) -> HashMap<String, Tensor> {
    let init = nn::VarStore::new(device);
    let root = init.root();
    let width = config.width;
    let scale = 1.0 / (width as f64).sqrt();
    let embedding = nn::EmbeddingConfig {
        ws_init: nn::Init::Randn {
            mean: 0.0,
            stdev: scale,
        },
        ..Default::default()
    };
    match config.architecture {
        Architecture::Transformer => {
            let ln = nn::LayerNormConfig::default();
            for i in 0..config.blocks {
                let p = &root / "block" / i;
                nn::layer_norm(&p / "norm1", vec![width], ln);
                nn::linear(&p / "qkv", width, 3 * width, linear_init(true));
                nn::linear(&p / "out", width, width, linear_init(true));
                nn::layer_norm(&p / "norm2", vec![width], ln);
                nn::linear(&p / "ffn_in", width, 4 * width, linear_init(true));
                nn::linear(&p / "ffn_out", 4 * width, width, linear_init(true));
            }
        }
        Architecture::Gru => {
            let gru = nn::RNNConfig {
                num_layers: config.blocks,
                batch_first: true,
                ..Default::default()
            };
            nn::gru(&root / "gru", width, width, gru);
        }
    }
    if config.item_text.reads_titles() {
        let no_bias = linear_init(false);
        nn::linear(
            &root / "title_projection",
            text::EMBEDDING_DIM,
            width,
            no_bias,
        );
    }
    nn::embedding(&root / "items", n_items + 1, width, embedding);
    nn::embedding(&root / "positions", MAX_HISTORY as i64, width, embedding);
    nn::layer_norm(&root / "final_norm", vec![width], Default::default());
    init.variables()
}

impl Policy {
    /// A freshly initialised policy (a stack of one) over `n_items` items; seed torch first for
    /// repeatability. `titles` are the items' title embeddings [n_items, 384]
    /// ([`crate::text::title_embeddings`]); they are required by, and only used with,
    /// `item_text: minilm`.
    ///
    /// # Panics
    /// Where [`Policy::try_new`] fails; code that builds a policy from user input (configs,
    /// datasets) calls that instead.
    pub fn new(
        config: &PolicyConfig,
        n_items: usize,
        titles: Option<&Tensor>,
        device: Device,
    ) -> Self {
        Self::try_new(config, n_items, titles, device).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Policy::new`], failing instead of panicking on an invalid config, an empty catalogue,
    /// or title embeddings that are missing, unexpected or of the wrong shape.
    pub fn try_new(
        config: &PolicyConfig,
        n_items: usize,
        titles: Option<&Tensor>,
        device: Device,
    ) -> Result<Self, PolicyError> {
        config
            .validate()
            .map_err(|e| PolicyError::Config(e.to_string()))?;
        let n_items = i64::try_from(n_items)
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| PolicyError::Config(format!("{n_items} items: need at least one")))?;
        let titles = match (config.item_text.reads_titles(), titles) {
            (false, None) => None,
            (true, Some(titles)) => {
                let want = [n_items, text::EMBEDDING_DIM];
                if titles.size() != want || titles.kind() != Kind::Float {
                    return Err(PolicyError::Titles(format!(
                        "{:?} {:?}, expected Float {want:?} (one row per item)",
                        titles.kind(),
                        titles.size()
                    )));
                }
                let padding = Tensor::f_zeros([1, text::EMBEDDING_DIM], (Kind::Float, device))?;
                Some(Tensor::f_cat(&[&titles.f_to_device(device)?, &padding], 0)?)
            }
            (_, titles) => {
                return Err(PolicyError::Titles(format!(
                    "item_text {:?} with {} title embeddings; `minilm` needs them, `none` takes \
                     none",
                    config.item_text,
                    if titles.is_some() { "some" } else { "no" }
                )))
            }
        };
        let weights = initial_weights(config, n_items, device);
        let weights: Vec<(String, Tensor)> = weights
            .into_iter()
            .map(|(name, t)| (name, t.unsqueeze(0)))
            .collect();
        Self::from_weights(config, n_items, 1, titles, device, weights)
    }

    /// One stack of the `members` (all of one config, catalogue and device), member i a copy
    /// of `members[i]`'s weights: the members of a stack may repeat a policy, as the runs of
    /// one seed share its reference.
    pub fn stack(members: &[&Policy]) -> Result<Self, PolicyError> {
        let first = members
            .first()
            .ok_or_else(|| PolicyError::Stack("no members".into()))?;
        if let Some(other) = members.iter().find(|p| {
            p.config != first.config || p.n_items != first.n_items || p.device() != first.device()
        }) {
            return Err(PolicyError::Stack(format!(
                "{:?} over {} items on {:?} against {:?} over {} items on {:?}",
                other.config,
                other.n_items,
                other.device(),
                first.config,
                first.n_items,
                first.device()
            )));
        }
        let all: Vec<HashMap<String, Tensor>> = members.iter().map(|p| p.vs.variables()).collect();
        let weights = tch::no_grad(|| {
            all[0]
                .keys()
                .map(|name| {
                    let parts: Vec<&Tensor> = all.iter().map(|v| &v[name]).collect();
                    Ok((name.clone(), Tensor::f_cat(&parts, 0)?.detach()))
                })
                .collect::<Result<Vec<_>, tch::TchError>>()
        })?;
        let titles = first
            .net
            .titles
            .as_ref()
            .map(|t| t.embeddings.shallow_clone());
        let count = members.len() as i64;
        Self::from_weights(
            &first.config,
            first.n_items,
            count,
            titles,
            first.device(),
            weights,
        )
    }

    /// Registers `weights` (by name, each `[members, ...]`) as the variables of a new store and
    /// binds the network to them.
    fn from_weights(
        config: &PolicyConfig,
        n_items: i64,
        members: i64,
        titles: Option<Tensor>,
        device: Device,
        mut weights: Vec<(String, Tensor)>,
    ) -> Result<Self, PolicyError> {
        let vs = nn::VarStore::new(device);
        // A fixed variable order (the names come from a hash map): the optimizer sums the
        // members' gradient norms over the variables in this order, which must be the same in
        // every process for a run to repeat bit for bit.
        weights.sort_by(|a, b| a.0.cmp(&b.0));
        let vars: HashMap<String, Tensor> = weights
            .iter()
            .map(|(name, t)| {
                // Names are paths (`block.0.qkv.weight`); a variable is created in its folder.
                let (folder, leaf) = name.rsplit_once('.').unwrap_or(("", name));
                let path = folder
                    .split('.')
                    .filter(|p| !p.is_empty())
                    .fold(vs.root(), |path, part| path / part);
                Ok((name.clone(), path.f_var_copy(leaf, t)?))
            })
            .collect::<Result<_, tch::TchError>>()?;
        let var = |name: &str| vars[name].shallow_clone();
        let linear = |name: &str, bias: bool| Linear {
            weight: var(&format!("{name}.weight")),
            bias: bias.then(|| var(&format!("{name}.bias"))),
        };
        let norm = |name: &str| Norm {
            weight: var(&format!("{name}.weight")),
            bias: var(&format!("{name}.bias")),
        };
        let encoder = match config.architecture {
            Architecture::Transformer => Encoder::Transformer(
                (0..config.blocks)
                    .map(|i| Block {
                        norm1: norm(&format!("block.{i}.norm1")),
                        qkv: linear(&format!("block.{i}.qkv"), true),
                        out: linear(&format!("block.{i}.out"), true),
                        norm2: norm(&format!("block.{i}.norm2")),
                        ffn_in: linear(&format!("block.{i}.ffn_in"), true),
                        ffn_out: linear(&format!("block.{i}.ffn_out"), true),
                        heads: config.heads,
                    })
                    .collect(),
            ),
            Architecture::Gru => Encoder::Gru(
                (0..config.blocks)
                    .map(|l| GruLayer {
                        input: Linear {
                            weight: var(&format!("gru.weight_ih_l{l}")),
                            bias: Some(var(&format!("gru.bias_ih_l{l}"))),
                        },
                        hidden: Linear {
                            weight: var(&format!("gru.weight_hh_l{l}")),
                            bias: Some(var(&format!("gru.bias_hh_l{l}"))),
                        },
                    })
                    .collect(),
            ),
        };
        let net = Network {
            items: var("items.weight"),
            titles: titles.map(|embeddings| Titles {
                embeddings,
                projection: linear("title_projection", false),
            }),
            positions: var("positions.weight"),
            encoder,
            final_norm: norm("final_norm"),
            dropout: config.dropout,
        };
        Ok(Self {
            vs,
            net,
            config: config.clone(),
            n_items,
            members,
        })
    }

    pub fn n_items(&self) -> i64 {
        self.n_items
    }

    /// M, the number of members of the stack.
    pub fn members(&self) -> i64 {
        self.members
    }

    /// Changes the dropout probability of every layer: PO runs its own (`po.dropout`, 0 by
    /// default as in TRL), since a policy sampled with dropout is noisy against the
    /// dropout-free cached reference log-likelihoods.
    pub fn set_dropout(&mut self, p: f64) {
        self.net.dropout = p;
    }

    pub fn device(&self) -> Device {
        self.vs.device()
    }

    /// log π(item | history) of the asked-for `items`: `[M, B, C]`. `histories` is
    /// `[B, MAX_HISTORY]` int64 from [`histories_tensor`] (the same for every member) or
    /// `[M, B, MAX_HISTORY]` (each member its own batch); `items` likewise `[B, C]` or
    /// `[M, B, C]`, gathered from the log-softmax over the whole catalogue.
    pub fn log_probs(&self, histories: &Tensor, items: &Tensor, train: bool) -> Tensor {
        let scores = self.scores(histories, train);
        log_likelihoods(&scores, &per_member(items, self.members, 2))
    }

    /// The catalogue scores (logits) at the last position: `[M, B, n_items]`.
    fn scores(&self, histories: &Tensor, train: bool) -> Tensor {
        let net = &self.net;
        let m = self.members;
        let histories = per_member(histories, m, 2);
        let items = net.item_table();
        let rows = self.n_items + 1;
        let offsets = Tensor::arange(m, (Kind::Int64, histories.device())) * rows;
        let flat = items.reshape([m * rows, -1]);
        let p = if train { net.dropout } else { 0.0 };
        let x = dropout(
            &(Tensor::embedding(
                &flat,
                &(&histories + offsets.view([m, 1, 1])),
                -1,
                false,
                false,
            ) + net.positions.unsqueeze(1)),
            p,
            train,
        );
        let last = match &net.encoder {
            Encoder::Transformer(blocks) => {
                let mask = attention_mask(&histories, self.n_items);
                let x = blocks.iter().enumerate().fold(x, |x, (i, block)| {
                    block.forward(&x, &mask, p, i + 1 == blocks.len())
                });
                x.select(2, x.size()[2] - 1)
            }
            Encoder::Gru(layers) => gru::forward(layers, &x).select(2, MAX_HISTORY as i64 - 1),
        };
        let hidden = net.final_norm.forward(&last);
        let catalogue = items.narrow(1, 0, self.n_items);
        hidden.bmm(&catalogue.transpose(1, 2))
    }
}

impl Network {
    /// The representation of every item, padding last: [M, n_items + 1, width]. Inputs and the
    /// tied output layer both read it, so text knowledge reaches both.
    fn item_table(&self) -> Tensor {
        match &self.titles {
            None => self.items.shallow_clone(),
            Some(t) => {
                let m = self.items.size()[0];
                let embeddings = per_member(&t.embeddings, m, 2);
                &self.items + t.projection.forward(&embeddings)
            }
        }
    }
}

/// Left-pads each history to [`MAX_HISTORY`] with the padding item `n_items`: [B, MAX_HISTORY].
pub fn histories_tensor<'a>(
    samples: impl ExactSizeIterator<Item = &'a Sample>,
    n_items: usize,
    device: Device,
) -> Tensor {
    let rows = samples.len() as i64;
    let mut flat = Vec::with_capacity(samples.len() * MAX_HISTORY);
    for sample in samples {
        let history = &sample.history[sample.history.len().saturating_sub(MAX_HISTORY)..];
        flat.extend(std::iter::repeat_n(
            n_items as i64,
            MAX_HISTORY - history.len(),
        ));
        flat.extend(history.iter().map(|&i| i as i64));
    }
    Tensor::from_slice(&flat)
        .view([rows, MAX_HISTORY as i64])
        .to_device(device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prefbench_datasets::ItemId;
    use prefbench_vocabulary::{ItemText, MAX_WIDTH};

    fn sample(history: Vec<ItemId>) -> Sample {
        Sample {
            user: 0,
            history,
            candidates: (0..20).collect(),
            target: 0,
        }
    }

    /// Every item of a catalogue of `n`, for each of `rows` samples: `[rows, n]`.
    fn all_items(rows: i64, n: i64) -> Tensor {
        Tensor::arange(n, (Kind::Int64, Device::Cpu))
            .unsqueeze(0)
            .repeat([rows, 1])
    }

    #[test]
    fn histories_are_left_padded_with_the_padding_item() {
        let samples = [sample(vec![3, 4, 5])];
        let t = histories_tensor(samples.iter(), 30, Device::Cpu);
        let row: Vec<i64> = Vec::try_from(t.get(0)).unwrap();
        assert_eq!(row, [30, 30, 30, 30, 30, 30, 30, 3, 4, 5]);
    }

    #[test]
    fn log_probs_are_normalised_and_finite_for_both_architectures() {
        for architecture in [Architecture::Transformer, Architecture::Gru] {
            tch::manual_seed(0);
            let config = PolicyConfig {
                architecture,
                ..Default::default()
            };
            let policy = Policy::new(&config, 50, None, Device::Cpu);
            let samples = [sample(vec![1]), sample((1..=12).collect())];
            let h = histories_tensor(samples.iter(), 50, Device::Cpu);
            for train in [false, true] {
                let lp = policy.log_probs(&h, &all_items(2, 50), train);
                assert_eq!(lp.size(), [1, 2, 50]);
                let total = lp.exp().sum_dim_intlist(-1, false, Kind::Float);
                let err = (total - 1.0).abs().max().double_value(&[]);
                assert!(err < 1e-5, "{architecture:?}: {err}");
                assert!(bool::try_from(lp.isfinite().all()).unwrap());
            }
        }
    }

    #[test]
    fn a_stack_scores_every_member_as_that_member_alone() {
        for architecture in [Architecture::Transformer, Architecture::Gru] {
            let config = PolicyConfig {
                architecture,
                width: 16,
                heads: 2,
                ..Default::default()
            };
            let alone: Vec<Policy> = (0..3)
                .map(|seed| {
                    tch::manual_seed(seed);
                    Policy::new(&config, 40, None, Device::Cpu)
                })
                .collect();
            let stack = Policy::stack(&[&alone[2], &alone[0], &alone[2], &alone[1]]).unwrap();
            assert_eq!(stack.members(), 4);
            let samples = [sample(vec![1, 5]), sample((1..=12).collect())];
            let h = histories_tensor(samples.iter(), 40, Device::Cpu);
            let items = all_items(2, 40);
            let stacked = stack.log_probs(&h, &items, false);
            for (m, source) in [2, 0, 2, 1].into_iter().enumerate() {
                let want = alone[source].log_probs(&h, &items, false).get(0);
                let got = stacked.get(m as i64);
                assert!(
                    got.allclose(&want, 1e-5, 1e-5, false),
                    "{architecture:?} {m}"
                );
            }
            // Each member its own batch: member 1 sees the histories in the other order.
            let own = Tensor::stack(&[h.shallow_clone(), h.flip([0])], 0);
            let pair = Policy::stack(&[&alone[0], &alone[1]]).unwrap();
            let got = pair.log_probs(&own, &items, false).get(1);
            let want = alone[1].log_probs(&h.flip([0]), &items, false).get(0);
            assert!(got.allclose(&want, 1e-5, 1e-5, false), "{architecture:?}");
        }
    }

    #[test]
    fn the_stacked_gru_equals_libtorchs_gru_on_the_same_weights() {
        tch::manual_seed(4);
        let config = PolicyConfig {
            architecture: Architecture::Gru,
            width: 12,
            blocks: 2,
            ..Default::default()
        };
        let policy = Policy::new(&config, 30, None, Device::Cpu);
        let reference = nn::VarStore::new(Device::Cpu);
        let rnn = nn::RNNConfig {
            num_layers: 2,
            batch_first: true,
            ..Default::default()
        };
        let gru = nn::gru(&reference.root() / "gru", 12, 12, rnn);
        let mut theirs = reference.variables();
        let ours = policy.vs.variables();
        tch::no_grad(|| {
            for (name, var) in theirs.iter_mut() {
                var.copy_(&ours[name].get(0));
            }
        });
        let x = Tensor::randn([3, MAX_HISTORY as i64, 12], (Kind::Float, Device::Cpu));
        let Encoder::Gru(layers) = &policy.net.encoder else {
            panic!("a GRU policy");
        };
        let got = gru::forward(layers, &x.unsqueeze(0)).get(0);
        let (want, _) = nn::RNN::seq(&gru, &x);
        assert!(got.allclose(&want, 1e-5, 1e-6, false));
    }

    #[test]
    fn the_last_block_on_the_last_position_matches_the_full_block() {
        tch::manual_seed(2);
        let policy = Policy::new(&PolicyConfig::default(), 50, None, Device::Cpu);
        let Encoder::Transformer(blocks) = &policy.net.encoder else {
            panic!("a transformer policy");
        };
        let x = Tensor::randn([1, 3, MAX_HISTORY as i64, 64], (Kind::Float, Device::Cpu));
        let h = histories_tensor([sample(vec![1, 2, 3])].iter(), 50, Device::Cpu);
        let mask = attention_mask(&h.repeat([3, 1]), 50);
        let full = blocks[0].forward(&x, &mask, 0.0, false).narrow(2, 9, 1);
        let last = blocks[0].forward(&x, &mask, 0.0, true);
        assert_eq!(last.size(), [1, 3, 1, 64]);
        assert!(full.allclose(&last, 1e-6, 1e-6, false));
    }

    #[test]
    fn policies_of_different_shapes_do_not_stack() {
        let a = Policy::new(&PolicyConfig::default(), 50, None, Device::Cpu);
        let b = Policy::new(&PolicyConfig::default(), 51, None, Device::Cpu);
        let err = Policy::stack(&[&a, &b]).err().unwrap();
        assert!(err.to_string().contains("51 items"), "{err}");
        assert!(Policy::stack(&[]).is_err());
    }

    #[test]
    fn invalid_settings_and_titles_are_errors_not_panics() {
        let bad = |edit: fn(&mut PolicyConfig), field: &str| {
            let mut config = PolicyConfig::default();
            edit(&mut config);
            let err = config.validate().unwrap_err();
            assert_eq!(err.field, field, "{err}");
            let err = Policy::try_new(&config, 50, None, Device::Cpu)
                .err()
                .unwrap();
            assert!(err.to_string().contains(field), "{err}");
        };
        bad(|c| c.width = 0, "width");
        bad(|c| c.width = MAX_WIDTH + 1, "width");
        bad(|c| c.blocks = 0, "blocks");
        bad(|c| c.heads = 0, "heads");
        bad(|c| c.heads = 3, "heads");
        bad(|c| c.dropout = 1.0, "dropout");
        bad(|c| c.dropout = f64::NAN, "dropout");
        let config = PolicyConfig::default();
        assert!(Policy::try_new(&config, 0, None, Device::Cpu).is_err());
        let titles = Tensor::zeros([50, text::EMBEDDING_DIM], (Kind::Float, Device::Cpu));
        let err = Policy::try_new(&config, 50, Some(&titles), Device::Cpu)
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("with some title embeddings"),
            "{err}"
        );
        let minilm = PolicyConfig {
            item_text: ItemText::Minilm,
            ..PolicyConfig::default()
        };
        let err = Policy::try_new(&minilm, 50, None, Device::Cpu)
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("with no title embeddings"),
            "{err}"
        );
        let err = Policy::try_new(&minilm, 49, Some(&titles), Device::Cpu)
            .err()
            .unwrap();
        assert!(err.to_string().contains("[49, 384]"), "{err}");
        assert!(Policy::try_new(&minilm, 50, Some(&titles), Device::Cpu).is_ok());
    }

    #[test]
    fn the_last_position_ignores_padding() {
        tch::manual_seed(1);
        let policy = Policy::new(&PolicyConfig::default(), 50, None, Device::Cpu);
        let h = histories_tensor([sample(vec![7, 8])].iter(), 50, Device::Cpu);
        let items = all_items(1, 50);
        let before = policy.log_probs(&h, &items, false);
        tch::no_grad(|| {
            let _ = policy.net.items.get(0).get(50).fill_(5.0);
        });
        let after = policy.log_probs(&h, &items, false);
        assert!(before.allclose(&after, 0.0, 1e-7, false));
        tch::no_grad(|| {
            let _ = policy.net.items.get(0).get(7).fill_(5.0);
        });
        assert!(!before.allclose(&policy.log_probs(&h, &items, false), 0.0, 1e-7, false));
    }
}
