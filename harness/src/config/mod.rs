//! Experiment configs: YAML files or shipped presets, resolved into one typed value. A file is
//! parsed (unknown fields and wrong types are the parser's errors, with its line and column),
//! then checked as a whole ([`checks`]: empty or repeated axis values, K out of range, unknown
//! datasets, a name that is no plain directory name, invalid objective, model, SFT and PO
//! settings), so each error names the field (`po.lr` for a nested one), its line ([`lines`])
//! and the values it allows, before anything trains: a typo must never silently run a
//! different experiment, and a value outside its domain must never reach libtorch.
//!
//! Whether a config is valid depends on the file alone, never on the machine reading it: a
//! config written for a 64-core node is a valid config on a laptop, and `prefbench run`
//! refuses what this machine cannot run where it plans the run (`commands::run`).
//!
//! The YAML crate is `serde_norway`: `serde_yaml` is deprecated upstream and `serde_yml` was
//! flagged unsound by RustSec, while `serde_norway` is a maintained fork of
//! `serde_yaml` with the same API and its line/column error positions.
mod checks;
mod lines;
mod protocol;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use anyhow::{bail, Context, Result};
use prefbench_datasets::SyntheticConfig;
use prefbench_vocabulary::{
    Architecture, ItemText, Method, ObjectiveParams, PoConfig, PolicyConfig, SftConfig,
};
use serde::{Deserialize, Serialize};

pub use protocol::{Grid, MethodSetting, RunSetting};

/// Shipped presets, embedded so the binary works from any directory.
const PRESETS: &[(&str, &str)] = &[
    ("demo", include_str!("../../../configs/demo.yaml")),
    (
        "lastfm-quick",
        include_str!("../../../configs/lastfm-quick.yaml"),
    ),
    ("paper", include_str!("../../../configs/paper.yaml")),
    ("nightly", include_str!("../../../configs/nightly.yaml")),
    ("tune", include_str!("../../../configs/tune.yaml")),
    ("backbones", include_str!("../../../configs/backbones.yaml")),
    (
        "lastfm-paper",
        include_str!("../../../configs/lastfm-paper.yaml"),
    ),
    (
        "lastfm-paper-ids",
        include_str!("../../../configs/lastfm-paper-ids.yaml"),
    ),
    (
        "lastfm-paper-gru",
        include_str!("../../../configs/lastfm-paper-gru.yaml"),
    ),
    (
        "movielens-paper",
        include_str!("../../../configs/movielens-paper.yaml"),
    ),
    (
        "tune-lastfm-dated",
        include_str!("../../../configs/tune-lastfm-dated.yaml"),
    ),
    (
        "tune-movielens",
        include_str!("../../../configs/tune-movielens.yaml"),
    ),
    (
        "tuned-lastfm-dated",
        include_str!("../../../configs/tuned-lastfm-dated.yaml"),
    ),
    (
        "tuned-movielens",
        include_str!("../../../configs/tuned-movielens.yaml"),
    ),
];

/// Where to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    Cpu,
    Cuda,
    /// CUDA when a GPU is visible, else CPU.
    Auto,
}

/// A whole experiment: the matrix (datasets × methods × K × seeds) and its settings. Reading
/// one ([`Source::parse`]) checks it ([`ExperimentConfig::validate`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// Names the default output directory (`prefbench-out/<name>`) and the report, so it must
    /// be a plain directory name (see [`checks::check_name`]).
    pub name: String,
    /// Names of the dataset registry (`prefbench data list`).
    pub datasets: Vec<String>,
    /// A method runs at every listed K it is defined for (`dpo` only at K = 1).
    pub methods: Vec<Method>,
    /// Negatives per sample, each in 1..=19.
    pub k: Vec<usize>,
    pub seeds: Vec<u64>,
    #[serde(default)]
    pub synthetic: SyntheticConfig,
    #[serde(default)]
    pub model: PolicyConfig,
    /// Optional axis over `model.item_text`, so one matrix shows how the results depend on
    /// what the policy knows about items; absent, every run uses `model.item_text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_text: Option<Vec<ItemText>>,
    /// Optional axis over `model.architecture` (the backbones C5 compares); absent, every run
    /// uses `model.architecture`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<Vec<Architecture>>,
    #[serde(default)]
    pub sft: SftConfig,
    #[serde(default)]
    pub po: PoConfig,
    #[serde(default)]
    pub objective: ObjectiveParams,
    /// K values of a method's own, overriding `k` for it (`dpo: [1]` beside the others at 15).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub method_k: BTreeMap<Method, Vec<usize>>,
    /// A tuning grid over `po.lr`, `objective.beta` and `objective.margin` (`prefbench tune`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid: Option<Grid>,
    /// Each method's own `lr`, `beta` and `margin` (the tuned protocol, as `prefbench tune`
    /// chose them on validation); every method of the matrix needs an entry.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub method_settings: BTreeMap<Method, MethodSetting>,
    #[serde(default = "default_device")]
    pub device: DeviceChoice,
    /// Intra-op threads of libtorch; 0 = all cores. Results are repeatable per thread count.
    /// Any count is a valid config; the run planner refuses more than this machine's cores.
    #[serde(default)]
    pub threads: usize,
}

fn default_device() -> DeviceChoice {
    DeviceChoice::Auto
}

/// A field outside its domain: its path (`k`, `po.lr`) and what is wrong and allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidField {
    /// The top-level field, then the key inside it for a setting of a section.
    pub path: Vec<&'static str>,
    pub reason: String,
}

impl fmt::Display for InvalidField {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "field `{}`: {}", self.path.join("."), self.reason)
    }
}

/// The text of a config and where it came from (a file, a preset, a setting built in code):
/// what errors name and find lines in, during parsing and after it (the machine limits the
/// run planner checks).
#[derive(Debug, Clone)]
pub struct Source {
    origin: String,
    text: String,
}

impl Source {
    /// A shipped preset by name.
    pub fn preset(name: &str) -> Result<Self> {
        let Some((_, text)) = PRESETS.iter().find(|(n, _)| *n == name) else {
            bail!(
                "unknown preset `{name}`; presets: {}",
                preset_names().join(", ")
            );
        };
        Ok(Self::new(text, format!("preset `{name}`")))
    }

    /// A YAML config file.
    pub fn file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "cannot read config file {} (presets: {}; use --preset NAME)",
                path.display(),
                preset_names().join(", ")
            )
        })?;
        Ok(Self::new(&text, path.display().to_string()))
    }

    /// Where the text came from: a file's path, a preset's name.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `text` read from `origin`. Editors on Windows may start UTF-8 with a byte-order mark,
    /// which YAML would read as part of the first key.
    pub fn new(text: &str, origin: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            text: text.strip_prefix('\u{feff}').unwrap_or(text).to_string(),
        }
    }

    /// The typed config, checked: a parser error keeps the parser's line and column, a failed
    /// check names its field and the line the field is written on.
    pub fn parse(&self) -> Result<ExperimentConfig> {
        let config: ExperimentConfig = serde_norway::from_str(&self.text)
            .with_context(|| format!("invalid config {}", self.origin))?;
        config.validate().map_err(|e| self.invalid(&e))?;
        Ok(config)
    }

    /// An error for `field`, which this source holds but this machine cannot run.
    pub fn unrunnable(&self, field: InvalidField) -> anyhow::Error {
        anyhow::anyhow!(
            "config {} cannot run on this machine: {}{}",
            self.origin,
            field,
            self.at(&field.path)
        )
    }

    fn invalid(&self, field: &InvalidField) -> anyhow::Error {
        anyhow::anyhow!(
            "invalid config {}: {field}{}",
            self.origin,
            self.at(&field.path)
        )
    }

    /// ` (line N)` of the field at `path` (of its section where the key is not written).
    fn at(&self, path: &[&str]) -> String {
        lines::line_of(&self.text, path).map_or_else(String::new, |l| format!(" (line {l})"))
    }
}

/// Shorthands of tests, which need the config and not its source.
#[cfg(test)]
impl ExperimentConfig {
    /// Loads a preset by name.
    pub fn preset(name: &str) -> Result<Self> {
        Source::preset(name)?.parse()
    }

    /// Loads a YAML config file.
    pub fn from_file(path: &Path) -> Result<Self> {
        Source::file(path)?.parse()
    }
}

impl ExperimentConfig {
    /// Checks a config built in code by the same rules as a file: it goes through its YAML,
    /// so every error points at a line of the resolved config.
    #[cfg(test)]
    pub fn revalidated(self, origin: &str) -> Result<Self> {
        Source::new(&self.to_yaml()?, origin).parse()
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

    /// The resolved config as YAML, written at the start of every run.
    pub fn to_yaml(&self) -> Result<String> {
        Ok(serde_norway::to_string(self)?)
    }
}

pub fn preset_names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, _)| *n).collect()
}
