//! `prefbench bench overhead`: claim C6 measured in one process. Each full DynamicPO method
//! and its base step in turn on identical batches of the fixed workload
//! (`prefbench_baselines::train::workload::overhead`), and every repetition gives one ratio of
//! step times; the table shows each pair's geometric-mean ratio with its 95 % interval and
//! C6's verdict on all pairs pooled, and `--out` keeps every repetition
//! (`prefbench_results::overhead::OverheadRecord`) for the report to read.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Args;
use prefbench_baselines::train::workload::overhead::{OverheadSpec, PairTimes};
use prefbench_baselines::train::workload::{Workload, WorkloadSpec};
use prefbench_results::overhead::{
    analyse, Clock, GeometricRatio, OverheadAnalysis, OverheadRecord, PairMeasurement,
    RepetitionTimes, NEGLIGIBLE_RATIO, OVERHEAD_SCHEMA,
};
use prefbench_vocabulary::{DynamicVariant, Method, MAX_K};
use tch::Device;

use crate::config::DeviceChoice;
use crate::console::{errln, out, outln};
use crate::environment::{capture, resolve_device};

#[derive(Args)]
pub struct OverheadArgs {
    #[arg(long, value_enum, default_value = "cpu")]
    device: DeviceChoice,
    /// libtorch threads; with one, the process's CPU time during a step is the step's own.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Negatives per sample (1..=19).
    #[arg(long, default_value_t = 15)]
    k: usize,
    /// Timed repetitions per pair, each one step of either method.
    #[arg(long, default_value_t = 200)]
    repetitions: usize,
    /// Untimed repetitions per pair before them.
    #[arg(long, default_value_t = 20)]
    warmup: usize,
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Catalogue size (at least 840: the synthetic generator's 40 clusters of over 20 items).
    #[arg(long, default_value_t = 4606)]
    items: usize,
    /// Where the record of every repetition is written.
    #[arg(long, default_value = "overhead.json")]
    out: PathBuf,
}

pub fn run(args: OverheadArgs) -> Result<ExitCode> {
    if !(1..=MAX_K).contains(&args.k) || args.repetitions == 0 || args.batch == 0 {
        bail!("--k must be in 1..={MAX_K}, --repetitions and --batch at least 1");
    }
    if args.threads == 0 || args.items < 840 {
        bail!("--threads must be at least 1 and --items at least 840");
    }
    let device = resolve_device(args.device)?;
    tch::set_num_threads(args.threads as i32);
    let spec = WorkloadSpec {
        items: args.items,
        batch: args.batch,
        k: args.k,
        ..WorkloadSpec::default()
    };
    let timing = OverheadSpec {
        repetitions: args.repetitions,
        warmup: args.warmup,
    };
    let record = measure(spec, timing, device, args.threads, |variant, base| {
        errln!("timing {variant} against {base}…");
    })?;
    let analysis = analyse(&record).context("analysing the measurement")?;
    write(&args.out, &record)?;
    out!("{}", table(&record, &analysis))?;
    outln!("written to {}", args.out.display())?;
    Ok(ExitCode::SUCCESS)
}

/// The three full DynamicPO methods, each with its base.
fn pairs() -> Vec<(Method, Method)> {
    Method::ALL
        .into_iter()
        .filter(|m| m.variant() == Some(DynamicVariant::Full))
        .filter_map(|m| Some((m, m.baseline()?)))
        .collect()
}

/// Times every pair on one workload, in turn; `starting` is told each pair before it runs.
fn measure(
    spec: WorkloadSpec,
    timing: OverheadSpec,
    device: Device,
    threads: usize,
    mut starting: impl FnMut(Method, Method),
) -> Result<OverheadRecord> {
    let (k, batch, items) = (spec.k, spec.batch, spec.items);
    let workload = Workload::new(spec, device);
    let pairs = pairs()
        .into_iter()
        .map(|(variant, base)| {
            starting(variant, base);
            let times = workload
                .overhead(variant, base, timing)
                .with_context(|| format!("timing {variant} against {base}"))?;
            Ok(measurement(times, k))
        })
        .collect::<Result<_>>()?;
    Ok(OverheadRecord {
        schema: OVERHEAD_SCHEMA,
        device: format!("{device:?}"),
        threads,
        clock: match device {
            Device::Cpu => Clock::Cpu,
            _ => Clock::Wall,
        },
        batch,
        items,
        warmup: timing.warmup,
        pairs,
        environment: capture(),
    })
}

fn measurement(times: PairTimes, k: usize) -> PairMeasurement {
    PairMeasurement {
        method: times.variant,
        base: times.base,
        k,
        repetitions: times
            .repetitions
            .iter()
            .map(|r| RepetitionTimes {
                variant_first: r.variant_first,
                variant_cpu_seconds: r.variant.cpu_seconds,
                base_cpu_seconds: r.base.cpu_seconds,
                variant_wall_seconds: r.variant.wall_seconds,
                base_wall_seconds: r.base.wall_seconds,
                selection_seconds: r.selection_seconds,
            })
            .collect(),
    }
}

fn write(path: &Path, record: &OverheadRecord) -> Result<()> {
    let mut json = serde_json::to_vec_pretty(record).context("serialising the measurement")?;
    json.push(b'\n');
    prefbench_io::write_atomic(path, &json)?;
    Ok(())
}

fn table(record: &OverheadRecord, analysis: &OverheadAnalysis) -> String {
    let clock = match record.clock {
        Clock::Cpu => "process CPU time",
        Clock::Wall => "wall clock, synchronised",
    };
    let mut out = format!(
        "DynamicPO against its base in one process: device {}, {} thread(s), K {}, batch {}, \
         {} items, {} repetitions a pair after {} warm-up; ratio of step times on the {clock}, \
         geometric mean [95 % CI]\n\
         | pair | ratio | wall-clock ratio | selection + β µs/sample | verdict |\n\
         |:--|--:|--:|--:|:--|\n",
        record.device,
        record.threads,
        record.pairs.first().map_or(0, |p| p.k),
        record.batch,
        record.items,
        record.pairs.first().map_or(0, |p| p.repetitions.len()),
        record.warmup,
    );
    for p in &analysis.pairs {
        let _ = writeln!(
            out,
            "| {} / {} | {} | {} | {:.2} | {} |",
            p.method,
            p.base,
            ratio(&p.ratio),
            ratio(&p.wall),
            p.selection_us_per_sample,
            p.verdict
        );
    }
    let _ = writeln!(
        out,
        "| pooled | {} | | | {} |\nC6 (negligible: below {NEGLIGIBLE_RATIO}× with 95 % confidence): {}",
        ratio(&analysis.pooled),
        analysis.verdict,
        analysis.verdict
    );
    out
}

fn ratio(r: &GeometricRatio) -> String {
    match r.ci95 {
        Some((lo, hi)) => format!("{:.4} [{lo:.4}, {hi:.4}]", r.ratio),
        None => format!("{:.4}", r.ratio),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny workload and a few repetitions: every pair measured, the record survives JSON,
    /// and every ratio is positive and finite (timings are never asserted: machines are noisy).
    #[test]
    fn a_tiny_measurement_gives_a_complete_record() {
        let spec = WorkloadSpec {
            items: 1000,
            batch: 8,
            steps: 2,
            k: 3,
            ..WorkloadSpec::default()
        };
        let timing = OverheadSpec {
            repetitions: 3,
            warmup: 1,
        };
        let mut told = Vec::new();
        let record = measure(spec, timing, Device::Cpu, 1, |v, b| told.push((v, b))).unwrap();
        assert_eq!(told, pairs());
        assert_eq!(told.len(), 3);
        assert_eq!(
            (record.clock, record.batch, record.warmup),
            (Clock::Cpu, 8, 1)
        );
        let measured: Vec<(Method, Method)> =
            record.pairs.iter().map(|p| (p.method, p.base)).collect();
        assert_eq!(measured, told);
        assert!(record
            .pairs
            .iter()
            .all(|p| p.k == 3 && p.repetitions.len() == 3));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("overhead.json");
        write(&path, &record).unwrap();
        assert_eq!(OverheadRecord::read(&path).unwrap(), record);
        let analysis = analyse(&record).unwrap();
        assert_eq!(analysis.pooled.n, 9);
        for r in analysis
            .pairs
            .iter()
            .flat_map(|p| [p.ratio, p.wall])
            .chain([analysis.pooled])
        {
            assert!(r.ratio.is_finite() && r.ratio > 0.0, "{r:?}");
        }
        assert!(analysis
            .pairs
            .iter()
            .all(|p| p.selection_us_per_sample > 0.0));
        assert!(table(&record, &analysis).contains("| dynamicpo-sdpo / sdpo |"));
    }
}
