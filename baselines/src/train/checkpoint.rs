//! The on-disk cache of SFT references: the policy's weights, the reference log-likelihoods of
//! every training sample's 20 candidates, and what the SFT cost and scored. Written into a
//! temporary directory and renamed into place whole, so an interrupted SFT never leaves a
//! checkpoint that a later run would trust.
//!
//! A checkpoint directory holds:
//! - `policy.ot`: every variable of the policy (libtorch's named-tensor format);
//! - `reference.ot`: the reference log-likelihoods, one tensor [N, 20];
//! - `meta.json`: the SFT summary and the shapes the two tensor files must have (every variable
//!   by name, and [N, 20]);
//! - `manifest.json`, written last: the sha256 of each of the three files above, so an edited
//!   or damaged file (meta.json included: it carries the recorded SFT metrics) is detected.
//!
//! [`load`] uses a checkpoint only when every hash matches, the shapes are those of the policy
//! and of a training split of the expected N rows, and every value is finite; anything else is
//! a [`CheckpointError::Invalid`], which callers treat as "not cached": they warn, naming the
//! directory and the reason, and train again (and [`save`] then replaces the invalid copy).
//! [`save`] refuses to cache anything non-finite. The manifest guards against accidents, not
//! against someone who rewrites it to match: the cache is the user's own directory.
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use prefbench_io::{rename_durably, sha256_file, sync_directory, IoError};
use prefbench_vocabulary::SftMetrics;
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use crate::policy::Policy;

const WEIGHTS: &str = "policy.ot";
const REFERENCE: &str = "reference.ot";
const META: &str = "meta.json";
const MANIFEST: &str = "manifest.json";
/// The files the manifest vouches for, in the order they are checked.
const HASHED: [&str; 3] = [META, WEIGHTS, REFERENCE];
/// Name of the reference log-likelihood tensor inside [`REFERENCE`].
const TRAIN_LOG_PROBS: &str = "train_candidate_log_probs";
/// Candidates per sample: the reference holds one log-likelihood for each.
const CANDIDATES: i64 = prefbench_datasets::CANDIDATES as i64;
/// The `format` of `meta.json` and `manifest.json`; checkpoints of another format are not used.
/// v4: the weights carry the policy's member dimension (a stack of one), so v3 checkpoints are
/// trained again once.
const FORMAT: &str = "prefbench sft checkpoint v4";

/// What the SFT stage measured and what it cost; stored beside the weights so cached runs
/// still report both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SftSummary {
    pub metrics: SftMetrics,
    pub sft_s: f64,
    pub reference_cache_s: f64,
}

impl SftSummary {
    /// Why the summary cannot describe a finished SFT, if it cannot: a non-finite number, no
    /// epoch, or per-epoch lists that disagree with each other or with `kept_epoch`.
    fn problem(&self) -> Option<String> {
        let m = &self.metrics;
        let rankings = [m.valid, m.test]
            .into_iter()
            .flat_map(|r| [r.hr_at_1, r.hr_at_5, r.ndcg_at_5]);
        let numbers = m
            .train_loss
            .iter()
            .chain(&m.valid_hr_at_1)
            .copied()
            .chain(rankings)
            .chain([self.sft_s, self.reference_cache_s]);
        if numbers.into_iter().any(|x| !x.is_finite()) {
            return Some("the SFT summary holds a non-finite number".into());
        }
        let epochs = m.train_loss.len();
        if epochs == 0 || m.valid_hr_at_1.len() != epochs || !(1..=epochs).contains(&m.kept_epoch) {
            return Some(format!(
                "the SFT summary is inconsistent: {epochs} epoch losses, {} validation HR@1 \
                 values, kept epoch {}",
                m.valid_hr_at_1.len(),
                m.kept_epoch
            ));
        }
        None
    }
}

/// Why a checkpoint could not be written, or cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("SFT cache {0}; check that the cache directory ($PREFBENCH_CACHE) is writable and has free space")]
    Io(#[from] IoError),
    /// A checkpoint that is there but must not be used; callers train again.
    #[error("SFT cache {path} is not used: {reason}")]
    Invalid { path: PathBuf, reason: String },
    /// [`save`] found something that must never be cached (a non-finite value, a wrong shape).
    #[error("not caching the SFT reference in {path}: {reason}; lower sft.lr if the SFT diverged")]
    Refused { path: PathBuf, reason: String },
    #[error("SFT cache {path}: libtorch: {source}")]
    Torch {
        path: PathBuf,
        source: tch::TchError,
    },
}

fn io(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> CheckpointError {
    let at = IoError::at(path.to_path_buf(), action);
    move |source| CheckpointError::Io(at(source))
}

fn torch(path: &Path) -> impl FnOnce(tch::TchError) -> CheckpointError {
    let path = path.to_path_buf();
    move |source| CheckpointError::Torch { path, source }
}

/// `meta.json`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    format: String,
    summary: SftSummary,
    /// The shape of the reference tensor: [N, 20].
    reference_shape: Vec<i64>,
    /// The shape of every variable in `policy.ot`, by name.
    variables: BTreeMap<String, Vec<i64>>,
}

/// `manifest.json`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: String,
    /// Hex sha256 of each file of [`HASHED`].
    sha256: BTreeMap<String, String>,
}

/// The shapes (and kinds) a checkpoint must have to fit a policy and a training split.
struct Expected {
    variables: BTreeMap<String, Vec<i64>>,
    kinds: BTreeMap<String, Kind>,
    rows: i64,
}

impl Expected {
    fn of(policy: &Policy, rows: usize) -> Self {
        let variables = policy.vs.variables();
        Self {
            kinds: variables
                .iter()
                .map(|(n, t)| (n.clone(), t.kind()))
                .collect(),
            variables: variables.into_iter().map(|(n, t)| (n, t.size())).collect(),
            rows: i64::try_from(rows).unwrap_or(i64::MAX),
        }
    }
}

/// Loads the checkpoint in `dir` into `policy` for a training split of `train_rows` samples.
/// Returns the reference log-likelihoods [N, 20] on the policy's device and the summary;
/// `Ok(None)` when there is no checkpoint. Every problem with one that is there (see the module
/// docs) is an `Err` meaning "not cached": the caller warns with it and trains again. `policy`
/// is changed only when the whole checkpoint is good, so training it after an `Err` is the same
/// as training a fresh one.
pub fn load(
    dir: &Path,
    policy: &mut Policy,
    train_rows: usize,
) -> Result<Option<(Tensor, SftSummary)>, CheckpointError> {
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(invalid(dir, format!("cannot inspect it: {e}"))),
        Ok(_) => {}
    }
    let expected = Expected::of(policy, train_rows);
    let (meta, reference, weights) =
        verify(dir, &expected).map_err(|reason| invalid(dir, reason))?;
    let reference = reference.f_to_device(policy.device()).map_err(torch(dir))?;
    // Every check passed: only now is the policy touched.
    let mut variables = policy.vs.variables();
    tch::no_grad(|| -> Result<(), CheckpointError> {
        for (name, value) in &weights {
            if let Some(var) = variables.get_mut(name) {
                var.f_copy_(value).map_err(torch(dir))?;
            }
        }
        Ok(())
    })?;
    Ok(Some((reference, meta.summary)))
}

fn invalid(dir: &Path, reason: impl ToString) -> CheckpointError {
    CheckpointError::Invalid {
        path: dir.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// A checkpoint that passed every check: its meta, reference tensor and weights (by variable
/// name), on the CPU.
type Verified = (Meta, Tensor, Vec<(String, Tensor)>);

/// Checks everything of the checkpoint in `dir` against `expected`.
fn verify(dir: &Path, expected: &Expected) -> Result<Verified, String> {
    let meta = inspect(dir, expected)?;
    let reference = read_reference(dir, &meta.reference_shape)?;
    let weights = read_weights(dir, expected)?;
    Ok((meta, reference, weights))
}

/// Checks the manifest's hashes and `meta.json` against `expected`; returns the meta.
fn inspect(dir: &Path, expected: &Expected) -> Result<Meta, String> {
    let manifest = match std::fs::read(dir.join(MANIFEST)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(format!(
                "it has no {MANIFEST} (an unfinished checkpoint, or one written by an older \
                 prefbench)"
            ))
        }
        Err(e) => return Err(format!("cannot read {MANIFEST}: {e}")),
    };
    let manifest: Manifest =
        serde_json::from_slice(&manifest).map_err(|e| format!("{MANIFEST} is unreadable: {e}"))?;
    if manifest.format != FORMAT {
        return Err(format!(
            "{MANIFEST} is of format {:?}, expected {FORMAT:?}",
            manifest.format
        ));
    }
    if let Some(extra) = manifest
        .sha256
        .keys()
        .find(|k| !HASHED.contains(&k.as_str()))
    {
        return Err(format!("{MANIFEST} lists an unknown file {extra:?}"));
    }
    for file in HASHED {
        let Some(want) = manifest.sha256.get(file) else {
            return Err(format!("{MANIFEST} lists no sha256 of {file}"));
        };
        let found = match sha256_file(&dir.join(file)) {
            Ok(found) => found,
            Err(e) if e.source.kind() == ErrorKind::NotFound => {
                return Err(format!("{file} is missing"))
            }
            Err(e) => return Err(format!("cannot read {file}: {}", e.source)),
        };
        if &found != want {
            return Err(format!(
                "{file} does not match its sha256 in {MANIFEST} (edited or damaged)"
            ));
        }
    }
    let meta = std::fs::read(dir.join(META)).map_err(|e| format!("cannot read {META}: {e}"))?;
    let meta: Meta =
        serde_json::from_slice(&meta).map_err(|e| format!("{META} is unreadable: {e}"))?;
    if meta.format != FORMAT {
        return Err(format!(
            "{META} is of format {:?}, expected {FORMAT:?}",
            meta.format
        ));
    }
    if let Some(problem) = meta.summary.problem() {
        return Err(format!("{META}: {problem}"));
    }
    if meta.variables != expected.variables {
        return Err(format!(
            "{WEIGHTS} holds another model's weights: {}",
            variable_difference(&meta.variables, &expected.variables)
        ));
    }
    match meta.reference_shape.as_slice() {
        &[rows, CANDIDATES] if rows == expected.rows => {}
        &[rows, CANDIDATES] => {
            return Err(format!(
                "{REFERENCE} holds N = {rows} training samples, but the training split has {} \
                 (the dataset changed)",
                expected.rows
            ))
        }
        shape => {
            return Err(format!(
                "{META} records a reference of shape {shape:?}, expected [{}, {CANDIDATES}]",
                expected.rows
            ))
        }
    }
    Ok(meta)
}

/// The first difference between the variables of a checkpoint and those of the policy.
fn variable_difference(
    stored: &BTreeMap<String, Vec<i64>>,
    wanted: &BTreeMap<String, Vec<i64>>,
) -> String {
    if let Some((name, shape)) = wanted.iter().find(|(n, s)| stored.get(*n) != Some(*s)) {
        return match stored.get(name) {
            Some(there) => format!("`{name}` is {there:?} there, {shape:?} in this policy"),
            None => format!("it lacks `{name}` ({shape:?})"),
        };
    }
    match stored.keys().find(|n| !wanted.contains_key(*n)) {
        Some(name) => format!("it has `{name}`, which this policy lacks"),
        None => "the variables differ".into(),
    }
}

/// The reference tensor of `reference.ot` on the CPU, checked: the one named tensor, of the
/// recorded shape, float, finite.
fn read_reference(dir: &Path, shape: &[i64]) -> Result<Tensor, String> {
    let tensors = Tensor::load_multi(dir.join(REFERENCE))
        .map_err(|e| format!("{REFERENCE} cannot be read: {e}"))?;
    let names: Vec<String> = tensors.iter().map(|(n, _)| n.clone()).collect();
    let [(name, tensor)] = <[(String, Tensor); 1]>::try_from(tensors)
        .map_err(|_| format!("{REFERENCE} holds {names:?}, expected [{TRAIN_LOG_PROBS:?}]"))?;
    if name != TRAIN_LOG_PROBS {
        return Err(format!(
            "{REFERENCE} lacks {TRAIN_LOG_PROBS} (it holds {name:?})"
        ));
    }
    if tensor.size() != shape || tensor.kind() != Kind::Float {
        return Err(format!(
            "{REFERENCE} holds a {:?} tensor of shape {:?}, but {META} records Float {shape:?}",
            tensor.kind(),
            tensor.size()
        ));
    }
    if !all_finite(&tensor)? {
        return Err(format!(
            "{REFERENCE} holds a non-finite reference log-likelihood"
        ));
    }
    Ok(tensor)
}

/// The tensors of `policy.ot` on the CPU, checked against the policy's variables (names,
/// shapes, kinds) and for finiteness.
fn read_weights(dir: &Path, expected: &Expected) -> Result<Vec<(String, Tensor)>, String> {
    let tensors = Tensor::load_multi(dir.join(WEIGHTS))
        .map_err(|e| format!("{WEIGHTS} cannot be read: {e}"))?;
    let stored: BTreeMap<String, Vec<i64>> =
        tensors.iter().map(|(n, t)| (n.clone(), t.size())).collect();
    if stored != expected.variables || tensors.len() != stored.len() {
        return Err(format!(
            "{WEIGHTS} does not hold the variables {META} records: {}",
            variable_difference(&stored, &expected.variables)
        ));
    }
    for (name, tensor) in &tensors {
        let kind = expected.kinds.get(name).copied();
        if kind != Some(tensor.kind()) {
            return Err(format!(
                "{WEIGHTS}: `{name}` is {:?}, the policy's is {kind:?}",
                tensor.kind()
            ));
        }
        if !all_finite(tensor)? {
            return Err(format!("{WEIGHTS}: `{name}` holds a non-finite value"));
        }
    }
    Ok(tensors)
}

fn all_finite(t: &Tensor) -> Result<bool, String> {
    t.f_isfinite()
        .and_then(|f| f.f_all())
        .and_then(bool::try_from)
        .map_err(|e| format!("libtorch: {e}"))
}

/// Writes the checkpoint to `dir` atomically, after checking that everything in it is finite
/// and that `train_log_probs` is [N, 20]. If another process finished a valid copy of the same
/// checkpoint first, that copy is kept (both trained the same deterministic reference); an
/// invalid one there is replaced.
pub fn save(
    dir: &Path,
    policy: &Policy,
    train_log_probs: &Tensor,
    summary: &SftSummary,
) -> Result<(), CheckpointError> {
    let refuse = |reason: String| CheckpointError::Refused {
        path: dir.to_path_buf(),
        reason,
    };
    let reference = train_log_probs
        .f_detach()
        .and_then(|t| t.f_to_device(Device::Cpu))
        .map_err(torch(dir))?;
    let shape = reference.size();
    if !matches!(shape.as_slice(), [_, CANDIDATES]) || reference.kind() != Kind::Float {
        return Err(refuse(format!(
            "the reference log-likelihoods are {:?} {shape:?}, expected Float [N, {CANDIDATES}]",
            reference.kind()
        )));
    }
    if !all_finite(&reference).map_err(refuse)? {
        return Err(refuse(
            "the reference log-likelihoods hold a non-finite value".into(),
        ));
    }
    let variables = policy.vs.variables();
    for (name, var) in &variables {
        if !all_finite(var).map_err(refuse)? {
            return Err(refuse(format!(
                "the weights `{name}` hold a non-finite value"
            )));
        }
    }
    if let Some(problem) = summary.problem() {
        return Err(refuse(problem));
    }
    let expected = Expected::of(policy, 0);
    let expected = Expected {
        rows: shape[0],
        ..expected
    };
    let meta = Meta {
        format: FORMAT.into(),
        summary: summary.clone(),
        reference_shape: shape,
        variables: expected.variables.clone(),
    };

    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent, "creating directory"))?;
    remove_abandoned(parent);
    let staging = sibling(parent, dir, "tmp");
    std::fs::create_dir(&staging).map_err(io(&staging, "creating directory"))?;
    let write = || -> Result<(), CheckpointError> {
        write_tensors(&staging.join(WEIGHTS), |out| policy.vs.save_to_stream(out))?;
        write_tensors(&staging.join(REFERENCE), |out| {
            Tensor::save_multi_to_stream(&[(TRAIN_LOG_PROBS, &reference)], out)
        })?;
        let meta = serde_json::to_vec_pretty(&meta).map_err(|e| refuse(e.to_string()))?;
        std::fs::write(staging.join(META), meta).map_err(io(&staging.join(META), "writing"))?;
        write_manifest(&staging)?;
        Ok(sync_directory(&staging)?)
    };
    let result = write().and_then(|()| put_in_place(&staging, dir, parent, &expected));
    let _ = std::fs::remove_dir_all(&staging);
    result
}

/// libtorch's tensor file format, built in memory: libtorch's writer takes its output by value
/// (boxed as `'static`), so the bytes are shared with the caller through this handle.
#[derive(Clone, Default)]
struct Buffer(Rc<RefCell<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes tensors to `path` in libtorch's format: `serialise` builds the file in memory, and
/// Rust writes it, so a full disk is an [`IoError`] naming the file. libtorch writing the file
/// itself throws a C++ exception from its writer's destructor on a failed write, which aborts
/// the process (exit 134) where no `Result` can catch it.
fn write_tensors(
    path: &Path,
    serialise: impl FnOnce(Buffer) -> Result<(), tch::TchError>,
) -> Result<(), CheckpointError> {
    let buffer = Buffer::default();
    serialise(buffer.clone()).map_err(torch(path))?;
    let bytes = buffer.0.take();
    std::fs::write(path, bytes).map_err(io(path, "writing"))
}

/// Removes the staging and moved-aside directories (see [`sibling`]) in `parent` whose process
/// is gone: a process killed while saving leaves one, which would otherwise hold its disk space
/// for good (on a full disk, every later save would fail the same way). Best effort: a
/// directory that cannot be removed now is tried again at the next save.
fn remove_abandoned(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_str().and_then(sibling_owner).is_some_and(gone) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether no process `pid` exists (one of another user's counts as existing).
fn gone(pid: libc::pid_t) -> bool {
    // SAFETY: kill with signal 0 sends nothing; it only checks that the process exists.
    let missing = unsafe { libc::kill(pid, 0) } != 0;
    missing && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

/// The process id in a name that [`sibling`] made (`.NAME.tmp-PID-NANOS`,
/// `.NAME.stale-PID-NANOS`), if it is one.
fn sibling_owner(name: &str) -> Option<libc::pid_t> {
    let rest = name.strip_prefix('.')?;
    let (_, tail) = rest
        .rsplit_once(".tmp-")
        .or_else(|| rest.rsplit_once(".stale-"))?;
    let (pid, nanos) = tail.split_once('-')?;
    nanos.parse::<u128>().ok()?;
    pid.parse().ok()
}

/// Writes `manifest.json` with the hashes of the files now in `dir`.
fn write_manifest(dir: &Path) -> Result<(), CheckpointError> {
    let mut sha256 = BTreeMap::new();
    for file in HASHED {
        let path = dir.join(file);
        sha256.insert(file.to_string(), sha256_file(&path)?);
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        sha256,
    };
    let path = dir.join(MANIFEST);
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| invalid(dir, e))?;
    std::fs::write(&path, text).map_err(io(&path, "writing"))
}

/// Renames the finished, synced `staging` directory to `dir` durably. When `dir` exists
/// already, a valid copy there is kept; an invalid one is moved aside and replaced.
fn put_in_place(
    staging: &Path,
    dir: &Path,
    parent: &Path,
    expected: &Expected,
) -> Result<(), CheckpointError> {
    let Err(error) = rename_durably(staging, dir) else {
        return Ok(());
    };
    if !dir.exists() {
        return Err(error.into());
    }
    if verify(dir, expected).is_ok() {
        return Ok(());
    }
    let stale = sibling(parent, dir, "stale");
    std::fs::rename(dir, &stale).map_err(io(dir, "moving the invalid checkpoint aside"))?;
    let renamed = rename_durably(staging, dir);
    let _ = std::fs::remove_dir_all(&stale);
    match renamed {
        Ok(()) => Ok(()),
        // Another process put its copy there in between.
        Err(_) if verify(dir, expected).is_ok() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// A fresh name next to `dir`, unique to this process and moment: `.NAME.WHAT-PID-NANOS`.
fn sibling(parent: &Path, dir: &Path, what: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map_or("sft".into(), |n| n.to_string_lossy());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    parent.join(format!(".{name}.{what}-{}-{nanos}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use prefbench_vocabulary::{PolicyConfig, RankingMetrics};
    use tch::{Device, Kind};

    fn summary() -> SftSummary {
        let ranking = RankingMetrics {
            hr_at_1: 0.25,
            hr_at_5: 0.5,
            ndcg_at_5: 0.375,
            samples: 8,
        };
        SftSummary {
            metrics: SftMetrics {
                valid: ranking,
                test: ranking,
                kept_epoch: 2,
                valid_hr_at_1: vec![0.125, 0.25],
                train_loss: vec![3.0, 2.5],
            },
            sft_s: 1.5,
            reference_cache_s: 0.25,
        }
    }

    fn policy(seed: i64) -> Policy {
        tch::manual_seed(seed);
        Policy::new(&PolicyConfig::default(), 30, None, Device::Cpu)
    }

    fn weights(policy: &Policy) -> Vec<(String, Tensor)> {
        let mut v: Vec<_> = policy.vs.variables().into_iter().collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v.into_iter().map(|(n, t)| (n, t.detach().copy())).collect()
    }

    fn same_weights(a: &[(String, Tensor)], b: &[(String, Tensor)]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.0 == y.0 && x.1.equal(&y.1))
    }

    /// A saved checkpoint of 4 training rows in a fresh temporary directory.
    fn saved() -> (tempfile::TempDir, PathBuf, Tensor) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("key");
        let log_probs = Tensor::randn([4, 20], (Kind::Float, Device::Cpu));
        save(&dir, &policy(0), &log_probs, &summary()).unwrap();
        (tmp, dir, log_probs)
    }

    /// The reason `load` gives for `dir` (asserting that it names the directory and leaves the
    /// policy as it was).
    fn refused(dir: &Path, rows: usize) -> String {
        let mut other = policy(1);
        let before = weights(&other);
        let error = load(dir, &mut other, rows).expect_err("not usable");
        let message = error.to_string();
        assert!(
            matches!(error, CheckpointError::Invalid { .. }),
            "{message}"
        );
        assert!(message.contains(&dir.display().to_string()), "{message}");
        assert!(same_weights(&before, &weights(&other)), "policy untouched");
        message
    }

    fn replace_reference(dir: &Path, name: &str, t: &Tensor) {
        Tensor::save_multi(&[(name, t)], dir.join(REFERENCE)).unwrap();
        write_manifest(dir).unwrap();
    }

    fn edit_meta(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
        let path = dir.join(META);
        let mut meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        edit(&mut meta);
        std::fs::write(&path, serde_json::to_vec(&meta).unwrap()).unwrap();
    }

    #[test]
    fn a_saved_checkpoint_loads_back_exactly() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("key");
        let log_probs = Tensor::randn([4, 20], (Kind::Float, Device::Cpu));
        // Tests share libtorch's global generator, so the weights are compared with the saved
        // policy's own, not with a second policy drawn from the same seed.
        let trained = policy(0);
        save(&dir, &trained, &log_probs, &summary()).unwrap();
        let mut other = policy(1);
        let (loaded, meta) = load(&dir, &mut other, 4).unwrap().expect("present");
        assert_eq!(meta, summary());
        assert!(loaded.equal(&log_probs));
        assert!(same_weights(&weights(&trained), &weights(&other)));
        let sample = prefbench_datasets::Sample {
            user: 0,
            history: vec![1, 2, 3],
            candidates: (0..20).collect(),
            target: 0,
        };
        let h = crate::policy::histories_tensor([sample].iter(), 30, Device::Cpu);
        let items = Tensor::arange(30, (Kind::Int64, Device::Cpu)).unsqueeze(0);
        assert!(trained
            .log_probs(&h, &items, false)
            .equal(&other.log_probs(&h, &items, false)));
        let leftovers = std::fs::read_dir(tmp.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no staging directory left behind");
    }

    #[test]
    fn an_absent_or_unfinished_checkpoint_is_not_trusted() {
        let tmp = tempfile::tempdir().unwrap();
        let mut p = policy(0);
        assert!(load(&tmp.path().join("missing"), &mut p, 4)
            .unwrap()
            .is_none());
        // Weights without the rest: what a crash before the rename could at worst look like.
        let partial = tmp.path().join("partial");
        std::fs::create_dir_all(&partial).unwrap();
        p.vs.save(partial.join(WEIGHTS)).unwrap();
        assert!(refused(&partial, 4).contains("no manifest.json"));
    }

    /// One row per kind of damage: what is done to a good checkpoint, and the reason expected.
    #[test]
    fn every_mismatch_is_not_cached_and_names_the_reason() {
        type Damage = Box<dyn Fn(&Path)>;
        let rows: Vec<(&str, Damage, &str)> = vec![
            (
                "edited metrics in meta.json",
                Box::new(|d| {
                    edit_meta(d, |m| {
                        m["summary"]["metrics"]["test"]["hr_at_1"] = 0.75.into()
                    });
                }),
                "meta.json does not match its sha256",
            ),
            (
                "a damaged weight file",
                Box::new(|d| {
                    let path = d.join(WEIGHTS);
                    let mut bytes = std::fs::read(&path).unwrap();
                    let last = bytes.len() - 9;
                    bytes[last] ^= 0x55;
                    std::fs::write(&path, bytes).unwrap();
                }),
                "policy.ot does not match its sha256",
            ),
            (
                "a missing reference file",
                Box::new(|d| std::fs::remove_file(d.join(REFERENCE)).unwrap()),
                "reference.ot is missing",
            ),
            (
                "an unreadable manifest",
                Box::new(|d| std::fs::write(d.join(MANIFEST), "{").unwrap()),
                "manifest.json is unreadable",
            ),
            (
                "a reference of the wrong shape",
                Box::new(|d| {
                    let t = Tensor::zeros([4, 7], (Kind::Float, Device::Cpu));
                    replace_reference(d, TRAIN_LOG_PROBS, &t);
                }),
                "shape [4, 7]",
            ),
            (
                "a reference without its tensor",
                Box::new(|d| {
                    let t = Tensor::zeros([4, 20], (Kind::Float, Device::Cpu));
                    replace_reference(d, "something_else", &t);
                }),
                "lacks train_candidate_log_probs",
            ),
            (
                "a non-finite reference log-likelihood",
                Box::new(|d| {
                    let t = Tensor::zeros([4, 20], (Kind::Float, Device::Cpu));
                    let _ = t.get(2).get(3).fill_(f64::NAN);
                    replace_reference(d, TRAIN_LOG_PROBS, &t);
                }),
                "non-finite reference log-likelihood",
            ),
            (
                "unparsable meta.json",
                Box::new(|d| {
                    std::fs::write(d.join(META), "not json").unwrap();
                    write_manifest(d).unwrap();
                }),
                "meta.json is unreadable",
            ),
            (
                "meta.json recording another N",
                Box::new(|d| {
                    edit_meta(d, |m| m["reference_shape"] = serde_json::json!([5, 20]));
                    write_manifest(d).unwrap();
                }),
                "N = 5 training samples, but the training split has 4",
            ),
            (
                "meta.json recording another variable shape",
                Box::new(|d| {
                    edit_meta(d, |m| {
                        m["variables"]["items.weight"] = serde_json::json!([3, 3]);
                    });
                    write_manifest(d).unwrap();
                }),
                "another model's weights: `items.weight` is [3, 3] there",
            ),
        ];
        for (what, damage, reason) in rows {
            let (_tmp, dir, _) = saved();
            damage(&dir);
            let message = refused(&dir, 4);
            assert!(message.contains(reason), "{what}: {message}");
        }
    }

    #[test]
    fn a_checkpoint_of_another_split_or_model_is_not_cached() {
        let (_tmp, dir, _) = saved();
        let message = refused(&dir, 5);
        assert!(
            message.contains("N = 4") && message.contains("has 5"),
            "{message}"
        );
        let wider = PolicyConfig {
            width: 32,
            ..PolicyConfig::default()
        };
        let mut other = Policy::new(&wider, 30, None, Device::Cpu);
        let message = load(&dir, &mut other, 4).unwrap_err().to_string();
        assert!(message.contains("another model's weights"), "{message}");
    }

    #[test]
    fn nothing_non_finite_is_cached() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("key");
        let p = policy(0);
        let mut log_probs = Tensor::zeros([4, 20], (Kind::Float, Device::Cpu));
        let _ = log_probs.get(0).get(0).fill_(f64::NEG_INFINITY);
        let err = save(&dir, &p, &log_probs, &summary()).unwrap_err();
        assert!(err.to_string().contains("non-finite"), "{err}");
        log_probs = Tensor::zeros([4, 19], (Kind::Float, Device::Cpu));
        let err = save(&dir, &p, &log_probs, &summary()).unwrap_err();
        assert!(err.to_string().contains("[N, 20]"), "{err}");
        log_probs = Tensor::zeros([4, 20], (Kind::Float, Device::Cpu));
        let mut bad = summary();
        bad.metrics.train_loss[1] = f64::NAN;
        let err = save(&dir, &p, &log_probs, &bad).unwrap_err();
        assert!(err.to_string().contains("non-finite"), "{err}");
        tch::no_grad(|| {
            let var = p.vs.trainable_variables()[0].shallow_clone();
            let _ = var.get(0).fill_(f64::NAN);
        });
        let err = save(&dir, &p, &log_probs, &summary()).unwrap_err();
        assert!(err.to_string().contains("non-finite"), "{err}");
        assert!(!dir.exists(), "nothing written");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[test]
    fn saving_over_an_invalid_checkpoint_replaces_it_and_a_valid_one_is_kept() {
        let (tmp, dir, _) = saved();
        std::fs::write(dir.join(MANIFEST), "{").unwrap();
        let fresh = Tensor::ones([4, 20], (Kind::Float, Device::Cpu));
        save(&dir, &policy(0), &fresh, &summary()).unwrap();
        let (loaded, _) = load(&dir, &mut policy(1), 4).unwrap().unwrap();
        assert!(loaded.equal(&fresh), "the invalid copy was replaced");
        let other = Tensor::zeros([4, 20], (Kind::Float, Device::Cpu));
        save(&dir, &policy(0), &other, &summary()).unwrap();
        let (loaded, _) = load(&dir, &mut policy(1), 4).unwrap().unwrap();
        assert!(loaded.equal(&fresh), "a valid copy there is kept");
        // Hashes that match but a tensor of the wrong shape: invalid, so replaced too.
        replace_reference(
            &dir,
            TRAIN_LOG_PROBS,
            &Tensor::zeros([3, 20], (Kind::Float, Device::Cpu)),
        );
        refused(&dir, 4);
        save(&dir, &policy(0), &other, &summary()).unwrap();
        let (loaded, _) = load(&dir, &mut policy(1), 4).unwrap().unwrap();
        assert!(loaded.equal(&other));
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    /// Set in the child process of [`a_full_disk_is_an_error_naming_the_file_not_an_abort`].
    const FULL_DISK_CHILD: &str = "PREFBENCH_TEST_FULL_DISK_DIR";

    /// A disk that fills while the weights are written: the file-size limit (RLIMIT_FSIZE, with
    /// SIGXFSZ ignored) makes every write past 1 KiB fail, in a child process so that no other
    /// test sees the limit. The save fails with an error naming the file, leaves no staging
    /// directory, and the process lives on (libtorch writing the file itself aborted: exit 134).
    #[test]
    fn a_full_disk_is_an_error_naming_the_file_not_an_abort() {
        use std::os::unix::process::CommandExt;
        if let Some(dir) = std::env::var_os(FULL_DISK_CHILD) {
            let dir = Path::new(&dir).join("key");
            let log_probs = Tensor::zeros([4, 20], (Kind::Float, Device::Cpu));
            let err = save(&dir, &policy(0), &log_probs, &summary()).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains(".key.tmp-") && text.contains("policy.ot: writing failed"),
                "{text}"
            );
            let parent = dir.parent().unwrap();
            assert_eq!(std::fs::read_dir(parent).unwrap().count(), 0, "left behind");
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child
            .args([
                "train::checkpoint::tests::a_full_disk_is_an_error_naming_the_file_not_an_abort",
                "--exact",
                "--test-threads=1",
            ])
            .env(FULL_DISK_CHILD, tmp.path());
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            child.pre_exec(|| {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let limit = libc::rlimit {
                    rlim_cur: 1024,
                    rlim_max: 1024,
                };
                match libc::setrlimit(libc::RLIMIT_FSIZE, &limit) {
                    0 => Ok(()),
                    _ => Err(std::io::Error::last_os_error()),
                }
            })
        };
        let out = child.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{:?}\n{text}", out.status);
        assert!(text.contains("1 passed"), "{text}");
    }

    /// A staging or moved-aside directory that a killed process left is removed by the next
    /// save into the same cache; one of a process still running is kept.
    #[test]
    fn a_stale_staging_directory_is_removed_by_the_next_save() {
        let tmp = tempfile::tempdir().unwrap();
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        let dead = gone.id();
        gone.wait().unwrap();
        let stale = tmp.path().join(format!(".other.tmp-{dead}-1"));
        let moved = tmp.path().join(format!(".other.stale-{dead}-2"));
        let live = tmp
            .path()
            .join(format!(".other.tmp-{}-3", std::process::id()));
        for d in [&stale, &moved, &live] {
            std::fs::create_dir(d).unwrap();
            std::fs::write(d.join(WEIGHTS), "half").unwrap();
        }
        let log_probs = Tensor::zeros([4, 20], (Kind::Float, Device::Cpu));
        save(&tmp.path().join("key"), &policy(0), &log_probs, &summary()).unwrap();
        assert!(!stale.exists() && !moved.exists());
        assert!(live.exists());
    }
}
