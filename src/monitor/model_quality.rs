//! The model-quality monitor: a window's merged records (their mergeable state, the
//! label-free estimate's state) and the schedule's baseline → statistics.json with
//! driftwatch's block, the window's suggested constraints.json, and
//! constraint_violations.json once constraints were checked (even empty, as the container
//! writes it), for any caller.

use super::MonitorError;
use super::inputs::read_optional;
use super::write::{WriteError, Written, write_file, write_violations};
use crate::aws::AwsClients;
use crate::config::Location;
use crate::config::check::{CheckConfig, CheckMode};
use crate::model_quality::check::check;
use crate::model_quality::estimate::{CalibrationState, EstimateState, versus_measured};
use crate::model_quality::intervals::intervals;
use crate::model_quality::state::QualityState;
use crate::sagemaker::jackson::jackson_bytes;
use crate::sagemaker::layout::{CONSTRAINTS_FILE, STATISTICS_FILE};
use crate::sagemaker::model_quality::{
    Estimate, MetricInterval, ModelQualityBlock, ModelQualityConstraints, ModelQualityStatistics,
    ModelQualityViolations, NotComputed, ProblemType,
};
use crate::store::ObjectStore;

/// What a window is judged against.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelQualityBaseline {
    pub constraints: Option<ModelQualityConstraints>,
    /// Shown beside the window's values; not needed to check.
    pub statistics: Option<ModelQualityStatistics>,
}

/// The schedule's baseline files, each when it names one.
pub async fn read_baseline(
    constraints: Option<&Location>,
    statistics: Option<&Location>,
    clients: &AwsClients,
) -> Result<ModelQualityBaseline, MonitorError> {
    Ok(ModelQualityBaseline {
        constraints: read_optional(
            "baseline_constraints",
            constraints,
            "model-quality constraints",
            |c: &ModelQualityConstraints| c.version,
            clients,
        )
        .await?,
        statistics: read_optional(
            "baseline_statistics",
            statistics,
            "model-quality statistics",
            |s: &ModelQualityStatistics| s.version,
            clients,
        )
        .await?,
    })
}

/// A window's merged records, as the monitor reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowQuality {
    /// The labelled records' state.
    pub measured: QualityState,
    /// Binary classification with scores: the estimate over every captured record, and over
    /// the labelled ones only (to compare with what was measured on them).
    pub estimate_all: Option<EstimateState>,
    pub estimate_labelled: Option<EstimateState>,
    pub calibration: CalibrationState,
    pub captured: u64,
    pub unlabelled: u64,
    /// The window, as `dataset.start_time` / `end_time` spell it.
    pub start_time: String,
    pub end_time: String,
}

/// What the monitor produced for a window.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelQualityOutput {
    pub statistics: ModelQualityStatistics,
    /// The constraints this window would suggest (the container writes them beside).
    pub constraints: Option<ModelQualityConstraints>,
    /// Once constraints were checked (possibly empty).
    pub violations: Option<ModelQualityViolations>,
    pub warnings: Vec<String>,
    pub checked: usize,
    pub not_checked: usize,
}

impl ModelQualityOutput {
    pub fn violation_count(&self) -> usize {
        self.violations.as_ref().map_or(0, |v| v.violations.len())
    }
}

/// The window's statistics, checks, intervals and estimate.
pub fn monitor_model_quality(
    window: WindowQuality,
    baseline: &ModelQualityBaseline,
    problem: ProblemType,
    settings: &CheckConfig,
    mut warnings: Vec<String>,
) -> Result<ModelQualityOutput, MonitorError> {
    let measured = &window.measured;
    let labelled = measured.rows() > 0;
    // Deviations are a baseline's (5 samples of 80 %); a window's are "NaN", as the container
    // writes them.
    let mut statistics = measured.statistics(&[]);
    if !labelled {
        // Nothing measured: no metrics block of zeros and NaNs for an alarm to read.
        statistics.regression_metrics = None;
        statistics.binary_classification_metrics = None;
        statistics.multiclass_classification_metrics = None;
    }
    statistics.dataset.start_time = Some(window.start_time.clone());
    statistics.dataset.end_time = Some(window.end_time.clone());
    let mut block = ModelQualityBlock {
        problem_type: problem.as_str().to_string(),
        captured_records: window.captured,
        unlabelled_records: window.unlabelled,
        ..Default::default()
    };
    let scalars = measured.scalars();
    if labelled {
        for (name, v) in &scalars {
            if v.is_none() {
                block.not_computed.push(NotComputed {
                    metric_name: name.to_string(),
                    reason: match *name {
                        "auc" => {
                            "needs probability_attribute scores and both classes among the labels"
                                .into()
                        }
                        "r2" => "undefined: the window's ground truth is constant".into(),
                        _ => "undefined for this window's records".into(),
                    },
                });
            }
        }
    }
    // Intervals: per metric at the check's confidence (simultaneous in significant mode).
    let asked = baseline
        .constraints
        .as_ref()
        .and_then(|c| c.metrics())
        .map_or(0, |m| m.len());
    let (confidence, resamples) = settings.interval_settings(asked);
    let bounds = if labelled && settings.intervals {
        intervals(measured, confidence, resamples, settings.seed)
    } else {
        Vec::new()
    };
    for (name, b) in &bounds {
        match b {
            Ok((lower, upper)) => block.intervals.push(MetricInterval {
                metric_name: name.to_string(),
                confidence,
                lower: *lower,
                upper: *upper,
            }),
            Err(reason) if scalars.iter().any(|(n, v)| n == name && v.is_some()) => {
                block.not_computed.push(NotComputed {
                    metric_name: format!("{name} interval"),
                    reason: reason.clone(),
                })
            }
            Err(_) => {}
        }
    }
    let interval_of = |name: &str| -> Option<(f64, f64)> {
        bounds
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, b)| b.clone().ok())
    };
    let significant: Option<crate::model_quality::check::IntervalOf<'_>> =
        (settings.mode == CheckMode::Significant).then_some(&interval_of);
    let (mut checked, mut not_checked) = (0, 0);
    let mut violations = None;
    match (&baseline.constraints, labelled) {
        (Some(c), true) => {
            let outcome = check(&statistics, c, problem, significant).map_err(|e| {
                MonitorError::Invalid {
                    what: "baseline_constraints",
                    location: String::new(),
                    message: e.to_string(),
                }
            })?;
            checked = outcome.checks.len();
            not_checked = outcome.not_checked.len();
            block.checks = outcome.checks;
            block.not_computed.extend(outcome.not_checked);
            violations = Some(outcome.violations);
        }
        (Some(c), false) => {
            not_checked = c.metrics().map_or(0, |m| m.len());
            warnings.push(format!(
                "no captured record of the window has ground truth yet: nothing was measured or checked ({not_checked} constraints); see the estimate"
            ));
        }
        (None, false) => warnings.push(
            "no captured record of the window has ground truth yet: nothing was measured; see the estimate".into(),
        ),
        (None, true) => {}
    }
    if window.unlabelled > 0 && labelled {
        warnings.push(format!(
            "{} of {} captured records have no ground truth yet and were left out of the measured metrics",
            window.unlabelled, window.captured
        ));
    }
    if let Some(all) = &window.estimate_all {
        let metrics = all.metrics();
        if all.out_of_range > 0 {
            block.not_computed.push(NotComputed {
                metric_name: "estimate".into(),
                reason: format!(
                    "{} scores are outside [0, 1]: they are not probabilities, so nothing is estimated",
                    all.out_of_range
                ),
            });
        } else if !metrics.is_empty() {
            let on_labelled = window
                .estimate_labelled
                .as_ref()
                .map(|e| e.metrics())
                .unwrap_or_default();
            block.estimate = Some(Estimate {
                method: "CBPE".into(),
                records: all.n,
                metrics,
                calibration: window.calibration.verdict(),
                versus_measured: versus_measured(&on_labelled, &scalars),
            });
        }
    } else if problem == ProblemType::BinaryClassification {
        block.not_computed.push(NotComputed {
            metric_name: "estimate".into(),
            reason: "the label-free estimate needs probability_attribute scores".into(),
        });
    }
    block.warnings = warnings.clone();
    let constraints = labelled.then(|| measured.suggested_constraints());
    statistics.driftwatch = Some(block);
    Ok(ModelQualityOutput {
        statistics,
        constraints,
        violations,
        warnings,
        checked,
        not_checked,
    })
}

/// Writes statistics.json, the window's constraints.json, then constraint_violations.json
/// (or the removal of a stale one).
pub async fn write_model_quality<S: ObjectStore>(
    store: &S,
    folder: &str,
    output: &ModelQualityOutput,
) -> Result<Written, WriteError> {
    let analysis = write_file(
        store,
        folder,
        STATISTICS_FILE,
        jackson_bytes(&output.statistics),
    )
    .await?;
    match &output.constraints {
        Some(c) => {
            write_file(store, folder, CONSTRAINTS_FILE, jackson_bytes(c)).await?;
        }
        // Nothing measured: a stale file from an earlier run would suggest what this one
        // did not see.
        None => store
            .delete(&crate::store::join_key(folder, CONSTRAINTS_FILE))
            .await
            .map_err(|source| WriteError {
                action: "removing a stale",
                file: CONSTRAINTS_FILE,
                source,
            })?,
    }
    Ok(Written {
        analysis,
        violations: write_violations(store, folder, output.violations.as_ref().map(jackson_bytes))
            .await?,
        local_shap: None,
    })
}
