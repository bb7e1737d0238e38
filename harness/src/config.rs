//! Experiment configs: YAML files or shipped presets, resolved into one typed value. Every field
//! is checked while it is read (unknown fields, wrong types, empty axes, K out of range, unknown
//! datasets, invalid objective parameters), so each error names the field and its line: a typo
//! must never silently run a different experiment.
//!
//! The YAML crate is `serde_norway`: `serde_yaml` is deprecated upstream and `serde_yml` was
//! flagged unsound by RustSec, while `serde_norway` is a maintained fork of
//! `serde_yaml` with the same API and its line/column error positions.
use std::fmt::Display;
use std::path::Path;

use anyhow::{bail, Context, Result};
use prefbench_baselines::objectives::{Method, ObjectiveParams};
use prefbench_baselines::policy::{Architecture, ItemText, PolicyConfig};
use prefbench_baselines::train::{PoConfig, SftConfig};
use prefbench_datasets::registry::Registry;
use prefbench_datasets::synthetic::SyntheticConfig;
use serde::{de, Deserialize, Deserializer, Serialize};

/// Shipped presets, embedded so the binary works from any directory.
const PRESETS: &[(&str, &str)] = &[
    ("demo", include_str!("../../configs/demo.yaml")),
    (
        "lastfm-quick",
        include_str!("../../configs/lastfm-quick.yaml"),
    ),
    ("paper", include_str!("../../configs/paper.yaml")),
    ("nightly", include_str!("../../configs/nightly.yaml")),
    ("tune", include_str!("../../configs/tune.yaml")),
    ("backbones", include_str!("../../configs/backbones.yaml")),
];

/// The largest K: 20 candidates are one positive and 19 negatives.
pub const MAX_K: usize = 19;

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
    /// Names of the dataset registry (`prefbench data list`).
    #[serde(deserialize_with = "known_datasets")]
    pub datasets: Vec<String>,
    /// A method runs at every listed K it is defined for (`dpo` only at K = 1).
    #[serde(deserialize_with = "some_methods")]
    pub methods: Vec<Method>,
    /// Negatives per sample, each in 1..=19.
    #[serde(deserialize_with = "valid_ks")]
    pub k: Vec<usize>,
    #[serde(deserialize_with = "some_seeds")]
    pub seeds: Vec<u64>,
    #[serde(default, deserialize_with = "valid_synthetic")]
    pub synthetic: SyntheticConfig,
    #[serde(default)]
    pub model: PolicyConfig,
    /// Optional axis over `model.item_text`, so one matrix shows how the results depend on
    /// what the policy knows about items; absent, every run uses `model.item_text`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "some_item_texts"
    )]
    pub item_text: Option<Vec<ItemText>>,
    /// Optional axis over `model.architecture` (the backbones C5 compares); absent, every run
    /// uses `model.architecture`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "some_architectures"
    )]
    pub architecture: Option<Vec<Architecture>>,
    #[serde(default)]
    pub sft: SftConfig,
    #[serde(default)]
    pub po: PoConfig,
    #[serde(default, deserialize_with = "valid_objective")]
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

    /// Checks a config built in code (e.g. a sweep's setting) by the same rules as a file.
    pub fn revalidated(self, origin: &str) -> Result<Self> {
        Self::parse(&self.to_yaml()?, origin)
    }

    fn parse(text: &str, origin: &str) -> Result<Self> {
        let config: Self = serde_norway::from_str(text)
            .map_err(|e| locate(e, text))
            .with_context(|| format!("invalid config {origin}"))?;
        if let Some(method) = config.methods_without_k().first() {
            let line = top_level_line(text, "methods")
                .map_or_else(String::new, |l| format!(" at line {l}"));
            bail!(
                "invalid config {origin}: methods{line}: `{method}` is defined for none of the \
                 listed K values ({:?}); `dpo` needs K = 1, so add 1 to `k` or remove `{method}`",
                config.k
            );
        }
        Ok(config)
    }

    /// The policy of each (architecture, item_text) of the two axes, architecture-major, in
    /// config order.
    pub fn models(&self) -> Vec<PolicyConfig> {
        let architectures = self
            .architecture
            .as_deref()
            .unwrap_or(std::slice::from_ref(&self.model.architecture));
        let item_texts = self
            .item_text
            .as_deref()
            .unwrap_or(std::slice::from_ref(&self.model.item_text));
        architectures
            .iter()
            .flat_map(|&architecture| {
                item_texts.iter().map(move |&item_text| PolicyConfig {
                    architecture,
                    item_text,
                    ..self.model.clone()
                })
            })
            .collect()
    }

    /// Whether `method` runs at `k` negatives; the matrix skips the pairs that do not (`dpo`
    /// at K > 1), because one preset lists many K values for all its methods.
    pub fn runs_at(method: Method, k: usize) -> bool {
        method.validate_k(k as i64).is_ok()
    }

    /// Methods that would run at no listed K (a config mistake, not a skip).
    fn methods_without_k(&self) -> Vec<Method> {
        self.methods
            .iter()
            .copied()
            .filter(|&m| !self.k.iter().any(|&k| Self::runs_at(m, k)))
            .collect()
    }

    /// The resolved config as YAML, written at the start of every run.
    pub fn to_yaml(&self) -> Result<String> {
        Ok(serde_norway::to_string(self)?)
    }
}

pub fn preset_names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, _)| *n).collect()
}

/// The 1-based line of a top-level `key:`, for errors that span several fields.
fn top_level_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| l.strip_prefix(key).is_some_and(|r| r.starts_with(':')))
        .map(|i| i + 1)
}

/// Adds the line to an error that `serde_norway` raised without one: a failed check of
/// [`checked`], which names its top-level field.
fn locate(error: serde_norway::Error, text: &str) -> anyhow::Error {
    let message = error.to_string();
    let line = message
        .strip_prefix("field `")
        .filter(|_| !message.contains(" line "))
        .and_then(|rest| rest.split_once('`'))
        .and_then(|(field, _)| top_level_line(text, field));
    match line {
        Some(line) => anyhow::anyhow!("{message} (line {line})"),
        None => error.into(),
    }
}

/// Reads the value of top-level `field` and checks it; a failed check names the field, and
/// [`locate`] adds its line.
fn checked<'de, D, T, E>(
    d: D,
    field: &str,
    check: impl FnOnce(&T) -> Result<(), E>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
    E: Display,
{
    let value = T::deserialize(d)?;
    check(&value).map_err(|e| de::Error::custom(format!("field `{field}`: {e}")))?;
    Ok(value)
}

fn non_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
    field: &str,
) -> Result<Vec<T>, D::Error> {
    checked(d, field, |v: &Vec<T>| require_values(v.len()))
}

fn some_methods<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Method>, D::Error> {
    non_empty(d, "methods")
}

fn some_seeds<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    non_empty(d, "seeds")
}

fn some_item_texts<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<ItemText>>, D::Error> {
    non_empty(d, "item_text").map(Some)
}

fn some_architectures<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<Architecture>>, D::Error> {
    non_empty(d, "architecture").map(Some)
}

fn require_values(len: usize) -> Result<(), &'static str> {
    match len {
        0 => Err("must list at least one value"),
        _ => Ok(()),
    }
}

fn valid_ks<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<usize>, D::Error> {
    checked(d, "k", |ks: &Vec<usize>| {
        require_values(ks.len()).map_err(str::to_string)?;
        match ks.iter().find(|k| !(1..=MAX_K).contains(*k)) {
            Some(k) => Err(format!(
                "{k} is out of range; K counts negatives among the 20 candidates, so 1..={MAX_K}"
            )),
            None => Ok(()),
        }
    })
}

fn known_datasets<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    checked(d, "datasets", |names: &Vec<String>| {
        require_values(names.len()).map_err(str::to_string)?;
        let registry = Registry::builtin().map_err(|e| e.to_string())?;
        names
            .iter()
            .try_for_each(|name| registry.get(name).map(drop).map_err(|e| e.to_string()))
    })
}

fn valid_synthetic<'de, D: Deserializer<'de>>(d: D) -> Result<SyntheticConfig, D::Error> {
    checked(d, "synthetic", SyntheticConfig::validate)
}

fn valid_objective<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectiveParams, D::Error> {
    checked(d, "objective", ObjectiveParams::validate)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "name: x\ndatasets: [synthetic]\nmethods: [dmpo]\nk: [1]\nseeds: [0]\n";

    fn error(text: &str) -> String {
        format!("{:#}", ExperimentConfig::parse(text, "t.yaml").unwrap_err())
    }

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
        let err = error(&format!("{BASE}sft:\n  epoch: 3\n"));
        assert!(err.contains("epoch") && err.contains("line 7"), "{err}");
    }

    #[test]
    fn bad_values_name_the_field_and_line() {
        let cases = [
            (
                "name: x\ndatasets: [synthetic]\nmethods: [dmpo]\nseeds: [0]\nk: [20]\n",
                "k",
                5,
            ),
            (
                "name: x\ndatasets: [synthetic]\nmethods: [dmpo]\nseeds: [0]\nk: []\n",
                "k",
                5,
            ),
            (
                "name: x\ndatasets: [synthetic]\nmethods: []\nk: [1]\nseeds: [0]\n",
                "methods",
                3,
            ),
            (
                "name: x\ndatasets: [movielens]\nmethods: [dmpo]\nk: [1]\nseeds: [0]\n",
                "datasets",
                2,
            ),
            (
                "name: x\ndatasets: [synthetic]\nmethods: [dmpo]\nk: one\nseeds: [0]\n",
                "k",
                4,
            ),
            (&format!("{BASE}objective:\n  beta: -1\n"), "objective", 6),
            (&format!("{BASE}item_text: [none, bert]\n"), "item_text", 6),
            (&format!("{BASE}item_text: []\n"), "item_text", 6),
            (
                "name: x\ndatasets: [synthetic]\nmethods: [dpo]\nk: [3]\nseeds: [0]\n",
                "methods",
                3,
            ),
        ];
        for (text, field, line) in cases {
            let err = error(text);
            assert!(
                err.contains(field) && err.contains(&format!("line {line}")),
                "{field} line {line}: {err}"
            );
        }
    }

    #[test]
    fn dpo_runs_only_at_one_negative() {
        assert!(ExperimentConfig::runs_at("dpo".parse().unwrap(), 1));
        assert!(!ExperimentConfig::runs_at("dpo".parse().unwrap(), 3));
        assert!(ExperimentConfig::runs_at("dmpo".parse().unwrap(), 19));
    }

    #[test]
    fn the_item_text_axis_overrides_the_model() {
        let plain = ExperimentConfig::parse(BASE, "t.yaml").unwrap();
        assert_eq!(plain.models(), vec![plain.model.clone()]);
        let axis = format!("{BASE}model: {{item_text: minilm}}\nitem_text: [none, minilm]\n");
        let texts: Vec<ItemText> = ExperimentConfig::parse(&axis, "t.yaml")
            .unwrap()
            .models()
            .iter()
            .map(|m| m.item_text)
            .collect();
        assert_eq!(texts, [ItemText::None, ItemText::Minilm]);
    }

    #[test]
    fn round_trips_through_yaml() {
        for name in preset_names() {
            let c = ExperimentConfig::preset(name).unwrap();
            let again = ExperimentConfig::parse(&c.to_yaml().unwrap(), "resolved").unwrap();
            assert_eq!(c, again);
        }
    }
}
