//! Writing an execution's `report.html` from the files it wrote (best effort: a report that
//! cannot be written is logged and left out of the record, never a failed execution).

use serde_json::Value;

use super::{ExecutionRecord, Written};
use crate::aws::AwsClients;
use crate::config::Schedule;
use crate::report::{REPORT_FILE, execution_html};
use crate::store::{ObjectStore, Store, join_key};

/// Writes the report into `folder` from what the execution wrote and the baseline its check
/// read; returns the report's address.
pub async fn write(
    store: &Store,
    folder: &str,
    record: &ExecutionRecord,
    written: Option<&Written>,
    baseline: Option<&Value>,
) -> Option<String> {
    let html = execution_html(
        record,
        written.map(|w| &w.analysis),
        baseline,
        written.and_then(|w| w.violations.as_ref()),
    );
    let key = join_key(folder, REPORT_FILE);
    match store.put(&key, html.into_bytes()).await {
        Ok(()) => Some(store.describe(&key)),
        Err(e) => {
            tracing::warn!(error = %e, "cannot write report.html");
            None
        }
    }
}

/// Writes the schedule's `index.html` (beside its dated folders) listing `records`: the
/// executions the caller knows of (the daemon: the look-back and everything since start).
pub async fn write_index(schedule: &Schedule, records: &[ExecutionRecord], clients: &AwsClients) {
    let store = Store::open(&schedule.output, clients).await;
    let root = format!("{}/{}", schedule.endpoint.as_str(), schedule.name.as_str());
    let html = crate::report::index_html(schedule.name.as_str(), records, |r| {
        let folder = crate::time::parse_utc(&r.scheduled_time)
            .map(|t| super::output_folder(schedule, t))
            .unwrap_or_default();
        let rel = folder
            .strip_prefix(&root)
            .unwrap_or(&folder)
            .trim_start_matches('/');
        format!("{rel}/{}", crate::report::REPORT_FILE)
    });
    let key = join_key(&root, crate::report::INDEX_FILE);
    if let Err(e) = store.put(&key, html.into_bytes()).await {
        tracing::warn!(schedule = schedule.name.as_str(), error = %e, "cannot write index.html");
    }
}
