//! `backfill`: every scheduled time of a schedule in [from, to), oldest first, skipping those
//! the ledger says are done (unless forced), a few at a time.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

use super::ledger::{Entry, lookup};
use crate::aws::AwsClients;
use crate::config::Schedule;
use crate::execution::{Guard, Ledger, run_execution_reporting, run_on_ray};
use crate::sagemaker::ExecutionRecord;

/// What happened to one scheduled time.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Already Completed / CompletedWithViolations in the ledger.
    Skipped(Box<ExecutionRecord>),
    Ran(Box<ExecutionRecord>),
    /// The ledger itself could not be read.
    LedgerError(String),
    /// Its Ray job ended without a record (`--executor ray`): why.
    NotRun(String),
}

pub struct Options {
    pub force: bool,
    /// Also run again the completed times whose records left captured records without
    /// ground truth (`counts.unmatched_captures`): once the labels have arrived, the measured
    /// metrics replace a model-quality window's estimate (and a bias window counts them).
    pub unlabelled: bool,
    pub parallel: usize,
    /// Each execution a Ray job on the schedule's `executor` cluster (`--executor ray`).
    pub on_ray: bool,
}

/// Whether a completed record is done for this backfill.
fn done(r: &ExecutionRecord, unlabelled: bool) -> bool {
    r.status.is_success() && !(unlabelled && r.counts.unmatched_captures > 0)
}

/// Runs the backfill; results in scheduled-time order.
pub async fn backfill(
    schedule: Arc<Schedule>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    options: Options,
    clients: Arc<AwsClients>,
) -> Result<Vec<(DateTime<Utc>, Outcome)>, crate::schedule::TooManyFireTimes> {
    let times = schedule.cadence.fire_times_limited(from, to)?;
    if options.on_ray {
        return Ok(on_ray(&schedule, &times, &options, &clients).await);
    }
    let permits = Arc::new(Semaphore::new(options.parallel.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, t) in times.iter().copied().enumerate() {
        let (schedule, clients) = (schedule.clone(), clients.clone());
        let (force, unlabelled) = (options.force, options.unlabelled);
        // Oldest first: a permit is taken before each execution starts, in time order.
        let permit = permits.clone().acquire_owned().await;
        tasks.spawn(async move {
            let _permit = permit;
            let (attempt, guard) = if force {
                (1, Guard::Always)
            } else {
                match lookup(&schedule, t, &clients).await {
                    Ok(Entry::Recorded(r)) if done(&r, unlabelled) => {
                        return (i, t, Outcome::Skipped(r));
                    }
                    // Completed, but some records had no labels yet: run again whatever
                    // the ledger says meanwhile.
                    Ok(Entry::Recorded(r)) if r.status.is_success() => {
                        (r.attempt + 1, Guard::Always)
                    }
                    Ok(Entry::Recorded(r)) => (r.attempt + 1, Guard::UnlessAlreadyRun),
                    Ok(_) => (1, Guard::UnlessAlreadyRun),
                    Err(e) => return (i, t, Outcome::LedgerError(e.to_string())),
                }
            };
            let done = run_execution_reporting(&schedule, t, &clients, attempt, guard).await;
            let outcome = match done.ledger {
                Ledger::Written | Ledger::NotWritten => Outcome::Ran(Box::new(done.record)),
                Ledger::AlreadyRun if done.record.status.is_success() => {
                    Outcome::Skipped(Box::new(done.record))
                }
                Ledger::AlreadyRun => Outcome::NotRun(format!(
                    "another process made attempt {} meanwhile",
                    done.record.attempt
                )),
                Ledger::Busy => Outcome::NotRun(done.record.failure_reason.unwrap_or_default()),
            };
            (i, t, outcome)
        });
    }
    let mut out: Vec<Option<(DateTime<Utc>, Outcome)>> = times.iter().map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        if let Ok((i, t, o)) = joined {
            out[i] = Some((t, o));
        }
    }
    Ok(out.into_iter().flatten().collect())
}

/// `--executor ray`: the ledger decides what runs, as in process; each execution is then one
/// Ray job, its record read back from the ledger's file.
async fn on_ray(
    schedule: &Schedule,
    times: &[DateTime<Utc>],
    options: &Options,
    clients: &AwsClients,
) -> Vec<(DateTime<Utc>, Outcome)> {
    let force = options.force;
    let mut decided: Vec<(DateTime<Utc>, Option<Outcome>, u32)> = Vec::with_capacity(times.len());
    for &t in times {
        decided.push(match lookup(schedule, t, clients).await {
            _ if force => (t, None, 1),
            Ok(Entry::Recorded(r)) if done(&r, options.unlabelled) => {
                (t, Some(Outcome::Skipped(r)), 0)
            }
            Ok(Entry::Recorded(r)) => (t, None, r.attempt + 1),
            Ok(_) => (t, None, 1),
            Err(e) => (t, Some(Outcome::LedgerError(e.to_string())), 0),
        });
    }
    let runs: Vec<(DateTime<Utc>, u32)> = decided
        .iter()
        .filter(|(_, o, _)| o.is_none())
        .map(|(t, _, a)| (*t, *a))
        .collect();
    let mut ran = run_on_ray(schedule, &runs, clients).await.into_iter();
    decided
        .into_iter()
        .map(|(t, outcome, _)| {
            let outcome = outcome.unwrap_or_else(|| match ran.next() {
                Some((_, Ok(r))) => Outcome::Ran(Box::new(r)),
                Some((_, Err(why))) => Outcome::NotRun(why),
                None => Outcome::NotRun("no result from Ray".into()),
            });
            (t, outcome)
        })
        .collect()
}
