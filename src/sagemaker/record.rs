//! The execution record (`execution.json` beside the outputs): what ran, on which window, how
//! it ended and why, with counts, warnings and timings. SageMaker keeps the equivalent
//! (`MonitoringExecutionSummary`) in its API; driftwatch keeps it beside the files, and the
//! daemon's ledger is made of these records.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::json::JsonFile;
use super::ordered::OrderedMap;
use super::time::rfc3339;

/// SageMaker's `MonitoringExecutionStatus` values that an execution can end in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Completed,
    CompletedWithViolations,
    Failed,
    Stopped,
}

impl Status {
    /// Completed or CompletedWithViolations: the analysis finished and its files are written.
    pub fn is_success(self) -> bool {
        matches!(self, Self::Completed | Self::CompletedWithViolations)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "Completed",
            Self::CompletedWithViolations => "CompletedWithViolations",
            Self::Failed => "Failed",
            Self::Stopped => "Stopped",
        }
    }
}

/// Whether running a failed execution again can help (driftwatch's addition to the record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureClass {
    /// The inputs or the configuration are wrong (invalid analysis config or baseline, no
    /// data in the window, access denied, a model that answers garbage): the same execution
    /// fails the same way until someone changes something. Not retried.
    Permanent,
    /// The world was briefly unavailable (5xx, throttling, timeouts, unreachable network,
    /// an endpoint error): retried.
    Transient,
}

impl FailureClass {
    pub fn is_retryable(self) -> bool {
        self == Self::Transient
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Permanent => "permanent",
            Self::Transient => "transient",
        }
    }
}

/// SageMaker's `MonitoringType` of the monitors driftwatch runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MonitoringType {
    ModelBias,
    ModelExplainability,
    DataQuality,
    ModelQuality,
}

impl MonitoringType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ModelBias => "ModelBias",
            Self::ModelExplainability => "ModelExplainability",
            Self::DataQuality => "DataQuality",
            Self::ModelQuality => "ModelQuality",
        }
    }
}

/// Where an execution's metrics went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricsDestination {
    /// CloudWatch, and the local file.
    Cloudwatch,
    /// The local file only (the embedded default).
    Local,
    /// Nothing was published (a Stopped execution).
    None,
}

/// How much data went through each step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub capture_files: usize,
    pub capture_bytes: u64,
    /// Capture lines read (one per invocation, inside the window or not).
    pub capture_lines: usize,
    /// Records (each record of a multi-record invocation counts) with `inferenceTime` in the
    /// window.
    pub capture_records: usize,
    pub capture_outside_window: usize,
    /// Capture lines in the window that another target model's `inferenceId` prefix left out
    /// (`inference_id_prefix`; 0 without one).
    #[serde(default)]
    pub capture_not_selected: usize,
    pub capture_malformed: usize,
    pub ground_truth_files: usize,
    pub ground_truth_records: usize,
    pub ground_truth_malformed: usize,
    pub records_merged: usize,
    /// The distinct rows the merged records reduced to (bias executions: what the analysis
    /// held in memory; every record when FT needs them).
    #[serde(default)]
    pub rows_analysed: usize,
    pub unmatched_captures: usize,
    pub unmatched_labels: usize,
    pub violations: usize,
    /// InvokeEndpoint requests made by the endpoint predictor (explainability).
    pub endpoint_requests: usize,
    /// Metrics with a value and without one (bias metrics; labels for explainability).
    #[serde(default)]
    pub metrics_computed: usize,
    #[serde(default)]
    pub metrics_not_computed: usize,
    /// Metrics compared with the baseline, and not (both 0 without a baseline).
    #[serde(default)]
    pub metrics_checked: usize,
    #[serde(default)]
    pub metrics_not_checked: usize,
}

/// Where an execution's files are (full addresses).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outputs {
    pub analysis: Option<String>,
    pub constraint_violations: Option<String>,
    /// The local metrics sink (`cloudwatch_metrics.jsonl`).
    pub metrics: Option<String>,
    /// The execution's `report.html`.
    #[serde(default)]
    pub report: Option<String>,
    pub record: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionRecord {
    pub schedule: String,
    pub monitoring_type: MonitoringType,
    pub endpoint: String,
    #[serde(with = "rfc3339")]
    pub scheduled_time: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub window_start: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub window_end: DateTime<Utc>,
    pub status: Status,
    pub failure_reason: Option<String>,
    /// For a Failed execution: whether the daemon retries it. Records written before the
    /// field existed read as none, and their failures are retried as they were then.
    #[serde(default)]
    pub failure_class: Option<FailureClass>,
    /// 1 for the first execution at this scheduled time, +1 for each re-run (the daemon's
    /// retry policy reads it). Records written before it existed read as 1.
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    #[serde(with = "rfc3339")]
    pub started_at: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub finished_at: DateTime<Utc>,
    pub duration_seconds: f64,
    pub counts: Counts,
    /// The first malformed capture and ground-truth lines, as `location:line: reason`.
    pub malformed: Vec<String>,
    pub warnings: Vec<String>,
    /// Seconds per stage, in execution order.
    pub timings: OrderedMap<f64>,
    pub outputs: Outputs,
    pub metrics_destination: MetricsDestination,
    /// Whether every datum reached its destination. A publishing failure never changes
    /// `status`.
    pub metrics_published: bool,
    pub metrics_error: Option<String>,
    pub metrics_datums: usize,
    pub driftwatch_version: String,
}

fn first_attempt() -> u32 {
    1
}

impl ExecutionRecord {
    /// SageMaker's limit on `FailureReason`.
    pub const MAX_REASON: usize = 1024;

    /// Marks the record Failed with `reason` (clipped to SageMaker's limit) and its class.
    pub fn fail(&mut self, reason: &str, class: FailureClass) {
        self.status = Status::Failed;
        self.failure_reason = Some(clip_reason(reason));
        self.failure_class = Some(class);
    }

    /// Whether the daemon may run this scheduled time again after this record: a Failed
    /// execution whose failure is not known to be permanent.
    pub fn is_retryable_failure(&self) -> bool {
        self.status == Status::Failed && self.failure_class.is_none_or(FailureClass::is_retryable)
    }
}

/// A failure reason cut to SageMaker's 1,024 characters.
pub fn clip_reason(s: &str) -> String {
    if s.chars().count() <= ExecutionRecord::MAX_REASON {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(ExecutionRecord::MAX_REASON - 1).collect();
        out.push('…');
        out
    }
}

impl JsonFile for ExecutionRecord {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_serialize_as_sagemaker_names() {
        assert_eq!(
            serde_json::to_string(&Status::CompletedWithViolations).unwrap(),
            "\"CompletedWithViolations\""
        );
        assert!(Status::Completed.is_success() && !Status::Failed.is_success());
        assert_eq!(
            serde_json::to_string(&FailureClass::Permanent).unwrap(),
            "\"permanent\""
        );
    }

    #[test]
    fn reasons_are_clipped() {
        assert_eq!(clip_reason(&"x".repeat(2000)).chars().count(), 1024);
        assert_eq!(clip_reason("short"), "short");
    }

    #[test]
    fn old_records_read_with_defaults_and_times_are_typed() {
        let old = r#"{"schedule": "s", "monitoring_type": "ModelBias", "endpoint": "ep",
            "scheduled_time": "2024-01-19T12:00:00Z", "window_start": "2024-01-19T11:00:00Z",
            "window_end": "2024-01-19T12:00:00Z", "status": "Failed", "failure_reason": "x",
            "started_at": "2024-01-19T12:00:01Z", "finished_at": "2024-01-19T12:00:02Z",
            "duration_seconds": 1.0, "counts": {"capture_files": 0, "capture_bytes": 0,
            "capture_lines": 0, "capture_records": 0, "capture_outside_window": 0,
            "capture_malformed": 0, "ground_truth_files": 0, "ground_truth_records": 0,
            "ground_truth_malformed": 0, "records_merged": 0, "unmatched_captures": 0,
            "unmatched_labels": 0, "violations": 0, "endpoint_requests": 0},
            "malformed": [], "warnings": [], "timings": {"config": 0.5},
            "outputs": {"analysis": null, "constraint_violations": null, "metrics": null, "record": "r"},
            "metrics_destination": "local", "metrics_published": true, "metrics_error": null,
            "metrics_datums": 0, "driftwatch_version": "0.1.0"}"#;
        let mut r = ExecutionRecord::from_json(old.as_bytes()).unwrap();
        assert_eq!((r.attempt, r.failure_class), (1, None));
        assert!(
            r.is_retryable_failure(),
            "unclassified failures keep being retried"
        );
        assert_eq!(r.scheduled_time.timestamp(), 1_705_665_600);
        r.fail("bad config", FailureClass::Permanent);
        assert!(!r.is_retryable_failure());
        let text = String::from_utf8(r.to_json_bytes()).unwrap();
        assert!(text.contains("\"failure_class\": \"permanent\""), "{text}");
        assert!(text.contains("\"scheduled_time\": \"2024-01-19T12:00:00Z\""));
        assert!(ExecutionRecord::from_json(text.replace("12:00:00Z", "noon").as_bytes()).is_err());
    }
}
