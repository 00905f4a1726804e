//! The daemon's core: reconciliation (what is due, from the ledger), a queue ordered by
//! scheduled time, and a dispatcher that starts executions under a global concurrency limit
//! with at most one running execution per schedule. Time comes from a [`Clock`] and work goes
//! through a [`Runner`], so the whole loop runs under tokio's paused time in tests.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinHandle;

use super::ledger::Entry;
use super::reconcile::{Known, Policy, candidates, due_attempt, retry_wait, unrecorded_wait};
use super::state::{ErrorKind, Readiness, State};
use crate::config::Schedule;
use crate::execution::Ledger;
use crate::sagemaker::ExecutionRecord;
use crate::sagemaker::time::format_utc;

/// Where "now" comes from.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock (UTC).
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that follows tokio's (possibly paused) time from a chosen start, so tests can
/// simulate days in milliseconds.
#[cfg(test)]
pub struct TokioClock {
    start_utc: DateTime<Utc>,
    start: tokio::time::Instant,
}

#[cfg(test)]
impl TokioClock {
    pub fn starting_at(t: DateTime<Utc>) -> Self {
        Self {
            start_utc: t,
            start: tokio::time::Instant::now(),
        }
    }
}

#[cfg(test)]
impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = tokio::time::Instant::now() - self.start;
        self.start_utc + TimeDelta::from_std(elapsed).unwrap_or(TimeDelta::zero())
    }
}

/// What the daemon does with a scheduled time: read its ledger entry, run it, record that it
/// was stopped.
pub trait Runner: Send + Sync + 'static {
    fn lookup(
        &self,
        schedule: &Schedule,
        t: DateTime<Utc>,
    ) -> impl Future<Output = Result<Entry, String>> + Send;

    /// The schedule's most recent execution record, if any (one-time schedules: whether it
    /// ran already, whenever that was).
    fn latest(
        &self,
        schedule: &Schedule,
    ) -> impl Future<Output = Result<Option<ExecutionRecord>, String>> + Send;

    fn execute(
        &self,
        schedule: Arc<Schedule>,
        t: DateTime<Utc>,
        attempt: u32,
    ) -> impl Future<Output = Finished> + Send;

    fn stopped(
        &self,
        schedule: Arc<Schedule>,
        t: DateTime<Utc>,
        started: DateTime<Utc>,
        attempt: u32,
        reason: String,
    ) -> impl Future<Output = Finished> + Send;
}

/// How an attempt ended: its record, and what reached the ledger (a record that could not be
/// written keeps the time due: see [`Known::Unrecorded`]).
#[derive(Debug, Clone)]
pub struct Finished {
    pub record: ExecutionRecord,
    pub ledger: Ledger,
}

/// Ledger lookups at once during a reconciliation (start-up reads up to a day of records per
/// schedule).
const LOOKUPS_AT_ONCE: usize = 16;

struct Running {
    schedule: Arc<Schedule>,
    t: DateTime<Utc>,
    attempt: u32,
    started: DateTime<Utc>,
    handle: Option<JoinHandle<()>>,
}

pub struct Daemon<R: Runner> {
    pub state: Arc<State>,
    runner: Arc<R>,
    clock: Arc<dyn Clock>,
    policy: Policy,
    permits: Arc<Semaphore>,
    /// Due and waiting: (scheduled time, schedule, attempt), oldest first.
    queue: Mutex<BTreeSet<(DateTime<Utc>, String, u32)>>,
    /// Running executions by schedule (at most one each).
    running: Mutex<HashMap<String, Running>>,
    dispatch: Notify,
    /// Wakes the reconciler when a failed execution's retry falls due.
    retry_due: Arc<Notify>,
    /// Set when shutting down: nothing new starts.
    stopping: std::sync::atomic::AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl<R: Runner> Daemon<R> {
    pub fn new(
        state: Arc<State>,
        runner: R,
        clock: Arc<dyn Clock>,
        policy: Policy,
        concurrency: usize,
    ) -> Arc<Self> {
        Arc::new(Self {
            state,
            runner: Arc::new(runner),
            clock,
            policy,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            queue: Mutex::new(BTreeSet::new()),
            running: Mutex::new(HashMap::new()),
            dispatch: Notify::new(),
            retry_due: Arc::new(Notify::new()),
            stopping: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// One reconciliation pass: every schedule's scheduled times within the look-back are
    /// compared with what is known (reading the ledger for times not seen before), and those
    /// due are queued.
    pub async fn reconcile(self: &Arc<Self>) {
        let now = self.clock.now();
        let file = self.state.schedules();
        let mut unseen: Vec<(Arc<Schedule>, DateTime<Utc>)> = Vec::new();
        let mut failures = LedgerFailures::default();
        for s in &file.schedules {
            let name = s.name.as_str();
            let mut shared: Option<Arc<Schedule>> = None;
            let times = if s.cadence.is_once() {
                match self.once_time(s, now, &mut failures).await {
                    Some(t) => vec![t],
                    None => continue,
                }
            } else {
                candidates(&s.cadence, now, &self.policy)
            };
            for t in times {
                match self.state.known(name, t) {
                    None => {
                        unseen.push((shared.get_or_insert_with(|| Arc::new(s.clone())).clone(), t))
                    }
                    Some(k) => {
                        if let Some(attempt) = due_attempt(k, now, &self.policy) {
                            self.enqueue(name, t, attempt);
                        }
                    }
                }
            }
        }
        // An execution still without a record is retried even once it has left the look-back:
        // nothing else would ever run it again.
        for (name, t, k) in self.state.unrecorded() {
            if let Some(attempt) = due_attempt(k, now, &self.policy) {
                self.enqueue(&name, t, attempt);
            }
        }
        let mut lookups = tokio::task::JoinSet::new();
        let permits = Arc::new(Semaphore::new(LOOKUPS_AT_ONCE));
        for (s, t) in unseen {
            let (runner, permits) = (self.runner.clone(), permits.clone());
            lookups.spawn(async move {
                let _p = permits.acquire_owned().await;
                let entry = runner.lookup(&s, t).await;
                (s, t, entry)
            });
        }
        while let Some(joined) = lookups.join_next().await {
            let Ok((s, t, entry)) = joined else { continue };
            let name = s.name.as_str();
            match entry {
                Ok(entry) => {
                    if let Entry::Unreadable(why) = &entry {
                        tracing::warn!(schedule = name, scheduled_time = %format_utc(t),
                            "unreadable execution record, running again: {why}");
                    }
                    if let Entry::Recorded(r) = &entry {
                        self.state.seen(r);
                    }
                    let known = Known::from_entry(&entry);
                    self.state.set_known(name, t, known);
                    if let Some(attempt) = due_attempt(known, now, &self.policy) {
                        self.enqueue(name, t, attempt);
                    }
                }
                // Left unknown: the next pass reads it again. Running it blind could
                // duplicate a completed execution.
                Err(e) => {
                    self.state.error(ErrorKind::LedgerRead);
                    failures.add(name, e);
                }
            }
        }
        self.state.set_readiness(failures.readiness());
        let horizon = TimeDelta::from_std(self.policy.lookback).unwrap_or(TimeDelta::days(1));
        self.state.prune(now - horizon - TimeDelta::hours(1));
        self.dispatch.notify_one();
    }

    /// The scheduled time of a one-time (`NOW`) schedule: that of its execution in the ledger
    /// when it has one, else now (to the minute) — it runs once, when first seen. None while
    /// the ledger cannot be read (running blind could run it twice).
    async fn once_time(
        &self,
        s: &Schedule,
        now: DateTime<Utc>,
        failures: &mut LedgerFailures,
    ) -> Option<DateTime<Utc>> {
        let name = s.name.as_str();
        if let Some(t) = self.state.once_time(name) {
            return Some(t);
        }
        let t = match self.runner.latest(s).await {
            Ok(Some(r)) => {
                let t = r.scheduled_time;
                self.state.seen(&r);
                self.state
                    .set_known(name, t, Known::from_entry(&Entry::Recorded(Box::new(r))));
                t
            }
            Ok(None) => {
                let t = now - TimeDelta::seconds(now.timestamp().rem_euclid(60));
                tracing::info!(schedule = name, scheduled_time = %format_utc(t),
                    "one-time monitoring (NOW): no execution in the ledger yet, running it");
                self.state.set_known(name, t, Known::Due { attempt: 1 });
                t
            }
            Err(e) => {
                self.state.error(ErrorKind::LedgerRead);
                failures.add(name, e);
                return None;
            }
        };
        self.state.set_once_time(name, t);
        Some(t)
    }

    fn enqueue(&self, schedule: &str, t: DateTime<Utc>, attempt: u32) {
        if self.stopping.load(Ordering::SeqCst) {
            return;
        }
        self.state.set_known(schedule, t, Known::Queued { attempt });
        lock(&self.queue).insert((t, schedule.to_string(), attempt));
    }

    /// Starts queued executions while permits last, oldest scheduled time first, skipping
    /// schedules that already have one running.
    fn dispatch_ready(self: &Arc<Self>) {
        loop {
            if self.stopping.load(Ordering::SeqCst) {
                return;
            }
            let Ok(permit) = self.permits.clone().try_acquire_owned() else {
                return;
            };
            let next = {
                let mut queue = lock(&self.queue);
                let running = lock(&self.running);
                let item = queue
                    .iter()
                    .find(|(_, s, _)| !running.contains_key(s) && !self.state.waits_for_lease(s))
                    .cloned();
                if let Some(item) = &item {
                    queue.remove(item);
                }
                item
            };
            let Some((t, name, attempt)) = next else {
                return;
            };
            let Some(schedule) = self.state.schedules().schedule(&name).cloned() else {
                // Removed by a reload while queued.
                self.state.forget(&name, t);
                continue;
            };
            let schedule = Arc::new(schedule);
            let started = self.clock.now();
            self.state.set_known(&name, t, Known::Running { attempt });
            lock(&self.running).insert(
                name.clone(),
                Running {
                    schedule: schedule.clone(),
                    t,
                    attempt,
                    started,
                    handle: None,
                },
            );
            let daemon = self.clone();
            let task_name = name.clone();
            let handle = tokio::spawn(async move {
                // The execution turns its own panics into Failed records; this catches one in
                // the runner around it, so the schedule is never left "running" for ever.
                let finished = match crate::execution::catch_panic(daemon.runner.execute(
                    schedule.clone(),
                    t,
                    attempt,
                ))
                .await
                {
                    Ok(finished) => finished,
                    Err(message) => {
                        let reason = format!("internal error (a driftwatch bug): {message}");
                        daemon
                            .runner
                            .stopped(schedule.clone(), t, started, attempt, reason)
                            .await
                    }
                };
                drop(permit);
                daemon.finish(&task_name, &finished);
                daemon.wake_for_retry(&finished);
            });
            if let Some(r) = lock(&self.running).get_mut(&name)
                && r.t == t
            {
                r.handle = Some(handle);
            }
        }
    }

    fn finish(&self, schedule: &str, finished: &Finished) {
        lock(&self.running).remove(schedule);
        self.state
            .finished(&finished.record, finished.ledger, self.clock.now());
        self.dispatch.notify_one();
    }

    /// A failed execution that will be retried wakes the reconciler when its retry falls due,
    /// so retries run on time rather than at the next periodic pass.
    fn wake_for_retry(&self, finished: &Finished) {
        let record = &finished.record;
        let wait = if finished.ledger != Ledger::Written {
            if finished.ledger != Ledger::NotWritten {
                return;
            }
            tracing::warn!(schedule = %record.schedule, scheduled_time = %format_utc(record.scheduled_time),
                attempt = record.attempt,
                "the execution record could not be written; running it again until one is");
            Some(unrecorded_wait(&self.policy, record.attempt))
        } else if record.status != crate::sagemaker::Status::Failed {
            return;
        } else {
            let retry = record.is_retryable_failure();
            if !retry {
                tracing::warn!(schedule = %record.schedule, scheduled_time = %format_utc(record.scheduled_time),
                    attempt = record.attempt,
                    "the execution failed permanently and is not retried; fix the cause, then run `driftwatch backfill` for this time");
            }
            retry_wait(&self.policy, record.attempt, retry)
        };
        if let Some(wait) = wait {
            let wake = self.retry_due.clone();
            tokio::spawn(async move {
                // A moment past the due time, so the pass sees it due.
                tokio::time::sleep(wait + Duration::from_millis(100)).await;
                wake.notify_one();
            });
        }
    }

    /// Runs the dispatcher until `stop` turns true.
    pub async fn dispatcher(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        loop {
            self.dispatch_ready();
            tokio::select! {
                _ = self.dispatch.notified() => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// Reconciles at once, then every `every` and whenever `wake` is notified (the cron
    /// fires), until `stop` turns true. Each pass sets the readiness: ready when it could
    /// read the ledger of every schedule.
    pub async fn reconciler(
        self: Arc<Self>,
        every: Duration,
        wake: Arc<Notify>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                _ = wake.notified() => {}
                _ = self.retry_due.notified() => {}
                _ = stop.changed() => return,
            }
            self.reconcile().await;
        }
    }

    /// Executions running now: (schedule, scheduled time).
    pub fn running(&self) -> Vec<(String, DateTime<Utc>)> {
        lock(&self.running)
            .iter()
            .map(|(s, r)| (s.clone(), r.t))
            .collect()
    }

    /// Stops starting executions, lets the running ones finish within `grace`, then cancels
    /// the rest and records them `Stopped`. Queued executions are dropped: they have no
    /// record, so the next start catches them up.
    pub async fn shutdown(self: &Arc<Self>, grace: Duration) {
        self.stopping.store(true, Ordering::SeqCst);
        let dropped: Vec<_> = std::mem::take(&mut *lock(&self.queue))
            .into_iter()
            .collect();
        for (t, name, _) in &dropped {
            self.state.forget(name, *t);
        }
        let deadline = tokio::time::Instant::now() + grace;
        while !lock(&self.running).is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let left: Vec<(String, Running)> = lock(&self.running).drain().collect();
        for (name, r) in left {
            let Some(handle) = r.handle else { continue };
            handle.abort();
            match handle.await {
                Err(e) if e.is_cancelled() => {
                    tracing::warn!(schedule = %name, scheduled_time = %format_utc(r.t),
                        "execution cancelled: still running after the grace period");
                    let reason = format!(
                        "stopped: the daemon shut down and the execution did not finish within the grace period of {}",
                        crate::execution::format_runtime(grace)
                    );
                    let done = self
                        .runner
                        .stopped(r.schedule, r.t, r.started, r.attempt, reason)
                        .await;
                    self.state
                        .finished(&done.record, done.ledger, self.clock.now());
                }
                // It finished (and recorded itself) just before the abort.
                _ => {}
            }
        }
    }
}

#[cfg(test)]
#[path = "scheduler_tests.rs"]
mod tests;

/// The ledger reads that failed in one reconciliation pass: one warning per pass (not one
/// per scheduled time), and the readiness they mean.
#[derive(Default)]
struct LedgerFailures {
    count: usize,
    schedules: Vec<String>,
    first: Option<String>,
}

impl LedgerFailures {
    fn add(&mut self, schedule: &str, error: String) {
        self.count += 1;
        if !self.schedules.iter().any(|s| s == schedule) {
            self.schedules.push(schedule.to_string());
        }
        self.first.get_or_insert(error);
    }

    fn readiness(&self) -> Readiness {
        let Some(first) = &self.first else {
            return Readiness::Ready;
        };
        let reason = format!(
            "cannot read the ledger of {} ({} reads failed; nothing runs until it can be read): {first}",
            self.schedules.join(", "),
            self.count
        );
        tracing::warn!("{reason}");
        Readiness::NotReady(reason)
    }
}
