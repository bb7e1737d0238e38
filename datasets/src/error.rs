//! One error type for the crate: every variant a user can cause names the file, URL, line or
//! field involved and says what to do about it.
use std::path::PathBuf;

use prefbench_io::IoError;

/// Errors of fetching, verifying, parsing and preparing datasets.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("unknown dataset `{name}`; known datasets: {known}")]
    UnknownDataset { name: String, known: String },

    #[error("dataset registry: {0}")]
    Registry(String),

    // An [`IoError`] taken apart: its cause is `source`, printed after this text by `{:#}`
    // (anyhow's chain), so not repeated in it.
    #[error("{path}: {action} failed (check that the directory exists, is writable and has free space, or set PREFBENCH_CACHE / --cache to another directory)")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },

    #[error("{url}: HTTP status {status}; the file is not available there: check the URL, or use --mirror URL|DIR with a copy of the file")]
    HttpStatus { url: String, status: u16 },

    #[error("{url}: {message}; gave up after {attempts} attempts: check the network connection and try again, or use --mirror URL|DIR / --offline")]
    Network {
        url: String,
        message: String,
        attempts: u32,
    },

    #[error("{url}: not finished within {} s (the whole-file deadline, FetchOptions::deadline); the {received} bytes received are kept in {} and the next fetch resumes from there, or use --mirror URL|DIR", .deadline.as_secs(), .part.display())]
    Deadline {
        url: String,
        deadline: std::time::Duration,
        received: u64,
        part: PathBuf,
    },

    #[error("{url}: interrupted; the {received} bytes received are kept in {} and the next fetch resumes from there", .part.display())]
    Interrupted {
        url: String,
        received: u64,
        part: PathBuf,
    },

    #[error("{url}: the server's TLS certificate was refused ({message}); not retried: certificates of dataset hosts (GroupLens' among them) have expired before: get the files another way and pass --from DIR (the extracted members, where the dataset reads them) or --mirror URL|DIR (a copy of the same files); both are checked against the pinned sha256")]
    Tls { url: String, message: String },

    #[error("{path}: not in the --mirror directory; put the file there under the registry's name, or fetch without --mirror")]
    MirrorMissing { path: PathBuf },

    #[error("{url}: refused: {reason}; not retried: use an https URL, or --mirror URL|DIR with a copy of the file")]
    UnsafeUrl { url: String, reason: String },

    #[error("--mirror {mirror}: {reason}; a mirror is an https:// base URL, http://127.0.0.1 or http://localhost (for tests), or a local directory")]
    BadMirror { mirror: String, reason: String },

    #[error("{url}: the body is larger than {cap} bytes ({basis}); stopped at the cap and kept nothing: the server is not sending the expected file: check the URL, or use --mirror URL|DIR with a copy of the file")]
    TooLarge {
        url: String,
        cap: u64,
        basis: &'static str,
    },

    #[error("{url}: the server announces {announced} bytes but the registry says the file has {expected}; nothing was downloaded: the file there has changed or the URL is wrong: use --mirror URL|DIR with a good copy")]
    SizeMismatch {
        url: String,
        announced: u64,
        expected: u64,
    },

    #[error("{url}: {message}; nothing was kept: the server is misbehaving: try again later, or use --mirror URL|DIR with a copy of the file")]
    BadResponse { url: String, message: String },

    #[error("{file} from {origin}: sha256 {actual} does not match the expected {expected}; the file was discarded{hint}")]
    HashMismatch {
        file: String,
        origin: String,
        expected: String,
        actual: String,
        hint: &'static str,
    },

    #[error("{file}:{line}: {message}")]
    Parse {
        file: String,
        line: u64,
        message: String,
    },

    #[error("{file}: {message}")]
    BadInput { file: String, message: String },

    #[error("offline mode: {missing} not in the cache {cache}; run `prefbench data fetch {dataset}` with network access first (or use --mirror DIR)")]
    Offline {
        dataset: String,
        missing: String,
        cache: PathBuf,
    },

    #[error("{path}: the cached copy has sha256 {actual}, expected {expected}: it is corrupt; moved it aside to {moved} (kept for inspection, delete it when done); run `prefbench data fetch {dataset}` with network access to download it again (or use --mirror DIR)")]
    Corrupt {
        dataset: String,
        path: PathBuf,
        actual: String,
        expected: String,
        moved: PathBuf,
    },

    // No dataset name in front: the CLI's context ("verifying NAME") already gives it.
    #[error("{failed} of {total} cached files failed verification: {problems}")]
    Verify {
        dataset: String,
        failed: usize,
        total: usize,
        problems: String,
    },

    // The recipe's own error is `source`, printed after this text by `{:#}`.
    #[error("{files}: no pinned sha256 and no entry in datasets.lock yet, and the recipe failed on the downloaded bytes, so no hash was recorded; moved aside to {moved} so that the next fetch downloads them again (if it fails the same way, the server is not serving the real file: use --mirror DIR with a good copy)")]
    Unverified {
        files: String,
        moved: String,
        source: Box<DatasetError>,
    },

    #[error("--locked: {file} has no pinned sha256 and no entry in {lock}; run once without --locked to record its hash, then commit or keep that lock file")]
    Unlocked { file: String, lock: PathBuf },

    #[error("{0}")]
    Unsupported(String),

    #[error(transparent)]
    Synthetic(#[from] SyntheticError),
}

/// Why a synthetic configuration cannot produce valid samples (kept here, not in the
/// generator, so that this module depends on none of the modules that raise its errors).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SyntheticError {
    #[error("synthetic.{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

impl From<IoError> for DatasetError {
    fn from(e: IoError) -> Self {
        let IoError {
            path,
            action,
            source,
        } = e;
        DatasetError::Io {
            path,
            action,
            source,
        }
    }
}

impl DatasetError {
    /// Wraps an I/O error with the action (a gerund: "reading") and path that failed.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let wrap = IoError::at(path, action);
        move |source| wrap(source).into()
    }

    /// An input file that is not what its format promises.
    pub fn bad_input(file: impl ToString, message: impl ToString) -> Self {
        DatasetError::BadInput {
            file: file.to_string(),
            message: message.to_string(),
        }
    }

    /// An unreadable line of a text file.
    pub fn parse(file: impl ToString, line: u64, message: impl ToString) -> Self {
        DatasetError::Parse {
            file: file.to_string(),
            line,
            message: message.to_string(),
        }
    }
}

/// An error with its causes, each once (reqwest's and io's errors keep the interesting part,
/// e.g. "connection refused", in their sources).
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
