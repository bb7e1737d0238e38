//! The hetrec2011 LastFM archive and the eight-step recipe of docs/datasets.md that rebuilds S-DPO's
//! LastFM samples from it, byte for byte.
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{BufReader, Cursor, Read};
use std::path::Path;

use serde::Deserialize;

use crate::candidates::candidates;
use crate::error::DatasetError;
use crate::formats::lines::{for_each_line, Lines};
use crate::formats::sdpo::write_sdpo;
use crate::sample::{Dataset, ItemId, Sample, MAX_HISTORY};

/// What [`Dataset::source_ids`] holds for this recipe, as the dataset card names it.
pub const SOURCE_IDS: &str = "hetrec artist ids (`artistID`)";
/// The archive members the recipe reads.
pub const MEMBERS: [&str; 2] = ["artists.dat", "user_taggedartists.dat"];
/// Largest member accepted from the archive (the real ones are a few MB).
const MAX_MEMBER: u64 = 256 << 20;
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

#[derive(Deserialize)]
struct SplitUsers {
    test: Vec<u32>,
    val: Vec<u32>,
}

/// The rebuilt dataset and its S-DPO-format files `(file name, bytes)`.
pub struct Rebuilt {
    pub dataset: Dataset,
    pub files: Vec<(String, String)>,
}

/// Reads the two members from the zip archive, by exact name only: nothing is extracted to
/// disk, so archive paths (`..`, absolute, symlinks) can never escape anywhere.
pub fn read_archive(path: &Path) -> Result<[String; 2], DatasetError> {
    let file = std::fs::File::open(path).map_err(DatasetError::io("opening", path))?;
    let shown = path.display().to_string();
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| {
        DatasetError::bad_input(
            &shown,
            format!("not a readable zip archive ({e}); delete it and fetch it again"),
        )
    })?;
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    let read = |member: &str, zip: &mut zip::ZipArchive<_>| -> Result<String, DatasetError> {
        let full = names
            .iter()
            .find(|n| n.rsplit('/').next() == Some(member))
            .ok_or_else(|| DatasetError::bad_input(&shown, format!("has no member `{member}`")))?;
        let entry = zip
            .by_name(full)
            .map_err(|e| DatasetError::bad_input(&shown, format!("{full}: {e}")))?;
        let mut bytes = Vec::new();
        entry
            .take(MAX_MEMBER + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                DatasetError::bad_input(
                    &shown,
                    format!(
                        "{full}: corrupt or truncated ({e}); delete the archive and fetch it again"
                    ),
                )
            })?;
        if bytes.len() as u64 > MAX_MEMBER {
            return Err(DatasetError::bad_input(
                &shown,
                format!("{full} expands beyond {MAX_MEMBER} bytes; refusing it"),
            ));
        }
        String::from_utf8(bytes)
            .map_err(|e| DatasetError::bad_input(&shown, format!("{full} is not UTF-8 ({e})")))
    };
    Ok([read(MEMBERS[0], &mut zip)?, read(MEMBERS[1], &mut zip)?])
}

/// Reads the two members from a directory of already extracted files.
pub fn read_dir(dir: &Path) -> Result<[String; 2], DatasetError> {
    let read = |m: &str| {
        let p = dir.join(m);
        std::fs::read_to_string(&p).map_err(DatasetError::io("reading the extracted member", p))
    };
    Ok([read(MEMBERS[0])?, read(MEMBERS[1])?])
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
/// split user lists of `lastfm-split.json`.
pub fn build(artists: &str, tagged: &str) -> Result<Rebuilt, DatasetError> {
    let split: SplitUsers = serde_json::from_str(include_str!("../../lastfm-split.json"))
        .map_err(|e| DatasetError::Registry(format!("lastfm-split.json: {e}")))?;
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
    // Step 1: distinct (user, artist) pairs, ordered by user then artist.
    let mut pairs = BTreeSet::new();
    parse_table(
        tagged,
        MEMBERS[1],
        "userID artistID tagID day month year",
        |f| {
            pairs.insert((int(f, 0, "userID")?, int(f, 1, "artistID")?));
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
    let files = [
        ("lastfm-train.json", &train_s),
        ("lastfm-val.json", &valid_s),
        ("lastfm-test.json", &test_s),
    ]
    .map(|(f, s)| (f.to_string(), write_sdpo(s, &titles)))
    .to_vec();
    Ok(Rebuilt {
        dataset: Dataset {
            name: "lastfm-raw".into(),
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
        let rebuilt = build(&artists, &tagged).unwrap();
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

    /// Re-runs the Python reference when python3 is available, for a byte-level diff.
    #[test]
    fn python_reference_agrees_byte_for_byte() {
        let out = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("python3")
            .arg(fixture().join("hetrec_reference.py"))
            .arg(fixture().join("hetrec"))
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("lastfm-split.json"))
            .arg(out.path())
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("python3 not available: relying on the committed hashes");
            return;
        }
        let [artists, tagged] = read_dir(&fixture().join("hetrec")).unwrap();
        for (file, bytes) in build(&artists, &tagged).unwrap().files {
            let want = std::fs::read_to_string(out.path().join(&file)).unwrap();
            let first_diff = want.bytes().zip(bytes.bytes()).position(|(a, b)| a != b);
            assert!(
                want == bytes,
                "{file}: first difference at byte {first_diff:?}"
            );
        }
    }

    #[test]
    fn malformed_rows_name_file_and_line() {
        let err = build(
            "id\tname\turl\tpictureURL\n1\tA\tu\tp\n",
            "userID\tartistID\ttagID\tday\tmonth\tyear\n2\tx\t1\t1\t1\t2000\n",
        )
        .err()
        .unwrap();
        assert_eq!(
            err.to_string(),
            "user_taggedartists.dat:2: field 2 (`artistID`) is not an integer"
        );
        let err = build("wrong header\n", "").err().unwrap();
        assert!(err
            .to_string()
            .starts_with("artists.dat:1: expected the header"));
    }
}
