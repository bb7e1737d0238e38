//! MovieLens-100K (GroupLens ml-100k, docs/movielens.md): the members `u.data` and `u.item`, each
//! checked against its own pinned sha256, and two recipes.
//!
//! - `movielens-llara` rebuilds LLaRA's three frames exactly (docs/movielens.md 3.3): the first
//!   line of `u.data` is lost (LLaRA read it as a CSV header), ratings ≥ 3 are kept, users are
//!   ordered by first appearance, each user's positives by timestamp with NumPy 1.24's unstable
//!   introsort ([`crate::npsort`]), the user split is LLaRA's explicit lists
//!   (`movielens-split.json`). The frames are rendered as docs/movielens.md 6 prescribes and
//!   their sha256 pinned in the registry. Training samples are the frame rows LLaRA's loader
//!   keeps (at least [`MIN_HISTORY`] real items); the validation and test users give one sample
//!   each, their last positive: 94 and 95 samples.
//! - `movielens-loo` is the standard sequential protocol with the power to decide: every
//!   rating of `u.data`, positives (rating ≥ 3) of each user ordered by timestamp, ties by file
//!   line (a stable sort: the file's order, not an arbitrary one); per user the last positive is
//!   the test target, the one before the validation target, every earlier position with at
//!   least [`MIN_HISTORY`] items before it a training sample: 943 validation and test samples.
//!
//! Both use the whole catalogue of `u.item` (item index = movie id − 1), histories of at most
//! ten items and S-DPO's seeded candidate protocol (19 negatives by CPython `random` seeded with
//! the target's index, none from the history; LLaRA's own draws are unseeded and lost).
use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::candidates::candidates;
use crate::error::DatasetError;
use crate::formats::archive::{read_dir_members, read_zip_members};
use crate::formats::lines::{for_each_line, Lines};
use crate::formats::{Rebuilt, SplitUsers};
use crate::npsort::argsort_quicksort;
use crate::sample::{Dataset, ItemId, Sample, MAX_HISTORY};

/// The archive members the recipes read.
pub const MEMBERS: [&str; 2] = ["u.data", "u.item"];
/// What [`Dataset::source_ids`] holds for these recipes, as the dataset card names it.
pub const SOURCE_IDS: &str = "MovieLens movie ids (`movie id` of u.item)";
/// Samples need at least this many history items: LLaRA's loader drops rows with
/// `len_seq < 3`, and LastFM's protocol starts at the same position.
pub const MIN_HISTORY: usize = 3;
/// Ratings at or above this are positives (LLaRA's filter).
const POSITIVE: u8 = 3;

/// Which recipe runs on the members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// LLaRA's frames, byte for byte.
    Llara,
    /// Leave the last positive out for test, the one before for validation, every user.
    Loo,
}

impl Variant {
    /// The dataset the variant yields, which also prefixes its rendered files.
    pub fn dataset_name(self) -> &'static str {
        match self {
            Variant::Llara => "movielens-llara",
            Variant::Loo => "movielens-loo",
        }
    }
}

/// One line of `u.data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rating {
    user: u32,
    /// GroupLens movie id, 1-based.
    item: u32,
    rating: u8,
    time: i64,
}

/// The two members, parsed.
pub struct Members {
    /// Every line of `u.data`, in file order.
    ratings: Vec<Rating>,
    /// The title of each movie (`titles[id - 1]`), as [`display_title`] cleans it.
    titles: Vec<String>,
}

/// A member's pinned sha256: `(member, sha256)`, from the registry entry's `members` (taken as
/// plain pairs so that this module does not depend on the registry, which names its recipes).
pub type Pin<'a> = (&'a str, &'a str);

/// Reads the members from the zip archive and checks each against its pin in `pins`.
pub fn read_archive(path: &Path, pins: &[Pin]) -> Result<Members, DatasetError> {
    let shown = path.display();
    parse(read_zip_members(path, &MEMBERS)?, pins, |m| {
        format!("{shown}: {m}")
    })
}

/// Reads the members from a directory of extracted (or separately downloaded) files and checks
/// each against its pin in `pins`.
pub fn read_dir(dir: &Path, pins: &[Pin]) -> Result<Members, DatasetError> {
    parse(read_dir_members(dir, &MEMBERS)?, pins, |m| {
        dir.join(m).display().to_string()
    })
}

/// Checks the pins, then parses both members; `shown(member)` names a member in errors.
fn parse(
    bytes: Vec<Vec<u8>>,
    pins: &[Pin],
    shown: impl Fn(&str) -> String,
) -> Result<Members, DatasetError> {
    for (member, bytes) in MEMBERS.iter().zip(&bytes) {
        check_pin(&shown(member), member, bytes, pins)?;
    }
    let [data, item]: [Vec<u8>; 2] = bytes.try_into().expect("one entry per member");
    let titles = parse_items(&shown(MEMBERS[1]), &item)?;
    let ratings = parse_ratings(&shown(MEMBERS[0]), data, titles.len())?;
    Ok(Members { ratings, titles })
}

/// Refuses a member whose sha256 is not the one `pins` gives it: many public copies of ml-100k
/// add a header line or CRLF line ends, and a silently different `u.data` is a different
/// experiment.
fn check_pin(shown: &str, member: &str, bytes: &[u8], pins: &[Pin]) -> Result<(), DatasetError> {
    let Some(&(_, expected)) = pins.iter().find(|(name, _)| *name == member) else {
        return Ok(());
    };
    let actual = hex::encode(Sha256::digest(bytes));
    if actual == expected {
        return Ok(());
    }
    Err(DatasetError::bad_input(
        shown,
        format!(
            "sha256 {actual} is not the pinned {expected} of ml-100k's {member}: this is not the \
             GroupLens file (many copies add a header line or CRLF line ends); use the members \
             of the original ml-100k.zip"
        ),
    ))
}

/// `u.item`: ISO-8859-1 (each byte is the code point of the same value), pipe-separated, movie
/// ids 1, 2, … in line order; the titles, cleaned.
fn parse_items(file: &str, bytes: &[u8]) -> Result<Vec<String>, DatasetError> {
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let mut titles = Vec::new();
    let mut lines = Lines::from_reader(Box::new(Cursor::new(text.as_bytes())), file.to_string());
    for_each_line(&mut lines, |n, line| {
        let mut fields = line.split('|');
        let id = fields.next().and_then(|f| f.parse::<u64>().ok());
        let title = fields.next();
        match (id, title) {
            (Some(id), Some(title)) if id == titles.len() as u64 + 1 => {
                titles.push(display_title(title));
                Ok(())
            }
            (Some(id), Some(_)) => Err(DatasetError::parse(
                file,
                n,
                format!(
                    "movie id {id} where {} was expected: u.item numbers its movies 1, 2, … in order",
                    titles.len() + 1
                ),
            )),
            _ => Err(DatasetError::parse(
                file,
                n,
                "expected `movie id|title|…` (pipe-separated, the movie id an integer)",
            )),
        }
    })?;
    if titles.len() < crate::sample::CANDIDATES + MAX_HISTORY {
        return Err(DatasetError::bad_input(
            file,
            format!("only {} movies; is this ml-100k's u.item?", titles.len()),
        ));
    }
    Ok(titles)
}

/// `u.data`: `user \t movie id \t rating \t unix time`, every movie id one of `u.item`'s.
fn parse_ratings(file: &str, bytes: Vec<u8>, n_items: usize) -> Result<Vec<Rating>, DatasetError> {
    let mut ratings = Vec::new();
    let mut lines = Lines::from_reader(Box::new(Cursor::new(bytes)), file.to_string());
    for_each_line(&mut lines, |n, line| {
        let fields: Vec<&str> = line.split('\t').collect();
        let field = |k: usize, what: &str| {
            fields
                .get(k)
                .and_then(|f| f.parse::<i64>().ok())
                .ok_or_else(|| {
                    DatasetError::parse(
                        file,
                        n,
                        format!("field {} (`{what}`) is not an integer; expected `user \\t movie id \\t rating \\t timestamp`", k + 1),
                    )
                })
        };
        let (user, item, rating, time) = (
            field(0, "user id")?,
            field(1, "movie id")?,
            field(2, "rating")?,
            field(3, "timestamp")?,
        );
        if !(1..=n_items as i64).contains(&item) {
            return Err(DatasetError::parse(
                file,
                n,
                format!("movie id {item} is not in u.item (1 to {n_items})"),
            ));
        }
        if !(1..=5).contains(&rating) || !(0..=i64::from(u32::MAX)).contains(&user) {
            return Err(DatasetError::parse(
                file,
                n,
                format!(
                    "rating {rating} of user {user}: ratings are 1 to 5, user ids non-negative"
                ),
            ));
        }
        ratings.push(Rating {
            user: user as u32,
            item: item as u32,
            rating: rating as u8,
            time,
        });
        Ok(())
    })?;
    Ok(ratings)
}

/// A `u.item` title for the text encoder: surrounding spaces trimmed, the release year kept
/// (it tells remakes apart), and a trailing English article moved to the front
/// ("Usual Title, The (1995)" → "The Usual Title (1995)"). LLaRA's prompt-side cleaning
/// (cut the last seven characters, delete every ", The" anywhere) is not reproduced: it
/// mangles some titles and only matters for text prompts.
pub fn display_title(raw: &str) -> String {
    let raw = raw.trim();
    let (base, year) = match raw.rsplit_once(" (") {
        Some((base, y))
            if y.len() == 5 && y.ends_with(')') && y[..4].bytes().all(|b| b.is_ascii_digit()) =>
        {
            (base, Some(&y[..4]))
        }
        _ => (raw, None),
    };
    let base = ["The", "A", "An"]
        .iter()
        .find_map(|article| {
            base.strip_suffix(&format!(", {article}"))
                .map(|rest| format!("{article} {rest}"))
        })
        .unwrap_or_else(|| base.to_string());
    match year {
        Some(y) => format!("{base} ({y})"),
        None => base,
    }
}

/// One user's positives in sequence order.
type Sequence = (u32, Vec<Rating>);

/// Positives grouped by user, users in order of first appearance, each user's in file order.
fn positives_by_user(ratings: &[Rating]) -> Vec<Sequence> {
    let mut index: HashMap<u32, usize> = HashMap::new();
    let mut users: Vec<Sequence> = Vec::new();
    for r in ratings.iter().filter(|r| r.rating >= POSITIVE) {
        let k = *index.entry(r.user).or_insert_with(|| {
            users.push((r.user, Vec::new()));
            users.len() - 1
        });
        users[k].1.push(*r);
    }
    users
}

/// LLaRA's sequences: the first line lost, users by first appearance, each user's positives
/// in the order of NumPy's unstable `argsort` of their timestamps.
fn llara_sequences(ratings: &[Rating]) -> Vec<Sequence> {
    let mut users = positives_by_user(ratings.get(1..).unwrap_or_default());
    for (_, seq) in &mut users {
        let times: Vec<i64> = seq.iter().map(|r| r.time).collect();
        *seq = argsort_quicksort(&times)
            .into_iter()
            .map(|i| seq[i])
            .collect();
    }
    users
}

/// The leave-one-out sequences: every line, users in ascending id, each user's positives by
/// timestamp, ties in file order.
fn loo_sequences(ratings: &[Rating]) -> Vec<Sequence> {
    let mut users = positives_by_user(ratings);
    users.sort_by_key(|(user, _)| *user);
    for (_, seq) in &mut users {
        seq.sort_by_key(|r| r.time);
    }
    users
}

/// The sample of position `k` of `seq`: the up to ten items before it, the item at `k` and its
/// seeded candidates.
fn sample(user: u32, seq: &[Rating], k: usize, n_items: usize) -> Sample {
    let index = |r: &Rating| (r.item - 1) as ItemId;
    let history: Vec<ItemId> = seq[k.saturating_sub(MAX_HISTORY)..k]
        .iter()
        .map(index)
        .collect();
    let target = index(&seq[k]);
    Sample {
        user,
        candidates: candidates(&history, target, n_items),
        history,
        target,
    }
}

/// Whether the item at `k` shares its timestamp with another positive of the sequence.
fn tied(seq: &[Rating], k: usize) -> bool {
    seq.iter()
        .enumerate()
        .any(|(j, r)| j != k && r.time == seq[k].time)
}

/// One row of a rendered frame: the real items before the target (at most ten) and the target.
struct FrameRow<'a> {
    seq: &'a [Rating],
    next: Rating,
}

/// The plain-text rendering of docs/movielens.md 6: a header, then per row its number, the ten
/// `item:rating` pairs (0-based item, padded with `n_items:0` after the real items), `len_seq`
/// (at least 1) and the target.
fn render(rows: &[FrameRow], n_items: usize) -> String {
    use std::fmt::Write;
    let mut out = String::from("row\tseq\tlen_seq\tnext\n");
    for (i, row) in rows.iter().enumerate() {
        let pairs: Vec<String> = row
            .seq
            .iter()
            .map(|r| format!("{}:{}", r.item - 1, r.rating))
            .chain(std::iter::repeat(format!("{n_items}:0")))
            .take(MAX_HISTORY)
            .collect();
        let _ = writeln!(
            out,
            "{i}\t{}\t{}\t{}:{}",
            pairs.join(","),
            row.seq.len().max(1),
            row.next.item - 1,
            row.next.rating
        );
    }
    out
}

/// The frame row of position `k` of `seq`.
fn frame_row(seq: &[Rating], k: usize) -> FrameRow<'_> {
    FrameRow {
        seq: &seq[k.saturating_sub(MAX_HISTORY)..k],
        next: seq[k],
    }
}

/// User ids, one per line.
fn user_lines(users: &[u32]) -> String {
    users.iter().map(|u| format!("{u}\n")).collect()
}

/// The samples of the three splits, the rendered files and the recipe's notes.
struct Built {
    splits: [Vec<Sample>; 3],
    files: Vec<(String, String)>,
    notes: Vec<String>,
}

/// Index of each split in [`Built::splits`] and in the frames, in the registry's file order.
const TRAIN: usize = 0;
const VALID: usize = 1;
const TEST: usize = 2;
const PARTS: [(&str, usize); 3] = [("train", TRAIN), ("val", VALID), ("test", TEST)];

/// Runs the recipe of `variant` on the members; `llara` uses `split` (LLaRA's user lists).
pub fn build_with(
    members: &Members,
    variant: Variant,
    split: &SplitUsers,
) -> Result<Rebuilt, DatasetError> {
    let n_items = members.titles.len();
    let built = match variant {
        Variant::Llara => llara(&members.ratings, n_items, split)?,
        Variant::Loo => loo(&members.ratings, n_items),
    };
    let mut notes = vec![title_note(&members.titles)];
    notes.extend(built.notes);
    notes.push(format!(
        "candidates: S-DPO's protocol over all {n_items} movies (19 negatives by CPython random \
         seeded with the target's 0-based index, none from the shown history, then shuffled); \
         LLaRA's own draws are unseeded and were never published"
    ));
    let [train, valid, test] = built.splits;
    Ok(Rebuilt {
        dataset: Dataset {
            name: variant.dataset_name().to_string(),
            n_items,
            titles: Some(members.titles.clone()),
            source_ids: Some((1..=n_items as u64).collect()),
            train,
            valid,
            test,
        },
        files: built.files,
        notes,
    })
}

/// LLaRA's frames: every position of a training user is a frame row (a sample from
/// [`MIN_HISTORY`] items on), a validation or test user gives one row, its last positive.
fn llara(ratings: &[Rating], n_items: usize, split: &SplitUsers) -> Result<Built, DatasetError> {
    let users = llara_sequences(ratings);
    for listed in split.test.iter().chain(&split.val) {
        if !users.iter().any(|(u, _)| u == listed) {
            return Err(DatasetError::bad_input(
                "u.data",
                format!("user {listed} of LLaRA's split has no rating ≥ 3 after the first line; is this ml-100k's u.data?"),
            ));
        }
    }
    let role = |user: u32| match (split.test.contains(&user), split.val.contains(&user)) {
        (true, _) => TEST,
        (false, true) => VALID,
        (false, false) => TRAIN,
    };
    let mut splits: [Vec<Sample>; 3] = Default::default();
    let mut frames: [Vec<FrameRow>; 3] = Default::default();
    let mut listed: [Vec<u32>; 3] = Default::default();
    let mut ties = [0usize; 3];
    for (user, seq) in &users {
        let r = role(*user);
        let n = seq.len();
        let positions = if r == TRAIN { 0..n } else { n - 1..n };
        for k in positions {
            frames[r].push(frame_row(seq, k));
            if k >= MIN_HISTORY {
                splits[r].push(sample(*user, seq, k, n_items));
            }
        }
        if r != TRAIN {
            listed[r].push(*user);
            ties[r] += usize::from(tied(seq, n - 1));
        }
    }
    let name = Variant::Llara.dataset_name();
    let mut files = render_parts(name, &frames, n_items);
    for (part, r) in [("val", VALID), ("test", TEST)] {
        files.push((format!("{name}-{part}-users.txt"), user_lines(&listed[r])));
    }
    let notes = vec![
        format!(
            "LLaRA's MovieLens frames rebuilt (docs/movielens.md 3.3): the first line of u.data \
             is lost as LLaRA's CSV header, {} positives (rating ≥ {POSITIVE}) of {} users, each \
             user's ordered by NumPy 1.24's unstable quicksort of the timestamps (emulated); \
             LLaRA's explicit split; training samples are the {} train-frame rows of at least \
             {MIN_HISTORY} history items (LLaRA's loader drops the others)",
            users.iter().map(|(_, s)| s.len()).sum::<usize>(),
            users.len(),
            splits[TRAIN].len()
        ),
        format!(
            "{} of {} test and {} of {} validation targets share their timestamp with another \
             positive of the same user: which of them is last is the sort's arbitrary choice",
            ties[TEST],
            listed[TEST].len(),
            ties[VALID],
            listed[VALID].len()
        ),
    ];
    Ok(Built {
        splits,
        files,
        notes,
    })
}

/// Leave-one-out: per user the last positive to test, the one before to validation, every
/// earlier position from [`MIN_HISTORY`] on to training.
fn loo(ratings: &[Rating], n_items: usize) -> Built {
    let users = loo_sequences(ratings);
    let mut splits: [Vec<Sample>; 3] = Default::default();
    let mut frames: [Vec<FrameRow>; 3] = Default::default();
    let (mut skipped, mut tied_test, mut tied_valid) = (0, 0, 0);
    for (user, seq) in &users {
        let n = seq.len();
        if n < MIN_HISTORY + 2 {
            skipped += 1;
            continue;
        }
        for (r, positions) in [
            (TRAIN, MIN_HISTORY..n - 2),
            (VALID, n - 2..n - 1),
            (TEST, n - 1..n),
        ] {
            for k in positions {
                splits[r].push(sample(*user, seq, k, n_items));
                frames[r].push(frame_row(seq, k));
            }
        }
        tied_test += usize::from(tied(seq, n - 1));
        tied_valid += usize::from(tied(seq, n - 2));
    }
    let positives: usize = users.iter().map(|(_, s)| s.len()).sum();
    let all_tied: usize = users
        .iter()
        .map(|(_, s)| (0..s.len()).filter(|&k| tied(s, k)).count())
        .sum();
    let notes = vec![
        format!(
            "leave-one-out on every rating of u.data: {positives} positives (rating ≥ {POSITIVE}) \
             of {} users, each user's ordered by timestamp with ties in file order (stable); \
             last positive to test, the one before to validation, every earlier position with \
             at least {MIN_HISTORY} history items to training; {skipped} users with fewer than \
             {} positives left out",
            users.len(),
            MIN_HISTORY + 2
        ),
        format!(
            "{tied_test} of {} test and {tied_valid} of {} validation targets share their \
             timestamp with another positive of the same user (their place is the file's \
             order, not time); {all_tied} of {positives} positives do",
            splits[TEST].len(),
            splits[VALID].len()
        ),
    ];
    Built {
        files: render_parts(Variant::Loo.dataset_name(), &frames, n_items),
        splits,
        notes,
    }
}

/// `<name>-train.tsv`, `-val.tsv` and `-test.tsv`: the three frames rendered.
fn render_parts(name: &str, frames: &[Vec<FrameRow>; 3], n_items: usize) -> Vec<(String, String)> {
    PARTS
        .iter()
        .map(|(part, r)| (format!("{name}-{part}.tsv"), render(&frames[*r], n_items)))
        .collect()
}

/// [`build_with`] LLaRA's own split (`movielens-split.json`).
pub fn build(members: &Members, variant: Variant) -> Result<Rebuilt, DatasetError> {
    let split = SplitUsers::parse(
        "movielens-split.json",
        include_str!("../../movielens-split.json"),
    )?;
    build_with(members, variant, &split)
}

/// The card's note on the titles: how they were cleaned, the untitled and the shared ones.
fn title_note(titles: &[String]) -> String {
    let untitled = titles.iter().filter(|t| t.as_str() == "unknown").count();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in titles {
        *counts.entry(t.as_str()).or_default() += 1;
    }
    let shared: Vec<usize> = counts.values().copied().filter(|&c| c > 1).collect();
    format!(
        "titles from u.item (ISO-8859-1), release year kept, a trailing \", The\", \", A\" or \
         \", An\" moved to the front; {untitled} movie titled `unknown` in u.item keeps that word; \
         {} titles are shared by {} movies (their title embeddings are equal, their item ids \
         differ); LLaRA's prompt-side title cleaning is not reproduced (it only matters for text \
         prompts)",
        shared.len(),
        shared.iter().sum::<usize>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    fn rating(user: u32, item: u32, rating: u8, time: i64) -> Rating {
        Rating {
            user,
            item,
            rating,
            time,
        }
    }

    #[test]
    fn titles_keep_the_year_and_front_the_article() {
        for (raw, want) in [
            ("Usual Title, The (1995)", "The Usual Title (1995)"),
            ("Usual Title, An (1951)", "An Usual Title (1951)"),
            ("Title, A (1990) ", "A Title (1990)"),
            (
                "Title, The (Der Titel) (1930)",
                "Title, The (Der Titel) (1930)",
            ),
            ("Video Title (1995) (V)", "Video Title (1995) (V)"),
            ("unknown", "unknown"),
        ] {
            assert_eq!(display_title(raw), want, "{raw}");
        }
        // Latin-1: every byte is its own code point.
        let titles = parse_items(
            "u.item",
            &[&b"1|Caf\xe9 (1990)|x\n"[..], &b"2|b|x\n".repeat(39)].concat(),
        );
        let err = titles.unwrap_err().to_string();
        assert!(err.contains("movie id 2 where 3 was expected"), "{err}");
        let items: Vec<u8> = (1..=40)
            .flat_map(|i| format!("{i}|T{i}|x\n").into_bytes())
            .chain(b"41|Caf\xe9 (1990)|x\n".iter().copied())
            .collect();
        assert_eq!(parse_items("u.item", &items).unwrap()[40], "Café (1990)");
    }

    /// LLaRA's sequences lose the file's first line and order ties by NumPy's unstable
    /// quicksort; leave-one-out keeps every line and orders ties by file line.
    #[test]
    fn llara_loses_the_first_line_and_sorts_ties_unstably() {
        // User 1: 20 positives at one timestamp (more than an insertion sort's 16), then one
        // later; user 2's only rating comes first in the file.
        let mut ratings = vec![rating(2, 30, 5, 1)];
        ratings.extend((0..20).map(|k| rating(1, k + 1, 4, 100)));
        ratings.push(rating(1, 25, 2, 50));
        ratings.push(rating(1, 26, 3, 200));
        let llara = llara_sequences(&ratings);
        assert_eq!(llara.len(), 1, "user 2's only line was the lost header");
        let items = |seq: &[Rating]| seq.iter().map(|r| r.item).collect::<Vec<_>>();
        let times: Vec<i64> = (0..21).map(|k| if k < 20 { 100 } else { 200 }).collect();
        let want: Vec<u32> = argsort_quicksort(&times)
            .iter()
            .map(|&i| if i < 20 { i as u32 + 1 } else { 26 })
            .collect();
        assert_eq!(items(&llara[0].1), want);
        assert_ne!(
            want[..20],
            (1..=20).collect::<Vec<u32>>()[..],
            "unstable: ties reordered"
        );
        let loo = loo_sequences(&ratings);
        assert_eq!(loo.iter().map(|(u, _)| *u).collect::<Vec<_>>(), [1, 2]);
        let mut stable: Vec<u32> = (1..=20).collect();
        stable.push(26);
        assert_eq!(
            items(&loo[0].1),
            stable,
            "ties in file order; rating 2 dropped"
        );
        assert!(tied(&loo[0].1, 0) && !tied(&loo[0].1, 20));
    }

    /// LLaRA's split decides the roles; a listed user missing from the data is refused, and the
    /// rendering pads with the catalogue size and numbers rows from 0.
    #[test]
    fn llara_frames_follow_the_split() {
        let titles: Vec<String> = (1..=40).map(|i| format!("T{i}")).collect();
        let ratings: Vec<Rating> = (0..8)
            .flat_map(|k| (1..=4).map(move |u| rating(u, u * 5 + k, 4, i64::from(k))))
            .collect();
        let members = Members {
            ratings: [vec![rating(9, 1, 5, 0)], ratings].concat(),
            titles,
        };
        let split = SplitUsers {
            test: vec![2],
            val: vec![3],
        };
        let rebuilt = build_with(&members, Variant::Llara, &split).unwrap();
        let ds = &rebuilt.dataset;
        assert_eq!((ds.train.len(), ds.valid.len(), ds.test.len()), (10, 1, 1));
        assert_eq!(ds.test[0].user, 2);
        assert_eq!(ds.test[0].target, 2 * 5 + 7 - 1);
        let (name, train) = &rebuilt.files[0];
        assert_eq!(name, "movielens-llara-train.tsv");
        let lines: Vec<&str> = train.lines().collect();
        assert_eq!(lines[0], "row\tseq\tlen_seq\tnext");
        assert_eq!(
            lines[1],
            "0\t40:0,40:0,40:0,40:0,40:0,40:0,40:0,40:0,40:0,40:0\t1\t4:4"
        );
        assert_eq!(
            lines[3],
            "2\t4:4,5:4,40:0,40:0,40:0,40:0,40:0,40:0,40:0,40:0\t2\t6:4"
        );
        assert_eq!(lines.len(), 1 + 16);
        assert_eq!(
            rebuilt.files[4],
            ("movielens-llara-test-users.txt".into(), "2\n".into())
        );
        let missing = SplitUsers {
            test: vec![9],
            val: vec![3],
        };
        let err = build_with(&members, Variant::Llara, &missing)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("user 9 of LLaRA's split"), "{err}");
    }

    /// On the real members (`../shared/data/ml-100k`, beside the project on the team's machines
    /// and in CI; never committed), both recipes render exactly the files the registry pins:
    /// LLaRA's three frames and user lists, and prefbench's own leave-one-out rendering.
    #[test]
    #[ignore = "needs the real ml-100k members in ../shared/data (never committed); `make test` runs it where they exist"]
    fn real_members_give_the_pinned_files() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/ml-100k");
        let registry = Registry::builtin().unwrap();
        for variant in [Variant::Llara, Variant::Loo] {
            let entry = registry.get(variant.dataset_name()).unwrap();
            let pins: Vec<Pin> = entry.files[0]
                .members
                .iter()
                .map(|m| (m.name.as_str(), m.sha256.as_deref().unwrap()))
                .collect();
            let members = read_dir(&dir, &pins).unwrap();
            let rebuilt = build(&members, variant).unwrap();
            let names: Vec<&str> = rebuilt.files.iter().map(|(f, _)| f.as_str()).collect();
            let pinned: Vec<&str> = entry.derived.iter().map(|d| d.name.as_str()).collect();
            assert_eq!(names, pinned);
            for ((file, text), want) in rebuilt.files.iter().zip(&entry.derived) {
                assert_eq!(hex::encode(Sha256::digest(text)), want.sha256, "{file}");
            }
            let ds = &rebuilt.dataset;
            let sizes = (ds.train.len(), ds.valid.len(), ds.test.len());
            match variant {
                Variant::Llara => assert_eq!(sizes, (66_126, 94, 95)),
                Variant::Loo => assert_eq!(sizes, (77_805, 943, 943)),
            }
            assert_eq!(ds.n_items, 1682);
        }
    }
}
