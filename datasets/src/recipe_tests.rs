//! Recipes end to end on small fixtures: lastfm-raw through `prepare` (with its cache), the
//! S-DPO reader on the rebuilt files, Steam and Goodreads on generated files in their formats.
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::formats::{goodreads, sdpo::SdpoReader, steam};
use crate::{prepare, FetchOptions, PrepareOptions, Split};
use flate2::{write::GzEncoder, Compression};

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(p)
}

fn gz(path: &Path, text: &str) {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(text.as_bytes()).unwrap();
    std::fs::write(path, e.finish().unwrap()).unwrap();
}

fn options(cache: &Path, from: Option<PathBuf>) -> PrepareOptions {
    PrepareOptions {
        fetch: FetchOptions {
            offline: true,
            progress: false,
            ..FetchOptions::new(cache.to_path_buf())
        },
        from,
    }
}

#[test]
fn lastfm_raw_from_extracted_files_round_trips_through_the_sdpo_reader() {
    let cache = tempfile::tempdir().unwrap();
    let opts = options(cache.path(), Some(fixture("hetrec")));
    let (ds, card) = prepare("lastfm-raw", &opts).unwrap();
    assert_eq!(card.violations(), 0);
    assert_eq!(card.split(Split::Test).unwrap().samples, 84);
    assert!(card.provenance.notes[0].contains("could not be checked"));
    assert_eq!(card.provenance.derived.len(), 3);
    // The fixture is not the real archive: the rebuilt files must not claim to match S-DPO's.
    assert!(card
        .provenance
        .derived
        .iter()
        .all(|d| d.matches() == Some(false)));
    // Second call: served from the prepared cache, identical, source ids included.
    let (again, card2) = prepare("lastfm-raw", &opts).unwrap();
    assert_eq!(
        (again.train, again.test),
        (ds.train.clone(), ds.test.clone())
    );
    assert_eq!(again.source_ids, ds.source_ids);
    assert_eq!(card2, card);

    // The rebuilt S-DPO files read back to the same samples (by name), `:wumpscut:` included.
    let dir = prepared_dir(cache.path(), "lastfm-raw");
    let mut reader = SdpoReader::default();
    let files = ["lastfm-train.json", "lastfm-val.json", "lastfm-test.json"];
    for f in files {
        reader
            .read_file(f, std::fs::File::open(dir.join(f)).unwrap())
            .unwrap();
    }
    let (splits, names) = reader.finish(&files).unwrap();
    let titles = ds.titles.as_ref().unwrap();
    let by_name = |ids: &[u32], n: &[String]| {
        ids.iter()
            .map(|&i| n[i as usize].clone())
            .collect::<Vec<_>>()
    };
    for (read, built) in splits.iter().zip([&ds.train, &ds.valid, &ds.test]) {
        assert_eq!(read.len(), built.len());
        for (r, b) in read.iter().zip(built) {
            assert_eq!(by_name(&r.history, &names), by_name(&b.history, titles));
            assert_eq!(
                by_name(&r.candidates, &names),
                by_name(&b.candidates, titles)
            );
        }
    }
    assert!(names.iter().any(|n| n == ":wumpscut:"));
    let users: std::collections::HashSet<u32> = splits[2].iter().map(|s| s.user).collect();
    assert_eq!(
        users.len(),
        card.split(Split::Test).unwrap().users,
        "users reconstructed"
    );
}

#[test]
fn from_dir_is_only_for_member_datasets_and_unknown_names_are_listed() {
    let cache = tempfile::tempdir().unwrap();
    let err = prepare("steam", &options(cache.path(), Some(fixture("hetrec")))).unwrap_err();
    assert!(
        err.to_string()
            .contains("only for datasets read from archive members (lastfm-raw, lastfm-dated, movielens-llara, movielens-loo)"),
        "{err}"
    );
    let err = prepare("nope", &options(cache.path(), None)).unwrap_err();
    assert!(
        err.to_string()
            .contains("known datasets: goodreads, lastfm"),
        "{err}"
    );
    let err = prepare("lastfm", &options(cache.path(), None)).unwrap_err();
    assert!(
        err.to_string()
            .contains("offline mode: lastfm-train.json, lastfm-val.json, lastfm-test.json"),
        "{err}"
    );
}

fn steam_files(dir: &Path, bad_line: Option<usize>) -> (PathBuf, PathBuf) {
    let games: String = (0..40)
        .map(|g| {
            format!(
                "{{'app_name': 'Game {g}', 'id': '{}', 'early_access': False, 'price': 4.99}}\n",
                1000 + g
            )
        })
        .chain(["{'title': 'no id'}\n".to_string()])
        .collect();
    let mut reviews = String::new();
    let mut n = 0;
    for u in 0..30 {
        for k in 0..8 {
            n += 1;
            if Some(n) == bad_line {
                reviews.push_str("{'username': 'broken\n");
                continue;
            }
            let g = 1000 + (u * 3 + k * 7) % 40;
            reviews.push_str(&format!(
                "{{'username': \"user {u}'s\", 'hours': 1.5, 'product_id': '{g}', 'date': '2017-{:02}-{:02}', 'text': 'Great\\ngame \\u2603', 'found_funny': None, 'early_access': True}}\n",
                1 + k,
                1 + u % 28
            ));
        }
    }
    let (r, g) = (
        dir.join("steam_reviews.json.gz"),
        dir.join("steam_games.json.gz"),
    );
    gz(&r, &reviews);
    gz(&g, &games);
    (r, g)
}

/// The sha256 of a dataset's JSON, as the harness hashes it into run ids.
fn content_hash(ds: &crate::Dataset) -> String {
    prefbench_io::sha256_hex(&serde_json::to_vec(ds).unwrap())
}

#[test]
fn steam_recipe_on_python_literal_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let (reviews, games) = steam_files(dir.path(), None);
    let (ds, notes) = steam::build(&reviews, &games).unwrap();
    assert_eq!((ds.valid.len(), ds.test.len()), (30, 30));
    assert_eq!(ds.train.len(), 30 * 3);
    assert!(ds
        .titles
        .as_ref()
        .unwrap()
        .iter()
        .all(|t| t.starts_with("Game ")));
    assert!(
        notes.iter().any(|n| n.starts_with("1 game lines")),
        "{notes:?}"
    );
    // The numeric app ids are kept as source ids: `Game {g}` has id 1000 + g.
    let source_ids = ds.source_ids.as_ref().expect("numeric app ids");
    for (id, title) in source_ids.iter().zip(ds.titles.as_ref().unwrap()) {
        assert_eq!(format!("Game {}", id - 1000), *title);
    }
    // Deterministic, and pinned: the bytes of the dataset this fixture gives.
    assert_eq!(steam::build(&reviews, &games).unwrap().0.test, ds.test);
    assert_eq!(
        content_hash(&ds),
        "ba68467497f13f321a10faf22fca350c5e237df5affff57eda550b61df194806"
    );
}

#[test]
fn steam_malformed_line_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let (reviews, games) = steam_files(dir.path(), Some(17));
    let err = steam::build(&reviews, &games).unwrap_err().to_string();
    assert!(
        err.contains("steam_reviews.json.gz:17: unterminated string"),
        "{err}"
    );
}

#[test]
fn goodreads_recipe_counts_shared_titles() {
    let dir = tempfile::tempdir().unwrap();
    // Books 0 and 1 are two editions of one title.
    let books: String = (0..40)
        .map(|b| {
            format!(
                "{{\"book_id\": \"{b}\", \"title\": \"Book {}\", \"isbn\": \"\"}}\n",
                if b == 1 { 0 } else { b }
            )
        })
        .collect();
    let mut rows = String::new();
    for u in 0..30 {
        for k in 0..8 {
            let b = (u * 7 + k * 3) % 40;
            rows.push_str(&format!(
                "{{\"user_id\": \"u{u:032x}\", \"book_id\": \"{b}\", \"is_read\": {}, \"rating\": 4, \"date_added\": \"Tue Oct {:02} 21:11:20 -0700 2017\"}}\n",
                k != 7 || u % 2 == 0,
                10 + k
            ));
        }
    }
    let (i, b) = (
        dir.path().join("interactions.json.gz"),
        dir.path().join("books.json.gz"),
    );
    gz(&i, &rows);
    gz(&b, &books);
    let (ds, _) = goodreads::build(&i, &b).unwrap();
    assert_eq!(ds.test.len(), 30);
    assert_eq!(
        content_hash(&ds),
        "1392c6b160f105552416a591a68d36789a56fde917362285deabaae2cf275cfb",
        "pinned: the bytes of this fixture's dataset"
    );
    // The numeric book ids are kept as source ids: book b is titled `Book b` (1: `Book 0`).
    let source_ids = ds.source_ids.as_ref().expect("numeric book ids");
    for (&id, title) in source_ids.iter().zip(ds.titles.as_ref().unwrap()) {
        assert_eq!(format!("Book {}", if id == 1 { 0 } else { id }), *title);
    }
    let card =
        crate::DatasetCard::build(&ds, crate::Provenance::synthetic(serde_json::json!({}), 1));
    assert_eq!(card.violations(), 0);
    let shared: usize = card
        .splits
        .iter()
        .map(|s| s.checks.negative_shares_target_title.unwrap())
        .sum();
    assert!(shared > 0, "editions sharing a title are counted");
    std::fs::write(&i, "").unwrap();
    let err = goodreads::build(&i, &b).unwrap_err().to_string();
    assert!(
        err.contains("interactions.json.gz: the file is empty"),
        "{err}"
    );
}

/// `id → name` of the fixture's artists.dat.
fn fixture_artists() -> std::collections::HashMap<u64, String> {
    std::fs::read_to_string(fixture("hetrec/artists.dat"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].parse().unwrap(), f[1].to_string())
        })
        .collect()
}

/// The card's id-order baseline of `card`.
fn id_order(card: &crate::DatasetCard) -> &crate::TrivialBaseline {
    card.trivial.iter().find(|b| b.name == "id-order").unwrap()
}

#[test]
fn lastfm_raw_keeps_the_hetrec_artist_ids_and_the_card_ranks_by_them() {
    let cache = tempfile::tempdir().unwrap();
    let opts = options(cache.path(), Some(fixture("hetrec")));
    let (ds, card) = prepare("lastfm-raw", &opts).unwrap();
    let source_ids = ds.source_ids.clone().expect("lastfm-raw keeps source ids");
    assert_eq!(source_ids.len(), ds.n_items);
    // Each item's source id is its artistID: artists.dat names it by its title (but for
    // the three artists S-DPO spells differently).
    let artists = fixture_artists();
    let renamed = [689, 1686, 3398];
    for (id, title) in source_ids.iter().zip(ds.titles.as_ref().unwrap()) {
        assert!(
            artists[id] == *title || renamed.contains(id),
            "{id}: {title} vs {}",
            artists[id]
        );
    }
    let distinct: std::collections::HashSet<_> = source_ids.iter().collect();
    assert_eq!(distinct.len(), source_ids.len());
    // The recipe orders every user's artists by artistID: histories ascend in source ids.
    for s in ds.train.iter().chain(&ds.valid).chain(&ds.test) {
        let ids: Vec<u64> = s.history.iter().map(|&i| source_ids[i as usize]).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        assert!(source_ids[s.target as usize] > *ids.last().unwrap());
    }
    // The card's id-order ranks by them, says so, and sees the artifact; the internal ids
    // (renumbered by first appearance) score lower.
    let by_source = id_order(&card);
    assert!(
        by_source.description.contains("hetrec artist ids"),
        "{}",
        by_source.description
    );
    let internal = crate::trivial::trivial_baselines(&ds, None);
    let internal = internal.iter().find(|b| b.name == "id-order").unwrap();
    assert!(internal.description.contains("prefbench's internal ids"));
    assert!(
        by_source.test_hr_at_1 > internal.test_hr_at_1,
        "{} vs {}",
        by_source.test_hr_at_1,
        internal.test_hr_at_1
    );
}

/// A prepared copy written before source ids existed (a header without them or a format) is
/// rebuilt, not served as a dataset without source ids.
#[test]
fn a_stale_prepared_copy_without_source_ids_is_rebuilt() {
    let cache = tempfile::tempdir().unwrap();
    let opts = options(cache.path(), Some(fixture("hetrec")));
    let (ds, card) = prepare("lastfm-raw", &opts).unwrap();
    let dir = prepared_dir(cache.path(), "lastfm-raw");
    let samples = dir.join("samples.jsonl");
    let text = std::fs::read_to_string(&samples).unwrap();
    let (header, rows) = text.split_once('\n').unwrap();
    let mut header: serde_json::Value = serde_json::from_str(header).unwrap();
    assert_eq!(header["format"], 2);
    assert_eq!(header["source_ids"].as_array().unwrap().len(), ds.n_items);
    // What the previous version wrote: name, n_items and titles only.
    let object = header.as_object_mut().unwrap();
    object.remove("format");
    object.remove("source_ids");
    std::fs::write(&samples, format!("{header}\n{rows}")).unwrap();
    let (again, card2) = prepare("lastfm-raw", &opts).unwrap();
    assert_eq!(again.source_ids, ds.source_ids);
    assert_eq!(card2, card);
    let rewritten = std::fs::read_to_string(&samples).unwrap();
    assert!(
        rewritten.starts_with("{\"format\":2,"),
        "{}",
        &rewritten[..40]
    );
}

/// On the real hetrec2011-lastfm-2k files (never in the repository): the histories are sorted
/// by artistID, so id-order in the hetrec artist ids scores far above chance. Run with
/// `PREFBENCH_HETREC_DIR=<extracted archive> cargo test -p prefbench-datasets --test recipes
/// -- --ignored --nocapture`.
#[test]
#[ignore = "needs the real hetrec2011-lastfm-2k files in $PREFBENCH_HETREC_DIR"]
fn real_lastfm_raw_id_order_shows_the_artifact() {
    let dir = std::env::var_os("PREFBENCH_HETREC_DIR").expect("set PREFBENCH_HETREC_DIR");
    let cache = tempfile::tempdir().unwrap();
    let (ds, card) = prepare(
        "lastfm-raw",
        &options(cache.path(), Some(PathBuf::from(dir))),
    )
    .unwrap();
    for b in &card.trivial {
        println!(
            "{:<10} valid HR@1 {:.4} test HR@1 {:.4} valid HR@5 {:.4} test HR@5 {:.4}\n  {}",
            b.name, b.valid_hr_at_1, b.test_hr_at_1, b.valid_hr_at_5, b.test_hr_at_5, b.description
        );
    }
    let internal = crate::trivial::trivial_baselines(&ds, None);
    let internal = internal.iter().find(|b| b.name == "id-order").unwrap();
    println!(
        "id-order on internal ids: valid HR@1 {:.4} test HR@1 {:.4}",
        internal.valid_hr_at_1, internal.test_hr_at_1
    );
    // Keeping the ids changes nothing in the samples: the rebuilt files still match S-DPO's.
    assert!(card
        .provenance
        .derived
        .iter()
        .all(|d| d.matches() == Some(true)));
    let i = id_order(&card);
    assert!(i.description.contains("hetrec artist ids"));
    assert!(i.test_hr_at_1 > 0.7 && i.valid_hr_at_1 > 0.7, "{i:?}");
}

/// The one prepared copy of recipe `name` in the cache at `cache`.
fn prepared_dir(cache: &Path, name: &str) -> PathBuf {
    let mut dirs = std::fs::read_dir(cache.join("prepared").join(name)).unwrap();
    dirs.next().unwrap().unwrap().path()
}
