//! The `driftwatch` command line. Library code reports typed errors; this edge turns them into
//! messages and exit codes (0 success, 1 a failed execution, 2 bad input).

mod cli;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc's `mi_option_purge_delay` (its index in `mimalloc.h`, v2 and v3 alike; the Rust
/// bindings name no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Returns freed memory to the system at once instead of 10–100 ms later: a window's files are
/// parsed on pool threads and their records freed on another, and mimalloc's delay kept up to
/// ~190 MB more resident on a 1M-record window (449 vs 263 MB peak, same wall time). Only for
/// the commands that stream windows: `analyze` holds its dataset whole anyway, and its Kernel
/// SHAP's many short-lived buffers run ~1.5x faster with the delay. An operator's
/// `MIMALLOC_PURGE_DELAY` still wins.
fn purge_freed_memory_promptly() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one integer option; mimalloc reads options on every purge decision.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
    no_transparent_huge_pages();
}

/// Opts this process out of transparent huge pages. mimalloc asks for them on its arenas, so
/// with prompt purging every freed-and-reused stretch of a window's short-lived records was
/// faulted back in as a 2 MiB page the kernel zeroes whole: 9–15 % of a 1M-record `run` went
/// to zeroing pages (`perf`), and peak memory was 210 MB instead of 150 MB. Same switch as
/// `MIMALLOC_ALLOW_THP=0`, which cannot be set from inside the process in time. Best effort:
/// a kernel without the call just keeps them.
#[cfg(target_os = "linux")]
fn no_transparent_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and changes no memory.
    let _ = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
}

#[cfg(not(target_os = "linux"))]
fn no_transparent_huge_pages() {}

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    if args.command.streams_windows() {
        purge_freed_memory_promptly();
    }
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
