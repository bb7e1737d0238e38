//! Advisory exclusive lock files, so that several processes can share a directory: the OS
//! releases the lock when the holder exits, even on SIGKILL, so no stale lock is left behind.
use std::fs::{File, OpenOptions};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt;

use crate::IoError;

/// An exclusive advisory lock on a file, held until dropped (closing the file releases it).
#[derive(Debug)]
pub struct FileLock {
    file: File,
    /// For errors.
    path: PathBuf,
}

impl FileLock {
    /// Takes the lock of `path` (creating the file), waiting while another process holds it.
    pub fn acquire(path: &Path) -> Result<FileLock, IoError> {
        let file = open(path)?;
        file.lock_exclusive()
            .map_err(IoError::at(path, "locking"))?;
        Ok(FileLock {
            file,
            path: path.to_owned(),
        })
    }

    /// Takes the lock of `path` (creating the file) if it is free; `None` while another holder
    /// has it, so that the caller can refuse instead of waiting.
    pub fn try_acquire(path: &Path) -> Result<Option<FileLock>, IoError> {
        let file = open(path)?;
        let locked = file
            .try_lock_exclusive()
            .map_err(IoError::at(path, "locking"))?;
        Ok(locked.then(|| FileLock {
            file,
            path: path.to_owned(),
        }))
    }

    /// Replaces the lock file's content with `holder` (say, a pid and a command), so that a
    /// process refused by [`FileLock::try_acquire`] can tell who has the lock
    /// ([`FileLock::holder`]).
    pub fn name_holder(&mut self, holder: &str) -> Result<(), IoError> {
        self.file
            .set_len(0)
            .and_then(|()| self.file.rewind())
            .and_then(|()| self.file.write_all(holder.as_bytes()))
            .map_err(IoError::at(&self.path, "writing the lock holder"))
    }

    /// What the holder of the lock of `path` wrote with [`FileLock::name_holder`]; empty when
    /// it wrote nothing (yet) or the file cannot be read.
    pub fn holder(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_default()
    }
}

fn open(path: &Path) -> Result<File, IoError> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(IoError::at(path, "creating the lock file"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let first = FileLock::acquire(&path).unwrap();
        assert!(FileLock::try_acquire(&path).unwrap().is_none());
        drop(first);
        let second = FileLock::try_acquire(&path).unwrap();
        assert!(second.is_some());
        assert!(FileLock::try_acquire(&path).unwrap().is_none());
    }

    #[test]
    fn an_unusable_path_is_named() {
        let err = FileLock::acquire(Path::new("/nonexistent/dir/x.lock")).unwrap_err();
        assert!(
            err.to_string().contains("creating the lock file failed"),
            "{err}"
        );
    }
}
