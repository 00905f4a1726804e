//! The data-quality monitor's files: `statistics.json` and `constraints.json`, with the keys,
//! key order and number types of SageMaker's analyzer container (`version` and every count
//! of a distribution are doubles, item counts integers). Written with
//! [`super::jackson::jackson_bytes`]; read tolerantly (unknown keys ignored), since
//! baselines made by SageMaker itself over the years carry keys of older containers.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statistics {
    pub version: f64,
    pub dataset: Dataset,
    pub features: Vec<FeatureStatistics>,
    /// driftwatch's own block, after SageMaker's keys, in a monitoring execution's file only
    /// (a baseline's statistics.json is SageMaker's bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driftwatch: Option<DataQualityBlock>,
}

/// What a monitoring execution's checks came to, beyond SageMaker's files (which keep only
/// the violations): every drift distance measured, the checks that could not be made, and the
/// warnings. The report and the dashboard read them from here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataQualityBlock {
    #[serde(default)]
    pub baseline_drift: Vec<FeatureDrift>,
    #[serde(default)]
    pub not_checked: Vec<NotCheckedEntry>,
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// One feature's `baseline_drift_check`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    pub name: String,
    pub distance: f64,
    pub threshold: f64,
    /// `numerical` (KLL sketches) or `categorical` (value counts).
    pub kind: String,
    /// `linf` (a largest gap: violates above the threshold), `chi_squared_p_value` (violates
    /// below it) or `chi_squared_statistic`.
    #[serde(default = "linf")]
    pub measure: String,
    /// With the significant check: whether the gap is beyond sampling noise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub significant: Option<bool>,
    pub violation: bool,
}

fn linf() -> String {
    "linf".into()
}

/// A check that could not be made for a feature (`all`: none of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotCheckedEntry {
    pub feature_name: String,
    pub constraint_check_type: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub item_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureStatistics {
    pub name: String,
    pub inferred_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numerical_statistics: Option<NumericalStatistics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_statistics: Option<StringStatistics>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Common {
    pub num_present: u64,
    pub num_missing: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericalStatistics {
    pub common: Common,
    pub mean: f64,
    pub sum: f64,
    pub std_dev: f64,
    pub min: f64,
    pub max: f64,
    pub distribution: NumericDistribution,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericDistribution {
    pub kll: KllDistribution,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KllDistribution {
    pub buckets: Vec<KllBucket>,
    pub sketch: KllSketch,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KllBucket {
    pub lower_bound: f64,
    pub upper_bound: f64,
    pub count: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KllSketch {
    pub parameters: KllParameters,
    pub data: Vec<Vec<f64>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KllParameters {
    pub c: f64,
    pub k: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StringStatistics {
    pub common: Common,
    pub distinct_count: f64,
    /// Left out when a column has too many distinct values for an exact histogram.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution: Option<StringDistribution>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StringDistribution {
    pub categorical: CategoricalDistribution,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalDistribution {
    pub buckets: Vec<CategoricalBucket>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalBucket {
    pub value: String,
    /// An integer in the container's files (`"count" : 418`), unlike the numeric buckets'.
    pub count: u64,
}

/// `constraints.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Constraints {
    pub version: f64,
    pub features: Vec<FeatureConstraints>,
    pub monitoring_config: MonitoringConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureConstraints {
    pub name: String,
    pub inferred_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completeness: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_constraints: Option<NumConstraints>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_constraints: Option<StringConstraints>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NumConstraints {
    pub is_non_negative: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StringConstraints {
    #[serde(default)]
    pub domains: Vec<String>,
}

/// `monitoring_config`, with the suggested baseline's values as defaults (what a file that
/// leaves a key out means).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitoringConfig {
    #[serde(default = "enabled")]
    pub evaluate_constraints: String,
    #[serde(default = "enabled")]
    pub emit_metrics: String,
    #[serde(default = "one")]
    pub datatype_check_threshold: f64,
    #[serde(default = "one")]
    pub domain_content_threshold: f64,
    #[serde(default)]
    pub distribution_constraints: DistributionConstraints,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistributionConstraints {
    #[serde(default = "enabled")]
    pub perform_comparison: String,
    #[serde(default = "tenth")]
    pub comparison_threshold: f64,
    #[serde(default = "robust")]
    pub comparison_method: String,
    /// Written by containers since 2023 (`categorical_comparison_threshold`,
    /// `categorical_drift_method`); absent, the numeric threshold and LInfinity apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categorical_comparison_threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categorical_drift_method: Option<String>,
}

impl Default for DistributionConstraints {
    fn default() -> Self {
        Self {
            perform_comparison: enabled(),
            comparison_threshold: tenth(),
            comparison_method: robust(),
            categorical_comparison_threshold: None,
            categorical_drift_method: None,
        }
    }
}

fn enabled() -> String {
    "Enabled".into()
}
fn robust() -> String {
    "Robust".into()
}
fn one() -> f64 {
    1.0
}
fn tenth() -> f64 {
    0.1
}

/// The data-quality monitor's `constraint_violations.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataViolations {
    pub violations: Vec<DataViolationEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataViolationEntry {
    pub feature_name: String,
    pub constraint_check_type: String,
    pub description: String,
}
