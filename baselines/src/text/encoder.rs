//! Texts to sentence embeddings: tokenisation with the model's own `tokenizer.json`, then BERT
//! in length-sorted batches, so that little compute goes to padding.
use tch::{Device, Tensor};
use tokenizers::{Tokenizer, TruncationParams};

use super::bert::Bert;
use super::{ModelFiles, TextError, MAX_TOKENS};

/// Texts per forward pass.
const BATCH: usize = 64;

/// all-MiniLM-L6-v2, loaded once and reused for any number of texts.
pub struct SentenceEncoder {
    tokenizer: Tokenizer,
    bert: Bert,
    device: Device,
}

impl SentenceEncoder {
    /// Loads verified files (see [`ModelFiles::locate`]) onto `device`.
    pub fn load(files: &ModelFiles, device: Device) -> Result<Self, TextError> {
        let tokenizer_error = |message: String| TextError::Tokenizer {
            path: files.tokenizer.clone(),
            message,
        };
        let mut tokenizer =
            Tokenizer::from_file(&files.tokenizer).map_err(|e| tokenizer_error(e.to_string()))?;
        // tokenizer.json pads and truncates to 128; the reference truncates to 256 and pads
        // per batch, which `embed` does itself.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| tokenizer_error(e.to_string()))?;
        let bert = Bert::load(&files.weights, device).map_err(|source| TextError::Weights {
            path: files.weights.clone(),
            source,
        })?;
        Ok(Self {
            tokenizer,
            bert,
            device,
        })
    }

    /// Word-piece ids of each text, [CLS] and [SEP] included, at most [`MAX_TOKENS`].
    pub fn token_ids(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>, TextError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| TextError::Tokenise(e.to_string()))?;
        Ok(encodings.iter().map(|e| e.get_ids().to_vec()).collect())
    }

    /// Unit-length embeddings [N, 384] (float32, on the encoder's device), row i for text i.
    pub fn embed(&self, texts: &[&str]) -> Result<Tensor, TextError> {
        let ids = self.token_ids(texts)?;
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let parts: Vec<Tensor> = tch::no_grad(|| {
            order
                .chunks(BATCH)
                .map(|rows| {
                    let (batch, real) = padded(rows.iter().map(|&i| &ids[i][..]), self.device);
                    self.bert.embed(&batch, &real)
                })
                .collect()
        });
        let sorted = Tensor::cat(&parts, 0);
        let mut position = vec![0i64; order.len()];
        for (rank, &i) in order.iter().enumerate() {
            position[i] = rank as i64;
        }
        let position = Tensor::from_slice(&position).to_device(self.device);
        Ok(sorted.index_select(0, &position))
    }
}

/// Right-pads sequences with id 0 ([PAD]): ids [B, L] int64 and the real-token mask [B, L].
fn padded<'a>(
    rows: impl ExactSizeIterator<Item = &'a [u32]> + Clone,
    device: Device,
) -> (Tensor, Tensor) {
    let b = rows.len() as i64;
    let l = rows.clone().map(<[u32]>::len).max().unwrap_or(0);
    let mut ids = Vec::with_capacity(rows.len() * l);
    let mut real = Vec::with_capacity(rows.len() * l);
    for row in rows {
        ids.extend(row.iter().map(|&t| t as i64));
        ids.extend(std::iter::repeat_n(0, l - row.len()));
        real.extend(std::iter::repeat_n(true, row.len()));
        real.extend(std::iter::repeat_n(false, l - row.len()));
    }
    let shape = [b, l as i64];
    (
        Tensor::from_slice(&ids).view(shape).to_device(device),
        Tensor::from_slice(&real).view(shape).to_device(device),
    )
}
