//! One HTTP request and its body: the client (redirect policy, timeouts), the checked
//! response, and the body streamed into the `.part` file while hashing, under the size cap.
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use reqwest::blocking::{Client, Response};
use reqwest::{header, redirect};
use sha2::{Digest, Sha256};

use crate::cache::remove_if_exists;
use crate::error::{chain, DatasetError};
use crate::registry::FileEntry;

use super::response::{check_response, Failure, Plan, RequestState, ResponseHead};
use super::{redirect_allowed, FetchOptions};

/// The HTTP client: redirects checked by [`redirect_allowed`], connect and read timeouts.
pub(super) fn client(opts: &FetchOptions) -> Result<Client, DatasetError> {
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

/// How one attempt ended: the complete file's sha256, why to retry (resuming), or stopped by
/// [`FetchOptions::stop`] (the bytes so far kept).
pub(super) enum Attempt {
    Done(String),
    Retry(String),
    Stopped,
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

/// One file's transfer from one URL, over its attempts: what every request needs, and what
/// the earlier requests learnt (the total size a server announced).
pub(super) struct Transfer<'a> {
    pub client: &'a Client,
    pub url: &'a str,
    pub part: &'a Path,
    pub file: &'a FileEntry,
    pub opts: &'a FetchOptions,
    pub bar: &'a ProgressBar,
    /// When the whole file must be in: a body still streaming then stops.
    pub deadline: Instant,
    /// The file's total size as an earlier response of this transfer announced it, which a
    /// resumed response must agree with.
    pub seen_total: Option<u64>,
}

impl Transfer<'_> {
    /// One request, resuming from the `.part` file's length when there is one, that stops
    /// reading at the deadline.
    pub(super) fn try_once(&mut self) -> Result<Attempt, DatasetError> {
        let Transfer {
            client,
            url,
            part,
            file,
            opts,
            bar,
            deadline,
            ..
        } = *self;
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
            // An expired or untrusted certificate stays so: no retry, a way out instead.
            Err(e) if certificate_refused(&e) => {
                return Err(DatasetError::Tls {
                    url: url.to_string(),
                    message: chain(&e.without_url()),
                })
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
            seen_total: self.seen_total,
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
            self.seen_total = total;
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
            deadline,
            opts,
        };
        match body.stream(response, &mut out, &mut hasher, part, bar)? {
            Some(_) if opts.stopped() => Ok(Attempt::Stopped),
            Some(why) => Ok(Attempt::Retry(why)),
            None => {
                out.sync_all().map_err(DatasetError::io("writing", part))?;
                Ok(Attempt::Done(hex::encode(hasher.finalize())))
            }
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
    /// When the whole file's time is up: reading stops there (the bytes so far kept).
    deadline: Instant,
    /// Whose `stop` ends reading too.
    opts: &'a FetchOptions,
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
            if Instant::now() >= self.deadline {
                return Ok(Some(format!(
                    "the deadline passed after {} bytes of the body",
                    have - self.start
                )));
            }
            if self.opts.stopped() {
                return Ok(Some("stopped".into()));
            }
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

/// Whether `e` (or an error it wraps, io errors included) is rustls refusing the server's
/// certificate.
pub(super) fn certificate_refused(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(err) = next {
        let inner = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        for candidate in [Some(err), inner].into_iter().flatten() {
            if let Some(tls) = candidate.downcast_ref::<rustls::Error>() {
                if matches!(
                    tls,
                    rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
                ) {
                    return true;
                }
            }
        }
        next = err.source();
    }
    false
}

#[cfg(test)]
mod certificate_tests {
    use super::*;

    /// An expired certificate, wrapped in an io error as hyper's connector wraps it, is
    /// recognised; other failures are not.
    #[test]
    fn expired_certificate_is_recognised() {
        let expired = rustls::Error::InvalidCertificate(rustls::CertificateError::Expired);
        let wrapped = std::io::Error::new(std::io::ErrorKind::InvalidData, expired);
        assert!(certificate_refused(&wrapped));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(!certificate_refused(&refused));
        let text = DatasetError::Tls {
            url: "https://files.grouplens.org/x.zip".into(),
            message: wrapped.to_string(),
        }
        .to_string();
        assert!(
            text.contains("--from DIR") && text.contains("--mirror"),
            "{text}"
        );
        assert!(text.contains("expired"), "{text}");
    }
}
