//! Settings that differ between the runs of one matrix: a tuning grid (`grid`, run by
//! `prefbench tune`), each method's own chosen setting (`method_settings`, the tuned protocol)
//! and K values of a method's own (`method_k`, e.g. `dpo` at K = 1 beside the others at 15).
//! Without them every run shares `po.lr` and `objective`, the paper's protocol.

use prefbench_results::Protocol;
use prefbench_vocabulary::{Method, ObjectiveParams, MAX_K};
use serde::{Deserialize, Serialize};

use super::checks::distinct;
use super::ExperimentConfig;

/// The pre-declared grid every method of a tuning matrix runs over: each (lr, β) and, for the
/// methods whose β uses the dual margin ([`Method::uses_margin`]), each margin as well; the
/// other methods keep `objective.margin`, which does not enter their loss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grid {
    /// PO peak learning rates.
    pub lr: Vec<f64>,
    /// Base β values.
    pub beta: Vec<f64>,
    /// Dual margins M; empty (or absent) keeps `objective.margin` for every method.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub margin: Vec<f64>,
}

/// One method's own setting in the tuned protocol, as `prefbench tune` chose it on validation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodSetting {
    pub lr: f64,
    pub beta: f64,
    /// Absent: `objective.margin` (methods whose β does not use it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<f64>,
}

/// The settings one run of a matrix trains with beyond the shared ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunSetting {
    pub lr: f64,
    pub objective: ObjectiveParams,
}

impl ExperimentConfig {
    /// Which protocol the runs of this config belong to: tuned when methods have their own
    /// settings; `None` when all share one (the paper's protocol) or sweep a grid.
    pub fn protocol(&self) -> Option<Protocol> {
        (!self.method_settings.is_empty()).then_some(Protocol::Tuned)
    }

    /// Every setting `method` runs with: the grid's points, its own setting, or the shared one.
    pub fn settings_of(&self, method: Method) -> Vec<RunSetting> {
        let shared = RunSetting {
            lr: self.po.lr,
            objective: self.objective,
        };
        if let Some(grid) = &self.grid {
            let margins = match method.uses_margin() && !grid.margin.is_empty() {
                true => grid.margin.clone(),
                false => vec![self.objective.margin],
            };
            let mut settings = Vec::new();
            for &lr in &grid.lr {
                for &beta in &grid.beta {
                    for &margin in &margins {
                        settings.push(RunSetting {
                            lr,
                            objective: ObjectiveParams {
                                beta,
                                margin,
                                ..self.objective
                            },
                        });
                    }
                }
            }
            return settings;
        }
        match self.method_settings.get(&method) {
            Some(own) => vec![RunSetting {
                lr: own.lr,
                objective: ObjectiveParams {
                    beta: own.beta,
                    margin: own.margin.unwrap_or(self.objective.margin),
                    ..self.objective
                },
            }],
            None => vec![shared],
        }
    }

    /// Every K of the matrix: `k`, then the K values only `method_k` lists, ascending.
    pub fn all_k(&self) -> Vec<usize> {
        let mut extra: Vec<usize> = self
            .method_k
            .values()
            .flatten()
            .copied()
            .filter(|k| !self.k.contains(k))
            .collect();
        extra.sort_unstable();
        extra.dedup();
        self.k.iter().copied().chain(extra).collect()
    }

    /// Whether the matrix runs `method` at `k`: at its own K values when `method_k` lists it,
    /// else at the listed K it is defined for.
    pub fn runs_method_at(&self, method: Method, k: usize) -> bool {
        match self.method_k.get(&method) {
            Some(ks) => ks.contains(&k),
            None => self.k.contains(&k) && Self::runs_at(method, k),
        }
    }

    /// `grid`: each axis non-empty, distinct and in its domain; not beside `method_settings`.
    pub(super) fn check_grid(&self) -> Result<(), String> {
        let Some(grid) = &self.grid else {
            return Ok(());
        };
        if !self.method_settings.is_empty() {
            return Err(
                "and `method_settings` exclude each other: a grid tunes the methods \
                        that `method_settings` then fixes"
                    .into(),
            );
        }
        for (name, values) in [("lr", &grid.lr), ("beta", &grid.beta)] {
            if values.is_empty() {
                return Err(format!("`{name}` must list at least one value"));
            }
            positive(name, values)?;
            distinct(values).map_err(|e| format!("`{name}`: {e}"))?;
        }
        if let Some(m) = grid.margin.iter().find(|m| !m.is_finite()) {
            return Err(format!("`margin` {m} is not a finite number"));
        }
        distinct(&grid.margin).map_err(|e| format!("`margin`: {e}"))
    }

    /// `method_settings`: one entry for every method of the matrix and none for others.
    pub(super) fn check_method_settings(&self) -> Result<(), String> {
        if self.method_settings.is_empty() {
            return Ok(());
        }
        if let Some(m) = self
            .methods
            .iter()
            .find(|m| !self.method_settings.contains_key(m))
        {
            return Err(format!(
                "has no entry for `{m}`; in the tuned protocol every method names its own \
                 lr and beta (as `prefbench tune` writes them)"
            ));
        }
        for (method, own) in &self.method_settings {
            if !self.methods.contains(method) {
                return Err(format!("names `{method}`, which `methods` does not list"));
            }
            positive(&format!("{method}.lr"), &[own.lr])?;
            positive(&format!("{method}.beta"), &[own.beta])?;
            if let Some(m) = own.margin.filter(|m| !m.is_finite()) {
                return Err(format!("`{method}.margin` {m} is not a finite number"));
            }
        }
        Ok(())
    }

    /// `method_k`: listed methods only, each K in range, defined for the method, and distinct.
    pub(super) fn check_method_k(&self) -> Result<(), String> {
        for (method, ks) in &self.method_k {
            if !self.methods.contains(method) {
                return Err(format!("names `{method}`, which `methods` does not list"));
            }
            if ks.is_empty() {
                return Err(format!("`{method}` must list at least one K"));
            }
            if let Some(k) = ks.iter().find(|&&k| !(1..=MAX_K).contains(&k)) {
                return Err(format!("`{method}`: K = {k} is outside 1..={MAX_K}"));
            }
            if let Some(k) = ks.iter().find(|&&k| !Self::runs_at(*method, k)) {
                return Err(format!("`{method}` is not defined at K = {k}"));
            }
            distinct(ks).map_err(|e| format!("`{method}`: {e}"))?;
        }
        Ok(())
    }
}

fn positive(name: &str, values: &[f64]) -> Result<(), String> {
    match values.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
        Some(v) => Err(format!("`{name}` {v} must be a finite number above 0")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Source;

    fn parse(extra: &str) -> anyhow::Result<ExperimentConfig> {
        Source::new(
            &format!(
                "name: x\ndatasets: [synthetic]\nmethods: [dpo, dmpo, dynamicpo-dmpo]\n\
                 k: [15]\nseeds: [0]\n{extra}"
            ),
            "test",
        )
        .parse()
    }

    #[test]
    fn a_grid_gives_margins_only_to_the_methods_whose_beta_uses_them() {
        let c = parse(
            "method_k: {dpo: [1]}\ngrid: {lr: [0.0001, 0.001], beta: [0.1, 1.0, 3.0], \
             margin: [2.0, 6.0]}\n",
        )
        .unwrap();
        let dmpo = c.settings_of("dmpo".parse().unwrap());
        let full = c.settings_of("dynamicpo-dmpo".parse().unwrap());
        assert_eq!((dmpo.len(), full.len()), (6, 12));
        assert!(dmpo.iter().all(|s| s.objective.margin == 6.0));
        assert_eq!(c.all_k(), vec![15, 1]);
        assert!(c.runs_method_at(Method::Dpo, 1));
        assert!(!c.runs_method_at("dmpo".parse().unwrap(), 1));
        assert_eq!(c.protocol(), None);
    }

    #[test]
    fn the_tuned_protocol_needs_every_method_and_fixes_each_one() {
        let own = "method_k: {dpo: [1]}\nmethod_settings:\n  dpo: {lr: 0.001, beta: 0.3}\n  \
                   dmpo: {lr: 0.0003, beta: 3.0}\n";
        let err = parse(own).unwrap_err().to_string();
        assert!(err.contains("no entry for `dynamicpo-dmpo`"), "{err}");
        let c = parse(&format!(
            "{own}  dynamicpo-dmpo: {{lr: 0.0001, beta: 1.0, margin: 2.0}}\n"
        ))
        .unwrap();
        let full = c.settings_of("dynamicpo-dmpo".parse().unwrap());
        assert_eq!(full.len(), 1);
        assert_eq!((full[0].lr, full[0].objective.margin), (1e-4, 2.0));
        assert_eq!(c.protocol(), Some(Protocol::Tuned));
        let err = parse("method_k: {dpo: [1]}\ngrid: {lr: [0.001, 0.001], beta: [1.0]}\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("listed twice"), "{err}");
        let err = parse("method_k: {dpo: [1], dmpo: [20]}\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("outside 1..=19"), "{err}");
    }
}
