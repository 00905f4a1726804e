//! `analysis.json`, typed: Clarify's bias report (pre- and post-training metrics per facet),
//! its explanations (Kernel SHAP per label) and driftwatch's own `driftwatch` block, which
//! SageMaker readers ignore.
//!
//! The same type is written by every execution and `analyze`, and read back as a baseline
//! (the baselining job's analysis.json *is* the constraints file), so writing and reading
//! must round-trip exactly: key order is SageMaker's, ±∞ are strings, errored metrics null.

use serde::{Deserialize, Deserializer, Serialize};

use super::json::JsonFile;
use super::number::{MetricValue, scalar_text};
use super::ordered::OrderedMap;

/// The file format version SageMaker writes.
pub const FORMAT_VERSION: &str = "1.0";

/// The two bias stages, in the order checks, metrics and reports walk them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    PreTraining,
    PostTraining,
}

impl Stage {
    pub const ALL: [Stage; 2] = [Stage::PreTraining, Stage::PostTraining];

    /// The stage's key in analysis.json.
    pub fn key(self) -> &'static str {
        match self {
            Self::PreTraining => "pre_training_bias_metrics",
            Self::PostTraining => "post_training_bias_metrics",
        }
    }

    /// The `BiasStage` dimension of SageMaker's CloudWatch metrics, verbatim from its
    /// documentation (mixed casing included: alarms copied from the docs must match).
    pub fn cloudwatch_name(self) -> &'static str {
        match self {
            Self::PreTraining => "Pre-training",
            Self::PostTraining => "Post-Training",
        }
    }
}

/// One metric of a facet entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricEntry {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub value: MetricValue,
    /// smclarify's message when the metric could not be computed (`value` is null then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The metrics of one facet value (or threshold).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FacetEntry {
    #[serde(deserialize_with = "scalar_text", default)]
    pub value_or_threshold: String,
    #[serde(default)]
    pub metrics: Vec<MetricEntry>,
}

/// One stage of the bias report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasStage {
    #[serde(deserialize_with = "scalar_text", default)]
    pub label: String,
    /// Facet column name → one entry per facet value, in config order.
    #[serde(default)]
    pub facets: OrderedMap<Vec<FacetEntry>>,
    #[serde(deserialize_with = "scalar_text", default)]
    pub label_value_or_threshold: String,
}

/// The global attributions of one model output (`label0`, … or `label_headers`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapLabel {
    /// Feature → global SHAP value, in feature order.
    #[serde(default)]
    pub global_shap_values: OrderedMap<MetricValue>,
    #[serde(default)]
    pub expected_value: MetricValue,
    /// Text column → its top units by aggregated SHAP value (a text analysis only).
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub global_top_shap_text: OrderedMap<OrderedMap<MetricValue>>,
}

/// The partial dependence of the model's outputs on one feature (`explanations.pdp[]`), in
/// Clarify's documented shape; a feature that could not be computed has only its `error`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PdpFeature {
    pub feature_name: String,
    /// `numerical` or `categorical`.
    #[serde(default)]
    pub data_type: String,
    /// The grid: bucket centres (numerical) or the distinct values (categorical).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_values: Option<Vec<serde_json::Value>>,
    /// One list per model output, one value per grid point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_predictions: Option<Vec<Vec<f64>>>,
    /// The share of the data in each bucket / with each value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_distribution: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `explanations`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Explanations {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_shap: Option<OrderedMap<ShapLabel>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdp: Option<Vec<PdpFeature>>,
}

/// One segment of a `segment_config` entry, its bias metrics computed on its rows alone.
/// In driftwatch's block: the shape SageMaker gives segment results is not public.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SegmentAnalysis {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_name: Option<String>,
    /// The column the segments are defined on.
    pub column: String,
    /// Its display alias, else its values joined; `__default__` for the rest.
    pub segment: String,
    /// The values or intervals as configured (empty for `__default__`).
    #[serde(default)]
    pub values: Vec<String>,
    /// Records in the segment.
    pub records: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_training_bias_metrics: Option<BiasStage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_training_bias_metrics: Option<BiasStage>,
    /// Why the segment's metrics could not be computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// driftwatch's own block (SageMaker readers ignore unknown keys).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DriftwatchBlock {
    #[serde(default)]
    pub version: String,
    /// Column role (`label`, `predicted_label`, `facet:NAME`) → `categorical` | `continuous`.
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub column_types: OrderedMap<String>,
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Label → nDCG of the global SHAP values against the baseline's.
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub ndcg: OrderedMap<f64>,
    /// The nDCG below which attributions violate (when any nDCG was computed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ndcg_threshold: Option<f64>,
    /// How violations were judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckInfo>,
    /// 1 when DI was judged by its distance from 1 (`check: {di_neutral: 1}`); absent for
    /// SageMaker's rule, which measures DI from 0 like every metric (`verdict::DiNeutral`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub di_neutral: Option<f64>,
    /// Stage key → facet → facet value → metric → its bootstrap interval.
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub intervals: OrderedMap<OrderedMap<OrderedMap<OrderedMap<IntervalEntry>>>>,
    /// Label → the bootstrap interval of its nDCG.
    #[serde(default, skip_serializing_if = "OrderedMap::is_empty")]
    pub ndcg_intervals: OrderedMap<IntervalEntry>,
    /// Facet groups too small to be judged (significant mode).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub insufficient_data: Vec<InsufficientData>,
    /// Metrics whose point value is beyond the baseline but whose interval is not: within
    /// sampling noise, so not violations (significant mode).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_significant: Vec<NotSignificant>,
    /// Metrics beyond the baseline that could not be judged (significant mode, no interval).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_judged: Vec<MetricNote>,
    /// Baseline constraints that can never be violated, or that no analysis produces (a
    /// value outside the metric's range): the metric passes, but the check means nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unusable_baselines: Vec<MetricNote>,
    /// `segment_config`: the bias metrics of each segment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentAnalysis>,
}

/// A note on one metric of a facet entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricNote {
    pub stage: String,
    pub facet: String,
    pub facet_value: String,
    pub metric_name: String,
    pub note: String,
}

/// The check's settings, as they were applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckInfo {
    /// `sagemaker` or `significant`.
    pub mode: String,
    pub confidence: f64,
    pub resamples: usize,
    pub min_records: u64,
    pub seed: u64,
}

/// A bootstrap interval, or why there is none (`note`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<MetricValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<MetricValue>,
    pub confidence: f64,
    pub resamples: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl IntervalEntry {
    /// The bounds, when there are both.
    pub fn bounds(&self) -> Option<(f64, f64)> {
        Some((self.lower?.get()?, self.upper?.get()?))
    }
}

/// A facet group too small to judge; with `metric_name`, one metric of it (CDDL/CDDPL, whose
/// conditioning groups are too small).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsufficientData {
    pub stage: String,
    pub facet: String,
    pub facet_value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_name: Option<String>,
    /// The smaller side of the facet split (or the smallest conditioning group).
    pub records: u64,
    pub min_records: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A metric beyond its baseline constraint whose interval reaches back within it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotSignificant {
    pub stage: String,
    pub facet: String,
    pub facet_value: String,
    pub metric_name: String,
    pub value: MetricValue,
    pub baseline: MetricValue,
    pub lower: MetricValue,
    pub upper: MetricValue,
}

/// A whole analysis.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisDoc {
    #[serde(deserialize_with = "scalar_text", default)]
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_training_bias_metrics: Option<BiasStage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_training_bias_metrics: Option<BiasStage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanations: Option<Explanations>,
    /// A block that cannot be read (another tool's, a future version's) is ignored rather
    /// than making the whole baseline unreadable: it carries nothing the checks use.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient"
    )]
    pub driftwatch: Option<DriftwatchBlock>,
}

fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DriftwatchBlock>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(v).ok())
}

impl Default for AnalysisDoc {
    fn default() -> Self {
        Self {
            version: FORMAT_VERSION.to_string(),
            post_training_bias_metrics: None,
            pre_training_bias_metrics: None,
            explanations: None,
            driftwatch: None,
        }
    }
}

/// One metric with where it sits: what checks, metrics and reports iterate over.
#[derive(Debug, Clone, Copy)]
pub struct MetricAt<'a> {
    pub stage: Stage,
    pub label: &'a str,
    pub label_value: &'a str,
    pub facet: &'a str,
    pub facet_value: &'a str,
    pub metric: &'a MetricEntry,
}

impl MetricAt<'_> {
    pub fn value(&self) -> Option<f64> {
        self.metric.value.get()
    }
}

impl AnalysisDoc {
    pub fn stage(&self, s: Stage) -> Option<&BiasStage> {
        match s {
            Stage::PreTraining => self.pre_training_bias_metrics.as_ref(),
            Stage::PostTraining => self.post_training_bias_metrics.as_ref(),
        }
    }

    pub fn set_stage(&mut self, s: Stage, stage: Option<BiasStage>) {
        match s {
            Stage::PreTraining => self.pre_training_bias_metrics = stage,
            Stage::PostTraining => self.post_training_bias_metrics = stage,
        }
    }

    /// Whether the file has any bias stage.
    pub fn has_bias(&self) -> bool {
        Stage::ALL.iter().any(|s| self.stage(*s).is_some())
    }

    /// Every bias metric, pre-training first, facets and metrics in file order.
    pub fn metrics(&self) -> impl Iterator<Item = MetricAt<'_>> {
        Stage::ALL
            .into_iter()
            .flat_map(move |stage| self.metrics_in(stage))
    }

    /// The metrics of one stage, facets and metrics in file order.
    pub fn metrics_in(&self, stage: Stage) -> impl Iterator<Item = MetricAt<'_>> {
        self.stage(stage).into_iter().flat_map(move |s| {
            s.facets.iter().flat_map(move |(facet, entries)| {
                entries.iter().flat_map(move |e| {
                    e.metrics.iter().map(move |metric| MetricAt {
                        stage,
                        label: &s.label,
                        label_value: &s.label_value_or_threshold,
                        facet,
                        facet_value: &e.value_or_threshold,
                        metric,
                    })
                })
            })
        })
    }

    /// The metric at (stage, facet, facet value, name), if the file has it.
    pub fn metric(
        &self,
        stage: Stage,
        facet: &str,
        facet_value: &str,
        name: &str,
    ) -> Option<&MetricEntry> {
        self.stage(stage)?
            .facets
            .get(facet)?
            .iter()
            .filter(|e| e.value_or_threshold == facet_value)
            .flat_map(|e| &e.metrics)
            .find(|m| m.name == name)
    }

    /// `explanations.kernel_shap`, when present.
    pub fn kernel_shap(&self) -> Option<&OrderedMap<ShapLabel>> {
        self.explanations.as_ref()?.kernel_shap.as_ref()
    }

    /// The bootstrap interval of a metric, when one was computed.
    pub fn interval(
        &self,
        stage: Stage,
        facet: &str,
        facet_value: &str,
        name: &str,
    ) -> Option<&IntervalEntry> {
        self.driftwatch
            .as_ref()?
            .intervals
            .get(stage.key())?
            .get(facet)?
            .get(facet_value)?
            .get(name)
    }

    /// The nDCG driftwatch computed for `label`, when it did.
    pub fn ndcg(&self, label: &str) -> Option<f64> {
        self.driftwatch.as_ref()?.ndcg.get(label).copied()
    }
}

impl JsonFile for AnalysisDoc {}

#[cfg(test)]
mod tests {
    use super::*;

    const SAGEMAKER_SAMPLE: &str = r#"{
  "version": "1.0",
  "post_training_bias_metrics": {
    "label": "Target",
    "facets": {"Sex": [{"value_or_threshold": "0", "metrics": [
      {"name": "DCR", "description": "Difference in Conditional Rejection (DCR)", "value": 0.027874251497005953},
      {"name": "TE", "description": "Treatment Equality (TE)", "value": "Infinity"},
      {"name": "GE", "description": "Generalized Entropy (GE)", "value": null, "error": "boom"}
    ]}]},
    "label_value_or_threshold": "1"
  },
  "pre_training_bias_metrics": {
    "label": "Target",
    "facets": {"Sex": [{"value_or_threshold": 0, "metrics": [{"name": "CI", "value": 0}]}]},
    "label_value_or_threshold": 1
  },
  "explanations": {"kernel_shap": {"label0": {"global_shap_values": {"b": 0.5, "a": 0.25}, "expected_value": 0.25}}},
  "driftwatch": {"warnings": 3}
}"#;

    #[test]
    fn reads_sagemaker_files_leniently_and_walks_metrics() {
        let doc = AnalysisDoc::from_json(SAGEMAKER_SAMPLE.as_bytes()).unwrap();
        let all: Vec<(Stage, &str, &str, Option<f64>)> = doc
            .metrics()
            .map(|m| (m.stage, m.facet_value, m.metric.name.as_str(), m.value()))
            .collect();
        assert_eq!(
            all,
            [
                (Stage::PreTraining, "0", "CI", Some(0.0)),
                (Stage::PostTraining, "0", "DCR", Some(0.027874251497005953)),
                (Stage::PostTraining, "0", "TE", Some(f64::INFINITY)),
                (Stage::PostTraining, "0", "GE", None),
            ]
        );
        assert_eq!(
            doc.stage(Stage::PreTraining)
                .unwrap()
                .label_value_or_threshold,
            "1"
        );
        assert!(doc.driftwatch.is_none(), "an unreadable block is ignored");
        let shap = doc.kernel_shap().unwrap().get("label0").unwrap();
        assert_eq!(
            shap.global_shap_values.keys().collect::<Vec<_>>(),
            ["b", "a"]
        );
        assert_eq!(
            doc.metric(Stage::PostTraining, "Sex", "0", "TE")
                .unwrap()
                .value
                .get(),
            Some(f64::INFINITY)
        );
    }

    #[test]
    fn round_trips_byte_for_byte() {
        let doc = AnalysisDoc::from_json(SAGEMAKER_SAMPLE.as_bytes()).unwrap();
        let bytes = doc.to_json_bytes();
        let again = AnalysisDoc::from_json(&bytes).unwrap();
        assert_eq!(again.to_json_bytes(), bytes);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.ends_with("}\n"));
        assert!(text.find("post_training").unwrap() < text.find("pre_training").unwrap());
        assert!(text.contains("\"value\": \"Infinity\""));
        assert!(text.contains("\"value\": null,\n") && text.contains("\"error\": \"boom\""));
    }
}
