//! Verified, resumable downloads into the cache, in two layers (as in pooch): pure decisions,
//! unit-tested on their own ([`decision::decide`]: use the cached copy, download, resume or refuse, given
//! the cache's state and the registry's entry; [`response::check_response`]: whether a response may be
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
mod decision;
mod fetch;
mod first_use;
mod http;
mod options;
mod response;
mod retry;
mod stage;
mod url;
mod verify;

pub use fetch::{fetch_dataset, fetch_file};
pub use first_use::{record_first_seen, reject_unverified};
pub use options::{FetchOptions, Fetched, RetryPolicy};
pub use url::{check_url, redirect_allowed, Mirror};
pub use verify::verify_dataset;
