//! Verified, resumable downloads into the cache, in two layers (as in pooch): pure decisions,
//! unit-tested on their own ([`decide`]: use the cached copy, download, resume or refuse, given
//! the cache's state and the registry's entry; [`check_response`]: whether a response may be
//! written and from which byte; [`redirect_allowed`], [`check_url`], [`Mirror::parse`]), and
//! the I/O that carries them out.
//!
//! A download is written to `<name>.part`, which only a later download resumes from (after its
//! `Content-Range` was checked) and nothing else reads; it is renamed to its final name once its
//! sha256 matched the registry's pin or the hash recorded in `datasets.lock`. A file with
//! neither reaches its final name marked [`Fetched::unverified`]: its hash goes into
//! `datasets.lock` only once its recipe has parsed it ([`record_first_seen`], called by
//! `prepare`), so an error page served with status 200 is never trusted on first use. Every
//! request has connect and read timeouts, every body a size cap.
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::thread::sleep;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use reqwest::blocking::{Client, Response};
use reqwest::{header, redirect, Url};
use sha2::{Digest, Sha256};

use prefbench_io::{persist, rename_durably, temp_file_beside, FileLock};

use crate::cache::{ensure_dir, set_aside, sha256_file, with_suffix, HashLock};
use crate::card::SourceFile;
use crate::error::DatasetError;
use crate::registry::{DatasetEntry, FileEntry};

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

/// Where to get files instead of the registry's URLs: same file names, still verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mirror {
    /// A base URL without a trailing `/`: https, or plain http on the loopback interface.
    Url(String),
    Dir(PathBuf),
}

impl Mirror {
    /// The one parser of `--mirror`: `https://…` (or `http://127.0.0.1…` / `http://localhost…`,
    /// for tests) is a base URL; anything with another scheme (`ftp://…`, `file://…`, plain
    /// `http://` elsewhere) is refused; anything without a scheme is a local directory.
    pub fn parse(s: &str) -> Result<Mirror, DatasetError> {
        let refuse = |reason: String| DatasetError::BadMirror {
            mirror: s.to_string(),
            reason,
        };
        if s.trim().is_empty() {
            return Err(refuse("empty".into()));
        }
        let Some((scheme, _)) = s.split_once("://").filter(|(p, _)| is_scheme(p)) else {
            return Ok(Mirror::Dir(PathBuf::from(s)));
        };
        if scheme.eq_ignore_ascii_case("file") {
            return Err(refuse(
                "file:// URLs are not accepted: give the directory's path itself".into(),
            ));
        }
        let url = Url::parse(s).map_err(|e| refuse(format!("not a valid URL ({e})")))?;
        check_url(&url).map_err(refuse)?;
        Ok(Mirror::Url(s.trim_end_matches('/').to_string()))
    }
}

impl FromStr for Mirror {
    type Err = DatasetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mirror::parse(s)
    }
}

/// Whether `p` is a URL scheme (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`).
fn is_scheme(p: &str) -> bool {
    let mut chars = p.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Whether a URL may be fetched: https, or plain http to the loopback interface (tests);
/// `Err` says why not.
pub fn check_url(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "https" => Err("the URL has no host".into()),
        "http" if is_loopback(url) => Ok(()),
        "http" => {
            Err("plain http is accepted only for 127.0.0.1 and localhost (tests); use https".into())
        }
        other => Err(format!(
            "the `{other}` scheme is not supported; only https is"
        )),
    }
}

/// `Url` normalises hosts (`127.1` → `127.0.0.1`, `LOCALHOST` → `localhost`, `[0::1]` →
/// `[::1]`), so comparing strings is exact.
fn is_loopback(url: &Url) -> bool {
    matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
}

/// The redirect policy: at most 10 hops, each to an allowed URL ([`check_url`]), and never
/// from https down to plain http (even on loopback). `Err` is the reason shown to the user.
pub fn redirect_allowed(previous: &[Url], next: &Url) -> Result<(), String> {
    if previous.len() >= 10 {
        return Err(format!("more than 10 redirects (the last to {next})"));
    }
    check_url(next).map_err(|why| format!("redirected to {next}: {why}"))?;
    if next.scheme() == "http" && previous.iter().any(|u| u.scheme() == "https") {
        return Err(format!("redirected from https down to plain http ({next})"));
    }
    Ok(())
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
    /// Size cap of files whose registry entry has no `size` (those with one are capped at it
    /// exactly): a longer body stops there with an error.
    pub max_size: u64,
}

/// Default [`FetchOptions::max_size`]: 4 GiB; the largest file of the registry (Steam's
/// reviews) is about 1.3 GB.
pub const DEFAULT_MAX_SIZE: u64 = 4 << 30;

impl FetchOptions {
    /// Defaults: online, progress bars on, 30 s to connect, 60 s without data ends an attempt,
    /// files of unknown size capped at [`DEFAULT_MAX_SIZE`].
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
            max_size: DEFAULT_MAX_SIZE,
        }
    }

    /// Final path of a dataset's file in the cache.
    pub fn cached_path(&self, dataset: &str, file: &str) -> PathBuf {
        self.cache.join("downloads").join(dataset).join(file)
    }

    /// The size cap of `file` and what it rests on.
    fn cap(&self, file: &FileEntry) -> (u64, &'static str) {
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

// ---------------------------------------------------------------------------------------------
// Pure decisions
// ---------------------------------------------------------------------------------------------

/// The hash a file must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// The registry's sha256.
    Pinned(String),
    /// First seen and recorded in `datasets.lock`.
    Locked(String),
    /// Neither: the first download is trusted once its recipe has parsed it.
    Unknown,
}

impl Expected {
    pub fn hash(&self) -> Option<&str> {
        match self {
            Expected::Pinned(h) | Expected::Locked(h) => Some(h),
            Expected::Unknown => None,
        }
    }
}

/// What is on disk for one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheState {
    /// sha256 of the file at its final name, when there is one.
    pub cached: Option<String>,
    /// Length of the `.part` file of an interrupted download (0: none).
    pub partial: u64,
}

/// What [`fetch_file`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The cached copy matches its expected hash, or there is none to check it against
    /// (`unverified`).
    UseCached {
        unverified: bool,
    },
    /// Download, resuming after the first `resume_from` bytes of the `.part` file (0: from
    /// scratch, discarding it). `set_aside`: the cached copy is corrupt; move it to
    /// `<name>.corrupt` first.
    Download {
        resume_from: u64,
        set_aside: bool,
    },
    Refuse(Refusal),
}

/// Why [`fetch_file`] does nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `--locked`, and the file is neither pinned nor locked.
    Unlocked,
    /// `--offline`, and the file is not cached.
    Offline,
    /// `--offline`, and the cached copy has the wrong hash (it is moved aside).
    CorruptOffline { actual: String },
}

/// What to do with one file, given what the registry and lock expect, what the cache holds,
/// `--offline`, `--locked` and the file's size cap.
pub fn decide(
    expected: &Expected,
    state: &CacheState,
    offline: bool,
    locked: bool,
    cap: u64,
) -> Action {
    if locked && *expected == Expected::Unknown {
        return Action::Refuse(Refusal::Unlocked);
    }
    // A `.part` as long as the cap is complete or oversized, never worth resuming.
    let resume_from = if state.partial < cap {
        state.partial
    } else {
        0
    };
    match (&state.cached, expected.hash()) {
        (Some(_), None) => Action::UseCached { unverified: true },
        (Some(actual), Some(e)) if actual == e => Action::UseCached { unverified: false },
        (Some(actual), Some(_)) if offline => Action::Refuse(Refusal::CorruptOffline {
            actual: actual.clone(),
        }),
        (Some(_), Some(_)) => Action::Download {
            resume_from,
            set_aside: true,
        },
        (None, _) if offline => Action::Refuse(Refusal::Offline),
        (None, _) => Action::Download {
            resume_from,
            set_aside: false,
        },
    }
}

/// What `data verify` says about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// The cached copy's hash differs from the expected one.
    Corrupt,
    Missing,
    /// Cached, but with nothing to check it against (not pinned, not yet locked).
    Unverifiable,
}

/// The verdict on a cached file whose sha256 is `cached` (`None`: not cached).
pub fn verdict(expected: &Expected, cached: Option<&str>) -> Verdict {
    match (cached, expected.hash()) {
        (None, _) => Verdict::Missing,
        (Some(_), None) => Verdict::Unverifiable,
        (Some(a), Some(e)) if a == e => Verdict::Ok,
        (Some(_), Some(_)) => Verdict::Corrupt,
    }
}

/// The headers of a response that [`check_response`] looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHead<'a> {
    pub status: u16,
    pub content_range: Option<&'a str>,
    pub content_length: Option<u64>,
}

/// What the request knew before the response came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestState {
    /// Bytes already in the `.part` file, asked for with `Range: bytes=<offset>-` when > 0.
    pub offset: u64,
    /// The registry's exact size.
    pub size: Option<u64>,
    /// The full size announced by an earlier response for this download.
    pub seen_total: Option<u64>,
    pub cap: u64,
}

/// What to do with a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Write the body after the first `start` bytes of the `.part` file (0: truncate it);
    /// `total`: the full file's size when known.
    Write { start: u64, total: Option<u64> },
    /// The `.part` file cannot be continued from this response: discard it and start over
    /// (never splice).
    Restart(String),
    /// A transient failure: retry after the backoff, resuming.
    Retry(String),
    /// Give up on this URL.
    Fail(Failure),
}

/// Why [`check_response`] gives up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Status(u16),
    /// The announced size differs from the registry's.
    SizeMismatch {
        announced: u64,
    },
    /// The announced size exceeds the cap.
    TooLarge {
        announced: u64,
    },
    /// The server broke HTTP's rules.
    Protocol(String),
}

/// `bytes <first>-<last>/<total>` (`total` may be `*`), per RFC 9110 §14.4.
pub fn parse_content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (first, last) = range.trim().split_once('-')?;
    let (first, last) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    (first <= last && total.is_none_or(|t| last < t)).then_some((first, last, total))
}

/// Checks a response against the request: a 200 must announce the registry's size (when
/// known) and no more than the cap; a 206 must answer exactly the resume offset, run to the end
/// of the file and agree on the file's total size, else the `.part` file is restarted.
pub fn check_response(req: &RequestState, head: &ResponseHead) -> Plan {
    match head.status {
        200 => {
            let announced = head.content_length;
            if let (Some(a), Some(s)) = (announced, req.size) {
                if a != s {
                    return Plan::Fail(Failure::SizeMismatch { announced: a });
                }
            }
            if let Some(a) = announced.filter(|&a| a > req.cap) {
                return Plan::Fail(Failure::TooLarge { announced: a });
            }
            Plan::Write {
                start: 0,
                total: announced.or(req.size),
            }
        }
        206 if req.offset == 0 => Plan::Fail(Failure::Protocol(
            "206 Partial Content to a request without Range".into(),
        )),
        206 => check_partial(req, head),
        416 => Plan::Restart(format!(
            "the server refused to resume from byte {} (416)",
            req.offset
        )),
        s if (500..600).contains(&s) => Plan::Retry(format!("HTTP status {s}")),
        s => Plan::Fail(Failure::Status(s)),
    }
}

fn check_partial(req: &RequestState, head: &ResponseHead) -> Plan {
    let raw = head.content_range.unwrap_or("");
    let restart = |why: String| {
        Plan::Restart(format!(
            "the server answered the resume from byte {} with Content-Range `{raw}`: {why}",
            req.offset
        ))
    };
    let Some((first, last, total)) = parse_content_range(raw) else {
        return restart("not a valid byte range".into());
    };
    if first != req.offset {
        return restart(format!("it starts at byte {first}"));
    }
    let known = req.size.or(req.seen_total);
    let total = match (total, known) {
        (Some(t), Some(k)) if t != k => {
            return restart(format!("the file's total is {k} bytes, not {t}"))
        }
        (t, k) => t.or(k),
    };
    if let Some(t) = total {
        if last + 1 != t {
            return restart(format!("it ends before the file's end ({t} bytes)"));
        }
        if t > req.cap {
            return Plan::Fail(Failure::TooLarge { announced: t });
        }
    }
    if let Some(len) = head.content_length.filter(|&l| l != last + 1 - first) {
        return restart(format!(
            "the body has {len} bytes, not {}",
            last + 1 - first
        ));
    }
    Plan::Write {
        start: first,
        total,
    }
}

// ---------------------------------------------------------------------------------------------
// I/O
// ---------------------------------------------------------------------------------------------

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

fn expected_hash(
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
            Some(sha256_file(&path)?)
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
    for file in &entry.files {
        let expected = expected_hash(&lock, name, file)?;
        let path = opts.cached_path(name, &file.name);
        let _guard = if path.is_file() {
            Some(FileLock::acquire(&with_suffix(&path, ".lock"))?)
        } else {
            None
        };
        let actual = if path.is_file() {
            Some(sha256_file(&path)?)
        } else {
            None
        };
        match verdict(&expected, actual.as_deref()) {
            Verdict::Ok => ok.push(Fetched {
                source: SourceFile {
                    file: file.name.clone(),
                    url: Some(file.url.clone()),
                    sha256: actual.unwrap_or_default(),
                    pinned: file.sha256.is_some(),
                },
                path,
                unverified: false,
            }),
            Verdict::Missing => problems.push(format!("{} is missing", file.name)),
            Verdict::Unverifiable => problems.push(format!(
                "{} has no pinned sha256 and no entry in datasets.lock yet, so nothing to check it against (its hash is recorded once `prefbench data prepare {name}` has parsed it)",
                file.name
            )),
            Verdict::Corrupt => {
                let moved = set_aside(&path)?;
                problems.push(format!(
                    "{} is corrupt (sha256 {}, expected {}): moved aside to {}, kept for inspection",
                    file.name,
                    actual.unwrap_or_default(),
                    expected.hash().unwrap_or_default(),
                    moved.display()
                ));
            }
        }
    }
    if problems.is_empty() {
        return Ok(ok);
    }
    Err(DatasetError::Verify {
        dataset: name.to_string(),
        failed: problems.len(),
        total: entry.files.len(),
        problems: format!(
            "{}; run `prefbench data fetch {name}` to download what is missing or corrupt",
            problems.join("; ")
        ),
    })
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

fn remove_if_exists(path: &Path) -> Result<(), DatasetError> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(DatasetError::io("removing", path)(e))
        }
        _ => Ok(()),
    }
}

/// An error with its causes, each once (reqwest's and io's errors keep the interesting part,
/// e.g. "connection refused", in their sources).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
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

/// A verified download waiting for its final name: the `.part` file or a temporary file.
enum Staged {
    Part(PathBuf),
    Temp(tempfile::NamedTempFile),
}

impl Staged {
    fn path(&self) -> &Path {
        match self {
            Staged::Part(p) => p,
            Staged::Temp(t) => t.path(),
        }
    }

    fn discard(self) {
        if let Staged::Part(p) = self {
            let _ = fs::remove_file(p);
        } // a temporary file removes itself when dropped
    }

    fn persist(self, path: &Path) -> Result<(), DatasetError> {
        match self {
            Staged::Part(p) => Ok(rename_durably(&p, path)?),
            Staged::Temp(t) => Ok(persist(t, path)?),
        }
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

/// Copies a mirror directory's file into a temporary file beside its final name `dest`,
/// hashing it and stopping at the cap.
fn copy_from_dir(
    src: &Path,
    dest: &Path,
    cap: u64,
    basis: &'static str,
) -> Result<(tempfile::NamedTempFile, String), DatasetError> {
    let mut input = File::open(src).map_err(DatasetError::io("opening the mirror file", src))?;
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

fn client(opts: &FetchOptions) -> Result<Client, DatasetError> {
    // reqwest is built without a default crypto provider (no aws-lc / cmake): use ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .redirect(redirect::Policy::custom(|a| {
            match redirect_allowed(a.previous(), a.url()) {
                Ok(()) => a.follow(),
                Err(why) => a.error(why),
            }
        }))
        .connect_timeout(opts.connect_timeout)
        // In reqwest's blocking client this bounds the wait for the response headers and then
        // each read of the body: a read timeout, not a deadline for the whole file.
        .timeout(opts.read_timeout)
        .user_agent(concat!("prefbench/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            DatasetError::Unsupported(format!("cannot build the HTTP client: {}", chain(&e)))
        })
}

/// Tries each URL in turn; returns the sha256 of the complete `.part` file and its origin.
fn download_any(
    urls: &[String],
    part: &Path,
    file: &FileEntry,
    opts: &FetchOptions,
) -> Result<(String, String), DatasetError> {
    let client = client(opts)?;
    let mut last = None;
    for url in urls {
        match download(&client, url, part, file, opts) {
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

/// A readable duration: `200 ms`, `60 s`.
struct Secs(Duration);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.0.subsec_nanos() == 0 {
            write!(f, "{} s", self.0.as_secs())
        } else {
            write!(f, "{} ms", self.0.as_millis())
        }
    }
}

fn download(
    client: &Client,
    url: &str,
    part: &Path,
    file: &FileEntry,
    opts: &FetchOptions,
) -> Result<String, DatasetError> {
    let parsed = Url::parse(url).map_err(|e| DatasetError::UnsafeUrl {
        url: url.to_string(),
        reason: format!("not a valid URL ({e})"),
    })?;
    check_url(&parsed).map_err(|reason| DatasetError::UnsafeUrl {
        url: url.to_string(),
        reason,
    })?;
    let bar = if opts.progress {
        let bar = ProgressBar::new(file.size.unwrap_or(0));
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
    let mut seen_total = None;
    let attempts = opts.retry.attempts.max(1);
    for attempt in 1..=attempts {
        if attempt > 1 {
            tracing::info!("{url}: {failure}; retrying in {delay:?} (attempt {attempt})");
            sleep(delay);
            delay = (delay * 2).min(opts.retry.max_delay);
        }
        match try_once(client, url, part, file, opts, &mut seen_total, &bar) {
            Ok(Attempt::Done(hash)) => {
                bar.finish_and_clear();
                return Ok(hash);
            }
            Ok(Attempt::Retry(why)) => failure = why,
            Err(e) => {
                bar.abandon();
                // Whatever went wrong, the bytes so far are not to be resumed from.
                let _ = fs::remove_file(part);
                return Err(e);
            }
        }
    }
    bar.abandon();
    match fs::metadata(part).map(|m| m.len()) {
        Ok(0) => {
            let _ = fs::remove_file(part);
        }
        Ok(n) => failure.push_str(&format!(
            "; the {n} bytes received are kept in {} and the next fetch resumes from there",
            part.display()
        )),
        Err(_) => {}
    }
    Err(DatasetError::Network {
        url: url.to_string(),
        message: failure,
        attempts,
    })
}

/// One request, resuming from the `.part` file's length when there is one.
fn try_once(
    client: &Client,
    url: &str,
    part: &Path,
    file: &FileEntry,
    opts: &FetchOptions,
    seen_total: &mut Option<u64>,
    bar: &ProgressBar,
) -> Result<Attempt, DatasetError> {
    let (cap, basis) = opts.cap(file);
    let offset = fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    let mut request = client.get(url);
    if offset > 0 {
        request = request.header(header::RANGE, format!("bytes={offset}-"));
    }
    let response = match request.send() {
        Ok(r) => r,
        // A refused redirect (or an unusable Location) would be refused again: no retry.
        Err(e) if e.is_redirect() || e.is_builder() => {
            let reason = std::error::Error::source(&e)
                .map(|s| s.to_string())
                .unwrap_or_else(|| e.to_string());
            return Err(DatasetError::UnsafeUrl {
                url: url.to_string(),
                reason,
            });
        }
        Err(e) if e.is_timeout() && e.is_connect() => {
            return Ok(Attempt::Retry(format!(
                "no connection within {} (the connect timeout)",
                Secs(opts.connect_timeout)
            )))
        }
        Err(e) if e.is_timeout() => {
            return Ok(Attempt::Retry(format!(
                "no response within {} (the read timeout)",
                Secs(opts.read_timeout)
            )))
        }
        Err(e) => {
            return Ok(Attempt::Retry(format!(
                "request failed: {}",
                chain(&e.without_url())
            )))
        }
    };
    let text = |h: header::HeaderName| {
        response
            .headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_range = text(header::CONTENT_RANGE);
    let head = ResponseHead {
        status: response.status().as_u16(),
        content_range: content_range.as_deref(),
        content_length: response.content_length(),
    };
    let req = RequestState {
        offset,
        size: file.size,
        seen_total: *seen_total,
        cap,
    };
    let (start, total) = match check_response(&req, &head) {
        Plan::Write { start, total } => (start, total),
        Plan::Restart(why) => {
            remove_if_exists(part)?;
            return Ok(Attempt::Retry(format!(
                "{why}; discarded the partial file to start over"
            )));
        }
        Plan::Retry(why) => return Ok(Attempt::Retry(why)),
        Plan::Fail(Failure::Status(status)) => {
            return Err(DatasetError::HttpStatus {
                url: url.to_string(),
                status,
            })
        }
        Plan::Fail(Failure::SizeMismatch { announced }) => {
            return Err(DatasetError::SizeMismatch {
                url: url.to_string(),
                announced,
                expected: file.size.unwrap_or_default(),
            })
        }
        Plan::Fail(Failure::TooLarge { .. }) => {
            return Err(DatasetError::TooLarge {
                url: url.to_string(),
                cap,
                basis,
            });
        }
        Plan::Fail(Failure::Protocol(message)) => {
            return Err(DatasetError::BadResponse {
                url: url.to_string(),
                message,
            })
        }
    };
    if total.is_some() {
        *seen_total = total;
    }
    let (mut out, mut hasher) = open_part(part, start)?;
    bar.set_length(total.unwrap_or(start + response.content_length().unwrap_or(0)));
    bar.set_position(start);
    let body = Body {
        url,
        start,
        total,
        cap,
        basis,
        read_timeout: opts.read_timeout,
    };
    match body.stream(response, &mut out, &mut hasher, part, bar)? {
        Some(why) => Ok(Attempt::Retry(why)),
        None => {
            out.sync_all().map_err(DatasetError::io("writing", part))?;
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
        .map_err(DatasetError::io("creating", part))?;
    file.set_len(start)
        .map_err(DatasetError::io("writing", part))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut (&mut file).take(start), &mut hasher)
        .map_err(DatasetError::io("reading", part))?;
    file.seek(SeekFrom::End(0))
        .map_err(DatasetError::io("seeking", part))?;
    Ok((file, hasher))
}

/// What a body is expected to be.
struct Body<'a> {
    url: &'a str,
    /// Bytes already in the `.part` file.
    start: u64,
    total: Option<u64>,
    cap: u64,
    basis: &'static str,
    read_timeout: Duration,
}

impl Body<'_> {
    /// Copies the body while hashing; `Some(reason)` when the connection broke, stalled or
    /// closed early (retry and resume). A body beyond the cap is an error.
    fn stream(
        &self,
        mut response: Response,
        file: &mut File,
        hasher: &mut Sha256,
        part: &Path,
        bar: &ProgressBar,
    ) -> Result<Option<String>, DatasetError> {
        let mut have = self.start;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match response.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    let received = have - self.start;
                    let timed_out = e
                        .get_ref()
                        .and_then(|i| i.downcast_ref::<reqwest::Error>())
                        .is_some_and(reqwest::Error::is_timeout)
                        || e.kind() == std::io::ErrorKind::TimedOut;
                    return Ok(Some(if timed_out {
                        format!(
                            "no data for {} after {received} bytes of the body (the read timeout)",
                            Secs(self.read_timeout)
                        )
                    } else {
                        format!("connection broken after {received} bytes: {}", chain(&e))
                    }));
                }
            };
            if have + n as u64 > self.cap {
                return Err(DatasetError::TooLarge {
                    url: self.url.to_string(),
                    cap: self.cap,
                    basis: self.basis,
                });
            }
            file.write_all(&buf[..n])
                .map_err(DatasetError::io("writing", part))?;
            hasher.update(&buf[..n]);
            have += n as u64;
            bar.inc(n as u64);
        }
        Ok(match self.total {
            Some(total) if have < total => {
                Some(format!("connection closed after {} of {total} bytes", have))
            }
            Some(total) if have > total => {
                return Err(DatasetError::BadResponse {
                    url: self.url.to_string(),
                    message: format!("sent {have} bytes of a {total}-byte file"),
                })
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAP: u64 = 1000;

    fn pinned() -> Expected {
        Expected::Pinned("a".repeat(64))
    }

    fn state(cached: Option<&str>, partial: u64) -> CacheState {
        CacheState {
            cached: cached.map(str::to_string),
            partial,
        }
    }

    /// (expected, cached sha256, `.part` length, `--offline`, `--locked`) → action.
    type Row<'a> = (&'a Expected, Option<&'a str>, u64, bool, bool, Action);

    #[test]
    fn decisions_on_cache_state_and_registry_entry() {
        let (good, bad) = ("a".repeat(64), "b".repeat(64));
        let (pin, lock, none) = (pinned(), Expected::Locked(good.clone()), Expected::Unknown);
        let (g, b) = (Some(good.as_str()), Some(bad.as_str()));
        let dl = |resume_from, set_aside| Action::Download {
            resume_from,
            set_aside,
        };
        let ok = Action::UseCached { unverified: false };
        let unverified = Action::UseCached { unverified: true };
        let refuse = Action::Refuse;
        let corrupt = refuse(Refusal::CorruptOffline {
            actual: bad.clone(),
        });
        let cases: Vec<Row> = vec![
            (&pin, g, 0, false, false, ok.clone()),
            (&lock, g, 0, true, true, ok.clone()),
            (&none, b, 0, false, false, unverified),
            (&none, b, 0, false, true, refuse(Refusal::Unlocked)),
            (&none, None, 0, true, true, refuse(Refusal::Unlocked)),
            (&pin, b, 0, false, false, dl(0, true)),
            (&lock, b, 40, false, true, dl(40, true)),
            (&pin, b, 0, true, false, corrupt),
            (&pin, None, 0, true, false, refuse(Refusal::Offline)),
            (&pin, None, 0, false, false, dl(0, false)),
            (&pin, None, 999, false, false, dl(999, false)),
            // A `.part` as long as the cap (complete or oversized) is not resumed.
            (&pin, None, CAP, false, false, dl(0, false)),
            (&none, None, 5000, false, false, dl(0, false)),
        ];
        for (i, (expected, cached, partial, offline, locked, want)) in cases.into_iter().enumerate()
        {
            let got = decide(expected, &state(cached, partial), offline, locked, CAP);
            assert_eq!(got, want, "case {i}: {expected:?} {cached:?} {partial}");
        }
    }

    #[test]
    fn verdicts() {
        let h = "a".repeat(64);
        assert_eq!(verdict(&pinned(), Some(&h)), Verdict::Ok);
        assert_eq!(verdict(&pinned(), Some("x")), Verdict::Corrupt);
        assert_eq!(verdict(&pinned(), None), Verdict::Missing);
        assert_eq!(
            verdict(&Expected::Unknown, Some("x")),
            Verdict::Unverifiable
        );
        assert_eq!(verdict(&Expected::Unknown, None), Verdict::Missing);
    }

    #[test]
    fn content_range_parsing() {
        assert_eq!(
            parse_content_range("bytes 10-99/100"),
            Some((10, 99, Some(100)))
        );
        assert_eq!(parse_content_range("bytes 10-99/*"), Some((10, 99, None)));
        for bad in [
            "",
            "bytes */100",
            "items 1-2/3",
            "bytes 9-3/10",
            "bytes 0-10/10",
            "bytes a-b/c",
        ] {
            assert_eq!(parse_content_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn responses_are_checked_before_a_byte_is_written() {
        let req = |offset, size, seen_total| RequestState {
            offset,
            size,
            seen_total,
            cap: CAP,
        };
        let head = |status, content_range, content_length| ResponseHead {
            status,
            content_range,
            content_length,
        };
        let write = |start, total| Plan::Write { start, total };
        let restarts = |p: &Plan| matches!(p, Plan::Restart(_));
        // 200: from scratch; the registry's size and the cap are enforced up front.
        assert_eq!(
            check_response(&req(0, None, None), &head(200, None, None)),
            write(0, None)
        );
        assert_eq!(
            check_response(&req(50, Some(100), None), &head(200, None, Some(100))),
            write(0, Some(100))
        );
        assert_eq!(
            check_response(&req(0, Some(100), None), &head(200, None, Some(101))),
            Plan::Fail(Failure::SizeMismatch { announced: 101 })
        );
        assert_eq!(
            check_response(&req(0, None, None), &head(200, None, Some(CAP + 1))),
            Plan::Fail(Failure::TooLarge { announced: CAP + 1 })
        );
        // 206: exactly the resume offset to the end of the file of the known size.
        let ok = head(206, Some("bytes 40-99/100"), Some(60));
        assert_eq!(
            check_response(&req(40, Some(100), None), &ok),
            write(40, Some(100))
        );
        assert_eq!(
            check_response(&req(40, None, None), &ok),
            write(40, Some(100))
        );
        assert_eq!(
            check_response(
                &req(40, None, None),
                &head(206, Some("bytes 40-99/*"), None)
            ),
            write(40, None)
        );
        for (r, h) in [
            (
                req(40, None, None),
                head(206, Some("bytes 0-99/100"), Some(100)),
            ),
            (
                req(40, None, None),
                head(206, Some("bytes 41-99/100"), Some(59)),
            ),
            (req(40, Some(200), None), ok),
            (req(40, None, Some(200)), ok),
            (
                req(40, None, None),
                head(206, Some("bytes 40-79/100"), Some(40)),
            ),
            (
                req(40, None, None),
                head(206, Some("bytes 40-99/100"), Some(61)),
            ),
            (req(40, None, None), head(206, None, Some(60))),
            (req(40, None, None), head(206, Some("garbage"), Some(60))),
            (
                req(40, Some(100), None),
                head(206, Some("bytes 40-79/*"), Some(40)),
            ),
            (req(40, None, None), head(416, Some("bytes */40"), None)),
        ] {
            assert!(restarts(&check_response(&r, &h)), "{r:?} {h:?}");
        }
        assert_eq!(
            check_response(
                &req(40, None, None),
                &head(206, Some("bytes 40-4999/5000"), None)
            ),
            Plan::Fail(Failure::TooLarge { announced: 5000 })
        );
        assert!(matches!(
            check_response(&req(0, None, None), &ok),
            Plan::Fail(Failure::Protocol(_))
        ));
        assert!(matches!(
            check_response(&req(0, None, None), &head(503, None, None)),
            Plan::Retry(_)
        ));
        assert_eq!(
            check_response(&req(0, None, None), &head(404, None, None)),
            Plan::Fail(Failure::Status(404))
        );
    }

    #[test]
    fn urls_and_redirects() {
        let u = |s: &str| Url::parse(s).unwrap();
        for ok in [
            "https://example.org/x",
            "http://127.0.0.1:8080/x",
            "http://localhost/x",
            "http://[::1]:9/x",
        ] {
            assert_eq!(check_url(&u(ok)), Ok(()), "{ok}");
        }
        for bad in [
            "http://example.org/x",
            "http://127.0.0.2/x",
            "ftp://127.0.0.1/x",
            "file:///etc/passwd",
            "gopher://example.org/",
        ] {
            assert!(check_url(&u(bad)).is_err(), "{bad}");
        }
        let https = [u("https://example.org/a")];
        let local = [u("http://127.0.0.1:1/a")];
        assert_eq!(
            redirect_allowed(&https, &u("https://cdn.example.org/a")),
            Ok(())
        );
        assert_eq!(redirect_allowed(&local, &u("http://localhost:1/b")), Ok(()));
        let err = redirect_allowed(&https, &u("http://example.org/a")).unwrap_err();
        assert!(err.contains("plain http"), "{err}");
        let err = redirect_allowed(&https, &u("http://127.0.0.1/a")).unwrap_err();
        assert!(err.contains("from https down to plain http"), "{err}");
        let err = redirect_allowed(&local, &u("ftp://127.0.0.1/a")).unwrap_err();
        assert!(err.contains("`ftp` scheme"), "{err}");
        let many = vec![u("https://example.org/a"); 10];
        assert!(redirect_allowed(&many, &u("https://example.org/b"))
            .unwrap_err()
            .contains("more than 10 redirects"));
    }

    #[test]
    fn every_registry_url_may_be_fetched() {
        let registry = crate::registry::Registry::builtin().unwrap();
        for f in registry.datasets.values().flat_map(|d| &d.files) {
            for url in std::iter::once(&f.url).chain(&f.mirrors) {
                assert_eq!(check_url(&Url::parse(url).unwrap()), Ok(()), "{url}");
            }
        }
    }

    #[test]
    fn mirrors_are_parsed_in_one_place() {
        assert_eq!(
            Mirror::parse("https://m.example.org/data/").unwrap(),
            Mirror::Url("https://m.example.org/data".into())
        );
        assert_eq!(
            Mirror::parse("http://127.0.0.1:8000").unwrap(),
            Mirror::Url("http://127.0.0.1:8000".into())
        );
        assert_eq!(
            Mirror::parse("/srv/copies").unwrap(),
            Mirror::Dir(PathBuf::from("/srv/copies"))
        );
        assert_eq!(
            "relative/dir".parse::<Mirror>().unwrap(),
            Mirror::Dir(PathBuf::from("relative/dir"))
        );
        for (bad, says) in [
            ("ftp://example.org/pub", "`ftp` scheme"),
            ("http://example.org/", "plain http"),
            ("file:///srv/copies", "directory's path"),
            ("HTTPS://", "not a valid URL"),
            ("", "empty"),
        ] {
            let err = Mirror::parse(bad).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("--mirror {bad}: ")) && err.contains(says),
                "{err}"
            );
        }
    }
}
