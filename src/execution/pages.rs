//! Writing the HTML pages of executions: each execution's `report.html` (best effort: a
//! report that cannot be written is logged and left out of the record, never a failed
//! execution) and each schedule's `index.html`.

use crate::aws::AwsClients;
use crate::config::Schedule;
use crate::monitor::MonitorOutput;
use crate::report::{execution_html, index_html};
use crate::sagemaker::layout::{INDEX_FILE, REPORT_FILE, schedule_root};
use crate::sagemaker::{AnalysisDoc, ExecutionRecord};
use crate::store::{ObjectStore, Store, join_key};

/// Writes the report into `folder` from what the execution holds; returns its address.
pub(super) async fn write_report(
    store: &Store,
    folder: &str,
    record: &ExecutionRecord,
    output: Option<&MonitorOutput>,
    baseline: Option<&AnalysisDoc>,
    title: Option<&str>,
) -> Option<String> {
    let html = execution_html(
        record,
        output.map(|o| &o.analysis),
        baseline,
        output.and_then(|o| o.violations.as_ref()),
        title,
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
    let root = schedule_root(schedule.endpoint.as_str(), schedule.name.as_str());
    let html = index_html(schedule.name.as_str(), records, |r| {
        let folder = schedule.output_folder(r.scheduled_time);
        let rel = folder
            .strip_prefix(&root)
            .unwrap_or(&folder)
            .trim_start_matches('/');
        format!("{rel}/{REPORT_FILE}")
    });
    let key = join_key(&root, INDEX_FILE);
    if let Err(e) = store.put(&key, html.into_bytes()).await {
        tracing::warn!(schedule = schedule.name.as_str(), error = %e, "cannot write index.html");
    }
}
