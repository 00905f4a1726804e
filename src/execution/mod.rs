//! One execution of a schedule at a scheduled time T — the only orchestrator, used by `run`,
//! `backfill`, `serve` and the demo: window → read the window's data → monitor → write →
//! publish → record, ending in an [`ExecutionRecord`] whatever happens.
//!
//! Guarantees: an execution never panics on input and never returns an error — every problem
//! becomes a `Failed` record with a reason and a failure class (whether the daemon retries
//! it); `max_runtime` is enforced; a failed execution leaves no `analysis.json` or
//! `constraint_violations.json` behind (not even from an earlier attempt at the same T), so
//! the files in a folder always agree with its record.

mod access;
mod batch_listing;
mod bias_window;
mod capture_window;
pub mod claim;
mod clarify;
mod data_quality;
pub(crate) mod error;
mod explain_shards;
mod explain_window;
mod fold_shards;
mod model_quality;
mod outputs;
mod pages;
mod ray_backfill;
mod ray_jobs;
mod ray_shards;
mod shard_worker;
mod shards;
mod trace;
mod unwind;
mod waiting;

use std::time::Instant;

use chrono::{DateTime, Utc};
use tracing::Instrument;

pub use access::{Probe, check_access};
pub use claim::Guard;
pub use error::{ExecutionError, format_runtime};
pub use outputs::{Entry, read_record};
pub use pages::rebuild_dashboard;
pub use ray_backfill::run_on_ray;
pub use shard_worker::{ShardDone, run_shard};
pub use shards::RunId;
pub use unwind::catch_panic;

use crate::aws::AwsClients;
use crate::config::{Monitor, Schedule};
use crate::publish::datum::Datum;
use crate::publish::metrics::{Health, Source, health_datums};
use crate::publish::publish;
use crate::sagemaker::layout::RECORD_FILE;
use crate::sagemaker::record::clip_reason;
use crate::sagemaker::time::format_utc;
use crate::sagemaker::{Counts, ExecutionRecord, MetricsDestination, Outputs, Status};
use crate::schedule::window::Window;
use crate::store::{ObjectStore, Store, join_key};
use trace::Trace;

/// Runs `schedule` for scheduled time `t` and writes its record. Never fails: problems are in
/// the record.
pub async fn run_execution(
    schedule: &Schedule,
    t: DateTime<Utc>,
    clients: &AwsClients,
) -> ExecutionRecord {
    run_execution_attempt(schedule, t, clients, 1).await
}

/// [`run_execution`] for a re-run: `attempt` (1-based) goes into the record.
pub async fn run_execution_attempt(
    schedule: &Schedule,
    t: DateTime<Utc>,
    clients: &AwsClients,
    attempt: u32,
) -> ExecutionRecord {
    run_execution_reporting(schedule, t, clients, attempt, Guard::Always)
        .await
        .record
}

/// An execution's record and the datums it published (the daemon's `/metrics` mirrors them).
pub struct Executed {
    pub record: ExecutionRecord,
    pub datums: Vec<Datum>,
    /// What reached the ledger.
    pub ledger: Ledger,
}

/// What an attempt left in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ledger {
    /// Its record is written.
    Written,
    /// Its record could not be written: the execution did not durably happen whatever its
    /// status says. The daemon keeps the time due (a storage outage must not lose
    /// executions); `run` exits 1.
    NotWritten,
    /// Not run: another process holds the time's claim (the record says who). Nothing was
    /// written; that process writes the record.
    Busy,
    /// Not run: once the claim was held, the ledger showed this time completed, or this
    /// attempt made, by another process ([`claim::Guard::UnlessAlreadyRun`]). The record is
    /// that one.
    AlreadyRun,
}

impl Ledger {
    pub fn is_written(self) -> bool {
        self == Self::Written
    }
}

/// [`run_execution_attempt`], also returning the datums published and what reached the
/// ledger; `guard` says whether to yield to an execution another process made meanwhile.
pub async fn run_execution_reporting(
    schedule: &Schedule,
    t: DateTime<Utc>,
    clients: &AwsClients,
    attempt: u32,
    guard: Guard,
) -> Executed {
    let span = tracing::info_span!(
        "execution",
        schedule = schedule.name.as_str(),
        scheduled_time = %format_utc(t),
        attempt
    );
    let started = Utc::now();
    match unwind::catch_panic(
        execute(schedule, t, clients, attempt, guard).instrument(span.clone()),
    )
    .await
    {
        Ok(done) => done,
        Err(message) => {
            tracing::error!(parent: &span, panic = %message, "execution panicked");
            let reason = format!("internal error (a driftwatch bug, please report it): {message}");
            let ending = Ending::Failed(&reason);
            let (record, ledger) =
                record_unfinished(schedule, t, started, attempt, ending, clients)
                    .instrument(span)
                    .await;
            Executed {
                record,
                datums: Vec::new(),
                ledger,
            }
        }
    }
}

/// How an execution that did not finish its own record ended.
#[derive(Debug, Clone, Copy)]
enum Ending<'a> {
    /// Cancelled (SIGTERM, the grace period): `Stopped`.
    Stopped(&'a str),
    /// A panic inside the execution: `Failed`, permanent (running it again would panic again).
    Failed(&'a str),
}

/// Debug builds only: `DRIFTWATCH_FAULT_PANIC=1` makes every execution panic, so tests can
/// check that a panic becomes a Failed record and leaves the daemon running.
fn inject_panic_for_tests() {
    if cfg!(debug_assertions) && std::env::var_os("DRIFTWATCH_FAULT_PANIC").is_some() {
        panic!("injected by DRIFTWATCH_FAULT_PANIC");
    }
}

/// A record with nothing measured yet.
/// A window outside the calendar (impossible with validated offsets) is recorded as `[t, t)`.
fn blank_record(
    schedule: &Schedule,
    t: DateTime<Utc>,
    window: Option<Window>,
    started: DateTime<Utc>,
    attempt: u32,
    record_address: String,
) -> ExecutionRecord {
    ExecutionRecord {
        schedule: schedule.name.as_str().to_string(),
        monitoring_type: schedule.monitoring_type(),
        endpoint: schedule.endpoint().to_string(),
        scheduled_time: t,
        window_start: window.map_or(t, |w| w.start),
        window_end: window.map_or(t, |w| w.end),
        status: Status::Completed,
        failure_reason: None,
        failure_class: None,
        attempt,
        started_at: started,
        finished_at: started,
        duration_seconds: 0.0,
        counts: Counts::default(),
        malformed: Vec::new(),
        warnings: Vec::new(),
        timings: Default::default(),
        outputs: Outputs {
            record: record_address,
            ..Default::default()
        },
        metrics_destination: MetricsDestination::None,
        metrics_published: false,
        metrics_error: None,
        metrics_datums: 0,
        driftwatch_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// Records that the execution of `schedule` at `t` (started at `started`) was cancelled before
/// it finished: removes whatever analysis files it may have written and writes a `Stopped`
/// record, so the folder never holds outputs its record does not vouch for.
pub async fn record_stopped(
    schedule: &Schedule,
    t: DateTime<Utc>,
    started: DateTime<Utc>,
    attempt: u32,
    reason: &str,
    clients: &AwsClients,
) -> (ExecutionRecord, Ledger) {
    record_unfinished(
        schedule,
        t,
        started,
        attempt,
        Ending::Stopped(reason),
        clients,
    )
    .await
}

/// The record of an execution that ended without writing its own: its analysis files are
/// removed and the record says how it ended.
async fn record_unfinished(
    schedule: &Schedule,
    t: DateTime<Utc>,
    started: DateTime<Utc>,
    attempt: u32,
    ending: Ending<'_>,
    clients: &AwsClients,
) -> (ExecutionRecord, Ledger) {
    let out_store = Store::open(&schedule.output, clients).await;
    let folder = schedule.output_folder(t);
    outputs::remove_analysis_files(&out_store, &folder).await;
    outputs::remove_shard_folders(&out_store, &folder).await;
    let mut record = blank_record(
        schedule,
        t,
        schedule.window.window_at(t),
        started,
        attempt,
        out_store.describe(&join_key(&folder, RECORD_FILE)),
    );
    let now = Utc::now();
    let reason = match ending {
        Ending::Stopped(reason) => {
            record.status = Status::Stopped;
            record.failure_reason = Some(clip_reason(reason));
            reason
        }
        Ending::Failed(reason) => {
            record.fail(reason, crate::sagemaker::FailureClass::Permanent);
            reason
        }
    };
    record.finished_at = now;
    record.duration_seconds = (now - started).as_seconds_f64().max(0.0);
    match outputs::write_record(&out_store, &folder, &record).await {
        Ok(()) => {
            let pages = pages::Pages {
                store: &out_store,
                schedule,
                folder: &folder,
                content: None,
            };
            pages.update_dashboard(&record).await;
            (record, Ledger::Written)
        }
        Err(e) => {
            tracing::error!(schedule = schedule.name.as_str(), scheduled_time = %format_utc(t), error = %e,
                "cannot write the execution record");
            record.failure_reason = Some(clip_reason(&format!(
                "{reason}; cannot write the execution record: {e}"
            )));
            (record, Ledger::NotWritten)
        }
    }
}

/// What a completed monitor leaves for publishing, the report and the record, whatever the
/// monitor type.
struct Done {
    status: Status,
    /// The warnings the files carry, in order (the steps before the analysis first).
    warnings: Vec<String>,
    /// The addresses of the files written: the analysis (`analysis.json`, or a data-quality
    /// `statistics.json`) and the violations.
    analysis: String,
    violations: Option<String>,
    /// The datums the analysis publishes (derived from the files written).
    datums: Vec<Datum>,
    /// What the report and the dashboard are drawn from.
    content: pages::Content,
}

/// Reads the window's data, runs the schedule's monitor and writes its files.
async fn analyse(
    schedule: &Schedule,
    t: DateTime<Utc>,
    window: Window,
    folder: &str,
    out_store: &Store,
    clients: &AwsClients,
    trace: &mut Trace,
) -> Result<Done, ExecutionError> {
    let source = metrics_source(schedule, t);
    match &schedule.monitor {
        Monitor::Bias { .. } | Monitor::Explainability { .. } => {
            clarify::analyse(
                schedule, t, window, folder, out_store, clients, trace, &source,
            )
            .await
        }
        Monitor::DataQuality { .. } => {
            data_quality::analyse(schedule, window, folder, out_store, clients, trace, &source)
                .await
        }
        Monitor::ModelQuality { .. } => {
            model_quality::analyse(
                schedule, t, window, folder, out_store, clients, trace, &source,
            )
            .await
        }
    }
}

/// Which execution the datums describe.
fn metrics_source(schedule: &Schedule, t: DateTime<Utc>) -> Source<'_> {
    Source {
        endpoint: schedule.source.endpoint().map(|e| e.as_str()),
        schedule: schedule.name.as_str(),
        scheduled_time: t,
    }
}

async fn execute(
    schedule: &Schedule,
    t: DateTime<Utc>,
    clients: &AwsClients,
    attempt: u32,
    guard: Guard,
) -> Executed {
    let started = Utc::now();
    let clock = Instant::now();
    let window = schedule.window.window_at(t);
    let out_store = Store::open(&schedule.output, clients).await;
    let folder = schedule.output_folder(t);
    let mut trace = Trace::start();
    let mut record = blank_record(
        schedule,
        t,
        window,
        started,
        attempt,
        out_store.describe(&join_key(&folder, RECORD_FILE)),
    );
    // One writer per scheduled time: nothing is read before the claim is held.
    let claim = match claim::take(&out_store, &folder, schedule).await {
        Ok(c) => c,
        Err(e) => return not_claimed(record, &e),
    };
    let current = match outputs::read_record(&out_store, &folder).await {
        Ok(Entry::Recorded(r)) => Some(*r),
        Ok(Entry::Missing | Entry::Unreadable(_)) => None,
        Err(e) => {
            claim.release(&out_store).await;
            let reason = format!("reading the execution record once the claim was held: {e}");
            return unwritten(record, &reason, e.class());
        }
    };
    if let Some(found) = guard.superseded_by(current, attempt) {
        tracing::info!(
            status = found.status.as_str(),
            attempt = found.attempt,
            "not run: another process ran this time meanwhile"
        );
        claim.release(&out_store).await;
        return Executed {
            record: found,
            datums: Vec::new(),
            ledger: Ledger::AlreadyRun,
        };
    }
    tracing::info!(
        window_start = %format_utc(record.window_start),
        window_end = %format_utc(record.window_end),
        "execution started"
    );

    let work = async {
        inject_panic_for_tests();
        let window = window.ok_or_else(|| {
            ExecutionError::Input(format!(
                "the window of {} lies outside the calendar",
                format_utc(t)
            ))
        })?;
        analyse(
            schedule, t, window, &folder, &out_store, clients, &mut trace,
        )
        .await
    };
    let waiting = waiting::Waiting::default();
    let result = match tokio::time::timeout(schedule.max_runtime, waiting.scope(work)).await {
        Ok(r) => r,
        Err(_) => Err(ExecutionError::TimedOut {
            limit: schedule.max_runtime,
            waiting_on: waiting.last(),
        }),
    };
    let mut done = match result {
        Ok(done) => {
            record.status = done.status;
            record.outputs.analysis = Some(done.analysis.clone());
            record.outputs.constraint_violations = done.violations.clone();
            record.warnings = done.warnings.clone();
            Some(done)
        }
        Err(e) => {
            tracing::error!(reason = %e, class = e.class().as_str(), "execution failed");
            outputs::remove_analysis_files(&out_store, &folder).await;
            outputs::remove_shard_folders(&out_store, &folder).await;
            record.fail(&e.to_string(), e.class());
            record.warnings = std::mem::take(&mut trace.warnings);
            None
        }
    };
    // A failed execution publishes only its health; a completed one its analysis too.
    let source = metrics_source(schedule, t);
    let mut datums = match &mut done {
        Some(d) => std::mem::take(&mut d.datums),
        None => Vec::new(),
    };
    datums.extend(health_datums(
        &source,
        record.monitoring_type,
        Health {
            failed: record.status == Status::Failed,
            violations: trace.counts.violations,
            records_merged: trace.counts.records_merged,
            duration_seconds: clock.elapsed().as_secs_f64(),
            not_computed: trace.coverage.as_ref().map(|c| c.not_computed),
            not_checked: trace
                .coverage
                .as_ref()
                .and_then(|c| c.checked.map(|_| c.not_checked.total())),
        },
    ));
    let destination = if schedule.cloudwatch {
        MetricsDestination::Cloudwatch
    } else {
        MetricsDestination::Local
    };
    let published = publish(&datums, destination, &out_store, &folder, clients).await;
    trace.lap("publish");
    record.outputs.metrics = published.local_file.clone();
    record.metrics_destination = destination;
    record.metrics_published = published.error.is_none();
    record.metrics_error = published.error.map(|e| clip_reason(&e));
    record.metrics_datums = published.datums;
    record.counts = std::mem::take(&mut trace.counts);
    record.malformed = std::mem::take(&mut trace.malformed.locations);
    record.timings = std::mem::take(&mut trace.timings);
    record.finished_at = Utc::now();
    record.duration_seconds = clock.elapsed().as_secs_f64();
    let pages = pages::Pages {
        store: &out_store,
        schedule,
        folder: &folder,
        content: done.as_ref().map(|d| &d.content),
    };
    record.outputs.report = pages.write_report(&record).await;
    let ledger = match outputs::write_record(&out_store, &folder, &record).await {
        Ok(()) => {
            pages.update_dashboard(&record).await;
            Ledger::Written
        }
        Err(e) => {
            tracing::error!(error = %e, class = e.class().as_str(), "cannot write the execution record");
            unrecorded(&mut record, &e, &out_store, &folder).await;
            Ledger::NotWritten
        }
    };
    claim.release(&out_store).await;
    tracing::info!(
        status = record.status.as_str(),
        seconds = record.duration_seconds,
        merged = record.counts.records_merged,
        violations = record.counts.violations,
        "execution finished"
    );
    Executed {
        record,
        datums,
        ledger,
    }
}

/// The returned record of an execution whose claim could not be taken: nothing ran and
/// nothing was written. Held by another process: `Busy` (that process writes the record).
/// The store refused or did not answer: the record could not be written either, so the time
/// stays due, without a window read in vain.
fn not_claimed(mut record: ExecutionRecord, e: &crate::store::lock::LockError) -> Executed {
    use crate::store::lock::LockError;
    match e {
        LockError::Store(se) => {
            tracing::error!(error = %se, "cannot claim the execution");
            unwritten(record, &format!("claiming the execution: {se}"), se.class())
        }
        LockError::Held { .. } | LockError::Corrupt { .. } => {
            tracing::warn!(reason = %e, "not run: another process is running this execution");
            record.fail(
                &format!("not run, to run it only once: {e}"),
                crate::sagemaker::FailureClass::Transient,
            );
            record.finished_at = Utc::now();
            Executed {
                record,
                datums: Vec::new(),
                ledger: Ledger::Busy,
            }
        }
    }
}

/// An attempt that stopped before reading anything because its output could not be used:
/// nothing was written, so the time stays due.
fn unwritten(
    mut record: ExecutionRecord,
    reason: &str,
    class: crate::sagemaker::FailureClass,
) -> Executed {
    record.fail(reason, class);
    record.finished_at = Utc::now();
    Executed {
        record,
        datums: Vec::new(),
        ledger: Ledger::NotWritten,
    }
}

/// The returned record of an execution whose own record could not be stored (printed by
/// `run`, kept by the daemon): `Failed`. The cause that failed the execution comes first,
/// with its class (with no credentials, say so rather than that the record could not be
/// written). Whatever the class, the daemon runs such an execution again until its record is
/// written ([`Executed::stored`]): nothing on storage shows that it failed.
async fn unrecorded(
    record: &mut ExecutionRecord,
    e: &crate::store::StoreError,
    out_store: &Store,
    folder: &str,
) {
    let (reason, class) = match (&record.failure_reason, record.failure_class) {
        (Some(first), Some(class)) if record.status == Status::Failed => (
            format!("{first}; the execution record could not be written either: {e}"),
            class,
        ),
        _ => {
            outputs::remove_analysis_files(out_store, folder).await;
            (format!("cannot write the execution record: {e}"), e.class())
        }
    };
    record.fail(&reason, class);
    record.outputs.analysis = None;
    record.outputs.constraint_violations = None;
    record.outputs.report = None;
}
