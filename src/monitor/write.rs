//! Writing an analysis into an output folder: the per-record SHAP values, analysis.json, and
//! constraint_violations.json — or, when nothing violated, removing a stale one from an
//! earlier run in the same folder, which would report violations this run does not have.

use super::MonitorOutput;
use crate::sagemaker::JsonFile;
use crate::sagemaker::layout::{ANALYSIS_FILE, LOCAL_SHAP_FILE, VIOLATIONS_FILE};
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

pub async fn write_outputs<S: ObjectStore>(
    store: &S,
    folder: &str,
    output: &MonitorOutput,
) -> Result<Written, WriteError> {
    let err = |action, file| {
        move |source| WriteError {
            action,
            file,
            source,
        }
    };
    let mut written = Written::default();
    if let Some(csv) = &output.local_shap_csv {
        let key = join_key(folder, LOCAL_SHAP_FILE);
        store
            .put(&key, csv.clone().into_bytes())
            .await
            .map_err(err("writing", LOCAL_SHAP_FILE))?;
        written.local_shap = Some(store.describe(&key));
    }
    let key = join_key(folder, ANALYSIS_FILE);
    store
        .put(&key, output.analysis.to_json_bytes())
        .await
        .map_err(err("writing", ANALYSIS_FILE))?;
    written.analysis = store.describe(&key);
    let key = join_key(folder, VIOLATIONS_FILE);
    match &output.violations {
        Some(v) => {
            store
                .put(&key, v.to_json_bytes())
                .await
                .map_err(err("writing", VIOLATIONS_FILE))?;
            written.violations = Some(store.describe(&key));
        }
        None => store
            .delete(&key)
            .await
            .map_err(err("removing a stale", VIOLATIONS_FILE))?,
    }
    Ok(written)
}
