//! `prefbench bench po-step`: times whole PO steps of the fixed workload of
//! `prefbench_baselines::train::workload` on one device, so a node without cargo (a GPU node
//! that got only the binary) can measure what `cargo bench --bench po_step` measures here.
//! Each method is trained once to warm up (allocator, kernels), then timed; the step time is
//! the median of the synchronised per-step wall clocks, and its achieved matrix-product rate is
//! set beside one large sgemm timed in the same process, on the same device and threads.
//!
//! With `--stacks 1,7,49` it also trains stacks of that many runs (the methods in turn) and
//! sets each stack's step time per member beside the sequential path's, in the same process,
//! round after round interleaved (`--rounds`), with the step's achieved GFLOP/s against one
//! large sgemm on the same device and threads, and the peak memory each stack adds per member
//! beside the budget that `po.ensemble: auto` plans with.
//!
//! `prefbench bench overhead` measures claim C6 in one process ([`overhead`]).
use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, Subcommand, ValueEnum};
use prefbench_baselines::train::workload::{Workload, WorkloadSpec};
use serde::Serialize;

use prefbench_vocabulary::{ItemText, Method, MAX_K};

mod overhead;
mod stacks;

use crate::config::DeviceChoice;
use crate::console::{out, outln};
use crate::environment::resolve_device;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Median PO step time of the default policy (LastFM-sized synthetic data).
    PoStep(PoStepArgs),
    /// DynamicPO's step time against its base's in one process (claim C6): steps alternate
    /// on identical batches; writes every repetition to --out.
    Overhead(overhead::OverheadArgs),
}

#[derive(Args)]
pub struct PoStepArgs {
    #[arg(long, value_enum, default_value = "cpu")]
    device: DeviceChoice,
    /// libtorch threads (CPU).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Timed steps per method.
    #[arg(long, default_value_t = 40)]
    steps: usize,
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Negatives per sample (1..=19).
    #[arg(long, default_value_t = 15)]
    k: usize,
    /// Catalogue size.
    #[arg(long, default_value_t = 4606)]
    items: usize,
    /// PO dropout.
    #[arg(long, default_value_t = 0.0)]
    dropout: f64,
    /// What the policy reads besides item ids: `minilm` adds stand-in title embeddings (the
    /// published presets' regime).
    #[arg(long, value_enum, default_value = "none")]
    item_text: TitlesArg,
    #[arg(long, value_delimiter = ',', default_value = "dmpo,dynamicpo-dmpo")]
    methods: Vec<Method>,
    /// Also time stacks of these many runs against the sequential path (e.g. 1,7,49).
    #[arg(long, value_delimiter = ',')]
    stacks: Vec<usize>,
    /// Interleaved rounds of the stack comparison; its figures are medians over rounds.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

/// `--item-text`.
#[derive(Clone, Copy, ValueEnum)]
enum TitlesArg {
    None,
    Minilm,
}

impl From<TitlesArg> for ItemText {
    fn from(arg: TitlesArg) -> Self {
        match arg {
            TitlesArg::None => Self::None,
            TitlesArg::Minilm => Self::Minilm,
        }
    }
}

/// One method's timing.
#[derive(Debug, Serialize)]
struct Timing {
    method: String,
    median_step_ms: f64,
    mean_step_ms: f64,
    /// Matrix-product GFLOP/s of the median step ([`Workload::step_flops`]).
    gflops: f64,
    /// `gflops` over the sgemm's.
    of_sgemm: f64,
    /// Share of step time in DynamicPO's selection + β (synchronised on CUDA).
    selection_share: f64,
    selection_ms_per_step: f64,
}

pub fn run(command: BenchCommand) -> Result<ExitCode> {
    match command {
        BenchCommand::PoStep(args) => po_step(args),
        BenchCommand::Overhead(args) => overhead::run(args),
    }
}

fn po_step(args: PoStepArgs) -> Result<ExitCode> {
    if !(1..=MAX_K).contains(&args.k) || args.steps == 0 || args.batch == 0 || args.items < 20 {
        bail!("--k must be in 1..={MAX_K}, --steps and --batch at least 1, --items at least 20");
    }
    if args.stacks.contains(&0) || args.rounds == 0 {
        bail!("--stacks sizes and --rounds must be at least 1");
    }
    if !(0.0..1.0).contains(&args.dropout) {
        bail!("--dropout {}: must be in [0, 1)", args.dropout);
    }
    let device = resolve_device(args.device)?;
    tch::set_num_threads(args.threads as i32);
    let spec = WorkloadSpec {
        items: args.items,
        batch: args.batch,
        steps: args.steps,
        k: args.k,
        dropout: args.dropout,
        item_text: args.item_text.into(),
    };
    let workload = Workload::new(spec, device);
    let sgemm = stacks::sgemm_gflops(device);
    let timings: Vec<Timing> = args
        .methods
        .iter()
        .map(|&method| {
            workload.train(method);
            time_alone(&workload, method, sgemm)
        })
        .collect();
    let stacks = (!args.stacks.is_empty()).then(|| {
        stacks::compare(
            &workload,
            &args.methods,
            &args.stacks,
            args.rounds,
            device,
            sgemm,
        )
    });
    let header = format!(
        "device {device:?}, {} thread(s), batch {}, K {}, {} items, item text {}, PO dropout {}, \
         {} timed steps; {:.3} GFLOP of matrix products a step; one 2048³ sgemm {sgemm:.1} GFLOP/s",
        args.threads,
        args.batch,
        args.k,
        args.items,
        ItemText::from(args.item_text).name(),
        args.dropout,
        args.steps,
        workload.step_flops() / 1e9,
    );
    if args.json {
        let value = serde_json::json!({
            "setup": header,
            "sgemm_gflops": sgemm,
            "step_gflop": workload.step_flops() / 1e9,
            "timings": timings,
            "stacks": stacks,
        });
        outln!("{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!(
        "{header}\n| method | median ms/step | mean ms/step | GFLOP/s | of sgemm | selection ms/step | selection share |\n|:--|--:|--:|--:|--:|--:|--:|\n"
    );
    for t in &timings {
        let _ = writeln!(
            out,
            "| {} | {:.3} | {:.3} | {:.1} | {:.0} % | {:.3} | {:.2} % |",
            t.method,
            t.median_step_ms,
            t.mean_step_ms,
            t.gflops,
            t.of_sgemm * 100.0,
            t.selection_ms_per_step,
            t.selection_share * 100.0
        );
    }
    if let Some(stacks) = &stacks {
        out.push_str(&stacks.markdown());
    }
    out!("{out}")?;
    Ok(ExitCode::SUCCESS)
}

/// Times `method` alone on the workload; `sgemm` is the device's GFLOP/s on one large product.
fn time_alone(workload: &Workload, method: Method, sgemm: f64) -> Timing {
    let outcome = workload.train(method);
    let total: f64 = outcome.step_seconds.iter().sum();
    let steps = outcome.step_seconds.len().max(1) as f64;
    let gflops = workload.step_flops() / 1e9 / outcome.median_step_seconds();
    Timing {
        method: method.to_string(),
        median_step_ms: outcome.median_step_seconds() * 1e3,
        mean_step_ms: total / steps * 1e3,
        gflops,
        of_sgemm: gflops / sgemm,
        selection_share: outcome.selection_share(),
        selection_ms_per_step: outcome.selection_seconds / steps * 1e3,
    }
}
