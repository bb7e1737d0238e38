//! Experiment configs: YAML files or shipped presets, resolved into one typed value. Every field
//! is checked while it is read (unknown fields, wrong types, empty or repeated axis values, K out
//! of range, unknown datasets, a name that is no plain directory name, invalid objective, model,
//! SFT and PO settings, more threads than cores), so each error names the field (`po.lr` for a nested one), its line and
//! the values it allows, before anything trains: a typo must never silently run a different
//! experiment, and a value outside its domain must never reach libtorch.
//!
//! The YAML crate is `serde_norway`: `serde_yaml` is deprecated upstream and `serde_yml` was
//! flagged unsound by RustSec, while `serde_norway` is a maintained fork of
//! `serde_yaml` with the same API and its line/column error positions.
use std::collections::HashSet;
use std::fmt::Display;
use std::path::Path;

use anyhow::{bail, Context, Result};
use prefbench_datasets::{Registry, SyntheticConfig};
use prefbench_vocabulary::{
    Architecture, FieldError, ItemText, Method, ObjectiveParams, PoConfig, PolicyConfig, SftConfig,
    MAX_K,
};
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
    (
        "lastfm-paper",
        include_str!("../../configs/lastfm-paper.yaml"),
    ),
    (
        "lastfm-paper-ids",
        include_str!("../../configs/lastfm-paper-ids.yaml"),
    ),
    (
        "lastfm-paper-gru",
        include_str!("../../configs/lastfm-paper-gru.yaml"),
    ),
    (
        "movielens-paper",
        include_str!("../../configs/movielens-paper.yaml"),
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

/// A whole experiment: the matrix (datasets × methods × K × seeds) and its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// Names the default output directory (`prefbench-out/<name>`) and the report, so it must
    /// be a plain directory name (see [`check_name`]).
    #[serde(deserialize_with = "valid_name")]
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
    #[serde(default, deserialize_with = "valid_model")]
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
    #[serde(default, deserialize_with = "valid_sft")]
    pub sft: SftConfig,
    #[serde(default, deserialize_with = "valid_po")]
    pub po: PoConfig,
    #[serde(default, deserialize_with = "valid_objective")]
    pub objective: ObjectiveParams,
    #[serde(default = "default_device")]
    pub device: DeviceChoice,
    /// Intra-op threads of libtorch; 0 = all cores. Results are repeatable per thread count.
    /// At most this machine's cores ([`check_threads`]).
    #[serde(default, deserialize_with = "valid_threads")]
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
        // Editors on Windows may start UTF-8 with a byte-order mark, which YAML would read as
        // part of the first key.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        Self::parse(text, &path.display().to_string())
    }

    /// Checks a config built in code (e.g. a sweep's setting) by the same rules as a file: it
    /// goes through its YAML, so every check of [`ExperimentConfig::parse`] runs.
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

/// The cores this process may use: what `threads: 0` means, and the most threads a run may
/// ask for.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Threads of one run: at most the machine's cores. libtorch's OpenMP threads spin while they
/// wait, so more threads than cores fight over them and slow every run down several times
/// (and `threads: 100000` would ask the OS for that many); results depend on the count, so a
/// run of another machine is reproduced there, not by oversubscribing this one.
pub fn check_threads(n: usize) -> Result<(), String> {
    let cores = cores();
    match n <= cores {
        true => Ok(()),
        false => Err(format!(
            "{n} threads, but this machine has {cores} cores; use 1 to {cores}, or 0 for all of \
             them"
        )),
    }
}

fn valid_threads<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    checked(d, "threads", |&n: &usize| check_threads(n))
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

/// The 1-based line of `field`: a top-level key, or `top.key` for a key of a top-level mapping
/// (found in its block below `top:`, or on the `top:` line itself in flow style; the `top:`
/// line when the key is not written out).
fn field_line(text: &str, field: &str) -> Option<usize> {
    let (top, key) = match field.split_once('.') {
        Some((top, key)) => (top, Some(key)),
        None => (field, None),
    };
    let start = top_level_line(text, top)?;
    let Some(key) = key else {
        return Some(start);
    };
    let lines: Vec<&str> = text.lines().collect();
    let own = lines.get(start - 1).and_then(|l| l.get(top.len() + 1..));
    if own.is_some_and(|rest| has_key(rest, key)) {
        return Some(start);
    }
    for (i, line) in lines.iter().enumerate().skip(start) {
        let top_level = !line.trim().is_empty() && !line.starts_with([' ', '\t', '#']);
        if top_level {
            break;
        }
        if has_key(line, key) {
            return Some(i + 1);
        }
    }
    Some(start)
}

/// Whether `line` holds the mapping key `key` (`key:`, in block or flow style, maybe quoted).
fn has_key(line: &str, key: &str) -> bool {
    line.match_indices(key).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let boundary = before.is_none_or(|c| c.is_whitespace() || "{,\"'".contains(c));
        let after = line[i + key.len()..]
            .trim_start_matches(['"', '\''])
            .trim_start();
        boundary && after.starts_with(':')
    })
}

/// Adds the line to an error that `serde_norway` raised without one: a failed check of
/// [`checked`] or [`checked_fields`], which names its field (`k`, `po.lr`).
fn locate(error: serde_norway::Error, text: &str) -> anyhow::Error {
    let message = error.to_string();
    let line = message
        .strip_prefix("field `")
        .filter(|_| !message.contains(" line "))
        .and_then(|rest| rest.split_once('`'))
        .and_then(|(field, _)| field_line(text, field));
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

/// Reads the settings of top-level `field` and checks them; the error names the key that
/// failed as `field.key`, which [`locate`] finds the line of.
fn checked_fields<'de, D, T>(
    d: D,
    field: &str,
    check: impl FnOnce(&T) -> Result<(), FieldError>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let value = T::deserialize(d)?;
    check(&value)
        .map_err(|e| de::Error::custom(format!("field `{field}.{}`: {}", e.field, e.reason)))?;
    Ok(value)
}

/// An axis: at least one value, each value once.
fn non_empty<'de, D: Deserializer<'de>, T: Deserialize<'de> + Serialize>(
    d: D,
    field: &str,
) -> Result<Vec<T>, D::Error> {
    checked(d, field, |v: &Vec<T>| {
        require_values(v.len()).map_err(str::to_string)?;
        distinct(v)
    })
}

/// Fails on the first value listed twice: a repeated axis value would run (and count) the
/// same runs twice.
fn distinct<T: Serialize>(values: &[T]) -> Result<(), String> {
    let mut seen = HashSet::new();
    for value in values {
        let name = serde_json::to_string(value).unwrap_or_default();
        if !seen.insert(name.clone()) {
            return Err(format!(
                "{} is listed twice; the values of an axis must be distinct",
                name.trim_matches('"')
            ));
        }
    }
    Ok(())
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
            None => distinct(ks),
        }
    })
}

fn known_datasets<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    checked(d, "datasets", |names: &Vec<String>| {
        require_values(names.len()).map_err(str::to_string)?;
        let registry = Registry::builtin().map_err(|e| e.to_string())?;
        names
            .iter()
            .try_for_each(|name| registry.get(name).map(drop).map_err(|e| e.to_string()))?;
        distinct(names)
    })
}

fn valid_name<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    checked(d, "name", |name: &String| check_name(name))
}

/// A name is one plain path component: not empty, no `/` or `\`, no `..`, not `.`, not absolute,
/// no control characters, since the default output directory is `prefbench-out/<name>` and
/// must stay inside `prefbench-out/`.
pub fn check_name(name: &str) -> Result<(), String> {
    let problem = if name.is_empty() {
        "is empty"
    } else if name.contains(['/', '\\']) || Path::new(name).is_absolute() {
        "contains a path separator (`/` or `\\`)"
    } else if name.contains("..") {
        "contains `..`"
    } else if name == "." {
        "is `.`"
    } else if name.chars().any(char::is_control) {
        "contains a control character"
    } else {
        return Ok(());
    };
    Err(format!(
        "{name:?} {problem}; the name must be a plain directory name (not empty, no `/`, `\\` \
         or `..`), since the default output directory is prefbench-out/<name>"
    ))
}

fn valid_model<'de, D: Deserializer<'de>>(d: D) -> Result<PolicyConfig, D::Error> {
    checked_fields(d, "model", PolicyConfig::validate)
}

fn valid_sft<'de, D: Deserializer<'de>>(d: D) -> Result<SftConfig, D::Error> {
    checked_fields(d, "sft", SftConfig::validate)
}

fn valid_po<'de, D: Deserializer<'de>>(d: D) -> Result<PoConfig, D::Error> {
    checked_fields(d, "po", PoConfig::validate)
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
    use prefbench_vocabulary::Ensemble;

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
            (&format!("{BASE}threads: 100000\n"), "threads", 6),
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
    fn threads_above_the_cores_are_refused_and_up_to_them_accepted() {
        let threads = |n: usize| ExperimentConfig::parse(&format!("{BASE}threads: {n}\n"), "t");
        assert_eq!(threads(cores()).unwrap().threads, cores());
        assert_eq!(threads(0).unwrap().threads, 0);
        let err = format!("{:#}", threads(cores() + 1).unwrap_err());
        assert!(
            err.contains("invalid config t")
                && err.contains("`threads`")
                && err.contains(&format!("this machine has {} cores", cores())),
            "{err}"
        );
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bom.yaml");
        std::fs::write(&path, format!("\u{feff}{BASE}")).unwrap();
        let config = ExperimentConfig::from_file(&path).unwrap();
        assert_eq!(config, ExperimentConfig::parse(BASE, "t").unwrap());
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

    /// One row per bad value: (text after [`BASE`], field, line of that field).
    #[test]
    fn values_outside_their_domain_name_the_field_the_line_and_the_domain() {
        let sft = |v: &str| format!("sft:\n  epochs: 2\n  {v}\n");
        let po = |v: &str| format!("po:\n  epochs: 2\n  {v}\n");
        let model = |v: &str| format!("model:\n  width: 64\n  {v}\n");
        let rows: Vec<(String, &str, usize, &str)> = vec![
            (sft("lr: -1"), "sft.lr", 8, "finite and > 0"),
            (sft("lr: 0"), "sft.lr", 8, "finite and > 0"),
            (sft("lr: .nan"), "sft.lr", 8, "finite and > 0"),
            (sft("lr: .inf"), "sft.lr", 8, "finite and > 0"),
            (sft("weight_decay: -0.1"), "sft.weight_decay", 8, ">= 0"),
            (sft("weight_decay: .nan"), "sft.weight_decay", 8, ">= 0"),
            (sft("weight_decay: -.inf"), "sft.weight_decay", 8, ">= 0"),
            ("sft:\n  epochs: 0\n".into(), "sft.epochs", 7, "1..=1000"),
            ("sft:\n  epochs: 5000\n".into(), "sft.epochs", 7, "1..=1000"),
            (sft("batch_size: 0"), "sft.batch_size", 8, ">= 1"),
            (po("lr: -0.001"), "po.lr", 8, "finite and > 0"),
            (po("lr: .nan"), "po.lr", 8, "finite and > 0"),
            (po("lr: .inf"), "po.lr", 8, "finite and > 0"),
            (po("weight_decay: -1"), "po.weight_decay", 8, ">= 0"),
            (po("weight_decay: .inf"), "po.weight_decay", 8, ">= 0"),
            ("po:\n  epochs: 0\n".into(), "po.epochs", 7, "1..=1000"),
            (po("batch_size: 0"), "po.batch_size", 8, ">= 1"),
            (po("warmup_share: 1"), "po.warmup_share", 8, "[0, 1)"),
            (po("warmup_share: -0.1"), "po.warmup_share", 8, "[0, 1)"),
            (po("warmup_share: .nan"), "po.warmup_share", 8, "[0, 1)"),
            (
                po("grad_clip: -0.3"),
                "po.grad_clip",
                8,
                "0 turns clipping off",
            ),
            (po("grad_clip: .inf"), "po.grad_clip", 8, ">= 0"),
            (po("grad_clip: .nan"), "po.grad_clip", 8, ">= 0"),
            (po("dropout: 1"), "po.dropout", 8, "[0, 1)"),
            (po("dropout: -0.2"), "po.dropout", 8, "[0, 1)"),
            (po("logged_steps: 0"), "po.logged_steps", 8, ">= 1"),
            (model("dropout: 1.0"), "model.dropout", 8, "[0, 1)"),
            (model("dropout: -0.5"), "model.dropout", 8, "[0, 1)"),
            (model("dropout: .nan"), "model.dropout", 8, "[0, 1)"),
            ("model:\n  width: 0\n".into(), "model.width", 7, "1..=4096"),
            (
                "model:\n  width: 100000\n".into(),
                "model.width",
                7,
                "1..=4096",
            ),
            (model("heads: 0"), "model.heads", 8, ">= 1"),
            (model("heads: 3"), "model.heads", 8, "divide"),
            (model("blocks: 0"), "model.blocks", 8, "1..=64"),
            // Flow style: the key is on the field's own line, or on a continuation line.
            ("po: {epochs: 2, lr: -1}\n".into(), "po.lr", 6, "> 0"),
            ("po: {epochs: 2,\n  lr: -1}\n".into(), "po.lr", 7, "> 0"),
            (
                "model: {width: 64, heads: 5}\n".into(),
                "model.heads",
                6,
                "divide",
            ),
            // A GRU ignores heads, but an architecture axis may make it a transformer.
            (
                "model: {architecture: gru, width: 64, heads: 7}\n".into(),
                "model.heads",
                6,
                "divide",
            ),
        ];
        for (extra, field, line, domain) in rows {
            let err = error(&format!("{BASE}{extra}"));
            assert!(
                err.contains(&format!("`{field}`"))
                    && err.contains(&format!("line {line}"))
                    && err.contains(domain),
                "{field} line {line} ({domain}): {err}"
            );
        }
    }

    #[test]
    fn po_ensemble_is_auto_off_or_a_count_and_nothing_else() {
        let parse = |v: &str| {
            ExperimentConfig::parse(&format!("{BASE}po:\n  epochs: 2\n  ensemble: {v}\n"), "t")
        };
        assert_eq!(parse("auto").unwrap().po.ensemble, Ensemble::Auto);
        assert_eq!(parse("off").unwrap().po.ensemble, Ensemble::Off);
        assert_eq!(parse("49").unwrap().po.ensemble, Ensemble::Members(49));
        let preset = ExperimentConfig::preset("paper").unwrap();
        assert_eq!(preset.po.ensemble, Ensemble::Auto, "the default");
        for bad in ["0", "fast", "-1", "2.5", "[2]"] {
            let err = format!("{:#}", parse(bad).unwrap_err());
            assert!(
                err.contains("po.ensemble")
                    && err.contains("line 8")
                    && err.contains("`auto`, `off` or the most runs a stack holds"),
                "{bad}: {err}"
            );
        }
    }

    /// One row per repeated axis value or bad name: (whole config, field, line).
    #[test]
    fn repeated_axis_values_and_escaping_names_are_refused() {
        let with = |from: &str, to: &str| BASE.replace(from, to);
        let rows: Vec<(String, &str, usize, &str)> = vec![
            (
                with("seeds: [0]", "seeds: [0, 1, 0]"),
                "seeds",
                5,
                "0 is listed twice",
            ),
            (with("k: [1]", "k: [1, 3, 1]"), "k", 4, "1 is listed twice"),
            (
                with("methods: [dmpo]", "methods: [dmpo, dynamicpo-dmpo, dmpo]"),
                "methods",
                3,
                "dmpo is listed twice",
            ),
            (
                with("datasets: [synthetic]", "datasets: [synthetic, synthetic]"),
                "datasets",
                2,
                "listed twice",
            ),
            (
                format!("{BASE}item_text: [none, minilm, none]\n"),
                "item_text",
                6,
                "none is listed twice",
            ),
            (
                format!("{BASE}architecture: [gru, transformer, gru]\n"),
                "architecture",
                6,
                "gru is listed twice",
            ),
            (with("name: x", "name: ''"), "name", 1, "is empty"),
            (with("name: x", "name: a/b"), "name", 1, "path separator"),
            (with("name: x", "name: 'a\\b'"), "name", 1, "path separator"),
            (with("name: x", "name: /tmp/x"), "name", 1, "path separator"),
            (with("name: x", "name: .."), "name", 1, "`..`"),
            (with("name: x", "name: x..y"), "name", 1, "`..`"),
            (with("name: x", "name: ."), "name", 1, "is `.`"),
            (
                with("name: x", "name: \"a\\tb\""),
                "name",
                1,
                "control character",
            ),
        ];
        for (text, field, line, domain) in rows {
            let err = error(&text);
            assert!(
                err.contains(&format!("`{field}`"))
                    && err.contains(&format!("line {line}"))
                    && err.contains(domain),
                "{field} line {line} ({domain}): {err}\n{text}"
            );
        }
    }

    #[test]
    fn boundary_values_inside_the_domains_are_accepted() {
        let text = format!(
            "{BASE}sft: {{epochs: 1, batch_size: 1, lr: 1e-9, weight_decay: 0}}\n\
             po: {{epochs: 1000, batch_size: 1, lr: 5, warmup_share: 0, grad_clip: 0, \
             weight_decay: 0, dropout: 0, logged_steps: 1}}\n\
             model: {{width: 1, heads: 1, blocks: 1, dropout: 0.999}}\n"
        );
        let c = ExperimentConfig::parse(&text, "t.yaml").unwrap();
        assert_eq!((c.po.grad_clip, c.model.width), (0.0, 1));
        assert!(SftConfig::default().validate().is_ok());
        assert!(PoConfig::default().validate().is_ok());
        assert!(PolicyConfig::default().validate().is_ok());
        for name in ["demo", "paper-2026", "a.b", "ünïcode name"] {
            assert!(check_name(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn configs_built_in_code_are_checked_by_the_same_rules() {
        let mut c = ExperimentConfig::preset("demo").unwrap();
        c.po.lr = f64::NAN;
        let err = format!("{:#}", c.clone().revalidated("sweep").unwrap_err());
        assert!(err.contains("`po.lr`") && err.contains("line "), "{err}");
        c.po.lr = 1e-4;
        c.seeds = vec![3, 3];
        let err = format!("{:#}", c.clone().revalidated("sweep").unwrap_err());
        assert!(
            err.contains("`seeds`") && err.contains("listed twice"),
            "{err}"
        );
        c.seeds = vec![3];
        c.name = "../elsewhere".into();
        let err = format!("{:#}", c.clone().revalidated("sweep").unwrap_err());
        assert!(err.contains("`name`") && err.contains("line 1"), "{err}");
        c.name = "demo".into();
        c.model.heads = 0;
        let err = format!("{:#}", c.revalidated("sweep").unwrap_err());
        assert!(err.contains("`model.heads`"), "{err}");
    }

    #[test]
    fn round_trips_through_yaml() {
        for name in preset_names() {
            let c = ExperimentConfig::preset(name).unwrap();
            let again = ExperimentConfig::parse(&c.to_yaml().unwrap(), "resolved").unwrap();
            assert_eq!(c, again);
        }
    }

    /// Parsing never panics: on arbitrary text, on token soup that reaches the checks, and on
    /// the demo preset with fields replaced by arbitrary values (NaN, infinities, huge and
    /// negative numbers, wrong types). Whatever it accepts satisfies every check and resolves
    /// to YAML that parses back to the same config (what a `--jobs` child reads).
    mod properties {
        use super::*;
        use proptest::prelude::*;
        use serde_norway::{Mapping, Number, Value};

        const TOKENS: &[&str] = &[
            "name",
            "datasets",
            "methods",
            "k",
            "seeds",
            "synthetic",
            "model",
            "item_text",
            "architecture",
            "sft",
            "po",
            "objective",
            "device",
            "threads",
            "epochs",
            "lr",
            "batch_size",
            "width",
            "heads",
            "blocks",
            "dropout",
            "warmup_share",
            "grad_clip",
            "weight_decay",
            "logged_steps",
            "patience",
            "schedule",
            "beta",
            "items",
            ":",
            ": ",
            " ",
            "\n",
            "\n  ",
            "[",
            "]",
            "{",
            "}",
            ", ",
            "- ",
            "0",
            "1",
            "3",
            "-1",
            "1e400",
            "0.5",
            ".nan",
            ".inf",
            "-.inf",
            "&a ",
            "*a",
            "<<: ",
            "!!str ",
            "!!float ",
            "'",
            "\"",
            "#",
            "|",
            ">",
            "---",
            "...",
            "~",
            "null",
            "true",
            "synthetic",
            "dmpo",
            "dpo",
            "dynamicpo-dmpo",
            "gru",
            "minilm",
            "none",
            "cpu",
            "cosine",
            "..",
            "/",
            "\\",
            "\t",
        ];

        fn soup() -> impl Strategy<Value = String> {
            prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|t| t.concat())
        }

        fn scalar() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<f64>().prop_map(|x| Value::Number(Number::from(x))),
                any::<i64>().prop_map(|x| Value::Number(Number::from(x))),
                (0u64..40).prop_map(|x| Value::Number(Number::from(x))),
                prop::sample::select(TOKENS).prop_map(|t| Value::String(t.to_string())),
                "[a-z0-9./ -]{0,8}".prop_map(Value::String),
            ]
        }

        fn value() -> impl Strategy<Value = Value> {
            scalar().prop_recursive(3, 16, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Sequence),
                    prop::collection::vec((prop::sample::select(TOKENS), inner), 0..4).prop_map(
                        |pairs| {
                            let mut m = Mapping::new();
                            for (k, v) in pairs {
                                m.insert(Value::String(k.to_string()), v);
                            }
                            Value::Mapping(m)
                        }
                    ),
                ]
            })
        }

        const NAMES: &[&str] = &[
            "x",
            "demo",
            "synthetic",
            "lastfm",
            "dmpo",
            "dpo",
            "dynamicpo-dmpo",
            "sdpo",
            "gru",
            "transformer",
            "none",
            "minilm",
            "cpu",
            "auto",
            "cosine",
            "constant",
            "",
            "..",
            "a/b",
            "/abs",
            "1",
            "true",
        ];

        /// Values of the types the fields take, in and around their domains.
        fn plausible() -> impl Strategy<Value = Value> {
            let number = |x: f64| Value::Number(Number::from(x));
            let special = [
                0.0,
                -0.0,
                1.0,
                0.5,
                1e-9,
                1e300,
                -1e300,
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::MIN_POSITIVE,
            ];
            prop_oneof![
                (-2.0f64..2.0).prop_map(number),
                (0u64..200).prop_map(|x| Value::Number(Number::from(x))),
                prop::sample::select(special.to_vec()).prop_map(number),
                prop::sample::select(NAMES).prop_map(|s| Value::String(s.into())),
                prop::collection::vec(0u64..6, 0..4).prop_map(|v| Value::Sequence(
                    v.into_iter()
                        .map(|x| Value::Number(Number::from(x)))
                        .collect()
                )),
                prop::collection::vec(prop::sample::select(NAMES), 0..3).prop_map(|v| {
                    Value::Sequence(v.into_iter().map(|s| Value::String(s.into())).collect())
                }),
            ]
        }

        /// 1 to 3 fields of the demo preset replaced, mostly by values of their own type.
        fn edits() -> impl Strategy<Value = Vec<(usize, Value)>> {
            let replacement = prop_oneof![4 => plausible(), 1 => value()];
            prop::collection::vec((any::<usize>(), replacement), 1..4)
        }

        /// Fields of the demo preset as (top-level key, nested key).
        const FIELDS: &[(&str, Option<&str>)] = &[
            ("name", None),
            ("datasets", None),
            ("methods", None),
            ("k", None),
            ("seeds", None),
            ("item_text", None),
            ("architecture", None),
            ("device", None),
            ("threads", None),
            ("synthetic", Some("items")),
            ("objective", Some("beta")),
            ("model", Some("width")),
            ("model", Some("heads")),
            ("model", Some("blocks")),
            ("model", Some("dropout")),
            ("model", Some("architecture")),
            ("sft", Some("epochs")),
            ("sft", Some("batch_size")),
            ("sft", Some("lr")),
            ("sft", Some("weight_decay")),
            ("po", Some("epochs")),
            ("po", Some("batch_size")),
            ("po", Some("lr")),
            ("po", Some("warmup_share")),
            ("po", Some("grad_clip")),
            ("po", Some("dropout")),
            ("po", Some("logged_steps")),
            ("po", Some("schedule")),
        ];

        fn demo_with(edits: &[(usize, Value)]) -> String {
            let demo = ExperimentConfig::preset("demo").unwrap();
            let mut root = serde_norway::to_value(&demo).unwrap();
            for (field, value) in edits {
                let (top, nested) = FIELDS[field % FIELDS.len()];
                let Value::Mapping(map) = &mut root else {
                    unreachable!("a config is a mapping")
                };
                match nested {
                    None => {
                        map.insert(Value::String(top.into()), value.clone());
                    }
                    Some(key) => {
                        let entry = map
                            .entry(Value::String(top.into()))
                            .or_insert_with(|| Value::Mapping(Mapping::new()));
                        if let Value::Mapping(inner) = entry {
                            inner.insert(Value::String(key.into()), value.clone());
                        }
                    }
                }
            }
            serde_norway::to_string(&root).unwrap()
        }

        fn holds(text: &str) {
            let Ok(c) = ExperimentConfig::parse(text, "prop.yaml") else {
                return;
            };
            assert!(check_name(&c.name).is_ok(), "{text}");
            assert!(
                c.sft.validate().is_ok() && c.po.validate().is_ok(),
                "{text}"
            );
            assert!(c.model.validate().is_ok(), "{text}");
            assert!(c.k.iter().all(|k| (1..=MAX_K).contains(k)), "{text}");
            assert!(check_threads(c.threads).is_ok(), "{text}");
            assert!(!c.seeds.is_empty() && distinct(&c.seeds).is_ok(), "{text}");
            assert!(
                !c.methods.is_empty() && distinct(&c.methods).is_ok(),
                "{text}"
            );
            let again = c.clone().revalidated("resolved");
            assert_eq!(again.ok().as_ref(), Some(&c), "{text}");
        }

        /// The field strategy is not vacuous: some of its configs are accepted.
        #[test]
        fn the_field_strategy_reaches_accepted_configs() {
            use proptest::strategy::ValueTree;
            let mut runner = proptest::test_runner::TestRunner::deterministic();
            let strategy = edits();
            let accepted = (0..64)
                .filter(|_| {
                    let edits = strategy.new_tree(&mut runner).unwrap().current();
                    ExperimentConfig::parse(&demo_with(&edits), "prop.yaml").is_ok()
                })
                .count();
            assert!(accepted >= 2, "{accepted} of 64");
        }

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: 160,
                failure_persistence: None,
                ..ProptestConfig::default()
            })]

            #[test]
            fn arbitrary_text_never_panics(text in any::<String>()) {
                holds(&text);
            }

            #[test]
            fn token_soup_never_panics(text in soup()) {
                holds(&text);
            }

            #[test]
            fn a_valid_config_with_soup_inserted_never_panics(
                at in 0..BASE.len(),
                inserted in soup(),
            ) {
                holds(&format!("{}{inserted}{}", &BASE[..at], &BASE[at..]));
            }

            #[test]
            fn arbitrary_field_values_never_panic(
                edits in edits(),
            ) {
                holds(&demo_with(&edits));
            }
        }
    }
}
