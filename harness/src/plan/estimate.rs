//! `prefbench run --dry-run`: the expanded matrix (or shard), its size, and its expected
//! duration from the timings of earlier records, without preparing data or training.
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use prefbench_results::store::read_records;
use prefbench_results::{stats, RunRecord};
use prefbench_vocabulary::{Ensemble, Method, PolicyConfig};

use super::matrix::{self, Group};
use super::shard::{self, Shard};
use super::stacks;
use crate::config::ExperimentConfig;
use crate::output_dir::results_file;

/// Checks that `path`, given with `--estimate-from`, holds records: a typo must not turn into
/// an estimate from nothing.
pub fn require_records(path: &Path) -> Result<()> {
    let file = results_file(path);
    if !file.is_file() {
        bail!(
            "--estimate-from {}: there is no results file at {}; pass the output directory of \
             an earlier run or its results.jsonl",
            path.display(),
            file.display()
        );
    }
    Ok(())
}

/// The plan of `config` (or of its shard) as text, with an estimate from the records in
/// `timing_sources` (output directories or `results.jsonl` files; missing ones are skipped).
pub fn describe(
    config: &ExperimentConfig,
    shard: Option<Shard>,
    jobs: usize,
    timing_sources: &[PathBuf],
) -> Result<String> {
    let runs = matrix::expand_unprepared(config);
    let all = matrix::groups(&runs);
    let total_groups = all.len();
    let groups = match shard {
        Some(s) => shard::select(config, all, s.index - 1, s.count),
        None => all,
    };
    let n_runs: usize = groups.iter().map(|g| g.runs.len()).sum();
    let mut out = String::new();
    let models = config.models();
    writeln!(
        out,
        "matrix `{}`: {} runs = {} dataset(s) × {} seed(s) × {} policy(ies) × {} (method, K) \
         pairs; {} SFT references",
        config.name,
        runs.len(),
        config.datasets.len(),
        config.seeds.len(),
        models.len(),
        runs.len() / total_groups.max(1),
        total_groups
    )?;
    let policies: Vec<String> = models.iter().map(PolicyConfig::label).collect();
    writeln!(
        out,
        "policies (architecture/item_text): {}",
        policies.join(", ")
    )?;
    for method in &config.methods {
        let skipped: Vec<String> = config
            .k
            .iter()
            .filter(|&&k| !ExperimentConfig::runs_at(*method, k))
            .map(ToString::to_string)
            .collect();
        if !skipped.is_empty() {
            writeln!(
                out,
                "{method} is defined only for K = 1, so it is left out at K = {}",
                skipped.join(", ")
            )?;
        }
    }
    if let Some(s) = shard {
        writeln!(
            out,
            "shard {s}: {} of the {total_groups} (dataset, seed, policy) groups, {n_runs} runs",
            groups.len()
        )?;
    }
    writeln!(out, "\n(method, K) pairs of every (dataset, seed, policy):")?;
    for method in &config.methods {
        let ks: Vec<String> = config
            .k
            .iter()
            .filter(|&&k| ExperimentConfig::runs_at(*method, k))
            .map(ToString::to_string)
            .collect();
        writeln!(out, "  {:<28} K {}", method.to_string(), ks.join(", "))?;
    }
    let timings = Timings::load(timing_sources)?;
    writeln!(out, "\n(dataset, seed, policy) groups:")?;
    let mut total = Cost::default();
    for group in &groups {
        let cost = timings.group(group);
        writeln!(
            out,
            "  {:<12} seed {:<4} {:<18} {:>4} runs{}",
            group.dataset,
            group.seed,
            group.model.label(),
            group.runs.len(),
            if timings.any() {
                format!("  ≈ {}", hours(cost.seconds))
            } else {
                String::new()
            }
        )?;
        total.add(&cost);
    }
    writeln!(out, "\n{}", stacking(config, &groups))?;
    out.push_str(&timings.summary(&total, n_runs, jobs));
    Ok(out)
}

/// How the runs will be packed into stacks (`po.ensemble`), as far as the plan knows: `auto`
/// sizes its CUDA stacks from the prepared data and the memory budget, so only the families
/// are known before.
fn stacking(config: &ExperimentConfig, groups: &[Group]) -> String {
    let families = stacks::families(groups, config.po.ensemble);
    let runs = |family: &Vec<&Group>| family.iter().map(|g| g.runs.len()).sum::<usize>();
    match config.po.ensemble {
        Ensemble::Off => "stacks: none (po.ensemble off): every run trains alone".into(),
        Ensemble::Auto => format!(
            "stacks (po.ensemble auto): on the CPU every run trains alone; on CUDA the runs of \
             each of the {} (dataset, policy) families are cut into as few, as even stacks as \
             the memory budget allows, sized once the data is prepared",
            families.len()
        ),
        Ensemble::Members(n) => {
            let sizes: Vec<String> = families
                .iter()
                .map(|f| format!("{:?}", stacks::sizes(runs(f), n)))
                .collect();
            format!(
                "stacks (po.ensemble {n}): runs per stack in each (dataset, policy) family: {}",
                sizes.join("; ")
            )
        }
    }
}

fn hours(seconds: f64) -> String {
    format!("{:.2} h", seconds / 3600.0)
}

/// Medians of earlier records' timings, by cell and by coarser keys for cells never measured.
#[derive(Default)]
struct Timings {
    sources: Vec<String>,
    records: usize,
    threads: Vec<usize>,
    /// PO + evaluation seconds by (dataset, method, K), by (method, K) and overall.
    by_cell: BTreeMap<(String, Method, usize), Vec<f64>>,
    by_method_k: BTreeMap<(Method, usize), Vec<f64>>,
    runs: Vec<f64>,
    /// SFT + reference-cache seconds by dataset and overall, from records that paid for them.
    sft_by_dataset: BTreeMap<String, Vec<f64>>,
    sft: Vec<f64>,
}

/// Expected seconds of a set of runs, and how many runs were estimated at each level.
#[derive(Default)]
struct Cost {
    seconds: f64,
    exact: usize,
    same_method_k: usize,
    overall: usize,
}

impl Cost {
    fn add(&mut self, other: &Cost) {
        self.seconds += other.seconds;
        self.exact += other.exact;
        self.same_method_k += other.same_method_k;
        self.overall += other.overall;
    }
}

impl Timings {
    fn load(sources: &[PathBuf]) -> Result<Self> {
        let mut timings = Self::default();
        for source in sources {
            let file = results_file(source);
            if !file.is_file() {
                continue;
            }
            let records = read_records(&file)
                .with_context(|| format!("cannot read earlier timings from {}", file.display()))?;
            timings.sources.push(file.display().to_string());
            records.iter().for_each(|r| timings.add(r));
        }
        timings.threads.sort_unstable();
        timings.threads.dedup();
        Ok(timings)
    }

    fn add(&mut self, r: &RunRecord) {
        let t = &r.timings;
        let run = t.po_s + t.eval_s;
        let (dataset, method, k) = (r.cell.dataset.clone(), r.cell.method, r.cell.k);
        self.by_cell
            .entry((dataset.clone(), method, k))
            .or_default()
            .push(run);
        self.by_method_k.entry((method, k)).or_default().push(run);
        self.runs.push(run);
        if !t.sft_cached {
            let sft = t.sft_s + t.reference_cache_s;
            self.sft_by_dataset.entry(dataset).or_default().push(sft);
            self.sft.push(sft);
        }
        self.records += 1;
        self.threads.push(r.threads);
    }

    fn any(&self) -> bool {
        self.records > 0
    }

    fn group(&self, group: &Group) -> Cost {
        let mut cost = Cost {
            seconds: median(self.sft_by_dataset.get(group.dataset))
                .or_else(|| median(Some(&self.sft)))
                .unwrap_or(0.0),
            ..Cost::default()
        };
        for run in &group.runs {
            let (method, k) = (run.key.cell.method, run.key.cell.k);
            let cell = (run.key.cell.dataset.clone(), method, k);
            if let Some(s) = median(self.by_cell.get(&cell)) {
                cost.seconds += s;
                cost.exact += 1;
            } else if let Some(s) = median(self.by_method_k.get(&(method, k))) {
                cost.seconds += s;
                cost.same_method_k += 1;
            } else {
                cost.seconds += median(Some(&self.runs)).unwrap_or(0.0);
                cost.overall += 1;
            }
        }
        cost
    }

    fn summary(&self, total: &Cost, runs: usize, jobs: usize) -> String {
        if !self.any() {
            return format!(
                "{runs} runs; no earlier records to estimate the duration from (run part of \
                 the matrix first, or pass --estimate-from DIR with the output of an earlier \
                 run on this machine)\n"
            );
        }
        let mut text = format!(
            "{runs} runs; estimated {} in one job{} from {} earlier records in {} (run at \
             {:?} thread(s)): the median of each (dataset, method, K) for {} runs, of the same \
             (method, K) on other datasets for {}, of all runs for {}; SFT per dataset where \
             measured, else the median of all SFTs\n",
            hours(total.seconds),
            if jobs > 1 {
                format!(
                    ", about {} with --jobs {jobs}",
                    hours(total.seconds / jobs as f64)
                )
            } else {
                String::new()
            },
            self.records,
            self.sources.join(", "),
            self.threads,
            total.exact,
            total.same_method_k,
            total.overall
        );
        if total.exact < runs {
            text.push_str(
                "runs not measured on their own dataset assume that dataset costs the same as \
                 the measured ones; datasets differ in size, so treat those as a lower bound \
                 when the records come from the synthetic demo\n",
            );
        }
        text
    }
}

fn median(values: Option<&Vec<f64>>) -> Option<f64> {
    stats::median(values?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_stack_size_shows_each_familys_stacks() {
        let mut config = ExperimentConfig::preset("lastfm-quick").unwrap();
        config.po.ensemble = Ensemble::Members(4);
        let hashes = [("lastfm-raw".to_string(), String::new())];
        let runs = matrix::expand(&config, &hashes);
        let groups = matrix::groups(&runs);
        // Two policies, 18 runs each: stacks of 4, 4, 4, 3, 3.
        assert_eq!(
            stacking(&config, &groups),
            "stacks (po.ensemble 4): runs per stack in each (dataset, policy) family: \
             [4, 4, 4, 3, 3]; [4, 4, 4, 3, 3]"
        );
    }
}
