//! Where an execution's files go, and writing them: SageMaker's layout
//! `{output}/{endpoint}/{schedule}/yyyy/mm/dd/hh/` with `hh` the hour of the scheduled time.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::Value;

use super::record::{ExecutionRecord, Outputs, Status};
use crate::analyze::{ANALYSIS_FILE, VIOLATIONS_FILE};
use crate::config::Schedule;
use crate::schedule::cadence::Cadence;
use crate::store::{ObjectStore, Store, StoreError, join_key};

/// The execution record's file name (driftwatch's own; SageMaker keeps this in its API).
pub const RECORD_FILE: &str = "execution.json";

/// The output folder of `schedule` at `t`, relative to its output location. Sub-hour
/// cadences (beyond SageMaker) run several times an hour, so their folders add the minute
/// (`…/hh/mm/`) instead of overwriting each other.
pub fn output_folder(schedule: &Schedule, t: DateTime<Utc>) -> String {
    let base = format!(
        "{}/{}/{:04}/{:02}/{:02}/{:02}",
        schedule.endpoint.as_str(),
        schedule.name.as_str(),
        t.year(),
        t.month(),
        t.day(),
        t.hour()
    );
    match schedule.cadence {
        Cadence::EveryMinutes(_) => format!("{base}/{:02}", t.minute()),
        _ => base,
    }
}

pub fn json_bytes(v: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(v).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

pub async fn write_record(
    store: &Store,
    folder: &str,
    record: &ExecutionRecord,
) -> Result<(), StoreError> {
    store
        .put(&join_key(folder, RECORD_FILE), record.to_json_bytes())
        .await
}

/// Best effort: a failed execution must not leave analysis files (its own, or stale ones from
/// an earlier attempt) that contradict its record.
pub async fn remove_analysis_files(store: &Store, folder: &str) {
    for name in [
        ANALYSIS_FILE,
        VIOLATIONS_FILE,
        super::explain::LOCAL_SHAP_FILE,
        crate::report::REPORT_FILE,
    ] {
        if let Err(e) = store.delete(&join_key(folder, name)).await {
            tracing::warn!(error = %e, "cannot remove {name} of a failed execution");
        }
    }
}

/// Writes an analysis and, when something violated, its constraint_violations.json (removing
/// a stale one from an earlier attempt at this T otherwise); keeps both in `p.written` for
/// the report. Returns the status they mean.
pub async fn write_analysis(
    store: &Store,
    folder: &str,
    analysis: Value,
    violations: Option<Value>,
    p: &mut super::Progress,
) -> Result<Status, String> {
    let status = write_files(
        store,
        folder,
        &analysis,
        violations.as_ref(),
        &mut p.outputs,
    )
    .await?;
    p.written = Some(super::Written {
        analysis,
        violations,
    });
    Ok(status)
}

async fn write_files(
    store: &Store,
    folder: &str,
    analysis: &Value,
    violations: Option<&Value>,
    outputs: &mut Outputs,
) -> Result<Status, String> {
    let analysis_key = join_key(folder, ANALYSIS_FILE);
    let violations_key = join_key(folder, VIOLATIONS_FILE);
    store
        .put(&analysis_key, json_bytes(analysis))
        .await
        .map_err(|e| format!("writing {ANALYSIS_FILE}: {e}"))?;
    outputs.analysis = Some(store.describe(&analysis_key));
    match violations {
        None => {
            store
                .delete(&violations_key)
                .await
                .map_err(|e| format!("removing a stale {VIOLATIONS_FILE}: {e}"))?;
            Ok(Status::Completed)
        }
        Some(v) => {
            store
                .put(&violations_key, json_bytes(v))
                .await
                .map_err(|e| format!("writing {VIOLATIONS_FILE}: {e}"))?;
            outputs.constraint_violations = Some(store.describe(&violations_key));
            Ok(Status::CompletedWithViolations)
        }
    }
}
