//! Where a run's time goes, stage by stage, so a user sees what to cut: the shared stages (SFT
//! and the reference log-likelihoods, paid once per seed) spread over the runs of their seed,
//! then the run's own PO steps, the rest of PO (epoch batching, bookkeeping) and the
//! evaluation of each split. Only records that carry the stage profile count (older records
//! time PO and evaluation whole).
use std::collections::BTreeMap;

use super::dataset::DatasetResults;
use crate::model::{Column, Table, Value};
use prefbench_results::stats::mean;
use prefbench_results::Timings;
use prefbench_vocabulary::Method;

/// The stages of a run, in the order the table and the chart stack them.
pub(crate) const STAGES: [&str; 6] = [
    "SFT (seed's share)",
    "reference log-likelihoods (seed's share)",
    "PO steps",
    "PO other",
    "evaluation, valid",
    "evaluation, test",
];

/// One method's mean seconds per run in each of [`STAGES`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MethodStages {
    pub method: Method,
    pub runs: usize,
    pub seconds: [f64; STAGES.len()],
}

impl MethodStages {
    pub fn total(&self) -> f64 {
        self.seconds.iter().sum()
    }
}

/// The stage profile of every method with profiled runs, in table order, and the mean data
/// preparation seconds of their processes; `None` when no run carries a profile.
pub(crate) struct Profile {
    pub methods: Vec<MethodStages>,
    pub data_s: Option<f64>,
}

/// The seconds of a run timed `t` in each stage, its seed's shared stages divided by
/// `runs_of_seed`; `None` without a profile or with a time that is not finite.
fn stages(t: &Timings, runs_of_seed: usize) -> Option<[f64; STAGES.len()]> {
    let (steps, valid, test) = (t.po_steps_s?, t.eval_valid_s?, t.eval_test_s?);
    let share = |s: f64| s / runs_of_seed.max(1) as f64;
    let seconds = [
        share(t.sft_s),
        share(t.reference_cache_s),
        steps,
        (t.po_s - steps).max(0.0),
        valid,
        test,
    ];
    // A time beyond f64 (only from records that skipped validation) would stretch the chart's
    // axis without end.
    (seconds.iter().sum::<f64>().is_finite()).then_some(seconds)
}

/// The profile of `data`.
pub(crate) fn profile(data: &DatasetResults) -> Option<Profile> {
    let mut runs_of_seed: BTreeMap<u64, usize> = BTreeMap::new();
    for r in data.records() {
        *runs_of_seed.entry(r.seed).or_default() += 1;
    }
    let methods: Vec<MethodStages> = data
        .methods()
        .into_iter()
        .filter_map(|method| {
            let rows: Vec<[f64; STAGES.len()]> = data
                .runs(method)
                .filter_map(|r| stages(&r.timings, runs_of_seed[&r.seed]))
                .collect();
            let mut seconds = [0.0; STAGES.len()];
            for (i, s) in seconds.iter_mut().enumerate() {
                *s = mean(&rows.iter().map(|row| row[i]).collect::<Vec<_>>())?;
            }
            if !seconds.iter().sum::<f64>().is_finite() {
                return None;
            }
            Some(MethodStages {
                method,
                runs: rows.len(),
                seconds,
            })
        })
        .collect();
    if methods.is_empty() {
        return None;
    }
    let data_s: Vec<f64> = data
        .records()
        .iter()
        .filter_map(|r| r.timings.data_s)
        .collect();
    Some(Profile {
        methods,
        data_s: mean(&data_s),
    })
}

/// The profile as a table: mean seconds per run and stage, the total, and PO steps' share.
pub(crate) fn table(profile: &Profile) -> Table {
    let two = |value| Value::Number { value, decimals: 2 };
    let rows = profile
        .methods
        .iter()
        .map(|m| {
            let mut row = vec![Value::Method(m.method), Value::Count(m.runs)];
            row.extend(m.seconds.iter().map(|&s| two(s)));
            row.push(two(m.total()));
            row.push(Value::Share(m.seconds[2] / m.total()));
            row
        })
        .collect();
    let data = profile.data_s.map_or_else(String::new, |s| {
        format!(" Preparing the dataset took {s:.2} s per process (mean), shared by all its runs.")
    });
    let mut columns = vec![Column::left("method"), Column::right("runs")];
    columns.extend(STAGES.iter().map(|s| Column::right(format!("{s} (s)"))));
    columns.push(Column::right("total (s)"));
    columns.push(Column::right("PO steps' share"));
    Table::new(
        Some(format!(
            "Where a run's time goes: mean seconds per run and stage over the runs with a stage \
             profile. SFT and the reference log-likelihoods are paid once per seed and spread \
             over that seed's runs here; a stacked run's PO and evaluation are its share of the \
             stack's.{data}"
        )),
        columns,
        rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stages_add_up_to_the_runs_time_with_the_seeds_share() {
        let mut t = Timings {
            sft_s: 40.0,
            reference_cache_s: 4.0,
            sft_cached: true,
            po_s: 30.0,
            po_step_median_ms: 20.0,
            selection_share: 0.0,
            eval_s: 3.0,
            peak_rss_mib: 100.0,
            data_s: None,
            reference_load_s: None,
            po_steps_s: None,
            eval_valid_s: None,
            eval_test_s: None,
            cuda_peak_mib: None,
            stack_members: None,
            po_window: None,
        };
        assert_eq!(stages(&t, 4), None, "no profile, no stages");
        t.po_steps_s = Some(27.0);
        t.eval_valid_s = Some(1.0);
        t.eval_test_s = Some(2.0);
        let s = stages(&t, 4).unwrap();
        assert_eq!(s, [10.0, 1.0, 27.0, 3.0, 1.0, 2.0]);
        assert_eq!(s.iter().sum::<f64>(), 10.0 + 1.0 + 30.0 + 3.0);
        t.po_s = f64::MAX;
        t.eval_valid_s = Some(f64::MAX);
        assert_eq!(stages(&t, 4), None, "a sum beyond f64 is no profile");
    }
}
