//! The `driftwatch` command line. Library code reports typed errors; this edge turns them into
//! messages and exit codes (0 success, 1 a failed execution, 2 bad input).

mod cli;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    // The demo prints its own summary (with its failures and the baselines' notes); its
    // logs are noise unless asked for (DRIFTWATCH_LOG=warn).
    let default_level = match args.command {
        cli::Command::Demo { .. } => "error",
        _ => "info",
    };
    cli::init_logging(args.log_format, default_level);
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", cli::message_of(&e));
            ExitCode::from(2)
        }
    }
}
