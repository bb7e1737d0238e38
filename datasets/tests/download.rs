//! Downloads against a scripted HTTP server on 127.0.0.1 that injects faults; never the
//! internet. Each server answers a fixed list of connections and then stops by itself.
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prefbench_datasets::download::{
    fetch_file, record_first_seen, FetchOptions, Mirror, RetryPolicy,
};
use prefbench_datasets::registry::FileEntry;
use prefbench_datasets::DatasetError;
use sha2::{Digest, Sha256};

/// What the server does with one connection.
#[derive(Clone)]
enum Reply {
    /// Serves the body (206 from the requested offset when a Range header came), sending only
    /// `cut` bytes of it before dropping the connection when `cut` is set.
    Body {
        body: Vec<u8>,
        cut: Option<usize>,
    },
    Status(u16),
}

struct Server {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

fn serve(replies: Vec<Reply>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = requests.clone();
    std::thread::spawn(move || {
        listener.set_nonblocking(true).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        for reply in replies {
            let stream = loop {
                match listener.accept() {
                    Ok((stream, _)) => break stream,
                    Err(_) if std::time::Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    Err(_) => return,
                }
            };
            stream.set_nonblocking(false).unwrap();
            let head = read_head(&stream);
            log.lock().unwrap().push(head.clone());
            answer(stream, &head, reply);
        }
    });
    Server { base, requests }
}

fn read_head(stream: &TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            return head;
        }
        head.push_str(&line);
    }
}

fn answer(mut s: TcpStream, head: &str, reply: Reply) {
    let _ = match reply {
        Reply::Status(code) => write!(
            s,
            "HTTP/1.1 {code} X\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno!"
        ),
        Reply::Body { body, cut } => {
            let range = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("range: bytes=")
                        .map(|r| r.trim_end_matches('-').to_string())
                })
                .and_then(|r| r.parse::<usize>().ok());
            let (status, start) = match range {
                Some(start) => (
                    format!(
                        "206 Partial Content\r\nContent-Range: bytes {start}-{}/{}",
                        body.len() - 1,
                        body.len()
                    ),
                    start,
                ),
                None => ("200 OK".to_string(), 0),
            };
            let rest = &body[start..];
            let sent = &rest[..cut.unwrap_or(rest.len()).min(rest.len())];
            write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                rest.len()
            )
            .and_then(|()| s.write_all(sent))
        }
    };
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn entry(url: String, sha256: Option<String>) -> FileEntry {
    FileEntry {
        name: "data.json.gz".into(),
        url,
        mirrors: vec![],
        sha256,
        size: None,
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
    let server = serve(vec![Reply::Body {
        body: b.clone(),
        cut: None,
    }]);
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
    let server = serve(vec![Reply::Body {
        body: b"other bytes".to_vec(),
        cut: None,
    }]);
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
    let server = serve(vec![Reply::Body {
        body: page,
        cut: None,
    }]);
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
    let server = serve(vec![
        Reply::Body {
            body: b.clone(),
            cut: Some(150_000),
        },
        Reply::Body {
            body: b.clone(),
            cut: None,
        },
    ]);
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
    let cut = Reply::Body {
        body: b.clone(),
        cut: Some(10),
    };
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
        Reply::Body {
            body: b.clone(),
            cut: None,
        },
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
        Reply::Body {
            body: b.clone(),
            cut: None,
        },
        Reply::Body {
            body: b"changed".to_vec(),
            cut: None,
        },
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
    let server = serve(vec![
        Reply::Body {
            body: b.clone(),
            cut: None,
        },
        Reply::Body {
            body: b.clone(),
            cut: None,
        },
    ]);
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
