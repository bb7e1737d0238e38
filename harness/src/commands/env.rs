//! `prefbench env`: what a bug report or a published comparison should quote.
use std::process::ExitCode;

use anyhow::Result;

use crate::console::outln;
use crate::environment;

pub fn print() -> Result<ExitCode> {
    let env = environment::capture();
    outln!("prefbench  {}", env.prefbench)?;
    outln!(
        "git commit {}",
        env.git_commit.as_deref().unwrap_or("unknown")
    )?;
    outln!("tch        {}", env.tch)?;
    outln!(
        "libtorch   {}",
        env.libtorch
            .as_deref()
            .unwrap_or("unknown (LIBTORCH route)")
    )?;
    match &env.libtorch_loaded {
        Some(l) => outln!(
            "loaded     {} from {}",
            l.version.as_deref().unwrap_or("libtorch"),
            l.dir
        )?,
        None => outln!("loaded     unknown (no /proc/self/maps)")?,
    }
    outln!("os         {} {}", env.os, env.arch)?;
    outln!(
        "cpu        {}",
        env.cpu_model.as_deref().unwrap_or("unknown")
    )?;
    outln!("cores      {}", env.cores)?;
    outln!("threads    {} (libtorch intra-op)", env.torch_threads)?;
    outln!(
        "cuda       {}",
        if env.cuda_available {
            "available"
        } else {
            "not available"
        }
    )?;
    for name in &env.cuda_device_names {
        outln!("device     {name}")?;
    }
    outln!("cudnn      {}", env.cudnn_available)?;
    Ok(ExitCode::SUCCESS)
}
