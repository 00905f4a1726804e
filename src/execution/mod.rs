//! One execution of a schedule at a scheduled time T: window → read → merge → analyze →
//! check → write, ending in an [`ExecutionRecord`] whatever happens.
//!
//! Guarantees: an execution never panics on input and never returns an error — every problem
//! becomes a `Failed` record with a reason; `max_runtime` is enforced; a failed execution
//! leaves no `analysis.json` or `constraint_violations.json` behind (not even from an earlier
//! attempt at the same T), so the files in a folder always agree with its record.

mod bias;
mod explain;
mod outputs;
pub mod record;
mod report;
pub use report::write_index;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tracing::Instrument;

pub use outputs::{RECORD_FILE, output_folder};
pub use record::{Counts, ExecutionRecord, Outputs, Status};

use crate::aws::AwsClients;
use crate::capture::read::Malformed;
use crate::config::{Monitor, Schedule};
use crate::publish::metrics::{Health, Source, health_datums};
use crate::publish::{Datum, Destination, publish};
use crate::store::{ObjectStore, Store};
use crate::time::format_utc;
use record::clip_reason;

/// What the stages of an execution accumulate for its record.
#[derive(Debug, Default)]
pub struct Progress {
    pub counts: Counts,
    pub malformed: Malformed,
    pub warnings: Vec<String>,
    pub timings: Map<String, Value>,
    pub outputs: Outputs,
    /// Metrics of the analysis, published when the execution completes.
    pub datums: Vec<Datum>,
    /// The baseline analysis the check used (read once; the report shows it too).
    pub baseline: Option<Value>,
    /// What `write_analysis` wrote, for the report (no reading back).
    pub written: Option<Written>,
    clock: Option<Instant>,
}

impl Progress {
    /// Ends the current stage: its wall time goes into the record under `name`.
    pub fn lap(&mut self, name: &str) {
        let now = Instant::now();
        let secs = self.clock.map_or(0.0, |c| (now - c).as_secs_f64());
        self.timings.insert(name.to_string(), Value::from(secs));
        self.clock = Some(now);
    }

    /// Records a stage timed elsewhere (e.g. listing inside reading).
    pub fn timing(&mut self, name: &str, secs: f64) {
        self.timings.insert(name.to_string(), Value::from(secs));
    }

    /// Takes a capture read's counts, timings and malformed lines into the record.
    pub fn record_capture(&mut self, capture: &mut crate::capture::read::CaptureRead) {
        self.timing("capture_list", capture.list_seconds);
        self.timing("capture_read", capture.read_seconds);
        self.counts.capture_files = capture.files;
        self.counts.capture_bytes = capture.bytes;
        self.counts.capture_lines = capture.lines;
        self.counts.capture_records = capture.records_in_window;
        self.counts.capture_outside_window = capture.outside_window;
        self.counts.capture_malformed = capture.malformed.count;
        self.malformed
            .extend(std::mem::take(&mut capture.malformed));
        self.lap("capture");
    }

    pub fn warn(&mut self, w: impl Into<String>) {
        let w = w.into();
        tracing::warn!("{w}");
        self.warnings.push(w);
    }
}

/// An execution's analysis.json and constraint_violations.json as written.
#[derive(Debug)]
pub struct Written {
    pub analysis: Value,
    pub violations: Option<Value>,
}

/// How an execution's work ended, before the record is written.
type StageResult = Result<Status, String>;

/// Human form of a runtime limit (`30m`, `1h30m`, `90s`).
pub fn format_runtime(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if sec > 0 || out.is_empty() {
        out.push_str(&format!("{sec}s"));
    }
    out
}

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
    let span = tracing::info_span!(
        "execution",
        schedule = schedule.name.as_str(),
        scheduled_time = %format_utc(t),
        attempt
    );
    execute(schedule, t, clients, attempt)
        .instrument(span)
        .await
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
) -> ExecutionRecord {
    let out_store = Store::open(&schedule.output, clients).await;
    let folder = output_folder(schedule, t);
    outputs::remove_analysis_files(&out_store, &folder).await;
    let window = schedule.window.window_at(t);
    let now = Utc::now();
    let mut record = ExecutionRecord {
        schedule: schedule.name.as_str().to_string(),
        monitoring_type: monitoring_type(schedule).to_string(),
        endpoint: schedule.endpoint.as_str().to_string(),
        scheduled_time: format_utc(t),
        window_start: format_utc(window.start),
        window_end: format_utc(window.end),
        status: Status::Stopped,
        failure_reason: Some(clip_reason(reason)),
        attempt,
        started_at: format_utc(started),
        finished_at: format_utc(now),
        duration_seconds: (now - started).as_seconds_f64().max(0.0),
        counts: Counts::default(),
        malformed: Vec::new(),
        warnings: Vec::new(),
        timings: Map::new(),
        outputs: Outputs {
            record: out_store.describe(&crate::store::join_key(&folder, RECORD_FILE)),
            ..Default::default()
        },
        metrics_destination: "none".to_string(),
        metrics_published: false,
        metrics_error: None,
        metrics_datums: 0,
        driftwatch_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    if let Err(e) = outputs::write_record(&out_store, &folder, &record).await {
        tracing::error!(schedule = schedule.name.as_str(), scheduled_time = %format_utc(t), error = %e,
            "cannot write the Stopped record");
        record.failure_reason = Some(clip_reason(&format!(
            "{reason}; cannot write the execution record: {e}"
        )));
    }
    record
}

fn monitoring_type(schedule: &Schedule) -> &'static str {
    match schedule.monitor {
        Monitor::Bias { .. } => "ModelBias",
        Monitor::Explainability => "ModelExplainability",
    }
}

async fn execute(
    schedule: &Schedule,
    t: DateTime<Utc>,
    clients: &AwsClients,
    attempt: u32,
) -> ExecutionRecord {
    let started = Utc::now();
    let clock = Instant::now();
    let window = schedule.window.window_at(t);
    let out_store = Store::open(&schedule.output, clients).await;
    let folder = output_folder(schedule, t);
    let mut progress = Progress {
        clock: Some(clock),
        ..Default::default()
    };
    progress.outputs.record = out_store.describe(&crate::store::join_key(&folder, RECORD_FILE));
    tracing::info!(
        window_start = %format_utc(window.start),
        window_end = %format_utc(window.end),
        "execution started"
    );

    let work = async {
        match &schedule.monitor {
            Monitor::Bias { ground_truth } => {
                bias::run(
                    schedule,
                    t,
                    window,
                    ground_truth,
                    &out_store,
                    &folder,
                    clients,
                    &mut progress,
                )
                .await
            }
            Monitor::Explainability => {
                explain::run(
                    schedule,
                    t,
                    window,
                    &out_store,
                    &folder,
                    clients,
                    &mut progress,
                )
                .await
            }
        }
    };
    let result: StageResult = match tokio::time::timeout(schedule.max_runtime, work).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "exceeded max runtime of {}",
            format_runtime(schedule.max_runtime)
        )),
    };

    let (status, failure_reason) = match result {
        Ok(s) => (s, None),
        Err(reason) => {
            tracing::error!(reason = %reason, "execution failed");
            outputs::remove_analysis_files(&out_store, &folder).await;
            progress.outputs.analysis = None;
            progress.outputs.constraint_violations = None;
            progress.written = None;
            (Status::Failed, Some(clip_reason(&reason)))
        }
    };
    let monitoring_type = monitoring_type(schedule);
    // A failed execution publishes only its health; a completed one its analysis too.
    let mut datums = if status.is_success() {
        std::mem::take(&mut progress.datums)
    } else {
        Vec::new()
    };
    let source = Source {
        endpoint: schedule.endpoint.as_str(),
        schedule: schedule.name.as_str(),
        scheduled_time: t,
    };
    datums.extend(health_datums(
        &source,
        monitoring_type,
        Health {
            failed: status == Status::Failed,
            violations: progress.counts.violations,
            records_merged: progress.counts.records_merged,
            duration_seconds: clock.elapsed().as_secs_f64(),
        },
    ));
    let destination = if schedule.cloudwatch {
        Destination::CloudWatch
    } else {
        Destination::Local
    };
    let published = publish(&datums, destination, &out_store, &folder, clients).await;
    progress.lap("publish");
    progress.outputs.metrics = published.local_file.clone();
    let mut record = ExecutionRecord {
        schedule: schedule.name.as_str().to_string(),
        monitoring_type: monitoring_type.to_string(),
        endpoint: schedule.endpoint.as_str().to_string(),
        scheduled_time: format_utc(t),
        window_start: format_utc(window.start),
        window_end: format_utc(window.end),
        status,
        failure_reason,
        attempt,
        started_at: format_utc(started),
        finished_at: String::new(),
        duration_seconds: 0.0,
        counts: std::mem::take(&mut progress.counts),
        malformed: std::mem::take(&mut progress.malformed.locations),
        warnings: std::mem::take(&mut progress.warnings),
        timings: std::mem::take(&mut progress.timings),
        outputs: std::mem::take(&mut progress.outputs),
        metrics_destination: match destination {
            Destination::CloudWatch => "cloudwatch",
            Destination::Local => "local",
        }
        .to_string(),
        metrics_published: published.error.is_none(),
        metrics_error: published.error.map(|e| clip_reason(&e)),
        metrics_datums: published.datums,
        driftwatch_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    record.finished_at = format_utc(Utc::now());
    record.duration_seconds = clock.elapsed().as_secs_f64();
    record.outputs.report = report::write(
        &out_store,
        &folder,
        &record,
        progress.written.as_ref(),
        progress.baseline.as_ref(),
    )
    .await;
    if let Err(e) = outputs::write_record(&out_store, &folder, &record).await {
        // The record could not be stored: the execution did not durably happen. Say so in
        // the returned record (printed by `run`, logged by the daemon) so it is retried.
        tracing::error!(error = %e, "cannot write the execution record");
        if record.status != Status::Failed {
            outputs::remove_analysis_files(&out_store, &folder).await;
        }
        record.status = Status::Failed;
        record.failure_reason = Some(clip_reason(&format!(
            "cannot write the execution record: {e}"
        )));
        record.outputs.analysis = None;
        record.outputs.constraint_violations = None;
        record.outputs.report = None;
    }
    tracing::info!(
        status = ?record.status,
        seconds = record.duration_seconds,
        merged = record.counts.records_merged,
        violations = record.counts.violations,
        "execution finished"
    );
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtimes_read_naturally() {
        assert_eq!(format_runtime(Duration::from_secs(1800)), "30m");
        assert_eq!(format_runtime(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_runtime(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_runtime(Duration::from_secs(0)), "0s");
    }
}
