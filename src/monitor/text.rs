//! A text model's SHAP analysis: every record of the dataset explained unit by unit (several
//! records at once, each sending its masked texts in batches), then Clarify's global values:
//! `global_shap_values` per column and `global_top_shap_text` per text column.
//!
//! A record that cannot be explained (an empty text, one longer than the limit) is reported
//! and the others go on; a model failure stops the analysis with its class (transient or not).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use polars::prelude::{DataFrame, DataType};
use serde_json::Value;

use super::explainability::{ExplainOutcome, bootstrap_ndcg, count_global_values, feature_columns};
use super::output::LocalShap;
use super::{Coverage, MonitorError};
use crate::check::attribution_drift;
use crate::config::analysis::text::TextConfig;
use crate::config::analysis::{AnalysisConfig, ShapBaseline, ShapConfig};
use crate::config::check::{CheckConfig, CheckMode};
use crate::explain::aggregate::AggMethod;
use crate::explain::codec::number;
use crate::explain::endpoint::{CONCURRENCY, EndpointPredictor};
use crate::explain::kernel_shap::ShapError;
use crate::explain::predictor::Predictor;
use crate::explain::run::{agg, kernel_settings};
use crate::explain::text::global::{global_columns, top_units};
use crate::explain::text::run::{
    ColumnKind, Player, RecordExplanation, TextSettings, explain_record,
};
use crate::sagemaker::analysis::IntervalEntry;
use crate::sagemaker::analysis::{AnalysisDoc, DriftwatchBlock, Explanations, ShapLabel};
use crate::sagemaker::layout::LOCAL_TEXT_SHAP_FILE;
use crate::sagemaker::number::MetricValue;
use crate::sagemaker::ordered::OrderedMap;
use crate::sagemaker::text::local_jsonl;
use crate::sagemaker::text::{
    Attribution, FREE_TEXT, FeatureAttributions, LocalLine, NUMERICAL, UnitDescription,
};

/// Most masked records in one request (the payload limit usually binds first).
pub const MAX_RECORDS_PER_REQUEST: usize = 5_000;

/// What a text analysis produced.
#[derive(Debug)]
pub struct TextOutput {
    pub analysis: AnalysisDoc,
    /// One line per record (out.jsonl).
    pub local: Vec<LocalLine>,
    /// The records that could not be explained, one sentence each.
    pub warnings: Vec<String>,
    pub totals: TextTotals,
    /// What the top units are recomputed from (the nDCG's bootstrap interval).
    units: TopUnits,
}

/// The explained records and how their top units are made.
#[derive(Debug)]
struct TopUnits {
    records: Vec<RecordExplanation>,
    /// (index, name) of each text column.
    columns: Vec<(usize, String)>,
    labels: Vec<String>,
    method: AggMethod,
    max: usize,
}

impl TopUnits {
    /// `global_top_shap_text` of output `o` over `records`.
    fn of(&self, records: &[&RecordExplanation], o: usize) -> OrderedMap<OrderedMap<MetricValue>> {
        self.columns
            .iter()
            .map(|(j, name)| {
                let units = top_units(records, *j, o, self.method, self.max);
                (
                    name.clone(),
                    units
                        .into_iter()
                        .map(|(t, v)| (t, MetricValue::new(v)))
                        .collect(),
                )
            })
            .collect()
    }

    /// Each label's bootstrap interval of its units' nDCG against `baseline`.
    fn intervals(&self, baseline: &AnalysisDoc, check: &CheckConfig) -> OrderedMap<IntervalEntry> {
        let mut out = OrderedMap::new();
        let Some(base) = baseline.kernel_shap() else {
            return out;
        };
        let settings = check.interval_settings(self.labels.len());
        let n = self.records.len();
        for (o, label) in self.labels.iter().enumerate() {
            let Some(b) = base.get(label) else { continue };
            let entry = bootstrap_ndcg(n, o, check, settings, |picks| {
                let drawn: Vec<&RecordExplanation> =
                    picks.iter().map(|&i| &self.records[i]).collect();
                let current = ShapLabel {
                    global_shap_values: OrderedMap::new(),
                    expected_value: MetricValue::default(),
                    global_top_shap_text: self.of(&drawn, o),
                };
                attribution_drift::units_ndcg(label, b, &current)
                    .unwrap_or_else(|| Err("the baseline has no global_top_shap_text".into()))
                    .map(|(v, _)| v)
            });
            out.insert(label.clone(), entry);
        }
        out
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct TextTotals {
    pub records: usize,
    pub explained: usize,
    /// Units and numeric features over all explained records.
    pub players: usize,
    pub coalitions: usize,
    pub endpoint_requests: usize,
    /// Attribution-drift violations against a baseline (set by whoever checked).
    pub violations: usize,
}

/// The records a text analysis explains: feature names and one row of JSON cells per
/// record (texts as strings, numbers as numbers).
#[derive(Debug, Clone, PartialEq)]
pub struct TextRecords {
    pub names: Vec<String>,
    pub records: Vec<Vec<Value>>,
}

impl TextRecords {
    /// A dataset's feature columns: a text column (polars' strings) as strings, any other cast
    /// to numbers.
    pub fn from_frame(frame: &DataFrame, cfg: &AnalysisConfig) -> Result<Self, MonitorError> {
        let columns = feature_columns(frame, cfg);
        let names: Vec<String> = columns.iter().map(|c| c.name().to_string()).collect();
        let mut cells: Vec<Vec<Value>> = Vec::with_capacity(columns.len());
        for c in &columns {
            let s = c.as_materialized_series();
            if s.dtype() == &DataType::String {
                let ca = s.str().map_err(|e| MonitorError::Data(e.to_string()))?;
                cells.push(ca.iter().map(|v| Value::from(v.unwrap_or(""))).collect());
            } else {
                let f = s.cast(&DataType::Float64).map_err(|_| {
                    MonitorError::Data(format!(
                        "feature column {} is neither text nor numeric",
                        c.name()
                    ))
                })?;
                let ca = f.f64().map_err(|e| MonitorError::Data(e.to_string()))?;
                cells.push(ca.iter().map(|v| number(v.unwrap_or(f64::NAN))).collect());
            }
        }
        let records = (0..frame.height())
            .map(|i| cells.iter().map(|c| c[i].clone()).collect())
            .collect();
        Ok(Self { names, records })
    }

    /// A column is text when any record holds a string in it.
    fn kinds(&self) -> Vec<ColumnKind> {
        (0..self.names.len())
            .map(|j| {
                if self
                    .records
                    .iter()
                    .any(|r| r.get(j).is_some_and(Value::is_string))
                {
                    ColumnKind::Text
                } else {
                    ColumnKind::Numeric
                }
            })
            .collect()
    }
}

/// Explains every record (its texts unit by unit, its numbers one by one).
pub async fn monitor_text(
    data: TextRecords,
    cfg: &AnalysisConfig,
    shap: &ShapConfig,
    text: &TextConfig,
    predictor: Arc<Predictor>,
) -> Result<TextOutput, MonitorError> {
    let kinds = data.kinds();
    let TextRecords { names, records } = data;
    if let Some(i) = records.iter().position(|r| r.len() != names.len()) {
        return Err(MonitorError::Data(format!(
            "record {} has {} values for the {} features ({})",
            i + 1,
            records[i].len(),
            names.len(),
            names.join(", ")
        )));
    }
    if !kinds.contains(&ColumnKind::Text) {
        return Err(MonitorError::Unsupported(format!(
            "methods.shap.text_config is set but no feature column holds text (features: {})",
            names.join(", ")
        )));
    }
    let baselines = baselines(shap, &names, &kinds, &records)?;
    let kernel = kernel_settings(shap);
    let settings = TextSettings {
        granularity: text.granularity,
        language: text.language,
        link: kernel.link,
        num_samples: kernel.num_samples,
        seed: kernel.seed,
    };
    let height = records.len();
    let work = Work {
        records,
        kinds: kinds.clone(),
        names: names.clone(),
        baselines,
        settings,
    };
    let p = predictor.clone();
    let (results, coalitions) = tokio::task::spawn_blocking(move || match &*p {
        Predictor::Endpoint(endpoint) => Ok(work.run(endpoint)),
        Predictor::InProcess(_) => Err(MonitorError::Unsupported(
            "text explanations need a model endpoint (predictor.endpoint_name); an in-process model takes numbers only".into(),
        )),
    })
    .await
    .map_err(|e| MonitorError::Data(format!("the text explanations stopped ({e})")))??;
    let mut kept: Vec<RecordExplanation> = Vec::new();
    let mut local = Vec::with_capacity(height);
    let mut warnings = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Some(Ok(e)) => {
                local.push(local_line(&e, &names, &kinds));
                kept.push(e);
            }
            Some(Err(ShapError::Model(e))) => return Err(ShapError::Model(e).into()),
            Some(Err(ShapError::Invalid(why))) => {
                let reason = format!("record {} (line {}): {why}", i + 1, i + 1);
                tracing::warn!(record = i + 1, reason = %why, "record not explained");
                warnings.push(reason.clone());
                local.push(LocalLine::failed(reason));
            }
            // Not reached: a model failure stopped the workers (and is returned above).
            None => {
                return Err(MonitorError::Data(format!(
                    "record {} was not explained",
                    i + 1
                )));
            }
        }
    }
    let Some(first) = kept.first() else {
        return Err(MonitorError::Data(format!(
            "no record could be explained ({height} records; the first: {})",
            warnings
                .first()
                .cloned()
                .unwrap_or_else(|| "the dataset has no rows".into())
        )));
    };
    let labels: Vec<String> = (0..first.phi.len())
        .map(|o| {
            cfg.predictor
                .as_ref()
                .and_then(|p| p.label_headers.get(o).cloned())
                .unwrap_or_else(|| format!("label{o}"))
        })
        .collect();
    let method = agg(shap.agg_method);
    let units = TopUnits {
        columns: kinds
            .iter()
            .enumerate()
            .filter(|(_, k)| **k == ColumnKind::Text)
            .map(|(j, _)| (j, names[j].clone()))
            .collect(),
        labels: labels.clone(),
        method,
        max: text.max_top_tokens,
        records: kept,
    };
    let explained: Vec<&RecordExplanation> = units.records.iter().collect();
    let mut kernel_shap = OrderedMap::new();
    for (o, label) in labels.iter().enumerate() {
        let global = global_columns(&explained, names.len(), o, method);
        let expected =
            explained.iter().map(|e| e.expected[o]).sum::<f64>() / explained.len() as f64;
        kernel_shap.insert(
            label.clone(),
            ShapLabel {
                global_shap_values: names
                    .iter()
                    .cloned()
                    .zip(global.iter().map(|v| MetricValue::new(*v)))
                    .collect(),
                expected_value: MetricValue::new(expected),
                global_top_shap_text: units.of(&explained, o),
            },
        );
    }
    let totals = TextTotals {
        records: height,
        explained: explained.len(),
        players: explained.iter().map(|e| e.players.len()).sum(),
        coalitions,
        endpoint_requests: predictor.requests(),
        violations: 0,
    };
    drop(explained);
    let analysis = AnalysisDoc {
        explanations: Some(Explanations {
            kernel_shap: Some(kernel_shap),
            pdp: None,
        }),
        driftwatch: Some(DriftwatchBlock {
            version: env!("CARGO_PKG_VERSION").to_string(),
            warnings: warnings.clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    Ok(TextOutput {
        analysis,
        local,
        warnings,
        totals,
        units,
    })
}

impl TextOutput {
    /// The explainability part of an execution's analysis: the text analysis, its
    /// out.jsonl, and the attribution drift check against `baseline` (by the window's and
    /// the baseline's top units, see `check::attribution_drift`); with the check's intervals
    /// on, each label's nDCG gets its bootstrap interval over the records, and in significant
    /// mode only a label whose whole interval is below the threshold violates.
    pub fn outcome(
        &self,
        baseline: Option<&AnalysisDoc>,
        threshold: f64,
        check: &CheckConfig,
    ) -> ExplainOutcome {
        let explanations = self.analysis.explanations.clone().unwrap_or_default();
        let mut out = ExplainOutcome {
            explanations,
            ndcg: OrderedMap::new(),
            violations: Vec::new(),
            warnings: self.warnings.clone(),
            ndcg_intervals: OrderedMap::new(),
            not_significant: Vec::new(),
            local: Some(LocalShap {
                file: LOCAL_TEXT_SHAP_FILE,
                text: local_jsonl(&self.local),
            }),
            endpoint_requests: self.totals.endpoint_requests,
            coverage: Coverage::default(),
            ndcg_threshold: None,
        };
        count_global_values(&out.explanations, &mut out.coverage);
        if let Some(b) = baseline {
            if check.intervals {
                out.ndcg_intervals = self.units.intervals(b, check);
            }
            let mut current = self.analysis.clone();
            if let Some(d) = current.driftwatch.as_mut() {
                d.ndcg_intervals = out.ndcg_intervals.clone();
            }
            let significant = (check.mode == CheckMode::Significant).then_some(check.confidence);
            let c = attribution_drift::check(&current, b, threshold, significant);
            out.ndcg = c.ndcg;
            out.violations = c.violations;
            out.not_significant = c.not_significant;
            out.warnings.extend(c.warnings);
            out.coverage.checked(c.checked, &c.not_checked, 0);
            out.ndcg_threshold = (!out.ndcg.is_empty()).then_some(threshold);
        }
        out
    }
}

/// The records to explain and how; run on a blocking thread, records spread over
/// [`CONCURRENCY`] workers (each waits on its own requests).
struct Work {
    records: Vec<Vec<Value>>,
    kinds: Vec<ColumnKind>,
    names: Vec<String>,
    baselines: Vec<Vec<Value>>,
    settings: TextSettings,
}

type Outcome = Option<Result<RecordExplanation, ShapError>>;

impl Work {
    /// Each record's outcome (None: not reached, after a model failure stopped the workers),
    /// and the coalitions evaluated.
    fn run(&self, endpoint: &EndpointPredictor) -> (Vec<Outcome>, usize) {
        let score = |batch: &[Vec<Value>]| endpoint.predict_records(batch, MAX_RECORDS_PER_REQUEST);
        let height = self.records.len();
        let next = AtomicUsize::new(0);
        let coalitions = AtomicUsize::new(0);
        let stop = std::sync::atomic::AtomicBool::new(false);
        let slots: Vec<std::sync::Mutex<Outcome>> =
            (0..height).map(|_| std::sync::Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for _ in 0..CONCURRENCY.min(height.max(1)) {
                scope.spawn(|| {
                    while !stop.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= height {
                            break;
                        }
                        let r = explain_record(
                            &score,
                            &self.records[i],
                            &self.kinds,
                            &self.names,
                            &self.baselines,
                            &self.settings,
                        );
                        match &r {
                            Ok(e) => {
                                coalitions.fetch_add(e.coalitions, Ordering::Relaxed);
                            }
                            Err(ShapError::Model(_)) => stop.store(true, Ordering::Relaxed),
                            Err(ShapError::Invalid(_)) => {}
                        }
                        if let Ok(mut slot) = slots[i].lock() {
                            *slot = Some(r);
                        }
                    }
                });
            }
        });
        let outcomes = slots
            .into_iter()
            .map(|m| m.into_inner().ok().flatten())
            .collect();
        (outcomes, coalitions.load(Ordering::Relaxed))
    }
}

/// One record's out.jsonl line: each column in order, a text column unit by unit.
fn local_line(e: &RecordExplanation, names: &[String], kinds: &[ColumnKind]) -> LocalLine {
    let values = |p: usize| e.phi.iter().map(|o| o[p]).collect::<Vec<f64>>();
    let mut features: Vec<FeatureAttributions> = names
        .iter()
        .zip(kinds)
        .map(|(n, k)| FeatureAttributions {
            feature_name: n.clone(),
            data_type: match k {
                ColumnKind::Text => FREE_TEXT,
                ColumnKind::Numeric => NUMERICAL,
            }
            .to_string(),
            attributions: Vec::new(),
        })
        .collect();
    for (p, player) in e.players.iter().enumerate() {
        match *player {
            Player::Column(j) => features[j].attributions.push(Attribution {
                attribution: values(p),
                description: None,
            }),
            Player::Unit { column, unit } => {
                let u = &e.units[column][unit];
                features[column].attributions.push(Attribution {
                    attribution: values(p),
                    description: Some(UnitDescription {
                        partial_text: u.text.clone(),
                        start_idx: u.start_idx,
                    }),
                });
            }
        }
    }
    LocalLine {
        explanations: features,
        driftwatch: None,
    }
}

/// The baseline rows: `methods.shap.baseline` (a text column's entry is its replacement
/// string), else one row of the numeric columns' means and an empty replacement string.
fn baselines(
    shap: &ShapConfig,
    names: &[String],
    kinds: &[ColumnKind],
    records: &[Vec<Value>],
) -> Result<Vec<Vec<Value>>, MonitorError> {
    let Some(ShapBaseline::Rows(rows)) = &shap.baseline else {
        let row = kinds
            .iter()
            .enumerate()
            .map(|(j, k)| match k {
                ColumnKind::Text => Value::from(""),
                ColumnKind::Numeric => {
                    let xs: Vec<f64> = records.iter().filter_map(|r| r[j].as_f64()).collect();
                    number(xs.iter().sum::<f64>() / xs.len().max(1) as f64)
                }
            })
            .collect();
        return Ok(vec![row]);
    };
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let at = |what: String| {
                MonitorError::Data(format!("methods.shap.baseline[{i}]: {what}"))
            };
            let values: Vec<Value> = match row {
                Value::Array(v) => v.clone(),
                Value::Object(m) => names
                    .iter()
                    .map(|n| m.get(n).cloned().ok_or_else(|| at(format!("has no value for feature {n:?}"))))
                    .collect::<Result<_, _>>()?,
                other => return Err(at(format!("is not a row: {other}"))),
            };
            if values.len() != names.len() {
                return Err(at(format!(
                    "has {} values for the {} features ({})",
                    values.len(),
                    names.len(),
                    names.join(", ")
                )));
            }
            values
                .into_iter()
                .zip(kinds)
                .zip(names)
                .map(|((v, k), n)| match (k, &v) {
                    (ColumnKind::Text, Value::String(_)) => Ok(v),
                    (ColumnKind::Text, other) => Err(at(format!(
                        "feature {n:?} is a text column: its baseline is the replacement string for an absent unit (e.g. \"[MASK]\"), got {other}"
                    ))),
                    (ColumnKind::Numeric, Value::Number(_)) => Ok(v),
                    (ColumnKind::Numeric, Value::String(s)) => s
                        .trim()
                        .parse::<f64>()
                        .map(number)
                        .map_err(|_| at(format!("feature {n:?} is numeric, got {s:?}"))),
                    (ColumnKind::Numeric, other) => Err(at(format!("feature {n:?} is numeric, got {other}"))),
                })
                .collect()
        })
        .collect()
}
