//! Steam (SASRec's "v2" reviews): gzip files of Python literals, turned into samples by
//! prefbench's own recipe `steam` v1 (LLaRA's is unpublished):
//! user = `username`, item = `product_id`, time = `date` (ties keep file order); games without a
//! title in `steam_games` are dropped; the first review of a (user, game) pair counts; iterated
//! 5-core; per user the last game is the test target, the one before the validation target, and
//! up to 20 earlier positions (history ≥ 3) are training samples; histories ≤ 10; candidates by
//! S-DPO's protocol (CPython `random` seeded with the target id).
use std::path::Path;

use serde_json::Value;

use crate::error::DatasetError;
use crate::formats::catalogue::{read_catalogue, read_interactions, Catalogue};
use crate::formats::pyliteral;
use crate::formats::sequences::{self, SequenceParams};
use crate::sample::Dataset;

/// What [`Dataset::source_ids`] holds for this recipe, as the dataset card names it.
pub const SOURCE_IDS: &str = "Steam app ids (`product_id`)";

/// Bump whenever the output of [`build`] changes.
pub const RECIPE_VERSION: u32 = 1;

/// The recipe's parameters.
pub const PARAMS: SequenceParams = SequenceParams {
    k_core: 5,
    min_history: 3,
    max_train_per_user: 20,
};

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (it.next()??, it.next()??, it.next()??);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| days_from_civil(y, m, d))
}

fn text(v: &Value, key: &str) -> Option<String> {
    match &v[key] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses both files and runs the recipe; also returns notes for the card (skipped lines).
pub fn build(reviews: &Path, games: &Path) -> Result<(Dataset, Vec<String>), DatasetError> {
    let catalogue = read_catalogue(games, |line| {
        let v = pyliteral::parse(line)?;
        let title = text(&v, "app_name").or_else(|| text(&v, "title"));
        Ok::<_, String>(text(&v, "id").zip(title))
    })?;
    let (interactions, file, skipped) = read_interactions(reviews, &catalogue, |line| {
        let v = pyliteral::parse(line)?;
        let time = text(&v, "date").and_then(|d| parse_date(&d));
        Ok::<_, String>(
            (text(&v, "username").zip(text(&v, "product_id")).zip(time))
                .map(|((user, item), time)| (user, item, time)),
        )
    })?;
    let notes = vec![
        format!(
            "recipe steam v{RECIPE_VERSION}: {}",
            serde_json::to_string(&PARAMS).unwrap_or_default()
        ),
        format!(
            "{} game lines without an id or title (or repeated ids) ignored",
            catalogue.ignored
        ),
        format!("{skipped} review lines without username, a titled product_id or a date skipped"),
    ];
    let Catalogue {
        titles, source_ids, ..
    } = catalogue;
    Ok((
        sequences::build("steam", &file, interactions, &titles, &source_ids, &PARAMS)?,
        notes,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(parse_date("2017-12-17"), Some(17_517));
        assert_eq!(parse_date("December 2017"), None);
    }
}
