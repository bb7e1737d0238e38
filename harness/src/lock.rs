//! One `prefbench run` per output directory: two writers would train the same runs twice and
//! race on `results.jsonl`. The lock is an OS file lock (released by the kernel when the
//! process ends, even on SIGKILL, so a crash never leaves a stale lock behind).
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};

/// Held for the whole run; dropping it releases the directory.
pub struct OutputLock {
    _file: File,
}

/// The lock file inside the output directory.
pub const LOCK_FILE: &str = ".prefbench.lock";

impl OutputLock {
    /// Takes the lock of `dir`, or fails naming the process that holds it.
    pub fn acquire(dir: &Path) -> Result<Self> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                bail!(
                    "{} is in use by another `prefbench run` ({}); wait for it to finish, or \
                     choose another --out DIR (to split one matrix over processes use --jobs N \
                     or --shard I/N with separate output directories)",
                    dir.display(),
                    holder.trim()
                )
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| write!(file, "pid {}", std::process::id()))
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Self { _file: file })
    }
}
