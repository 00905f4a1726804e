//! One writer per scheduled time, whoever runs it: before an execution reads anything it takes
//! a claim on its folder (`{execution folder}/.driftwatch-claim.json`, a lock object with the
//! rules of `store::lock`), and releases it after its record is written. `serve`, `run` and
//! `backfill` all go through here, so two `run`s of the same time, a `run` beside the daemon,
//! or two daemons whose leases raced can no longer execute the same time at once (regression:
//! 5 of 5 concurrent `run`s both executed).
//!
//! A claim is not renewed: an execution ends within `max_runtime` plus the steps after the
//! analysis, so the claim holds for that long plus [`MARGIN`]. An execution cancelled without
//! releasing it (kill -9) leaves it to expire, or to be taken over at once by the next process
//! on the same host, which can tell the holder is gone.

use std::time::Duration;

use chrono::Utc;

use crate::config::Schedule;
use crate::sagemaker::ExecutionRecord;
use crate::store::lock::{self, Holder, Lock, LockError};
use crate::store::{Store, join_key};

pub const CLAIM_FILE: &str = ".driftwatch-claim.json";

/// How long a claim outlives `max_runtime`: writing, publishing, the report and the record.
pub const MARGIN: Duration = Duration::from_secs(5 * 60);

/// A claim held by this execution. Dropped without [`Claim::release`] (the execution was
/// cancelled, or panicked), it is released by a task of its own.
pub(super) struct Claim {
    lock: Lock,
    holder: Holder,
    store: Option<Store>,
}

/// Takes the claim of `schedule`'s execution folder `folder`.
pub(super) async fn take(
    store: &Store,
    folder: &str,
    schedule: &Schedule,
) -> Result<Claim, LockError> {
    let holder = Holder::this_process();
    let period = schedule.max_runtime.saturating_add(MARGIN);
    let lock = lock::take(
        store,
        &join_key(folder, CLAIM_FILE),
        &holder,
        period,
        Utc::now(),
    )
    .await?;
    Ok(Claim {
        lock,
        holder,
        store: Some(store.clone()),
    })
}

impl Claim {
    pub(super) async fn release(mut self, store: &Store) {
        self.store = None;
        lock::release(store, &self.lock, &self.holder).await;
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let Some(store) = self.store.take() else {
            return;
        };
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let (lock, holder) = (self.lock.clone(), self.holder.clone());
            rt.spawn(async move { lock::release(&store, &lock, &holder).await });
        }
    }
}

/// What a caller that decided to run from the ledger wants checked once the claim is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Run whatever the ledger says now (`run`, `backfill --force`: the user asked for it).
    Always,
    /// Do not run when, meanwhile, another process has completed this time or made this
    /// attempt (the daemon and `backfill` read the ledger before they queue a time; a `run`
    /// beside them may finish and release its claim before they take it).
    UnlessAlreadyRun,
}

impl Guard {
    /// The record that makes running attempt `attempt` redundant, if `current` is one.
    pub(super) fn superseded_by(
        self,
        current: Option<ExecutionRecord>,
        attempt: u32,
    ) -> Option<ExecutionRecord> {
        match self {
            Self::Always => None,
            Self::UnlessAlreadyRun => {
                current.filter(|r| r.status.is_success() || r.attempt >= attempt)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sagemaker::{JsonFile, Status};

    fn record(status: Status, attempt: u32) -> ExecutionRecord {
        let text = r#"{"schedule": "s", "monitoring_type": "ModelBias", "endpoint": "ep",
            "scheduled_time": "2024-01-19T12:00:00Z", "window_start": "2024-01-19T11:00:00Z",
            "window_end": "2024-01-19T12:00:00Z", "status": "Failed",
            "started_at": "2024-01-19T12:00:01Z", "finished_at": "2024-01-19T12:00:02Z",
            "duration_seconds": 1.0, "counts": {"capture_files": 0, "capture_bytes": 0,
            "capture_lines": 0, "capture_records": 0, "capture_outside_window": 0,
            "capture_malformed": 0, "ground_truth_files": 0, "ground_truth_records": 0,
            "ground_truth_malformed": 0, "records_merged": 0, "unmatched_captures": 0,
            "unmatched_labels": 0, "violations": 0, "endpoint_requests": 0},
            "malformed": [], "warnings": [], "timings": {},
            "outputs": {"analysis": null, "constraint_violations": null, "metrics": null, "record": "r"},
            "metrics_destination": "local", "metrics_published": true, "metrics_error": null,
            "metrics_datums": 0, "driftwatch_version": "0.1.0"}"#;
        let mut r = ExecutionRecord::from_json(text.as_bytes()).unwrap();
        r.status = status;
        r.attempt = attempt;
        r
    }

    #[test]
    fn a_guarded_attempt_yields_to_a_success_or_a_later_attempt() {
        let g = Guard::UnlessAlreadyRun;
        assert!(g.superseded_by(None, 1).is_none());
        assert!(
            g.superseded_by(Some(record(Status::Completed, 1)), 2)
                .is_some()
        );
        assert!(
            g.superseded_by(Some(record(Status::CompletedWithViolations, 1)), 1)
                .is_some()
        );
        // Someone else made this attempt already.
        assert!(
            g.superseded_by(Some(record(Status::Failed, 2)), 2)
                .is_some()
        );
        // The failure this attempt retries, or a stopped earlier one: run.
        assert!(
            g.superseded_by(Some(record(Status::Failed, 1)), 2)
                .is_none()
        );
        assert!(
            g.superseded_by(Some(record(Status::Stopped, 1)), 2)
                .is_none()
        );
        assert!(
            Guard::Always
                .superseded_by(Some(record(Status::Completed, 1)), 1)
                .is_none()
        );
    }
}
