//! The explainability monitor: rows to explain → Kernel SHAP (in-process model or endpoint)
//! → `explanations.kernel_shap` per label → the feature attribution drift check (nDCG)
//! against the baseline constraints.

use std::sync::Arc;

use polars::prelude::{Column, DataFrame, DataType};

use super::MonitorError;
use crate::check::attribution_drift;
use crate::config::analysis::{AnalysisConfig, ShapConfig};
use crate::explain::predictor::Predictor;
use crate::explain::run::{ShapResult, run_shap};
use crate::sagemaker::{
    AnalysisDoc, AttributionViolation, Explanations, MetricValue, OrderedMap, ShapLabel,
};

pub struct ShapRequest {
    /// One row per record, features in `feature_names` order.
    pub rows: Vec<Vec<f64>>,
    pub feature_names: Vec<String>,
    /// `methods.shap`, its baseline already resolved to rows when it was a file.
    pub shap: ShapConfig,
    /// `predictor.label_headers`: the names of the model's outputs.
    pub label_headers: Vec<String>,
    pub predictor: Arc<Predictor>,
    /// nDCG below this is attribution drift.
    pub ndcg_threshold: f64,
}

impl ShapRequest {
    /// The label headers and nDCG threshold a config sets.
    pub fn from_config(
        cfg: &AnalysisConfig,
        rows: Vec<Vec<f64>>,
        feature_names: Vec<String>,
        shap: ShapConfig,
        predictor: Arc<Predictor>,
    ) -> Self {
        Self {
            rows,
            feature_names,
            shap,
            label_headers: cfg
                .predictor
                .as_ref()
                .map(|pc| pc.label_headers.clone())
                .unwrap_or_default(),
            predictor,
            ndcg_threshold: cfg
                .extensions
                .ndcg_threshold
                .unwrap_or(attribution_drift::DEFAULT_THRESHOLD),
        }
    }
}

/// The explainability part of an analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapOutcome {
    pub explanations: Explanations,
    /// Label → nDCG against the baseline (labels checked only).
    pub ndcg: OrderedMap<f64>,
    pub violations: Vec<AttributionViolation>,
    pub warnings: Vec<String>,
    /// `explanations_shap/out.csv`, when `save_local_shap_values` asks for it.
    pub local_csv: Option<String>,
    /// InvokeEndpoint requests made.
    pub endpoint_requests: usize,
}

fn explanations(r: &ShapResult) -> Explanations {
    let labels = r
        .labels
        .iter()
        .map(|l| {
            let global = r
                .feature_names
                .iter()
                .cloned()
                .zip(l.global.iter().map(|v| MetricValue::new(*v)))
                .collect();
            (
                l.label.clone(),
                ShapLabel {
                    global_shap_values: global,
                    expected_value: MetricValue::new(l.expected_value),
                },
            )
        })
        .collect();
    Explanations {
        kernel_shap: Some(labels),
    }
}

/// Explains the rows (on the blocking pool: the model may be an endpoint called from the
/// explainer's threads) and checks the attributions against the baseline.
pub async fn monitor_explainability(
    req: ShapRequest,
    baseline: Option<&AnalysisDoc>,
) -> Result<ShapOutcome, MonitorError> {
    let save_local = req.shap.save_local_shap_values;
    let threshold = req.ndcg_threshold;
    let (result, requests) = tokio::task::spawn_blocking(move || {
        let r = run_shap(
            &req.rows,
            &req.feature_names,
            &req.shap,
            &req.label_headers,
            &req.predictor,
        );
        (r, req.predictor.requests())
    })
    .await
    .map_err(|e| MonitorError::Data(format!("explaining failed: {e}")))?;
    let result = result?;
    let mut out = ShapOutcome {
        explanations: explanations(&result),
        ndcg: OrderedMap::new(),
        violations: Vec::new(),
        warnings: Vec::new(),
        local_csv: save_local.then(|| result.local_csv()),
        endpoint_requests: requests,
    };
    if let Some(b) = baseline {
        let current = AnalysisDoc {
            explanations: Some(out.explanations.clone()),
            ..AnalysisDoc::default()
        };
        let check = attribution_drift::check(&current, b, threshold);
        out.ndcg = check.ndcg;
        out.violations = check.violations;
        out.warnings = check.warnings;
    }
    Ok(out)
}

/// The rows of a dataset to explain: every column but the label, the predicted label and
/// `excluded_columns`, as numbers.
pub fn rows_from_frame(
    frame: &DataFrame,
    cfg: &AnalysisConfig,
) -> Result<(Vec<String>, Vec<Vec<f64>>), MonitorError> {
    let mut skip = Vec::new();
    for c in cfg
        .label
        .iter()
        .chain(cfg.predicted_label.iter())
        .chain(cfg.excluded_columns.iter())
    {
        if let Ok(name) = crate::bias::engine::resolve(frame, "column", c) {
            skip.push(name);
        }
    }
    let columns: Vec<&Column> = frame
        .columns()
        .iter()
        .filter(|c| !skip.iter().any(|s| s == c.name().as_str()))
        .collect();
    let names: Vec<String> = columns.iter().map(|c| c.name().to_string()).collect();
    let not_numeric =
        |c: &Column| MonitorError::Data(format!("feature column {} is not numeric", c.name()));
    let mut data = Vec::with_capacity(columns.len());
    for c in &columns {
        let f = c
            .as_materialized_series()
            .cast(&DataType::Float64)
            .map_err(|_| not_numeric(c))?;
        let ca = f.f64().map_err(|_| not_numeric(c))?;
        if ca.null_count() > c.null_count() {
            return Err(not_numeric(c));
        }
        data.push(
            ca.iter()
                .map(|v| v.unwrap_or(f64::NAN))
                .collect::<Vec<f64>>(),
        );
    }
    let rows = (0..frame.height())
        .map(|i| data.iter().map(|col| col[i]).collect())
        .collect();
    Ok((names, rows))
}
