//! The execution record (`execution.json` beside the outputs): what ran, on which window, how
//! it ended and why, with counts, warnings and timings. The daemon's ledger is made of these.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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
    pub capture_malformed: usize,
    pub ground_truth_files: usize,
    pub ground_truth_records: usize,
    pub ground_truth_malformed: usize,
    pub records_merged: usize,
    pub unmatched_captures: usize,
    pub unmatched_labels: usize,
    pub violations: usize,
    /// InvokeEndpoint requests made by the endpoint predictor (explainability).
    pub endpoint_requests: usize,
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
    /// `ModelBias` or `ModelExplainability` (SageMaker's `MonitoringType`).
    pub monitoring_type: String,
    pub endpoint: String,
    pub scheduled_time: String,
    pub window_start: String,
    pub window_end: String,
    pub status: Status,
    pub failure_reason: Option<String>,
    /// 1 for the first execution at this scheduled time, +1 for each re-run (the daemon's
    /// retry policy reads it). Records written before it existed read as 1.
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    pub started_at: String,
    pub finished_at: String,
    pub duration_seconds: f64,
    pub counts: Counts,
    /// The first malformed capture and ground-truth lines, as `location:line: reason`.
    pub malformed: Vec<String>,
    pub warnings: Vec<String>,
    /// Seconds per stage, in execution order.
    pub timings: Map<String, Value>,
    pub outputs: Outputs,
    /// Where metrics were published: `cloudwatch` (and the local file) or `local`.
    pub metrics_destination: String,
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

    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut b = serde_json::to_vec_pretty(self).unwrap_or_default();
        b.push(b'\n');
        b
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
    }

    #[test]
    fn reasons_are_clipped() {
        assert_eq!(clip_reason(&"x".repeat(2000)).chars().count(), 1024);
        assert_eq!(clip_reason("short"), "short");
    }
}
