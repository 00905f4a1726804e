//! The Clarify analysis config (`analysis_config.json`), read with the same keys and semantics
//! as SageMaker Clarify, plus one extension block, `driftwatch`, that SageMaker never reads.
//!
//! Keys Clarify knows but driftwatch cannot honour (text/image explainers) are rejected by
//! name instead of being silently ignored: a config that validates computes
//! what it says.
//!
//! `read` turns the document into these types, key by key, with every problem and its path;
//! `purpose` adds the cross-key requirements of each use (`analyze`, bias monitor,
//! explainability monitor).

mod columns;
pub mod image;
mod keys;
mod predictor;
mod purpose;
mod read;
pub mod text;
pub mod time_series;

pub use predictor::endpoint_predictor;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

pub const PRE_TRAINING_METRICS: [&str; 8] = ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"];
/// Post-training metric short names, in smclarify's output order.
pub const POST_TRAINING_METRICS: [&str; 13] = [
    "AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE",
];

/// A column named by header or by zero-based index (Clarify's `name_or_index`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnRef {
    Name(String),
    Index(usize),
}

impl fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name(n) => f.write_str(n),
            Self::Index(i) => write!(f, "{i}"),
        }
    }
}

/// A value of `label_values_or_threshold` / `value_or_threshold`, kept as written: the output
/// strings (`"1"`, `"1.0"`, `"C,D"`) are Python's `str()` of what the user wrote.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigScalar {
    Int(i64),
    Float(f64),
    Str(String),
}

/// Whether a label or facet is treated as categorical or continuous (a threshold).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Categorical,
    Continuous,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetType {
    Csv,
    JsonLines,
    Json,
    Parquet,
    /// SageMaker capture JSON, as Model Monitor feeds it to Clarify.
    SageMakerCaptureJson,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FacetConfig {
    pub column: ColumnRef,
    /// `None` (or empty in the file): one entry per facet value, "value vs the rest".
    pub values: Option<Vec<ConfigScalar>>,
}

/// Which metrics of a stage to compute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricSelection {
    All,
    /// Canonical short names, deduplicated, in smclarify's order.
    Only(Vec<&'static str>),
}

impl MetricSelection {
    /// The selected names in output order, drawn from `stage` (one of the metric lists above).
    pub fn names(&self, stage: &'static [&'static str]) -> Vec<&'static str> {
        match self {
            Self::All => stage.to_vec(),
            Self::Only(names) => names.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggMethod {
    MeanAbs,
    Median,
    MeanSq,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ShapBaseline {
    /// In-place rows: CSV rows (lists) or JSON objects.
    Rows(Vec<Value>),
    /// A location (S3 URI or path) of a baseline file.
    Uri(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShapConfig {
    pub baseline: Option<ShapBaseline>,
    pub num_clusters: Option<u32>,
    pub num_samples: Option<u64>,
    pub use_logit: bool,
    pub agg_method: AggMethod,
    pub save_local_shap_values: bool,
    pub seed: Option<u64>,
    /// `features_to_explain`: names or zero-based indices among the model's features (the
    /// columns SHAP explains, in order); `None`: every feature.
    pub features_to_explain: Option<Vec<ColumnRef>>,
    /// `text_config`: the dataset's text columns are explained unit by unit.
    pub text: Option<text::TextConfig>,
}

/// Where a value sits in a model response: a zero-based index (CSV) or a JMESPath (JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    Index(usize),
    Path(String),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PredictorConfig {
    pub endpoint_name: Option<String>,
    pub model_name: Option<String>,
    pub target_model: Option<String>,
    pub content_type: Option<String>,
    pub accept_type: Option<String>,
    pub label: Option<Locator>,
    pub probability: Option<Locator>,
    pub label_headers: Vec<String>,
    pub content_template: Option<String>,
    pub record_template: Option<String>,
    pub custom_attributes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Methods {
    pub pre_training_bias: Option<MetricSelection>,
    pub post_training_bias: Option<MetricSelection>,
    pub shap: Option<ShapConfig>,
    pub pdp: Option<PdpConfig>,
    pub report: Option<ReportConfig>,
}

/// `methods.pdp`: partial dependence of the model's outputs on some features.
#[derive(Debug, Clone, PartialEq)]
pub struct PdpConfig {
    /// The features to plot; none: the `top_k_features` by global SHAP value.
    pub features: Option<Vec<ColumnRef>>,
    /// Buckets a numerical feature's range is divided into (SageMaker's default 15).
    pub grid_resolution: usize,
    pub top_k_features: usize,
}

/// `methods.report`: the report's file name (without extension) and title.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportConfig {
    pub name: String,
    pub title: String,
}

/// driftwatch's extension block (`"driftwatch": {...}` in the analysis config).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extensions {
    /// Pins the label's type instead of smclarify's row-count-dependent inference.
    pub label_type: Option<ColumnType>,
    /// Pins facet types by facet column name (or index as a string).
    pub facet_types: BTreeMap<String, ColumnType>,
    /// An in-process model file (XGBoost JSON or linear/logistic coefficients) to explain
    /// instead of calling an endpoint; relative paths resolve against the config's directory.
    pub model: Option<String>,
    /// The nDCG below which feature attribution drift is a violation (default 0.9).
    pub ndcg_threshold: Option<f64>,
    /// Cap on endpoint requests per execution (default 100,000).
    pub max_endpoint_requests: Option<usize>,
    /// Explain at most this many records of a window: a seeded uniform sample (reservoir) of
    /// them, so a window of any size costs bounded time and memory. Unset: every record, as
    /// SageMaker does.
    pub shap_max_records: Option<usize>,
    /// How SHAP values are computed (default Kernel SHAP, as SageMaker).
    pub shap_algorithm: ShapAlgorithm,
}

/// `driftwatch.shap_algorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShapAlgorithm {
    /// Kernel SHAP, shap's KernelExplainer as Clarify runs it.
    #[default]
    Kernel,
    /// Exact interventional TreeSHAP of an in-process XGBoost model's raw margin.
    Tree,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AnalysisConfig {
    pub version: Option<String>,
    pub dataset_type: Option<DatasetType>,
    pub headers: Option<Vec<String>>,
    pub label: Option<ColumnRef>,
    pub features: Option<String>,
    pub label_values_or_threshold: Option<Vec<ConfigScalar>>,
    pub probability_threshold: Option<f64>,
    pub facets: Vec<FacetConfig>,
    pub group_variable: Option<ColumnRef>,
    pub predicted_label: Option<ColumnRef>,
    pub excluded_columns: Vec<ColumnRef>,
    pub joinsource: Option<ColumnRef>,
    /// `segment_config`: subsets of the rows the bias metrics are also computed on.
    pub segment_config: Vec<SegmentConfig>,
    /// `facet_dataset_uri` / `facet_headers`: facet columns kept in a file of their own.
    pub facet_dataset: Option<SideDataset>,
    /// `predicted_label_dataset_uri` / `predicted_label_headers`: the predicted labels in a
    /// file of their own (used instead of calling the model).
    pub predicted_label_dataset: Option<SideDataset>,
    /// `methods` as written; `None` when the file has no `methods` key (Model Monitor bias
    /// configs usually have none, and then both bias stages run).
    pub methods: Option<Methods>,
    pub predictor: Option<PredictorConfig>,
    pub extensions: Extensions,
    /// A forecasting model's analysis (`time_series_data_config`,
    /// `methods.asymmetric_shapley_value`, `predictor.time_series_predictor_config`): then
    /// only `dataset_type`, `headers`, `predictor`, `methods.report` and `driftwatch` apply.
    pub time_series: Option<time_series::TimeSeriesAnalysis>,
    /// An image model's analysis (`dataset_type: application/x-image`,
    /// `methods.shap.image_config`): then only the predictor, `methods.report` and
    /// `driftwatch` apply beside it.
    pub image: Option<image::ImageAnalysis>,
}

/// One `segment_config` entry (the SDK's `SegmentationConfig`): the column, and N segments
/// — each a list of values, or of intervals (`"[1, 4]"`, `"(2, 5]"`) for a continuous
/// column — plus the `__default__` segment of the rows none of them holds.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentConfig {
    pub column: ColumnRef,
    pub segments: Vec<Vec<ConfigScalar>>,
    pub config_name: Option<String>,
    /// One name per segment, or one more for `__default__`.
    pub display_aliases: Option<Vec<String>>,
}

/// A CSV beside the dataset holding some of its columns (Clarify's facet and predicted-label
/// datasets): joined row by row, or on `joinsource_name_or_index` when it is set.
#[derive(Debug, Clone, PartialEq)]
pub struct SideDataset {
    /// Where it is, as the config says (`s3://…` or a path relative to the config).
    pub uri: String,
    /// Its column names; `None`: its first row names them.
    pub headers: Option<Vec<String>>,
}

/// What the config will be used for: each use needs different keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `analyze`: a dataset with whatever methods the config asks for.
    Analyze,
    /// A `model_bias` schedule.
    BiasMonitor,
    /// A `model_explainability` schedule.
    ExplainabilityMonitor,
}
