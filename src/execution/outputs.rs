//! The files of an execution folder that the execution itself owns: the record (the ledger
//! entry, written last) and the removal of analysis files a failed or stopped execution must
//! not leave behind.

use crate::sagemaker::layout::{ANALYSIS_OUTPUTS, RECORD_FILE};
use crate::sagemaker::{ExecutionRecord, JsonFile};
use crate::store::{ObjectStore, Store, StoreError, join_key};

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

/// The record of the execution folder `folder`: the one read of a ledger entry, for the
/// daemon's and backfill's decisions and for an execution's check once it holds its claim.
pub async fn read_record(store: &Store, folder: &str) -> Result<Entry, StoreError> {
    let key = join_key(folder, RECORD_FILE);
    match store.get(&key).await {
        Ok(bytes) => Ok(match ExecutionRecord::from_json(&bytes) {
            Ok(r) => Entry::Recorded(Box::new(r)),
            Err(e) => Entry::Unreadable(format!("{}: {e}", store.describe(&key))),
        }),
        Err(e) if e.is_not_found() => Ok(Entry::Missing),
        Err(e) => Err(e),
    }
}

/// Writes the record. Only this module writes records: they are the daemon's ledger.
pub(super) async fn write_record(
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
pub(super) async fn remove_analysis_files(store: &Store, folder: &str) {
    let mut failed: Vec<&str> = Vec::new();
    let mut first = None;
    for name in ANALYSIS_OUTPUTS {
        if let Err(e) = store.delete(&join_key(folder, name)).await {
            failed.push(name);
            first.get_or_insert(e);
        }
    }
    // One line for all of them: they fail for the same reason.
    if let Some(e) = first {
        tracing::warn!(error = %e, "cannot remove {} of a failed execution", failed.join(", "));
    }
}

/// Best effort: the shard folders (`_shards/{run}/`: plan, inputs, states) a failed or
/// cancelled execution may leave (a timeout drops the coordinator before it cleans up).
pub(super) async fn remove_shard_folders(store: &Store, folder: &str) {
    let dir = join_key(folder, "_shards");
    let objects = match store.list(&dir).await {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list the shard folders of a failed execution");
            return;
        }
    };
    for o in objects {
        if let Err(e) = store.delete(&o.key).await {
            tracing::warn!(error = %e, "cannot remove the shard folders of a failed execution");
            return;
        }
    }
}
