//! What one member of a PO stack holds while it trains, so a stack can be sized to a memory
//! budget before anything is allocated. An upper estimate from the shapes; `prefbench bench
//! po-step --stacks` prints it beside the measured peak per member.
use prefbench_vocabulary::{Architecture, ItemText, PolicyConfig, MAX_HISTORY};

use super::EVAL_BATCH;
use crate::text::EMBEDDING_DIM;

/// Bytes of one float32.
const FLOAT: u64 = 4;

/// Bytes one member of a PO stack needs: its weights four times over (the weights, their
/// gradients and AdamW's two moments), its reference log-likelihoods `[N, 20]`, one step's
/// activations for `batch` samples (per block, the attention and FFN intermediates and their
/// dropout masks; the catalogue scores with their softmax and gradient; the item table's
/// gradient) and the end-of-epoch evaluation's scores.
pub fn member_bytes(model: &PolicyConfig, n_items: usize, train_rows: usize, batch: usize) -> u64 {
    let (w, l, n) = (model.width as u64, MAX_HISTORY as u64, n_items as u64 + 1);
    let blocks = model.blocks as u64;
    let encoder = match model.architecture {
        Architecture::Transformer => blocks * (12 * w * w + 13 * w),
        Architecture::Gru => blocks * (6 * w * w + 6 * w),
    };
    let titles = match model.item_text {
        ItemText::Minilm => EMBEDDING_DIM as u64 * w,
        ItemText::None => 0,
    };
    let weights = encoder + titles + n * w + l * w + 2 * w;
    let per_sample_block = match model.architecture {
        Architecture::Transformer => 24 * l * w + 3 * model.heads as u64 * l * l,
        Architecture::Gru => 18 * l * w,
    };
    let per_sample = 4 * l * w + blocks * per_sample_block + 3 * n;
    let step = batch as u64 * per_sample + 2 * n * w;
    let reference = train_rows as u64 * prefbench_datasets::CANDIDATES as u64;
    let evaluation = EVAL_BATCH as u64 * n;
    FLOAT * (4 * weights + reference + step + evaluation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_on_lastfm_needs_tens_of_mib_a_member() {
        let bytes = member_bytes(&PolicyConfig::default(), 4606, 12_000, 128);
        let mib = bytes as f64 / (1 << 20) as f64;
        assert!((10.0..100.0).contains(&mib), "{mib} MiB");
        let wider = PolicyConfig {
            width: 128,
            ..PolicyConfig::default()
        };
        assert!(member_bytes(&wider, 4606, 12_000, 128) > bytes);
        assert!(member_bytes(&PolicyConfig::default(), 4606, 12_000, 256) > bytes);
    }
}
