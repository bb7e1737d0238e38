//! MovieLens-100K end to end on synthetic members made here (the GroupLens licence forbids
//! shipping real rows): the archive, a directory of extracted members (`--from`), the members
//! fetched one by one when the archive fails, and the refusals (a wrong member hash, a missing
//! member, a bad line), all through `prepare_entry`.
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use prefbench_datasets::{
    prepare_entry, verify_dataset, DatasetEntry, FetchOptions, FileEntry, Mirror, PrepareOptions,
    Recipe, RecipeKind, RetryPolicy,
};

mod support;
use support::{serve, sha, Reply};

/// 40 movies in `u.item`'s format, ISO-8859-1: one title with a byte above 0x7F, one with a
/// trailing ", An", one `unknown` without a date, two sharing a title.
fn u_item() -> Vec<u8> {
    let mut out = Vec::new();
    for id in 1..=40u32 {
        let title: Vec<u8> = match id {
            3 => b"Usual Title, An (1995)".to_vec(),
            5 => b"Caf\xe9 Noir, The (1990)".to_vec(),
            7 => b"unknown".to_vec(),
            9 | 10 => b"Twice Listed (1997)".to_vec(),
            _ => format!("Movie {id} (19{:02})", 50 + id).into_bytes(),
        };
        out.extend_from_slice(format!("{id}|").as_bytes());
        out.extend_from_slice(&title);
        out.extend_from_slice(b"|01-Jan-1995||http://example.invalid/|0|1|0\n");
    }
    out
}

/// Ratings of 12 users, 12 each, in an interleaved file order: two ratings of each user share
/// a timestamp, and the first line (user 1) is a positive that LLaRA's recipe would lose.
fn u_data() -> Vec<u8> {
    let mut out = String::new();
    for k in 0..12u32 {
        for user in 1..=12u32 {
            let item = (user * 3 + k * 7) % 40 + 1;
            let rating = if (user + k) % 6 == 0 { 2 } else { 4 };
            // Positions 4 and 5 of every user share their timestamp.
            let time =
                880_000_000 + 1000 * u64::from(user) + u64::from(k.min(4) + k.saturating_sub(5));
            out.push_str(&format!("{user}\t{item}\t{rating}\t{time}\n"));
        }
    }
    out.into_bytes()
}

fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::FileOptions::default();
    for (name, bytes) in members {
        w.start_file(format!("ml-100k/{name}"), opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn entry(archive: &[u8], data: &[u8], item: &[u8]) -> DatasetEntry {
    let file = |name: &str, bytes: &[u8]| FileEntry {
        name: name.to_string(),
        url: format!("https://example.invalid/{name}"),
        mirrors: vec![],
        sha256: Some(sha(bytes)),
        size: Some(bytes.len() as u64),
        members: vec![],
    };
    DatasetEntry {
        description: "synthetic ml-100k".into(),
        terms: "test".into(),
        raw_format: "grouplens-zip".into(),
        recipe: Recipe {
            name: RecipeKind::MovielensLoo,
            version: 1,
        },
        files: vec![FileEntry {
            members: vec![file("u.data", data), file("u.item", item)],
            ..file("ml-100k.zip", archive)
        }],
        derived: vec![],
    }
}

fn options(cache: &Path, mirror: Option<Mirror>, from: Option<&Path>) -> PrepareOptions {
    PrepareOptions {
        fetch: FetchOptions {
            mirror,
            progress: false,
            retry: RetryPolicy {
                attempts: 1,
                initial_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(1),
            },
            ..FetchOptions::new(cache.to_path_buf())
        },
        from: from.map(Path::to_path_buf),
    }
}

fn write(dir: &Path, files: &[(&str, &[u8])]) {
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// The archive from a mirror directory and the extracted members (`--from`) give the same
/// samples; leave-one-out gives every user one validation and one test sample, ties in file
/// order; titles are decoded as ISO-8859-1 and cleaned; the card counts the tied targets.
#[test]
fn archive_and_extracted_members_agree() {
    let (data, item) = (u_data(), u_item());
    let archive = zip(&[("u.data", &data), ("u.item", &item)]);
    let entry = entry(&archive, &data, &item);
    let mirror = tempfile::tempdir().unwrap();
    write(mirror.path(), &[("ml-100k.zip", &archive)]);
    let cache = tempfile::tempdir().unwrap();
    let mirror_opt = Mirror::parse(mirror.path().to_str().unwrap()).unwrap();
    let (zipped, card) = prepare_entry(
        "movielens-loo",
        &entry,
        &options(cache.path(), Some(mirror_opt), None),
    )
    .unwrap();
    let members = tempfile::tempdir().unwrap();
    write(members.path(), &[("u.data", &data), ("u.item", &item)]);
    let cache2 = tempfile::tempdir().unwrap();
    let (extracted, card2) = prepare_entry(
        "movielens-loo",
        &entry,
        &options(cache2.path(), None, Some(members.path())),
    )
    .unwrap();
    assert_eq!(zipped.test, extracted.test);
    assert_eq!(zipped.train, extracted.train);
    assert_eq!((zipped.valid.len(), zipped.test.len()), (12, 12));
    assert_eq!(zipped.n_items, 40);
    let titles = zipped.titles.as_ref().unwrap();
    assert_eq!(titles[2], "An Usual Title (1995)");
    assert_eq!(titles[4], "The Café Noir (1990)");
    assert_eq!(titles[6], "unknown");
    assert_eq!(zipped.source_ids.as_deref().unwrap()[39], 40);
    assert_eq!(card.violations(), 0);
    let notes = card.provenance.notes.join("\n");
    assert!(notes.contains("1 titles are shared by 2 movies"), "{notes}");
    assert!(notes.contains("test and"), "{notes}");
    assert!(card2.provenance.notes[0].contains("each checked against its own pinned sha256"));
    assert!(card.trivial.iter().any(|t| t.name == "id-order"));
}

/// An archive that cannot be had (status 404) is replaced by its members, each fetched from
/// its own URL and verified against its own pin: the same dataset.
#[test]
fn members_are_fetched_when_the_archive_fails() {
    let (data, item) = (u_data(), u_item());
    let archive = zip(&[("u.data", &data), ("u.item", &item)]);
    let entry = entry(&archive, &data, &item);
    let server = serve(vec![
        Reply::Status(404),
        Reply::Body(data.clone()),
        Reply::Body(item.clone()),
    ]);
    let cache = tempfile::tempdir().unwrap();
    let mirror = Mirror::parse(&server.base).unwrap();
    let (ds, card) = prepare_entry(
        "movielens-loo",
        &entry,
        &options(cache.path(), Some(mirror), None),
    )
    .unwrap();
    let requested: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.lines().next().unwrap_or("").to_string())
        .collect();
    assert!(requested[0].contains("/ml-100k.zip"), "{requested:?}");
    assert!(requested[1].contains("/u.data") && requested[2].contains("/u.item"));
    let files: Vec<&str> = card
        .provenance
        .sources
        .iter()
        .map(|s| s.file.as_str())
        .collect();
    assert_eq!(files, ["u.data", "u.item"]);
    assert_eq!(ds.test.len(), 12);
    // `data verify` checks the archive as the members that stand in for it.
    let fetch = options(cache.path(), None, None).fetch;
    let verified = verify_dataset("movielens-loo", &entry, &fetch).unwrap();
    let names: Vec<&str> = verified.iter().map(|f| f.source.file.as_str()).collect();
    assert_eq!(names, ["u.data", "u.item"]);
    // A member served with other bytes is refused like any download; nothing unverified is
    // used, and the archive's error is the one reported.
    let server = serve(vec![
        Reply::Status(404),
        Reply::Body(b"1\t2\t3\t4\n".to_vec()),
    ]);
    let cache = tempfile::tempdir().unwrap();
    let mirror = Mirror::parse(&server.base).unwrap();
    let err = prepare_entry(
        "movielens-loo",
        &entry,
        &options(cache.path(), Some(mirror), None),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("ml-100k.zip") && err.contains("404"), "{err}");
}

/// Refusals name the file and what to do: a member that is not the pinned file (a header line
/// added, as many public copies do), an archive without a member, a line that is not a rating.
#[test]
fn refusals_name_the_member() {
    let (data, item) = (u_data(), u_item());
    let archive = zip(&[("u.data", &data), ("u.item", &item)]);
    let entry = entry(&archive, &data, &item);
    let members = tempfile::tempdir().unwrap();
    let mut with_header = b"user\titem\trating\ttime\n".to_vec();
    with_header.extend_from_slice(&data);
    write(
        members.path(),
        &[("u.data", &with_header), ("u.item", &item)],
    );
    let cache = tempfile::tempdir().unwrap();
    let err = prepare_entry(
        "movielens-loo",
        &entry,
        &options(cache.path(), None, Some(members.path())),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("u.data") && err.contains("is not the pinned"),
        "{err}"
    );

    // Unpinned members (the pins removed) reach the parser, which names file and line.
    let mut loose = entry.clone();
    loose.files[0]
        .members
        .iter_mut()
        .for_each(|m| m.sha256 = None);
    let err = prepare_entry(
        "movielens-loo",
        &loose,
        &options(cache.path(), None, Some(members.path())),
    )
    .unwrap_err()
    .to_string();
    assert!(err.ends_with("u.data:1: field 1 (`user id`) is not an integer; expected `user \\t movie id \\t rating \\t timestamp`"), "{err}");

    let partial = zip(&[("u.data", &data)]);
    let mirror = tempfile::tempdir().unwrap();
    write(mirror.path(), &[("ml-100k.zip", &partial)]);
    let entry = self::entry(&partial, &data, &item);
    let err = prepare_entry(
        "movielens-loo",
        &entry,
        &options(
            cache.path(),
            Some(Mirror::parse(mirror.path().to_str().unwrap()).unwrap()),
            None,
        ),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("has no member `u.item`"), "{err}");
}
