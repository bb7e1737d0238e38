//! Verified bytes waiting for their final name: the `.part` file of a download, or a
//! temporary copy of a mirror directory's file; persisted or discarded after the hash check.
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use prefbench_io::{persist, rename_durably, temp_file_beside};
use sha2::{Digest, Sha256};

use crate::error::DatasetError;

/// A verified download waiting for its final name: the `.part` file or a temporary file.
pub(super) enum Staged {
    Part(PathBuf),
    Temp(tempfile::NamedTempFile),
}

impl Staged {
    pub(super) fn path(&self) -> &Path {
        match self {
            Staged::Part(p) => p,
            Staged::Temp(t) => t.path(),
        }
    }

    pub(super) fn discard(self) {
        if let Staged::Part(p) = self {
            let _ = fs::remove_file(p);
        } // a temporary file removes itself when dropped
    }

    pub(super) fn persist(self, path: &Path) -> Result<(), DatasetError> {
        match self {
            Staged::Part(p) => Ok(rename_durably(&p, path)?),
            Staged::Temp(t) => Ok(persist(t, path)?),
        }
    }
}

/// A hint for the error message when the body looks like an HTML page.
pub(super) fn html_hint(part: &Path) -> &'static str {
    let mut head = [0u8; 64];
    let n = File::open(part)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let text = String::from_utf8_lossy(&head[..n])
        .trim_start()
        .to_ascii_lowercase();
    if text.starts_with("<!doctype") || text.starts_with("<html") {
        "; the server sent an HTML page (an error or login page served with status 200): check the URL, or download the file by hand and use --mirror DIR"
    } else {
        "; the file at that address has changed or is corrupt: use --mirror with a good copy"
    }
}

/// Copies a mirror directory's file into a temporary file beside its final name `dest`,
/// hashing it and stopping at the cap.
pub(super) fn copy_from_dir(
    src: &Path,
    dest: &Path,
    cap: u64,
    basis: &'static str,
) -> Result<(tempfile::NamedTempFile, String), DatasetError> {
    let mut input = File::open(src).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => DatasetError::MirrorMissing {
            path: src.to_path_buf(),
        },
        _ => DatasetError::io("opening the mirror file", src)(e),
    })?;
    let mut out = temp_file_beside(dest)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut copied = 0u64;
    loop {
        let n = input
            .read(&mut buf)
            .map_err(DatasetError::io("reading", src))?;
        if n == 0 {
            break;
        }
        copied += n as u64;
        if copied > cap {
            return Err(DatasetError::TooLarge {
                url: src.display().to_string(),
                cap,
                basis,
            });
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(DatasetError::io("writing", out.path()))?;
    }
    Ok((out, hex::encode(hasher.finalize())))
}
