//! The BERT encoder of all-MiniLM-L6-v2 (post-norm blocks, erf GELU, learned absolute
//! positions), inference only. Variable names follow the Hugging Face checkpoint so that the
//! safetensors file loads by name.
use std::path::Path;

use tch::nn::{self, Module};
use tch::{Device, Kind, Tensor};

use super::EMBEDDING_DIM;

const LAYERS: i64 = 6;
const HEADS: i64 = 12;
const INTERMEDIATE: i64 = 1536;
const VOCAB: i64 = 30522;
const POSITIONS: i64 = 512;
const LAYER_NORM_EPS: f64 = 1e-12;

pub(super) struct Bert {
    words: nn::Embedding,
    positions: nn::Embedding,
    /// Row 0 of the token-type table: every title is a single segment.
    token_type: Tensor,
    norm: nn::LayerNorm,
    layers: Vec<Layer>,
}

struct Layer {
    query: nn::Linear,
    key: nn::Linear,
    value: nn::Linear,
    attention_out: nn::Linear,
    attention_norm: nn::LayerNorm,
    intermediate: nn::Linear,
    output: nn::Linear,
    output_norm: nn::LayerNorm,
}

fn layer_norm(p: nn::Path) -> nn::LayerNorm {
    let config = nn::LayerNormConfig {
        eps: LAYER_NORM_EPS,
        ..Default::default()
    };
    nn::layer_norm(p, vec![EMBEDDING_DIM], config)
}

fn linear(p: nn::Path, input: i64, output: i64) -> nn::Linear {
    nn::linear(p, input, output, Default::default())
}

impl Layer {
    fn new(p: nn::Path) -> Self {
        let d = EMBEDDING_DIM;
        let attention = &p / "attention";
        Self {
            query: linear(&attention / "self" / "query", d, d),
            key: linear(&attention / "self" / "key", d, d),
            value: linear(&attention / "self" / "value", d, d),
            attention_out: linear(&attention / "output" / "dense", d, d),
            attention_norm: layer_norm(&attention / "output" / "LayerNorm"),
            intermediate: linear(&p / "intermediate" / "dense", d, INTERMEDIATE),
            output: linear(&p / "output" / "dense", INTERMEDIATE, d),
            output_norm: layer_norm(&p / "output" / "LayerNorm"),
        }
    }

    /// `keys` is [B, 1, 1, L] boolean, true for real tokens.
    fn forward(&self, x: &Tensor, keys: &Tensor) -> Tensor {
        let (b, l, d) = x.size3().expect("layer input is [B, L, D]");
        let heads = |t: Tensor| t.view([b, l, HEADS, d / HEADS]).transpose(1, 2);
        let attended = Tensor::scaled_dot_product_attention(
            &heads(self.query.forward(x)),
            &heads(self.key.forward(x)),
            &heads(self.value.forward(x)),
            Some(keys),
            0.0,
            false,
            None,
            false,
        )
        .transpose(1, 2)
        .reshape([b, l, d]);
        let x = (x + self.attention_out.forward(&attended)).apply(&self.attention_norm);
        let hidden = self.intermediate.forward(&x).gelu("none");
        (&x + self.output.forward(&hidden)).apply(&self.output_norm)
    }
}

impl Bert {
    /// Reads the checkpoint at `weights` (already verified) onto `device`, frozen.
    pub(super) fn load(weights: &Path, device: Device) -> Result<Self, tch::TchError> {
        let mut vs = nn::VarStore::new(device);
        let root = vs.root();
        let embeddings = &root / "embeddings";
        let table = |name: &str, rows| {
            nn::embedding(&embeddings / name, rows, EMBEDDING_DIM, Default::default())
        };
        let bert = Self {
            words: table("word_embeddings", VOCAB),
            positions: table("position_embeddings", POSITIONS),
            token_type: table("token_type_embeddings", 2).ws,
            norm: layer_norm(&embeddings / "LayerNorm"),
            layers: (0..LAYERS)
                .map(|i| Layer::new(&root / "encoder" / "layer" / i))
                .collect(),
        };
        vs.freeze();
        vs.load(weights)?;
        Ok(Self {
            token_type: bert.token_type.get(0),
            ..bert
        })
    }

    /// Unit-length sentence embeddings [B, 384] of padded word-piece ids [B, L] (int64);
    /// `real` [B, L] is true for tokens that are not padding.
    pub(super) fn embed(&self, ids: &Tensor, real: &Tensor) -> Tensor {
        let l = ids.size()[1];
        let positions = Tensor::arange(l, (Kind::Int64, ids.device()));
        let x = (ids.apply(&self.words) + positions.apply(&self.positions) + &self.token_type)
            .apply(&self.norm);
        let keys = real.view([real.size()[0], 1, 1, l]);
        let hidden = self
            .layers
            .iter()
            .fold(x, |x, layer| layer.forward(&x, &keys));
        let weights = real.to_kind(Kind::Float).unsqueeze(-1);
        let summed = (hidden * &weights).sum_dim_intlist(1, false, Kind::Float);
        let mean = summed
            / weights
                .sum_dim_intlist(1, false, Kind::Float)
                .clamp_min(1e-9);
        let norm = mean.norm_scalaropt_dim(2, [1], true).clamp_min(1e-12);
        mean / norm
    }
}
