//! The pre-norm transformer block of M members at once: the members fold into the attention's
//! batch dimension, every projection is one batched product.
use prefbench_vocabulary::MAX_HISTORY;
use tch::{Device, Kind, Tensor};

use super::layers::{dropout, Linear, Norm};

/// x + attn(ln(x)), then x + ffn(ln(x)).
pub struct Block {
    pub norm1: Norm,
    pub qkv: Linear,
    pub out: Linear,
    pub norm2: Norm,
    pub ffn_in: Linear,
    pub ffn_out: Linear,
    pub heads: i64,
}

impl Block {
    /// `x` is `[M, B, L, W]`, `mask` `[M·B, 1, L, L]` boolean, true where attention is allowed.
    /// With `last_only`, only the last position is computed past the keys and values: the last
    /// block's other positions feed nothing (only the last position is scored), and skipping
    /// them saves most of that block's attention output, FFN and dropout work.
    pub fn forward(&self, x: &Tensor, mask: &Tensor, p: f64, last_only: bool) -> Tensor {
        let (m, b, l, w) = x.size4().expect("block input is [M, B, L, W]");
        let head = w / self.heads;
        let qkv = self
            .qkv
            .forward(&self.norm1.forward(x))
            .view([m * b, l, 3, self.heads, head])
            .permute([2, 0, 3, 1, 4]);
        let (queries, mask, x) = if last_only {
            (
                qkv.get(0).narrow(2, l - 1, 1),
                mask.narrow(2, l - 1, 1),
                x.narrow(2, l - 1, 1),
            )
        } else {
            (qkv.get(0), mask.shallow_clone(), x.shallow_clone())
        };
        let rows = queries.size()[2];
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
        .reshape([m, b, rows, w]);
        let train = p > 0.0;
        let x = x + dropout(&self.out.forward(&attended), p, train);
        let hidden = self.ffn_in.forward(&self.norm2.forward(&x)).gelu("none");
        &x + dropout(&self.ffn_out.forward(&dropout(&hidden, p, train)), p, train)
    }
}

/// Causal mask that also hides padding keys, `[M·B, 1, L, L]` for histories `[M, B, L]`;
/// every query may see itself, so no row of the softmax is empty (padding queries would
/// otherwise produce NaN).
pub fn attention_mask(histories: &Tensor, pad: i64) -> Tensor {
    let l = MAX_HISTORY as i64;
    let device: Device = histories.device();
    let causal = Tensor::ones([l, l], (Kind::Bool, device)).tril(0);
    let eye = Tensor::eye(l, (Kind::Bool, device));
    let real_key = histories.reshape([-1, l]).ne(pad).unsqueeze(1); // [M·B, 1, L]
    (causal.unsqueeze(0).logical_and(&real_key))
        .logical_or(&eye.unsqueeze(0))
        .unsqueeze(1)
}
