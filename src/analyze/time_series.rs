//! `analyze` for a forecasting model: the dataset read as one JSON document, explained, and
//! its files written (results, report, then analysis.json).

use super::{Analysed, AnalyzeError, AnalyzeOutcome, AnalyzeRequest};
use crate::aws::AwsClients;
use crate::config;
use crate::dataset::DatasetError;
use crate::monitor::time_series::monitor_time_series;
use crate::monitor::write::WriteError;
use crate::report::time_series_html;
use crate::sagemaker::layout::ANALYSIS_FILE;
use crate::store::{LocalDir, ObjectStore};

/// Most bytes a time-series dataset may have (it is parsed as one JSON document).
pub const MAX_TIME_SERIES_DATASET_BYTES: u64 = 1 << 30;

/// A forecasting model explained: the dataset parsed as one JSON document, the items
/// explained, then `asymmetric_shapley_value/<granularity>_<direction>/out.jsonl` and
/// analysis.json written (in that order, so an analysis.json always points at a whole
/// results file; nothing is written when the explanation fails).
pub(super) async fn analyze_time_series(
    req: &AnalyzeRequest<'_>,
    cfg: &config::AnalysisConfig,
    ts: &config::analysis::time_series::TimeSeriesAnalysis,
    clients: &AwsClients,
) -> Result<AnalyzeOutcome, AnalyzeError> {
    let started = std::time::Instant::now();
    let path = req.dataset;
    let unreadable = |source| DatasetError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > MAX_TIME_SERIES_DATASET_BYTES {
        return Err(DatasetError::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "{size} bytes; a time-series dataset is read as one JSON document of at most {MAX_TIME_SERIES_DATASET_BYTES} bytes"
            ),
        }
        .into());
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    let doc: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| DatasetError::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "not a JSON document (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        })?;
    drop(bytes);
    let loaded = started.elapsed();
    let out = monitor_time_series(&doc, cfg, ts, req.shadow_endpoint, clients)
        .await
        .map_err(|source| AnalyzeError::Analysis {
            dataset: path.to_path_buf(),
            source,
        })?;
    let explained = started.elapsed() - loaded;
    let store = LocalDir::new(req.output.to_path_buf());
    let write_err = |file: &'static str, source| AnalyzeError::Write {
        output: req.output.to_path_buf(),
        source: WriteError {
            action: "writing",
            file,
            source,
        },
    };
    store
        .put(&out.results_key, out.results())
        .await
        .map_err(|e| write_err("the asymmetric Shapley values", e))?;
    // driftwatch's addition (Clarify writes no report for time series): the page of heat
    // maps, as `{methods.report.name}.html`, before analysis.json.
    let report = cfg.methods.as_ref().and_then(|m| m.report.as_ref());
    if let Some(r) = report {
        let html = time_series_html(
            &r.title,
            &path.display().to_string(),
            out.direction,
            out.granularity,
            &out.lines,
        );
        if let Err(e) = store
            .put(&format!("{}.html", r.name), html.into_bytes())
            .await
        {
            let _ = store.delete(&out.results_key).await;
            return Err(write_err("the report", e));
        }
    }
    let analysis = out.analysis(&req.output.display().to_string());
    let text = serde_json::to_vec_pretty(&analysis).unwrap_or_default();
    if let Err(e) = store.put(ANALYSIS_FILE, text).await {
        // No results file without the analysis that points at it.
        let _ = store.delete(&out.results_key).await;
        if let Some(r) = report {
            let _ = store.delete(&format!("{}.html", r.name)).await;
        }
        return Err(write_err("analysis.json", e));
    }
    Ok(AnalyzeOutcome::staged(
        Analysed::TimeSeries(out),
        loaded,
        explained,
        started.elapsed(),
    ))
}
