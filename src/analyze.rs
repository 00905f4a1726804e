//! `driftwatch analyze`: the Clarify processing-job equivalent (and the baselining job) —
//! a dataset and an analysis config in, analysis.json (and constraint_violations.json) out,
//! through the same monitors, input readers and writer as every execution.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::aws::AwsClients;
use crate::config::{self, InvalidDocument, Location, Purpose};
use crate::dataset::{self, DatasetError};
use crate::monitor::bias::{AbsentLabel, BiasRequest};
use crate::monitor::explainability::{ShapRequest, rows_from_frame};
use crate::monitor::inputs::{ModelSource, baseline, shap_config};
use crate::monitor::write::{WriteError, write_outputs};
use crate::monitor::{MonitorError, MonitorOutput};
use crate::sagemaker::layout::{ANALYSIS_FILE, VIOLATIONS_FILE};
use crate::store::LocalDir;

#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error(transparent)]
    Config(#[from] InvalidDocument),
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// Reading the baseline or the model.
    #[error(transparent)]
    Input(MonitorError),
    /// The dataset cannot be analysed as configured.
    #[error("{}: {source}", dataset.display())]
    Analysis {
        dataset: PathBuf,
        source: MonitorError,
    },
    #[error("cannot write into {}: {source}", output.display())]
    Write { output: PathBuf, source: WriteError },
}

/// What an analysis produced (already written to disk).
#[derive(Debug)]
pub struct AnalyzeOutcome {
    pub output: MonitorOutput,
    /// Wall time per stage (load, metrics, shap, write), for logs and benchmarks.
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

impl AnalyzeOutcome {
    /// The one-line summary `analyze` prints.
    pub fn summary(&self, output: &Path) -> String {
        let n = self.output.violation_count();
        let violations = if n == 0 {
            "no violations".to_string()
        } else {
            format!("{n} violations ({VIOLATIONS_FILE})")
        };
        format!(
            "wrote {}: {} metrics computed, {} errored, {} warnings; {violations}",
            output.join(ANALYSIS_FILE).display(),
            self.output.metrics_computed,
            self.output.metrics_errored,
            self.output.warnings.len()
        )
    }
}

/// Analyses `dataset` as `config_path` says and writes the files into `output`. Runs on the
/// current tokio runtime (an endpoint predictor sends its requests there).
pub async fn analyze(
    dataset_path: &Path,
    config_path: &Path,
    output: &Path,
    baseline_path: Option<&Path>,
    clients: &AwsClients,
) -> Result<AnalyzeOutcome, AnalyzeError> {
    let cfg = config::load_analysis_config(config_path, Purpose::Analyze)?;
    let config_location = Location::Local(config_path.to_path_buf());
    let shap = cfg.methods.as_ref().and_then(|m| m.shap.clone());
    let model = match &shap {
        Some(_) => Some(
            ModelSource::resolve(&cfg, &config_location, clients)
                .await
                .map_err(AnalyzeError::Input)?,
        ),
        None => None,
    };
    let baseline = match baseline_path {
        Some(p) => Some(
            baseline("baseline", &Location::Local(p.to_path_buf()), clients)
                .await
                .map_err(AnalyzeError::Input)?,
        ),
        None => None,
    };
    let mut timings = Vec::new();
    let mut clock = std::time::Instant::now();
    let mut lap = |name: &'static str| {
        timings.push((name, clock.elapsed()));
        clock = std::time::Instant::now();
    };
    let frame = dataset::load(dataset_path, &cfg)?;
    lap("load");
    let in_dataset = |source: MonitorError| AnalyzeError::Analysis {
        dataset: dataset_path.to_path_buf(),
        source,
    };
    let bias = crate::monitor::bias::monitor_bias(BiasRequest {
        frame: &frame,
        config: &cfg,
        predictions: None,
        baseline: baseline.as_ref(),
        absent_label: AbsentLabel::Error,
    })
    .map_err(in_dataset)?;
    lap("metrics");
    let shap = match (shap, model) {
        (Some(shap), Some(model)) => {
            let (names, rows) = rows_from_frame(&frame, &cfg).map_err(in_dataset)?;
            let shap = shap_config(&shap, &config_location, clients)
                .await
                .map_err(AnalyzeError::Input)?;
            let predictor = model
                .predictor(names.clone(), cfg.extensions.max_endpoint_requests, clients)
                .await
                .map_err(AnalyzeError::Input)?;
            let req = ShapRequest::from_config(&cfg, rows, names, shap, Arc::new(predictor));
            Some(
                crate::monitor::explainability::monitor_explainability(req, baseline.as_ref())
                    .await
                    .map_err(in_dataset)?,
            )
        }
        _ => None,
    };
    drop(frame);
    lap("shap");
    let result = MonitorOutput::assemble(Vec::new(), Some(bias), shap);
    write_outputs(&LocalDir::new(output.to_path_buf()), "", &result)
        .await
        .map_err(|source| AnalyzeError::Write {
            output: output.to_path_buf(),
            source,
        })?;
    lap("write");
    for (stage, t) in &timings {
        tracing::info!(stage = *stage, seconds = t.as_secs_f64(), "analyze stage");
    }
    Ok(AnalyzeOutcome {
        output: result,
        timings,
    })
}
