//! The feature attribution drift check: for each label in both the baseline and the current
//! analysis.json, the nDCG of the current global SHAP values against the baseline's; below
//! the threshold (0.9 by default) is a violation.
//!
//! Choices where SageMaker is silent: features are aligned by name over the baseline's
//! features (one missing from the current run counts as attribution 0, with a warning);
//! negative baseline values (possible with `agg_method: median`) are ranked by magnitude
//! (relevance |value|), with a warning — sklearn would raise; a label missing on either side
//! is a warning, not a violation.

use serde::Serialize;
use serde_json::{Value, json};

use crate::explain::ndcg::ndcg;
use crate::output::pyfmt::py_float_repr;

pub const DEFAULT_THRESHOLD: f64 = 0.9;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributionViolation {
    pub label: String,
    pub metric_name: String,
    pub constraint_check_type: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AttributionCheck {
    pub violations: Vec<AttributionViolation>,
    /// nDCG per label compared.
    pub ndcg: Vec<(String, f64)>,
    pub warnings: Vec<String>,
}

fn values(v: &Value) -> Option<&serde_json::Map<String, Value>> {
    v.get("global_shap_values")?.as_object()
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s == "Infinity" => Some(f64::INFINITY),
        Value::String(s) if s == "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

pub fn check(current: &Value, baseline: &Value, threshold: f64) -> AttributionCheck {
    let mut out = AttributionCheck::default();
    let (Some(cur), Some(base)) = (
        current
            .pointer("/explanations/kernel_shap")
            .and_then(Value::as_object),
        baseline
            .pointer("/explanations/kernel_shap")
            .and_then(Value::as_object),
    ) else {
        out.warnings.push(
            "the baseline has no explanations.kernel_shap: feature attribution drift was not checked".into(),
        );
        return out;
    };
    for (label, b) in base {
        let Some(c) = cur.get(label) else {
            out.warnings.push(format!(
                "label {label} is in the baseline but not in this analysis: not checked"
            ));
            continue;
        };
        let (Some(bv), Some(cv)) = (values(b), values(c)) else {
            out.warnings.push(format!(
                "label {label}: global_shap_values missing: not checked"
            ));
            continue;
        };
        let mut rel = Vec::new();
        let mut score = Vec::new();
        let mut missing = Vec::new();
        for (feature, v) in bv {
            let Some(x) = number(v) else {
                out.warnings.push(format!(
                    "label {label}: baseline value of {feature} is not a number: not checked"
                ));
                rel.clear();
                break;
            };
            rel.push(x);
            score.push(match cv.get(feature).and_then(number) {
                Some(y) => y,
                None => {
                    missing.push(feature.clone());
                    0.0
                }
            });
        }
        if rel.is_empty() {
            continue;
        }
        if !missing.is_empty() {
            out.warnings.push(format!(
                "label {label}: features {} are missing from this analysis; counted as attribution 0",
                missing.join(", ")
            ));
        }
        if rel.iter().any(|x| *x < 0.0) {
            out.warnings.push(format!(
                "label {label}: negative baseline attributions; nDCG ranks by magnitude"
            ));
            rel.iter_mut().for_each(|x| *x = x.abs());
            score.iter_mut().for_each(|x| *x = x.abs());
        }
        match ndcg(&rel, &score) {
            Ok(v) => {
                out.ndcg.push((label.clone(), v));
                if v < threshold {
                    out.violations.push(AttributionViolation {
                        label: label.clone(),
                        metric_name: "shap".into(),
                        constraint_check_type: "feature_attribution_drift_check".into(),
                        description: format!(
                            "Feature attribution drift {} exceeds threshold {}",
                            py_float_repr(v),
                            py_float_repr(threshold)
                        ),
                    });
                }
            }
            Err(e) => out
                .warnings
                .push(format!("label {label}: nDCG not computed: {e}")),
        }
    }
    for label in cur.keys().filter(|l| !base.contains_key(*l)) {
        out.warnings
            .push(format!("label {label} is not in the baseline: not checked"));
    }
    out
}

pub fn violations_json(v: &[AttributionViolation]) -> Value {
    json!({"version": "1.0", "violations": v})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analysis(values: Value) -> Value {
        json!({"version": "1.0", "explanations": {"kernel_shap": {"label0": {"global_shap_values": values, "expected_value": 0.5}}}})
    }

    #[test]
    fn reversed_ranking_violates_with_sagemakers_wording() {
        let base = analysis(json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}));
        let cur = analysis(json!({"a": 5, "b": 4, "c": 3, "d": 2, "e": 1}));
        let c = check(&cur, &base, 0.9);
        assert_eq!(c.violations.len(), 1);
        let v = &c.violations[0];
        assert_eq!(v.metric_name, "shap");
        assert_eq!(v.constraint_check_type, "feature_attribution_drift_check");
        assert!(
            v.description
                .starts_with("Feature attribution drift 0.7222"),
            "{}",
            v.description
        );
        assert!(v.description.ends_with("exceeds threshold 0.9"));
        assert!(check(&base, &base, 0.9).violations.is_empty());
    }

    #[test]
    fn missing_features_labels_and_negative_values_warn() {
        let base = analysis(json!({"a": -1, "b": 2}));
        let cur = analysis(json!({"b": 2}));
        let c = check(&cur, &base, 0.9);
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
        let c = check(&cur, &json!({"version": "1.0"}), 0.9);
        assert!(c.violations.is_empty() && c.warnings.len() == 1);
    }
}
