//! The files of an execution folder that the execution itself owns: the record (the ledger
//! entry, written last) and the removal of analysis files a failed or stopped execution must
//! not leave behind.

use crate::sagemaker::layout::{ANALYSIS_OUTPUTS, RECORD_FILE};
use crate::sagemaker::{ExecutionRecord, JsonFile};
use crate::store::{ObjectStore, Store, StoreError, join_key};

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
