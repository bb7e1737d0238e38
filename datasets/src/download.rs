//! Verified, resumable downloads into the cache. A file reaches its final name only after its
//! sha256 matched (the registry's pin, or the lock file's first-seen hash); until then it is a
//! `.part` file that only a later download resumes from and that nothing else reads.
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::thread::sleep;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use reqwest::blocking::{Client, Response};
use reqwest::{header, redirect, StatusCode, Url};
use sha2::{Digest, Sha256};

use crate::cache::{ensure_dir, sha256_file, HashLock, LockGuard};
use crate::card::SourceFile;
use crate::error::DatasetError;
use crate::registry::{DatasetEntry, FileEntry};

/// How often and how patiently to retry connection errors and 5xx responses.
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

/// Where to get files instead of the registry's URLs: same file names, still verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mirror {
    Url(String),
    Dir(PathBuf),
}

impl Mirror {
    /// `http(s)://…` is a base URL, anything else a local directory.
    pub fn parse(s: &str) -> Mirror {
        if s.starts_with("https://") || s.starts_with("http://") {
            Mirror::Url(s.trim_end_matches('/').to_string())
        } else {
            Mirror::Dir(PathBuf::from(s))
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
}

impl FetchOptions {
    /// Defaults: the default cache directory, online, progress bars on.
    pub fn new(cache: PathBuf) -> Self {
        FetchOptions {
            cache,
            offline: false,
            mirror: None,
            locked: false,
            retry: RetryPolicy::default(),
            progress: true,
        }
    }

    /// Final path of a dataset's file in the cache.
    pub fn cached_path(&self, dataset: &str, file: &str) -> PathBuf {
        self.cache.join("downloads").join(dataset).join(file)
    }
}

/// A verified file in the cache.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub path: PathBuf,
    pub source: SourceFile,
}

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
            .filter(|f| !opts.cached_path(name, &f.name).is_file())
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
    entry
        .files
        .iter()
        .map(|f| fetch_file(name, f, opts))
        .collect()
}

/// Fetches one file unless a verified copy is cached.
pub fn fetch_file(
    dataset: &str,
    file: &FileEntry,
    opts: &FetchOptions,
) -> Result<Fetched, DatasetError> {
    let lock = HashLock::new(&opts.cache);
    let pinned = file.sha256.clone();
    let expected = match &pinned {
        Some(h) => Some(h.clone()),
        None => lock.get(dataset, &file.name)?,
    };
    if opts.locked && expected.is_none() {
        return Err(DatasetError::Unlocked {
            file: format!("{dataset}/{}", file.name),
            lock: lock.path().to_path_buf(),
        });
    }
    let path = opts.cached_path(dataset, &file.name);
    let dir = path.parent().expect("cached paths have a parent");
    ensure_dir(dir)?;
    let _guard = LockGuard::acquire(&path.with_extension("lock"))?;
    let fetched = |sha256: String, url: Option<String>| Fetched {
        path: path.clone(),
        source: SourceFile {
            file: file.name.clone(),
            url,
            sha256,
            pinned: pinned.is_some(),
        },
    };
    if path.is_file() {
        let actual = sha256_file(&path)?;
        match &expected {
            Some(e) if *e != actual => {
                fs::remove_file(&path).map_err(DatasetError::io(
                    "cannot remove the corrupt cached file",
                    &path,
                ))?;
                tracing::warn!(
                    "{}: cached copy had sha256 {actual}, expected {e}; removed it",
                    path.display()
                );
            }
            Some(_) => return Ok(fetched(actual, Some(file.url.clone()))),
            None => {
                lock.record(dataset, &file.name, &actual)?;
                return Ok(fetched(actual, Some(file.url.clone())));
            }
        }
    }
    if opts.offline {
        return Err(DatasetError::Offline {
            dataset: dataset.to_string(),
            missing: file.name.clone(),
            cache: dir.to_path_buf(),
        });
    }
    let part = path.with_extension("part");
    let (actual, origin) = match &opts.mirror {
        Some(Mirror::Dir(d)) => (
            copy_from_dir(&d.join(&file.name), &part)?,
            d.join(&file.name).display().to_string(),
        ),
        _ => download_any(&urls(file, opts), &part, file.size, opts)?,
    };
    if let Some(e) = &expected {
        if *e != actual {
            let hint = html_hint(&part);
            let _ = fs::remove_file(&part);
            return Err(DatasetError::HashMismatch {
                file: file.name.clone(),
                origin,
                expected: e.clone(),
                actual,
                hint,
            });
        }
    } else {
        lock.record(dataset, &file.name, &actual)?;
    }
    fs::rename(&part, &path).map_err(DatasetError::io("cannot rename into place", &path))?;
    Ok(fetched(actual, Some(origin)))
}

/// Re-hashes the cached files of a dataset against their expected hashes.
pub fn verify_dataset(
    name: &str,
    entry: &DatasetEntry,
    opts: &FetchOptions,
) -> Result<Vec<Fetched>, DatasetError> {
    let offline = FetchOptions {
        offline: true,
        ..opts.clone()
    };
    fetch_dataset(name, entry, &offline)
}

fn urls(file: &FileEntry, opts: &FetchOptions) -> Vec<String> {
    match &opts.mirror {
        Some(Mirror::Url(base)) => vec![format!("{base}/{}", file.name)],
        _ => std::iter::once(&file.url)
            .chain(&file.mirrors)
            .cloned()
            .collect(),
    }
}

/// A hint for the error message when the body looks like an HTML page.
fn html_hint(part: &Path) -> &'static str {
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

fn copy_from_dir(src: &Path, part: &Path) -> Result<String, DatasetError> {
    let mut input =
        File::open(src).map_err(DatasetError::io("cannot open the mirror file", src))?;
    let mut out = File::create(part).map_err(DatasetError::io("cannot create", part))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = input
            .read(&mut buf)
            .map_err(DatasetError::io("cannot read", src))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(DatasetError::io("cannot write", part))?;
    }
    out.sync_all()
        .map_err(DatasetError::io("cannot write", part))?;
    Ok(hex::encode(hasher.finalize()))
}

/// Whether a URL may be fetched: https, or plain http to the loopback interface (tests).
fn url_allowed(url: &Url) -> bool {
    url.scheme() == "https"
        || (url.scheme() == "http"
            && matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")))
}

fn client() -> Result<Client, DatasetError> {
    // reqwest is built without a default crypto provider (no aws-lc / cmake): use ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .redirect(redirect::Policy::custom(|a| {
            if a.previous().len() >= 10 {
                a.error("more than 10 redirects")
            } else if url_allowed(a.url()) {
                a.follow()
            } else {
                a.error("a redirect may not leave https")
            }
        }))
        .connect_timeout(Duration::from_secs(30))
        .timeout(None)
        .user_agent(concat!("prefbench/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| DatasetError::Unsupported(format!("cannot build the HTTP client: {e}")))
}

/// Tries each URL in turn; returns the sha256 of the complete `.part` file and its origin.
fn download_any(
    urls: &[String],
    part: &Path,
    size: Option<u64>,
    opts: &FetchOptions,
) -> Result<(String, String), DatasetError> {
    let client = client()?;
    let mut last = None;
    for url in urls {
        match download(&client, url, part, size, opts) {
            Ok(hash) => return Ok((hash, url.clone())),
            Err(e @ (DatasetError::HttpStatus { .. } | DatasetError::Network { .. })) => {
                tracing::warn!("{e}");
                last = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| DatasetError::Registry("a file has no URL".into())))
}

enum Attempt {
    Done(String),
    Retry(String),
}

fn download(
    client: &Client,
    url: &str,
    part: &Path,
    size: Option<u64>,
    opts: &FetchOptions,
) -> Result<String, DatasetError> {
    let parsed = Url::parse(url).map_err(|e| DatasetError::UnsafeUrl {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    if !url_allowed(&parsed) {
        return Err(DatasetError::UnsafeUrl {
            url: url.to_string(),
            reason: "only https URLs are fetched".into(),
        });
    }
    let bar = if opts.progress {
        let bar = ProgressBar::new(size.unwrap_or(0));
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style);
        }
        bar.set_message(url.rsplit('/').next().unwrap_or(url).to_string());
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut delay = opts.retry.initial_delay;
    let mut failure = String::new();
    for attempt in 1..=opts.retry.attempts.max(1) {
        if attempt > 1 {
            tracing::info!("{url}: {failure}; retrying in {delay:?} (attempt {attempt})");
            sleep(delay);
            delay = (delay * 2).min(opts.retry.max_delay);
        }
        match try_once(client, url, part, &bar)? {
            Attempt::Done(hash) => {
                bar.finish_and_clear();
                return Ok(hash);
            }
            Attempt::Retry(why) => failure = why,
        }
    }
    bar.abandon();
    Err(DatasetError::Network {
        url: url.to_string(),
        message: failure,
        attempts: opts.retry.attempts.max(1),
    })
}

/// One request, resuming from the `.part` file's length when there is one.
fn try_once(
    client: &Client,
    url: &str,
    part: &Path,
    bar: &ProgressBar,
) -> Result<Attempt, DatasetError> {
    let offset = fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    let mut request = client.get(url);
    if offset > 0 {
        request = request.header(header::RANGE, format!("bytes={offset}-"));
    }
    let response = match request.send() {
        Ok(r) => r,
        Err(e) => return Ok(Attempt::Retry(format!("request failed: {e}"))),
    };
    let status = response.status();
    let resume = match status {
        StatusCode::PARTIAL_CONTENT if offset > 0 => true,
        StatusCode::OK => false,
        StatusCode::RANGE_NOT_SATISFIABLE => {
            let _ = fs::remove_file(part);
            return Ok(Attempt::Retry(
                "the server refused to resume; starting over".into(),
            ));
        }
        s if s.is_server_error() => return Ok(Attempt::Retry(format!("HTTP status {s}"))),
        s => {
            return Err(DatasetError::HttpStatus {
                url: url.to_string(),
                status: s.as_u16(),
            })
        }
    };
    let start = if resume { offset } else { 0 };
    let (mut file, mut hasher) = open_part(part, start)?;
    bar.set_length(start + response.content_length().unwrap_or(0));
    bar.set_position(start);
    match stream(response, &mut file, &mut hasher, part, bar)? {
        Some(why) => Ok(Attempt::Retry(why)),
        None => {
            file.sync_all()
                .map_err(DatasetError::io("cannot write", part))?;
            Ok(Attempt::Done(hex::encode(hasher.finalize())))
        }
    }
}

/// Opens the `.part` file to append from `start`, with a hasher fed its first `start` bytes.
fn open_part(part: &Path, start: u64) -> Result<(File, Sha256), DatasetError> {
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(part)
        .map_err(DatasetError::io("cannot create", part))?;
    file.set_len(start)
        .map_err(DatasetError::io("cannot write", part))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut (&mut file).take(start), &mut hasher)
        .map_err(DatasetError::io("cannot read", part))?;
    file.seek(SeekFrom::End(0))
        .map_err(DatasetError::io("cannot seek", part))?;
    Ok((file, hasher))
}

/// Copies the body while hashing; `Some(reason)` when the connection broke (retry and resume).
fn stream(
    mut response: Response,
    file: &mut File,
    hasher: &mut Sha256,
    part: &Path,
    bar: &ProgressBar,
) -> Result<Option<String>, DatasetError> {
    let expected = response.content_length();
    let mut received = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match response.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                return Ok(Some(format!(
                    "connection broken after {received} bytes: {e}"
                )))
            }
        };
        file.write_all(&buf[..n])
            .map_err(DatasetError::io("cannot write", part))?;
        hasher.update(&buf[..n]);
        received += n as u64;
        bar.inc(n as u64);
    }
    Ok(match expected {
        Some(len) if received < len => {
            Some(format!("connection closed after {received} of {len} bytes"))
        }
        _ => None,
    })
}
