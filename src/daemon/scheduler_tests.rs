//! The scheduler under tokio's paused time: days of fires in milliseconds, with an in-memory
//! ledger and executions that take simulated time.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::{Notify, watch};

use super::{Clock, Daemon, Finished, Runner, TokioClock};
use crate::config::{Location, Schedule, ScheduleFile};
use crate::daemon::ledger::Entry;
use crate::daemon::reconcile::Policy;
use crate::daemon::state::{Readiness, State};
use crate::execution::Ledger;
use crate::sagemaker::time::parse_utc;
use crate::sagemaker::{
    Counts, ExecutionRecord, FailureClass, MetricsDestination, MonitoringType, Outputs, Status,
};

fn t(s: &str) -> DateTime<Utc> {
    parse_utc(s).unwrap()
}

/// A schedules file with one schedule per (name, cadence YAML); S3 locations so nothing is
/// read from disk.
fn file(schedules: &[(&str, &str)]) -> ScheduleFile {
    let mut yaml = String::from("schedules:\n");
    for (name, cadence) in schedules {
        yaml.push_str(&format!(
            "  - name: {name}\n    type: model_bias\n    endpoint: ep\n    cadence: {cadence}\n    \
             data_capture: s3://bkt/capture\n    ground_truth: s3://bkt/truth\n    output: s3://bkt/out\n    \
             analysis_config: s3://bkt/analysis.json\n"
        ));
    }
    ScheduleFile::parse(
        &yaml,
        Path::new("test.yaml"),
        &Location::Local("test.yaml".into()),
    )
    .unwrap()
}

fn record(
    s: &Schedule,
    t: DateTime<Utc>,
    status: Status,
    attempt: u32,
    started: DateTime<Utc>,
    finished: DateTime<Utc>,
) -> ExecutionRecord {
    ExecutionRecord {
        schedule: s.name.as_str().to_string(),
        monitoring_type: MonitoringType::ModelBias,
        endpoint: "ep".into(),
        scheduled_time: t,
        window_start: t,
        window_end: t,
        status,
        failure_reason: None,
        failure_class: None,
        attempt,
        started_at: started,
        finished_at: finished,
        duration_seconds: (finished - started).as_seconds_f64(),
        counts: Counts::default(),
        malformed: Vec::new(),
        warnings: Vec::new(),
        timings: Default::default(),
        outputs: Outputs::default(),
        metrics_destination: MetricsDestination::Local,
        metrics_published: true,
        metrics_error: None,
        metrics_datums: 0,
        driftwatch_version: "test".into(),
    }
}

type Key = (String, DateTime<Utc>);

/// Executions as the fake saw them start: (schedule, T, attempt, started).
type Log = Arc<Mutex<Vec<(String, DateTime<Utc>, u32, DateTime<Utc>)>>>;

#[derive(Clone)]
struct Fake {
    ledger: Arc<Mutex<HashMap<Key, ExecutionRecord>>>,
    clock: Arc<TokioClock>,
    log: Log,
    /// How long each schedule's executions take (default 1 s).
    durations: HashMap<String, Duration>,
    /// Attempts below this number fail.
    fail_below: u32,
    /// Attempts below this number cannot store their record (the output is read-only).
    unstored_below: u32,
    /// The class failed attempts record (none: written before classes existed).
    fail_class: Option<FailureClass>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

impl Fake {
    fn new(clock: Arc<TokioClock>) -> Self {
        Self {
            ledger: Arc::default(),
            clock,
            log: Arc::default(),
            durations: HashMap::new(),
            fail_below: 0,
            unstored_below: 0,
            fail_class: None,
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
        }
    }

    fn records(&self) -> HashMap<Key, ExecutionRecord> {
        self.ledger.lock().unwrap().clone()
    }

    fn starts(&self) -> Vec<(String, DateTime<Utc>, u32, DateTime<Utc>)> {
        self.log.lock().unwrap().clone()
    }
}

impl Runner for Fake {
    async fn lookup(&self, schedule: &Schedule, t: DateTime<Utc>) -> Result<Entry, String> {
        Ok(
            match self
                .ledger
                .lock()
                .unwrap()
                .get(&(schedule.name.as_str().to_string(), t))
            {
                Some(r) => Entry::Recorded(Box::new(r.clone())),
                None => Entry::Missing,
            },
        )
    }

    async fn latest(&self, schedule: &Schedule) -> Result<Option<ExecutionRecord>, String> {
        Ok(self
            .ledger
            .lock()
            .unwrap()
            .iter()
            .filter(|((name, _), _)| name == schedule.name.as_str())
            .max_by_key(|((_, t), _)| *t)
            .map(|(_, r)| r.clone()))
    }

    async fn execute(&self, schedule: Arc<Schedule>, t: DateTime<Utc>, attempt: u32) -> Finished {
        let name = schedule.name.as_str().to_string();
        let started = self.clock.now();
        self.log
            .lock()
            .unwrap()
            .push((name.clone(), t, attempt, started));
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let d = self
            .durations
            .get(&name)
            .copied()
            .unwrap_or(Duration::from_secs(1));
        tokio::time::sleep(d).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let status = if attempt < self.fail_below {
            Status::Failed
        } else {
            Status::Completed
        };
        let mut r = record(&schedule, t, status, attempt, started, self.clock.now());
        if status == Status::Failed {
            r.failure_class = self.fail_class;
        }
        if attempt < self.unstored_below {
            // As the execution reports it: failed, with its record nowhere.
            r.fail(
                "writing analysis.json: Read-only file system (os error 30); the execution record could not be written either",
                FailureClass::Transient,
            );
            return Finished {
                record: r,
                ledger: Ledger::NotWritten,
            };
        }
        self.ledger.lock().unwrap().insert((name, t), r.clone());
        Finished {
            record: r,
            ledger: Ledger::Written,
        }
    }

    async fn stopped(
        &self,
        schedule: Arc<Schedule>,
        t: DateTime<Utc>,
        started: DateTime<Utc>,
        attempt: u32,
        reason: String,
    ) -> Finished {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        let mut r = record(
            &schedule,
            t,
            Status::Stopped,
            attempt,
            started,
            self.clock.now(),
        );
        r.failure_reason = Some(reason);
        self.ledger
            .lock()
            .unwrap()
            .insert((schedule.name.as_str().to_string(), t), r.clone());
        Finished {
            record: r,
            ledger: Ledger::Written,
        }
    }
}

/// A running daemon under test.
struct Running {
    daemon: Arc<Daemon<Fake>>,
    stop: watch::Sender<bool>,
    wake: Arc<Notify>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

fn start(file: ScheduleFile, fake: &Fake, policy: Policy, concurrency: usize) -> Running {
    let state = State::new(file);
    let daemon = Daemon::new(state, fake.clone(), fake.clock.clone(), policy, concurrency);
    let (stop, rx) = watch::channel(false);
    let wake = Arc::new(Notify::new());
    let tasks = vec![
        tokio::spawn(daemon.clone().dispatcher(rx.clone())),
        tokio::spawn(
            daemon
                .clone()
                .reconciler(Duration::from_secs(60), wake.clone(), rx),
        ),
    ];
    Running {
        daemon,
        stop,
        wake,
        tasks,
    }
}

impl Running {
    async fn shutdown(self, grace: Duration) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        self.daemon.shutdown(grace).await;
    }
}

const CADENCES: [(&str, &str); 5] = [
    ("hourly", "hourly"),
    ("daily", "{daily: {hour: 7}}"),
    (
        "every-5h",
        "{daily_every_x_hours: {hour_interval: 5, starting_hour: 2}}",
    ),
    ("every-15m", "{every: 15m}"),
    ("cron", "\"cron(0 0/6 ? * * *)\""),
];

#[tokio::test(start_paused = true)]
async fn every_cadence_runs_each_scheduled_time_once_over_three_days_with_no_cron_fires() {
    // Starts on the eve of a leap day at an odd second; no wake-ups at all (every cron fire
    // lost): the reconciliation alone must run every scheduled time, with T = nominal time.
    let begin = t("2024-02-28T10:17:43Z");
    let clock = Arc::new(TokioClock::starting_at(begin));
    let fake = Fake::new(clock.clone());
    let f = file(&CADENCES);
    let policy = Policy::default();
    let run = start(f.clone(), &fake, policy, 8);
    tokio::time::sleep(Duration::from_secs(3 * 86_400)).await;
    let end = clock.now();
    run.shutdown(Duration::from_secs(5)).await;

    let starts = fake.starts();
    for s in &f.schedules {
        let name = s.name.as_str();
        let expected = s
            .cadence
            .fire_times(begin - TimeDelta::hours(24), end - TimeDelta::minutes(2));
        let mut ran: Vec<DateTime<Utc>> = starts
            .iter()
            .filter(|(n, ..)| n == name)
            .map(|(_, t, ..)| *t)
            .collect();
        let total = ran.len();
        ran.dedup();
        assert_eq!(total, ran.len(), "{name}: a scheduled time ran twice");
        assert!(
            ran.len() >= expected.len() && ran[..expected.len()] == expected[..],
            "{name}: ran {} of {} scheduled times",
            ran.len(),
            expected.len()
        );
        assert!(ran.iter().all(|x| s.cadence.fires_at(*x)), "{name}");
        // Live fires (after start-up) start within one reconciliation interval.
        for (_, t, _, started) in starts.iter().filter(|(n, t, ..)| n == name && *t > begin) {
            let lag = *started - *t;
            assert!(
                lag >= TimeDelta::zero() && lag <= TimeDelta::seconds(61),
                "{name} {t}: started {lag} after its time"
            );
        }
    }
    // Leap day covered.
    assert!(
        starts
            .iter()
            .any(|(_, t, ..)| *t == self::t("2024-02-29T07:00:00Z"))
    );
}

#[tokio::test(start_paused = true)]
async fn a_cron_wake_at_the_fire_time_starts_the_execution_at_once() {
    let clock = Arc::new(TokioClock::starting_at(t("2024-01-19T11:59:30Z")));
    let fake = Fake::new(clock.clone());
    let policy = Policy {
        lookback: Duration::ZERO,
        ..Default::default()
    };
    let run = start(file(&[("hourly", "hourly")]), &fake, policy, 1);
    // The scheduler fires ~200 ms after the hour; the next reconciliation would be at 12:00:30.
    tokio::time::sleep(Duration::from_millis(30_200)).await;
    run.wake.notify_one();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let starts = fake.starts();
    assert_eq!(starts.len(), 1, "{starts:?}");
    assert_eq!(starts[0].1, t("2024-01-19T12:00:00Z"));
    assert!(
        starts[0].3 - starts[0].1 < TimeDelta::seconds(1),
        "{starts:?}"
    );
    run.shutdown(Duration::ZERO).await;
}

#[tokio::test(start_paused = true)]
async fn a_restart_in_the_middle_of_a_backlog_loses_nothing_and_duplicates_nothing() {
    let begin = t("2024-01-19T12:10:00Z");
    let clock = Arc::new(TokioClock::starting_at(begin));
    let mut fake = Fake::new(clock.clone());
    for name in ["hourly", "every-3h"] {
        fake.durations
            .insert(name.to_string(), Duration::from_secs(600));
    }
    let f = file(&[
        ("hourly", "hourly"),
        (
            "every-3h",
            "{daily_every_x_hours: {hour_interval: 3, starting_hour: 0}}",
        ),
    ]);
    // Some of the day was done by an earlier process.
    for h in [13, 14, 15] {
        let s = &f.schedules[0];
        let tt = t(&format!("2024-01-18T{h}:00:00Z"));
        fake.ledger.lock().unwrap().insert(
            ("hourly".into(), tt),
            record(s, tt, Status::Completed, 1, tt, tt),
        );
    }
    let policy = Policy::default();
    // First process: 95 simulated minutes, then SIGTERM with no grace mid-execution.
    let run = start(f.clone(), &fake, policy, 1);
    tokio::time::sleep(Duration::from_secs(95 * 60)).await;
    run.shutdown(Duration::ZERO).await;
    let first = fake.starts().len();
    let stopped: Vec<_> = fake
        .records()
        .into_values()
        .filter(|r| r.status == Status::Stopped)
        .collect();
    assert_eq!(stopped.len(), 1, "one execution was cut short");
    assert!(
        stopped[0]
            .failure_reason
            .as_deref()
            .unwrap_or("")
            .contains("grace period of 0s")
    );
    // Second process, same ledger: runs the rest.
    let run = start(f.clone(), &fake, policy, 1);
    tokio::time::sleep(Duration::from_secs(12 * 3600)).await;
    run.shutdown(Duration::from_secs(60)).await;
    let end = clock.now();

    let records = fake.records();
    let starts = fake.starts();
    assert!(starts.len() > first);
    for s in &f.schedules {
        let name = s.name.as_str();
        for tt in s
            .cadence
            .fire_times(begin - TimeDelta::hours(24), end - TimeDelta::minutes(30))
        {
            let r = records
                .get(&(name.to_string(), tt))
                .unwrap_or_else(|| panic!("{name} {tt}: lost"));
            assert_eq!(r.status, Status::Completed, "{name} {tt}");
            let runs = starts
                .iter()
                .filter(|(n, x, ..)| n == name && *x == tt)
                .count();
            let was_stopped = stopped
                .iter()
                .any(|r| r.schedule == name && r.scheduled_time == tt);
            let earlier = name == "hourly" && tt <= t("2024-01-18T15:00:00Z");
            let expected = if earlier {
                0
            } else {
                1 + usize::from(was_stopped)
            };
            assert_eq!(runs, expected, "{name} {tt}: ran {runs} times");
        }
    }
    // The re-run of the stopped one says it is the second attempt.
    let again = &records[&(stopped[0].schedule.clone(), stopped[0].scheduled_time)];
    assert_eq!(again.attempt, 2);
}

#[tokio::test(start_paused = true)]
async fn shutdown_lets_executions_finish_within_the_grace_period_and_stops_the_rest() {
    let clock = Arc::new(TokioClock::starting_at(t("2024-01-19T12:00:30Z")));
    let mut fake = Fake::new(clock.clone());
    fake.durations
        .insert("quick".into(), Duration::from_secs(30));
    fake.durations
        .insert("slow".into(), Duration::from_secs(300));
    let policy = Policy {
        lookback: Duration::ZERO,
        ..Default::default()
    };
    let run = start(
        file(&[("quick", "hourly"), ("slow", "hourly")]),
        &fake,
        policy,
        2,
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(run.daemon.running().len(), 2);
    run.shutdown(Duration::from_secs(60)).await;
    let records = fake.records();
    let at = t("2024-01-19T12:00:00Z");
    assert_eq!(
        records[&("quick".to_string(), at)].status,
        Status::Completed
    );
    let slow = &records[&("slow".to_string(), at)];
    assert_eq!(slow.status, Status::Stopped);
    assert!(
        slow.failure_reason
            .as_deref()
            .unwrap()
            .contains("grace period of 1m"),
        "{:?}",
        slow.failure_reason
    );
    // Stopped ~70 s after the start: 10 s running, then the 60 s grace.
    let stopped_after = slow.finished_at - t("2024-01-19T12:00:30Z");
    assert!((TimeDelta::seconds(69)..=TimeDelta::seconds(72)).contains(&stopped_after));
}

/// Six hours of a daily schedule at noon whose every attempt fails with `class`: the starts
/// of the noon execution.
async fn starts_of_a_failing_noon_run(
    class: Option<FailureClass>,
) -> Vec<(String, DateTime<Utc>, u32, DateTime<Utc>)> {
    let clock = Arc::new(TokioClock::starting_at(t("2024-01-19T12:00:10Z")));
    let mut fake = Fake::new(clock.clone());
    fake.fail_below = 99;
    fake.fail_class = class;
    // Retries happen while the scheduled time is within the look-back (default 24 h).
    let run = start(
        file(&[("daily", "{daily: {hour: 12}}")]),
        &fake,
        Policy::default(),
        1,
    );
    tokio::time::sleep(Duration::from_secs(6 * 3600)).await;
    run.shutdown(Duration::ZERO).await;
    fake.starts()
        .into_iter()
        .filter(|s| s.1 == t("2024-01-19T12:00:00Z"))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn failures_are_retried_after_15_then_30_minutes_then_left_failed() {
    let starts = starts_of_a_failing_noon_run(None).await;
    let attempts: Vec<u32> = starts.iter().map(|s| s.2).collect();
    assert_eq!(attempts, [1, 2, 3], "{starts:?}");
    let minutes: Vec<i64> = starts
        .iter()
        .map(|s| (s.3 - t("2024-01-19T12:00:00Z")).num_minutes())
        .collect();
    // Each retry waits after the previous failure ended (1 s run), checked once a minute.
    assert!((15..=17).contains(&minutes[1]), "{minutes:?}");
    assert!((45..=48).contains(&minutes[2]), "{minutes:?}");
}

#[tokio::test(start_paused = true)]
async fn permanent_failures_are_not_retried_transient_ones_are() {
    for (class, want) in [
        (FailureClass::Permanent, vec![1]),
        (FailureClass::Transient, vec![1, 2, 3]),
    ] {
        let starts = starts_of_a_failing_noon_run(Some(class)).await;
        let attempts: Vec<u32> = starts.iter().map(|s| s.2).collect();
        assert_eq!(attempts, want, "{class:?}");
        if class == FailureClass::Transient {
            // A retry starts when it falls due, not at the next minute's pass.
            let due = starts[0].3 + TimeDelta::seconds(1) + TimeDelta::minutes(15);
            assert!((starts[1].3 - due).num_seconds() < 2, "{starts:?}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_concurrency_limit_holds_the_oldest_run_first_and_a_slow_schedule_blocks_no_other() {
    let clock = Arc::new(TokioClock::starting_at(t("2024-01-19T12:00:30Z")));
    let mut fake = Fake::new(clock.clone());
    fake.durations
        .insert("slow".into(), Duration::from_secs(50 * 60));
    for i in 0..4 {
        fake.durations
            .insert(format!("s{i}"), Duration::from_secs(120));
    }
    let policy = Policy {
        lookback: Duration::from_secs(3 * 3600),
        ..Default::default()
    };
    let run = start(
        file(&[
            ("slow", "hourly"),
            ("s0", "hourly"),
            ("s1", "hourly"),
            ("s2", "hourly"),
            ("s3", "hourly"),
        ]),
        &fake,
        policy,
        2,
    );
    tokio::time::sleep(Duration::from_secs(10 * 3600)).await;
    run.shutdown(Duration::ZERO).await;
    assert_eq!(fake.max_in_flight.load(Ordering::SeqCst), 2);
    let starts = fake.starts();
    // Every scheduled time started once, never two of a schedule at once (slow runs
    // back to back), and the others kept up: their live fires started within 15 minutes.
    for name in ["s0", "s1", "s2", "s3"] {
        for (_, tt, _, started) in starts
            .iter()
            .filter(|(n, tt, ..)| n == name && *tt > t("2024-01-19T13:00:00Z"))
        {
            assert!(
                *started - *tt < TimeDelta::minutes(15),
                "{name} {tt} started {started}"
            );
        }
    }
    // The start-up backlog (3 times × 5 schedules) went oldest first.
    let backlog: Vec<DateTime<Utc>> = starts
        .iter()
        .filter(|s| s.1 <= t("2024-01-19T12:00:00Z"))
        .map(|s| s.1)
        .collect();
    let others: Vec<DateTime<Utc>> = starts
        .iter()
        .filter(|s| s.0 != "slow" && s.1 <= t("2024-01-19T12:00:00Z"))
        .map(|s| s.1)
        .collect();
    assert!(others.windows(2).all(|w| w[0] <= w[1]), "{others:?}");
    assert_eq!(backlog.len(), 15);
}

#[tokio::test(start_paused = true)]
async fn a_one_time_schedule_runs_once_across_restarts() {
    let yaml = "schedules:\n  - name: once\n    type: model_bias\n    endpoint: ep\n    cadence: NOW\n    \
        data_analysis_start_time: -PT1H\n    data_analysis_end_time: -PT0H\n    \
        data_capture: s3://bkt/capture\n    ground_truth: s3://bkt/truth\n    output: s3://bkt/out\n    \
        analysis_config: s3://bkt/analysis.json\n";
    let file = || {
        ScheduleFile::parse(yaml, Path::new("t.yaml"), &Location::Local("t.yaml".into())).unwrap()
    };
    let clock = Arc::new(TokioClock::starting_at(t("2024-01-19T12:34:56Z")));
    let fake = Fake::new(clock.clone());
    let run = start(file(), &fake, Policy::default(), 1);
    tokio::time::sleep(Duration::from_secs(3 * 3600)).await;
    run.shutdown(Duration::ZERO).await;
    // A restart with the same ledger: nothing runs again.
    let run = start(file(), &fake, Policy::default(), 1);
    tokio::time::sleep(Duration::from_secs(3600)).await;
    run.shutdown(Duration::ZERO).await;
    let starts = fake.starts();
    assert_eq!(starts.len(), 1, "{starts:?}");
    assert_eq!(starts[0].1, t("2024-01-19T12:34:00Z"));
    assert!(starts[0].3 - t("2024-01-19T12:34:56Z") < TimeDelta::seconds(2));
}

/// Regression (hostile re-test): with the output read-only, every execution failed with "the
/// execution record could not be written either", was settled as a permanent failure and never
/// ran again: 32 of 34 executions were lost. Now an execution without a record stays due
/// beyond `max_attempts`, the daemon is not ready meanwhile, and every time gets a record once
/// storage is back, each exactly once.
#[tokio::test(start_paused = true)]
async fn executions_that_cannot_write_their_record_are_retried_until_they_do() {
    let begin = t("2024-03-01T10:30:00Z");
    let clock = Arc::new(TokioClock::starting_at(begin));
    let mut fake = Fake::new(clock.clone());
    // Five attempts of each time cannot store their record: more than max_attempts (3).
    fake.unstored_below = 6;
    fake.durations
        .insert("hourly".into(), Duration::from_millis(10));
    let f = file(&CADENCES[..1]);
    let policy = Policy {
        lookback: Duration::from_secs(6 * 3600),
        retry_after: Duration::from_secs(20),
        max_attempts: 3,
    };
    let run = start(f, &fake, policy, 4);
    tokio::time::sleep(Duration::from_secs(30)).await;
    let state = run.daemon.state.clone();
    match state.readiness() {
        Readiness::NotReady(why) => {
            assert!(why.contains("could not write their record"), "{why}");
            assert!(why.contains("Read-only file system"), "{why}");
        }
        other => panic!("ready while records cannot be written: {other:?}"),
    }
    assert!(fake.records().is_empty());
    // 20 + 40 + 60 + 60 s of waits: the sixth attempt stores its record.
    tokio::time::sleep(Duration::from_secs(300)).await;
    let records = fake.records();
    let expected: Vec<DateTime<Utc>> = (5..=10)
        .map(|h| t(&format!("2024-03-01T{h:02}:00:00Z")))
        .collect();
    for x in &expected {
        let r = records
            .get(&("hourly".to_string(), *x))
            .unwrap_or_else(|| panic!("{x}: no record after storage came back"));
        assert_eq!(r.status, Status::Completed, "{x}");
        assert_eq!(r.attempt, 6, "{x}");
    }
    assert_eq!(records.len(), expected.len());
    assert_eq!(state.readiness(), Readiness::Ready);
    assert!(state.unrecorded().is_empty());
    // No time stored twice, and none ran again once stored.
    tokio::time::sleep(Duration::from_secs(600)).await;
    let starts = fake.starts();
    for x in &expected {
        let n = starts.iter().filter(|(_, t, ..)| t == x).count();
        assert_eq!(n, 6, "{x} started {n} times");
    }
    run.shutdown(Duration::from_secs(5)).await;
}
