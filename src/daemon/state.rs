//! The daemon's shared state: the schedules, what is running, what the ledger said, recent
//! executions and the counters `/metrics` exports.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};

use super::reconcile::Known;
use crate::config::ScheduleFile;
use crate::execution::Ledger;
use crate::publish::datum::Datum;
use crate::sagemaker::{ExecutionRecord, Status};

/// Upper bounds (seconds) of the execution-duration histogram.
pub const DURATION_BUCKETS: [f64; 10] =
    [0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 1800.0];
/// Executions kept for `/executions`.
pub const RECENT: usize = 5000;

#[derive(Debug, Default)]
pub struct Metrics {
    /// (schedule, status) → count.
    pub executions: BTreeMap<(String, String), u64>,
    /// schedule → (bucket counts, sum, count).
    pub durations: BTreeMap<String, (Vec<u64>, f64, u64)>,
    pub records: BTreeMap<String, u64>,
    /// schedule → last successful scheduled time.
    pub last_success: BTreeMap<String, DateTime<Utc>>,
    /// Error kind → count.
    pub errors: BTreeMap<&'static str, u64>,
}

/// What went wrong, for `driftwatch_errors_total{kind}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A read of the ledger (an execution record) failed.
    LedgerRead,
    /// An execution failed and will be retried.
    ExecutionTransient,
    /// An execution failed and will not be retried.
    ExecutionPermanent,
    /// SIGHUP with a configuration that is invalid or cannot be scheduled.
    ConfigReload,
    /// An execution could not write its record (it is run again until it can).
    RecordWrite,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 5] = [
        Self::LedgerRead,
        Self::ExecutionTransient,
        Self::ExecutionPermanent,
        Self::ConfigReload,
        Self::RecordWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LedgerRead => "ledger_read",
            Self::ExecutionTransient => "execution_transient",
            Self::ExecutionPermanent => "execution_permanent",
            Self::ConfigReload => "config_reload",
            Self::RecordWrite => "record_write",
        }
    }
}

impl Metrics {
    pub fn observe(&mut self, r: &ExecutionRecord) {
        *self
            .executions
            .entry((r.schedule.clone(), r.status.as_str().to_string()))
            .or_default() += 1;
        let d = self
            .durations
            .entry(r.schedule.clone())
            .or_insert_with(|| (vec![0; DURATION_BUCKETS.len()], 0.0, 0));
        for (i, b) in DURATION_BUCKETS.iter().enumerate() {
            if r.duration_seconds <= *b {
                d.0[i] += 1;
            }
        }
        d.1 += r.duration_seconds;
        d.2 += 1;
        *self.records.entry(r.schedule.clone()).or_default() += r.counts.records_merged as u64;
        self.note_success(r);
    }

    /// Moves the schedule's last successful scheduled time forward to `r`'s, if `r` succeeded.
    pub fn note_success(&mut self, r: &ExecutionRecord) {
        if r.status.is_success() {
            let t = r.scheduled_time;
            let e = self.last_success.entry(r.schedule.clone()).or_insert(t);
            if t > *e {
                *e = t;
            }
        }
    }
}

/// State shared by the scheduler, the executions and the HTTP handlers.
pub struct State {
    pub file: RwLock<Arc<ScheduleFile>>,
    /// (schedule, T) → what is known (ledger answers, queued and running executions).
    known: Mutex<HashMap<(String, DateTime<Utc>), Known>>,
    /// Execution records by (T, schedule): those this process ran and those the ledger showed
    /// it, newest kept.
    history: Mutex<BTreeMap<(DateTime<Utc>, String), ExecutionRecord>>,
    /// Each schedule's record with the latest scheduled time (for `/schedules`).
    last: Mutex<HashMap<String, ExecutionRecord>>,
    pub metrics: Mutex<Metrics>,
    /// The scheduled time each one-time (`NOW`) schedule got in this process.
    once: Mutex<HashMap<String, DateTime<Utc>>>,
    /// Whether the last reconciliation read the ledger of every schedule.
    readiness: Mutex<Readiness>,
    /// Schedules whose lease is not held yet, with the reason: their executions wait.
    waiting_for_lease: Mutex<BTreeMap<String, String>>,
    /// Each schedule's gauges: what its latest completed execution published.
    gauges: Mutex<BTreeMap<String, Gauges>>,
    /// When this process started, less the look-back: "no success since at least then" for
    /// schedules without a known success.
    pub watch_from: DateTime<Utc>,
}

/// What `/readyz` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// The first reconciliation has not finished.
    Starting,
    Ready,
    /// The ledger could not be read: the daemon cannot tell what ran, so it runs nothing
    /// blind (the reason names the first failure).
    NotReady(String),
}

/// The drift signal of a schedule's latest completed execution, for `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    pub scheduled_time: Option<DateTime<Utc>>,
    pub datums: Vec<Datum>,
    /// Whether the latest execution (completed or not) failed.
    pub last_failed: bool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves consistent data (plain inserts).
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl State {
    pub fn new(file: ScheduleFile) -> Arc<Self> {
        Arc::new(Self {
            file: RwLock::new(Arc::new(file)),
            known: Mutex::new(HashMap::new()),
            history: Mutex::new(BTreeMap::new()),
            last: Mutex::new(HashMap::new()),
            metrics: Mutex::new(Metrics::default()),
            once: Mutex::new(HashMap::new()),
            readiness: Mutex::new(Readiness::Starting),
            waiting_for_lease: Mutex::new(BTreeMap::new()),
            gauges: Mutex::new(BTreeMap::new()),
            watch_from: Utc::now(),
        })
    }

    /// What `/readyz` answers: the last reconciliation's readiness; not ready while a
    /// schedule waits for its lease (its executions do not run), or while any execution could
    /// not write its record (the output location is read-only, full or unreachable:
    /// executions run, but nothing they do is kept).
    pub fn readiness(&self) -> Readiness {
        let ledger = lock(&self.readiness).clone();
        if ledger != Readiness::Ready {
            return ledger;
        }
        if let Some((schedule, why)) = lock(&self.waiting_for_lease).iter().next() {
            return Readiness::NotReady(format!(
                "the lease of schedule {schedule} cannot be taken, so its executions wait: {why}"
            ));
        }
        let unrecorded = self.unrecorded();
        let Some((schedule, t, _)) = unrecorded.first() else {
            return ledger;
        };
        let why = lock(&self.history)
            .get(&(*t, schedule.clone()))
            .and_then(|r| r.failure_reason.clone())
            .unwrap_or_default();
        Readiness::NotReady(format!(
            "{} execution(s) could not write their record and are being retried (first: {schedule} at {}): {why}",
            unrecorded.len(),
            crate::sagemaker::time::format_utc(*t)
        ))
    }

    /// Replaces the schedules waiting for their lease; true when one stopped waiting.
    pub fn set_waiting_for_lease(&self, waiting: Vec<(String, String)>) -> bool {
        let mut w = lock(&self.waiting_for_lease);
        let freed = w.keys().any(|k| !waiting.iter().any(|(s, _)| s == k));
        *w = waiting.into_iter().collect();
        freed
    }

    /// Whether `schedule`'s executions wait for its lease.
    pub fn waits_for_lease(&self, schedule: &str) -> bool {
        lock(&self.waiting_for_lease).contains_key(schedule)
    }

    /// The executions whose last attempt could not write its record, oldest first.
    pub fn unrecorded(&self) -> Vec<(String, DateTime<Utc>, Known)> {
        let mut v: Vec<(String, DateTime<Utc>, Known)> = lock(&self.known)
            .iter()
            .filter(|(_, k)| matches!(k, Known::Unrecorded { .. }))
            .map(|((s, t), k)| (s.clone(), *t, *k))
            .collect();
        v.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        v
    }

    pub fn set_readiness(&self, r: Readiness) {
        *lock(&self.readiness) = r;
    }

    /// Counts an error of `kind` for `/metrics` (`driftwatch_errors_total`).
    pub fn error(&self, kind: ErrorKind) {
        *lock(&self.metrics).errors.entry(kind.as_str()).or_default() += 1;
    }

    /// Takes an execution's published datums: a completed execution's replace the
    /// schedule's gauges; a failed one only marks the schedule failing.
    pub fn observe_datums(&self, r: &ExecutionRecord, datums: Vec<Datum>) {
        let mut g = lock(&self.gauges);
        let e = g.entry(r.schedule.clone()).or_default();
        e.last_failed = !r.status.is_success();
        if r.status.is_success() && e.scheduled_time.is_none_or(|t| t <= r.scheduled_time) {
            e.scheduled_time = Some(r.scheduled_time);
            e.datums = datums;
        }
    }

    pub fn gauges(&self) -> BTreeMap<String, Gauges> {
        lock(&self.gauges).clone()
    }

    pub fn schedules(&self) -> Arc<ScheduleFile> {
        self.file
            .read()
            .map(|f| f.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    pub fn replace_schedules(&self, file: ScheduleFile) {
        let mut f = self.file.write().unwrap_or_else(|p| p.into_inner());
        *f = Arc::new(file);
    }

    pub fn once_time(&self, schedule: &str) -> Option<DateTime<Utc>> {
        lock(&self.once).get(schedule).copied()
    }

    pub fn set_once_time(&self, schedule: &str, t: DateTime<Utc>) {
        lock(&self.once).insert(schedule.to_string(), t);
    }

    pub fn known(&self, schedule: &str, t: DateTime<Utc>) -> Option<Known> {
        lock(&self.known).get(&(schedule.to_string(), t)).copied()
    }

    pub fn set_known(&self, schedule: &str, t: DateTime<Utc>, k: Known) {
        lock(&self.known).insert((schedule.to_string(), t), k);
    }

    pub fn forget(&self, schedule: &str, t: DateTime<Utc>) {
        lock(&self.known).remove(&(schedule.to_string(), t));
    }

    /// Drops what is known of times before `before` (outside the look-back), keeping memory
    /// flat however long the daemon runs.
    pub fn prune(&self, before: DateTime<Utc>) {
        lock(&self.known).retain(|(_, t), k| {
            *t >= before
                || matches!(
                    k,
                    Known::Queued { .. } | Known::Running { .. } | Known::Unrecorded { .. }
                )
        });
    }

    /// A record the ledger showed at start-up (or after a reload): history and last success,
    /// not the counters of executions run by this process.
    pub fn seen(&self, r: &ExecutionRecord) {
        self.remember(r);
        lock(&self.metrics).note_success(r);
    }

    /// An execution this process finished: the ledger cache, history, counters. `ledger`:
    /// what reached the ledger (a record that could not be written keeps the time due).
    pub fn finished(&self, r: &ExecutionRecord, ledger: Ledger, now: DateTime<Utc>) {
        match ledger {
            // Another process runs it: what the ledger says is read again at the next pass.
            Ledger::Busy => {
                tracing::info!(schedule = %r.schedule, scheduled_time = %crate::sagemaker::time::format_utc(r.scheduled_time),
                    reason = r.failure_reason.as_deref().unwrap_or_default(), "not run here");
                self.forget(&r.schedule, r.scheduled_time);
                return;
            }
            // Another process ran it meanwhile: its record is what the ledger says.
            Ledger::AlreadyRun => {
                self.seen(r);
                self.set_known(
                    &r.schedule,
                    r.scheduled_time,
                    Known::from_entry(&super::ledger::Entry::Recorded(Box::new(r.clone()))),
                );
                return;
            }
            Ledger::Written | Ledger::NotWritten => {}
        }
        let stored = ledger.is_written();
        let k = match r.status {
            _ if !stored => Known::Unrecorded {
                at: now,
                attempt: r.attempt,
            },
            Status::Completed | Status::CompletedWithViolations => Known::Done,
            // Stopped only by a shutdown: nothing to schedule after it in this process.
            Status::Failed | Status::Stopped => Known::Failed {
                at: now,
                attempt: r.attempt,
                retry: r.status == Status::Stopped || r.is_retryable_failure(),
            },
        };
        self.set_known(&r.schedule, r.scheduled_time, k);
        self.remember(r);
        lock(&self.metrics).observe(r);
        if !stored {
            self.error(ErrorKind::RecordWrite);
        } else if r.status == Status::Failed {
            self.error(if r.is_retryable_failure() {
                ErrorKind::ExecutionTransient
            } else {
                ErrorKind::ExecutionPermanent
            });
        }
    }

    fn remember(&self, r: &ExecutionRecord) {
        let t = r.scheduled_time;
        {
            let mut last = lock(&self.last);
            let newer = last
                .get(&r.schedule)
                .is_none_or(|l| l.scheduled_time <= r.scheduled_time);
            if newer {
                last.insert(r.schedule.clone(), r.clone());
            }
        }
        let mut h = lock(&self.history);
        h.insert((t, r.schedule.clone()), r.clone());
        while h.len() > RECENT {
            h.pop_first();
        }
    }

    /// The latest executions by scheduled time, newest first, optionally of one schedule.
    pub fn executions(&self, schedule: Option<&str>, limit: usize) -> Vec<ExecutionRecord> {
        lock(&self.history)
            .values()
            .rev()
            .filter(|e| schedule.is_none_or(|s| e.schedule == s))
            .take(limit)
            .cloned()
            .collect()
    }

    pub fn last_execution(&self, schedule: &str) -> Option<ExecutionRecord> {
        lock(&self.last).get(schedule).cloned()
    }

    /// Executions queued and running.
    pub fn in_flight(&self) -> (usize, usize) {
        let k = lock(&self.known);
        let queued = k
            .values()
            .filter(|v| matches!(v, Known::Queued { .. }))
            .count();
        let running = k
            .values()
            .filter(|v| matches!(v, Known::Running { .. }))
            .count();
        (queued, running)
    }
}
