//! The ledger: the execution record (`execution.json`) of a schedule at a scheduled time.

use chrono::{DateTime, Utc};

use crate::aws::AwsClients;
use crate::config::Schedule;
use crate::sagemaker::layout::{RECORD_FILE, schedule_root};
use crate::sagemaker::{ExecutionRecord, JsonFile};
use crate::store::{ObjectStore, Store, StoreError, join_key, keys_named};

/// What the ledger says about one scheduled time.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// No record: never ran (or never finished writing its record).
    Missing,
    /// A record that cannot be read as one: treated as not done, and reported.
    Unreadable(String),
    Recorded(Box<ExecutionRecord>),
}

impl Entry {
    /// Completed or CompletedWithViolations: nothing left to do.
    pub fn is_done(&self) -> bool {
        matches!(self, Self::Recorded(r) if r.status.is_success())
    }
}

/// The most recent record of `schedule`, whatever its scheduled time (folders sort by time).
pub async fn latest(
    schedule: &Schedule,
    clients: &AwsClients,
) -> Result<Option<ExecutionRecord>, StoreError> {
    let store = Store::open(&schedule.output, clients).await;
    let root = schedule_root(schedule.endpoint.as_str(), schedule.name.as_str());
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
    let key = join_key(&schedule.output_folder(t), RECORD_FILE);
    match store.get(&key).await {
        Ok(bytes) => Ok(match ExecutionRecord::from_json(&bytes) {
            Ok(r) => Entry::Recorded(Box::new(r)),
            Err(e) => Entry::Unreadable(format!("{}: {e}", store.describe(&key))),
        }),
        Err(e) if e.is_not_found() => Ok(Entry::Missing),
        Err(e) => Err(e),
    }
}
