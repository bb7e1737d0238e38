//! The environment a run happened in: printed by `prefbench env` and saved as `env.json`, so a
//! reader of any result knows the versions, threads and device behind it.
use prefbench_baselines::libtorch_version;
use serde::Serialize;
use tch::Device;

use crate::config::DeviceChoice;

/// The commit the binary was built from, where the build saw a git checkout
/// (`baselines/build.rs`); `env.json` and every output manifest carry it.
pub const GIT_COMMIT: Option<&str> = option_env!("PREFBENCH_GIT_COMMIT");

/// The cores this process may use: what `threads: 0` means, and the most threads a run may
/// ask for.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Versions and hardware visible to prefbench.
#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    pub prefbench: &'static str,
    pub git_commit: Option<&'static str>,
    pub tch: &'static str,
    /// The libtorch version the binary was built against.
    pub libtorch: Option<&'static str>,
    /// The directory the running process loaded libtorch from, and that copy's version where
    /// it sits in a torch wheel: differs from the build's when `LD_LIBRARY_PATH` points at a
    /// node's own PyTorch.
    pub libtorch_loaded: Option<LoadedLibtorch>,
    pub os: &'static str,
    pub arch: &'static str,
    pub cpu_model: Option<String>,
    pub cores: usize,
    pub torch_threads: i32,
    pub cuda_available: bool,
    /// Names as nvidia-smi reports them (libtorch's C API does not expose them).
    pub cuda_device_names: Vec<String>,
    pub cudnn_available: bool,
}

impl Environment {
    pub fn capture() -> Self {
        let cuda_available = tch::Cuda::is_available();
        Self {
            prefbench: env!("CARGO_PKG_VERSION"),
            git_commit: GIT_COMMIT,
            tch: TCH_VERSION,
            libtorch: option_env!("PREFBENCH_LIBTORCH_VERSION"),
            libtorch_loaded: LoadedLibtorch::find(),
            os: std::env::consts::OS,
            arch: std::env::consts::ARCH,
            cpu_model: cpu_model(),
            cores: cores(),
            torch_threads: tch::get_num_threads(),
            cuda_available,
            cuda_device_names: if cuda_available {
                gpu_names(tch::Cuda::device_count())
            } else {
                Vec::new()
            },
            cudnn_available: tch::Cuda::cudnn_is_available(),
        }
    }
}

/// Where the running process's `libtorch_cpu.so` came from.
#[derive(Debug, Clone, Serialize)]
pub struct LoadedLibtorch {
    pub dir: String,
    /// As the files beside that `lib/` say (`torch/version.py` of a wheel, `build-version` of a
    /// standalone libtorch).
    pub version: Option<String>,
}

impl LoadedLibtorch {
    /// Reads `/proc/self/maps`; `None` where it is unavailable (not Linux).
    fn find() -> Option<Self> {
        let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
        let path = maps
            .lines()
            .filter_map(|l| l.split_whitespace().nth(5))
            .find(|p| p.ends_with("/libtorch_cpu.so"))?;
        let dir = std::path::Path::new(path).parent()?;
        let version = libtorch_version(dir);
        Some(Self {
            dir: dir.display().to_string(),
            version,
        })
    }
}

/// The tch crate this binary was built against (Cargo.lock pins it).
const TCH_VERSION: &str = "0.24.0";

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|m| m.trim().to_string())
}

fn gpu_names(count: i64) -> Vec<String> {
    let listed: Vec<String> = std::process::Command::new("nvidia-smi")
        .args(["--query-gpu=name,driver_version", "--format=csv,noheader"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    (0..count as usize)
        .map(|i| {
            let name = listed
                .get(i)
                .map_or("name unknown (no nvidia-smi)", String::as_str);
            format!("cuda:{i} {name}")
        })
        .collect()
}

/// Resolves `auto` and refuses `cuda` without a GPU rather than silently training on the CPU.
pub fn resolve_device(choice: DeviceChoice) -> anyhow::Result<Device> {
    match choice {
        DeviceChoice::Cpu => Ok(Device::Cpu),
        DeviceChoice::Auto => Ok(Device::cuda_if_available()),
        DeviceChoice::Cuda if tch::Cuda::is_available() => Ok(Device::Cuda(0)),
        DeviceChoice::Cuda => anyhow::bail!(
            "--device cuda: libtorch sees no CUDA device (tch::Cuda::is_available() is false); \
             check the driver with nvidia-smi or run with --device cpu"
        ),
    }
}
