//! The output directory of a run (docs/design.md, output directory): checked for writability
//! before any training. Its files are written with `prefbench_datasets::cache::write_atomic` (temporary file,
//! sync, rename), so a crash never leaves a half-written one.
use std::path::Path;

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
