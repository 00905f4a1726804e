//! Reading a schedule's history from its ledger: every `execution.json` under its folder
//! and, for completed executions, their analysis files. Read-only.

use super::Identity;
use super::history::{Constraints, Execution, History};
use crate::sagemaker::data_quality::{DataViolations, Statistics};
use crate::sagemaker::layout::{
    ANALYSIS_FILE, RECORD_FILE, REPORT_FILE, STATISTICS_FILE, VIOLATIONS_FILE,
};
use crate::sagemaker::model_quality::ModelQualityStatistics;
use crate::sagemaker::{
    AnalysisDoc, ConstraintViolations, ExecutionRecord, JsonFile, MonitoringType,
};
use crate::store::{ObjectStore, Store, StoreError, join_key, keys_named};

/// Reads at most this many executions' files at once while rebuilding.
const PARALLEL_READS: usize = 16;

/// What one folder of the ledger holds.
struct Folder {
    record: ExecutionRecord,
    analysis: Option<AnalysisDoc>,
    violations: Option<ConstraintViolations>,
    /// A data-quality execution's files.
    statistics: Option<Statistics>,
    data_violations: Option<DataViolations>,
    /// A model-quality execution's statistics.
    quality: Option<ModelQualityStatistics>,
    /// The folder, relative to the schedule's.
    rel: String,
}

async fn read_folder(store: Store, root: String, record_key: String) -> Option<Folder> {
    let folder = record_key
        .strip_suffix(&format!("/{RECORD_FILE}"))?
        .to_string();
    let rel = folder
        .strip_prefix(&root)
        .unwrap_or(&folder)
        .trim_start_matches('/')
        .to_string();
    let record = match store
        .get(&record_key)
        .await
        .map(|b| ExecutionRecord::from_json(&b))
    {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            tracing::warn!(file = %store.describe(&record_key), error = %e, "unreadable record left out of the dashboard");
            return None;
        }
        Err(e) => {
            tracing::warn!(error = %e, "record left out of the dashboard");
            return None;
        }
    };
    let (mut analysis, mut violations) = (None, None);
    let (mut statistics, mut data_violations, mut quality) = (None, None, None);
    if record.status.is_success() && record.monitoring_type == MonitoringType::ModelQuality {
        if let Ok(b) = store.get(&join_key(&folder, STATISTICS_FILE)).await {
            quality = serde_json::from_slice(&b).ok();
        }
    } else if record.status.is_success() && record.monitoring_type == MonitoringType::DataQuality {
        if let Ok(b) = store.get(&join_key(&folder, STATISTICS_FILE)).await {
            statistics = serde_json::from_slice(&b).ok();
        }
        if let Ok(b) = store.get(&join_key(&folder, VIOLATIONS_FILE)).await {
            data_violations = serde_json::from_slice(&b).ok();
        }
    } else if record.status.is_success() {
        if let Ok(b) = store.get(&join_key(&folder, ANALYSIS_FILE)).await {
            analysis = AnalysisDoc::from_json(&b).ok();
        }
        if let Ok(b) = store.get(&join_key(&folder, VIOLATIONS_FILE)).await {
            violations = ConstraintViolations::from_json(&b).ok();
        }
    }
    Some(Folder {
        record,
        analysis,
        violations,
        statistics,
        data_violations,
        quality,
        rel,
    })
}

/// The history as the ledger has it: every record under the schedule's folder.
pub(super) async fn history(
    store: &Store,
    id: Identity<'_>,
    constraints: Constraints<'_>,
) -> Result<History, StoreError> {
    let root = id.root();
    let keys = keys_named(store, &root, RECORD_FILE).await?;
    let mut history = History::new(id.schedule, id.endpoint, id.monitoring_type);
    for chunk in keys.chunks(PARALLEL_READS) {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, k) in chunk.iter().enumerate() {
            let (store, root, k) = (store.clone(), root.clone(), k.clone());
            tasks.spawn(async move { (i, read_folder(store, root, k).await) });
        }
        let mut folders: Vec<(usize, Folder)> = Vec::new();
        while let Some(done) = tasks.join_next().await {
            if let Ok((i, Some(f))) = done {
                folders.push((i, f));
            }
        }
        folders.sort_by_key(|(i, _)| *i);
        for (_, f) in folders {
            let e = Execution {
                record: &f.record,
                analysis: f.analysis.as_ref(),
                violations: f.violations.as_ref(),
                data_quality: f
                    .statistics
                    .as_ref()
                    .map(|s| (s, f.data_violations.as_ref())),
                model_quality: f.quality.as_ref(),
                report: f
                    .record
                    .outputs
                    .report
                    .as_ref()
                    .map(|_| format!("{}/{REPORT_FILE}", f.rel)),
            };
            history.upsert(&e, constraints);
        }
    }
    Ok(history)
}
