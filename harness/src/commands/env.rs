//! `prefbench env`: what a bug report or a published comparison should quote.
use std::process::ExitCode;

use anyhow::Result;

use crate::environment;

pub fn print() -> Result<ExitCode> {
    let env = environment::capture();
    println!("prefbench  {}", env.prefbench);
    println!(
        "git commit {}",
        env.git_commit.as_deref().unwrap_or("unknown")
    );
    println!("tch        {}", env.tch);
    println!(
        "libtorch   {}",
        env.libtorch
            .as_deref()
            .unwrap_or("unknown (LIBTORCH route)")
    );
    match &env.libtorch_loaded {
        Some(l) => println!(
            "loaded     {} from {}",
            l.version.as_deref().unwrap_or("libtorch"),
            l.dir
        ),
        None => println!("loaded     unknown (no /proc/self/maps)"),
    }
    println!("os         {} {}", env.os, env.arch);
    println!(
        "cpu        {}",
        env.cpu_model.as_deref().unwrap_or("unknown")
    );
    println!("cores      {}", env.cores);
    println!("threads    {} (libtorch intra-op)", env.torch_threads);
    println!(
        "cuda       {}",
        if env.cuda_available {
            "available"
        } else {
            "not available"
        }
    );
    for name in &env.cuda_device_names {
        println!("device     {name}");
    }
    println!("cudnn      {}", env.cudnn_available);
    Ok(ExitCode::SUCCESS)
}
