//! Goodreads (UCSD Book Graph, one genre): JSON lines turned into samples by prefbench's own
//! recipe `goodreads` v1 (S-DPO's subset is unpublished). Genre: **poetry**, the smallest
//! genre file (~2.7 M interactions), which keeps downloads and preparation laptop-sized.
//! Interactions: rows with `is_read` true, ordered per user by `date_added` (ties keep file
//! order); books without a title in `goodreads_books_poetry` are dropped; iterated 5-core; per
//! user the last book is the test target, the one before the validation target, up to 20
//! earlier positions (history ≥ 3) train; histories ≤ 10; S-DPO's candidate protocol. Many
//! editions share a title: the card counts samples whose negatives share the target's title.
use std::path::Path;

use serde::Deserialize;

use crate::error::DatasetError;
use crate::formats::catalogue::{read_catalogue, read_interactions, Catalogue};
use crate::formats::sequences::{self, SequenceParams};
use crate::formats::steam::days_from_civil;
use crate::sample::Dataset;

/// What [`Dataset::source_ids`] holds for this recipe, as the dataset card names it.
pub const SOURCE_IDS: &str = "Goodreads book ids (`book_id`)";

/// Bump whenever the output of [`build`] changes.
pub const RECIPE_VERSION: u32 = 1;
/// The genre file the recipe reads.
pub const GENRE: &str = "poetry";

/// The recipe's parameters.
pub const PARAMS: SequenceParams = SequenceParams {
    k_core: 5,
    min_history: 3,
    max_train_per_user: 20,
};

#[derive(Deserialize)]
struct Row {
    user_id: String,
    book_id: String,
    #[serde(default)]
    is_read: bool,
    #[serde(default)]
    date_added: String,
}

#[derive(Deserialize)]
struct Book {
    book_id: String,
    #[serde(default)]
    title: String,
}

/// Seconds since the epoch of `Tue Oct 17 21:11:20 -0700 2017`.
pub fn parse_date(s: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let f: Vec<&str> = s.split_whitespace().collect();
    let [_, mon, day, hms, zone, year] = f.as_slice() else {
        return None;
    };
    let m = MONTHS.iter().position(|x| x == mon)? as i64 + 1;
    let t: Vec<i64> = hms
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let [h, mi, sec] = t.as_slice() else {
        return None;
    };
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let z: i64 = zone.get(1..)?.parse().ok()?;
    let offset = sign * ((z / 100) * 3600 + (z % 100) * 60);
    let days = days_from_civil(year.parse().ok()?, m, day.parse().ok()?);
    Some(days * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

/// Parses both files and runs the recipe; also returns notes for the card.
pub fn build(
    interactions_file: &Path,
    books_file: &Path,
) -> Result<(Dataset, Vec<String>), DatasetError> {
    let catalogue = read_catalogue(books_file, |line| {
        let b: Book = serde_json::from_str(line)?;
        Ok::<_, serde_json::Error>((!b.title.is_empty()).then_some((b.book_id, b.title)))
    })?;
    let (rows, file, skipped) = read_interactions(interactions_file, &catalogue, |line| {
        let r: Row = serde_json::from_str(line)?;
        let time = parse_date(&r.date_added).filter(|_| r.is_read);
        Ok::<_, serde_json::Error>(time.map(|time| (r.user_id, r.book_id, time)))
    })?;
    let notes = vec![
        format!("recipe goodreads v{RECIPE_VERSION}, genre {GENRE}: {}", serde_json::to_string(&PARAMS).unwrap_or_default()),
        format!("{skipped} interaction lines unread, without a titled book or without a date_added skipped"),
    ];
    let Catalogue {
        titles, source_ids, ..
    } = catalogue;
    Ok((
        sequences::build("goodreads", &file, rows, &titles, &source_ids, &PARAMS)?,
        notes,
    ))
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn dates_with_offsets() {
        assert_eq!(parse_date("Thu Jan 01 00:00:00 +0000 1970"), Some(0));
        assert_eq!(
            parse_date("Tue Oct 17 21:11:20 -0700 2017"),
            Some(1_508_299_880)
        );
        assert_eq!(parse_date(""), None);
    }
}
