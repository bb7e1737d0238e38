//! The stacked building blocks: every weight carries a leading member dimension M, and every
//! activation is `[M, rows, features]`, so M independent models run as one batched product
//! per layer. A single model is the stack of one.
use tch::Tensor;

/// A linear layer of M members: weights `[M, out, in]` (PyTorch's per-member layout), bias
/// `[M, out]`.
pub struct Linear {
    pub weight: Tensor,
    pub bias: Option<Tensor>,
}

impl Linear {
    /// `x` is `[M, ..., in]`; returns `[M, ..., out]` through one `baddbmm` (or `bmm`).
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let mut shape = x.size();
        let (members, features) = (shape[0], shape[shape.len() - 1]);
        let flat = x.reshape([members, -1, features]);
        let weight = self.weight.transpose(1, 2);
        let y = match &self.bias {
            Some(bias) => bias.unsqueeze(1).baddbmm(&flat, &weight, 1.0, 1.0),
            None => flat.bmm(&weight),
        };
        *shape.last_mut().expect("x has a feature dimension") = self.weight.size()[1];
        y.view(shape.as_slice())
    }
}

/// Layer normalisation over the last dimension with per-member affine weights `[M, W]`.
pub struct Norm {
    pub weight: Tensor,
    pub bias: Tensor,
}

/// PyTorch's `nn.LayerNorm` default.
const NORM_EPS: f64 = 1e-5;

impl Norm {
    /// `x` is `[M, ..., W]`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let shape = x.size();
        let width = shape[shape.len() - 1];
        let normed = x.layer_norm([width], None::<Tensor>, None::<Tensor>, NORM_EPS, false);
        let mut affine = vec![1; shape.len()];
        affine[0] = shape[0];
        affine[shape.len() - 1] = width;
        let (weight, bias) = (
            self.weight.view(affine.as_slice()),
            self.bias.view(affine.as_slice()),
        );
        bias.addcmul(&normed, &weight)
    }
}

/// Inverted dropout whose mask comes from `rand_like`: the same distribution as libtorch's
/// bernoulli-based dropout at about half its CPU cost (0.35 against 0.63 ms on [128, 10, 64]),
/// and dropout is a third of a training forward pass of the default policy.
pub fn dropout(x: &Tensor, p: f64, train: bool) -> Tensor {
    if !train || p == 0.0 {
        return x.shallow_clone();
    }
    x * x.rand_like().ge(p) * (1.0 / (1.0 - p))
}

/// `t` `[rows, ...]` shared by every member, or already `[M, rows, ...]` (`dims` is the rank
/// of one member's tensor), as `[M, rows, ...]`.
pub fn per_member(t: &Tensor, members: i64, dims: usize) -> Tensor {
    if t.dim() == dims {
        let mut shape = vec![members];
        shape.extend(t.size());
        t.unsqueeze(0).expand(shape.as_slice(), false)
    } else {
        t.shallow_clone()
    }
}

/// log π of the asked-for `items` `[M, B, C]` from the catalogue scores `[M, B, n]`. libtorch's
/// fused log-softmax then a gather: on 2 CPU cores its forward and backward take 0.73 ms on
/// [128, 4606] against 1.19 ms for the score minus a logsumexp, which never builds the whole
/// log-softmax but runs more kernels.
pub fn log_likelihoods(scores: &Tensor, items: &Tensor) -> Tensor {
    scores
        .log_softmax(-1, scores.kind())
        .gather(-1, items, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn a_stacked_linear_and_norm_apply_each_members_own_weights() {
        tch::manual_seed(5);
        let opts = (Kind::Float, Device::Cpu);
        let linear = Linear {
            weight: Tensor::randn([3, 4, 6], opts),
            bias: Some(Tensor::randn([3, 4], opts)),
        };
        let norm = Norm {
            weight: Tensor::randn([3, 6], opts),
            bias: Tensor::randn([3, 6], opts),
        };
        let x = Tensor::randn([3, 2, 5, 6], opts);
        let (y, z) = (linear.forward(&x), norm.forward(&x));
        assert_eq!(y.size(), [3, 2, 5, 4]);
        for m in 0..3 {
            let w = linear.weight.get(m);
            let b = linear.bias.as_ref().unwrap().get(m);
            let alone = x.get(m).linear(&w, Some(&b));
            assert!(alone.allclose(&y.get(m), 1e-5, 1e-5, false));
            let (nw, nb) = (norm.weight.get(m), norm.bias.get(m));
            let alone = x
                .get(m)
                .layer_norm([6], Some(&nw), Some(&nb), NORM_EPS, false);
            assert!(alone.allclose(&z.get(m), 1e-5, 1e-5, false));
        }
    }

    #[test]
    fn log_likelihoods_equal_the_gathered_log_softmax() {
        tch::manual_seed(6);
        let scores = Tensor::randn([2, 3, 50], (Kind::Float, Device::Cpu)) * 4.0;
        let items = Tensor::randint(50, [2, 3, 7], (Kind::Int64, Device::Cpu));
        let want = scores
            .log_softmax(-1, Kind::Float)
            .gather(-1, &items, false);
        assert!(log_likelihoods(&scores, &items).allclose(&want, 1e-6, 1e-6, false));
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
}
