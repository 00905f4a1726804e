use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use driftwatch::config::duration::parse_human_seconds;
use driftwatch::daemon::reconcile::{MAX_LOOKBACK, Policy};
use driftwatch::daemon::serve::{ServeError, ServeOptions, serve};

/// The daemon's tuning flags, as given on the command line.
pub struct Flags<'a> {
    pub config: &'a str,
    pub listen: &'a str,
    pub concurrency: usize,
    pub lookback: &'a str,
    pub retry_after: &'a str,
    pub max_attempts: u32,
    pub grace: &'a str,
}

fn seconds(flag: &str, value: &str) -> anyhow::Result<Duration> {
    let v = value.trim();
    if v == "0" {
        return Ok(Duration::ZERO);
    }
    parse_human_seconds(v)
        .map(Duration::from_secs)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("--{flag}"))
}

fn lookback(value: &str) -> anyhow::Result<Duration> {
    let d = seconds("lookback", value)?;
    if d > MAX_LOOKBACK {
        anyhow::bail!(
            "--lookback {value}: at most {} days; run `driftwatch backfill` for older windows",
            MAX_LOOKBACK.as_secs() / 86_400
        );
    }
    Ok(d)
}

/// `driftwatch serve`: runs until SIGTERM/SIGINT (exit 0); 2 when it cannot start.
pub fn serve_command(flags: Flags<'_>) -> anyhow::Result<ExitCode> {
    let listen: SocketAddr = flags.listen.parse().with_context(|| {
        format!(
            "--listen {:?}: expected HOST:PORT such as 127.0.0.1:9464",
            flags.listen
        )
    })?;
    if flags.concurrency == 0 {
        anyhow::bail!("--concurrency must be at least 1");
    }
    if flags.max_attempts == 0 {
        anyhow::bail!("--max-attempts must be at least 1");
    }
    let options = ServeOptions {
        config: driftwatch::load::ConfigSource::parse(flags.config)
            .map_err(anyhow::Error::msg)
            .context("--config")?,
        listen,
        concurrency: flags.concurrency,
        policy: Policy {
            lookback: lookback(flags.lookback)?,
            retry_after: seconds("retry-after", flags.retry_after)?,
            max_attempts: flags.max_attempts,
        },
        grace: seconds("grace", flags.grace)?,
        reconcile_every: Duration::from_secs(60),
    };
    let runtime = super::Runtime::new()?;
    match runtime.block_on(serve(options)) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(ServeError::Config(invalid)) => {
            eprintln!("{invalid}");
            Ok(ExitCode::from(2))
        }
        // It ran, then had to stop: a failure of the service, not of its arguments.
        Err(e @ ServeError::LeaseLost(_)) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}
