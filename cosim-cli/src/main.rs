#![deny(unsafe_code)]
//! The `cosim` command: run traffic through the Verilated NIC and the Rust
//! driver, and read DMA traces back out of waveforms.
//!
//! Exit codes: 0 success, 1 a run whose checks failed (a frame lost, a page in
//! flight after close, a DMA-API violation, an RTL assertion), 2 bad input.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "cosim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The main demo: frames from the wire through the NIC's DMA engine into
    /// page-pool pages, the NAPI driver, and back out on TX.
    Demo(cosim_cli::demo::DemoArgs),
    /// The built-in traffic scenarios, one line each.
    List(cosim_cli::list::ListArgs),
    /// Run one scenario (built-in name or TOML file) and print its summary;
    /// exits 1 when a check fails, 2 on bad input.
    Run(cosim_cli::run::RunArgs),
    /// Run many scenarios x seeds in parallel; optional JUnit XML report.
    Matrix(cosim_cli::matrix::MatrixArgs),
    /// Waveforms: decode the DMA transactions (`dma`), summarise them
    /// (`summary`), write a GTKWave save file (`gtkw`), measure tracing
    /// (`bench`).
    Waves(cosim_cli::waves::WavesArgs),
}

fn main() -> ExitCode {
    cosim_cli::init_tracing();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap: help/version are not errors; usage errors exit 2.
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Demo(args) => cosim_cli::demo::run(&args),
        Command::List(args) => cosim_cli::list::run(&args),
        Command::Run(args) => cosim_cli::run::run(&args),
        Command::Matrix(args) => cosim_cli::matrix::run(&args),
        Command::Waves(args) => cosim_cli::waves::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cosim: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
