//! `data verify`: re-hashing cached files against their pinned or locked hashes, never
//! downloading.
use crate::cache::HashLock;
use crate::cache::{set_aside, with_suffix};
use crate::card::SourceFile;
use crate::error::DatasetError;
use crate::registry::{DatasetEntry, FileEntry};
use prefbench_io::FileLock;

use super::decision::{verdict, Verdict};
use super::fetch::expected_hash;
use super::{FetchOptions, Fetched};

/// Re-hashes the cached files of a dataset against their pinned or locked hashes, never
/// downloading. A corrupt file is moved aside to `<name>.corrupt` (not deleted, and not then
/// called missing); one error lists every file that is corrupt, missing or unverifiable.
pub fn verify_dataset(
    name: &str,
    entry: &DatasetEntry,
    opts: &FetchOptions,
) -> Result<Vec<Fetched>, DatasetError> {
    let lock = HashLock::new(&opts.cache);
    let mut ok = Vec::new();
    let mut problems = Vec::new();
    for archive in &entry.files {
        // An archive fetched member by member (its URL failed) is checked as those members.
        let files = if !opts.cached_path(name, &archive.name).is_file()
            && opts.members_cached(name, archive)
        {
            archive.members.iter().collect()
        } else {
            vec![archive]
        };
        for file in files {
            match verify_file(&lock, name, file, opts)? {
                Ok(fetched) => ok.push(fetched),
                Err(problem) => problems.push(problem),
            }
        }
    }
    if problems.is_empty() {
        return Ok(ok);
    }
    Err(DatasetError::Verify {
        dataset: name.to_string(),
        failed: problems.len(),
        total: ok.len() + problems.len(),
        problems: format!(
            "{}; run `prefbench data fetch {name}` to download what is missing or corrupt",
            problems.join("; ")
        ),
    })
}

/// Re-hashes one cached file: `Ok(Ok(file))` when it matches, `Ok(Err(problem))` when it is
/// missing, unverifiable or corrupt (moved aside), `Err` when the check itself fails.
fn verify_file(
    lock: &HashLock,
    name: &str,
    file: &FileEntry,
    opts: &FetchOptions,
) -> Result<Result<Fetched, String>, DatasetError> {
    let expected = expected_hash(lock, name, file)?;
    let path = opts.cached_path(name, &file.name);
    let _guard = if path.is_file() {
        Some(FileLock::acquire(&with_suffix(&path, ".lock"))?)
    } else {
        None
    };
    let actual = if path.is_file() {
        Some(prefbench_io::sha256_file(&path)?)
    } else {
        None
    };
    Ok(match verdict(&expected, actual.as_deref()) {
        Verdict::Ok => Ok(Fetched {
            source: SourceFile {
                file: file.name.clone(),
                url: Some(file.url.clone()),
                sha256: actual.unwrap_or_default(),
                pinned: file.sha256.is_some(),
            },
            path,
            unverified: false,
        }),
        Verdict::Missing => Err(format!("{} is missing", file.name)),
        Verdict::Unverifiable => Err(format!(
            "{} has no pinned sha256 and no entry in datasets.lock yet, so nothing to check it against (its hash is recorded once `prefbench data prepare {name}` has parsed it)",
            file.name
        )),
        Verdict::Corrupt => {
            let moved = set_aside(&path)?;
            Err(format!(
                "{} is corrupt (sha256 {}, expected {}): moved aside to {}, kept for inspection",
                file.name,
                actual.unwrap_or_default(),
                expected.hash().unwrap_or_default(),
                moved.display()
            ))
        }
    })
}
