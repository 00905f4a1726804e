//! The model-quality monitor's files: `statistics.json` (`dataset.item_count` and one of
//! `regression_metrics`, `binary_classification_metrics`, `multiclass_classification_metrics`,
//! each scalar metric `{"value", "standard_deviation"}`, the deviation the string `"NaN"` when
//! it is not computed) and `constraints.json` (`<problem>_constraints`, each metric with its
//! `threshold` and `comparison_operator`), with the keys in the order SageMaker's developer
//! guide and the container's files list them. Written with [`super::jackson::jackson_bytes`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub value: f64,
    pub standard_deviation: Deviation,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ItemCount {
    pub item_count: u64,
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
