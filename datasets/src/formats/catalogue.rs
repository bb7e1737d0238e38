//! The two passes every "catalogue + interactions" source shares (Steam, Goodreads): the titled
//! items, interned in file order, then the interactions with those items, each line parsed by
//! the source's own function, a bad line an error naming file and line.
use std::path::Path;

use crate::error::DatasetError;
use crate::formats::lines::{for_each_line, Lines};
use crate::formats::sequences::{Interaction, Interner};

/// The items a source titles, in file order.
#[derive(Default)]
pub struct Catalogue {
    pub items: Interner,
    /// `titles[item]`: the title of each interned item.
    pub titles: Vec<String>,
    /// `source_ids[item]`: its numeric id in the source, if it has one.
    pub source_ids: Vec<Option<u64>>,
    /// Lines that named no titled item, or an item already seen.
    pub ignored: usize,
}

/// An item line as a source reads it: its id and its title, or `None` for a line without both.
pub type ItemLine = Option<(String, String)>;

/// An interaction line as a source reads it: (user, item id, time), or `None` for a line to
/// skip.
pub type InteractionLine = Option<(String, String, i64)>;

/// Reads the catalogue of `path`, one item per line through `parse`; the first line of an id
/// counts.
pub fn read_catalogue<E: ToString>(
    path: &Path,
    mut parse: impl FnMut(&str) -> Result<ItemLine, E>,
) -> Result<Catalogue, DatasetError> {
    let mut catalogue = Catalogue::default();
    let mut lines = Lines::open(path)?;
    let file = lines.file().to_string();
    for_each_line(&mut lines, |n, line| {
        match parse(line).map_err(|e| DatasetError::parse(&file, n, e))? {
            Some((id, title)) if catalogue.items.get(&id).is_none() => {
                catalogue.items.get_or_insert(&id);
                catalogue.source_ids.push(id.parse().ok());
                catalogue.titles.push(title);
            }
            _ => catalogue.ignored += 1,
        }
        Ok(())
    })?;
    Ok(catalogue)
}

/// The interactions of `path` with items of `catalogue`, in file order, one per line through
/// `parse`, with the file's name and how many lines were skipped (`None`, or an item outside
/// the catalogue).
pub fn read_interactions<E: ToString>(
    path: &Path,
    catalogue: &Catalogue,
    mut parse: impl FnMut(&str) -> Result<InteractionLine, E>,
) -> Result<(Vec<Interaction>, String, usize), DatasetError> {
    let mut users = Interner::default();
    let mut interactions = Vec::new();
    let mut skipped = 0usize;
    let mut lines = Lines::open(path)?;
    let file = lines.file().to_string();
    for_each_line(&mut lines, |n, line| {
        let parsed = parse(line).map_err(|e| DatasetError::parse(&file, n, e))?;
        match parsed.and_then(|(user, item, time)| Some((user, catalogue.items.get(&item)?, time)))
        {
            Some((user, item, time)) => interactions.push(Interaction {
                user: users.get_or_insert(&user),
                item,
                time,
            }),
            None => skipped += 1,
        }
        Ok(())
    })?;
    Ok((interactions, file, skipped))
}
