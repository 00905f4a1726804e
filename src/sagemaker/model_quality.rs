//! The model-quality monitor's files: `statistics.json` (`dataset.item_count` and one of
//! `regression_metrics`, `binary_classification_metrics`, `multiclass_classification_metrics`,
//! each scalar metric `{"value", "standard_deviation"}`, the deviation the string `"NaN"` when
//! it is not computed) and `constraints.json` (`<problem>_constraints`, each metric with its
//! `threshold` and `comparison_operator`), with the keys in the order SageMaker's developer
//! guide and the container's files list them. Written with [`super::jackson::jackson_bytes`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `problem_type` (SageMaker's `MonitoringProblemType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ProblemType {
    Regression,
    BinaryClassification,
    MulticlassClassification,
}

impl ProblemType {
    /// SageMaker's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Regression => "Regression",
            Self::BinaryClassification => "BinaryClassification",
            Self::MulticlassClassification => "MulticlassClassification",
        }
    }

    /// Reads SageMaker's spelling.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Regression,
            Self::BinaryClassification,
            Self::MulticlassClassification,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// Metrics where more is worse (their suggested constraint is `GreaterThanThreshold`).
const ERROR_METRICS: &[&str] = &[
    "mae",
    "mse",
    "rmse",
    "false_positive_rate",
    "false_negative_rate",
];

/// Whether a larger value of `metric` is worse.
pub fn is_error_metric(metric: &str) -> bool {
    ERROR_METRICS.contains(&metric)
}

/// A metric's standard deviation: a number, or SageMaker's `"NaN"` (fewer than 200 rows).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deviation(pub Option<f64>);

impl Serialize for Deviation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(x) if x.is_finite() => s.serialize_f64(x),
            _ => s.serialize_str("NaN"),
        }
    }
}

impl<'de> Deserialize<'de> for Deviation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Number(f64),
            Text(serde::de::IgnoredAny),
        }
        Ok(Self(match Either::deserialize(d)? {
            Either::Number(x) => Some(x),
            Either::Text(_) => None,
        }))
    }
}

/// A metric's value: a number, or `"NaN"` where the window's records leave it undefined (as
/// Jackson writes a NaN double).
mod value_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_finite() {
            s.serialize_f64(*x)
        } else {
            s.serialize_str("NaN")
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(super::Deviation::deserialize(d)?.0.unwrap_or(f64::NAN))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    #[serde(with = "value_text")]
    pub value: f64,
    pub standard_deviation: Deviation,
}

/// `dataset`: the records' count and, in a monitoring execution's file, the window
/// (`start_time`, `end_time`, as the container writes them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemCount {
    pub item_count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
}

/// Actual label → predicted label → count.
pub type ConfusionMatrix = BTreeMap<String, BTreeMap<String, u64>>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    pub mae: Metric,
    pub mse: Metric,
    pub rmse: Metric,
    pub r2: Metric,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocCurve {
    pub false_positive_rates: Vec<f64>,
    pub true_positive_rates: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrecisionRecallCurve {
    pub precisions: Vec<f64>,
    pub recalls: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinaryClassificationMetrics {
    pub confusion_matrix: ConfusionMatrix,
    pub recall: Metric,
    pub precision: Metric,
    pub accuracy: Metric,
    pub recall_best_constant_classifier: Metric,
    pub precision_best_constant_classifier: Metric,
    pub accuracy_best_constant_classifier: Metric,
    pub true_positive_rate: Metric,
    pub true_negative_rate: Metric,
    pub false_positive_rate: Metric,
    pub false_negative_rate: Metric,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_operating_characteristic_curve: Option<RocCurve>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision_recall_curve: Option<PrecisionRecallCurve>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auc: Option<Metric>,
    pub f0_5: Metric,
    pub f1: Metric,
    pub f2: Metric,
    pub f0_5_best_constant_classifier: Metric,
    pub f1_best_constant_classifier: Metric,
    pub f2_best_constant_classifier: Metric,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MulticlassClassificationMetrics {
    pub confusion_matrix: ConfusionMatrix,
    pub accuracy: Metric,
    pub weighted_recall: Metric,
    pub weighted_precision: Metric,
    pub weighted_f0_5: Metric,
    pub weighted_f1: Metric,
    pub weighted_f2: Metric,
    pub accuracy_best_constant_classifier: Metric,
    pub weighted_recall_best_constant_classifier: Metric,
    pub weighted_precision_best_constant_classifier: Metric,
    pub weighted_f0_5_best_constant_classifier: Metric,
    pub weighted_f1_best_constant_classifier: Metric,
    pub weighted_f2_best_constant_classifier: Metric,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelQualityStatistics {
    pub version: f64,
    pub dataset: ItemCount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regression_metrics: Option<RegressionMetrics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_classification_metrics: Option<BinaryClassificationMetrics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiclass_classification_metrics: Option<MulticlassClassificationMetrics>,
    /// driftwatch's own block, after SageMaker's keys, in a monitoring execution's file only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driftwatch: Option<ModelQualityBlock>,
}

impl ModelQualityStatistics {
    /// Every scalar metric by name, in the file's order (the metrics block's entries that
    /// are `{"value", "standard_deviation"}`).
    pub fn scalars(&self) -> Vec<(String, Metric)> {
        let block = match (
            &self.regression_metrics,
            &self.binary_classification_metrics,
            &self.multiclass_classification_metrics,
        ) {
            (Some(r), _, _) => serde_json::to_value(r),
            (_, Some(b), _) => serde_json::to_value(b),
            (_, _, Some(m)) => serde_json::to_value(m),
            _ => return Vec::new(),
        };
        let Ok(serde_json::Value::Object(map)) = block else {
            return Vec::new();
        };
        map.into_iter()
            .filter_map(|(k, v)| Some((k, serde_json::from_value::<Metric>(v).ok()?)))
            .collect()
    }
}

/// What a monitoring execution measured beyond SageMaker's keys: the checks made and not
/// made, each metric's confidence interval, the label-free estimate, the warnings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelQualityBlock {
    pub problem_type: String,
    /// Captured records in the window, merged with ground truth or not.
    pub captured_records: u64,
    /// Captured records with no ground truth (yet).
    pub unlabelled_records: u64,
    #[serde(default)]
    pub checks: Vec<MetricCheck>,
    #[serde(default)]
    pub not_computed: Vec<NotComputed>,
    #[serde(default)]
    pub intervals: Vec<MetricInterval>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<Estimate>,
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// One constraint checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricCheck {
    pub metric_name: String,
    pub value: f64,
    pub threshold: f64,
    pub comparison_operator: String,
    /// With the significant check: whether the value is beyond the threshold by more than
    /// sampling noise (its interval excludes the threshold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub significant: Option<bool>,
    pub violation: bool,
}

/// A metric (or a constraint) that could not be computed or checked, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotComputed {
    pub metric_name: String,
    pub reason: String,
}

/// A metric's confidence interval at `confidence`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricInterval {
    pub metric_name: String,
    pub confidence: f64,
    pub lower: f64,
    pub upper: f64,
}

/// Binary-classification metrics estimated from the calibrated scores, without labels
/// (confidence-based performance estimation): never measured values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub method: String,
    /// The records estimated: every captured record with a score.
    pub records: u64,
    pub metrics: Vec<EstimatedMetric>,
    /// Whether the scores' calibration was checked against the labels that have arrived,
    /// and what that said.
    pub calibration: Calibration,
    /// The same estimate over the labelled records only, beside what was measured on them:
    /// how far the estimate was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versus_measured: Vec<EstimateError>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimatedMetric {
    pub metric_name: String,
    pub value: f64,
    /// The 95 % interval of the metric under the scores' calibration.
    pub lower: f64,
    pub upper: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// `trusted`, `untrusted` or `unverified`.
    pub verdict: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labelled_records: Option<u64>,
    /// Spiegelhalter's z over the labelled records (|z| > 1.96: miscalibrated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub z: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EstimateError {
    pub metric_name: String,
    pub estimated: f64,
    pub lower: f64,
    pub upper: f64,
    pub measured: f64,
    pub within_interval: bool,
}

/// One violated constraint, as the container writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelQualityViolation {
    pub constraint_check_type: String,
    pub description: String,
    pub metric_name: String,
}

impl ModelQualityViolation {
    /// The container's wording: `Metric mae with 48.73608152071635 was GreaterThanThreshold
    /// '38.29501488095238'` (Java's doubles; the threshold quoted).
    pub fn new(metric: &str, value: f64, operator: &str, threshold: f64) -> Self {
        use super::jackson::java_double;
        Self {
            constraint_check_type: operator.to_string(),
            description: format!(
                "Metric {metric} with {} was {operator} '{}'",
                java_double(value),
                java_double(threshold)
            ),
            metric_name: metric.to_string(),
        }
    }
}

/// `constraint_violations.json` of a model-quality execution (written even when empty, as
/// the container does once it checked).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelQualityViolations {
    pub violations: Vec<ModelQualityViolation>,
}

impl ModelQualityConstraints {
    /// The problem's constraints, by metric name in the file's order.
    pub fn metrics(&self) -> Option<&MetricConstraints> {
        self.regression_constraints
            .as_ref()
            .or(self.binary_classification_constraints.as_ref())
            .or(self.multiclass_classification_constraints.as_ref())
    }

    /// The problem type whose constraints the file holds.
    pub fn problem_key(&self) -> Option<&'static str> {
        if self.regression_constraints.is_some() {
            Some("regression_constraints")
        } else if self.binary_classification_constraints.is_some() {
            Some("binary_classification_constraints")
        } else if self.multiclass_classification_constraints.is_some() {
            Some("multiclass_classification_constraints")
        } else {
            None
        }
    }
}

/// One metric's constraint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricConstraint {
    pub threshold: f64,
    /// `GreaterThanThreshold` (an error metric) or `LessThanThreshold` (a score).
    pub comparison_operator: String,
}

/// Metric name → its constraint, in the statistics' order.
pub type MetricConstraints = super::ordered::OrderedMap<MetricConstraint>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelQualityConstraints {
    pub version: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regression_constraints: Option<MetricConstraints>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_classification_constraints: Option<MetricConstraints>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiclass_classification_constraints: Option<MetricConstraints>,
}
