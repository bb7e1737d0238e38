//! Experiment configs: YAML files or shipped presets, resolved into one typed value. Every field
//! is checked (unknown fields are errors naming the field and its line), because a typo must
//! never silently run a different experiment.
use std::path::Path;

use anyhow::{bail, Context, Result};
use prefbench_baselines::objectives::{Method, ObjectiveParams};
use prefbench_baselines::policy::PolicyConfig;
use prefbench_baselines::train::{PoConfig, SftConfig};
use prefbench_datasets::registry::Registry;
use prefbench_datasets::synthetic::SyntheticConfig;
use serde::{Deserialize, Serialize};

/// Shipped presets, embedded so the binary works from any directory.
const PRESETS: &[(&str, &str)] = &[("demo", include_str!("../../configs/demo.yaml"))];

/// Where to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    Cpu,
    Cuda,
    /// CUDA when a GPU is visible, else CPU.
    Auto,
}

/// A whole experiment: the matrix (datasets × methods × K × seeds) and its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// Names the default output directory and the report.
    pub name: String,
    pub datasets: Vec<String>,
    pub methods: Vec<Method>,
    /// Negatives per sample, each in 1..=19.
    pub k: Vec<usize>,
    pub seeds: Vec<u64>,
    #[serde(default)]
    pub synthetic: SyntheticConfig,
    #[serde(default)]
    pub model: PolicyConfig,
    #[serde(default)]
    pub sft: SftConfig,
    #[serde(default)]
    pub po: PoConfig,
    #[serde(default)]
    pub objective: ObjectiveParams,
    #[serde(default = "default_device")]
    pub device: DeviceChoice,
    /// Intra-op threads of libtorch; 0 = all cores. Results are repeatable per thread count.
    #[serde(default)]
    pub threads: usize,
}

fn default_device() -> DeviceChoice {
    DeviceChoice::Auto
}

impl ExperimentConfig {
    /// Loads a preset by name.
    pub fn preset(name: &str) -> Result<Self> {
        let Some((_, text)) = PRESETS.iter().find(|(n, _)| *n == name) else {
            bail!(
                "unknown preset `{name}`; presets: {}",
                preset_names().join(", ")
            );
        };
        Self::parse(text, &format!("preset `{name}`"))
    }

    /// Loads a YAML config file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read config file {} (presets: {}; use --preset NAME)",
                path.display(),
                preset_names().join(", ")
            )
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    fn parse(text: &str, origin: &str) -> Result<Self> {
        let config: Self =
            serde_norway::from_str(text).with_context(|| format!("invalid config {origin}"))?;
        config
            .validate()
            .with_context(|| format!("invalid config {origin}"))?;
        Ok(config)
    }

    /// Checks what serde cannot: non-empty axes, K in range, a method valid for each K.
    pub fn validate(&self) -> Result<()> {
        for (field, empty) in [
            ("datasets", self.datasets.is_empty()),
            ("methods", self.methods.is_empty()),
            ("k", self.k.is_empty()),
            ("seeds", self.seeds.is_empty()),
        ] {
            if empty {
                bail!("field `{field}` must list at least one value");
            }
        }
        if let Some(k) = self.k.iter().find(|k| !(1..=19).contains(*k)) {
            bail!("field `k`: {k} is out of range; K counts negatives among 19, so 1..=19");
        }
        let registry = Registry::builtin()?;
        for name in &self.datasets {
            registry
                .get(name)
                .with_context(|| format!("field `datasets`: `{name}`"))?;
        }
        self.synthetic.validate()?;
        Ok(())
    }

    /// The resolved config as YAML, written at the start of every run.
    pub fn to_yaml(&self) -> Result<String> {
        Ok(serde_norway::to_string(self)?)
    }
}

pub fn preset_names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, _)| *n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_parses_and_validates() {
        for name in preset_names() {
            let c = ExperimentConfig::preset(name).unwrap();
            assert_eq!(c.name, name);
        }
    }

    #[test]
    fn unknown_preset_lists_the_presets() {
        let err = ExperimentConfig::preset("nope").unwrap_err().to_string();
        assert!(err.contains("`nope`") && err.contains("demo"), "{err}");
    }

    #[test]
    fn unknown_fields_name_the_field_and_line() {
        let text = "name: x\ndatasets: [synthetic]\nmethods: [dmpo]\nk: [1]\nseeds: [0]\nsft:\n  epoch: 3\n";
        let err = format!("{:#}", ExperimentConfig::parse(text, "t.yaml").unwrap_err());
        assert!(err.contains("epoch") && err.contains("line 7"), "{err}");
    }

    #[test]
    fn k_out_of_range_and_empty_axes_are_refused() {
        let base = "name: x\ndatasets: [synthetic]\nmethods: [dmpo]\nseeds: [0]\n";
        let err = format!(
            "{:#}",
            ExperimentConfig::parse(&format!("{base}k: [20]\n"), "t").unwrap_err()
        );
        assert!(err.contains("`k`"), "{err}");
        let err = format!(
            "{:#}",
            ExperimentConfig::parse(&format!("{base}k: []\n"), "t").unwrap_err()
        );
        assert!(err.contains("`k`"), "{err}");
    }

    #[test]
    fn round_trips_through_yaml() {
        let c = ExperimentConfig::preset("demo").unwrap();
        let again = ExperimentConfig::parse(&c.to_yaml().unwrap(), "resolved").unwrap();
        assert_eq!(c, again);
    }
}
