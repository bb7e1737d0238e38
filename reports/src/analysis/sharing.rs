//! Which runs shared the machine while their PO trained. Another process training on the same
//! CPUs at the same time (`--jobs`, a second prefbench, Slurm tasks on one node) slows a run's
//! wall-clock through no fault of its method, so the wall-clock chart marks such runs and the
//! cost section counts them. Read from the records' PO windows (schema 4 on); older records do
//! not say. "Alone" means alone among the runs read: programs that are not prefbench runs,
//! and runs of another store, leave no trace here.
use crate::model::SharingSummary;
use prefbench_results::RunRecord;
use std::collections::{BTreeMap, BTreeSet};

/// Whether a run had the machine to itself among the runs read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sharing {
    /// No run of another process trained on its machine during its PO window.
    Alone,
    /// Runs of `processes` other processes trained on its machine during part of its window.
    Shared { processes: usize },
    /// Its record does not say: written before schema 4, or on a system without a boot id.
    Unknown,
}

/// Each run's [`Sharing`], by record id, over `records`: every run the report reads, of any
/// dataset, since a run of one dataset slows a run of another just as much.
pub(crate) fn of_all<'a>(records: &[&'a RunRecord]) -> BTreeMap<&'a str, Sharing> {
    let mut windows: Vec<_> = records
        .iter()
        .filter_map(|r| {
            let window = r.timings.po_window.as_ref()?;
            window.machine.is_some().then_some((r.id.as_str(), window))
        })
        .collect();
    windows.sort_by(|a, b| a.1.started_unix_s.total_cmp(&b.1.started_unix_s));
    // The other processes each run competed with (all on its machine).
    let mut others: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    // Sorted by start: the windows that overlap window i and start after it come right after
    // it, up to the first that starts after it ends.
    for (i, (id, window)) in windows.iter().enumerate() {
        for (other_id, other) in &windows[i + 1..] {
            if other.started_unix_s >= window.finished_unix_s {
                break;
            }
            if window.competes_with(other) {
                others.entry(id).or_default().insert(other.process);
                others.entry(other_id).or_default().insert(window.process);
            }
        }
    }
    let known: BTreeSet<&str> = windows.iter().map(|(id, _)| *id).collect();
    records
        .iter()
        .map(|r| {
            let id = r.id.as_str();
            let sharing = match (known.contains(id), others.get(id)) {
                (false, _) => Sharing::Unknown,
                (true, None) => Sharing::Alone,
                (true, Some(o)) => Sharing::Shared { processes: o.len() },
            };
            (id, sharing)
        })
        .collect()
}

impl SharingSummary {
    /// The counts of `sharing`, one a run.
    pub(crate) fn of(sharing: impl IntoIterator<Item = Sharing>) -> Self {
        sharing.into_iter().fold(Self::default(), |mut s, sharing| {
            match sharing {
                Sharing::Alone => s.alone += 1,
                Sharing::Shared { processes } => {
                    s.shared += 1;
                    s.most_processes = s.most_processes.max(processes);
                }
                Sharing::Unknown => s.unknown += 1,
            }
            s
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prefbench_results::PoWindow;

    fn run(id: &str, machine: Option<&str>, process: u32, from: f64, to: f64) -> RunRecord {
        let mut r = prefbench_testkit::record("d", "dmpo", 3, 0, 0.5);
        r.id = id.into();
        r.timings.po_window = Some(PoWindow {
            machine: machine.map(String::from),
            process,
            started_unix_s: from,
            finished_unix_s: to,
        });
        r
    }

    #[test]
    fn runs_of_other_processes_on_one_machine_at_one_time_shared_it() {
        let mut old = run("old", Some("m"), 1, 0.0, 100.0);
        old.timings.po_window = None;
        let records = [
            // A stack: one process, one window, so no competition within it.
            run("a1", Some("m"), 1, 0.0, 10.0),
            run("a2", Some("m"), 1, 0.0, 10.0),
            // Another process overlapping the stack, then a third touching its end only.
            run("b", Some("m"), 2, 5.0, 12.0),
            run("c", Some("m"), 3, 12.0, 20.0),
            // Same time, another machine; a run with no machine id.
            run("d", Some("n"), 2, 0.0, 20.0),
            run("e", None, 9, 0.0, 20.0),
            // Long: overlaps b and c, two other processes.
            run("f", Some("m"), 4, 11.0, 30.0),
            old,
        ];
        let refs: Vec<&RunRecord> = records.iter().collect();
        let sharing = of_all(&refs);
        let shared = |n| Sharing::Shared { processes: n };
        assert_eq!(sharing["a1"], shared(1));
        assert_eq!(sharing["a2"], shared(1));
        assert_eq!(sharing["b"], shared(2), "the stack's process and f's");
        assert_eq!(
            sharing["c"],
            shared(1),
            "touching b is not overlapping; f overlaps"
        );
        assert_eq!(sharing["d"], Sharing::Alone);
        assert_eq!(sharing["e"], Sharing::Unknown);
        assert_eq!(sharing["f"], shared(2));
        assert_eq!(sharing["old"], Sharing::Unknown);
        let summary = SharingSummary::of(sharing.values().copied());
        assert_eq!(
            summary,
            SharingSummary {
                alone: 1,
                shared: 5,
                most_processes: 2,
                unknown: 2
            }
        );
    }
}
