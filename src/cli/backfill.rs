use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use driftwatch::aws::AwsClients;
use driftwatch::daemon::backfill::{Options, Outcome, backfill};
use driftwatch::sagemaker::Status;
use driftwatch::sagemaker::time::{format_utc, parse_utc};

/// `driftwatch backfill`: prints one line per scheduled time and a summary; exit 0 when
/// nothing failed, 1 otherwise, 2 on bad arguments.
pub fn backfill_command(
    config: &str,
    schedule: &str,
    from: &str,
    to: &str,
    options: Options,
) -> anyhow::Result<ExitCode> {
    let Options {
        force,
        unlabelled,
        parallel,
        on_ray,
    } = options;
    let from = parse_utc(from)
        .map_err(anyhow::Error::msg)
        .context("--from")?;
    let to = parse_utc(to).map_err(anyhow::Error::msg).context("--to")?;
    if from >= to {
        anyhow::bail!(
            "--from {} must be before --to {}",
            format_utc(from),
            format_utc(to)
        );
    }
    if parallel == 0 {
        anyhow::bail!("--parallel must be at least 1");
    }
    let Some(s) = super::load_schedule(config, schedule)? else {
        return Ok(ExitCode::from(2));
    };
    if on_ray && s.executor.ray().is_none() {
        anyhow::bail!(
            "--executor ray: schedule {schedule:?} has no `executor: {{type: ray, address: …}}` naming the cluster"
        );
    }
    let runtime = super::Runtime::new()?;
    let results = runtime.block_on(backfill(
        Arc::new(s),
        from,
        to,
        Options {
            force,
            unlabelled,
            parallel,
            on_ray,
        },
        Arc::new(AwsClients::new()),
    ))?;
    println!(
        "{:<22} {:<26} {:>9} {:>10} {:>8}  note",
        "scheduled_time", "status", "merged", "violations", "seconds"
    );
    let (mut ran, mut skipped, mut failed) = (0, 0, 0);
    let mut by_status = std::collections::BTreeMap::new();
    for (t, outcome) in &results {
        match outcome {
            Outcome::Skipped(r) => {
                skipped += 1;
                println!(
                    "{:<22} {:<26} {:>9} {:>10} {:>8}  already in the ledger",
                    format_utc(*t),
                    format!("skipped ({:?})", r.status),
                    r.counts.records_merged,
                    r.counts.violations,
                    "-"
                );
            }
            Outcome::Ran(r) => {
                ran += 1;
                *by_status.entry(format!("{:?}", r.status)).or_insert(0) += 1;
                if r.status == Status::Failed {
                    failed += 1;
                }
                println!(
                    "{:<22} {:<26} {:>9} {:>10} {:>8.2}  {}",
                    format_utc(*t),
                    format!("{:?}", r.status),
                    r.counts.records_merged,
                    r.counts.violations,
                    r.duration_seconds,
                    r.failure_reason.as_deref().unwrap_or("")
                );
            }
            Outcome::NotRun(why) => {
                failed += 1;
                print_unrun(*t, "NotRun", why);
            }
            Outcome::LedgerError(e) => {
                failed += 1;
                print_unrun(*t, "LedgerError", &e.to_string());
            }
        }
    }
    let statuses: Vec<String> = by_status.iter().map(|(k, v)| format!("{v} {k}")).collect();
    println!(
        "summary: {} scheduled, {ran} ran ({}), {skipped} skipped",
        results.len(),
        if statuses.is_empty() {
            "none".to_string()
        } else {
            statuses.join(", ")
        }
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The table line of a time that has no record of this pass.
fn print_unrun(t: chrono::DateTime<chrono::Utc>, status: &str, note: &str) {
    println!(
        "{:<22} {:<26} {:>9} {:>10} {:>8}  {note}",
        format_utc(t),
        status,
        "-",
        "-",
        "-"
    );
}
