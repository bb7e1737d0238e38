//! A GRU of M members: PyTorch's gate equations (r, z, n, in `weight_ih`'s row order) in a
//! loop over the positions, each a batched product, since libtorch has no GRU kernel over
//! independent weights. Tested equal to libtorch's GRU on the same weights.
use tch::Tensor;

use super::layers::Linear;

/// One layer: the input and hidden projections to the three gates.
pub struct GruLayer {
    pub input: Linear,
    pub hidden: Linear,
}

/// Runs the layers over `x` `[M, B, L, W]` from a zero state; returns every position's output
/// of the last layer, `[M, B, L, W]`.
pub fn forward(layers: &[GruLayer], x: &Tensor) -> Tensor {
    let positions = x.size()[2];
    layers.iter().fold(x.shallow_clone(), |x, layer| {
        let gates_in = layer.input.forward(&x);
        let mut h = x.select(2, 0).zeros_like();
        let mut outputs = Vec::with_capacity(positions as usize);
        for t in 0..positions {
            let gi = gates_in.select(2, t).chunk(3, -1);
            let gh = layer.hidden.forward(&h).chunk(3, -1);
            let reset = (&gi[0] + &gh[0]).sigmoid();
            let update = (&gi[1] + &gh[1]).sigmoid();
            let candidate = (&gi[2] + reset * &gh[2]).tanh();
            h = &candidate + update * (&h - &candidate);
            outputs.push(h.shallow_clone());
        }
        Tensor::stack(&outputs, 2)
    })
}
