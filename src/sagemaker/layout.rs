//! Where an execution's files go: SageMaker's layout
//! `{output}/{endpoint}/{schedule}/yyyy/mm/dd/hh/` (hh = the scheduled time's hour), and the
//! files' names.

use chrono::{DateTime, Datelike, Timelike, Utc};

pub const ANALYSIS_FILE: &str = "analysis.json";
pub const VIOLATIONS_FILE: &str = "constraint_violations.json";
/// Per-record SHAP values, as Clarify names them (`save_local_shap_values`).
pub const LOCAL_SHAP_FILE: &str = "explanations_shap/out.csv";
/// A text analysis's per-record values (one JSON object per line, units with their offsets).
pub const LOCAL_TEXT_SHAP_FILE: &str = "explanations_shap/out.jsonl";
/// The execution record (driftwatch's own; SageMaker keeps this in its API).
pub const RECORD_FILE: &str = "execution.json";
/// The local metrics sink: the datums published, as JSON lines.
pub const METRICS_FILE: &str = "cloudwatch_metrics.jsonl";
/// An execution's HTML report.
pub const REPORT_FILE: &str = "report.html";
/// A schedule's dashboard page, beside its dated folders; and the overview page at the
/// output location's root.
pub const INDEX_FILE: &str = "index.html";
/// A schedule's dashboard data (driftwatch's own), beside its dated folders.
pub const DASHBOARD_FILE: &str = "dashboard.json";
/// The overview's data (driftwatch's own), at the output location's root.
pub const OVERVIEW_FILE: &str = "overview.json";

/// A data-quality execution's profile of its window (the monitor's analysis file).
pub const STATISTICS_FILE: &str = "statistics.json";

/// A model-quality execution's constraints suggested from its window (the container writes
/// one beside its statistics).
pub const CONSTRAINTS_FILE: &str = "constraints.json";

/// The files an execution's analysis produces; a failed execution leaves none of them.
pub const ANALYSIS_OUTPUTS: [&str; 7] = [
    ANALYSIS_FILE,
    STATISTICS_FILE,
    CONSTRAINTS_FILE,
    VIOLATIONS_FILE,
    LOCAL_SHAP_FILE,
    LOCAL_TEXT_SHAP_FILE,
    REPORT_FILE,
];

/// `{endpoint}/{schedule}`: a schedule's folder under its output location.
pub fn schedule_root(endpoint: &str, schedule: &str) -> String {
    format!("{endpoint}/{schedule}")
}

/// The folder of the execution at `t`, relative to the output location. Sub-hour cadences
/// (beyond SageMaker) run several times an hour, so their folders add the minute
/// (`…/hh/mm`) instead of overwriting each other.
pub fn execution_folder(
    endpoint: &str,
    schedule: &str,
    t: DateTime<Utc>,
    per_minute: bool,
) -> String {
    let base = format!(
        "{}/{:04}/{:02}/{:02}/{:02}",
        schedule_root(endpoint, schedule),
        t.year(),
        t.month(),
        t.day(),
        t.hour()
    );
    if per_minute {
        format!("{base}/{:02}", t.minute())
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sagemaker_layout() {
        let t = crate::sagemaker::time::parse_utc("2024-01-09T05:15:00Z").unwrap();
        assert_eq!(execution_folder("ep", "s", t, false), "ep/s/2024/01/09/05");
        assert_eq!(
            execution_folder("ep", "s", t, true),
            "ep/s/2024/01/09/05/15"
        );
    }
}
