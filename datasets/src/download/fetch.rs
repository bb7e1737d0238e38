//! Fetching one file or a dataset: hashes what the cache holds, asks [`decide`] what to do,
//! and carries it out (from a mirror directory or over HTTP), verifying before the final
//! rename.
use std::fs;

use crate::cache::{ensure_dir, remove_if_exists, set_aside, with_suffix, HashLock};
use crate::card::SourceFile;
use crate::error::DatasetError;
use crate::registry::{DatasetEntry, FileEntry};
use prefbench_io::FileLock;

use super::decision::{decide, Action, CacheState, Expected, Refusal};
use super::retry::download_any;
use super::stage::{copy_from_dir, html_hint, Staged};
use super::{FetchOptions, Fetched, Mirror};

/// Fetches (or finds in the cache) and verifies every file of a dataset. Offline, all missing
/// files are listed in one error.
pub fn fetch_dataset(
    name: &str,
    entry: &DatasetEntry,
    opts: &FetchOptions,
) -> Result<Vec<Fetched>, DatasetError> {
    if opts.offline {
        let missing: Vec<&str> = entry
            .files
            .iter()
            .filter(|f| !opts.cached_path(name, &f.name).is_file() && !opts.members_cached(name, f))
            .map(|f| f.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(DatasetError::Offline {
                dataset: name.to_string(),
                missing: missing.join(", "),
                cache: opts.cache.join("downloads").join(name),
            });
        }
    }
    let mut fetched = Vec::new();
    for file in &entry.files {
        match fetch_file(name, file, opts) {
            Ok(f) => fetched.push(f),
            Err(e) if !file.members.is_empty() && falls_back(&e) => {
                fetched.extend(fetch_members(name, file, e, opts)?);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(fetched)
}

/// Whether a failure to fetch an archive is one its members, fetched one by one, may avoid:
/// anything about the server or the bytes it sent, not a local disk error nor a stop.
fn falls_back(e: &DatasetError) -> bool {
    !matches!(
        e,
        DatasetError::Io { .. } | DatasetError::Unlocked { .. } | DatasetError::Interrupted { .. }
    )
}

/// The members of `archive`, each fetched from its own URL and verified against its own pin,
/// after the archive itself failed with `failure`; when they fail too, the archive's error
/// stands (it says what to do), with theirs logged.
fn fetch_members(
    name: &str,
    archive: &FileEntry,
    failure: DatasetError,
    opts: &FetchOptions,
) -> Result<Vec<Fetched>, DatasetError> {
    let names: Vec<&str> = archive.members.iter().map(|m| m.name.as_str()).collect();
    tracing::warn!(
        "{failure}; fetching its members {} one by one instead (each checked against its own pinned sha256)",
        names.join(", ")
    );
    archive
        .members
        .iter()
        .map(|m| fetch_file(name, m, opts))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|member| {
            tracing::warn!("the members cannot be fetched either: {member}");
            failure
        })
}

/// The hash `file` must have: the registry's pin, else the one in `datasets.lock`, else none.
pub(super) fn expected_hash(
    lock: &HashLock,
    dataset: &str,
    file: &FileEntry,
) -> Result<Expected, DatasetError> {
    Ok(match &file.sha256 {
        Some(h) => Expected::Pinned(h.clone()),
        None => match lock.get(dataset, &file.name)? {
            Some(h) => Expected::Locked(h),
            None => Expected::Unknown,
        },
    })
}

/// Fetches one file unless a verified copy is cached.
pub fn fetch_file(
    dataset: &str,
    file: &FileEntry,
    opts: &FetchOptions,
) -> Result<Fetched, DatasetError> {
    let lock = HashLock::new(&opts.cache);
    let expected = expected_hash(&lock, dataset, file)?;
    let (cap, basis) = opts.cap(file);
    // Refusing --locked needs no look at the cache (whose files may be large to hash).
    if let Action::Refuse(Refusal::Unlocked) =
        decide(&expected, &CacheState::default(), false, opts.locked, cap)
    {
        return Err(DatasetError::Unlocked {
            file: format!("{dataset}/{}", file.name),
            lock: lock.path().to_path_buf(),
        });
    }
    let path = opts.cached_path(dataset, &file.name);
    let dir = path.parent().expect("cached paths have a parent");
    ensure_dir(dir)?;
    let _guard = FileLock::acquire(&with_suffix(&path, ".lock"))?;
    let part = with_suffix(&path, ".part");
    let state = CacheState {
        cached: if path.is_file() {
            Some(prefbench_io::sha256_file(&path)?)
        } else {
            None
        },
        partial: fs::metadata(&part).map(|m| m.len()).unwrap_or(0),
    };
    let fetched = |sha256: String, url: String, unverified: bool| Fetched {
        path: path.clone(),
        source: SourceFile {
            file: file.name.clone(),
            url: Some(url),
            sha256,
            pinned: file.sha256.is_some(),
        },
        unverified,
    };
    let resume_from = match decide(&expected, &state, opts.offline, opts.locked, cap) {
        Action::UseCached { unverified } => {
            let actual = state.cached.expect("decided on a cached file");
            return Ok(fetched(actual, file.url.clone(), unverified));
        }
        Action::Refuse(Refusal::Unlocked) => unreachable!("refused above"),
        Action::Refuse(Refusal::Offline) => {
            return Err(DatasetError::Offline {
                dataset: dataset.to_string(),
                missing: file.name.clone(),
                cache: dir.to_path_buf(),
            })
        }
        Action::Refuse(Refusal::CorruptOffline { actual }) => {
            return Err(DatasetError::Corrupt {
                dataset: dataset.to_string(),
                moved: set_aside(&path)?,
                path,
                actual,
                expected: expected.hash().unwrap_or_default().to_string(),
            })
        }
        Action::Download {
            resume_from,
            set_aside: corrupt,
        } => {
            if corrupt {
                let moved = set_aside(&path)?;
                tracing::warn!(
                    "{}: cached copy had sha256 {}, expected {}; moved it aside to {} and downloading it again",
                    path.display(),
                    state.cached.as_deref().unwrap_or_default(),
                    expected.hash().unwrap_or_default(),
                    moved.display()
                );
            }
            resume_from
        }
    };
    let (staged, actual, origin) = match &opts.mirror {
        Some(Mirror::Dir(d)) => {
            let src = d.join(&file.name);
            let (tmp, hash) = copy_from_dir(&src, &path, cap, basis)?;
            (Staged::Temp(tmp), hash, src.display().to_string())
        }
        _ => {
            if resume_from == 0 {
                remove_if_exists(&part)?;
            }
            let (hash, url) = download_any(&urls(file, opts), &part, file, opts)?;
            (Staged::Part(part.clone()), hash, url)
        }
    };
    if let Some(e) = expected.hash() {
        if e != actual {
            let hint = html_hint(staged.path());
            staged.discard();
            return Err(DatasetError::HashMismatch {
                file: file.name.clone(),
                origin,
                expected: e.to_string(),
                actual,
                hint,
            });
        }
    }
    staged.persist(&path)?;
    // A `.part` left by an earlier download from a URL is moot once a copy is in place.
    let _ = fs::remove_file(&part);
    Ok(fetched(actual, origin, expected == Expected::Unknown))
}

/// The URLs to try in turn: the mirror's, else the registry's URL and then its mirrors.
fn urls(file: &FileEntry, opts: &FetchOptions) -> Vec<String> {
    match &opts.mirror {
        Some(Mirror::Url(base)) => vec![format!("{base}/{}", file.name)],
        _ => std::iter::once(&file.url)
            .chain(&file.mirrors)
            .cloned()
            .collect(),
    }
}
