//! The on-disk cache of SFT references: the policy's weights, the reference log-likelihoods of
//! every training sample's 20 candidates, and what the SFT cost and scored. Written into a
//! temporary directory and renamed into place whole, so an interrupted SFT never leaves a
//! checkpoint that a later run would trust.
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tch::Tensor;

use crate::metrics::Ranking;
use crate::policy::Policy;

const WEIGHTS: &str = "policy.ot";
const REFERENCE: &str = "reference.ot";
const META: &str = "meta.json";
/// Name of the reference log-likelihood tensor inside [`REFERENCE`].
const TRAIN_LOG_PROBS: &str = "train_candidate_log_probs";

/// What the SFT stage measured; stored beside the weights so cached runs still report it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SftSummary {
    pub epoch_losses: Vec<f64>,
    /// Validation HR@1 after every epoch that ran.
    pub valid_hr_at_1: Vec<f64>,
    /// 0-based epoch whose weights were kept.
    pub kept_epoch: usize,
    pub valid: Ranking,
    pub test: Ranking,
    pub sft_s: f64,
    pub reference_cache_s: f64,
}

/// Why a checkpoint could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("SFT cache {path}: {action} failed: {source}; check that the cache directory ($PREFBENCH_CACHE) is writable, or delete {path}")]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    #[error("SFT cache {path}: {reason}; delete {path} to retrain")]
    Corrupt { path: PathBuf, reason: String },
}

fn io(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> CheckpointError {
    let path = path.to_path_buf();
    move |source| CheckpointError::Io {
        path,
        action,
        source,
    }
}

fn corrupt(path: &Path, reason: impl ToString) -> CheckpointError {
    CheckpointError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// Loads the checkpoint in `dir` into `policy` (whose shapes must match); `None` when absent.
/// Returns the reference log-likelihoods [N, 20] on the policy's device and the summary.
pub fn load(
    dir: &Path,
    policy: &mut Policy,
) -> Result<Option<(Tensor, SftSummary)>, CheckpointError> {
    if !dir.join(META).is_file() {
        return Ok(None);
    }
    let meta = std::fs::read(dir.join(META)).map_err(io(&dir.join(META), "reading"))?;
    let summary: SftSummary = serde_json::from_slice(&meta).map_err(|e| corrupt(dir, e))?;
    policy
        .vs
        .load(dir.join(WEIGHTS))
        .map_err(|e| corrupt(dir, e))?;
    let tensors = Tensor::load_multi_with_device(dir.join(REFERENCE), policy.device())
        .map_err(|e| corrupt(dir, e))?;
    let (_, log_probs) = tensors
        .into_iter()
        .find(|(name, _)| name == TRAIN_LOG_PROBS)
        .ok_or_else(|| corrupt(dir, format!("{REFERENCE} lacks {TRAIN_LOG_PROBS}")))?;
    Ok(Some((log_probs, summary)))
}

/// Writes the checkpoint to `dir` atomically. If another process finished the same checkpoint
/// first, its copy is kept: both trained the same deterministic reference.
pub fn save(
    dir: &Path,
    policy: &Policy,
    train_log_probs: &Tensor,
    summary: &SftSummary,
) -> Result<(), CheckpointError> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent, "creating directory"))?;
    let staging = tempfile_dir(parent, dir)?;
    let write = || -> Result<(), CheckpointError> {
        policy
            .vs
            .save(staging.join(WEIGHTS))
            .map_err(|e| corrupt(&staging, e))?;
        Tensor::save_multi(
            &[(
                TRAIN_LOG_PROBS,
                &train_log_probs.to_device(tch::Device::Cpu),
            )],
            staging.join(REFERENCE),
        )
        .map_err(|e| corrupt(&staging, e))?;
        let meta = serde_json::to_vec_pretty(summary).map_err(|e| corrupt(&staging, e))?;
        std::fs::write(staging.join(META), meta).map_err(io(&staging.join(META), "writing"))
    };
    let result = write().and_then(|()| match std::fs::rename(&staging, dir) {
        Ok(()) => Ok(()),
        Err(_) if dir.join(META).is_file() => Ok(()),
        Err(e) => Err(io(dir, "renaming into place")(e)),
    });
    let _ = std::fs::remove_dir_all(&staging);
    result
}

/// A fresh staging directory next to `dir`, unique to this process and moment.
fn tempfile_dir(parent: &Path, dir: &Path) -> Result<PathBuf, CheckpointError> {
    let name = dir
        .file_name()
        .map_or("sft".into(), |n| n.to_string_lossy());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let staging = parent.join(format!(".{name}.tmp-{}-{nanos}", std::process::id()));
    std::fs::create_dir(&staging).map_err(io(&staging, "creating directory"))?;
    Ok(staging)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyConfig;
    use tch::{Device, Kind};

    fn summary() -> SftSummary {
        let ranking = Ranking {
            hr_at_1: 0.25,
            hr_at_5: 0.5,
            ndcg_at_5: 0.375,
            samples: 8,
        };
        SftSummary {
            epoch_losses: vec![3.0, 2.5],
            valid_hr_at_1: vec![0.125, 0.25],
            kept_epoch: 1,
            valid: ranking,
            test: ranking,
            sft_s: 1.5,
            reference_cache_s: 0.25,
        }
    }

    #[test]
    fn a_saved_checkpoint_loads_back_exactly() {
        let tmp = std::env::temp_dir().join(format!("prefbench-ckpt-{}", std::process::id()));
        let dir = tmp.join("key");
        tch::manual_seed(0);
        let policy = Policy::new(&PolicyConfig::default(), 30, None, Device::Cpu);
        let log_probs = Tensor::randn([4, 20], (Kind::Float, Device::Cpu));
        save(&dir, &policy, &log_probs, &summary()).unwrap();

        tch::manual_seed(1);
        let mut other = Policy::new(&PolicyConfig::default(), 30, None, Device::Cpu);
        let (loaded, meta) = load(&dir, &mut other).unwrap().expect("present");
        assert_eq!(meta, summary());
        assert!(loaded.equal(&log_probs));
        let sample = prefbench_datasets::Sample {
            user: 0,
            history: vec![1, 2, 3],
            candidates: (0..20).collect(),
            target: 0,
        };
        let h = crate::policy::histories_tensor([sample].iter(), 30, Device::Cpu);
        assert!(policy
            .log_probs(&h, false)
            .equal(&other.log_probs(&h, false)));
        let leftovers = std::fs::read_dir(&tmp).unwrap().count();
        assert_eq!(leftovers, 1, "no staging directory left behind");
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn an_absent_or_unfinished_checkpoint_is_not_trusted() {
        let tmp = std::env::temp_dir().join(format!("prefbench-ckpt2-{}", std::process::id()));
        let mut policy = Policy::new(&PolicyConfig::default(), 30, None, Device::Cpu);
        assert!(load(&tmp.join("missing"), &mut policy).unwrap().is_none());
        // Weights without meta.json: what a crash before the rename could at worst look like.
        std::fs::create_dir_all(tmp.join("partial")).unwrap();
        policy.vs.save(tmp.join("partial").join(WEIGHTS)).unwrap();
        assert!(load(&tmp.join("partial"), &mut policy).unwrap().is_none());
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
