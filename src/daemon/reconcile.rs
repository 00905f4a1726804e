//! What is due: for each schedule, the scheduled times within the look-back that the ledger
//! does not show as done, and the retry policy for failed ones. Pure, so every policy choice
//! is unit-tested with an injected clock.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::ledger::Entry;
use crate::sagemaker::Status;
use crate::schedule::cadence::Cadence;

/// What the daemon knows about one (schedule, scheduled time). A time the daemon has not
/// looked up yet has no entry at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// Needs an execution: no record, an unreadable one, or a `Stopped` one (an execution
    /// cancelled by a shutdown is run again at once). `attempt` is the next attempt's number.
    Due {
        attempt: u32,
    },
    /// Waiting for a permit, or for its schedule's running execution to end.
    Queued {
        attempt: u32,
    },
    Running {
        attempt: u32,
    },
    /// Completed or CompletedWithViolations.
    Done,
    /// The last attempt, at `at`, could not write its record (the output location read-only,
    /// full or unreachable): nothing on storage shows it ran, so it is retried until a record
    /// is written, however many attempts that takes, at most [`MAX_UNRECORDED_WAIT`] apart.
    Unrecorded {
        at: DateTime<Utc>,
        attempt: u32,
    },
    /// The last attempt failed at `at`; `retry` is false when the failure is permanent
    /// (an invalid config, missing data, access denied): running it again would fail the
    /// same way, so only `backfill` or a changed configuration runs it again.
    Failed {
        at: DateTime<Utc>,
        attempt: u32,
        retry: bool,
    },
}

impl Known {
    /// What a ledger entry means.
    pub fn from_entry(entry: &Entry) -> Self {
        match entry {
            Entry::Missing | Entry::Unreadable(_) => Self::Due { attempt: 1 },
            Entry::Recorded(r) => match r.status {
                Status::Completed | Status::CompletedWithViolations => Self::Done,
                Status::Stopped => Self::Due {
                    attempt: r.attempt + 1,
                },
                Status::Failed => Self::Failed {
                    at: r.finished_at,
                    attempt: r.attempt,
                    retry: r.is_retryable_failure(),
                },
            },
        }
    }
}

/// The retry policy and catch-up horizon.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// How far back missed executions are caught up (default 24 h).
    pub lookback: Duration,
    /// The wait before the first retry of a Failed execution (default 15 min); it doubles for
    /// each further retry.
    pub retry_after: Duration,
    /// Attempts per scheduled time, the first included (default 3). After the last one fails
    /// the time stays Failed until `backfill` (or the operator) runs it again.
    pub max_attempts: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            lookback: Duration::from_secs(24 * 3600),
            retry_after: Duration::from_secs(15 * 60),
            max_attempts: 3,
        }
    }
}

/// The longest wait between attempts at an execution whose record could not be written: once
/// storage is back, its records appear within about this long, whatever `retry_after` is.
pub const MAX_UNRECORDED_WAIT: Duration = Duration::from_secs(60);

/// The shortest look-back used, whatever is configured: a pass must still see the fire time
/// that passed since the previous one (passes are a minute apart), so `--lookback 0` means
/// "no catch-up beyond the last 15 minutes", never "miss fires".
pub const MIN_LOOKBACK: Duration = Duration::from_secs(15 * 60);

/// The longest look-back accepted: a year. A longer one lists more windows per pass than a
/// daemon should hold (use `backfill` for older windows).
pub const MAX_LOOKBACK: Duration = Duration::from_secs(366 * 24 * 3600);

/// The scheduled times at or before `now` and within the look-back, oldest first.
pub fn candidates(cadence: &Cadence, now: DateTime<Utc>, policy: &Policy) -> Vec<DateTime<Utc>> {
    let back = TimeDelta::from_std(policy.lookback.clamp(MIN_LOOKBACK, MAX_LOOKBACK))
        .unwrap_or(TimeDelta::days(1));
    match (
        now.checked_sub_signed(back),
        now.checked_add_signed(TimeDelta::seconds(1)),
    ) {
        (Some(from), Some(to)) => cadence.fire_times(from, to),
        _ => Vec::new(),
    }
}

/// How long after the failure of `attempt` the next attempt waits (the wait doubles each
/// time); none when no attempt is left or the failure is permanent.
pub fn retry_wait(policy: &Policy, attempt: u32, retry: bool) -> Option<Duration> {
    if !retry || attempt >= policy.max_attempts {
        return None;
    }
    let factor = 1u32 << (attempt.saturating_sub(1)).min(16);
    Some(policy.retry_after * factor)
}

/// How long after the unrecorded attempt `attempt` the next one waits: `retry_after` (at most
/// [`MAX_UNRECORDED_WAIT`]), doubling, capped at [`MAX_UNRECORDED_WAIT`]. No attempt limit: an
/// execution without a record has not happened as far as anyone reading storage can tell.
pub fn unrecorded_wait(policy: &Policy, attempt: u32) -> Duration {
    let first = policy.retry_after.min(MAX_UNRECORDED_WAIT);
    let factor = 1u32 << (attempt.saturating_sub(1)).min(16);
    (first * factor).min(MAX_UNRECORDED_WAIT)
}

/// The attempt to start now, if this time should run now.
pub fn due_attempt(known: Known, now: DateTime<Utc>, policy: &Policy) -> Option<u32> {
    match known {
        Known::Due { attempt } => Some(attempt),
        Known::Queued { .. } | Known::Running { .. } | Known::Done => None,
        Known::Unrecorded { at, attempt } => {
            let wait = TimeDelta::from_std(unrecorded_wait(policy, attempt))
                .unwrap_or(TimeDelta::minutes(1));
            (now - at >= wait).then_some(attempt + 1)
        }
        Known::Failed { at, attempt, retry } => {
            let wait = retry_wait(policy, attempt, retry)?;
            let wait = TimeDelta::from_std(wait).unwrap_or(TimeDelta::minutes(15));
            (now - at >= wait).then_some(attempt + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sagemaker::time::parse_utc;

    fn t(s: &str) -> DateTime<Utc> {
        parse_utc(s).unwrap()
    }

    #[test]
    fn candidates_cover_the_lookback_oldest_first() {
        let policy = Policy {
            lookback: Duration::from_secs(3 * 3600),
            ..Default::default()
        };
        let c = candidates(&Cadence::Hourly, t("2024-01-19T12:30:00Z"), &policy);
        assert_eq!(
            c,
            [
                t("2024-01-19T10:00:00Z"),
                t("2024-01-19T11:00:00Z"),
                t("2024-01-19T12:00:00Z")
            ]
        );
        // Exactly on a fire time: that time is due.
        let c = candidates(&Cadence::Hourly, t("2024-01-19T12:00:00Z"), &policy);
        assert_eq!(c.last(), Some(&t("2024-01-19T12:00:00Z")));
        // No look-back still sees the fire time of the last few minutes.
        let none = Policy {
            lookback: Duration::ZERO,
            ..Default::default()
        };
        let c = candidates(&Cadence::Hourly, t("2024-01-19T12:00:59Z"), &none);
        assert_eq!(c, [t("2024-01-19T12:00:00Z")]);
    }

    /// Regression: an execution that could not write its record (read-only or full storage)
    /// was settled as a permanent failure and never ran again, so an outage of 25 s lost 32
    /// of 34 executions. It stays due, with no attempt limit, at most a minute apart.
    #[test]
    fn unrecorded_executions_are_retried_without_limit_at_most_a_minute_apart() {
        let p = Policy {
            retry_after: Duration::from_secs(20),
            ..Default::default()
        };
        let at = t("2024-01-19T12:00:00Z");
        let known = |attempt| Known::Unrecorded { at, attempt };
        let after = |s: i64| at + TimeDelta::seconds(s);
        assert_eq!(due_attempt(known(1), after(19), &p), None);
        assert_eq!(due_attempt(known(1), after(20), &p), Some(2));
        assert_eq!(due_attempt(known(2), after(39), &p), None);
        assert_eq!(due_attempt(known(2), after(40), &p), Some(3));
        // Past max_attempts, still retried; the wait stops growing at a minute.
        assert_eq!(due_attempt(known(3), after(60), &p), Some(4));
        assert_eq!(due_attempt(known(40), after(59), &p), None);
        assert_eq!(due_attempt(known(40), after(60), &p), Some(41));
        // The default 15-minute retry_after does not delay the recovery beyond a minute.
        let d = Policy::default();
        assert_eq!(unrecorded_wait(&d, 1), MAX_UNRECORDED_WAIT);
        assert_eq!(unrecorded_wait(&d, u32::MAX), MAX_UNRECORDED_WAIT);
    }

    #[test]
    fn failures_are_retried_with_doubling_waits_then_given_up() {
        let p = Policy::default();
        let failed = |at: &str, attempt| Known::Failed {
            at: t(at),
            attempt,
            retry: true,
        };
        let now = t("2024-01-19T12:30:00Z");
        assert_eq!(due_attempt(Known::Due { attempt: 1 }, now, &p), Some(1));
        assert_eq!(due_attempt(Known::Done, now, &p), None);
        assert_eq!(due_attempt(Known::Running { attempt: 1 }, now, &p), None);
        assert_eq!(due_attempt(Known::Queued { attempt: 1 }, now, &p), None);
        // First retry 15 min after the failure, the second 30 min after the next failure.
        assert_eq!(
            due_attempt(failed("2024-01-19T12:20:00Z", 1), now, &p),
            None
        );
        assert_eq!(
            due_attempt(failed("2024-01-19T12:15:00Z", 1), now, &p),
            Some(2)
        );
        assert_eq!(
            due_attempt(failed("2024-01-19T12:01:00Z", 2), now, &p),
            None
        );
        assert_eq!(
            due_attempt(failed("2024-01-19T12:00:00Z", 2), now, &p),
            Some(3)
        );
        // Three attempts, then the time stays Failed.
        assert_eq!(
            due_attempt(failed("2024-01-19T00:00:00Z", 3), now, &p),
            None
        );
    }

    #[test]
    fn ledger_entries_map_to_what_is_due() {
        assert_eq!(
            Known::from_entry(&Entry::Missing),
            Known::Due { attempt: 1 }
        );
        assert_eq!(
            Known::from_entry(&Entry::Unreadable("x".into())),
            Known::Due { attempt: 1 }
        );
    }
}
