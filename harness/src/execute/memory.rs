//! The memory this process uses and may use: its peak resident memory and GPU memory for the
//! records, and the default budget that `po.ensemble: auto` sizes its stacks to.
use std::process::Command;

use tch::Device;

/// Where no budget can be read (no /proc, no nvidia-smi).
const FALLBACK_BUDGET: u64 = 4 << 30;

/// Share of the available memory the stacks may fill: the headroom holds the datasets, the
/// references and libtorch's own allocations.
const BUDGET_SHARE: u64 = 2;

/// Peak resident memory of this process (VmHWM), MiB; 0 where /proc is unavailable.
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| kib_field(&s, "VmHWM:"))
        .map_or(0.0, |kib| kib as f64 / 1024.0)
}

/// GPU memory this process holds, MiB, summed over its devices, as nvidia-smi lists compute
/// processes; `None` without nvidia-smi or when it does not list this process.
pub fn gpu_memory_mib() -> Option<f64> {
    let csv = nvidia_smi(&[
        "--query-compute-apps=pid,used_memory",
        "--format=csv,noheader,nounits",
    ])?;
    parse_gpu_memory(&csv, std::process::id())
}

/// The memory stacks may use by default, in bytes, and where it was read: half the free memory
/// of the first GPU on CUDA (nvidia-smi), half of MemAvailable on the CPU, 4 GiB where neither
/// can be read.
pub fn default_budget(device: Device) -> (u64, &'static str) {
    let read = match device {
        Device::Cuda(_) => {
            nvidia_smi(&["--query-gpu=memory.free", "--format=csv,noheader,nounits"])
                .and_then(|csv| csv.lines().next()?.trim().parse::<u64>().ok())
                .map(|mib| (mib << 20, "half the GPU's free memory"))
        }
        _ => std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|s| kib_field(&s, "MemAvailable:"))
            .map(|kib| (kib << 10, "half of MemAvailable")),
    };
    match read {
        Some((bytes, source)) => (bytes / BUDGET_SHARE, source),
        None => (
            FALLBACK_BUDGET,
            "the 4 GiB fallback (no memory figure readable)",
        ),
    }
}

fn nvidia_smi(args: &[&str]) -> Option<String> {
    let out = Command::new("nvidia-smi").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The value of a `Name:   123 kB` line of a /proc file, in KiB.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The `pid, MiB` lines of `nvidia-smi --query-compute-apps` that belong to `pid`, summed.
fn parse_gpu_memory(csv: &str, pid: u32) -> Option<f64> {
    let mine: Vec<f64> = csv
        .lines()
        .filter_map(|l| l.split_once(','))
        .filter(|(p, _)| p.trim().parse() == Ok(pid))
        .filter_map(|(_, mib)| mib.trim().parse().ok())
        .collect();
    (!mine.is_empty()).then(|| mine.iter().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_memory_is_read_for_this_process_only() {
        let csv = "4242, 1536\n77, 900\n4242, 512\n[N/A], 1\n";
        assert_eq!(parse_gpu_memory(csv, 4242), Some(2048.0));
        assert_eq!(parse_gpu_memory(csv, 5), None);
        assert_eq!(parse_gpu_memory("", 4242), None);
    }

    #[test]
    fn proc_fields_are_read_in_kib() {
        let meminfo = "MemTotal:       24000000 kB\nMemAvailable:   20000000 kB\n";
        assert_eq!(kib_field(meminfo, "MemAvailable:"), Some(20_000_000));
        assert_eq!(kib_field(meminfo, "VmHWM:"), None);
    }

    #[test]
    fn the_cpu_budget_is_half_of_what_is_available() {
        let (bytes, source) = default_budget(Device::Cpu);
        assert!(bytes > 0, "{source}");
        if let Some(kib) = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|s| kib_field(&s, "MemAvailable:"))
        {
            // MemAvailable moves between the two reads; allow 10 %.
            let half = (kib << 10) as f64 / 2.0;
            assert!(
                (bytes as f64 - half).abs() < 0.1 * half,
                "{bytes} vs {half}"
            );
        }
    }
}
