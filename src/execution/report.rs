//! Writing an execution's `report.html` from the files it wrote (best effort: a report that
//! cannot be written is logged and left out of the record, never a failed execution).

use serde_json::Value;

use super::ExecutionRecord;
use crate::analyze::{ANALYSIS_FILE, VIOLATIONS_FILE};
use crate::aws::AwsClients;
use crate::config::Schedule;
use crate::report::{REPORT_FILE, execution_html};
use crate::store::{ObjectStore, Store, join_key};

async fn read_json(store: &Store, key: &str) -> Option<Value> {
    let bytes = store.get(key).await.ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Writes the report into `folder`; returns its address.
pub async fn write(
    schedule: &Schedule,
    store: &Store,
    folder: &str,
    record: &ExecutionRecord,
    clients: &AwsClients,
) -> Option<String> {
    let analysis = match &record.outputs.analysis {
        Some(_) => read_json(store, &join_key(folder, ANALYSIS_FILE)).await,
        None => None,
    };
    let violations = match &record.outputs.constraint_violations {
        Some(_) => read_json(store, &join_key(folder, VIOLATIONS_FILE)).await,
        None => None,
    };
    let baseline = match analysis {
        Some(_) => super::bias::baseline(schedule, clients)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let html = execution_html(
        record,
        analysis.as_ref(),
        baseline.as_ref(),
        violations.as_ref(),
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
