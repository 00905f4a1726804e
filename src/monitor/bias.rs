//! The bias monitor: a frame of records (features, label, prediction) → Clarify's pre- and
//! post-training metrics per facet in analysis.json's shape → the bias drift check against
//! the baseline constraints.

use polars::prelude::DataFrame;

use super::MonitorError;
use crate::bias::engine::PredictionSource;
use crate::bias::select::joined;
use crate::bias::{BiasAnalysis, FacetReport, StageReport, run_bias};
use crate::check::bias_drift;
use crate::config::analysis::{AnalysisConfig, ColumnType};
use crate::sagemaker::{
    AnalysisDoc, BiasStage, BiasViolation, FacetEntry, MetricEntry, MetricValue, OrderedMap,
};

/// What a label value that occurs in no record means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbsentLabel {
    /// A dataset given to `analyze`: a categorical label value that occurs nowhere is a
    /// configuration mistake (an error).
    Error,
    /// A capture window: it may simply hold no positive record (a warning; the metrics that
    /// need positives are errors).
    Warn,
}

pub struct BiasRequest<'a> {
    pub frame: &'a DataFrame,
    pub config: &'a AnalysisConfig,
    /// The prediction column, when not the config's `predicted_label` (captured data).
    pub predictions: Option<&'a PredictionSource>,
    pub baseline: Option<&'a AnalysisDoc>,
    pub absent_label: AbsentLabel,
}

/// The bias part of an analysis.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BiasOutcome {
    pub pre_training: Option<BiasStage>,
    pub post_training: Option<BiasStage>,
    /// Column role → the type used.
    pub column_types: OrderedMap<String>,
    pub violations: Vec<BiasViolation>,
    /// The engine's, then the check's.
    pub warnings: Vec<String>,
    /// Metrics computed and errored (for summaries).
    pub computed: usize,
    pub errored: usize,
}

impl BiasOutcome {
    /// The stages as an analysis.json (for the check and for callers that need the file).
    pub fn as_doc(&self) -> AnalysisDoc {
        AnalysisDoc {
            pre_training_bias_metrics: self.pre_training.clone(),
            post_training_bias_metrics: self.post_training.clone(),
            ..AnalysisDoc::default()
        }
    }
}

fn facet_entry(r: &FacetReport) -> FacetEntry {
    FacetEntry {
        value_or_threshold: r.value_or_threshold.clone(),
        metrics: r
            .metrics
            .iter()
            .map(|m| MetricEntry {
                name: m.name.to_string(),
                description: crate::bias::metrics::description(m.name).to_string(),
                value: match &m.value {
                    Ok(v) => MetricValue::new(*v),
                    Err(_) => MetricValue(None),
                },
                error: m.value.as_ref().err().cloned(),
            })
            .collect(),
    }
}

fn stage(s: &StageReport) -> BiasStage {
    BiasStage {
        label: s.label.clone(),
        facets: s
            .facets
            .iter()
            .map(|(name, entries)| (name.clone(), entries.iter().map(facet_entry).collect()))
            .collect(),
        label_value_or_threshold: s.label_value_or_threshold.clone(),
    }
}

fn type_name(t: ColumnType) -> &'static str {
    match t {
        ColumnType::Categorical => "categorical",
        ColumnType::Continuous => "continuous",
    }
}

fn count(a: &BiasAnalysis) -> (usize, usize) {
    let results = [&a.pre_training, &a.post_training]
        .into_iter()
        .flatten()
        .flat_map(|s| &s.facets)
        .flat_map(|(_, entries)| entries)
        .flat_map(|e| &e.metrics);
    results.fold((0, 0), |(ok, err), m| {
        if m.value.is_ok() {
            (ok + 1, err)
        } else {
            (ok, err + 1)
        }
    })
}

/// Computes the metrics the config requests and checks them against the baseline.
pub fn monitor_bias(req: BiasRequest<'_>) -> Result<BiasOutcome, MonitorError> {
    let cfg = req.config;
    let analysis = run_bias(req.frame, cfg, req.predictions)?;
    let mut warnings = analysis.warnings.clone();
    if analysis.label_positives == Some(0) {
        let label = analysis
            .pre_training
            .as_ref()
            .or(analysis.post_training.as_ref())
            .map(|s| s.label.clone())
            .unwrap_or_default();
        let values = joined(cfg.label_values_or_threshold.as_deref().unwrap_or_default());
        let categorical = analysis
            .types
            .iter()
            .any(|(r, t)| r == "label" && *t == ColumnType::Categorical);
        match req.absent_label {
            AbsentLabel::Error if categorical => {
                return Err(MonitorError::LabelValuesAbsent {
                    values,
                    label,
                    examples: analysis.label_examples.join(", "),
                });
            }
            AbsentLabel::Error => {}
            AbsentLabel::Warn => warnings.push(format!(
                "no merged record has label value(s) {values} in column {label:?} (values seen: {}); metrics that need positives are errors",
                analysis.label_examples.join(", ")
            )),
        }
    }
    let (computed, errored) = count(&analysis);
    let mut out = BiasOutcome {
        pre_training: analysis.pre_training.as_ref().map(stage),
        post_training: analysis.post_training.as_ref().map(stage),
        column_types: analysis
            .types
            .iter()
            .map(|(role, t)| (role.clone(), type_name(*t).to_string()))
            .collect(),
        violations: Vec::new(),
        warnings,
        computed,
        errored,
    };
    if let Some(baseline) = req.baseline
        && (out.pre_training.is_some() || out.post_training.is_some())
    {
        let check = bias_drift::check(&out.as_doc(), baseline);
        out.violations = check.violations;
        out.warnings.extend(check.warnings);
    }
    Ok(out)
}
