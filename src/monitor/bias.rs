//! The bias monitor: a frame of records (features, label, prediction) → Clarify's pre- and
//! post-training metrics per facet in analysis.json's shape → the bias drift check against
//! the baseline constraints.

use crate::sagemaker::verdict::DiNeutral;
use polars::prelude::{BooleanChunked, DataFrame, NewChunkedArray};

use super::{Coverage, MonitorError};
use std::collections::HashMap;

use crate::bias::bootstrap::{BootstrapSettings, Interval, intervals};
use crate::bias::engine::PredictionSource;
use crate::bias::select::joined;
use crate::bias::values::{Values, count_selected};
use crate::bias::{BiasAnalysis, FacetReport, StageReport, run_bias};
use crate::check::bias_drift::{self, Gate, Sizes};
use crate::config::analysis::{AnalysisConfig, ColumnType};
use crate::config::check::CheckConfig;
use crate::sagemaker::analysis::{
    InsufficientData, IntervalEntry, MetricNote, NotSignificant, SegmentAnalysis,
};
use crate::sagemaker::{
    AnalysisDoc, BiasStage, BiasViolation, FacetEntry, MetricEntry, MetricValue, OrderedMap, Stage,
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
    /// How many records each row stands for (a streamed window); `None`: one each.
    pub weights: Option<&'a [u64]>,
    pub config: &'a AnalysisConfig,
    /// How violations are judged and the intervals' settings.
    pub check: &'a CheckConfig,
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
    /// Stage key → facet → facet value → metric → interval.
    pub intervals: Intervals,
    pub insufficient: Vec<InsufficientData>,
    pub not_significant: Vec<NotSignificant>,
    pub not_judged: Vec<MetricNote>,
    pub unusable_baselines: Vec<MetricNote>,
    /// What could be computed and checked.
    pub coverage: Coverage,
    /// `segment_config`: each segment's metrics.
    pub segments: Vec<SegmentAnalysis>,
}

impl BiasOutcome {
    /// The stages and their intervals as an analysis.json (what the check reads).
    pub fn as_doc(&self) -> AnalysisDoc {
        AnalysisDoc {
            pre_training_bias_metrics: self.pre_training.clone(),
            post_training_bias_metrics: self.post_training.clone(),
            driftwatch: Some(crate::sagemaker::DriftwatchBlock {
                intervals: self.intervals.clone(),
                ..Default::default()
            }),
            ..AnalysisDoc::default()
        }
    }
}

/// The bias metrics of each segment of each `segment_config` entry, on the segment's rows
/// alone (its own type inference, as Clarify would on that subset). A segment that cannot be
/// analysed (no rows, no positive label) says why in its entry; the whole analysis goes on.
fn segment_analyses(req: &BiasRequest<'_>) -> Result<Vec<SegmentAnalysis>, MonitorError> {
    let cfg = req.config;
    let mut out = Vec::new();
    for (i, seg_cfg) in cfg.segment_config.iter().enumerate() {
        let role = format!("segment_config[{i}].name_or_index");
        let column = crate::bias::engine::resolve(req.frame, &role, &seg_cfg.column)?;
        let values = req
            .frame
            .column(&column)
            .map_err(|e| MonitorError::Data(format!("{role}: {e}")))
            .and_then(|c| Values::from_column(c).map_err(MonitorError::Data))?;
        let segments = crate::bias::segments::segments(&values, seg_cfg)
            .map_err(|e| MonitorError::Data(format!("segment_config[{i}].{e}")))?;
        for seg in segments {
            let records = count_selected(&seg.mask, req.weights);
            let mut entry = SegmentAnalysis {
                config_name: seg_cfg.config_name.clone(),
                column: column.clone(),
                segment: seg.name,
                values: seg.values,
                records,
                ..SegmentAnalysis::default()
            };
            if records == 0 {
                entry.error = Some("no record is in this segment".into());
                out.push(entry);
                continue;
            }
            let mask = BooleanChunked::from_slice("segment".into(), &seg.mask);
            let frame = req
                .frame
                .filter(&mask)
                .map_err(|e| MonitorError::Data(format!("{role}: {e}")))?;
            let weights: Option<Vec<u64>> = req.weights.map(|w| {
                w.iter()
                    .zip(&seg.mask)
                    .filter(|(_, m)| **m)
                    .map(|(w, _)| *w)
                    .collect()
            });
            match run_bias(&frame, cfg, req.predictions, weights.as_deref()) {
                Ok(a) => {
                    entry.pre_training_bias_metrics = a.pre_training.as_ref().map(stage);
                    entry.post_training_bias_metrics = a.post_training.as_ref().map(stage);
                }
                Err(e) => entry.error = Some(e.to_string()),
            }
            out.push(entry);
        }
    }
    Ok(out)
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

fn coverage(a: &BiasAnalysis) -> Coverage {
    let results = [&a.pre_training, &a.post_training]
        .into_iter()
        .flatten()
        .flat_map(|s| &s.facets)
        .flat_map(|(_, entries)| entries)
        .flat_map(|e| &e.metrics);
    let mut c = Coverage::default();
    for m in results {
        c.count(m.value.as_ref().err().map(String::as_str));
    }
    c
}

/// Computes the metrics the config requests and checks them against the baseline.
pub fn monitor_bias(req: BiasRequest<'_>) -> Result<BiasOutcome, MonitorError> {
    let cfg = req.config;
    let analysis = run_bias(req.frame, cfg, req.predictions, req.weights)?;
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
    let coverage = coverage(&analysis);
    let (intervals, group_sizes) = if req.check.intervals {
        bootstrap(&analysis, req.check)
    } else {
        (Intervals::new(), HashMap::new())
    };
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
        intervals,
        insufficient: Vec::new(),
        not_significant: Vec::new(),
        not_judged: Vec::new(),
        unusable_baselines: Vec::new(),
        coverage,
        segments: segment_analyses(&req)?,
    };
    if let Some(baseline) = req.baseline
        && (out.pre_training.is_some() || out.post_training.is_some())
    {
        let gate = Gate {
            check: req.check,
            group_sizes: &group_sizes,
        };
        let check = bias_drift::check(&out.as_doc(), baseline, &gate);
        out.violations = check.violations;
        out.warnings.extend(check.warnings);
        out.insufficient = check.insufficient;
        out.not_significant = check.not_significant;
        out.coverage.checked(
            check.checked,
            &check.not_checked,
            check.unusable_baselines.len(),
        );
        out.not_judged = check.not_judged;
        out.unusable_baselines = check.unusable_baselines;
    }
    Ok(out)
}

impl BiasOutcome {
    /// Warnings for metric values that would make useless constraints if this analysis
    /// became a baseline (±Infinity, a bound of the metric's range): `analyze` computes
    /// baselines, so it says so when it writes one.
    pub fn as_baseline_warnings(&self) -> Vec<String> {
        self.as_doc()
            .metrics()
            .filter_map(|m| {
                let note = bias_drift::unusable_baseline(
                    &m.metric.name,
                    m.value()?,
                    DiNeutral::default(),
                )?;
                Some(format!(
                    "as a baseline, {} for facet {}={} is {note}",
                    m.metric.name, m.facet, m.facet_value
                ))
            })
            .collect()
    }
}

/// Stage key → facet → facet value → metric → interval, as analysis.json holds them.
pub type Intervals = OrderedMap<OrderedMap<OrderedMap<OrderedMap<IntervalEntry>>>>;

/// The stream that separates a facet entry's random draws from every other entry's.
fn stream(stage: usize, facet: usize, entry: usize) -> u64 {
    ((stage as u64) << 40) | ((facet as u64) << 20) | entry as u64
}

/// Every facet entry's intervals by its stream, computed on every core: each entry draws
/// from its own stream, so the order they are computed in changes nothing.
fn all_intervals(
    analysis: &BiasAnalysis,
    settings: &BootstrapSettings,
) -> HashMap<u64, Vec<(&'static str, Interval)>> {
    let mut jobs = Vec::new();
    for (si, report) in [&analysis.pre_training, &analysis.post_training]
        .into_iter()
        .enumerate()
    {
        let Some(report) = report else { continue };
        for (fi, (_, entries)) in report.facets.iter().enumerate() {
            for (ei, e) in entries.iter().enumerate() {
                if let Some(joint) = &e.joint {
                    let names: Vec<&'static str> = e.metrics.iter().map(|m| m.name).collect();
                    jobs.push((stream(si, fi, ei), joint, names));
                }
            }
        }
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len())
        .max(1);
    let run = |k: usize| -> Vec<(u64, Vec<(&'static str, Interval)>)> {
        jobs.iter()
            .skip(k)
            .step_by(threads)
            .map(|(stream, joint, names)| (*stream, intervals(joint, names, settings, *stream)))
            .collect()
    };
    if threads == 1 {
        return run(0).into_iter().collect();
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|k| s.spawn(move || run(k))).collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Every metric's bootstrap interval, and each facet group's size (the smaller side).
fn bootstrap(
    analysis: &BiasAnalysis,
    check: &CheckConfig,
) -> (Intervals, HashMap<(Stage, String, String), Sizes>) {
    let comparisons = [&analysis.pre_training, &analysis.post_training]
        .into_iter()
        .flatten()
        .flat_map(|s| &s.facets)
        .flat_map(|(_, entries)| entries)
        .flat_map(|e| &e.metrics)
        .filter(|m| m.name != "FT" && m.value.is_ok())
        .count();
    let (confidence, resamples) = check.interval_settings(comparisons);
    let settings = BootstrapSettings {
        confidence,
        resamples,
        seed: check.seed,
    };
    let mut computed = all_intervals(analysis, &settings);
    let mut out = Intervals::new();
    let mut sizes = HashMap::new();
    for (si, (stage, report)) in [
        (Stage::PreTraining, &analysis.pre_training),
        (Stage::PostTraining, &analysis.post_training),
    ]
    .into_iter()
    .enumerate()
    {
        let Some(report) = report else { continue };
        let mut facets = OrderedMap::new();
        for (fi, (facet, entries)) in report.facets.iter().enumerate() {
            let mut values = OrderedMap::new();
            for (ei, e) in entries.iter().enumerate() {
                let entry =
                    |lower: Option<f64>, upper: Option<f64>, note: Option<String>| IntervalEntry {
                        lower: lower.map(MetricValue::new),
                        upper: upper.map(MetricValue::new),
                        confidence: settings.confidence,
                        resamples: settings.resamples,
                        note,
                    };
                let mut metrics = OrderedMap::new();
                match &e.joint {
                    Some(joint) => {
                        let cells = joint.cells();
                        let groups = joint.group_sizes();
                        sizes.insert(
                            (stage, facet.clone(), e.value_or_threshold.clone()),
                            Sizes {
                                smaller_side: cells.a.n().min(cells.d.n()),
                                groups: groups.len(),
                                smallest_group: groups.iter().copied().min().unwrap_or(0),
                            },
                        );
                        let stream = stream(si, fi, ei);
                        for ((name, iv), m) in computed
                            .remove(&stream)
                            .unwrap_or_default()
                            .into_iter()
                            .zip(&e.metrics)
                        {
                            let iv = match (iv, &m.value) {
                                // The metric itself has no value: its error is the note.
                                (_, Err(e)) => entry(None, None, Some(e.clone())),
                                (Interval::Bounds { lower, upper }, Ok(_)) => {
                                    entry(Some(lower), Some(upper), None)
                                }
                                (Interval::NotComputed(why), Ok(_)) => entry(None, None, Some(why)),
                            };
                            metrics.insert(name, iv);
                        }
                    }
                    None => {
                        for m in &e.metrics {
                            let why = m.value.as_ref().err().cloned().unwrap_or_default();
                            metrics.insert(m.name, entry(None, None, Some(why)));
                        }
                    }
                }
                values.insert(e.value_or_threshold.clone(), metrics);
            }
            facets.insert(facet.clone(), values);
        }
        out.insert(stage.key(), facets);
    }
    (out, sizes)
}
