//! The bias drift check: for each (stage, facet, facet value, metric) in both files, a
//! violation when the current value is farther from neutral than the baseline's.
//!
//! Neutral is 0 for every metric but DI, whose neutral value is 1: DI is judged by
//! |current − 1| > |baseline − 1|. Equality is not a violation. A metric that is null
//! (errored) on either side, or absent from the baseline, is not judged but reported as a
//! warning, so a silent gap in the check never looks like a pass.

use serde::Serialize;
use serde_json::Value;

use crate::output::analysis_json::read_metric_value;
use crate::output::pyfmt::metric_text;

pub const STAGES: [&str; 2] = ["pre_training_bias_metrics", "post_training_bias_metrics"];

/// One entry of constraint_violations.json (keys in the order SageMaker writes them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BiasViolation {
    pub constraint_check_type: &'static str,
    pub description: String,
    pub facet: String,
    pub facet_value: String,
    pub metric_name: String,
}

#[derive(Debug, Default, PartialEq)]
pub struct CheckOutcome {
    pub violations: Vec<BiasViolation>,
    pub warnings: Vec<String>,
}

fn distance_from_neutral(metric: &str, x: f64) -> f64 {
    if metric == "DI" {
        (x - 1.0).abs()
    } else {
        x.abs()
    }
}

/// (facet, facet value, metric name, value) for every metric of a stage.
fn metrics_of(stage: &Value) -> Vec<(String, String, String, Option<f64>)> {
    let mut out = Vec::new();
    let Some(facets) = stage.get("facets").and_then(Value::as_object) else {
        return out;
    };
    for (facet, entries) in facets {
        for entry in entries.as_array().into_iter().flatten() {
            let fv = entry
                .get("value_or_threshold")
                .and_then(Value::as_str)
                .unwrap_or("");
            for m in entry
                .get("metrics")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(name) = m.get("name").and_then(Value::as_str) {
                    let value = m.get("value").and_then(read_metric_value);
                    out.push((facet.clone(), fv.to_string(), name.to_string(), value));
                }
            }
        }
    }
    out
}

/// Checks a current bias analysis.json against a baseline one.
pub fn check(current: &Value, baseline: &Value) -> CheckOutcome {
    let mut out = CheckOutcome::default();
    for stage in STAGES {
        let Some(cur) = current.get(stage) else {
            continue;
        };
        let Some(base) = baseline.get(stage) else {
            out.warnings
                .push(format!("the baseline has no {stage}: they are not checked"));
            continue;
        };
        let base_metrics = metrics_of(base);
        for (facet, fv, name, value) in metrics_of(cur) {
            let found = base_metrics
                .iter()
                .find(|(f, v, n, _)| *f == facet && *v == fv && *n == name);
            let Some((_, _, _, base_value)) = found else {
                out.warnings.push(format!(
                    "{name} for facet {facet}={fv} is not in the baseline: not checked"
                ));
                continue;
            };
            match (value, base_value) {
                (Some(c), Some(b)) => {
                    if distance_from_neutral(&name, c) > distance_from_neutral(&name, *b) {
                        out.violations.push(BiasViolation {
                            constraint_check_type: "bias_drift_check",
                            description: format!(
                                "Metric value {} doesn't meet the baseline constraint requirement {}",
                                metric_text(c),
                                metric_text(*b)
                            ),
                            facet: facet.clone(),
                            facet_value: fv.clone(),
                            metric_name: name.clone(),
                        });
                    }
                }
                (None, _) => out.warnings.push(format!(
                    "{name} for facet {facet}={fv} has no value in this analysis: not checked"
                )),
                (_, None) => out.warnings.push(format!(
                    "{name} for facet {facet}={fv} has no value in the baseline: not checked"
                )),
            }
        }
    }
    out
}

/// constraint_violations.json for bias violations.
pub fn violations_json(v: &[BiasViolation]) -> Value {
    serde_json::json!({"version": "1.0", "violations": v})
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn analysis(metrics: Value) -> Value {
        json!({"version": "1.0", "post_training_bias_metrics": {"label": "y", "label_value_or_threshold": "1",
            "facets": {"Sex": [{"value_or_threshold": "0", "metrics": metrics}]}}})
    }

    #[test]
    fn farther_from_neutral_is_a_violation() {
        let base = analysis(json!([
            {"name": "DCR", "value": 0.027874251497005953},
            {"name": "TE", "value": 2.916666666666667},
            {"name": "DPPL", "value": 0.2},
            {"name": "DI", "value": 0.8},
            {"name": "AD", "value": 0.1},
            {"name": "GE", "value": null, "error": "x"},
        ]));
        let cur = analysis(json!([
            {"name": "DCR", "value": -0.07650793650793647},
            {"name": "TE", "value": "Infinity"},
            {"name": "DPPL", "value": -0.1},
            {"name": "DI", "value": 1.1},
            {"name": "AD", "value": 0.1},
            {"name": "GE", "value": 0.5},
        ]));
        let out = check(&cur, &base);
        let names: Vec<&str> = out
            .violations
            .iter()
            .map(|v| v.metric_name.as_str())
            .collect();
        assert_eq!(names, ["DCR", "TE"]);
        assert_eq!(
            out.violations[0].description,
            "Metric value -0.07650793650793647 doesn't meet the baseline constraint requirement 0.027874251497005953"
        );
        assert_eq!(
            out.violations[1].description,
            "Metric value Infinity doesn't meet the baseline constraint requirement 2.916666666666667"
        );
        assert!(
            out.warnings
                .iter()
                .any(|w| w.contains("GE") && w.contains("baseline"))
        );
    }

    #[test]
    fn di_is_judged_against_one() {
        let base = analysis(json!([{"name": "DI", "value": 0.9}]));
        assert!(
            check(&analysis(json!([{"name": "DI", "value": 1.05}])), &base)
                .violations
                .is_empty()
        );
        assert_eq!(
            check(&analysis(json!([{"name": "DI", "value": 0.85}])), &base)
                .violations
                .len(),
            1
        );
        assert_eq!(
            check(
                &analysis(json!([{"name": "DI", "value": "Infinity"}])),
                &base
            )
            .violations
            .len(),
            1
        );
    }
}
