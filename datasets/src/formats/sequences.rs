//! The recipe core shared by Steam and Goodreads: time-ordered interactions → k-core →
//! leave-last-two-out samples with S-DPO's candidate protocol. Memory: 16 bytes per
//! interaction plus one map entry per user and item (about 200 MB for Steam's 7.8 M reviews).
use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::candidates::candidates;
use crate::error::DatasetError;
use crate::sample::{Dataset, ItemId, Sample, CANDIDATES, MAX_HISTORY};

/// Parameters of a sequence recipe; they go into the dataset card's notes.
#[derive(Debug, Clone, Serialize)]
pub struct SequenceParams {
    /// Users and items each keep at least this many interactions (iterated to a fixed point).
    pub k_core: usize,
    /// Samples need a history of at least this many items (LastFM's protocol uses 3).
    pub min_history: usize,
    /// Train samples per user, the most recent ones; bounds the dataset's size.
    pub max_train_per_user: usize,
}

/// One interaction, with user and item already mapped to dense indices by [`Interner`].
#[derive(Debug, Clone, Copy)]
pub struct Interaction {
    pub user: u32,
    pub item: u32,
    pub time: i64,
}

/// Dense indices for string keys in order of first appearance; keys are stored as 64-bit
/// FNV-1a hashes so that millions of user names cost no string memory.
#[derive(Default)]
pub struct Interner(HashMap<u64, u32>);

impl Interner {
    pub fn get_or_insert(&mut self, key: &str) -> u32 {
        let next = self.0.len() as u32;
        *self.0.entry(fnv1a(key)).or_insert(next)
    }

    pub fn get(&self, key: &str) -> Option<u32> {
        self.0.get(&fnv1a(key)).copied()
    }
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Builds the dataset. `interactions` must be in file order (ties in time keep it);
/// `titles[item]` is the title of each interned item and `source_ids[item]` its numeric id in
/// the source, if it has one: the dataset gets [`Dataset::source_ids`] only when every item
/// that survives the k-core has one.
pub fn build(
    name: &str,
    source: &str,
    mut interactions: Vec<Interaction>,
    titles: &[String],
    source_ids: &[Option<u64>],
    params: &SequenceParams,
) -> Result<Dataset, DatasetError> {
    interactions.sort_by_key(|i| (i.user, i.time));
    let mut seen = HashSet::new();
    interactions.retain(|i| seen.insert((i.user, i.item)));
    drop(seen);
    k_core(&mut interactions, params.k_core);
    let mut ids: HashMap<u32, ItemId> = HashMap::new();
    let mut item_titles = Vec::new();
    let mut item_source_ids = Some(Vec::new());
    for i in &interactions {
        ids.entry(i.item).or_insert_with(|| {
            item_titles.push(titles[i.item as usize].clone());
            item_source_ids = item_source_ids.take().and_then(|mut v| {
                v.push(source_ids.get(i.item as usize).copied().flatten()?);
                Some(v)
            });
            (item_titles.len() - 1) as ItemId
        });
    }
    let n_items = item_titles.len();
    if n_items < CANDIDATES + MAX_HISTORY {
        return Err(DatasetError::bad_input(
            source,
            format!(
                "only {n_items} items remain after the {}-core filter; is the file complete?",
                params.k_core
            ),
        ));
    }
    let (mut train, mut valid, mut test) = (Vec::new(), Vec::new(), Vec::new());
    for seq in interactions.chunk_by(|a, b| a.user == b.user) {
        let user = seq[0].user;
        let items: Vec<ItemId> = seq.iter().map(|i| ids[&i.item]).collect();
        let n = items.len();
        let sample = |k: usize| {
            let history = items[k.saturating_sub(MAX_HISTORY)..k].to_vec();
            Sample {
                user,
                candidates: candidates(&history, items[k], n_items),
                history,
                target: items[k],
            }
        };
        if n < params.min_history + 2 {
            continue;
        }
        let first_train = params
            .min_history
            .max((n - 2).saturating_sub(params.max_train_per_user));
        train.extend((first_train..n - 2).map(sample));
        valid.push(sample(n - 2));
        test.push(sample(n - 1));
    }
    Ok(Dataset {
        name: name.to_string(),
        n_items,
        titles: Some(item_titles),
        source_ids: item_source_ids,
        train,
        valid,
        test,
    })
}

/// Removes interactions of users or items with fewer than `k` of them until none is left.
fn k_core(interactions: &mut Vec<Interaction>, k: usize) {
    loop {
        let mut users: HashMap<u32, usize> = HashMap::new();
        let mut items: HashMap<u32, usize> = HashMap::new();
        for i in interactions.iter() {
            *users.entry(i.user).or_default() += 1;
            *items.entry(i.item).or_default() += 1;
        }
        let before = interactions.len();
        interactions.retain(|i| users[&i.user] >= k && items[&i.item] >= k);
        if interactions.len() == before {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_core_reaches_a_fixed_point() {
        // User 2's removal drops item 9 below 2, which then drops user 1's item-9 row.
        let rows = [
            (0, 1),
            (0, 2),
            (1, 1),
            (1, 2),
            (1, 9),
            (2, 9),
            (3, 1),
            (3, 2),
        ];
        let mut v: Vec<Interaction> = rows
            .iter()
            .map(|&(user, item)| Interaction {
                user,
                item,
                time: 0,
            })
            .collect();
        v.push(Interaction {
            user: 2,
            item: 7,
            time: 0,
        });
        k_core(&mut v, 2);
        assert!(v.iter().all(|i| i.item != 9 && i.user != 2));
        assert_eq!(v.len(), 6);
    }

    #[test]
    fn leave_last_two_out() {
        let titles: Vec<String> = (0..40).map(|i| format!("t{i}")).collect();
        let mut rows = Vec::new();
        for user in 0..40u32 {
            for k in 0..8u32 {
                // reversed times: the sort must restore time order
                rows.push(Interaction {
                    user,
                    item: (user + k) % 40,
                    time: -(k as i64),
                });
            }
        }
        let params = SequenceParams {
            k_core: 5,
            min_history: 3,
            max_train_per_user: 2,
        };
        let ds = build("x", "f", rows.clone(), &titles, &[], &params).unwrap();
        assert_eq!(
            (ds.train.len(), ds.valid.len(), ds.test.len()),
            (80, 40, 40)
        );
        let t = &ds.test[0];
        assert_eq!(t.history.len(), 7);
        assert!(t.candidates.contains(&t.target));
        assert_eq!(ds.source_ids, None);
        // Source ids follow the renumbering (item i is titled t{i}); all or nothing: one kept
        // item without a numeric id leaves the dataset without source ids.
        let numeric: Vec<Option<u64>> = (0..40).map(|i| Some(1000 + i)).collect();
        let with_ids = build("x", "f", rows.clone(), &titles, &numeric, &params).unwrap();
        let source_ids = with_ids.source_ids.unwrap();
        assert_eq!(source_ids.len(), with_ids.n_items);
        let named = with_ids.titles.unwrap();
        for (id, title) in source_ids.iter().zip(&named) {
            assert_eq!(format!("t{}", id - 1000), *title);
        }
        assert_eq!(ds.test, with_ids.test);
        let mut gap = numeric.clone();
        gap[5] = None;
        let with_gap = build("x", "f", rows, &titles, &gap, &params).unwrap();
        assert_eq!(with_gap.source_ids, None);
        let too_few = build("x", "f", vec![], &titles, &[], &params).unwrap_err();
        assert!(too_few.to_string().starts_with("f: only 0 items"));
    }
}
