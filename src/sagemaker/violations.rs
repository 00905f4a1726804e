//! `constraint_violations.json`: one entry per violated constraint, in SageMaker's shapes and
//! wording (the bias drift check's and the feature attribution drift check's).

use serde::{Deserialize, Serialize};

use super::analysis::FORMAT_VERSION;
use super::json::JsonFile;
use super::pyfmt::{metric_text, py_float_repr};

pub const BIAS_DRIFT_CHECK: &str = "bias_drift_check";
pub const FEATURE_ATTRIBUTION_DRIFT_CHECK: &str = "feature_attribution_drift_check";
/// The attribution check's only metric name.
pub const SHAP_METRIC: &str = "shap";

/// A bias metric farther from neutral than its baseline (keys in the order SageMaker writes
/// them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasViolation {
    pub constraint_check_type: String,
    pub description: String,
    pub facet: String,
    pub facet_value: String,
    pub metric_name: String,
}

impl BiasViolation {
    /// SageMaker's current wording, numbers in Python's `repr` and ±∞ as `Infinity`.
    pub fn new(facet: &str, facet_value: &str, metric: &str, current: f64, baseline: f64) -> Self {
        Self {
            constraint_check_type: BIAS_DRIFT_CHECK.to_string(),
            description: format!(
                "Metric value {} doesn't meet the baseline constraint requirement {}",
                metric_text(current),
                metric_text(baseline)
            ),
            facet: facet.to_string(),
            facet_value: facet_value.to_string(),
            metric_name: metric.to_string(),
        }
    }
}

/// A label whose global SHAP ranking moved away from the baseline's (nDCG below threshold).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributionViolation {
    pub label: String,
    pub metric_name: String,
    pub constraint_check_type: String,
    pub description: String,
}

impl AttributionViolation {
    /// SageMaker's wording ("exceeds" although the score is below the threshold).
    pub fn new(label: &str, ndcg: f64, threshold: f64) -> Self {
        Self {
            label: label.to_string(),
            metric_name: SHAP_METRIC.to_string(),
            constraint_check_type: FEATURE_ATTRIBUTION_DRIFT_CHECK.to_string(),
            description: format!(
                "Feature attribution drift {} exceeds threshold {}",
                py_float_repr(ndcg),
                py_float_repr(threshold)
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Violation {
    Bias(BiasViolation),
    Attribution(AttributionViolation),
}

/// The whole file. Written only when something violates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConstraintViolations {
    pub version: String,
    pub violations: Vec<Violation>,
}

impl ConstraintViolations {
    /// The file for `violations`, or none when there are none (SageMaker writes no file then).
    pub fn of(violations: Vec<Violation>) -> Option<Self> {
        (!violations.is_empty()).then(|| Self {
            version: FORMAT_VERSION.to_string(),
            violations,
        })
    }

    pub fn bias(&self) -> impl Iterator<Item = &BiasViolation> {
        self.violations.iter().filter_map(|v| match v {
            Violation::Bias(b) => Some(b),
            Violation::Attribution(_) => None,
        })
    }

    pub fn attribution(&self) -> impl Iterator<Item = &AttributionViolation> {
        self.violations.iter().filter_map(|v| match v {
            Violation::Attribution(a) => Some(a),
            Violation::Bias(_) => None,
        })
    }
}

impl JsonFile for ConstraintViolations {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sagemakers_shapes_and_wording() {
        let file = ConstraintViolations::of(vec![
            Violation::Bias(BiasViolation::new(
                "Sex",
                "0",
                "TE",
                f64::INFINITY,
                2.916666666666667,
            )),
            Violation::Attribution(AttributionViolation::new("label0", 0.7639720923277322, 0.9)),
        ])
        .unwrap();
        let text = String::from_utf8(file.to_json_bytes()).unwrap();
        let want = r#"{
  "version": "1.0",
  "violations": [
    {
      "constraint_check_type": "bias_drift_check",
      "description": "Metric value Infinity doesn't meet the baseline constraint requirement 2.916666666666667",
      "facet": "Sex",
      "facet_value": "0",
      "metric_name": "TE"
    },
    {
      "label": "label0",
      "metric_name": "shap",
      "constraint_check_type": "feature_attribution_drift_check",
      "description": "Feature attribution drift 0.7639720923277322 exceeds threshold 0.9"
    }
  ]
}
"#;
        assert_eq!(text, want);
        let back = ConstraintViolations::from_json(text.as_bytes()).unwrap();
        assert_eq!(back, file);
        assert_eq!((back.bias().count(), back.attribution().count()), (1, 1));
        assert!(ConstraintViolations::of(Vec::new()).is_none());
    }
}
