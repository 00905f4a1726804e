//! analysis.json in SageMaker's shape (smclarify's facet reports inside Clarify's envelope),
//! plus a `driftwatch` block that SageMaker readers ignore.

use serde_json::{Map, Value, json};

use crate::bias::metrics::description;
use crate::bias::{BiasAnalysis, FacetReport, StageReport};
use crate::config::analysis::ColumnType;

use super::pyfmt::infinity_text;

/// A metric value as smclarify writes it: a number, or `"Infinity"` / `"-Infinity"`.
pub fn metric_value_json(x: f64) -> Value {
    match infinity_text(x) {
        Some(s) => Value::String(s.into()),
        None => json!(x),
    }
}

fn facet_report_json(r: &FacetReport) -> Value {
    let metrics: Vec<Value> = r
        .metrics
        .iter()
        .map(|m| {
            let mut o = Map::new();
            o.insert("name".into(), json!(m.name));
            o.insert("description".into(), json!(description(m.name)));
            match &m.value {
                Ok(v) => {
                    o.insert("value".into(), metric_value_json(*v));
                }
                Err(e) => {
                    o.insert("value".into(), Value::Null);
                    o.insert("error".into(), json!(e));
                }
            }
            Value::Object(o)
        })
        .collect();
    json!({"value_or_threshold": r.value_or_threshold, "metrics": metrics})
}

fn stage_json(s: &StageReport) -> Value {
    let mut facets = Map::new();
    for (name, entries) in &s.facets {
        facets.insert(
            name.clone(),
            Value::Array(entries.iter().map(facet_report_json).collect()),
        );
    }
    json!({
        "label": s.label,
        "facets": facets,
        "label_value_or_threshold": s.label_value_or_threshold,
    })
}

/// The whole analysis.json for a bias analysis. `extra_warnings` (e.g. from the drift
/// check) join the analysis' own in the `driftwatch` block.
pub fn bias_analysis_json(a: &BiasAnalysis, extra_warnings: &[String]) -> Value {
    let mut root = Map::new();
    root.insert("version".into(), json!("1.0"));
    if let Some(post) = &a.post_training {
        root.insert("post_training_bias_metrics".into(), stage_json(post));
    }
    if let Some(pre) = &a.pre_training {
        root.insert("pre_training_bias_metrics".into(), stage_json(pre));
    }
    let mut types = Map::new();
    for (role, t) in &a.types {
        let name = match t {
            ColumnType::Categorical => "categorical",
            ColumnType::Continuous => "continuous",
        };
        types.insert(role.clone(), json!(name));
    }
    let warnings: Vec<&String> = a.warnings.iter().chain(extra_warnings).collect();
    root.insert(
        "driftwatch".into(),
        json!({"version": env!("CARGO_PKG_VERSION"), "column_types": types, "warnings": warnings}),
    );
    Value::Object(root)
}

/// Reads a metric value back from analysis.json: `None` for null (an errored metric).
pub fn read_metric_value(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s == "Infinity" => Some(f64::INFINITY),
        Value::String(s) if s == "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}
