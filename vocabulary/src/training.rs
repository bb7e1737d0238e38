//! How the two training stages run: SFT of the reference, then preference optimisation with
//! one objective. Part of every run id, since they change the results.
use serde::{Deserialize, Serialize};

use crate::field::{at_least_one, in_range, non_negative, positive, share, FieldError};

/// The most epochs of either stage (the paper trains 8 SFT and 3 PO epochs); far more would
/// only run for days, and the per-step records would grow without bound.
pub const MAX_EPOCHS: usize = 1000;

/// What the learning rate does after the linear warm-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// Cosine decay to 0 over the remaining steps (the paper's).
    Cosine,
    /// The base rate until the end.
    Constant,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SftConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub weight_decay: f64,
    /// Early stopping: stop after this many epochs without a better validation HR@1 and keep
    /// the best epoch's weights; 0 trains every epoch and keeps the last.
    pub patience: usize,
}

impl SftConfig {
    /// epochs in 1..=[`MAX_EPOCHS`], batch_size >= 1, lr finite and > 0, weight_decay finite
    /// and >= 0.
    pub fn validate(&self) -> Result<(), FieldError> {
        epochs(self.epochs)?;
        at_least_one("batch_size", self.batch_size, "")?;
        positive("lr", self.lr)?;
        non_negative("weight_decay", self.weight_decay, "")
    }
}

fn epochs(n: usize) -> Result<(), FieldError> {
    in_range("epochs", n as i64, MAX_EPOCHS as i64, "")
}

impl Default for SftConfig {
    fn default() -> Self {
        Self {
            epochs: 8,
            batch_size: 128,
            lr: 1e-3,
            weight_decay: 0.0,
            patience: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PoConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    /// How the learning rate moves after the warm-up (paper: cosine decay to 0).
    pub schedule: Schedule,
    pub warmup_share: f64,
    /// Maximum global gradient norm (paper: 0.3); 0 turns clipping off.
    pub grad_clip: f64,
    pub weight_decay: f64,
    /// Dropout of the policy during PO, apart from SFT's `model.dropout`. 0 (as TRL's DPO
    /// trainer does by default): with dropout the policy's log-likelihoods are noisy against
    /// the dropout-free cached reference.
    pub dropout: f64,
    /// Most steps inspected for diagnostics per run (evenly spaced, the first included); the
    /// others are not inspected at all, which bounds both the record's size and the cost.
    pub logged_steps: usize,
    /// How the runs of one (dataset, policy) are packed into stacks that train as one batched
    /// model. How runs were packed is not part of what they are: it stays out of run ids.
    pub ensemble: Ensemble,
}

/// `po.ensemble`: `auto` packs the pending runs of a (dataset, policy) into as few stacks as
/// the memory budget allows, `off` trains every run alone, `N` packs at most N runs a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ensemble {
    #[default]
    Auto,
    Off,
    /// At most this many runs a stack (at least 1).
    Members(usize),
}

impl std::fmt::Display for Ensemble {
    /// As written in a config: `auto`, `off` or the count.
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Ensemble::Auto => f.write_str("auto"),
            Ensemble::Off => f.write_str("off"),
            Ensemble::Members(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for Ensemble {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Ensemble::Auto => s.serialize_str("auto"),
            Ensemble::Off => s.serialize_str("off"),
            Ensemble::Members(n) => s.serialize_u64(*n as u64),
        }
    }
}

impl<'de> Deserialize<'de> for Ensemble {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(EnsembleVisitor)
    }
}

/// Reads `auto`, `off` or a whole number >= 1; a visitor rather than an untagged enum, so an
/// error carries the value's own position and path (`po.ensemble`, its line).
struct EnsembleVisitor;

impl serde::de::Visitor<'_> for EnsembleVisitor {
    type Value = Ensemble;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("`auto`, `off` or the most runs a stack holds (a whole number >= 1)")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Ensemble, E> {
        match v {
            "auto" => Ok(Ensemble::Auto),
            "off" => Ok(Ensemble::Off),
            _ => Err(E::invalid_value(serde::de::Unexpected::Str(v), &self)),
        }
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Ensemble, E> {
        match usize::try_from(v) {
            Ok(n) if n >= 1 => Ok(Ensemble::Members(n)),
            _ => Err(E::invalid_value(serde::de::Unexpected::Unsigned(v), &self)),
        }
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Ensemble, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::invalid_value(serde::de::Unexpected::Signed(v), &self)),
        }
    }
}

impl PoConfig {
    /// As SFT's, plus warmup_share and dropout in [0, 1), grad_clip finite and >= 0 (0 turns
    /// clipping off) and logged_steps >= 1 (the report's curves need a step; 1 inspects only
    /// the first). `ensemble` is valid by its type.
    pub fn validate(&self) -> Result<(), FieldError> {
        epochs(self.epochs)?;
        at_least_one("batch_size", self.batch_size, "")?;
        positive("lr", self.lr)?;
        share("warmup_share", self.warmup_share)?;
        non_negative("grad_clip", self.grad_clip, " (0 turns clipping off)")?;
        non_negative("weight_decay", self.weight_decay, "")?;
        share("dropout", self.dropout)?;
        at_least_one(
            "logged_steps",
            self.logged_steps,
            " (the report's curves need an inspected step; 1 inspects only the first)",
        )
    }
}

impl Default for PoConfig {
    fn default() -> Self {
        Self {
            epochs: 3,
            batch_size: 128,
            lr: 1e-4,
            schedule: Schedule::Cosine,
            warmup_share: 0.05,
            grad_clip: 0.3,
            weight_decay: 0.0,
            dropout: 0.0,
            logged_steps: 200,
            ensemble: Ensemble::Auto,
        }
    }
}

/// Hyper-parameters shared by every objective (docs/objectives.md, parameters).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ObjectiveParams {
    /// The base β > 0 (paper: 1.0).
    pub beta: f64,
    /// The fixed margin M of the dual-margin β: 6.0 in the current official release, 2.0 in
    /// the first one.
    pub margin: f64,
    /// The factor in front of tanh, which bounds β_b to (β(1 − s), β(1 + s)).
    pub tanh_scale: f64,
}

impl Default for ObjectiveParams {
    /// The official release's values: β = 1, M = 6, tanh scale 0.5.
    fn default() -> Self {
        Self {
            beta: 1.0,
            margin: 6.0,
            tanh_scale: 0.5,
        }
    }
}

/// An objective parameter outside its domain.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid objective parameter {name} = {value}: {reason}")]
pub struct ParamError {
    /// The parameter's name.
    pub name: &'static str,
    /// Its value.
    pub value: f64,
    /// The constraint.
    pub reason: &'static str,
}

impl ObjectiveParams {
    /// Checks β > 0 and finite margin and tanh scale in [0, 1), which keeps every β_b positive.
    pub fn validate(&self) -> Result<(), ParamError> {
        let param = |name, value, reason| ParamError {
            name,
            value,
            reason,
        };
        if !(self.beta.is_finite() && self.beta > 0.0) {
            return Err(param("beta", self.beta, "must be finite and > 0"));
        }
        if !self.margin.is_finite() {
            return Err(param("margin", self.margin, "must be finite"));
        }
        if !(0.0..1.0).contains(&self.tanh_scale) {
            return Err(param("tanh_scale", self.tanh_scale, "must be in [0, 1)"));
        }
        Ok(())
    }
}
