//! `driftwatch analyze`: the Clarify processing-job equivalent (and the baselining job) —
//! a dataset and an analysis config in, analysis.json (and constraint_violations.json) out.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::bias::{self, BiasAnalysis, BiasError};
use crate::check::attribution_drift::{self, AttributionViolation};
use crate::check::bias_drift::{self, BiasViolation};
use crate::config::analysis::{AnalysisConfig, ShapBaseline, ShapConfig};
use crate::config::{self, InvalidDocument, Purpose};
use crate::dataset::{self, DatasetError};
use crate::explain::endpoint::EndpointPredictor;
use crate::explain::model::InProcessModel;
use crate::explain::predictor::Predictor;
use crate::explain::run::{ShapResult, baseline_file_rows, run_shap};
use crate::output::analysis_json::bias_analysis_json;
use crate::output::atomic::write_atomic;

pub const ANALYSIS_FILE: &str = "analysis.json";
pub const VIOLATIONS_FILE: &str = "constraint_violations.json";

#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error(transparent)]
    Config(#[from] InvalidDocument),
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("{dataset}: {source}")]
    Bias { dataset: PathBuf, source: BiasError },
    #[error("baseline {path}: {message}")]
    Baseline { path: PathBuf, message: String },
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "{dataset}: label_values_or_threshold {values} matches no row of label column {label:?} (its values include: {examples})"
    )]
    LabelValuesAbsent {
        dataset: PathBuf,
        values: String,
        label: String,
        examples: String,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What an analysis produced (already written to disk).
#[derive(Debug)]
pub struct AnalyzeOutcome {
    pub analysis: BiasAnalysis,
    pub analysis_json: Value,
    pub violations: Vec<BiasViolation>,
    pub attribution_violations: Vec<AttributionViolation>,
    /// The Kernel SHAP result, when the config asks for `methods.shap`.
    pub shap: Option<ShapResult>,
    pub warnings: Vec<String>,
    /// Wall time per stage (load, metrics, check, write), for logs and benchmarks.
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

impl AnalyzeOutcome {
    /// The one-line summary `analyze` prints.
    pub fn summary(&self, output: &Path) -> String {
        let (mut computed, mut errored) = (0, 0);
        for stage in [&self.analysis.pre_training, &self.analysis.post_training]
            .into_iter()
            .flatten()
        {
            for (_, entries) in &stage.facets {
                for e in entries {
                    for m in &e.metrics {
                        if m.value.is_ok() {
                            computed += 1
                        } else {
                            errored += 1
                        }
                    }
                }
            }
        }
        let n = self.violations.len() + self.attribution_violations.len();
        let violations = if n == 0 {
            "no violations".to_string()
        } else {
            format!("{n} violations ({VIOLATIONS_FILE})")
        };
        format!(
            "wrote {}: {computed} metrics computed, {errored} errored, {} warnings; {violations}",
            output.join(ANALYSIS_FILE).display(),
            self.warnings.len()
        )
    }
}

/// Loads a baseline analysis.json.
pub fn read_baseline(path: &Path) -> Result<Value, AnalyzeError> {
    let bad = |message: String| AnalyzeError::Baseline {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read: {e}")))?;
    let v: Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(bad("is not an analysis.json object".into()));
    }
    Ok(v)
}

pub fn analyze(
    dataset_path: &Path,
    config_path: &Path,
    output: &Path,
    baseline: Option<&Path>,
) -> Result<AnalyzeOutcome, AnalyzeError> {
    let cfg = config::load_analysis_config(config_path, Purpose::Analyze)?;
    let model = match cfg.methods.as_ref().and_then(|m| m.shap.as_ref()) {
        None => None,
        Some(_) => Some(predictor(&cfg, config_path)?),
    };
    let baseline = baseline.map(read_baseline).transpose()?;
    let mut timings = Vec::new();
    let mut clock = std::time::Instant::now();
    let mut lap = |name: &'static str| {
        timings.push((name, clock.elapsed()));
        clock = std::time::Instant::now();
    };
    let frame = dataset::load(dataset_path, &cfg)?;
    lap("load");
    let analysis = bias::run_bias(&frame, &cfg, None).map_err(|source| AnalyzeError::Bias {
        dataset: dataset_path.to_path_buf(),
        source,
    })?;
    lap("metrics");
    // A categorical label value that occurs nowhere in a dataset is a configuration mistake
    // (a threshold that selects nothing is reported as a warning instead, as smclarify
    // computes metrics for it).
    let label_is_categorical = analysis
        .types
        .iter()
        .any(|(r, t)| r == "label" && *t == crate::config::analysis::ColumnType::Categorical);
    if label_is_categorical && analysis.label_positives == Some(0) {
        return Err(AnalyzeError::LabelValuesAbsent {
            dataset: dataset_path.to_path_buf(),
            values: crate::bias::select::joined(
                cfg.label_values_or_threshold.as_deref().unwrap_or_default(),
            ),
            label: analysis
                .pre_training
                .as_ref()
                .or(analysis.post_training.as_ref())
                .map(|s| s.label.clone())
                .unwrap_or_default(),
            examples: analysis.label_examples.join(", "),
        });
    }
    let shap = match (&model, cfg.methods.as_ref().and_then(|m| m.shap.as_ref())) {
        (Some((model, _runtime)), Some(shap)) => Some(
            explain(
                &frame,
                &cfg,
                shap,
                model,
                config_path.parent().unwrap_or_else(|| Path::new(".")),
            )
            .map_err(|e| {
                AnalyzeError::Unsupported(format!("{}: Kernel SHAP: {e}", dataset_path.display()))
            })?,
        ),
        _ => None,
    };
    lap("shap");
    let has_bias = analysis.pre_training.is_some() || analysis.post_training.is_some();
    let check = match &baseline {
        Some(b) if has_bias => bias_drift::check(&bias_analysis_json(&analysis, &[]), b),
        _ => Default::default(),
    };
    let attribution = match (&baseline, &shap) {
        (Some(b), Some(r)) => attribution_drift::check(
            &r.analysis_json(),
            b,
            cfg.extensions
                .ndcg_threshold
                .unwrap_or(attribution_drift::DEFAULT_THRESHOLD),
        ),
        _ => Default::default(),
    };
    lap("check");
    let mut all_warnings = check.warnings.clone();
    all_warnings.extend(attribution.warnings.iter().cloned());
    let mut analysis_json = bias_analysis_json(&analysis, &all_warnings);
    if let (Some(r), Some(obj)) = (&shap, analysis_json.as_object_mut()) {
        let driftwatch = obj.remove("driftwatch");
        obj.insert(
            "explanations".into(),
            r.analysis_json()["explanations"].clone(),
        );
        if let Some(d) = driftwatch {
            obj.insert("driftwatch".into(), d);
        }
        if r.save_local {
            let csv = r.result.local_csv();
            write_atomic(&output.join("explanations_shap/out.csv"), csv.as_bytes()).map_err(
                |source| AnalyzeError::Write {
                    path: output.join("explanations_shap/out.csv"),
                    source,
                },
            )?;
        }
    }
    let mut warnings = analysis.warnings.clone();
    warnings.extend(all_warnings);
    write_json(&output.join(ANALYSIS_FILE), &analysis_json)?;
    let violations_path = output.join(VIOLATIONS_FILE);
    if check.violations.is_empty() && attribution.violations.is_empty() {
        // A stale file from an earlier run would report violations this run does not have.
        if violations_path.exists() {
            std::fs::remove_file(&violations_path).map_err(|source| AnalyzeError::Write {
                path: violations_path.clone(),
                source,
            })?;
        }
    } else {
        let mut list = Vec::new();
        for v in &check.violations {
            list.push(serde_json::to_value(v).unwrap_or_default());
        }
        for v in &attribution.violations {
            list.push(serde_json::to_value(v).unwrap_or_default());
        }
        write_json(
            &violations_path,
            &serde_json::json!({"version": "1.0", "violations": list}),
        )?;
    }
    lap("write");
    for (stage, t) in &timings {
        tracing::info!(stage = *stage, seconds = t.as_secs_f64(), "analyze stage");
    }
    Ok(AnalyzeOutcome {
        analysis,
        analysis_json,
        violations: check.violations,
        attribution_violations: attribution.violations,
        shap: shap.map(|s| s.result),
        warnings,
        timings,
    })
}

/// The in-process model named by `driftwatch.model` (relative to the config's directory).
fn load_model(cfg: &AnalysisConfig, config_path: &Path) -> Result<InProcessModel, AnalyzeError> {
    let unsupported =
        |m: String| AnalyzeError::Unsupported(format!("{}: {m}", config_path.display()));
    let spec = cfg.extensions.model.as_deref().ok_or_else(|| {
        unsupported(
            "methods.shap needs driftwatch.model (an in-process model file); calling the predictor endpoint is not available in this version yet".into(),
        )
    })?;
    let base = config_path.parent().unwrap_or_else(|| Path::new("."));
    let path = match crate::config::Location::parse(spec, base) {
        Ok(crate::config::Location::Local(p)) => p,
        Ok(other) => {
            return Err(unsupported(format!(
                "driftwatch.model: {other}: analyze reads local model files only"
            )));
        }
        Err(e) => return Err(unsupported(format!("driftwatch.model: {e}"))),
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        unsupported(format!(
            "driftwatch.model: cannot read {}: {e}",
            path.display()
        ))
    })?;
    InProcessModel::from_json(&text, &path.display().to_string())
        .map_err(|e| unsupported(e.to_string()))
}

struct ShapOutcome {
    result: ShapResult,
    save_local: bool,
}

impl ShapOutcome {
    fn analysis_json(&self) -> Value {
        self.result.analysis_json()
    }
}

/// Kernel SHAP over the dataset's feature columns: every column but the label, the predicted
/// label and `excluded_columns`.
/// The model to explain: `driftwatch.model`, else the endpoint in `predictor.endpoint_name`
/// (called through the SageMaker runtime API on a runtime of its own).
fn predictor(
    cfg: &AnalysisConfig,
    config_path: &Path,
) -> Result<(Predictor, Option<tokio::runtime::Runtime>), AnalyzeError> {
    if cfg.extensions.model.is_some() {
        return Ok((Predictor::InProcess(load_model(cfg, config_path)?), None));
    }
    let unsupported =
        |m: String| AnalyzeError::Unsupported(format!("{}: {m}", config_path.display()));
    let pc = cfg
        .predictor
        .as_ref()
        .filter(|p| p.endpoint_name.is_some())
        .ok_or_else(|| {
            unsupported(
                "methods.shap needs driftwatch.model (an in-process model file) or predictor.endpoint_name".into(),
            )
        })?;
    let names = cfg.headers.clone().ok_or_else(|| {
        unsupported("headers (the feature names) are required to call an endpoint".into())
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| unsupported(format!("cannot start the async runtime: {e}")))?;
    let client =
        runtime.block_on(async { crate::aws::AwsClients::new().sagemaker_runtime().await });
    let endpoint = EndpointPredictor::new(
        client,
        runtime.handle().clone(),
        pc,
        names,
        cfg.extensions.max_endpoint_requests,
    )
    .map_err(unsupported)?;
    Ok((Predictor::Endpoint(endpoint), Some(runtime)))
}

fn explain(
    frame: &polars::prelude::DataFrame,
    cfg: &AnalysisConfig,
    shap: &ShapConfig,
    model: &Predictor,
    config_dir: &Path,
) -> Result<ShapOutcome, String> {
    let mut skip = Vec::new();
    for c in cfg
        .label
        .iter()
        .chain(cfg.predicted_label.iter())
        .chain(cfg.excluded_columns.iter())
    {
        if let Ok(name) = crate::bias::report::resolve(frame, "column", c) {
            skip.push(name);
        }
    }
    let columns: Vec<&polars::prelude::Column> = frame
        .columns()
        .iter()
        .filter(|c| !skip.iter().any(|s| s == c.name().as_str()))
        .collect();
    let names: Vec<String> = columns.iter().map(|c| c.name().to_string()).collect();
    let mut data = Vec::with_capacity(columns.len());
    for c in &columns {
        let s = c.as_materialized_series();
        let f = s
            .cast(&polars::prelude::DataType::Float64)
            .map_err(|_| format!("feature column {} is not numeric", c.name()))?;
        let ca = f.f64().map_err(|e| e.to_string())?;
        if ca.null_count() > c.null_count() {
            return Err(format!("feature column {} is not numeric", c.name()));
        }
        data.push(
            ca.iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect::<Vec<f64>>(),
        );
    }
    let rows: Vec<Vec<f64>> = (0..frame.height())
        .map(|i| data.iter().map(|col| col[i]).collect())
        .collect();
    let label: Vec<String> = cfg
        .predictor
        .as_ref()
        .map(|pc| pc.label_headers.clone())
        .unwrap_or_default();
    let mut shap = shap.clone();
    if let Some(ShapBaseline::Uri(uri)) = &shap.baseline {
        let path = match crate::config::Location::parse(uri, config_dir) {
            Ok(crate::config::Location::Local(p)) => p,
            Ok(other) => {
                return Err(format!(
                    "methods.shap.baseline: {other}: analyze reads local files only"
                ));
            }
            Err(e) => return Err(format!("methods.shap.baseline: {e}")),
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("methods.shap.baseline: cannot read {}: {e}", path.display()))?;
        shap.baseline = Some(ShapBaseline::Rows(baseline_file_rows(
            &text,
            &path.display().to_string(),
        )?));
    }
    let result = run_shap(&rows, &names, &shap, &label, model)?;
    Ok(ShapOutcome {
        result,
        save_local: shap.save_local_shap_values,
    })
}

fn write_json(path: &Path, v: &Value) -> Result<(), AnalyzeError> {
    let mut bytes = serde_json::to_vec_pretty(v).unwrap_or_default();
    bytes.push(b'\n');
    write_atomic(path, &bytes).map_err(|source| AnalyzeError::Write {
        path: path.to_path_buf(),
        source,
    })
}
