//! What a fetch may do (the CLI's `--cache`, `--offline`, `--mirror`, `--locked`, retries,
//! timeouts, size caps) and what it returns.
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::card::SourceFile;
use crate::registry::FileEntry;

use super::Mirror;

/// How often and how patiently to retry connection errors, timeouts and 5xx responses.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: u32,
    /// Delay before the second attempt; doubles for each further one.
    pub initial_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// Options of fetching (the CLI's `--cache`, `--offline`, `--mirror`, `--locked`).
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub cache: PathBuf,
    pub offline: bool,
    pub mirror: Option<Mirror>,
    /// Refuse files whose hash is neither pinned nor recorded in `datasets.lock`.
    pub locked: bool,
    pub retry: RetryPolicy,
    pub progress: bool,
    /// Longest wait for a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest wait for the response headers (connecting included), and then for each further
    /// piece of the body: a server that stalls fails the attempt (retried, resuming) instead of
    /// hanging. Not a deadline for the whole file, whose length the size cap bounds.
    pub read_timeout: Duration,
    /// Longest time one file may take over all its attempts and URLs: a server that trickles
    /// bytes just fast enough to beat `read_timeout` ends here instead of holding a run for
    /// days. The bytes received are kept, and the next fetch resumes from them.
    pub deadline: Duration,
    /// Size cap of files whose registry entry has no `size` (those with one are capped at it
    /// exactly): a longer body stops there with an error.
    pub max_size: u64,
    /// Set (by the caller's SIGINT handler) to stop: a download checks it after every piece of
    /// the body and between attempts, and ends with [`DatasetError::Interrupted`], keeping the
    /// bytes received for the next fetch.
    ///
    /// [`DatasetError::Interrupted`]: crate::DatasetError::Interrupted
    pub stop: Option<&'static AtomicBool>,
}

/// Default [`FetchOptions::max_size`]: 4 GiB; the largest file of the registry (Steam's
/// reviews) is about 1.3 GB.
pub const DEFAULT_MAX_SIZE: u64 = 4 << 30;

/// Default [`FetchOptions::deadline`]: 2 hours, the registry's largest file (about 1.3 GB) at
/// 180 kB/s.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(2 * 3600);

impl FetchOptions {
    /// Defaults: online, progress bars on, 30 s to connect, 60 s without data ends an attempt,
    /// [`DEFAULT_DEADLINE`] for a whole file, files of unknown size capped at
    /// [`DEFAULT_MAX_SIZE`].
    pub fn new(cache: PathBuf) -> Self {
        FetchOptions {
            cache,
            offline: false,
            mirror: None,
            locked: false,
            retry: RetryPolicy::default(),
            progress: true,
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(60),
            deadline: DEFAULT_DEADLINE,
            max_size: DEFAULT_MAX_SIZE,
            stop: None,
        }
    }

    /// Whether [`FetchOptions::stop`] was set.
    pub(super) fn stopped(&self) -> bool {
        self.stop.is_some_and(|s| s.load(Ordering::SeqCst))
    }

    /// Final path of a dataset's file in the cache.
    pub fn cached_path(&self, dataset: &str, file: &str) -> PathBuf {
        self.cache.join("downloads").join(dataset).join(file)
    }

    /// Whether `archive` is stood in for by its members in the cache: it has members, and
    /// every one of them is cached (they were fetched one by one when the archive failed).
    pub(super) fn members_cached(&self, dataset: &str, archive: &FileEntry) -> bool {
        !archive.members.is_empty()
            && archive
                .members
                .iter()
                .all(|m| self.cached_path(dataset, &m.name).is_file())
    }

    /// The size cap of `file` and what it rests on.
    pub(super) fn cap(&self, file: &FileEntry) -> (u64, &'static str) {
        match file.size {
            Some(s) => (s, "the registry's size of this file"),
            None => (
                self.max_size,
                "the bound for files of unknown size, FetchOptions::max_size",
            ),
        }
    }
}

/// A file in the cache.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub path: PathBuf,
    pub source: SourceFile,
    /// No pinned sha256 and none in `datasets.lock` yet: nothing vouches for these bytes until
    /// their recipe has parsed them; then [`record_first_seen`] records the hash.
    pub unverified: bool,
}
