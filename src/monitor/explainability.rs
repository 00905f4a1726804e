//! The explainability monitor: rows to explain → Kernel SHAP and partial dependence
//! (in-process model or endpoint) → `explanations.kernel_shap` per label and
//! `explanations.pdp` per feature → the feature attribution drift check (nDCG) against the
//! baseline constraints.

use std::sync::Arc;

use polars::prelude::{Column, DataFrame, DataType};

use super::{Coverage, MonitorError};
use crate::check::attribution_drift;
use crate::check::attribution_drift::label_ndcg;
use crate::config::analysis::{
    AggMethod as ConfigAgg, AnalysisConfig, ColumnRef, PdpConfig, ShapAlgorithm, ShapConfig,
};
use crate::config::check::{CheckConfig, CheckMode};
use crate::explain::aggregate::{AggMethod, aggregate};
use crate::explain::pdp::{PdpDataType, grid, partial_dependence};
pub use crate::explain::predictor::Predictor;
pub use crate::explain::run::ShapPart;
use crate::explain::run::{ShapResult, assemble, explain_part, run_shap};
use crate::sagemaker::DriftwatchBlock;
use crate::sagemaker::analysis::{IntervalEntry, NotSignificant};
use crate::sagemaker::layout::LOCAL_SHAP_FILE;
use crate::sagemaker::{
    AnalysisDoc, AttributionViolation, Explanations, MetricValue, OrderedMap, PdpFeature, ShapLabel,
};
use crate::stats::quantile::quantile;
use crate::stats::rng::Rng;

pub struct ExplainRequest {
    /// One row per record, features in `feature_names` order.
    pub rows: Vec<Vec<f64>>,
    pub feature_names: Vec<String>,
    /// `methods.shap`, its baseline already resolved to rows when it was a file.
    pub shap: Option<ShapConfig>,
    /// `methods.pdp`.
    pub pdp: Option<PdpConfig>,
    /// `driftwatch.shap_algorithm`.
    pub shap_algorithm: ShapAlgorithm,
    /// `predictor.label_headers`: the names of the model's outputs.
    pub label_headers: Vec<String>,
    pub predictor: Arc<Predictor>,
    /// nDCG below this is attribution drift.
    pub ndcg_threshold: f64,
    /// How the attribution check judges, and the nDCG intervals' settings.
    pub check: CheckConfig,
    /// The rows' SHAP values, already computed elsewhere (the shards of a sharded
    /// execution) and assembled here instead of computed.
    pub shap_parts: Option<Vec<ShapPart>>,
}

impl ExplainRequest {
    /// The methods, label headers and nDCG threshold a config sets (`shap` resolved).
    pub fn from_config(
        cfg: &AnalysisConfig,
        rows: Vec<Vec<f64>>,
        feature_names: Vec<String>,
        shap: Option<ShapConfig>,
        predictor: Arc<Predictor>,
        check: &CheckConfig,
    ) -> Self {
        Self {
            rows,
            feature_names,
            shap,
            pdp: cfg.methods.as_ref().and_then(|m| m.pdp.clone()),
            shap_algorithm: cfg.extensions.shap_algorithm,
            label_headers: cfg
                .predictor
                .as_ref()
                .map(|pc| pc.label_headers.clone())
                .unwrap_or_default(),
            predictor,
            ndcg_threshold: ndcg_threshold(check, cfg),
            check: *check,
            shap_parts: None,
        }
    }
}

/// The background rows of `methods.shap` for `rows`, computed once for all of an
/// execution's shards.
pub fn shap_background(
    rows: &[Vec<f64>],
    feature_names: &[String],
    shap: &ShapConfig,
    predictor: &Predictor,
) -> Result<Vec<Vec<f64>>, MonitorError> {
    Ok(crate::explain::run::shap_background(
        rows,
        feature_names,
        shap,
        predictor,
    )?)
}

/// One shard's SHAP values: `rows`, which start at row `first` of the execution's rows,
/// against the execution's `background`, on the blocking pool.
pub async fn explain_shard(
    rows: Vec<Vec<f64>>,
    first: usize,
    background: Vec<Vec<f64>>,
    feature_names: Vec<String>,
    shap: ShapConfig,
    algorithm: ShapAlgorithm,
    predictor: Arc<Predictor>,
) -> Result<(ShapPart, usize), MonitorError> {
    tokio::task::spawn_blocking(move || {
        let part = explain_part(
            &rows,
            first,
            &background,
            &feature_names,
            &shap,
            algorithm,
            &predictor,
        )?;
        Ok((part, predictor.requests()))
    })
    .await
    .map_err(|e| MonitorError::Data(format!("explaining failed: {e}")))?
}

/// Counts each label as computed, or not when a global value is not a number.
pub(super) fn count_global_values(explanations: &Explanations, coverage: &mut Coverage) {
    for (_, l) in explanations.kernel_shap.iter().flat_map(|k| k.iter()) {
        let finite = l.global_shap_values.iter().all(|(_, v)| v.get().is_some());
        coverage.count((!finite).then_some("a global SHAP value is not a number"));
    }
}

/// The nDCG below which attributions violate: the schedule's (or `analyze`'s) check wins over
/// the analysis config's extension block, else SageMaker's 0.9.
pub fn ndcg_threshold(check: &CheckConfig, cfg: &AnalysisConfig) -> f64 {
    check
        .ndcg_threshold
        .or(cfg.extensions.ndcg_threshold)
        .unwrap_or(attribution_drift::DEFAULT_THRESHOLD)
}

/// The explainability part of an analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainOutcome {
    pub explanations: Explanations,
    /// Label → nDCG against the baseline (labels checked only).
    pub ndcg: OrderedMap<f64>,
    pub violations: Vec<AttributionViolation>,
    pub warnings: Vec<String>,
    /// Label → the bootstrap interval of its nDCG.
    pub ndcg_intervals: OrderedMap<IntervalEntry>,
    /// Labels below the threshold whose interval reaches it (significant mode).
    pub not_significant: Vec<NotSignificant>,
    /// `explanations_shap/out.csv` (out.jsonl for text), when it is written.
    pub local: Option<super::output::LocalShap>,
    /// InvokeEndpoint requests made.
    pub endpoint_requests: usize,
    /// Labels explained, and judged against the baseline.
    pub coverage: Coverage,
    /// The threshold the nDCGs were judged by (when judged).
    pub ndcg_threshold: Option<f64>,
}

fn kernel_shap((r, _): &(ShapResult, bool)) -> OrderedMap<ShapLabel> {
    r.labels
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
                    global_top_shap_text: OrderedMap::new(),
                },
            )
        })
        .collect()
}

/// The features to plot: the named ones, else the top `top_k_features` of the first label's
/// global SHAP values (by magnitude, ties in feature order).
fn pdp_features(
    pdp: &PdpConfig,
    names: &[String],
    shap: Option<&ShapResult>,
) -> Result<Vec<usize>, MonitorError> {
    match &pdp.features {
        Some(list) => list
            .iter()
            .enumerate()
            .map(|(i, c)| match c {
                ColumnRef::Name(n) => names.iter().position(|f| f == n).ok_or_else(|| {
                    MonitorError::Data(format!(
                        "methods.pdp.features[{i}]: {n:?} is not a feature the model takes (features: {})",
                        names.join(", ")
                    ))
                }),
                ColumnRef::Index(j) if *j < names.len() => Ok(*j),
                ColumnRef::Index(j) => Err(MonitorError::Data(format!(
                    "methods.pdp.features[{i}]: index {j} is beyond the {} features",
                    names.len()
                ))),
            })
            .collect(),
        None => {
            let (result, global) = shap
                .and_then(|r| r.labels.first().map(|l| (r, l.global.clone())))
                .ok_or_else(|| {
                    MonitorError::Unsupported(
                        "methods.pdp without features needs methods.shap (its top features are plotted)".into(),
                    )
                })?;
            let mut order: Vec<usize> = (0..global.len()).collect();
            order.sort_by(|a, b| global[*b].abs().total_cmp(&global[*a].abs()));
            order.truncate(pdp.top_k_features);
            // Positions among the features SHAP reported (all, or features_to_explain).
            Ok(order
                .into_iter()
                .filter_map(|k| names.iter().position(|n| *n == result.feature_names[k]))
                .collect())
        }
    }
}

/// A grid value as analysis.json writes it: categories that are whole numbers as integers.
fn grid_value(v: f64, data_type: PdpDataType) -> serde_json::Value {
    match data_type {
        PdpDataType::Categorical if v.abs() < 9e15 => serde_json::Value::from(v as i64),
        _ => serde_json::Value::from(v),
    }
}

fn partial_dependences(
    rows: &[Vec<f64>],
    names: &[String],
    features: &[usize],
    pdp: &PdpConfig,
    predictor: &Predictor,
) -> Result<Vec<PdpFeature>, MonitorError> {
    let mut out = Vec::with_capacity(features.len());
    for &j in features {
        let column: Vec<f64> = rows.iter().map(|r| r[j]).collect();
        let entry = match grid(&column, pdp.grid_resolution) {
            Err(e) => PdpFeature {
                feature_name: names[j].clone(),
                data_type: String::new(),
                feature_values: None,
                model_predictions: None,
                data_distribution: None,
                error: Some(e),
            },
            Ok(g) => {
                let predictions = partial_dependence(rows, j, &g.values, predictor)
                    .map_err(|e| MonitorError::Shap(e.into()))?;
                PdpFeature {
                    feature_name: names[j].clone(),
                    data_type: g.data_type.as_str().to_string(),
                    feature_values: Some(
                        g.values
                            .iter()
                            .map(|v| grid_value(*v, g.data_type))
                            .collect(),
                    ),
                    model_predictions: Some(predictions),
                    data_distribution: Some(g.distribution),
                    error: None,
                }
            }
        };
        out.push(entry);
    }
    Ok(out)
}

/// Explains the rows — Kernel SHAP and/or partial dependence, on the blocking pool (the model
/// may be an endpoint called from the worker threads) — and checks the attributions against
/// the baseline.
pub async fn monitor_explainability(
    req: ExplainRequest,
    baseline: Option<&AnalysisDoc>,
) -> Result<ExplainOutcome, MonitorError> {
    let (threshold, check) = (req.ndcg_threshold, req.check);
    let agg = req.shap.as_ref().map(|s| s.agg_method);
    let (result, requests) = tokio::task::spawn_blocking(move || {
        let mut req = req;
        let r = explain(&mut req);
        (r, req.predictor.requests())
    })
    .await
    .map_err(|e| MonitorError::Data(format!("explaining failed: {e}")))?;
    let (shap, pdp) = result?;
    let mut out = ExplainOutcome {
        explanations: Explanations {
            kernel_shap: shap.as_ref().map(kernel_shap),
            pdp,
        },
        ndcg: OrderedMap::new(),
        violations: Vec::new(),
        warnings: Vec::new(),
        ndcg_intervals: OrderedMap::new(),
        not_significant: Vec::new(),
        local: shap
            .as_ref()
            .filter(|(_, save)| *save)
            .map(|(r, _)| super::output::LocalShap {
                file: LOCAL_SHAP_FILE,
                text: r.local_csv(),
            }),
        endpoint_requests: requests,
        coverage: Coverage::default(),
        ndcg_threshold: None,
    };
    count_global_values(&out.explanations, &mut out.coverage);
    if let (Some(b), Some((result, _)), Some(agg)) = (baseline, &shap, agg) {
        if check.intervals {
            out.ndcg_intervals = ndcg_intervals(result, agg, b, &check);
        }
        let current = AnalysisDoc {
            explanations: Some(out.explanations.clone()),
            driftwatch: Some(DriftwatchBlock {
                ndcg_intervals: out.ndcg_intervals.clone(),
                ..DriftwatchBlock::default()
            }),
            ..AnalysisDoc::default()
        };
        let significant = (check.mode == CheckMode::Significant).then_some(check.confidence);
        let c = attribution_drift::check(&current, b, threshold, significant);
        out.ndcg = c.ndcg;
        out.violations = c.violations;
        out.warnings = c.warnings;
        out.not_significant = c.not_significant;
        out.coverage.checked(c.checked, &c.not_checked, 0);
        out.ndcg_threshold = (!out.ndcg.is_empty()).then_some(threshold);
    }
    Ok(out)
}

/// The bootstrap interval of each label's nDCG: the explained records resampled, the
/// global values aggregated again, the nDCG against the baseline recomputed.
fn ndcg_intervals(
    result: &ShapResult,
    agg: ConfigAgg,
    baseline: &AnalysisDoc,
    check: &CheckConfig,
) -> OrderedMap<IntervalEntry> {
    let mut out = OrderedMap::new();
    let Some(base) = baseline.kernel_shap() else {
        return out;
    };
    let method = match agg {
        ConfigAgg::MeanAbs => AggMethod::MeanAbs,
        ConfigAgg::Median => AggMethod::Median,
        ConfigAgg::MeanSq => AggMethod::MeanSq,
    };
    let settings = check.interval_settings(result.labels.len());
    for (li, l) in result.labels.iter().enumerate() {
        let Some(b) = base.get(&l.label) else {
            continue;
        };
        let n = l.local.len();
        if n == 0 {
            continue;
        }
        let mut resample: Vec<Vec<f64>> = Vec::with_capacity(n);
        let entry = bootstrap_ndcg(n, li, check, settings, |picks| {
            resample.clear();
            resample.extend(picks.iter().map(|&i| l.local[i].clone()));
            let global = aggregate(&resample, method);
            let lookup = |f: &str| {
                result
                    .feature_names
                    .iter()
                    .position(|x| x == f)
                    .map(|j| global[j])
            };
            label_ndcg(&l.label, b, &lookup).map(|(v, _)| v)
        });
        out.insert(l.label.clone(), entry);
    }
    out
}

/// The bootstrap interval of one label's nDCG: `resamples` draws of `n` records with
/// replacement (seeded by the check's seed and the label's position), `ndcg` recomputing the
/// nDCG of a draw; the percentile interval, or a note when a draw could not be scored.
pub(super) fn bootstrap_ndcg(
    n: usize,
    label_index: usize,
    check: &CheckConfig,
    (confidence, resamples): (f64, usize),
    mut ndcg: impl FnMut(&[usize]) -> Result<f64, String>,
) -> IntervalEntry {
    let alpha = 1.0 - confidence;
    let mut rng = Rng::seeded(
        check
            .seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(0xA77 + label_index as u64),
    );
    let mut values = Vec::with_capacity(resamples);
    let mut failed = None;
    let mut picks = Vec::with_capacity(n);
    for _ in 0..resamples {
        picks.clear();
        picks.extend((0..n).map(|_| rng.below(n)));
        match ndcg(&picks) {
            Ok(v) if !v.is_nan() => values.push(v),
            Ok(_) => {
                failed.get_or_insert_with(|| "not a number".to_string());
            }
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    if values.len() < resamples {
        return IntervalEntry {
            lower: None,
            upper: None,
            confidence,
            resamples,
            note: failed,
        };
    }
    values.sort_by(f64::total_cmp);
    IntervalEntry {
        lower: Some(MetricValue::new(quantile(&values, alpha / 2.0))),
        upper: Some(MetricValue::new(quantile(&values, 1.0 - alpha / 2.0))),
        confidence,
        resamples,
        note: None,
    }
}

/// The SHAP result (and whether its local values are to be saved), the PDP entries.
type Explained = (Option<(ShapResult, bool)>, Option<Vec<PdpFeature>>);

fn explain(req: &mut ExplainRequest) -> Result<Explained, MonitorError> {
    // The parts are handed over, not copied: they hold every row's values.
    let shap = match (&req.shap, req.shap_parts.take()) {
        (Some(cfg), Some(parts)) => Some((
            assemble(parts, &req.feature_names, cfg, &req.label_headers)?,
            cfg.save_local_shap_values,
        )),
        (Some(cfg), None) => Some((
            run_shap(
                &req.rows,
                &req.feature_names,
                cfg,
                req.shap_algorithm,
                &req.label_headers,
                &req.predictor,
            )?,
            cfg.save_local_shap_values,
        )),
        (None, _) => None,
    };
    let pdp = match &req.pdp {
        Some(cfg) => {
            let features = pdp_features(cfg, &req.feature_names, shap.as_ref().map(|(r, _)| r))?;
            Some(partial_dependences(
                &req.rows,
                &req.feature_names,
                &features,
                cfg,
                &req.predictor,
            )?)
        }
        None => None,
    };
    Ok((shap, pdp))
}

/// The columns the model takes: every column but the label, the predicted label, the
/// excluded ones, the join identifier and predictions driftwatch added itself.
pub fn feature_columns<'a>(frame: &'a DataFrame, cfg: &AnalysisConfig) -> Vec<&'a Column> {
    // Predictions driftwatch added itself are not a model input either.
    let mut skip = vec![crate::bias::engine::PREDICTION_COLUMN.to_string()];
    for c in cfg
        .label
        .iter()
        .chain(cfg.predicted_label.iter())
        .chain(cfg.excluded_columns.iter())
        // An identifier, "not used for any other computations" (Clarify).
        .chain(cfg.joinsource.iter())
    {
        if let Ok(name) = crate::bias::engine::resolve(frame, "column", c) {
            skip.push(name);
        }
    }
    frame
        .columns()
        .iter()
        .filter(|c| !skip.iter().any(|s| s == c.name().as_str()))
        .collect()
}

/// The rows of a dataset to explain (the model's inputs, [`feature_columns`]), as numbers.
pub fn rows_from_frame(
    frame: &DataFrame,
    cfg: &AnalysisConfig,
) -> Result<(Vec<String>, Vec<Vec<f64>>), MonitorError> {
    let columns = feature_columns(frame, cfg);
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
