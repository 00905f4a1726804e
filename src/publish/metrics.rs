//! Which datums an execution publishes: SageMaker's bias and explainability metrics (same
//! namespaces, names and dimensions, so existing alarms keep working) and driftwatch's own
//! operational metrics.

use chrono::{DateTime, Utc};

use super::datum::{Datum, StatisticSet, Unit, publishable};
use crate::sagemaker::analysis::MetricAt;
use crate::sagemaker::data_quality::Statistics;
use crate::sagemaker::{AnalysisDoc, MonitoringType};

pub const BIAS_NAMESPACE: &str = "aws/sagemaker/Endpoints/bias-metrics";
pub const EXPLAINABILITY_NAMESPACE: &str = "aws/sagemaker/Endpoints/explainability-metrics";
/// The same metrics of a batch transform schedule (DG: `clarify-model-monitor-bias-drift-cw`,
/// `clarify-feature-attribute-drift-cw`), without the `Endpoint` dimension.
pub const BATCH_BIAS_NAMESPACE: &str = "aws/sagemaker/ModelMonitoring/bias-metrics";
pub const BATCH_EXPLAINABILITY_NAMESPACE: &str =
    "aws/sagemaker/ModelMonitoring/explainability-metrics";
/// The data-quality monitor's (DG: `model-monitor-interpreting-cloudwatch`; the name and
/// dimensions AWS's own alarms use), and a batch transform schedule's.
pub const DATA_QUALITY_NAMESPACE: &str = "aws/sagemaker/Endpoints/data-metrics";
pub const BATCH_DATA_QUALITY_NAMESPACE: &str = "aws/sagemaker/ModelMonitoring/data-metrics";
/// The model-quality monitor's (DG: `model-monitor-model-quality-cw`), and a batch
/// transform schedule's.
pub const MODEL_QUALITY_NAMESPACE: &str = "aws/sagemaker/Endpoints/model-metrics";
pub const BATCH_MODEL_QUALITY_NAMESPACE: &str = "aws/sagemaker/ModelMonitoring/model-metrics";
/// driftwatch's own namespace: execution health and attribution-drift nDCG.
pub const DRIFTWATCH_NAMESPACE: &str = "driftwatch";

/// Which execution the datums describe.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    /// None for a batch transform schedule.
    pub endpoint: Option<&'a str>,
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
        let mut dimensions = Vec::with_capacity(dims.len() + 2);
        if let Some(e) = self.endpoint {
            dimensions.push(("Endpoint".to_string(), e.to_string()));
        }
        dimensions.push(("MonitoringSchedule".to_string(), self.schedule.to_string()));
        dimensions.extend(dims.into_iter().map(|(k, v)| (k.to_string(), v)));
        let namespace = match (self.endpoint, namespace) {
            (None, BIAS_NAMESPACE) => BATCH_BIAS_NAMESPACE,
            (None, EXPLAINABILITY_NAMESPACE) => BATCH_EXPLAINABILITY_NAMESPACE,
            (None, DATA_QUALITY_NAMESPACE) => BATCH_DATA_QUALITY_NAMESPACE,
            (None, MODEL_QUALITY_NAMESPACE) => BATCH_MODEL_QUALITY_NAMESPACE,
            (_, other) => other,
        };
        Datum {
            namespace: namespace.to_string(),
            metric_name: name,
            dimensions,
            value,
            timestamp: self.scheduled_time,
            unit,
            statistics: None,
        }
    }
}

/// SageMaker's data-quality metrics of a window's statistics.json: `feature_data_<name>` for
/// each numeric feature (its values' count, sum, minimum and maximum as one statistic set),
/// `feature_non_null_<name>` (the share of present values) for every feature, and
/// `feature_baseline_drift_<name>` (the distance) for each feature compared with the baseline.
/// Feature names go into metric names as they are (the references name no sanitising).
pub fn data_quality_datums(src: &Source<'_>, statistics: &Statistics) -> Vec<Datum> {
    let mut out = Vec::new();
    for f in &statistics.features {
        if let Some(n) = &f.numerical_statistics
            && n.common.num_present > 0
        {
            let mut d = src.datum(
                DATA_QUALITY_NAMESPACE,
                format!("feature_data_{}", f.name),
                Vec::new(),
                n.mean,
                Unit::None,
            );
            d.statistics = Some(StatisticSet {
                sample_count: n.common.num_present as f64,
                sum: n.sum,
                minimum: n.min,
                maximum: n.max,
            });
            out.push(d);
        }
        let common = f
            .numerical_statistics
            .as_ref()
            .map(|n| n.common)
            .or_else(|| f.string_statistics.as_ref().map(|s| s.common));
        if let Some(c) = common
            && c.num_present + c.num_missing > 0
        {
            out.push(src.datum(
                DATA_QUALITY_NAMESPACE,
                format!("feature_non_null_{}", f.name),
                Vec::new(),
                c.num_present as f64 / (c.num_present + c.num_missing) as f64,
                Unit::None,
            ));
        }
    }
    for d in statistics.driftwatch.iter().flat_map(|b| &b.baseline_drift) {
        if let Some(v) = publishable(d.distance) {
            out.push(src.datum(
                DATA_QUALITY_NAMESPACE,
                format!("feature_baseline_drift_{}", d.name),
                Vec::new(),
                v,
                Unit::None,
            ));
        }
    }
    out
}

/// SageMaker's model-quality metrics of a window's statistics.json: every scalar metric
/// measured, named by its key (`f2`, `mae`), its value (undefined ones are not published);
/// and in driftwatch's namespace the label-free estimate's metrics (`estimated_<metric>`,
/// with `_lower` and `_upper` bounds), never under SageMaker's names.
pub fn model_quality_datums(
    src: &Source<'_>,
    statistics: &crate::sagemaker::model_quality::ModelQualityStatistics,
) -> Vec<Datum> {
    let mut out = Vec::new();
    for (name, m) in statistics.scalars() {
        if let Some(v) = publishable(m.value) {
            out.push(src.datum(MODEL_QUALITY_NAMESPACE, name, Vec::new(), v, Unit::None));
        }
    }
    let estimate = statistics
        .driftwatch
        .as_ref()
        .and_then(|b| b.estimate.as_ref());
    for e in estimate.iter().flat_map(|e| &e.metrics) {
        for (suffix, v) in [("", e.value), ("_lower", e.lower), ("_upper", e.upper)] {
            if let Some(v) = publishable(v) {
                out.push(src.datum(
                    DRIFTWATCH_NAMESPACE,
                    format!("estimated_{}{suffix}", e.metric_name),
                    Vec::new(),
                    v,
                    Unit::None,
                ));
            }
        }
    }
    out
}

/// Every datum an analysis publishes: its bias metrics, its global SHAP values and expected
/// values, and the nDCG of each label checked. Built from the analysis.json being written,
/// so the published numbers are exactly the written ones.
pub fn analysis_datums(src: &Source<'_>, analysis: &AnalysisDoc) -> Vec<Datum> {
    let mut out = bias_datums(src, analysis);
    out.extend(explainability_datums(src, analysis));
    out.extend(ndcg_datums(src, analysis));
    out.extend(interval_datums(src, analysis));
    out
}

/// The bootstrap intervals' bounds, in driftwatch's namespace (SageMaker's metrics stay as
/// they are): `bias_metric_<NAME>_lower` / `_upper` with SageMaker's bias dimensions, so an
/// alarm copied from SageMaker's needs only another namespace and name; and
/// `AttributionNDCGLower` / `Upper` per `Label`.
pub fn interval_datums(src: &Source<'_>, analysis: &AnalysisDoc) -> Vec<Datum> {
    let mut out = Vec::new();
    for m in analysis.metrics() {
        let Some((lo, hi)) = analysis
            .interval(m.stage, m.facet, m.facet_value, &m.metric.name)
            .and_then(|i| i.bounds())
        else {
            continue;
        };
        for (suffix, v) in [("lower", lo), ("upper", hi)] {
            if let Some(v) = publishable(v) {
                out.push(src.datum(
                    DRIFTWATCH_NAMESPACE,
                    format!("bias_metric_{}_{suffix}", m.metric.name),
                    bias_dimensions(&m),
                    v,
                    Unit::None,
                ));
            }
        }
    }
    if let Some(block) = &analysis.driftwatch {
        for (label, iv) in block.ndcg_intervals.iter() {
            let Some((lo, hi)) = iv.bounds() else {
                continue;
            };
            for (name, v) in [("AttributionNDCGLower", lo), ("AttributionNDCGUpper", hi)] {
                if let Some(v) = publishable(v) {
                    out.push(src.datum(
                        DRIFTWATCH_NAMESPACE,
                        name.into(),
                        vec![("Label", label.to_string())],
                        v,
                        Unit::None,
                    ));
                }
            }
        }
    }
    out
}

/// SageMaker's dimensions of a bias metric (after Endpoint and MonitoringSchedule).
fn bias_dimensions(m: &MetricAt<'_>) -> Vec<(&'static str, String)> {
    vec![
        ("BiasStage", m.stage.cloudwatch_name().to_string()),
        ("Label", m.label.to_string()),
        ("LabelValue", m.label_value.to_string()),
        ("Facet", m.facet.to_string()),
        ("FacetValue", m.facet_value.to_string()),
    ]
}

/// `bias_metric_<NAME>` for every computed metric (null and errored metrics give none).
pub fn bias_datums(src: &Source<'_>, analysis: &AnalysisDoc) -> Vec<Datum> {
    analysis
        .metrics()
        .filter_map(|m| {
            let value = m.value().and_then(publishable)?;
            Some(src.datum(
                BIAS_NAMESPACE,
                format!("bias_metric_{}", m.metric.name),
                bias_dimensions(&m),
                value,
                Unit::None,
            ))
        })
        .collect()
}

/// Global SHAP values of each label: `feature_<name>` (`ValueType=GlobalShapValues`) and
/// `ExpectedValue` (`ValueType=ExpectedValue`).
pub fn explainability_datums(src: &Source<'_>, analysis: &AnalysisDoc) -> Vec<Datum> {
    let mut out = Vec::new();
    for (label, l) in analysis.kernel_shap().into_iter().flat_map(|k| k.iter()) {
        let dims = |value_type: &str| {
            vec![
                ("ExplainabilityMethod", "KernelShap".to_string()),
                ("Label", label.to_string()),
                ("ValueType", value_type.to_string()),
            ]
        };
        for (feature, v) in l.global_shap_values.iter() {
            if let Some(v) = v.get().and_then(publishable) {
                out.push(src.datum(
                    EXPLAINABILITY_NAMESPACE,
                    format!("feature_{feature}"),
                    dims("GlobalShapValues"),
                    v,
                    Unit::None,
                ));
            }
        }
        if let Some(v) = l.expected_value.get().and_then(publishable) {
            out.push(src.datum(
                EXPLAINABILITY_NAMESPACE,
                "ExpectedValue".into(),
                dims("ExpectedValue"),
                v,
                Unit::None,
            ));
        }
    }
    out
}

/// The nDCG of current vs baseline attributions per label (driftwatch namespace, `Label`
/// dimension), from the analysis' `driftwatch.ndcg`.
pub fn ndcg_datums(src: &Source<'_>, analysis: &AnalysisDoc) -> Vec<Datum> {
    let Some(block) = &analysis.driftwatch else {
        return Vec::new();
    };
    block
        .ndcg
        .iter()
        .filter_map(|(label, v)| {
            publishable(*v).map(|v| {
                src.datum(
                    DRIFTWATCH_NAMESPACE,
                    "AttributionNDCG".into(),
                    vec![("Label", label.to_string())],
                    v,
                    Unit::None,
                )
            })
        })
        .collect()
}

/// What an execution's health metrics are made of.
#[derive(Debug, Clone, Copy)]
pub struct Health {
    pub failed: bool,
    pub violations: usize,
    pub records_merged: usize,
    pub duration_seconds: f64,
    /// Metrics without a value, when the analysis ran (so a window where nothing could be
    /// computed is visible even though no `bias_metric_*` datum is published for it).
    pub not_computed: Option<usize>,
    /// Metrics not compared with the baseline, when there is one.
    pub not_checked: Option<usize>,
}

/// driftwatch's operational metrics for one execution, dimensions `Endpoint`,
/// `MonitoringSchedule`, `MonitoringType`: `ExecutionFailed` (1/0), `Violations`,
/// `RecordsAnalyzed`, `ExecutionDuration`, and (when the analysis ran) `MetricsNotComputed`
/// and `MetricsNotChecked`. An alarm on `ExecutionFailed` ≥ 1 — or on missing data — fires
/// when monitoring itself breaks or stops.
pub fn health_datums(src: &Source<'_>, monitoring_type: MonitoringType, h: Health) -> Vec<Datum> {
    let dims = || vec![("MonitoringType", monitoring_type.as_str().to_string())];
    let mut out = vec![
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
    ];
    for (name, n) in [
        ("MetricsNotComputed", h.not_computed),
        ("MetricsNotChecked", h.not_checked),
    ] {
        if let Some(n) = n {
            out.push(src.datum(
                DRIFTWATCH_NAMESPACE,
                name.into(),
                dims(),
                n as f64,
                Unit::Count,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn src() -> Source<'static> {
        Source {
            endpoint: Some("ep"),
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
        let d = bias_datums(&src(), &serde_json::from_value(a).unwrap());
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

    /// A batch transform schedule publishes in SageMaker's ModelMonitoring namespaces,
    /// without an Endpoint dimension; driftwatch's own namespace stays.
    #[test]
    fn batch_transform_metrics_have_no_endpoint() {
        let a: AnalysisDoc = serde_json::from_value(json!({
            "version": "1.0",
            "pre_training_bias_metrics": {"label": "Target", "label_value_or_threshold": "1", "facets": {"Sex": [
                {"value_or_threshold": "0", "metrics": [{"name": "CI", "description": "Class Imbalance (CI)", "value": 0.25}]}]}},
            "explanations": {"kernel_shap": {"label0": {"global_shap_values": {"x": 0.5}, "expected_value": 0.1}}}
        }))
        .unwrap();
        let batch = Source {
            endpoint: None,
            ..src()
        };
        let d = analysis_datums(&batch, &a);
        let namespaces: Vec<&str> = d.iter().map(|d| d.namespace.as_str()).collect();
        assert!(namespaces.contains(&"aws/sagemaker/ModelMonitoring/bias-metrics"));
        assert!(namespaces.contains(&"aws/sagemaker/ModelMonitoring/explainability-metrics"));
        assert!(!namespaces.iter().any(|n| n.contains("Endpoints")));
        for datum in &d {
            assert!(datum.dimensions.iter().all(|(k, _)| k != "Endpoint"));
            assert_eq!(
                datum.dimensions[0],
                ("MonitoringSchedule".into(), "sch".into())
            );
        }
    }

    #[test]
    fn explainability_and_health() {
        let a: AnalysisDoc = serde_json::from_value(
            json!({"version": "1.0", "explanations": {"kernel_shap": {"label0": {
            "global_shap_values": {"A_AGE": 0.5, "x": null}, "expected_value": 0.3}}},
            "driftwatch": {"version": "t", "warnings": [], "ndcg": {"label0": 0.93}}}),
        )
        .unwrap();
        let d = explainability_datums(&src(), &a);
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
            MonitoringType::ModelBias,
            Health {
                failed: true,
                violations: 0,
                records_merged: 0,
                duration_seconds: 1.5,
                not_computed: Some(13),
                not_checked: None,
            },
        );
        assert_eq!(h[0].metric_name, "ExecutionFailed");
        assert_eq!(h.len(), 5);
        assert_eq!(
            (h[4].metric_name.as_str(), h[4].value),
            ("MetricsNotComputed", 13.0)
        );
        assert_eq!(h[0].value, 1.0);
        assert_eq!(h[3].unit, Unit::Seconds);
        assert_eq!(ndcg_datums(&src(), &a)[0].namespace, "driftwatch");
    }
}
