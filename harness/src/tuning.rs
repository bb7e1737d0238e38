//! The outcome of a tuning matrix (a config with a `grid`): for every method, each grid point's
//! mean *validation* HR@1 over its seeds (at each run's selected epoch), and the chosen point,
//! the best of them (ties: the first in grid order). Test metrics are not shown: the choice is
//! made on validation alone, and the tuned protocol's test comparisons are pre-registered
//! (docs/claims.md). Written as `tune.md` (the table) and `tuned.yaml` (the chosen settings as
//! a config's `method_settings`, to paste into the tuned protocol's config) in place of the
//! report, since a grid's hundreds of settings would each be a section of one.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use prefbench_reports::{markdown_table, Column, Table, Value};
use prefbench_results::{RunIdentity, RunRecord};
use prefbench_vocabulary::{DynamicVariant, Method};

use crate::config::{ExperimentConfig, MethodSetting};

/// One grid point of one method, averaged over its runs (seeds, and K when it ran several).
#[derive(Debug, Clone, PartialEq)]
pub struct PointScore {
    pub setting: MethodSetting,
    pub runs: usize,
    pub valid: f64,
    pub sft_valid: f64,
    /// Mean selected epoch.
    pub epoch: f64,
}

/// Every grid point of one method in grid order, and the index of the chosen one.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodTuning {
    pub method: Method,
    pub points: Vec<PointScore>,
    pub chosen: usize,
}

/// The tuning of every method of `config` that has records, in the config's method order.
/// A grid point without records yet is left out (the matrix is still running).
pub fn choose(config: &ExperimentConfig, records: &[&RunRecord]) -> Vec<MethodTuning> {
    // Each record's identity, read once: a record that is not one matches no grid point.
    let identified: Vec<(&RunRecord, RunIdentity)> = records
        .iter()
        .filter_map(|&r| Some((r, r.identity().ok()?)))
        .collect();
    let mut tunings = Vec::new();
    for &method in &config.methods {
        let mut points = Vec::new();
        for setting in config.settings_of(method) {
            let runs: Vec<&RunRecord> = identified
                .iter()
                .filter(|(r, i)| {
                    r.cell.method == method
                        && i.po.lr == setting.lr
                        && i.objective == setting.objective
                })
                .map(|(r, _)| *r)
                .collect();
            if runs.is_empty() {
                continue;
            }
            let mean = |f: &dyn Fn(&RunRecord) -> f64| {
                runs.iter().map(|r| f(r)).sum::<f64>() / runs.len() as f64
            };
            points.push(PointScore {
                setting: MethodSetting {
                    lr: setting.lr,
                    beta: setting.objective.beta,
                    margin: method.uses_margin().then_some(setting.objective.margin),
                },
                runs: runs.len(),
                valid: mean(&|r| r.valid.hr_at_1),
                sft_valid: mean(&|r| r.sft.valid.hr_at_1),
                epoch: mean(&|r| r.selected_epoch as f64),
            });
        }
        if points.is_empty() {
            continue;
        }
        // The first best in grid order: `>` keeps an earlier point on a tie.
        let chosen = (1..points.len()).fold(0, |best, i| {
            if points[i].valid > points[best].valid {
                i
            } else {
                best
            }
        });
        tunings.push(MethodTuning {
            method,
            points,
            chosen,
        });
    }
    tunings
}

/// Writes `tune.md` and `tuned.yaml` into `dir`; returns the path of `tune.md`.
pub fn write(dir: &Path, config: &ExperimentConfig, records: &[&RunRecord]) -> Result<PathBuf> {
    let tunings = choose(config, records);
    let path = dir.join("tune.md");
    prefbench_io::write_atomic(&path, render(config, &tunings).as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    let chosen = with_ablations(
        tunings
            .iter()
            .map(|t| (t.method, t.points[t.chosen].setting))
            .collect(),
    );
    let yaml = format!(
        "# Chosen on validation HR@1 by `prefbench tune` ({}); the ablations and the \
         random-subset control of DynamicPO-X take DynamicPO-X's setting. Paste into the tuned \
         protocol's config.\n{}",
        config.name,
        serde_norway::to_string(&BTreeMap::from([("method_settings", chosen)]))?
    );
    prefbench_io::write_atomic(&dir.join("tuned.yaml"), yaml.as_bytes())?;
    Ok(path)
}

/// `chosen` and, for every full DynamicPO method in it, its ablations and random-subset
/// control at its setting (docs/claims.md: an ablation removes one component and holds
/// everything else), without the margin where their β does not use it.
fn with_ablations(chosen: BTreeMap<Method, MethodSetting>) -> BTreeMap<Method, MethodSetting> {
    let mut all = chosen.clone();
    for (method, setting) in chosen {
        let Method::Dynamic(base, DynamicVariant::Full) = method else {
            continue;
        };
        for variant in [
            DynamicVariant::SelectOnly,
            DynamicVariant::BetaOnly,
            DynamicVariant::RandomSubset,
        ] {
            let ablation = Method::Dynamic(base, variant);
            let margin = setting.margin.filter(|_| ablation.uses_margin());
            all.entry(ablation)
                .or_insert(MethodSetting { margin, ..setting });
        }
    }
    all
}

/// The table of every method's grid, best validation first, the chosen point marked.
pub fn render(config: &ExperimentConfig, tunings: &[MethodTuning]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Tuning `{}`: {} on {}, seeds {:?}\n\nEach method's setting is chosen by mean \
         validation HR@1 at each run's selected epoch (ties: the first in grid order). Margins \
         are tuned only for the methods whose β uses them. Test metrics are left out: the tuned protocol's test comparisons are \
         pre-registered (docs/claims.md).\n",
        config.name,
        config
            .methods
            .iter()
            .map(Method::name)
            .collect::<Vec<_>>()
            .join(", "),
        config.datasets.join(", "),
        config.seeds
    );
    for tuning in tunings {
        let chosen = &tuning.points[tuning.chosen];
        let _ = writeln!(
            out,
            "## {}\n\nChosen: lr {:e}, β {}{} (validation HR@1 {:.4}, SFT {:.4}).\n",
            tuning.method,
            chosen.setting.lr,
            chosen.setting.beta,
            chosen
                .setting
                .margin
                .map_or_else(String::new, |m| format!(", M {m}")),
            chosen.valid,
            chosen.sft_valid
        );
        let columns = ["lr", "β", "M", "runs", "valid HR@1", "− SFT", "mean epoch"]
            .into_iter()
            .map(Column::right)
            .collect();
        let mut order: Vec<usize> = (0..tuning.points.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&tuning.points[a], &tuning.points[b]);
            b.valid.total_cmp(&a.valid)
        });
        let signed = |value| Value::Signed { value, decimals: 4 };
        let four = |value| Value::Number { value, decimals: 4 };
        let rows = order
            .into_iter()
            .map(|i| {
                let p = &tuning.points[i];
                let mark = if i == tuning.chosen { " ◀" } else { "" };
                vec![
                    Value::Text(format!("{:e}{mark}", p.setting.lr)),
                    Value::Text(p.setting.beta.to_string()),
                    Value::Text(p.setting.margin.map_or("—".into(), |m| m.to_string())),
                    Value::Count(p.runs),
                    four(p.valid),
                    signed(p.valid - p.sft_valid),
                    Value::Number {
                        value: p.epoch,
                        decimals: 2,
                    },
                ]
            })
            .collect();
        out += &markdown_table(&Table::new(None, columns, rows));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Source;

    fn config() -> ExperimentConfig {
        Source::new(
            "name: t\ndatasets: [synthetic]\nmethods: [dmpo, dynamicpo-dmpo]\nk: [3]\n\
             seeds: [0, 1]\ngrid: {lr: [0.0001, 0.001], beta: [1.0], margin: [2.0, 6.0]}\n",
            "test",
        )
        .parse()
        .unwrap()
    }

    /// A record of `method` at (lr, β = 1, margin) with the given validation HR@1.
    fn record(method: &str, seed: u64, lr: f64, margin: f64, valid: f64) -> RunRecord {
        let mut r = prefbench_testkit::record("synthetic", method, 3, seed, 0.5);
        let mut identity: RunIdentity = r.identity().unwrap();
        identity.po.lr = lr;
        identity.objective.margin = margin;
        r.spec = identity.canonical_and_id().0;
        r.valid.hr_at_1 = valid;
        r
    }

    #[test]
    fn each_method_gets_its_best_validation_point_and_margins_only_where_they_act() {
        let records = [
            record("dmpo", 0, 1e-4, 6.0, 0.30),
            record("dmpo", 1, 1e-4, 6.0, 0.40),
            record("dmpo", 0, 1e-3, 6.0, 0.36),
            record("dmpo", 1, 1e-3, 6.0, 0.34),
            record("dynamicpo-dmpo", 0, 1e-4, 2.0, 0.5),
            record("dynamicpo-dmpo", 0, 1e-4, 6.0, 0.6),
            record("dynamicpo-dmpo", 0, 1e-3, 2.0, 0.6),
        ];
        let refs: Vec<&RunRecord> = records.iter().collect();
        let tunings = choose(&config(), &refs);
        assert_eq!(tunings.len(), 2);
        let dmpo = &tunings[0];
        assert_eq!(dmpo.points.len(), 2);
        // Means 0.35 and 0.35: the tie goes to the first point of the grid.
        assert_eq!(dmpo.points[dmpo.chosen].setting.lr, 1e-4);
        assert_eq!(dmpo.points[dmpo.chosen].setting.margin, None);
        let full = &tunings[1];
        assert_eq!(full.points.len(), 3, "the fourth point has no record yet");
        let chosen = full.points[full.chosen].setting;
        assert_eq!((chosen.lr, chosen.margin), (1e-4, Some(6.0)));
        let all = with_ablations(
            tunings
                .iter()
                .map(|t| (t.method, t.points[t.chosen].setting))
                .collect(),
        );
        let select: Method = "dynamicpo-dmpo-select-only".parse().unwrap();
        let beta: Method = "dynamicpo-dmpo-beta-only".parse().unwrap();
        assert_eq!(all.len(), 5, "{all:?}");
        assert_eq!((all[&select].lr, all[&select].margin), (1e-4, None));
        assert_eq!(all[&beta].margin, Some(6.0));
        let text = render(&config(), &tunings);
        assert!(text.contains("Chosen: lr 1e-4, β 1, M 6"), "{text}");
        assert!(text.contains("| 1e-4 ◀ | 1 | 6 | 1 | 0.6000 |"), "{text}");
        assert!(!text.contains("test HR@1"), "validation only: {text}");
    }
}
