//! Where an execution's files go, and writing them: SageMaker's layout
//! `{output}/{endpoint}/{schedule}/yyyy/mm/dd/hh/` with `hh` the hour of the scheduled time.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde_json::Value;

use super::record::ExecutionRecord;
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
    ] {
        if let Err(e) = store.delete(&join_key(folder, name)).await {
            tracing::warn!(error = %e, "cannot remove {name} of a failed execution");
        }
    }
}
