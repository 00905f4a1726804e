//! Which datums an execution publishes: SageMaker's bias and explainability metrics (same
//! namespaces, names and dimensions, so existing alarms keep working) and driftwatch's own
//! operational metrics.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::datum::{Datum, Unit, publishable};

pub const BIAS_NAMESPACE: &str = "aws/sagemaker/Endpoints/bias-metrics";
pub const EXPLAINABILITY_NAMESPACE: &str = "aws/sagemaker/Endpoints/explainability-metrics";
/// driftwatch's own namespace: execution health and attribution-drift nDCG.
pub const DRIFTWATCH_NAMESPACE: &str = "driftwatch";

/// `BiasStage` values, verbatim from SageMaker's documentation (its mixed casing included:
/// alarms copied from the docs must match).
pub const PRE_TRAINING_STAGE: &str = "Pre-training";
pub const POST_TRAINING_STAGE: &str = "Post-Training";

/// Which execution the datums describe.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    pub endpoint: &'a str,
    pub schedule: &'a str,
    pub scheduled_time: DateTime<Utc>,
}

impl Source<'_> {
    fn datum(
        &self,
        namespace: &str,
        name: String,
        dims: Vec<(&str, String)>,
        value: f64,
        unit: Unit,
    ) -> Datum {
        let mut dimensions = vec![
            ("Endpoint".to_string(), self.endpoint.to_string()),
            ("MonitoringSchedule".to_string(), self.schedule.to_string()),
        ];
        dimensions.extend(dims.into_iter().map(|(k, v)| (k.to_string(), v)));
        Datum {
            namespace: namespace.to_string(),
            metric_name: name,
            dimensions,
            value,
            timestamp: self.scheduled_time,
            unit,
        }
    }
}

/// A metric value from analysis.json: a number, or `"Infinity"` / `"-Infinity"`; null and
/// errored metrics give none.
fn metric_value(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64().and_then(publishable),
        Value::String(s) if s == "Infinity" => publishable(f64::INFINITY),
        Value::String(s) if s == "-Infinity" => publishable(f64::NEG_INFINITY),
        _ => None,
    }
}

/// A JSON scalar as dimension text (`"1"` stays `1`, numbers in their JSON text).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `bias_metric_<NAME>` for every computed metric of a bias analysis.json.
pub fn bias_datums(src: &Source<'_>, analysis: &Value) -> Vec<Datum> {
    let mut out = Vec::new();
    for (key, stage) in [
        ("pre_training_bias_metrics", PRE_TRAINING_STAGE),
        ("post_training_bias_metrics", POST_TRAINING_STAGE),
    ] {
        let Some(s) = analysis.get(key) else { continue };
        let label = text(&s["label"]);
        let label_value = text(&s["label_value_or_threshold"]);
        let Some(facets) = s["facets"].as_object() else {
            continue;
        };
        for (facet, entries) in facets {
            for entry in entries.as_array().into_iter().flatten() {
                let facet_value = text(&entry["value_or_threshold"]);
                for m in entry["metrics"].as_array().into_iter().flatten() {
                    let (Some(name), Some(value)) = (m["name"].as_str(), metric_value(&m["value"]))
                    else {
                        continue;
                    };
                    out.push(src.datum(
                        BIAS_NAMESPACE,
                        format!("bias_metric_{name}"),
                        vec![
                            ("BiasStage", stage.to_string()),
                            ("Label", label.clone()),
                            ("LabelValue", label_value.clone()),
                            ("Facet", facet.clone()),
                            ("FacetValue", facet_value.clone()),
                        ],
                        value,
                        Unit::None,
                    ));
                }
            }
        }
    }
    out
}

/// Global SHAP values of one label: `feature_<name>` (`ValueType=GlobalShapValues`) and
/// `ExpectedValue` (`ValueType=ExpectedValue`).
pub fn explainability_datums(
    src: &Source<'_>,
    label: &str,
    global_shap: &[(String, f64)],
    expected_value: Option<f64>,
) -> Vec<Datum> {
    let dims = |value_type: &str| {
        vec![
            ("ExplainabilityMethod", "KernelShap".to_string()),
            ("Label", label.to_string()),
            ("ValueType", value_type.to_string()),
        ]
    };
    let mut out: Vec<Datum> = global_shap
        .iter()
        .filter_map(|(f, v)| {
            publishable(*v).map(|v| {
                src.datum(
                    EXPLAINABILITY_NAMESPACE,
                    format!("feature_{f}"),
                    dims("GlobalShapValues"),
                    v,
                    Unit::None,
                )
            })
        })
        .collect();
    if let Some(v) = expected_value.and_then(publishable) {
        out.push(src.datum(
            EXPLAINABILITY_NAMESPACE,
            "ExpectedValue".into(),
            dims("ExpectedValue"),
            v,
            Unit::None,
        ));
    }
    out
}

/// The nDCG of current vs baseline attributions (driftwatch namespace, `Label` dimension).
pub fn ndcg_datum(src: &Source<'_>, label: &str, ndcg: f64) -> Option<Datum> {
    publishable(ndcg).map(|v| {
        src.datum(
            DRIFTWATCH_NAMESPACE,
            "AttributionNDCG".into(),
            vec![("Label", label.to_string())],
            v,
            Unit::None,
        )
    })
}

/// What an execution's health metrics are made of.
#[derive(Debug, Clone, Copy)]
pub struct Health {
    pub failed: bool,
    pub violations: usize,
    pub records_merged: usize,
    pub duration_seconds: f64,
}

/// driftwatch's operational metrics for one execution, dimensions `Endpoint`,
/// `MonitoringSchedule`, `MonitoringType`: `ExecutionFailed` (1/0), `Violations`,
/// `RecordsAnalyzed`, `ExecutionDuration`. An alarm on `ExecutionFailed` ≥ 1 — or on missing
/// data — fires when monitoring itself breaks or stops.
pub fn health_datums(src: &Source<'_>, monitoring_type: &str, h: Health) -> Vec<Datum> {
    let dims = || vec![("MonitoringType", monitoring_type.to_string())];
    vec![
        src.datum(
            DRIFTWATCH_NAMESPACE,
            "ExecutionFailed".into(),
            dims(),
            if h.failed { 1.0 } else { 0.0 },
            Unit::Count,
        ),
        src.datum(
            DRIFTWATCH_NAMESPACE,
            "Violations".into(),
            dims(),
            h.violations as f64,
            Unit::Count,
        ),
        src.datum(
            DRIFTWATCH_NAMESPACE,
            "RecordsAnalyzed".into(),
            dims(),
            h.records_merged as f64,
            Unit::Count,
        ),
        src.datum(
            DRIFTWATCH_NAMESPACE,
            "ExecutionDuration".into(),
            dims(),
            h.duration_seconds,
            Unit::Seconds,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn src() -> Source<'static> {
        Source {
            endpoint: "ep",
            schedule: "sch",
            scheduled_time: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn bias_metrics_with_sagemaker_names_and_dimensions() {
        let a = json!({
            "version": "1.0",
            "pre_training_bias_metrics": {"label": "Target", "label_value_or_threshold": "1", "facets": {"Sex": [
                {"value_or_threshold": "0", "metrics": [
                    {"name": "CI", "description": "Class Imbalance (CI)", "value": 0.25},
                    {"name": "KL", "description": "x", "value": "Infinity"},
                    {"name": "LP", "description": "x", "value": null, "error": "boom"}
                ]}
            ]}},
            "post_training_bias_metrics": {"label": "Target", "label_value_or_threshold": "1", "facets": {"Sex": [
                {"value_or_threshold": "0", "metrics": [{"name": "DI", "description": "x", "value": "-Infinity"}]}
            ]}}
        });
        let d = bias_datums(&src(), &a);
        assert_eq!(d.len(), 3, "the null metric is not published");
        assert_eq!(d[0].namespace, "aws/sagemaker/Endpoints/bias-metrics");
        assert_eq!(d[0].metric_name, "bias_metric_CI");
        let dims: Vec<(&str, &str)> = d[0]
            .dimensions
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        assert_eq!(
            dims,
            [
                ("Endpoint", "ep"),
                ("MonitoringSchedule", "sch"),
                ("BiasStage", "Pre-training"),
                ("Label", "Target"),
                ("LabelValue", "1"),
                ("Facet", "Sex"),
                ("FacetValue", "0")
            ]
        );
        assert_eq!(d[1].value, 2.348543e108);
        assert_eq!(d[2].value, -2.348543e108);
        assert_eq!(d[2].dimensions[2].1, "Post-Training");
    }

    #[test]
    fn explainability_and_health() {
        let d = explainability_datums(
            &src(),
            "label0",
            &[("A_AGE".into(), 0.5), ("x".into(), f64::NAN)],
            Some(0.3),
        );
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].metric_name, "feature_A_AGE");
        assert_eq!(
            d[0].dimensions[2],
            ("ExplainabilityMethod".into(), "KernelShap".into())
        );
        assert_eq!(
            d[0].dimensions[4],
            ("ValueType".into(), "GlobalShapValues".into())
        );
        assert_eq!(d[1].metric_name, "ExpectedValue");
        let h = health_datums(
            &src(),
            "ModelBias",
            Health {
                failed: true,
                violations: 0,
                records_merged: 0,
                duration_seconds: 1.5,
            },
        );
        assert_eq!(h[0].metric_name, "ExecutionFailed");
        assert_eq!(h[0].value, 1.0);
        assert_eq!(h[3].unit, Unit::Seconds);
        assert_eq!(
            ndcg_datum(&src(), "label0", 0.93).unwrap().namespace,
            "driftwatch"
        );
    }
}
