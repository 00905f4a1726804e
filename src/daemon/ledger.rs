//! The ledger: the execution record (`execution.json`) of a schedule at a scheduled time.

use chrono::{DateTime, Utc};

use crate::aws::AwsClients;
use crate::config::Schedule;
use crate::sagemaker::layout::RECORD_FILE;
use crate::sagemaker::{ExecutionRecord, JsonFile};
use crate::store::{ObjectStore, Store, StoreError, keys_named};

pub use crate::execution::Entry;

/// The most recent record of `schedule`, whatever its scheduled time (folders sort by time).
pub async fn latest(
    schedule: &Schedule,
    clients: &AwsClients,
) -> Result<Option<ExecutionRecord>, StoreError> {
    let store = Store::open(&schedule.output, clients).await;
    let root = schedule.root();
    let records = keys_named(&store, &root, RECORD_FILE).await?;
    let Some(key) = records.into_iter().max() else {
        return Ok(None);
    };
    let bytes = store.get(&key).await?;
    Ok(ExecutionRecord::from_json(&bytes).ok())
}

/// Reads the record of `schedule` at `t`.
pub async fn lookup(
    schedule: &Schedule,
    t: DateTime<Utc>,
    clients: &AwsClients,
) -> Result<Entry, StoreError> {
    let store = Store::open(&schedule.output, clients).await;
    crate::execution::read_record(&store, &schedule.output_folder(t)).await
}
