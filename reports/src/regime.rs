//! Which policy a run trained: item ids only, or ids plus frozen MiniLM title embeddings (the
//! `item_text` setting). DynamicPO's effect can change sign between the two, so a report never
//! pools them: results are split by (dataset, regime), and where a dataset ran both, the
//! DynamicPO differences are set side by side.
use crate::dataset::{DatasetResults, HR_AT_1};
use crate::format::{signed, MISSING};
use crate::pairs::{paired, pairs};
use prefbench_results::RunRecord;
use std::collections::{BTreeMap, BTreeSet};

/// What the policy knows about an item besides its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Regime {
    Ids,
    Titles,
}

impl Regime {
    /// The regime of `record`, read from the model in its spec; records written before the
    /// `item_text` option trained on item ids only.
    pub fn of(record: &RunRecord) -> Self {
        match record.spec["model"]["item_text"].as_str() {
            Some("minilm") => Self::Titles,
            _ => Self::Ids,
        }
    }

    /// Short label for headings, tables and chart captions.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ids => "item ids only",
            Self::Titles => "item ids + MiniLM titles",
        }
    }

    /// What the policy reads, in full, for the overview.
    pub fn description(self) -> &'static str {
        match self {
            Self::Ids => "item ids only",
            Self::Titles => "item ids + frozen all-MiniLM-L6-v2 title embeddings",
        }
    }

    /// Figure file names of this regime, so the charts of two regimes never collide.
    pub fn file_suffix(self) -> &'static str {
        match self {
            Self::Ids => "ids",
            Self::Titles => "minilm",
        }
    }
}

/// The regimes present, in order.
pub(crate) fn present(datasets: &[DatasetResults]) -> BTreeSet<Regime> {
    datasets.iter().map(|d| d.regime).collect()
}

/// The overview line naming the policy (or policies) that ran.
pub(crate) fn overview_line(datasets: &[DatasetResults]) -> String {
    let regimes = present(datasets);
    let described: Vec<&str> = regimes.iter().map(|r| r.description()).collect();
    match described.as_slice() {
        [one] => format!("Policy: {one}.\n\n"),
        many => format!(
            "Policies: {}; each dataset's results and each claim's verdict are given per \
             policy, never pooled.\n\n",
            many.join("; ")
        ),
    }
}

/// For each dataset that ran more than one regime, the DynamicPO − base difference in test
/// HR@1 (mean over shared seeds) of every pair at every K, one column per regime; empty when
/// no dataset did.
pub(crate) fn section(datasets: &[DatasetResults]) -> String {
    let mut by_name: BTreeMap<&str, Vec<&DatasetResults>> = BTreeMap::new();
    datasets
        .iter()
        .for_each(|d| by_name.entry(d.name).or_default().push(d));
    by_name.retain(|_, regimes| regimes.len() > 1);
    if by_name.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "## Regimes\n\n\
         DynamicPO against its base under each policy: mean test HR@1 difference (variant − \
         base) over the seeds both ran, n seeds; the per-regime sections give the tests.\n\n",
    );
    for (name, regimes) in by_name {
        out += &format!("### `{name}`\n\n| variant − base | K |");
        regimes
            .iter()
            .for_each(|d| out += &format!(" {} |", d.regime.label()));
        out += "\n|:--|--:|";
        regimes.iter().for_each(|_| out += "--:|");
        out.push('\n');
        let all_pairs: BTreeSet<(&str, &str)> = regimes.iter().flat_map(|d| pairs(d)).collect();
        for (variant, base) in all_pairs {
            let ks: BTreeSet<usize> = regimes
                .iter()
                .flat_map(|d| {
                    d.ks_of(variant)
                        .intersection(&d.ks_of(base))
                        .copied()
                        .collect::<Vec<_>>()
                })
                .collect();
            for k in ks {
                out += &format!("| {variant} − {base} | {k} |");
                for data in &regimes {
                    let cell = paired(data, variant, base, k, |r| Some((HR_AT_1.of)(&r.test)))
                        .map_or(MISSING.to_string(), |p| {
                            format!("{} (n={})", signed(p.diff, 4), p.n)
                        });
                    out += &format!(" {cell} |");
                }
                out.push('\n');
            }
        }
        out.push('\n');
    }
    out
}
