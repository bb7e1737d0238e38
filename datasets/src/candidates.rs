//! The candidate protocol of S-DPO (docs/datasets.md, the candidate protocol), shared by every public recipe:
//! 19 negatives drawn with CPython's `random.sample` from all items except the history and the
//! target, seeded by the target id, then the 20 shuffled under the same seed.
use crate::pyrandom::PyRandom;
use crate::sample::{ItemId, CANDIDATES};

/// The 20 candidates of a sample, exactly as S-DPO's Python code orders them. The population
/// (ids in ascending order minus `history` and `target`) is never materialised: the k-th
/// population member is found by skipping the few excluded ids.
pub fn candidates(history: &[ItemId], target: ItemId, n_items: usize) -> Vec<ItemId> {
    let mut excluded: Vec<ItemId> = history.iter().copied().chain([target]).collect();
    excluded.sort_unstable();
    excluded.dedup();
    let population = n_items - excluded.len();
    let mut rng = PyRandom::new(u64::from(target));
    let mut out: Vec<ItemId> = rng
        .sample(population as u32, CANDIDATES - 1)
        .into_iter()
        .map(|k| nth_not_excluded(k, &excluded))
        .collect();
    out.push(target);
    PyRandom::new(u64::from(target)).shuffle(&mut out);
    out
}

/// The `k`-th id (from 0) of `0..` that is not in the sorted list `excluded`.
fn nth_not_excluded(k: u32, excluded: &[ItemId]) -> ItemId {
    let mut id = k;
    for &e in excluded {
        if e <= id {
            id += 1;
        } else {
            break;
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_materialised_population() {
        let excluded = [0u32, 3, 4, 9];
        let population: Vec<u32> = (0..20).filter(|i| !excluded.contains(i)).collect();
        for (k, &want) in population.iter().enumerate() {
            assert_eq!(nth_not_excluded(k as u32, &excluded), want);
        }
    }

    #[test]
    fn candidates_keep_the_invariants() {
        let history = [5, 17, 3];
        let c = candidates(&history, 42, 100);
        assert_eq!(c.len(), CANDIDATES);
        assert!(c.contains(&42));
        assert!(c.iter().all(|x| !history.contains(x) && *x < 100));
        let mut d = c.clone();
        d.sort_unstable();
        d.dedup();
        assert_eq!(d.len(), CANDIDATES);
    }
}
