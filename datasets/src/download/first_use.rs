//! Trust on first use of files that the registry does not pin: their hash is recorded in
//! `datasets.lock` only once their recipe has parsed them, and they are moved aside when it
//! could not.
use std::path::Path;

use crate::cache::{set_aside, HashLock};
use crate::error::{chain, DatasetError};

use super::Fetched;

/// Records the first-seen hash of every [`Fetched::unverified`] file in `datasets.lock`; to be
/// called once the recipe has parsed them. A different hash recorded meanwhile is an error.
pub fn record_first_seen(
    cache: &Path,
    dataset: &str,
    fetched: &[Fetched],
) -> Result<(), DatasetError> {
    let lock = HashLock::new(cache);
    for f in fetched.iter().filter(|f| f.unverified) {
        match lock.get(dataset, &f.source.file)? {
            None => lock.record(dataset, &f.source.file, &f.source.sha256)?,
            Some(h) if h == f.source.sha256 => {}
            Some(h) => {
                return Err(DatasetError::HashMismatch {
                    file: f.source.file.clone(),
                    origin: f.path.display().to_string(),
                    expected: h,
                    actual: f.source.sha256.clone(),
                    hint: "; another process recorded a different hash in datasets.lock meanwhile: delete the file and fetch it again",
                })
            }
        }
    }
    Ok(())
}

/// The recipe could not read the inputs: moves every [`Fetched::unverified`] one aside to
/// `<name>.corrupt` (nothing vouches for it, so it is the suspect, and keeping it would fail the
/// same way on every run) and wraps `err` to say so; other errors come back unchanged.
pub fn reject_unverified(fetched: &[Fetched], err: DatasetError) -> DatasetError {
    let suspects: Vec<&Fetched> = fetched.iter().filter(|f| f.unverified).collect();
    if suspects.is_empty() {
        return err;
    }
    let moved: Vec<String> = suspects
        .iter()
        .map(|f| match set_aside(&f.path) {
            Ok(m) => m.display().to_string(),
            Err(e) => format!("(could not move {}: {})", f.path.display(), chain(&e)),
        })
        .collect();
    let files: Vec<&str> = suspects.iter().map(|f| f.source.file.as_str()).collect();
    DatasetError::Unverified {
        files: files.join(", "),
        moved: moved.join(", "),
        source: Box::new(err),
    }
}
