//! Writing an analysis into an output folder: the per-record SHAP values, analysis.json, and
//! constraint_violations.json — or, when nothing violated, removing a stale one from an
//! earlier run in the same folder, which would report violations this run does not have.

use super::MonitorOutput;
use crate::sagemaker::JsonFile;
use crate::sagemaker::layout::{ANALYSIS_FILE, VIOLATIONS_FILE};
use crate::store::{ObjectStore, StoreError, join_key};

/// A file that could not be written (or a stale one that could not be removed).
#[derive(Debug, thiserror::Error)]
#[error("{action} {file}: {source}")]
pub struct WriteError {
    pub action: &'static str,
    pub file: &'static str,
    pub source: StoreError,
}

/// Where the files went (full addresses).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Written {
    pub analysis: String,
    pub violations: Option<String>,
    pub local_shap: Option<String>,
}

/// Writes `bytes` as `name` in `folder`; returns its address.
pub async fn write_file<S: ObjectStore>(
    store: &S,
    folder: &str,
    name: &'static str,
    bytes: Vec<u8>,
) -> Result<String, WriteError> {
    let key = join_key(folder, name);
    store.put(&key, bytes).await.map_err(|source| WriteError {
        action: "writing",
        file: name,
        source,
    })?;
    Ok(store.describe(&key))
}

/// Writes constraint_violations.json when there are violations (its address), else removes a
/// stale one an earlier run left in the folder.
pub async fn write_violations<S: ObjectStore>(
    store: &S,
    folder: &str,
    violations: Option<Vec<u8>>,
) -> Result<Option<String>, WriteError> {
    match violations {
        Some(bytes) => write_file(store, folder, VIOLATIONS_FILE, bytes)
            .await
            .map(Some),
        None => store
            .delete(&join_key(folder, VIOLATIONS_FILE))
            .await
            .map(|()| None)
            .map_err(|source| WriteError {
                action: "removing a stale",
                file: VIOLATIONS_FILE,
                source,
            }),
    }
}

pub async fn write_outputs<S: ObjectStore>(
    store: &S,
    folder: &str,
    output: &MonitorOutput,
) -> Result<Written, WriteError> {
    let local_shap = match &output.local_shap {
        Some(l) => Some(write_file(store, folder, l.file, l.text.clone().into_bytes()).await?),
        None => None,
    };
    Ok(Written {
        analysis: write_file(
            store,
            folder,
            ANALYSIS_FILE,
            output.analysis.to_json_bytes(),
        )
        .await?,
        violations: write_violations(
            store,
            folder,
            output.violations.as_ref().map(|v| v.to_json_bytes()),
        )
        .await?,
        local_shap,
    })
}
