//! The data-quality monitor: a window's profile and the schedule's baseline
//! (`baseline_constraints`, `baseline_statistics`: SageMaker's files, or driftwatch's) →
//! statistics.json with driftwatch's block, and constraint_violations.json when something
//! violates, for any caller.

use super::MonitorError;
use super::inputs::read_optional;
use super::write::{WriteError, Written, write_file, write_violations};
use crate::aws::AwsClients;
use crate::config::Location;
use crate::config::check::{CheckConfig, CheckMode, DriftCdf};
use crate::data_quality::check::{CheckOutcome, DriftOptions, check};
use crate::data_quality::distance::Cdf;
use crate::data_quality::window::Profiled;
use crate::sagemaker::data_quality::{
    Constraints, DataQualityBlock, DataViolations, FeatureDrift, NotCheckedEntry, Statistics,
};
use crate::sagemaker::jackson::jackson_bytes;
use crate::sagemaker::layout::STATISTICS_FILE;
use crate::store::ObjectStore;

/// What a window is judged against.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataQualityBaseline {
    pub constraints: Option<Constraints>,
    /// Needed for `baseline_drift_check` only.
    pub statistics: Option<Statistics>,
}

impl DataQualityBaseline {
    /// The baseline's feature names in order: what captured columns are called by position.
    pub fn names(&self) -> Vec<String> {
        match (&self.constraints, &self.statistics) {
            (Some(c), _) => c.features.iter().map(|f| f.name.clone()).collect(),
            (None, Some(s)) => s.features.iter().map(|f| f.name.clone()).collect(),
            (None, None) => Vec::new(),
        }
    }
}

/// The schedule's baseline files, each when it names one.
pub async fn read_baseline(
    constraints: Option<&Location>,
    statistics: Option<&Location>,
    clients: &AwsClients,
) -> Result<DataQualityBaseline, MonitorError> {
    Ok(DataQualityBaseline {
        constraints: read_optional(
            "baseline_constraints",
            constraints,
            "data-quality constraints",
            |c: &Constraints| c.version,
            clients,
        )
        .await?,
        statistics: read_optional(
            "baseline_statistics",
            statistics,
            "data-quality statistics",
            |s: &Statistics| s.version,
            clients,
        )
        .await?,
    })
}

/// What the monitor produced for a window.
#[derive(Debug, Clone, PartialEq)]
pub struct DataQualityOutput {
    /// The window's statistics.json, driftwatch's block included.
    pub statistics: Statistics,
    /// None when nothing violated (no file then, as SageMaker).
    pub violations: Option<DataViolations>,
    pub warnings: Vec<String>,
    /// Checks made and not made (0 and 0 without constraints).
    pub checked: usize,
    pub not_checked: usize,
}

impl DataQualityOutput {
    pub fn violation_count(&self) -> usize {
        self.violations.as_ref().map_or(0, |v| v.violations.len())
    }
}

/// How many checks the constraints ask of a window: each feature's type, completeness,
/// drift and domain, and the column count.
fn checks_asked(c: &Constraints) -> usize {
    let cfg = &c.monitoring_config;
    if cfg.evaluate_constraints.eq_ignore_ascii_case("disabled") {
        return 0;
    }
    let drift = !cfg
        .distribution_constraints
        .perform_comparison
        .eq_ignore_ascii_case("disabled");
    1 + c
        .features
        .iter()
        .map(|f| {
            1 + usize::from(f.completeness.is_some())
                + usize::from(drift)
                + usize::from(
                    f.string_constraints
                        .as_ref()
                        .is_some_and(|s| !s.domains.is_empty()),
                )
        })
        .sum::<usize>()
}

/// A `check:` (a schedule's, or `check-data`'s flags) as the drift check reads it.
pub fn drift_options(check: &CheckConfig) -> DriftOptions {
    DriftOptions {
        cdf: match check.drift_cdf {
            DriftCdf::Sagemaker => Cdf::Distinct,
            DriftCdf::Weighted => Cdf::Weighted,
        },
        significant: (check.mode == CheckMode::Significant).then_some(check.confidence),
    }
}

/// The window's statistics and its violations of the baseline. `warnings` are the reading
/// steps'; what the profile left out (records of another width) is added to them.
pub fn monitor_data_quality(
    profiled: Profiled,
    baseline: &DataQualityBaseline,
    options: DriftOptions,
    mut warnings: Vec<String>,
) -> DataQualityOutput {
    for o in &profiled.other_widths {
        warnings.push(format!(
            "{} records have {} columns, the window's first record {}: they are not in the profile (the first at {})",
            o.records,
            o.width,
            profiled.profile.names.len(),
            o.first
        ));
    }
    let outcome = match &baseline.constraints {
        Some(c) => check(c, baseline.statistics.as_ref(), &profiled.profile, options),
        None => CheckOutcome::default(),
    };
    let asked = baseline.constraints.as_ref().map_or(0, checks_asked);
    let mut statistics = profiled.profile.statistics();
    let violating = |name: &str| {
        outcome
            .violations
            .iter()
            .any(|v| v.feature_name == name && v.constraint_check_type == "baseline_drift_check")
    };
    statistics.driftwatch = Some(DataQualityBlock {
        baseline_drift: outcome
            .drift
            .iter()
            .map(|d| FeatureDrift {
                name: d.feature_name.clone(),
                distance: d.distance,
                threshold: d.threshold,
                kind: if d.categorical {
                    "categorical"
                } else {
                    "numerical"
                }
                .into(),
                measure: d.measure.as_str().into(),
                significant: d.significant,
                violation: violating(&d.feature_name),
            })
            .collect(),
        not_checked: outcome
            .not_checked
            .iter()
            .map(|n| NotCheckedEntry {
                feature_name: n.feature_name.clone(),
                constraint_check_type: n.check.into(),
                reason: n.reason.clone(),
            })
            .collect(),
        warnings: warnings.clone(),
    });
    let not_checked = outcome.not_checked.len();
    let violations = (!outcome.violations.is_empty()).then(|| outcome.file());
    DataQualityOutput {
        statistics,
        violations,
        warnings,
        checked: asked.saturating_sub(not_checked),
        not_checked,
    }
}

/// Writes statistics.json, then constraint_violations.json or the removal of a stale one.
pub async fn write_data_quality<S: ObjectStore>(
    store: &S,
    folder: &str,
    output: &DataQualityOutput,
) -> Result<Written, WriteError> {
    Ok(Written {
        analysis: write_file(
            store,
            folder,
            STATISTICS_FILE,
            jackson_bytes(&output.statistics),
        )
        .await?,
        violations: write_violations(store, folder, output.violations.as_ref().map(jackson_bytes))
            .await?,
        local_shap: None,
    })
}
