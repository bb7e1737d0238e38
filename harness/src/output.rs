//! The output directory of a run (design.md, Outputs): checked for writability before any
//! training, and written atomically so a crash never leaves a half-written file.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Creates `dir` and proves it writable, naming it in the error if not.
pub fn prepare_dir(dir: &Path) -> Result<()> {
    let fail = || {
        format!(
            "output directory {} is not writable; choose another with --out DIR",
            dir.display()
        )
    };
    std::fs::create_dir_all(dir).with_context(fail)?;
    let probe = dir.join(".prefbench-write-probe");
    std::fs::write(&probe, b"").with_context(fail)?;
    std::fs::remove_file(&probe).with_context(fail)?;
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp: PathBuf = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}
