//! The bias drift check: for each (stage, facet, facet value, metric) in both files, a
//! violation when the current value is farther from neutral than the baseline's.
//!
//! Neutral is 0 for every metric but DI, whose neutral value is 1: DI is judged by
//! |current − 1| > |baseline − 1|. Equality is not a violation. A metric that is null
//! (errored) on either side, or absent from the baseline, is not judged but reported as a
//! warning, so a silent gap in the check never looks like a pass.

use crate::sagemaker::{AnalysisDoc, BiasViolation, Stage};

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

/// Checks a current bias analysis against a baseline one.
pub fn check(current: &AnalysisDoc, baseline: &AnalysisDoc) -> CheckOutcome {
    let mut out = CheckOutcome::default();
    for stage in Stage::ALL {
        if current.stage(stage).is_none() {
            continue;
        }
        if baseline.stage(stage).is_none() {
            out.warnings.push(format!(
                "the baseline has no {}: they are not checked",
                stage.key()
            ));
            continue;
        }
        for m in current.metrics_in(stage) {
            let (name, facet, fv) = (m.metric.name.as_str(), m.facet, m.facet_value);
            let Some(base) = baseline.metric(stage, facet, fv, name) else {
                out.warnings.push(format!(
                    "{name} for facet {facet}={fv} is not in the baseline: not checked"
                ));
                continue;
            };
            match (m.value(), base.value.get()) {
                (Some(c), Some(b)) => {
                    if distance_from_neutral(name, c) > distance_from_neutral(name, b) {
                        out.violations
                            .push(BiasViolation::new(facet, fv, name, c, b));
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn analysis(metrics: Value) -> AnalysisDoc {
        serde_json::from_value(json!({"version": "1.0", "post_training_bias_metrics": {"label": "y", "label_value_or_threshold": "1",
            "facets": {"Sex": [{"value_or_threshold": "0", "metrics": metrics}]}}}))
        .unwrap()
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
