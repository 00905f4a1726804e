//! `driftwatch analyze`: the Clarify processing-job equivalent (and the baselining job) —
//! a dataset and an analysis config in, analysis.json (and constraint_violations.json) out,
//! through the same monitors, input readers and writer as every execution.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::aws::AwsClients;
use crate::config::analysis::ColumnRef;
use crate::config::check::CheckConfig;
use crate::config::{self, InvalidDocument, Location, Purpose, SageMakerName};
use crate::dataset::{self, DatasetError};
use crate::monitor::bias::{AbsentLabel, BiasRequest, monitor_bias};
use crate::monitor::explainability::{ExplainRequest, monitor_explainability, rows_from_frame};
use crate::monitor::inputs::{ModelSource, baseline, shap_config};
use crate::monitor::predictions::add_model_predictions;
use crate::monitor::time_series::TimeSeriesOutput;
use crate::monitor::write::{WriteError, write_outputs};
use crate::monitor::{MonitorError, MonitorOutput};
use crate::report::analysis_html;
use crate::sagemaker::layout::{ANALYSIS_FILE, VIOLATIONS_FILE};
use crate::store::{LocalDir, ObjectStore};

mod image;
mod text;
mod time_series;
pub use time_series::MAX_TIME_SERIES_DATASET_BYTES;

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
    pub analysed: Analysed,
    /// Wall time per stage (load, metrics, shap, write), for logs and benchmarks.
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

/// Which kind of analysis ran.
#[derive(Debug)]
pub enum Analysed {
    /// Bias, SHAP and PDP: one analysis.json from the monitors.
    Monitors(Box<MonitorOutput>),
    /// Asymmetric Shapley values of a forecasting model.
    TimeSeries(TimeSeriesOutput),
    /// Kernel SHAP over an image model's superpixels.
    Image(crate::monitor::image::ImageOutput),
    /// Kernel SHAP over a text model's units (and the numeric features beside them).
    Text(Box<crate::monitor::text::TextOutput>),
}

impl AnalyzeOutcome {
    /// An outcome of the load → explain → write stages (each logged), from when each ended.
    fn staged(
        analysed: Analysed,
        loaded: std::time::Duration,
        explained: std::time::Duration,
        total: std::time::Duration,
    ) -> Self {
        let timings = vec![
            ("load", loaded),
            ("explain", explained),
            ("write", total.saturating_sub(loaded + explained)),
        ];
        for (stage, t) in &timings {
            tracing::info!(stage = *stage, seconds = t.as_secs_f64(), "analyze stage");
        }
        Self { analysed, timings }
    }

    pub fn warnings(&self) -> &[String] {
        match &self.analysed {
            Analysed::Monitors(m) => &m.warnings,
            Analysed::TimeSeries(_) => &[],
            Analysed::Image(i) => &i.warnings,
            Analysed::Text(t) => &t.warnings,
        }
    }

    /// The one-line summary `analyze` prints.
    pub fn summary(&self, output: &Path) -> String {
        let m = match &self.analysed {
            Analysed::Monitors(m) => m,
            Analysed::Text(t) => {
                let n = &t.totals;
                let violations = match n.violations {
                    0 => String::new(),
                    v => format!("; {v} violations ({VIOLATIONS_FILE})"),
                };
                return format!(
                    "wrote {} and {}: {} records explained, {} not explained ({} units and features, {} coalitions in {} endpoint requests){violations}",
                    output.join(ANALYSIS_FILE).display(),
                    output.join(crate::sagemaker::text::LOCAL_KEY).display(),
                    n.explained,
                    n.records - n.explained,
                    n.players,
                    n.coalitions,
                    n.endpoint_requests
                );
            }
            Analysed::Image(i) => {
                let t = &i.totals;
                return format!(
                    "wrote {}: {} images explained, {} not explained ({} masked images in {} endpoint requests)",
                    output.join(ANALYSIS_FILE).display(),
                    i.explained.len(),
                    i.warnings.len(),
                    t.masked_images,
                    t.endpoint_requests
                );
            }
            Analysed::TimeSeries(t) => {
                let n = &t.totals;
                return format!(
                    "wrote {} and {}: {} items explained ({} with every admissible order, {} forecasts of {} steps in {} endpoint requests)",
                    output.join(ANALYSIS_FILE).display(),
                    output.join(&t.results_key).display(),
                    n.items,
                    n.exact_items,
                    n.forecasts,
                    n.horizon,
                    n.requests
                );
            }
        };
        let n = m.violation_count();
        let violations = if n == 0 {
            "no violations".to_string()
        } else {
            format!("{n} violations ({VIOLATIONS_FILE})")
        };
        format!(
            "wrote {}: {}; {} warnings; {violations}",
            output.join(ANALYSIS_FILE).display(),
            m.coverage.summary(),
            m.warnings.len()
        )
    }
}

/// Writes `files` into the output directory in order (analysis.json last, so it always sits
/// beside complete files); when one cannot be written, those already written are removed.
async fn write_files(
    output: &Path,
    files: Vec<(String, Vec<u8>)>,
    what: &'static str,
) -> Result<(), AnalyzeError> {
    let store = LocalDir::new(output.to_path_buf());
    let mut written: Vec<String> = Vec::new();
    for (key, bytes) in files {
        if let Err(source) = store.put(&key, bytes).await {
            for k in &written {
                let _ = store.delete(k).await;
            }
            return Err(AnalyzeError::Write {
                output: output.to_path_buf(),
                source: WriteError {
                    action: "writing",
                    file: what,
                    source,
                },
            });
        }
        written.push(key);
    }
    Ok(())
}

/// What to analyse, with what, and where the files go.
#[derive(Debug, Clone)]
pub struct AnalyzeRequest<'a> {
    pub dataset: &'a Path,
    pub config: &'a Path,
    pub output: &'a Path,
    /// A baseline analysis.json to check against.
    pub baseline: Option<&'a Path>,
    /// How the check judges (SageMaker's rule by default).
    pub check: CheckConfig,
    /// `--shadow-endpoint`: serves a `predictor.model_name` model.
    pub shadow_endpoint: Option<&'a SageMakerName>,
    /// `--facet-dataset` / `--predicted-label-dataset`: local copies of the config's
    /// `facet_dataset_uri` / `predicted_label_dataset_uri`.
    pub facet_dataset: Option<&'a Path>,
    pub predicted_label_dataset: Option<&'a Path>,
}

/// Where a side dataset is read from: the flag, else the config's location when it is a
/// path (relative to the config). An S3 URI needs the flag: `analyze` reads local files.
fn side_path(
    flag: Option<&Path>,
    side: Option<&crate::config::analysis::SideDataset>,
    key: &str,
    flag_name: &str,
    config: &Path,
) -> Result<Option<PathBuf>, AnalyzeError> {
    let Some(side) = side else {
        return match flag {
            Some(_) => Err(AnalyzeError::Dataset(DatasetError::Invalid {
                path: config.to_path_buf(),
                message: format!("{flag_name} is given but the analysis config has no {key}"),
            })),
            None => Ok(None),
        };
    };
    if let Some(f) = flag {
        return Ok(Some(f.to_path_buf()));
    }
    if side.uri.contains("://") {
        return Err(AnalyzeError::Dataset(DatasetError::Invalid {
            path: config.to_path_buf(),
            message: format!(
                "{key} {}: analyze reads local files; give a copy with {flag_name} FILE",
                side.uri
            ),
        }));
    }
    let base = config.parent().unwrap_or(Path::new("."));
    Ok(Some(base.join(&side.uri)))
}

/// Analyses the dataset as the config says and writes the files into the output directory.
/// Runs on the current tokio runtime (an endpoint predictor sends its requests there).
pub async fn analyze(
    req: &AnalyzeRequest<'_>,
    clients: &AwsClients,
) -> Result<AnalyzeOutcome, AnalyzeError> {
    let (dataset_path, config_path, output, baseline_path) =
        (req.dataset, req.config, req.output, req.baseline);
    let cfg = config::load_analysis_config(config_path, Purpose::Analyze)?;
    if let Some(ts) = &cfg.time_series {
        return time_series::analyze_time_series(req, &cfg, ts, clients).await;
    }
    if let Some(ia) = &cfg.image {
        return image::analyze_image(req, &cfg, ia, clients).await;
    }
    if let Some(text) = cfg
        .methods
        .as_ref()
        .and_then(|m| m.shap.as_ref())
        .and_then(|s| s.text.clone())
    {
        return text::analyze_text(req, &cfg, &text, clients).await;
    }
    let config_location = Location::Local(config_path.to_path_buf());
    let methods = cfg.methods.clone().unwrap_or_default();
    let explains = methods.shap.is_some() || methods.pdp.is_some();
    // Post-training bias without a predicted-label column: the model predicts (as Clarify
    // does when the config names a predictor).
    let predicts = methods.post_training_bias.is_some()
        && cfg.predicted_label.is_none()
        && cfg.predicted_label_dataset.is_none();
    let model = if explains || predicts {
        Some(
            ModelSource::resolve(&cfg, &config_location, req.shadow_endpoint, clients)
                .await
                .map_err(AnalyzeError::Input)?,
        )
    } else {
        None
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
    let sides = (
        side_path(
            req.facet_dataset,
            cfg.facet_dataset.as_ref(),
            "facet_dataset_uri",
            "--facet-dataset",
            config_path,
        )?,
        side_path(
            req.predicted_label_dataset,
            cfg.predicted_label_dataset.as_ref(),
            "predicted_label_dataset_uri",
            "--predicted-label-dataset",
            config_path,
        )?,
    );
    let has_sides = sides.0.is_some() || sides.1.is_some();
    let columns = if explains || predicts || cfg.requests_ft() || has_sides {
        dataset::Columns::All
    } else {
        dataset::Columns::BiasEngine
    };
    let dataset = dataset::load(dataset_path, &cfg, columns)?;
    let (dataset, side_columns) = dataset::side::with_sides(
        dataset,
        dataset_path,
        &cfg,
        dataset::side::SidePaths {
            facet: sides.0.as_deref(),
            predicted_label: sides.1.as_deref(),
        },
    )?;
    let mut bias_cfg = dataset.bias_config(&cfg).clone();
    // The predicted-label dataset's one column is the predicted label unless named.
    if cfg.predicted_label_dataset.is_some() && bias_cfg.predicted_label.is_none() {
        match side_columns.predicted_label.as_slice() {
            [one] => bias_cfg.predicted_label = Some(ColumnRef::Name(one.clone())),
            _ => {
                return Err(AnalyzeError::Dataset(DatasetError::Invalid {
                    path: config_path.to_path_buf(),
                    message: "predicted_label: name the predicted-label column of predicted_label_dataset_uri (it has several)".into(),
                }));
            }
        }
    }
    // The side datasets' columns are never model inputs.
    let mut cfg = cfg;
    cfg.excluded_columns.extend(
        [side_columns.facet, side_columns.predicted_label]
            .concat()
            .into_iter()
            .map(ColumnRef::Name),
    );
    let cfg = cfg;
    let mut frame = dataset.frame;
    lap("load");
    let in_dataset = |source: MonitorError| AnalyzeError::Analysis {
        dataset: dataset_path.to_path_buf(),
        source,
    };
    let predictor = match model {
        Some(model) => {
            let (names, _) = rows_from_frame(&frame, &cfg).map_err(in_dataset)?;
            Some(Arc::new(
                model
                    .predictor(names, cfg.extensions.max_endpoint_requests, clients)
                    .await
                    .map_err(AnalyzeError::Input)?,
            ))
        }
        None => None,
    };
    let mut predictions = None;
    if let (true, Some(p)) = (predicts, &predictor) {
        let (with, source) = add_model_predictions(frame, &cfg, p.clone())
            .await
            .map_err(in_dataset)?;
        frame = with;
        predictions = Some(source);
    }
    lap("predict");
    let bias = monitor_bias(BiasRequest {
        frame: &frame,
        weights: None,
        config: &bias_cfg,
        check: &req.check,
        predictions: predictions.as_ref(),
        baseline: baseline.as_ref(),
        absent_label: AbsentLabel::Error,
    })
    .map_err(in_dataset)?;
    let mut leading = dataset.warnings;
    if baseline.is_none() {
        leading.extend(bias.as_baseline_warnings());
    }
    lap("metrics");
    let explained = match (explains, predictor) {
        (true, Some(predictor)) => {
            let (names, rows) = rows_from_frame(&frame, &cfg).map_err(in_dataset)?;
            let shap = match &methods.shap {
                Some(s) => Some(
                    shap_config(s, &config_location, clients)
                        .await
                        .map_err(AnalyzeError::Input)?,
                ),
                None => None,
            };
            let explain =
                ExplainRequest::from_config(&cfg, rows, names, shap, predictor, &req.check);
            Some(
                monitor_explainability(explain, baseline.as_ref())
                    .await
                    .map_err(in_dataset)?,
            )
        }
        _ => None,
    };
    drop(frame);
    lap("explain");
    let result = MonitorOutput::assemble(leading, &req.check, Some(bias), explained);
    let store = LocalDir::new(output.to_path_buf());
    let write_err = |source| AnalyzeError::Write {
        output: output.to_path_buf(),
        source,
    };
    write_outputs(&store, "", &result)
        .await
        .map_err(write_err)?;
    // Clarify's `methods.report` (the SDK always adds one): the report, as `{name}.html`.
    if let Some(report) = &methods.report {
        let file = format!("{}.html", report.name);
        let html = analysis_html(
            &report.title,
            &dataset_path.display().to_string(),
            &result.analysis,
            baseline.as_ref(),
            result.violations.as_ref(),
        );
        store
            .put(&file, html.into_bytes())
            .await
            .map_err(|source| {
                write_err(WriteError {
                    action: "writing",
                    file: "the report",
                    source,
                })
            })?;
    }
    lap("write");
    for (stage, t) in &timings {
        tracing::info!(stage = *stage, seconds = t.as_secs_f64(), "analyze stage");
    }
    Ok(AnalyzeOutcome {
        analysed: Analysed::Monitors(Box::new(result)),
        timings,
    })
}
