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
