//! The hetrec2011 LastFM archive and the eight-step recipe of docs/datasets.md that rebuilds S-DPO's
//! LastFM samples from it, byte for byte; and its date-ordered variant (`lastfm-dated`), which
//! removes the artist-id ordering that S-DPO's sequences carry.
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Cursor;
use std::path::Path;

use crate::candidates::candidates;
use crate::error::DatasetError;
use crate::formats::archive::{read_dir_members, read_zip_members, utf8};
use crate::formats::lines::{for_each_line, Lines};
use crate::formats::sdpo::write_sdpo;
use crate::formats::{Rebuilt, SplitUsers};
use crate::pyrandom::PyRandom;
use crate::sample::{Dataset, ItemId, Sample, MAX_HISTORY};

/// What [`Dataset::source_ids`] holds for this recipe, as the dataset card names it.
pub const SOURCE_IDS: &str = "hetrec artist ids (`artistID`)";
/// The archive members the recipe reads.
pub const MEMBERS: [&str; 2] = ["artists.dat", "user_taggedartists.dat"];
/// Minimum distinct users per artist and artists per user (steps 2 and 3).
const MIN_COUNT: usize = 4;
/// S-DPO's spellings of three artists (step 4).
const RENAMES: [(u32, &str); 3] = [
    (689, "Florence and the Machine"),
    (1686, "Weird Al Yankovic"),
    (3398, "Plus 44"),
];
/// Samples start at this position of a user's sequence (step 6).
const FIRST_POSITION: usize = 3;

/// How step 3 orders a user's kept artists into a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Ascending hetrec artist id, as S-DPO's files are (`lastfm-raw`).
    ArtistId,
    /// By the date of the user's first tag of the artist; artists first tagged on the same day
    /// (most consecutive pairs) are shuffled by CPython's `random.Random(userID).shuffle`, one
    /// tie group after the other (`lastfm-dated`).
    FirstTagDate,
}

impl Order {
    /// The dataset the order yields, which also prefixes its S-DPO-format files.
    pub fn dataset_name(self) -> &'static str {
        match self {
            Order::ArtistId => "lastfm-raw",
            Order::FirstTagDate => "lastfm-dated",
        }
    }

    /// The prefix of the written files: S-DPO's own names for the id order.
    fn file_prefix(self) -> &'static str {
        match self {
            Order::ArtistId => "lastfm",
            Order::FirstTagDate => "lastfm-dated",
        }
    }
}

/// A tag date as (year, month, day), so that the tuple order is the calendar order.
type Date = (u32, u32, u32);

/// Reads the two members from the zip archive, by exact name only.
pub fn read_archive(path: &Path) -> Result<[String; 2], DatasetError> {
    let shown = path.display();
    texts(read_zip_members(path, &MEMBERS)?, |m| {
        format!("{shown}: {m}")
    })
}

/// Reads the two members from a directory of already extracted files.
pub fn read_dir(dir: &Path) -> Result<[String; 2], DatasetError> {
    texts(read_dir_members(dir, &MEMBERS)?, |m| {
        dir.join(m).display().to_string()
    })
}

/// The members' bytes as UTF-8 text, each named by `shown(member)` in an error.
fn texts(bytes: Vec<Vec<u8>>, shown: impl Fn(&str) -> String) -> Result<[String; 2], DatasetError> {
    let [artists, tagged]: [Vec<u8>; 2] = bytes.try_into().expect("one entry per member");
    Ok([
        utf8(&shown(MEMBERS[0]), artists)?,
        utf8(&shown(MEMBERS[1]), tagged)?,
    ])
}

/// Calls `f` with the tab-separated fields of every data line, after checking the header.
fn parse_table(
    text: &str,
    file: &str,
    header: &str,
    mut f: impl FnMut(&[&str]) -> Result<(), String>,
) -> Result<(), DatasetError> {
    let mut lines = Lines::from_reader(Box::new(Cursor::new(text.as_bytes())), file.to_string());
    for_each_line(&mut lines, |n, line| {
        let fields: Vec<&str> = line.split('\t').collect();
        if n > 1 {
            f(&fields).map_err(|m| DatasetError::parse(file, n, m))
        } else if fields.join(" ") == header {
            Ok(())
        } else {
            Err(DatasetError::parse(file, 1, format!("expected the header `{header}` (tab-separated); is this the hetrec2011-lastfm-2k file?")))
        }
    })
}

fn int(fields: &[&str], k: usize, what: &str) -> Result<u32, String> {
    fields
        .get(k)
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| format!("field {} (`{what}`) is not an integer", k + 1))
}

/// Runs the recipe on the contents of `artists.dat` and `user_taggedartists.dat`, with the
/// split user lists of `lastfm-split.json`, ordering each user's artists by `order`.
pub fn build(artists: &str, tagged: &str, order: Order) -> Result<Rebuilt, DatasetError> {
    let split = SplitUsers::parse("lastfm-split.json", include_str!("../../lastfm-split.json"))?;
    let mut names: HashMap<u32, String> = HashMap::new();
    parse_table(artists, MEMBERS[0], "id name url pictureURL", |f| {
        let id = int(f, 0, "id")?;
        let name = f.get(1).ok_or("missing the `name` field")?;
        names.insert(id, name.to_string());
        Ok(())
    })?;
    for (id, name) in RENAMES {
        if let Some(n) = names.get_mut(&id) {
            *n = name.to_string();
        }
    }
    // Step 1: distinct (user, artist) pairs, ordered by user then artist, with the date of
    // the pair's first tag when the order needs it.
    let mut pairs = BTreeSet::new();
    let mut first_tag: HashMap<(u32, u32), Date> = HashMap::new();
    parse_table(
        tagged,
        MEMBERS[1],
        "userID artistID tagID day month year",
        |f| {
            let pair = (int(f, 0, "userID")?, int(f, 1, "artistID")?);
            pairs.insert(pair);
            if order == Order::FirstTagDate {
                let date = (int(f, 5, "year")?, int(f, 4, "month")?, int(f, 3, "day")?);
                let first = first_tag.entry(pair).or_insert(date);
                *first = (*first).min(date);
            }
            Ok(())
        },
    )?;
    // Step 2: artists with enough distinct users that artists.dat names.
    let mut users_per_artist: HashMap<u32, usize> = HashMap::new();
    for &(_, a) in &pairs {
        *users_per_artist.entry(a).or_default() += 1;
    }
    let kept = |a: &u32| users_per_artist[a] >= MIN_COUNT && names.contains_key(a);
    // Step 3: per user, kept artists in ascending id; users with enough of them.
    let mut sequences: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for &(u, a) in pairs.iter().filter(|(_, a)| kept(a)) {
        sequences.entry(u).or_default().push(a);
    }
    sequences.retain(|_, s| s.len() >= MIN_COUNT);
    // Step 4: dense ids by first appearance; the artistID of each is kept as its source id.
    let mut ids: HashMap<u32, ItemId> = HashMap::new();
    let mut titles = Vec::new();
    let mut artist_ids = Vec::new();
    for s in sequences.values() {
        for a in s {
            ids.entry(*a).or_insert_with(|| {
                titles.push(names[a].clone());
                artist_ids.push(u64::from(*a));
                (titles.len() - 1) as ItemId
            });
        }
    }
    // Step 3 of the date order, after step 4 so both orders share their item ids and titles.
    let mut notes = Vec::new();
    if order == Order::FirstTagDate {
        let (tied, consecutive) = order_by_first_tag(&mut sequences, &first_tag);
        notes.push(format!(
            "each user's artists are ordered by the date of their first tag; {tied} of \
             {consecutive} consecutive pairs ({:.1} %) share that date, so their order is a \
             seeded shuffle (CPython random.Random(userID).shuffle within each day), not time",
            100.0 * tied as f64 / consecutive.max(1) as f64
        ));
    }
    // Steps 5 to 7.
    let test: HashSet<u32> = split.test.into_iter().collect();
    let val: HashSet<u32> = split.val.into_iter().collect();
    let n_items = titles.len();
    let (mut train_s, mut valid_s, mut test_s) = (Vec::new(), Vec::new(), Vec::new());
    for (&user, seq) in &sequences {
        let seq: Vec<ItemId> = seq.iter().map(|a| ids[a]).collect();
        let out = if test.contains(&user) {
            &mut test_s
        } else if val.contains(&user) {
            &mut valid_s
        } else {
            &mut train_s
        };
        for k in FIRST_POSITION..seq.len() {
            let history = seq[k.saturating_sub(MAX_HISTORY)..k].to_vec();
            let target = seq[k];
            out.push(Sample {
                user,
                candidates: candidates(&history, target, n_items),
                history,
                target,
            });
        }
    }
    // Step 8.
    let prefix = order.file_prefix();
    let files = [("train", &train_s), ("val", &valid_s), ("test", &test_s)]
        .map(|(part, s)| (format!("{prefix}-{part}.json"), write_sdpo(s, &titles)))
        .to_vec();
    Ok(Rebuilt {
        notes,
        dataset: Dataset {
            name: order.dataset_name().into(),
            n_items,
            titles: Some(titles),
            source_ids: Some(artist_ids),
            train: train_s,
            valid: valid_s,
            test: test_s,
        },
        files,
    })
}

/// Reorders every sequence by first-tag date, shuffling each day's artists (taken in ascending
/// id) with the user's own generator; returns (consecutive pairs sharing a date, all
/// consecutive pairs), for the card.
fn order_by_first_tag(
    sequences: &mut BTreeMap<u32, Vec<u32>>,
    first_tag: &HashMap<(u32, u32), Date>,
) -> (usize, usize) {
    let (mut tied, mut consecutive) = (0, 0);
    for (&user, seq) in sequences.iter_mut() {
        let date = |a: &u32| first_tag[&(user, *a)];
        seq.sort_by_key(|a| (date(a), *a));
        let mut rng = PyRandom::new(u64::from(user));
        for day in seq.chunk_by_mut(|a, b| date(a) == date(b)) {
            rng.shuffle(day);
        }
        consecutive += seq.len() - 1;
        tied += seq
            .windows(2)
            .filter(|w| date(&w[0]) == date(&w[1]))
            .count();
    }
    (tied, consecutive)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use std::path::PathBuf;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
    }

    /// The Rust recipe and the independent Python rendering (`hetrec_reference.py`, whose
    /// output hashes are committed) give identical bytes on the fixture.
    #[test]
    fn rebuild_matches_the_python_reference() {
        let [artists, tagged] = read_dir(&fixture().join("hetrec")).unwrap();
        let rebuilt = build(&artists, &tagged, Order::ArtistId).unwrap();
        let expected = std::fs::read_to_string(fixture().join("hetrec/expected.sha256")).unwrap();
        for (file, bytes) in &rebuilt.files {
            let line = expected
                .lines()
                .find(|l| l.ends_with(file.as_str()))
                .unwrap();
            let hash = hex::encode(Sha256::digest(bytes.as_bytes()));
            assert_eq!(hash, line[..64], "{file}");
        }
        let ds = &rebuilt.dataset;
        assert_eq!(ds.n_items, 134);
        assert_eq!(
            (ds.train.len(), ds.valid.len(), ds.test.len()),
            (619, 84, 84)
        );
        let titles = ds.titles.as_ref().unwrap();
        assert!(titles.iter().any(|t| t == "Florence and the Machine"));
        assert!(
            !titles.iter().any(|t| t == "Artist 23"),
            "artist missing from artists.dat kept"
        );
    }

    /// Re-runs the Python reference (python3 is on every machine `make` runs on: it installs
    /// libtorch), for a byte-level diff of both orders.
    #[test]
    fn python_reference_agrees_byte_for_byte() {
        let [artists, tagged] = read_dir(&fixture().join("hetrec")).unwrap();
        for (order, arg) in [(Order::ArtistId, "id"), (Order::FirstTagDate, "date")] {
            let out = tempfile::tempdir().unwrap();
            let status = std::process::Command::new("python3")
                .arg(fixture().join("hetrec_reference.py"))
                .arg(fixture().join("hetrec"))
                .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("lastfm-split.json"))
                .arg(out.path())
                .arg(arg)
                .status();
            assert!(
                status.as_ref().is_ok_and(|s| s.success()),
                "python3 {}: {status:?}",
                fixture().join("hetrec_reference.py").display()
            );
            for (file, bytes) in build(&artists, &tagged, order).unwrap().files {
                let want = std::fs::read_to_string(out.path().join(&file)).unwrap();
                let first_diff = want.bytes().zip(bytes.bytes()).position(|(a, b)| a != b);
                assert!(
                    want == bytes,
                    "{file}: first difference at byte {first_diff:?}"
                );
            }
        }
    }

    /// On the real hetrec members (`../shared/data/`, beside the project on the team's machines
    /// and in CI; never committed), both orders write exactly the files the registry pins.
    #[test]
    #[ignore = "needs the real hetrec members in ../shared/data (never committed); `make test` runs it where they exist"]
    fn real_members_give_the_pinned_files() {
        let dir =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/hetrec2011-lastfm-2k");
        let [artists, tagged] = read_dir(&dir).unwrap();
        let registry = crate::registry::Registry::builtin().unwrap();
        for order in [Order::ArtistId, Order::FirstTagDate] {
            let pinned = &registry.get(order.dataset_name()).unwrap().derived;
            let rebuilt = build(&artists, &tagged, order).unwrap();
            assert_eq!(rebuilt.files.len(), pinned.len());
            for ((file, bytes), want) in rebuilt.files.iter().zip(pinned) {
                assert_eq!(*file, want.name);
                assert_eq!(
                    hex::encode(Sha256::digest(bytes.as_bytes())),
                    want.sha256,
                    "{file}"
                );
            }
        }
    }

    /// The date order keeps the items, their ids and titles and the users of each split; only
    /// the sequences change, and the card says how many pairs were tied.
    #[test]
    fn date_order_changes_only_the_order() {
        let [artists, tagged] = read_dir(&fixture().join("hetrec")).unwrap();
        let by_id = build(&artists, &tagged, Order::ArtistId).unwrap();
        let dated = build(&artists, &tagged, Order::FirstTagDate).unwrap();
        let (a, b) = (&by_id.dataset, &dated.dataset);
        assert_eq!(b.name, "lastfm-dated");
        assert_eq!(
            (a.n_items, &a.titles, &a.source_ids),
            (b.n_items, &b.titles, &b.source_ids)
        );
        let users = |s: &[Sample]| s.iter().map(|x| x.user).collect::<Vec<_>>();
        assert_eq!(users(&a.train), users(&b.train));
        assert_eq!(users(&a.test), users(&b.test));
        assert_ne!(a.train, b.train, "the order must change some sequence");
        assert!(by_id.notes.is_empty());
        assert!(
            dated.notes[0].contains("consecutive pairs"),
            "{:?}",
            dated.notes
        );
        let names: Vec<&str> = dated.files.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            names,
            [
                "lastfm-dated-train.json",
                "lastfm-dated-val.json",
                "lastfm-dated-test.json"
            ]
        );
    }

    /// Dates decide first; a day's artists are shuffled by the user's CPython generator
    /// (`random.Random(1).shuffle([10, 40])` gives `[40, 10]`).
    #[test]
    fn first_tag_order_shuffles_ties_only() {
        let dates = [
            (30, (2008, 1, 1)),
            (10, (2009, 5, 2)),
            (40, (2009, 5, 2)),
            (20, (2010, 1, 1)),
        ];
        let first_tag: HashMap<(u32, u32), Date> =
            dates.iter().map(|&(a, d)| ((1, a), d)).collect();
        let mut sequences = BTreeMap::from([(1, vec![10, 20, 30, 40])]);
        let (tied, consecutive) = order_by_first_tag(&mut sequences, &first_tag);
        assert_eq!((tied, consecutive), (1, 3));
        assert_eq!(sequences[&1], [30, 40, 10, 20]);
    }

    #[test]
    fn malformed_rows_name_file_and_line() {
        let err = build(
            "id\tname\turl\tpictureURL\n1\tA\tu\tp\n",
            "userID\tartistID\ttagID\tday\tmonth\tyear\n2\tx\t1\t1\t1\t2000\n",
            Order::ArtistId,
        )
        .err()
        .unwrap();
        assert_eq!(
            err.to_string(),
            "user_taggedartists.dat:2: field 2 (`artistID`) is not an integer"
        );
        let err = build("wrong header\n", "", Order::ArtistId).err().unwrap();
        assert!(err
            .to_string()
            .starts_with("artists.dat:1: expected the header"));
    }
}
