//! The environment a run happened in: printed by `prefbench env` and saved as `env.json`, so a
//! reader of any result knows the versions, threads and device behind it. Its type is
//! [`prefbench_results::Environment`], which the readers of records share.
use prefbench_baselines::libtorch_version;
use prefbench_results::{Environment, LoadedLibtorch};
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

/// The cores that `threads: 0` shares out: the CPUs Slurm gave this task when it runs in a job
/// that asked for `--cpus-per-task`, else [`cores`]. A Slurm node without CPU binding
/// (`task/none`) shows every task the whole machine, and each taking all of it would
/// oversubscribe the cores the others were given.
pub fn allotted_cores() -> Result<usize, String> {
    allotted(
        cores(),
        std::env::var("SLURM_CPUS_PER_TASK").ok().as_deref(),
    )
}

/// [`allotted_cores`] for a machine of `cores` and the value of `SLURM_CPUS_PER_TASK`: at most
/// the cores, since a wrong value must not oversubscribe the machine either.
pub fn allotted(cores: usize, slurm_cpus: Option<&str>) -> Result<usize, String> {
    match slurm_cpus.map(|v| (v, v.trim().parse::<usize>())) {
        None => Ok(cores),
        Some((_, Ok(n))) if n > 0 => Ok(n.min(cores)),
        Some((v, _)) => Err(format!(
            "SLURM_CPUS_PER_TASK={v} is not a number of CPUs; submit with --cpus-per-task=N, or \
             pass --threads N"
        )),
    }
}

/// The machine's boot id (Linux: `/proc/sys/kernel/random/boot_id`), which every process under
/// one running kernel shares, containers included: a record's PO window names it so that a
/// reader can tell which runs competed for the same CPUs. `None` elsewhere.
pub fn machine_id() -> Option<String> {
    let id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    Some(id.trim().to_string()).filter(|id| !id.is_empty())
}

/// The versions and hardware visible to prefbench, as `prefbench env` prints them and every
/// record stores them.
pub fn capture() -> Environment {
    let cuda_available = tch::Cuda::is_available();
    Environment {
        prefbench: env!("CARGO_PKG_VERSION").into(),
        git_commit: GIT_COMMIT.map(String::from),
        tch: TCH_VERSION.into(),
        libtorch: option_env!("PREFBENCH_LIBTORCH_VERSION").map(String::from),
        libtorch_loaded: loaded_libtorch(),
        os: std::env::consts::OS.into(),
        arch: std::env::consts::ARCH.into(),
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

/// Where the running process's `libtorch_cpu.so` came from, from `/proc/self/maps`; `None`
/// where it is unavailable (not Linux).
fn loaded_libtorch() -> Option<LoadedLibtorch> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    let path = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .find(|p| p.ends_with("/libtorch_cpu.so"))?;
    let dir = std::path::Path::new(path).parent()?;
    let version = libtorch_version(dir);
    Some(LoadedLibtorch {
        dir: dir.display().to_string(),
        version,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What the harness writes is what readers read: the captured environment survives a trip
    /// through JSON into the readers' type unchanged, field for field and byte for byte.
    #[test]
    fn the_captured_environment_reads_back_losslessly() {
        let env = capture();
        let json = serde_json::to_value(&env).unwrap();
        let read: Environment = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(read, env);
        assert_eq!(serde_json::to_value(&read).unwrap(), json);
        assert_eq!(read.cpu_model, cpu_model());
        assert_eq!(read.git_commit.as_deref(), GIT_COMMIT);
    }

    #[test]
    fn a_slurm_allotment_shares_out_its_cpus_never_more_than_the_machine() {
        assert_eq!(allotted(16, None), Ok(16));
        assert_eq!(allotted(16, Some("4")), Ok(4));
        assert_eq!(allotted(2, Some("8")), Ok(2));
        for bad in ["0", "", "four"] {
            let err = allotted(16, Some(bad)).unwrap_err();
            assert!(
                err.contains(&format!("SLURM_CPUS_PER_TASK={bad} ")) && err.contains("--threads"),
                "{err}"
            );
        }
    }
}
