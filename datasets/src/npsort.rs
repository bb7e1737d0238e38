//! NumPy's classic `argsort(kind='quicksort')` on 64-bit integers, emulated step for step.
//!
//! LLaRA ordered each MovieLens user's ratings by timestamp with pandas `sort_values`, which is
//! NumPy's unstable introsort as shipped up to NumPy 1.24 (later versions dispatch to SIMD
//! sorts on some CPUs and order ties differently). Three quarters of ml-100k's ratings share a
//! timestamp with another of the same user, so which of the tied items is the "last" one, the
//! test target, depends on the exact sequence of swaps; only a faithful emulation rebuilds
//! LLaRA's frames byte for byte (docs/movielens.md 3.3). The algorithm is NumPy 1.24's
//! `aquicksort_` and `aheapsort_` (npysort/quicksort.cpp, heapsort.cpp): median-of-three
//! partitions while more than 16 elements remain, the larger side pushed on a stack with the
//! decremented depth budget, insertion sort below, heapsort for a popped partition whose budget
//! is spent. Checked against NumPy 1.24.4's own output in `tests/fixtures/introsort_vectors.json`.

/// A partition whose `hi - lo` is at most this (16 elements or fewer) is finished by insertion
/// sort (NumPy's `SMALL_QUICKSORT`).
const SMALL_QUICKSORT: usize = 15;

/// The permutation `numpy.argsort(values, kind='quicksort')` returns under NumPy ≤ 1.24.
pub fn argsort_quicksort(values: &[i64]) -> Vec<usize> {
    let n = values.len();
    let mut idx: Vec<usize> = (0..n).collect();
    if n < 2 {
        return idx;
    }
    let v = |i: usize| values[i];
    // (lo, hi) inclusive bounds and depth budget of the partitions still to sort.
    let mut stack: Vec<(usize, usize, i64)> = Vec::new();
    let (mut pl, mut pr) = (0usize, n - 1);
    let mut depth = 2 * i64::from(n.ilog2());
    loop {
        if depth < 0 {
            heapsort(values, &mut idx[pl..=pr]);
        } else {
            while pr - pl > SMALL_QUICKSORT {
                let pm = pl + ((pr - pl) >> 1);
                if v(idx[pm]) < v(idx[pl]) {
                    idx.swap(pm, pl);
                }
                if v(idx[pr]) < v(idx[pm]) {
                    idx.swap(pr, pm);
                }
                if v(idx[pm]) < v(idx[pl]) {
                    idx.swap(pm, pl);
                }
                let pivot = v(idx[pm]);
                let (mut pi, mut pj) = (pl, pr - 1);
                idx.swap(pm, pj);
                loop {
                    pi += 1;
                    while v(idx[pi]) < pivot {
                        pi += 1;
                    }
                    pj -= 1;
                    while pivot < v(idx[pj]) {
                        pj -= 1;
                    }
                    if pi >= pj {
                        break;
                    }
                    idx.swap(pi, pj);
                }
                idx.swap(pi, pr - 1);
                depth -= 1;
                if pi - pl < pr - pi {
                    stack.push((pi + 1, pr, depth));
                    pr = pi - 1;
                } else {
                    stack.push((pl, pi - 1, depth));
                    pl = pi + 1;
                }
            }
            insertion_sort(values, &mut idx[pl..=pr]);
        }
        match stack.pop() {
            Some((lo, hi, d)) => (pl, pr, depth) = (lo, hi, d),
            None => return idx,
        }
    }
}

/// Straight insertion by strict "less": stable among the elements it moves.
fn insertion_sort(values: &[i64], part: &mut [usize]) {
    for i in 1..part.len() {
        let vi = part[i];
        let key = values[vi];
        let mut j = i;
        while j > 0 && key < values[part[j - 1]] {
            part[j] = part[j - 1];
            j -= 1;
        }
        part[j] = vi;
    }
}

/// NumPy's `aheapsort_` on one partition, with its one-based indexing (`a[k]` is `part[k-1]`).
fn heapsort(values: &[i64], part: &mut [usize]) {
    let less = |part: &[usize], a: usize, b: usize| values[part[a - 1]] < values[part[b - 1]];
    let sift = |part: &mut [usize], mut i: usize, n: usize, tmp: usize| {
        let mut j = i * 2;
        while j <= n {
            if j < n && less(part, j, j + 1) {
                j += 1;
            }
            if values[tmp] < values[part[j - 1]] {
                part[i - 1] = part[j - 1];
                i = j;
                j += j;
            } else {
                break;
            }
        }
        part[i - 1] = tmp;
    };
    let mut n = part.len();
    for l in (1..=n >> 1).rev() {
        let tmp = part[l - 1];
        sift(part, l, n, tmp);
    }
    while n > 1 {
        let tmp = part[n - 1];
        part[n - 1] = part[0];
        n -= 1;
        sift(part, 1, n, tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Vectors {
        numpy: String,
        cases: Vec<Case>,
    }

    #[derive(Deserialize)]
    struct Case {
        values: Vec<i64>,
        argsort: Vec<usize>,
    }

    /// Every vector NumPy 1.24.4 sorted (`tests/fixtures/gen_introsort_vectors.py`: heavy
    /// ties, sizes around the insertion-sort threshold, patterns that exhaust the depth budget).
    #[test]
    fn equals_numpy_1_24() {
        let vectors: Vectors =
            serde_json::from_str(include_str!("../tests/fixtures/introsort_vectors.json")).unwrap();
        assert!(vectors.numpy.starts_with("1.24"), "{}", vectors.numpy);
        assert!(vectors.cases.len() > 100);
        for (i, case) in vectors.cases.iter().enumerate() {
            assert_eq!(
                argsort_quicksort(&case.values),
                case.argsort,
                "case {i} (n = {})",
                case.values.len()
            );
        }
    }

    /// The unstable partition reorders ties (what separates it from a stable sort), and the
    /// result is always a sorting permutation.
    #[test]
    fn sorts_and_is_not_stable() {
        let values: Vec<i64> = (0..40).map(|i| (i * 7 % 3) as i64).collect();
        let order = argsort_quicksort(&values);
        assert!(order.windows(2).all(|w| values[w[0]] <= values[w[1]]));
        let mut stable: Vec<usize> = (0..40).collect();
        stable.sort_by_key(|&i| values[i]);
        assert_ne!(order, stable);
        let mut heap: Vec<usize> = (0..40).collect();
        heapsort(&values, &mut heap);
        assert!(heap.windows(2).all(|w| values[w[0]] <= values[w[1]]));
    }
}
