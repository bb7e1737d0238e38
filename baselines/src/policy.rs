//! The policy: a small generative next-item model, the counterpart of the paper's LLM.
//!
//! log π(y | history) is the log-softmax over the whole catalogue at the last position, so the
//! preference objectives see true sequence likelihoods, as they would with an LLM. Histories are
//! left-padded to [`MAX_HISTORY`] with a padding item, so the last position always holds the
//! most recent item and position embeddings count back from it.
use prefbench_datasets::Sample;
use prefbench_vocabulary::{Architecture, ItemText, PolicyConfig, MAX_HISTORY};
use tch::nn::{self, Module, RNN};
use tch::{Device, Kind, Tensor};

use crate::text;

/// Why a policy cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A model setting is outside its domain ([`PolicyConfig::validate`]).
    #[error("invalid model settings: {0}")]
    Config(String),
    /// The title embeddings do not fit the config or the catalogue.
    #[error("title embeddings: {0}")]
    Titles(String),
    /// libtorch refused an operation.
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
}

/// A policy and the variables it owns; cloning weights between policies goes through `vs`.
pub struct Policy {
    pub vs: nn::VarStore,
    net: Network,
    n_items: i64,
}

struct Network {
    items: nn::Embedding,
    titles: Option<Titles>,
    positions: nn::Embedding,
    encoder: Encoder,
    final_norm: nn::LayerNorm,
    dropout: f64,
}

/// The text part of the item representation: frozen title embeddings (a zero row for the
/// padding item) and their learned projection.
struct Titles {
    embeddings: Tensor,
    projection: nn::Linear,
}

enum Encoder {
    Transformer(Vec<Block>),
    Gru(nn::GRU),
}

/// Pre-norm transformer block: x + attn(ln(x)), then x + ffn(ln(x)).
struct Block {
    norm1: nn::LayerNorm,
    qkv: nn::Linear,
    out: nn::Linear,
    norm2: nn::LayerNorm,
    ffn_in: nn::Linear,
    ffn_out: nn::Linear,
    heads: i64,
    dropout: f64,
}

impl Block {
    fn new(p: nn::Path, width: i64, heads: i64, dropout: f64) -> Self {
        let ln = nn::LayerNormConfig::default();
        Self {
            norm1: nn::layer_norm(&p / "norm1", vec![width], ln),
            qkv: nn::linear(&p / "qkv", width, 3 * width, linear_init(true)),
            out: nn::linear(&p / "out", width, width, linear_init(true)),
            norm2: nn::layer_norm(&p / "norm2", vec![width], ln),
            ffn_in: nn::linear(&p / "ffn_in", width, 4 * width, linear_init(true)),
            ffn_out: nn::linear(&p / "ffn_out", 4 * width, width, linear_init(true)),
            heads,
            dropout,
        }
    }

    /// `mask` is [B, 1, L, L] boolean, true where attention is allowed.
    /// With `last_only`, only the last position is computed past the keys and values: the last
    /// block's other positions feed nothing (only the last position is scored), and skipping
    /// them saves most of that block's attention output, FFN and dropout work.
    fn forward(&self, x: &Tensor, mask: &Tensor, train: bool, last_only: bool) -> Tensor {
        let (b, l, w) = x.size3().expect("block input is [B, L, W]");
        let head = w / self.heads;
        let qkv = self
            .qkv
            .forward(&x.apply(&self.norm1))
            .view([b, l, 3, self.heads, head])
            .permute([2, 0, 3, 1, 4]);
        let (queries, mask, x) = if last_only {
            (
                qkv.get(0).narrow(2, l - 1, 1),
                mask.narrow(2, l - 1, 1),
                x.narrow(1, l - 1, 1),
            )
        } else {
            (qkv.get(0), mask.shallow_clone(), x.shallow_clone())
        };
        let rows = queries.size()[2];
        let p = if train { self.dropout } else { 0.0 };
        let attended = Tensor::scaled_dot_product_attention(
            &queries,
            &qkv.get(1),
            &qkv.get(2),
            Some(&mask),
            p,
            false,
            None,
            false,
        )
        .transpose(1, 2)
        .reshape([b, rows, w]);
        let x = x + dropout(&self.out.forward(&attended), p, train);
        let hidden = self.ffn_in.forward(&x.apply(&self.norm2)).gelu("none");
        &x + dropout(&self.ffn_out.forward(&dropout(&hidden, p, train)), p, train)
    }
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

/// Inverted dropout whose mask comes from `rand_like`: the same distribution as libtorch's
/// bernoulli-based dropout at about half its CPU cost (0.35 against 0.63 ms on [128, 10, 64]),
/// and dropout is a third of a training forward pass of the default policy.
fn dropout(x: &Tensor, p: f64, train: bool) -> Tensor {
    if !train || p == 0.0 {
        return x.shallow_clone();
    }
    x * x.rand_like().ge(p) * (1.0 / (1.0 - p))
}

impl Policy {
    /// A freshly initialised policy over `n_items` items; seed torch first for repeatability.
    /// `titles` are the items' title embeddings [n_items, 384] ([`crate::text::title_embeddings`]);
    /// they are required by, and only used with, `item_text: minilm`.
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
        config.validate().map_err(PolicyError::Config)?;
        let n_items_i64 = i64::try_from(n_items)
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| PolicyError::Config(format!("{n_items} items: need at least one")))?;
        let vs = nn::VarStore::new(device);
        let root = vs.root();
        let width = config.width;
        let scale = 1.0 / (width as f64).sqrt();
        let embedding = nn::EmbeddingConfig {
            ws_init: nn::Init::Randn {
                mean: 0.0,
                stdev: scale,
            },
            ..Default::default()
        };
        let encoder = match config.architecture {
            Architecture::Transformer => Encoder::Transformer(
                (0..config.blocks)
                    .map(|i| Block::new(&root / "block" / i, width, config.heads, config.dropout))
                    .collect(),
            ),
            Architecture::Gru => Encoder::Gru(nn::gru(
                &root / "gru",
                width,
                width,
                nn::RNNConfig {
                    num_layers: config.blocks,
                    batch_first: true,
                    ..Default::default()
                },
            )),
        };
        let titles = match (config.item_text, titles) {
            (ItemText::None, None) => None,
            (ItemText::Minilm, Some(titles)) => {
                let want = [n_items_i64, text::EMBEDDING_DIM];
                if titles.size() != want || titles.kind() != Kind::Float {
                    return Err(PolicyError::Titles(format!(
                        "{:?} {:?}, expected Float {want:?} (one row per item)",
                        titles.kind(),
                        titles.size()
                    )));
                }
                let padding = Tensor::f_zeros([1, text::EMBEDDING_DIM], (Kind::Float, device))?;
                let no_bias = linear_init(false);
                Some(Titles {
                    embeddings: Tensor::f_cat(&[&titles.f_to_device(device)?, &padding], 0)?,
                    projection: nn::linear(
                        &root / "title_projection",
                        text::EMBEDDING_DIM,
                        width,
                        no_bias,
                    ),
                })
            }
            (item_text, titles) => {
                return Err(PolicyError::Titles(format!(
                    "item_text {item_text:?} with {} title embeddings; `minilm` needs them, \
                     `none` takes none",
                    if titles.is_some() { "some" } else { "no" }
                )))
            }
        };
        let net = Network {
            // One extra row: the padding item, never a candidate.
            items: nn::embedding(&root / "items", n_items_i64 + 1, width, embedding),
            titles,
            positions: nn::embedding(&root / "positions", MAX_HISTORY as i64, width, embedding),
            encoder,
            final_norm: nn::layer_norm(&root / "final_norm", vec![width], Default::default()),
            dropout: config.dropout,
        };
        Ok(Self {
            vs,
            net,
            n_items: n_items_i64,
        })
    }

    pub fn n_items(&self) -> i64 {
        self.n_items
    }

    /// Changes the dropout probability of every layer: PO runs its own (`po.dropout`, 0 by
    /// default as in TRL), since a policy sampled with dropout is noisy against the
    /// dropout-free cached reference log-likelihoods.
    pub fn set_dropout(&mut self, p: f64) {
        self.net.dropout = p;
        if let Encoder::Transformer(blocks) = &mut self.net.encoder {
            for block in blocks {
                block.dropout = p;
            }
        }
    }

    pub fn device(&self) -> Device {
        self.vs.device()
    }

    /// Log-likelihood of every catalogue item as the next item: [B, n_items].
    /// `histories` is [B, MAX_HISTORY] int64 from [`histories_tensor`].
    pub fn log_probs(&self, histories: &Tensor, train: bool) -> Tensor {
        let net = &self.net;
        let items = net.item_table();
        let positions = Tensor::arange(MAX_HISTORY as i64, (Kind::Int64, histories.device()));
        let x = dropout(
            &(Tensor::embedding(&items, histories, -1, false, false)
                + positions.apply(&net.positions)),
            net.dropout,
            train,
        );
        let last = match &net.encoder {
            Encoder::Transformer(blocks) => {
                let mask = attention_mask(histories, self.n_items);
                let x = blocks.iter().enumerate().fold(x, |x, (i, block)| {
                    block.forward(&x, &mask, train, i + 1 == blocks.len())
                });
                x.select(1, x.size()[1] - 1)
            }
            Encoder::Gru(gru) => {
                let (out, _) = gru.seq(&x);
                out.select(1, MAX_HISTORY as i64 - 1)
            }
        };
        let hidden = last.apply(&net.final_norm);
        let catalogue = items.narrow(0, 0, self.n_items);
        hidden.matmul(&catalogue.tr()).log_softmax(-1, Kind::Float)
    }
}

impl Network {
    /// The representation of every item, padding last: [n_items + 1, width]. Inputs and the
    /// tied output layer both read it, so text knowledge reaches both.
    fn item_table(&self) -> Tensor {
        match &self.titles {
            None => self.items.ws.shallow_clone(),
            Some(t) => &self.items.ws + t.embeddings.apply(&t.projection),
        }
    }
}

/// Causal mask that also hides padding keys; every query may see itself, so no row of the
/// softmax is empty (padding queries would otherwise produce NaN).
fn attention_mask(histories: &Tensor, pad: i64) -> Tensor {
    let l = MAX_HISTORY as i64;
    let device = histories.device();
    let causal = Tensor::ones([l, l], (Kind::Bool, device)).tril(0);
    let eye = Tensor::eye(l, (Kind::Bool, device));
    let real_key = histories.ne(pad).unsqueeze(1); // [B, 1, L]
    (causal.unsqueeze(0).logical_and(&real_key))
        .logical_or(&eye.unsqueeze(0))
        .unsqueeze(1)
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
    use prefbench_vocabulary::MAX_WIDTH;

    fn sample(history: Vec<ItemId>) -> Sample {
        Sample {
            user: 0,
            history,
            candidates: (0..20).collect(),
            target: 0,
        }
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
                let lp = policy.log_probs(&h, train);
                assert_eq!(lp.size(), [2, 50]);
                let total = lp.exp().sum_dim_intlist(-1, false, Kind::Float);
                let err = (total - 1.0).abs().max().double_value(&[]);
                assert!(err < 1e-5, "{architecture:?}: {err}");
                assert!(bool::try_from(lp.isfinite().all()).unwrap());
            }
        }
    }

    #[test]
    fn the_last_block_on_the_last_position_matches_the_full_block() {
        tch::manual_seed(2);
        let vs = nn::VarStore::new(Device::Cpu);
        let block = Block::new(vs.root(), 16, 2, 0.2);
        let x = Tensor::randn([3, MAX_HISTORY as i64, 16], (Kind::Float, Device::Cpu));
        let h = histories_tensor([sample(vec![1, 2, 3])].iter(), 50, Device::Cpu);
        let mask = attention_mask(&h.repeat([3, 1]), 50);
        let full = block.forward(&x, &mask, false, false).narrow(1, 9, 1);
        let last = block.forward(&x, &mask, false, true);
        assert_eq!(last.size(), [3, 1, 16]);
        assert!(full.allclose(&last, 1e-6, 1e-6, false));
    }

    #[test]
    fn dropout_keeps_the_expectation_and_drops_the_share_asked_for() {
        tch::manual_seed(3);
        let x = Tensor::ones([100_000], (Kind::Float, Device::Cpu));
        let y = dropout(&x, 0.2, true);
        let dropped = y
            .eq(0.0)
            .to_kind(Kind::Float)
            .mean(Kind::Float)
            .double_value(&[]);
        assert!((dropped - 0.2).abs() < 0.01, "{dropped}");
        assert!((y.mean(Kind::Float).double_value(&[]) - 1.0).abs() < 0.01);
        assert!(dropout(&x, 0.2, false).equal(&x));
    }

    #[test]
    fn invalid_settings_and_titles_are_errors_not_panics() {
        let bad = |edit: fn(&mut PolicyConfig), field: &str| {
            let mut config = PolicyConfig::default();
            edit(&mut config);
            let err = config.validate().unwrap_err();
            assert!(err.starts_with(&format!("{field}: ")), "{err}");
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
        let before = policy.log_probs(&h, false);
        tch::no_grad(|| {
            let _ = policy.net.items.ws.get(50).fill_(5.0);
        });
        let after = policy.log_probs(&h, false);
        assert!(before.allclose(&after, 0.0, 1e-7, false));
        tch::no_grad(|| {
            let _ = policy.net.items.ws.get(7).fill_(5.0);
        });
        assert!(!before.allclose(&policy.log_probs(&h, false), 0.0, 1e-7, false));
    }
}
