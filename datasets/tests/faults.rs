//! The fault suite: a scripted HTTP server on 127.0.0.1 that stalls, sends endless or
//! mis-ranged bodies, serves error pages with status 200 and redirects where it must not, and
//! what prefbench makes of each. Never the internet. Every server answers a fixed list of
//! connections and stops by itself (each stall and endless body has a deadline), every fetch
//! runs under a time limit, and every failure path is checked for leftovers in the cache.
use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use prefbench_datasets::{
    fetch_file, prepare_entry, verify_dataset, DatasetEntry, DatasetError, FetchOptions, Fetched,
    FileEntry, Mirror, PrepareOptions, Recipe, RecipeKind, RetryPolicy,
};

mod support;
use support::{range_start, serve, sha, Reply, Server, HOLD};

/// The read timeout of these tests.
const READ_TIMEOUT: Duration = Duration::from_millis(300);
/// The time limit of one fetch: a hang fails the test instead of blocking it.
const LIMIT: Duration = Duration::from_secs(10);

fn body() -> Vec<u8> {
    (0..50_000u32).flat_map(|i| i.to_le_bytes()).collect()
}

fn entry(url: String, sha256: Option<String>, size: Option<u64>) -> FileEntry {
    FileEntry {
        name: "data.json.gz".into(),
        url,
        mirrors: vec![],
        sha256,
        size,
        members: vec![],
    }
}

fn options(cache: &Path, attempts: u32) -> FetchOptions {
    FetchOptions {
        retry: RetryPolicy {
            attempts,
            initial_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        },
        progress: false,
        connect_timeout: Duration::from_secs(1),
        read_timeout: READ_TIMEOUT,
        max_size: 1 << 20,
        ..FetchOptions::new(cache.to_path_buf())
    }
}

/// Runs `f` on a thread and fails the test if it takes longer than [`LIMIT`].
fn within<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(LIMIT)
        .unwrap_or_else(|_| panic!("still running after {LIMIT:?}: a download hung"))
}

/// An error as anyhow's `{:#}` prints it: its message, then each source's.
fn chain(e: &dyn Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Files in `dir` (recursively), relative, with their lengths.
fn listing(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, p.metadata().unwrap().len()));
            }
        }
    }
    out.sort();
    out
}

/// After a failure: no file at its final name, no temporary files, no empty `.part`; only lock
/// files, a non-empty `.part` to resume from, and what `allowed` names.
fn assert_no_leftovers(cache: &Path, allowed: &[&str]) {
    for (name, len) in listing(cache) {
        let base = name.rsplit('/').next().unwrap();
        let ok = base.ends_with(".lock")
            || base == "datasets.lock.guard"
            || (base.ends_with(".part") && len > 0)
            || allowed.contains(&base);
        assert!(
            ok && !base.contains(".tmp") && !base.contains(".partial."),
            "left behind: {name} ({len} bytes); all: {:?}",
            listing(cache)
        );
    }
}

/// What a fault case must end with.
enum Expect {
    /// An error of this kind whose message contains these parts (`{url}`: the file's URL).
    Error(fn(&DatasetError) -> bool, &'static [&'static str]),
    /// The verified body, fetched with these requests' Range headers (`None`: no Range).
    Body(Vec<u8>, &'static [Option<usize>]),
}

struct Case {
    name: &'static str,
    replies: Vec<Reply>,
    sha256: Option<String>,
    size: Option<u64>,
    attempts: u32,
    expect: Expect,
    /// How many requests the server must have seen.
    requests: usize,
}

fn network(e: &DatasetError) -> bool {
    matches!(e, DatasetError::Network { .. })
}
fn too_large(e: &DatasetError) -> bool {
    matches!(e, DatasetError::TooLarge { .. })
}
fn unsafe_url(e: &DatasetError) -> bool {
    matches!(e, DatasetError::UnsafeUrl { .. })
}

fn cases() -> Vec<Case> {
    let b = body();
    let len = b.len() as u64;
    let pinned = Some(sha(&b));
    let case = |name, replies, attempts, expect, requests| Case {
        name,
        replies,
        sha256: pinned.clone(),
        size: None,
        attempts,
        expect,
        requests,
    };
    vec![
        case(
            "stall before the headers",
            vec![Reply::Mute, Reply::Mute],
            2,
            Expect::Error(network, &["{url}: no response within 300 ms (the read timeout)", "gave up after 2 attempts", "check the network connection"]),
            2,
        ),
        case(
            "stall after the headers",
            vec![Reply::Stall(b.clone(), 0), Reply::Stall(b.clone(), 0)],
            2,
            Expect::Error(network, &["{url}: no data for 300 ms after 0 bytes of the body (the read timeout)", "gave up after 2 attempts"]),
            2,
        ),
        case(
            "stall mid-body, resumed and stalled again",
            vec![Reply::Stall(b.clone(), 1000), Reply::Stall(b.clone(), 1000)],
            2,
            Expect::Error(network, &["{url}: no data for 300 ms after 1000 bytes of the body", "the 2000 bytes received are kept in", "the next fetch resumes from there"]),
            2,
        ),
        Case {
            size: None,
            sha256: None,
            ..case(
                "endless body, unknown size: stops at FetchOptions::max_size",
                vec![Reply::Endless(None)],
                3,
                Expect::Error(too_large, &["{url}: the body is larger than 1048576 bytes (the bound for files of unknown size, FetchOptions::max_size); stopped at the cap and kept nothing"]),
                1,
            )
        },
        Case {
            size: Some(len),
            ..case(
                "endless body, known size: stops at the registry's size",
                vec![Reply::Endless(None)],
                3,
                Expect::Error(too_large, &["{url}: the body is larger than 200000 bytes (the registry's size of this file)"]),
                1,
            )
        },
        case(
            "announced length beyond the cap: nothing read",
            vec![Reply::Endless(Some(1 << 40))],
            3,
            Expect::Error(too_large, &["{url}: the body is larger than 1048576 bytes"]),
            1,
        ),
        Case {
            size: Some(len + 1),
            ..case(
                "announced length differs from the registry's size",
                vec![Reply::Body(b.clone())],
                3,
                Expect::Error(|e| matches!(e, DatasetError::SizeMismatch { .. }), &["{url}: the server announces 200000 bytes but the registry says the file has 200001"]),
                1,
            )
        },
        case(
            "206 that starts at 0 instead of the offset: restart, never splice",
            vec![Reply::Cut(b.clone(), 1000), Reply::Partial("bytes 0-199999/200000", b.clone()), Reply::Body(b.clone())],
            3,
            Expect::Body(b.clone(), &[None, Some(1000), None]),
            3,
        ),
        case(
            "206 whose total differs from the first response's",
            vec![Reply::Cut(b.clone(), 1000), Reply::Partial("bytes 1000-200004/200005", vec![7; 199_005]), Reply::Body(b.clone())],
            3,
            Expect::Body(b.clone(), &[None, Some(1000), None]),
            3,
        ),
        Case {
            sha256: None,
            ..case(
                "206 to a request without Range (unpinned file)",
                vec![Reply::Cut(b.clone(), 1000), Reply::Partial("bytes 0-99/200000", vec![1; 100]), Reply::Partial("bytes 0-199999/200000", b.clone())],
                3,
                Expect::Error(|e| matches!(e, DatasetError::BadResponse { .. }), &["{url}: 206 Partial Content to a request without Range; nothing was kept"]),
                3,
            )
        },
        case(
            "redirect to plain http elsewhere: refused, not retried",
            vec![Reply::Redirect("http://example.invalid/data.json.gz".into()); 3],
            3,
            Expect::Error(unsafe_url, &["{url}: refused: redirected to http://example.invalid/data.json.gz: plain http is accepted only for 127.0.0.1 and localhost", "not retried"]),
            1,
        ),
        case(
            "redirect to another scheme: refused, not retried",
            vec![Reply::Redirect("ftp://127.0.0.1/data.json.gz".into()); 3],
            3,
            Expect::Error(unsafe_url, &["{url}: refused: redirected to ftp://127.0.0.1/data.json.gz: the `ftp` scheme is not supported"]),
            1,
        ),
    ]
}

#[test]
fn fault_table() {
    for case in cases() {
        let server = serve(case.replies);
        let url = server.url("data.json.gz");
        let cache = tempfile::tempdir().unwrap();
        let opts = options(cache.path(), case.attempts);
        let file = entry(url.clone(), case.sha256, case.size);
        let started = Instant::now();
        let result = {
            let (file, opts) = (file.clone(), opts.clone());
            within(move || fetch_file("d", &file, &opts))
        };
        let took = started.elapsed();
        let requests = server.requests();
        let name = case.name;
        match (result, case.expect) {
            (Err(e), Expect::Error(kind, parts)) => {
                let msg = e.to_string();
                assert!(kind(&e), "{name}: wrong kind: {msg}");
                for p in parts {
                    let p = p.replace("{url}", &url);
                    assert!(msg.contains(&p), "{name}: `{msg}` lacks `{p}`");
                }
                assert_no_leftovers(cache.path(), &[]);
            }
            (Ok(got), Expect::Body(want, ranges)) => {
                assert_eq!(std::fs::read(&got.path).unwrap(), want, "{name}: spliced");
                let seen: Vec<Option<usize>> = requests.iter().map(|r| range_start(r)).collect();
                assert_eq!(seen, ranges, "{name}: Range headers");
                assert!(!opts.cached_path("d", "data.json.gz.part").exists());
            }
            (Err(e), Expect::Body(..)) => panic!("{name}: failed: {e}"),
            (Ok(_), Expect::Error(..)) => panic!("{name}: succeeded"),
        }
        assert_eq!(
            requests.len(),
            case.requests,
            "{name}: requests {requests:?}"
        );
        // Timeouts of 300 ms and two attempts: seconds at most, whatever the server holds.
        assert!(took < HOLD, "{name}: took {took:?}");
    }
}

/// A server that sends a byte just often enough to beat the read timeout never times out a
/// read: the whole-file deadline ends it, and the bytes so far stay for the next fetch.
#[test]
fn a_trickling_download_ends_at_the_whole_file_deadline_keeping_its_bytes() {
    let b = body();
    let server = serve(vec![Reply::Trickle(b.clone())]);
    let url = server.url("data.json.gz");
    let cache = tempfile::tempdir().unwrap();
    let opts = FetchOptions {
        deadline: Duration::from_secs(1),
        ..options(cache.path(), 3)
    };
    let file = entry(url.clone(), Some(sha(&b)), None);
    let started = Instant::now();
    let err = within(move || fetch_file("d", &file, &opts)).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3), "{err}");
    assert!(matches!(err, DatasetError::Deadline { .. }), "{err}");
    let message = err.to_string();
    for part in [
        format!("{url}: not finished within 1 s (the whole-file deadline"),
        "bytes received are kept in".into(),
        "the next fetch resumes from there".into(),
    ] {
        assert!(message.contains(&part), "`{message}` lacks `{part}`");
    }
    let part = cache.path().join("downloads/d/data.json.gz.part");
    let kept = std::fs::read(&part).unwrap();
    assert!(
        !kept.is_empty() && b.starts_with(&kept),
        "{} bytes",
        kept.len()
    );
    assert_eq!(server.requests().len(), 1, "no attempt after the deadline");
    assert_no_leftovers(cache.path(), &[]);
}

/// A stop asked for during a download (the CLI's first Ctrl-C) ends it within a piece of the
/// body: `Interrupted`, the bytes so far kept for the next fetch, no further attempt.
#[test]
fn a_stopped_download_ends_at_once_keeping_its_bytes() {
    static STOP: AtomicBool = AtomicBool::new(false);
    let b = body();
    let server = serve(vec![Reply::Trickle(b.clone())]);
    let url = server.url("data.json.gz");
    let cache = tempfile::tempdir().unwrap();
    let opts = FetchOptions {
        stop: Some(&STOP),
        ..options(cache.path(), 3)
    };
    let part = cache.path().join("downloads/d/data.json.gz.part");
    let watched = part.clone();
    std::thread::spawn(move || {
        while std::fs::metadata(&watched).map_or(0, |m| m.len()) < 3 {
            std::thread::sleep(Duration::from_millis(10));
        }
        STOP.store(true, Ordering::SeqCst);
    });
    let file = entry(url.clone(), Some(sha(&b)), None);
    let started = Instant::now();
    let err = within(move || fetch_file("d", &file, &opts)).unwrap_err();
    assert!(started.elapsed() < HOLD, "{err}");
    assert!(matches!(err, DatasetError::Interrupted { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("{url}: interrupted; the "))
            && message.contains("the next fetch resumes from there"),
        "{message}"
    );
    let kept = std::fs::read(&part).unwrap();
    assert!(
        kept.len() >= 3 && b.starts_with(&kept),
        "{} bytes",
        kept.len()
    );
    assert_eq!(server.requests().len(), 1, "no attempt after the stop");
}

#[test]
fn a_stalled_download_resumes_where_it_stopped() {
    let b = body();
    let server = serve(vec![
        Reply::Stall(b.clone(), 1000),
        Reply::Stall(b.clone(), 1000),
        Reply::Body(b.clone()),
    ]);
    let cache = tempfile::tempdir().unwrap();
    let opts = options(cache.path(), 2);
    let file = entry(server.url("data.json.gz"), Some(sha(&b)), None);
    let (f, o) = (file.clone(), opts.clone());
    assert!(within(move || fetch_file("d", &f, &o)).is_err());
    let part = cache.path().join("downloads/d/data.json.gz.part");
    assert_eq!(std::fs::read(&part).unwrap(), b[..2000], "the kept bytes");
    let got = within(move || fetch_file("d", &file, &opts)).unwrap();
    assert_eq!(std::fs::read(&got.path).unwrap(), b);
    assert_eq!(range_start(&server.requests()[2]), Some(2000));
    assert!(!part.exists());
}

fn sdpo_file(items: &str, history: &str) -> Vec<u8> {
    let list: Vec<String> = (0..20).map(|i| format!("\"{items}{i}\"")).collect();
    format!(
        "[{{\"historyList\": \"{history}\", \"itemList\": [{}], \"trueSelection\": \"{items}3\"}}]",
        list.join(", ")
    )
    .into_bytes()
}

const FILES: [&str; 3] = ["lastfm-train.json", "lastfm-val.json", "lastfm-test.json"];

/// An sdpo-json dataset whose three files have no pinned sha256.
fn unpinned_dataset() -> DatasetEntry {
    DatasetEntry {
        description: "test".into(),
        terms: "test".into(),
        raw_format: "sdpo-json".into(),
        recipe: Recipe {
            name: RecipeKind::SdpoJson,
            version: 1,
        },
        files: FILES
            .iter()
            .map(|f| FileEntry {
                name: f.to_string(),
                url: format!("https://example.invalid/{f}"),
                mirrors: vec![],
                sha256: None,
                size: None,
                members: vec![],
            })
            .collect(),
        derived: vec![],
    }
}

fn good_files() -> Vec<Reply> {
    vec![
        Reply::Body(sdpo_file("b", "c0::c1::c2")),
        Reply::Body(sdpo_file("c", "b1::b2::b3")),
        Reply::Body(sdpo_file("b", "c4::c5::c6")),
    ]
}

fn prepare_options(cache: &Path, server: &Server, locked: bool) -> PrepareOptions {
    PrepareOptions {
        fetch: FetchOptions {
            mirror: Some(Mirror::parse(&server.base).unwrap()),
            locked,
            ..options(cache, 2)
        },
        from: None,
    }
}

fn lock_text(cache: &Path) -> String {
    std::fs::read_to_string(cache.join("datasets.lock")).unwrap_or_default()
}

#[test]
fn an_html_page_for_an_unpinned_file_is_never_locked() {
    let page = "<!DOCTYPE html><html><body>Rate limit exceeded</body></html>";
    let mut first = good_files();
    first[0] = Reply::Page(page);
    let server = serve(first);
    let cache = tempfile::tempdir().unwrap();
    let entry = unpinned_dataset();
    let opts = prepare_options(cache.path(), &server, false);
    let (e, o) = (entry.clone(), opts.clone());
    let err = within(move || prepare_entry("u", &e, &o)).unwrap_err();
    assert!(matches!(err, DatasetError::Unverified { .. }), "{err}");
    let msg = chain(&err);
    assert!(
        msg.contains("lastfm-train.json, lastfm-val.json, lastfm-test.json: no pinned sha256")
            && msg.contains("so no hash was recorded")
            && msg.contains("lastfm-train.json.corrupt")
            && msg.contains("lastfm-train.json:1:"),
        "{msg}"
    );
    // The recipe's error is printed once, by the chain, not again by the wrapper's message.
    assert_eq!(msg.matches("lastfm-train.json:1:").count(), 1, "{msg}");
    assert_eq!(lock_text(cache.path()), "", "nothing was locked");
    let dir = cache.path().join("downloads/u");
    assert!(!dir.join("lastfm-train.json").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("lastfm-train.json.corrupt")).unwrap(),
        page
    );
    assert_no_leftovers(
        cache.path(),
        &FILES
            .map(|f| format!("{f}.corrupt"))
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );

    // --locked refuses the files: nothing has vouched for them.
    let server = serve(good_files());
    let locked = prepare_options(cache.path(), &server, true);
    let (e, o) = (entry.clone(), locked.clone());
    let err = within(move || prepare_entry("u", &e, &o)).unwrap_err();
    assert!(matches!(err, DatasetError::Unlocked { .. }), "{err}");
    assert!(server.requests().is_empty());

    // The real files parse: now, and only now, their hashes are locked.
    let opts = prepare_options(cache.path(), &server, false);
    let (e, o) = (entry.clone(), opts);
    let (dataset, _) = within(move || prepare_entry("u", &e, &o)).unwrap();
    assert_eq!(dataset.train.len(), 1);
    let lock = lock_text(cache.path());
    for (f, reply) in FILES.iter().zip(good_files()) {
        let Reply::Body(bytes) = reply else {
            unreachable!()
        };
        assert!(
            lock.contains(&format!("{}  u/{f}\n", sha(&bytes))),
            "{lock}"
        );
    }
    // And --locked accepts them, offline, from the cache.
    let offline = PrepareOptions {
        fetch: FetchOptions {
            offline: true,
            ..locked.fetch
        },
        from: None,
    };
    within(move || prepare_entry("u", &entry, &offline)).unwrap();
}

/// A cache holding `data.json.gz` and `other.gz` for dataset `d`.
fn cached_dataset(cache: &Path, good: &[u8]) -> (DatasetEntry, PathBuf) {
    let dir = cache.join("downloads/d");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("data.json.gz"), b"bit rot").unwrap();
    let mut dataset = unpinned_dataset();
    dataset.files = vec![
        entry(
            "https://example.invalid/data.json.gz".into(),
            Some(sha(good)),
            None,
        ),
        FileEntry {
            name: "missing.gz".into(),
            ..entry(
                "https://example.invalid/missing.gz".into(),
                Some(sha(good)),
                None,
            )
        },
        FileEntry {
            name: "unpinned.gz".into(),
            ..entry("https://example.invalid/unpinned.gz".into(), None, None)
        },
        FileEntry {
            name: "ok.gz".into(),
            ..entry(
                "https://example.invalid/ok.gz".into(),
                Some(sha(good)),
                None,
            )
        },
    ];
    std::fs::write(dir.join("unpinned.gz"), b"whatever").unwrap();
    std::fs::write(dir.join("ok.gz"), good).unwrap();
    (dataset, dir)
}

#[test]
fn verify_reports_a_corrupt_file_as_corrupt_and_keeps_it_aside() {
    let cache = tempfile::tempdir().unwrap();
    let good = body();
    let (dataset, dir) = cached_dataset(cache.path(), &good);
    let err = verify_dataset("d", &dataset, &options(cache.path(), 1)).unwrap_err();
    let msg = err.to_string();
    for part in [
        "3 of 4 cached files failed verification: ",
        &format!(
            "data.json.gz is corrupt (sha256 {}, expected {})",
            sha(b"bit rot"),
            sha(&good)
        ),
        &format!(
            "moved aside to {}",
            dir.join("data.json.gz.corrupt").display()
        ),
        "missing.gz is missing",
        "unpinned.gz has no pinned sha256 and no entry in datasets.lock yet",
        "run `prefbench data fetch d`",
    ] {
        assert!(msg.contains(part), "`{msg}` lacks `{part}`");
    }
    assert!(!msg.contains("data.json.gz is missing"), "{msg}");
    assert_eq!(
        std::fs::read(dir.join("data.json.gz.corrupt")).unwrap(),
        b"bit rot"
    );
    assert!(!dir.join("data.json.gz").exists());
    assert_eq!(std::fs::read(dir.join("ok.gz")).unwrap(), good);
}

#[test]
fn offline_fetch_of_a_corrupt_file_says_corrupt() {
    let cache = tempfile::tempdir().unwrap();
    let good = body();
    let (dataset, dir) = cached_dataset(cache.path(), &good);
    let opts = FetchOptions {
        offline: true,
        ..options(cache.path(), 1)
    };
    let err = fetch_file("d", &dataset.files[0], &opts).unwrap_err();
    assert!(matches!(err, DatasetError::Corrupt { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("the cached copy has sha256")
            && msg.contains("it is corrupt; moved it aside to")
            && msg.contains("data.json.gz.corrupt")
            && msg.contains("prefbench data fetch d"),
        "{msg}"
    );
    assert!(!dir.join("data.json.gz").exists());
}

#[test]
fn online_fetch_replaces_a_corrupt_file() {
    let good = body();
    let server = serve(vec![Reply::Body(good.clone())]);
    let cache = tempfile::tempdir().unwrap();
    let (_, dir) = cached_dataset(cache.path(), &good);
    let file = entry(server.url("data.json.gz"), Some(sha(&good)), None);
    let opts = options(cache.path(), 1);
    let got: Fetched = within(move || fetch_file("d", &file, &opts)).unwrap();
    assert_eq!(std::fs::read(got.path).unwrap(), good);
    assert_eq!(
        std::fs::read(dir.join("data.json.gz.corrupt")).unwrap(),
        b"bit rot"
    );
}

#[test]
fn mirror_dir_copies_stop_at_the_cap_and_leave_no_temporary_file() {
    let mirror = tempfile::tempdir().unwrap();
    std::fs::write(mirror.path().join("data.json.gz"), body()).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let opts = FetchOptions {
        mirror: Some(Mirror::parse(mirror.path().to_str().unwrap()).unwrap()),
        ..options(cache.path(), 1)
    };
    let file = entry(
        "https://example.invalid/data.json.gz".into(),
        None,
        Some(1000),
    );
    let err = fetch_file("d", &file, &opts).unwrap_err();
    assert!(too_large(&err), "{err}");
    assert_no_leftovers(cache.path(), &[]);
    // A wrong hash from the directory leaves nothing either.
    let file = entry(
        "https://example.invalid/data.json.gz".into(),
        Some(sha(b"x")),
        None,
    );
    let err = fetch_file("d", &file, &opts).unwrap_err();
    assert!(matches!(err, DatasetError::HashMismatch { .. }), "{err}");
    assert_no_leftovers(cache.path(), &[]);
}

#[test]
fn mirrors_other_than_https_loopback_http_or_a_directory_are_refused() {
    for (mirror, says) in [
        ("ftp://127.0.0.1/pub", "the `ftp` scheme is not supported"),
        (
            "http://mirror.example.org/data",
            "plain http is accepted only for 127.0.0.1 and localhost",
        ),
        ("file:///srv/data", "give the directory's path itself"),
        ("sftp://host/data", "the `sftp` scheme"),
    ] {
        let msg = Mirror::parse(mirror).unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!("--mirror {mirror}: "))
                && msg.contains(says)
                && msg.contains("a mirror is an https:// base URL"),
            "{msg}"
        );
    }
    assert!(matches!(
        Mirror::parse("http://localhost:9/x").unwrap(),
        Mirror::Url(_)
    ));
}

#[test]
fn io_errors_print_their_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("cache");
    std::fs::write(&not_a_dir, "").unwrap();
    let err = fetch_file(
        "d",
        &entry("https://example.invalid/f".into(), None, None),
        &options(&not_a_dir, 1),
    )
    .unwrap_err();
    let cause = err
        .source()
        .expect("the io error is the source")
        .to_string();
    let msg = chain(&err);
    assert_eq!(msg.matches(&cause).count(), 1, "{msg}");
    assert!(msg.contains("PREFBENCH_CACHE"), "{msg}");
}
