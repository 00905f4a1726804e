//! `driftwatch analyze`: the Clarify processing-job equivalent (and the baselining job) —
//! a dataset and an analysis config in, analysis.json (and constraint_violations.json) out.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::bias::{self, BiasAnalysis, BiasError};
use crate::check::bias_drift::{self, BiasViolation};
use crate::config::{self, InvalidDocument, Purpose};
use crate::dataset::{self, DatasetError};
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
        let violations = if self.violations.is_empty() {
            "no violations".to_string()
        } else {
            format!("{} violations ({VIOLATIONS_FILE})", self.violations.len())
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
    if cfg.methods.as_ref().is_some_and(|m| m.shap.is_some()) {
        return Err(AnalyzeError::Unsupported(format!(
            "{}: methods.shap is not available in this version of driftwatch yet (bias methods are)",
            config_path.display()
        )));
    }
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
    let check = match &baseline {
        Some(b) => bias_drift::check(&bias_analysis_json(&analysis, &[]), b),
        None => Default::default(),
    };
    lap("check");
    let analysis_json = bias_analysis_json(&analysis, &check.warnings);
    let mut warnings = analysis.warnings.clone();
    warnings.extend(check.warnings.iter().cloned());
    write_json(&output.join(ANALYSIS_FILE), &analysis_json)?;
    let violations_path = output.join(VIOLATIONS_FILE);
    if check.violations.is_empty() {
        // A stale file from an earlier run would report violations this run does not have.
        if violations_path.exists() {
            std::fs::remove_file(&violations_path).map_err(|source| AnalyzeError::Write {
                path: violations_path.clone(),
                source,
            })?;
        }
    } else {
        write_json(
            &violations_path,
            &bias_drift::violations_json(&check.violations),
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
        warnings,
        timings,
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
