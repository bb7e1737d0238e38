//! One owner per output directory: two `prefbench run`s would train the same runs twice and
//! race on `results.jsonl`, and a `prefbench results merge` into a directory that a run appends
//! to would replace the store under it and lose the records appended meanwhile. Both take the
//! directory's lock. The lock is an OS file lock (released by the kernel when the process ends,
//! even on SIGKILL, so a crash never leaves a stale lock behind); the lock file names its
//! holder, so whoever is refused is told who has the directory.
use anyhow::{bail, Result};
use prefbench_io::FileLock;

use crate::output_dir::OutputDir;

/// Held for the whole run (or merge); dropping it releases the directory.
pub struct OutputLock {
    _lock: FileLock,
}

/// What takes a directory's lock, for the lock file and the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Run,
    Merge,
}

impl Owner {
    fn command(self) -> &'static str {
        match self {
            Owner::Run => "prefbench run",
            Owner::Merge => "prefbench results merge",
        }
    }
}

impl OutputLock {
    /// Takes the lock of `dir` for a `prefbench run`, or fails naming the holder.
    pub fn acquire(dir: &OutputDir) -> Result<Self> {
        Self::acquire_for(dir, Owner::Run)
    }

    /// Takes the lock of `dir` for `owner`, or fails naming the directory and the process
    /// that holds it.
    pub fn acquire_for(dir: &OutputDir, owner: Owner) -> Result<Self> {
        let path = dir.lock();
        let Some(mut lock) = FileLock::try_acquire(&path)? else {
            let holder = holder(&FileLock::holder(&path));
            match owner {
                Owner::Run => bail!(
                    "{} is in use by {holder}; wait for it to finish, or choose another \
                     --out DIR (to split one matrix over processes use --jobs N or \
                     --shard I/N with separate output directories)",
                    dir.root().display()
                ),
                Owner::Merge => bail!(
                    "cannot merge into {}: it is in use by {holder}, and replacing its \
                     results.jsonl now would lose what it appends; wait for it to finish, \
                     or merge into another directory (-o)",
                    dir.root().display()
                ),
            }
        };
        let me = format!("pid {} ({})", std::process::id(), owner.command());
        lock.name_holder(&me)?;
        Ok(Self { _lock: lock })
    }
}

/// The holder as the lock file names it: "pid 12 (prefbench run)" becomes "another
/// `prefbench run` (pid 12)"; older lock files hold only "pid 12", and a holder that has not
/// written yet nothing.
fn holder(text: &str) -> String {
    let text = text.trim();
    let parsed = text
        .split_once(" (")
        .and_then(|(pid, rest)| Some((pid, rest.strip_suffix(')')?)));
    match parsed {
        Some((pid, command)) => format!("another `{command}` ({pid})"),
        None if text.is_empty() => "another prefbench process".into(),
        None => format!("another prefbench process ({text})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_directory_is_refused_naming_it_and_its_holder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = OutputDir::at(tmp.path());
        let held = OutputLock::acquire(&dir).unwrap();
        let pid = format!("pid {}", std::process::id());
        let err = OutputLock::acquire(&dir).err().unwrap().to_string();
        assert!(
            err.contains(&tmp.path().display().to_string())
                && err.contains("in use by another `prefbench run`")
                && err.contains(&pid),
            "{err}"
        );
        let err = OutputLock::acquire_for(&dir, Owner::Merge)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("cannot merge into") && err.contains("`prefbench run`"),
            "{err}"
        );
        drop(held);
        let merge = OutputLock::acquire_for(&dir, Owner::Merge).unwrap();
        let err = OutputLock::acquire(&dir).err().unwrap().to_string();
        assert!(
            err.contains("in use by another `prefbench results merge`") && err.contains(&pid),
            "{err}"
        );
        drop(merge);
        OutputLock::acquire(&dir).unwrap();
    }

    #[test]
    fn old_and_empty_lock_files_still_name_a_holder() {
        assert_eq!(holder("pid 7"), "another prefbench process (pid 7)");
        assert_eq!(holder(""), "another prefbench process");
        assert_eq!(
            holder("pid 7 (prefbench run)\n"),
            "another `prefbench run` (pid 7)"
        );
    }
}
