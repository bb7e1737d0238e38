//! Attempts with exponential backoff, resuming the `.part` file, over each URL in turn.
use std::fs;
use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use reqwest::blocking::Client;
use reqwest::Url;

use crate::error::DatasetError;
use crate::registry::FileEntry;

use super::http::{client, Attempt, Transfer};
use super::{check_url, FetchOptions};

/// Tries each URL in turn; returns the sha256 of the complete `.part` file and its origin.
pub(super) fn download_any(
    urls: &[String],
    part: &Path,
    file: &FileEntry,
    opts: &FetchOptions,
) -> Result<(String, String), DatasetError> {
    let client = client(opts)?;
    let deadline = Instant::now() + opts.deadline;
    let mut last = None;
    for url in urls {
        match download(&client, url, part, file, opts, deadline) {
            Ok(hash) => return Ok((hash, url.clone())),
            Err(
                e @ (DatasetError::HttpStatus { .. }
                | DatasetError::Network { .. }
                | DatasetError::Tls { .. }),
            ) => {
                tracing::warn!("{e}");
                last = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| DatasetError::Registry("a file has no URL".into())))
}

/// Downloads `url` into `part` with up to `opts.retry.attempts` attempts, each resuming where
/// the last stopped, until `deadline`; returns the sha256 of the complete file. A failure that
/// retrying cannot cure discards the partial file; running out of attempts or time keeps it
/// for the next fetch.
fn download(
    client: &Client,
    url: &str,
    part: &Path,
    file: &FileEntry,
    opts: &FetchOptions,
    deadline: Instant,
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
    let mut transfer = Transfer {
        client,
        url,
        part,
        file,
        opts,
        bar: &bar,
        deadline,
        seen_total: None,
    };
    let attempts = opts.retry.attempts.max(1);
    let interrupted = || {
        bar.abandon();
        DatasetError::Interrupted {
            url: url.to_string(),
            received: fs::metadata(part).map_or(0, |m| m.len()),
            part: part.to_path_buf(),
        }
    };
    for attempt in 1..=attempts {
        if attempt > 1 {
            tracing::info!("{url}: {failure}; retrying in {delay:?} (attempt {attempt})");
            if !wait(delay, opts) {
                return Err(interrupted());
            }
            delay = (delay * 2).min(opts.retry.max_delay);
        }
        match transfer.try_once() {
            Ok(Attempt::Done(hash)) => {
                bar.finish_and_clear();
                return Ok(hash);
            }
            Ok(Attempt::Stopped) => return Err(interrupted()),
            Ok(Attempt::Retry(why)) => failure = why,
            Err(e) => {
                bar.abandon();
                // Whatever went wrong, the bytes so far are not to be resumed from.
                let _ = fs::remove_file(part);
                return Err(e);
            }
        }
        if Instant::now() >= deadline {
            bar.abandon();
            return Err(DatasetError::Deadline {
                url: url.to_string(),
                deadline: opts.deadline,
                received: fs::metadata(part).map_or(0, |m| m.len()),
                part: part.to_path_buf(),
            });
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

/// Sleeps for `delay` unless [`FetchOptions::stop`] is set first (checked every 50 ms);
/// returns whether the whole delay passed.
fn wait(delay: Duration, opts: &FetchOptions) -> bool {
    let until = Instant::now() + delay;
    while !opts.stopped() {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        sleep(left.min(Duration::from_millis(50)));
    }
    false
}
