//! `backfill`: every scheduled time of a schedule in [from, to), oldest first, skipping those
//! the ledger says are done (unless forced), a few at a time.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

use super::ledger::{Entry, lookup};
use crate::aws::AwsClients;
use crate::config::Schedule;
use crate::execution::{run_execution, run_execution_attempt};
use crate::sagemaker::ExecutionRecord;

/// What happened to one scheduled time.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Already Completed / CompletedWithViolations in the ledger.
    Skipped(Box<ExecutionRecord>),
    Ran(Box<ExecutionRecord>),
    /// The ledger itself could not be read.
    LedgerError(String),
}

pub struct Options {
    pub force: bool,
    pub parallel: usize,
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
    let permits = Arc::new(Semaphore::new(options.parallel.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, t) in times.iter().copied().enumerate() {
        let (schedule, clients) = (schedule.clone(), clients.clone());
        let force = options.force;
        // Oldest first: a permit is taken before each execution starts, in time order.
        let permit = permits.clone().acquire_owned().await;
        tasks.spawn(async move {
            let _permit = permit;
            let outcome = if force {
                Outcome::Ran(Box::new(run_execution(&schedule, t, &clients).await))
            } else {
                match lookup(&schedule, t, &clients).await {
                    Ok(Entry::Recorded(r)) if r.status.is_success() => Outcome::Skipped(r),
                    Ok(Entry::Recorded(r)) => Outcome::Ran(Box::new(
                        run_execution_attempt(&schedule, t, &clients, r.attempt + 1).await,
                    )),
                    Ok(_) => Outcome::Ran(Box::new(run_execution(&schedule, t, &clients).await)),
                    Err(e) => Outcome::LedgerError(e.to_string()),
                }
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
