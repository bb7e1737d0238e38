//! Title embeddings of a whole catalogue, computed once per (dataset, encoder) and cached, so
//! that every seed and method of a matrix, and later runs, reuse them.
use std::path::{Path, PathBuf};

use prefbench_io::write_atomic;
use sha2::{Digest, Sha256};
use tch::{Device, Kind, Tensor};

use super::{
    ModelFiles, SentenceEncoder, TextError, EMBEDDING_DIM, MODEL_SHA256, TOKENIZER_SHA256,
};

/// The cache file of a dataset: its name changes with the dataset's content and with the
/// encoder's pinned weights and tokenizer.
fn cache_path(cache_dir: &Path, dataset_hash: &str) -> PathBuf {
    let key = Sha256::digest(format!(
        "{dataset_hash}\n{MODEL_SHA256}\n{TOKENIZER_SHA256}"
    ));
    cache_dir
        .join("title-embeddings")
        .join(format!("minilm-{}.f32", hex::encode(key)))
}

/// Frozen title embeddings [titles.len(), 384] (float32, on `device`), row i for item i.
///
/// `dataset_hash` is the content hash of the dataset the titles belong to. A cached file
/// (native-endian f32, written atomically under `cache_dir/title-embeddings/`) is used when its
/// size fits; otherwise the encoder is located, verified and run on `device`, and the result
/// is cached.
pub fn title_embeddings(
    titles: &[String],
    dataset_hash: &str,
    cache_dir: &Path,
    device: Device,
) -> Result<Tensor, TextError> {
    let path = cache_path(cache_dir, dataset_hash);
    let shape = [titles.len() as i64, EMBEDDING_DIM];
    let expected_len = titles.len() * EMBEDDING_DIM as usize * 4;
    if let Ok(bytes) = std::fs::read(&path) {
        if bytes.len() == expected_len {
            return Ok(Tensor::from_data_size(&bytes, &shape, Kind::Float).to_device(device));
        }
        tracing::warn!("ignoring {}: wrong size, recomputing", path.display());
    }
    let encoder = SentenceEncoder::load(&ModelFiles::locate()?, device)?;
    let texts: Vec<&str> = titles.iter().map(String::as_str).collect();
    let embeddings = encoder.embed(&texts)?;
    let mut bytes = vec![0u8; expected_len];
    embeddings
        .to_device(Device::Cpu)
        .contiguous()
        .copy_data_u8(&mut bytes, embeddings.numel());
    write_atomic(&path, &bytes)?;
    Ok(embeddings)
}
