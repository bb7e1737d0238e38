//! Splitting a matrix into N parts: `--shard I/N` for machines, and `--jobs N` for processes on
//! one machine. Both hand out whole (dataset, seed) groups, so each SFT reference is trained by
//! one part only, and balance the parts by a cost model that depends on the config alone, so
//! every machine computes the same split without talking to the others.
use std::fmt;
use std::str::FromStr;

use super::matrix::Group;
use crate::config::ExperimentConfig;

/// The I-th of N parts of a matrix, 1-based as job-array indices usually are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("--shard {s}: expected I/N with 1 <= I <= N, e.g. 2/5");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Expected cost of a group in epochs over its dataset: the SFT epochs once, then the PO epochs
/// of every run. A PO step costs about one SFT step here because the reference log-likelihoods
/// are cached and the policy scores all items in one pass whatever K is. Datasets count alike:
/// their sizes are known only after preparation, and the split must not depend on that.
pub fn cost(config: &ExperimentConfig, group: &Group) -> f64 {
    (config.sft.epochs + config.po.epochs * group.runs.len()) as f64
}

/// Assigns each of `costs` to one of `parts` parts, 0-based: greedy on the largest cost first
/// into the least-loaded part (ties: the earlier item, then the lower part), which is
/// deterministic and within 4/3 of the best makespan.
pub fn assign(costs: &[f64], parts: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
    let mut load = vec![0.0_f64; parts];
    let mut part_of = vec![0; costs.len()];
    for item in order {
        let part = (0..parts)
            .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
            .unwrap_or(0);
        load[part] += costs[item];
        part_of[item] = part;
    }
    part_of
}

/// The groups of `groups` that fall to part `index` (0-based) of `parts`.
pub fn select<'a>(
    config: &ExperimentConfig,
    groups: Vec<Group<'a>>,
    index: usize,
    parts: usize,
) -> Vec<Group<'a>> {
    let costs: Vec<f64> = groups.iter().map(|g| cost(config, g)).collect();
    let part_of = assign(&costs, parts);
    groups
        .into_iter()
        .zip(part_of)
        .filter(|(_, part)| *part == index)
        .map(|(group, _)| group)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!("2/5".parse(), Ok(Shard { index: 2, count: 5 }));
        for bad in ["0/3", "4/3", "1/0", "1", "a/b"] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert!(err.contains(bad) && err.contains("I/N"), "{err}");
        }
    }

    #[test]
    fn parts_cover_every_item_once_and_balance() {
        let costs = [5.0, 5.0, 5.0, 3.0, 3.0, 2.0, 1.0];
        let parts = assign(&costs, 3);
        let mut load = [0.0; 3];
        for (c, p) in costs.iter().zip(&parts) {
            load[*p] += c;
        }
        assert_eq!(load, [8.0, 8.0, 8.0]);
        assert_eq!(parts, assign(&costs, 3), "deterministic");
    }
}
