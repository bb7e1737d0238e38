//! The environment a run happened in: the versions, threads and hardware behind a result. The
//! harness captures it (its `environment` module), saves it as `env.json` and stores it in every
//! record; readers (the report's cost section pairs runs by build and CPU) read it through this
//! one type, so writer and readers name each field once.
use serde::{Deserialize, Serialize};

/// Versions and hardware visible to prefbench. `None` where prefbench could not tell.
///
/// The fields are declared in alphabetical order, the order they are written in: records and
/// `env.json` were written with sorted keys before this type existed, and a store must read and
/// write back byte for byte (`tests/store.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub arch: String,
    pub cores: usize,
    pub cpu_model: Option<String>,
    pub cuda_available: bool,
    /// Names as nvidia-smi reports them (libtorch's C API does not expose them).
    pub cuda_device_names: Vec<String>,
    pub cudnn_available: bool,
    /// The commit the binary was built from, where the build saw a git checkout.
    pub git_commit: Option<String>,
    /// The libtorch version the binary was built against.
    pub libtorch: Option<String>,
    /// The directory the running process loaded libtorch from, and that copy's version where
    /// it sits in a torch wheel: differs from the build's when `LD_LIBRARY_PATH` points at a
    /// node's own PyTorch. Absent where the process cannot tell (not Linux) and in records
    /// from before it was captured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub libtorch_loaded: Option<LoadedLibtorch>,
    pub os: String,
    pub prefbench: String,
    pub tch: String,
    pub torch_threads: i32,
}

/// Where the running process's `libtorch_cpu.so` came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadedLibtorch {
    pub dir: String,
    /// As the files beside that `lib/` say (`torch/version.py` of a wheel, `build-version` of a
    /// standalone libtorch).
    pub version: Option<String>,
}
