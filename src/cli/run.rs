use std::process::ExitCode;

use anyhow::Context;
use driftwatch::aws::AwsClients;
use driftwatch::execution::{record_stopped, run_execution_attempt};
use driftwatch::sagemaker::time::{format_utc, parse_utc};

/// `driftwatch run`: one execution; the record goes to stdout. Exit 0 when the analysis
/// completed (with or without violations), 1 when the execution failed or was stopped by a
/// signal, 2 on bad arguments.
pub fn run_command(
    config: &str,
    schedule: &str,
    at: &str,
    attempt: u32,
    in_process: bool,
) -> anyhow::Result<ExitCode> {
    let t = parse_utc(at).map_err(anyhow::Error::msg).context("--at")?;
    let Some(mut s) = super::load_schedule(config, schedule)? else {
        return Ok(ExitCode::from(2));
    };
    if attempt == 0 {
        anyhow::bail!("--attempt counts from 1");
    }
    if in_process {
        s.executor = driftwatch::config::executor::ExecutorConfig::default();
    }
    if !s.cadence.fires_at(t) {
        let around = [s.cadence.last_at_or_before(t), s.cadence.next_after(t)]
            .into_iter()
            .flatten()
            .map(format_utc)
            .collect::<Vec<_>>()
            .join(" or ");
        anyhow::bail!(
            "--at: {} is not a scheduled time of {schedule:?}; the nearest are {around}",
            format_utc(t)
        );
    }
    let runtime = super::Runtime::new()?;
    let record = runtime.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        let clients = AwsClients::new();
        let started = chrono::Utc::now();
        let mut term = signal(SignalKind::terminate()).context("installing a SIGTERM handler")?;
        let mut int = signal(SignalKind::interrupt()).context("installing a SIGINT handler")?;
        // A signal drops the execution where it stands (its Ray jobs are stopped as it
        // unwinds) and leaves a Stopped record, as the daemon does at shutdown.
        // Boxed: the execution's future is deep, and select! would nest it once more.
        let execution = Box::pin(run_execution_attempt(&s, t, &clients, attempt));
        let name = tokio::select! {
            record = execution => return anyhow::Ok(record),
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::warn!(schedule = %schedule, scheduled_time = %format_utc(t), signal = name,
            "execution stopped by a signal");
        let reason = format!("stopped: driftwatch run received {name}");
        anyhow::Ok(
            record_stopped(&s, t, started, attempt, &reason, &clients)
                .await
                .0,
        )
    })?;
    println!("{}", serde_json::to_string_pretty(&record)?);
    Ok(if record.status.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
