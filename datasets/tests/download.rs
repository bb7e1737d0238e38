//! Downloads against the scripted loopback server of `support` (never the internet):
//! verification, resuming, retries, the lock file and shared caches.
use std::path::Path;
use std::time::Duration;

use prefbench_datasets::{
    fetch_file, record_first_seen, DatasetError, FetchOptions, FileEntry, Mirror, RetryPolicy,
};

mod support;
use support::{serve, sha, Reply};

fn entry(url: String, sha256: Option<String>) -> FileEntry {
    FileEntry {
        name: "data.json.gz".into(),
        url,
        mirrors: vec![],
        sha256,
        size: None,
        members: vec![],
    }
}

fn options(cache: &Path) -> FetchOptions {
    FetchOptions {
        retry: RetryPolicy {
            attempts: 3,
            initial_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        },
        progress: false,
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(2),
        ..FetchOptions::new(cache.to_path_buf())
    }
}

fn body() -> Vec<u8> {
    (0..100_000u32).flat_map(|i| i.to_le_bytes()).collect()
}

/// Nothing but the lock files may remain beside a refused download.
fn assert_nothing_trusted(opts: &FetchOptions) {
    let path = opts.cached_path("d", "data.json.gz");
    assert!(
        !path.exists(),
        "an unverified file was left at {}",
        path.display()
    );
}

#[test]
fn downloads_verifies_and_then_uses_the_cache() {
    let b = body();
    let server = serve(vec![Reply::Body(b.clone())]);
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let file = entry(format!("{}/data.json.gz", server.base), Some(sha(&b)));
    let got = fetch_file("d", &file, &opts).unwrap();
    assert_eq!(std::fs::read(&got.path).unwrap(), b);
    // The server is gone: the second call must be served by the cache.
    let again = fetch_file(
        "d",
        &file,
        &FetchOptions {
            offline: true,
            ..opts
        },
    )
    .unwrap();
    assert_eq!(again.source.sha256, sha(&b));
}

#[test]
fn wrong_hash_is_refused_and_not_cached() {
    let server = serve(vec![Reply::Body(b"other bytes".to_vec())]);
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let url = format!("{}/data.json.gz", server.base);
    let err = fetch_file("d", &entry(url.clone(), Some("0".repeat(64))), &opts).unwrap_err();
    assert!(matches!(err, DatasetError::HashMismatch { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains(&url) && msg.contains("data.json.gz") && msg.contains("--mirror"),
        "{msg}"
    );
    assert_nothing_trusted(&opts);
    assert_eq!(
        server.requests.lock().unwrap().len(),
        1,
        "hash mismatches are never retried"
    );
}

#[test]
fn html_page_with_200_gets_a_hint() {
    let page = b"<!DOCTYPE html><html><body>Sign in</body></html>".to_vec();
    let server = serve(vec![Reply::Body(page)]);
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let err = fetch_file(
        "d",
        &entry(format!("{}/f", server.base), Some(sha(&body()))),
        &opts,
    )
    .unwrap_err();
    assert!(err.to_string().contains("HTML page"), "{err}");
    assert_nothing_trusted(&opts);
}

#[test]
fn dropped_connection_resumes_with_range() {
    let b = body();
    let server = serve(vec![Reply::Cut(b.clone(), 150_000), Reply::Body(b.clone())]);
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let got = fetch_file(
        "d",
        &entry(format!("{}/f", server.base), Some(sha(&b))),
        &opts,
    )
    .unwrap();
    assert_eq!(std::fs::read(&got.path).unwrap(), b);
    let requests = server.requests.lock().unwrap();
    assert_eq!(requests.len(), 2);
    assert!(
        requests[1]
            .to_ascii_lowercase()
            .contains("range: bytes=150000-"),
        "{}",
        requests[1]
    );
}

#[test]
fn truncated_body_is_retried_then_refused() {
    let b = body();
    let cut = Reply::Cut(b.clone(), 10);
    // A server that ignores Range and always cuts: every attempt fails, nothing is trusted.
    let server = serve(vec![cut.clone(), cut.clone(), cut]);
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let err = fetch_file(
        "d",
        &entry(format!("{}/f", server.base), Some(sha(&b))),
        &opts,
    )
    .unwrap_err();
    assert!(
        matches!(err, DatasetError::Network { attempts: 3, .. }),
        "{err}"
    );
    assert_nothing_trusted(&opts);
}

#[test]
fn server_error_then_success() {
    let b = body();
    let server = serve(vec![
        Reply::Status(500),
        Reply::Status(503),
        Reply::Body(b.clone()),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let got = fetch_file(
        "d",
        &entry(format!("{}/f", server.base), Some(sha(&b))),
        &options(dir.path()),
    )
    .unwrap();
    assert_eq!(got.source.sha256, sha(&b));
}

#[test]
fn not_found_is_not_retried() {
    let server = serve(vec![Reply::Status(404), Reply::Status(404)]);
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let url = format!("{}/missing.gz", server.base);
    let err = fetch_file("d", &entry(url.clone(), Some(sha(b"x"))), &opts).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{url}: HTTP status 404; the file is not available there: check the URL, or use --mirror URL|DIR with a copy of the file")
    );
    assert_eq!(server.requests.lock().unwrap().len(), 1);
    assert_nothing_trusted(&opts);
}

#[test]
fn unpinned_files_are_locked_on_first_download() {
    let b = body();
    let server = serve(vec![
        Reply::Body(b.clone()),
        Reply::Body(b"changed".to_vec()),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let file = entry(format!("{}/f", server.base), None);
    let locked = FetchOptions {
        locked: true,
        ..opts.clone()
    };
    assert!(fetch_file("d", &file, &locked)
        .unwrap_err()
        .to_string()
        .contains("--locked"));
    let first = fetch_file("d", &file, &opts).unwrap();
    assert!(!first.source.pinned && first.unverified);
    // Nothing vouches for the bytes until their recipe has parsed them: not locked yet.
    assert!(!dir.path().join("datasets.lock").exists());
    assert!(fetch_file("d", &file, &locked).is_err());
    record_first_seen(dir.path(), "d", std::slice::from_ref(&first)).unwrap();
    assert!(!fetch_file("d", &file, &locked).unwrap().unverified);
    std::fs::remove_file(&first.path).unwrap();
    // The server now serves different bytes: the lock file's hash refuses them.
    let err = fetch_file("d", &file, &locked).unwrap_err();
    assert!(matches!(err, DatasetError::HashMismatch { .. }), "{err}");
    assert_nothing_trusted(&opts);
}

#[test]
fn mirror_dir_offline_and_unsafe_urls() {
    let b = body();
    let dir = tempfile::tempdir().unwrap();
    let mirror = tempfile::tempdir().unwrap();
    std::fs::write(mirror.path().join("data.json.gz"), &b).unwrap();
    let opts = options(dir.path());
    let file = entry("https://example.invalid/data.json.gz".into(), Some(sha(&b)));
    let offline = FetchOptions {
        offline: true,
        ..opts.clone()
    };
    let err = fetch_file("d", &file, &offline).unwrap_err().to_string();
    assert!(
        err.starts_with("offline mode: data.json.gz not in the cache"),
        "{err}"
    );
    let with_mirror = FetchOptions {
        mirror: Some(Mirror::parse(mirror.path().to_str().unwrap()).unwrap()),
        ..opts.clone()
    };
    assert_eq!(
        fetch_file("d", &file, &with_mirror).unwrap().source.sha256,
        sha(&b)
    );
    let plain_http = entry("http://example.invalid/data.json.gz".into(), Some(sha(&b)));
    let other = tempfile::tempdir().unwrap();
    let err = fetch_file("d", &plain_http, &options(other.path())).unwrap_err();
    assert!(matches!(err, DatasetError::UnsafeUrl { .. }), "{err}");
}

#[test]
fn unusable_cache_dir_is_reported() {
    // Tests may run as root, for whom permission bits do not apply: a regular file where the
    // cache directory should be fails the same way for everyone.
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("cache");
    std::fs::write(&not_a_dir, "").unwrap();
    let err = fetch_file(
        "d",
        &entry("https://example.invalid/f".into(), None),
        &options(&not_a_dir),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("cache") && msg.contains("PREFBENCH_CACHE"),
        "{msg}"
    );
}

#[test]
fn two_processes_share_a_cache() {
    let b = body();
    let server = serve(vec![Reply::Body(b.clone()), Reply::Body(b.clone())]);
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let file = entry(format!("{}/f", server.base), Some(sha(&b)));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (file, opts) = (file.clone(), opts.clone());
            std::thread::spawn(move || fetch_file("d", &file, &opts).unwrap())
        })
        .collect();
    for h in handles {
        assert_eq!(std::fs::read(h.join().unwrap().path).unwrap(), b);
    }
    assert_eq!(
        server.requests.lock().unwrap().len(),
        1,
        "the lock makes the second wait for the first"
    );
}
