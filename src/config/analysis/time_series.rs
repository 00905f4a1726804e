//! The time-series blocks of an analysis config, as the SageMaker Python SDK writes them:
//! top-level `time_series_data_config` (`TimeSeriesDataConfig`),
//! `predictor.time_series_predictor_config` (`TimeSeriesModelConfig`) and
//! `methods.asymmetric_shapley_value` (`AsymmetricShapleyValueConfig`), with every rule the
//! SDK enforces, each problem named by its key.

use serde_json::Value;

use crate::config::node::{MapReader, Node, describe};
use crate::config::problems::Problems;

/// How a JSON time-series dataset is laid out (`TimeSeriesJSONDatasetFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsDatasetFormat {
    Columns,
    ItemRecords,
    TimestampRecords,
}

/// A field of the dataset: a JMESPath (with `dataset_format`) or a column index.
#[derive(Debug, Clone, PartialEq)]
pub enum TsField {
    Path(String),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimeSeriesDataConfig {
    pub target_time_series: TsField,
    pub item_id: TsField,
    pub timestamp: TsField,
    pub related_time_series: Vec<TsField>,
    pub static_covariates: Vec<TsField>,
    pub dataset_format: Option<TsDatasetFormat>,
}

/// `direction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsDirection {
    Chronological,
    AntiChronological,
    Bidirectional,
}

impl TsDirection {
    /// As the config and Clarify's folder names spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chronological => "chronological",
            Self::AntiChronological => "anti_chronological",
            Self::Bidirectional => "bidirectional",
        }
    }
}

impl TsGranularity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timewise => "timewise",
            Self::FineGrained => "fine_grained",
        }
    }
}

/// `granularity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsGranularity {
    Timewise,
    FineGrained,
}

/// A series' baseline: zeros, or the series' mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesBaseline {
    Zero,
    Mean,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AsvBaseline {
    /// A baseline file's URI.
    Uri(String),
    Values {
        target: SeriesBaseline,
        related: SeriesBaseline,
        /// Per item id, one value per static covariate.
        static_covariates: Vec<(String, Vec<f64>)>,
    },
}

/// What a time-series analysis needs beyond the predictor's common keys.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSeriesAnalysis {
    pub data: TimeSeriesDataConfig,
    pub asv: AsvConfig,
    /// `predictor.time_series_predictor_config.forecast`: the JMESPath of the forecasts in a
    /// response.
    pub forecast: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AsvConfig {
    pub direction: TsDirection,
    pub granularity: TsGranularity,
    pub num_samples: Option<usize>,
    pub baseline: Option<AsvBaseline>,
}

/// Whether the document has any of the time-series blocks.
pub fn has_time_series(top: &MapReader<'_>) -> bool {
    top.get("time_series_data_config").is_some()
        || top
            .get("methods")
            .and_then(|m| m.get("asymmetric_shapley_value"))
            .is_some()
        || top
            .get("predictor")
            .and_then(|p| p.get("time_series_predictor_config"))
            .is_some()
}

fn field(path: &str, v: &Value, problems: &mut Problems) -> Option<TsField> {
    match v {
        Value::String(s) if !s.is_empty() => Some(TsField::Path(s.clone())),
        Value::Number(n) if n.as_u64().is_some() => n
            .as_u64()
            .and_then(|i| usize::try_from(i).ok())
            .map(TsField::Index),
        other => {
            problems.push(
                path,
                format!(
                    "must be a non-empty JMESPath string or a column index, got {}",
                    describe(other)
                ),
            );
            None
        }
    }
}

fn same_kind(a: &TsField, b: &TsField) -> bool {
    matches!(
        (a, b),
        (TsField::Path(_), TsField::Path(_)) | (TsField::Index(_), TsField::Index(_))
    )
}

/// `time_series_data_config`.
pub fn data_config(v: &Value, problems: &mut Problems) -> Option<TimeSeriesDataConfig> {
    let m = MapReader::new("time_series_data_config", v, problems)?;
    m.reject_unknown(
        &[
            "target_time_series",
            "item_id",
            "timestamp",
            "related_time_series",
            "static_covariates",
            "dataset_format",
        ],
        problems,
    );
    let before = problems.len();
    let req = |key: &str, problems: &mut Problems| {
        m.required(key, problems)
            .and_then(|v| field(&m.child_path(key), v, problems))
    };
    let target = req("target_time_series", problems);
    let item_id = req("item_id", problems);
    let timestamp = req("timestamp", problems);
    let list = |key: &str, problems: &mut Problems| -> Vec<TsField> {
        let Some(v) = m.get(key) else {
            return Vec::new();
        };
        let path = m.child_path(key);
        let Some(items) = Node::new(&path, v).as_list(problems) else {
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, x)| field(&format!("{path}[{i}]"), x, problems))
            .collect()
    };
    let related = list("related_time_series", problems);
    let statics = list("static_covariates", problems);
    let target = target?;
    for (key, f) in [("item_id", &item_id), ("timestamp", &timestamp)] {
        if let Some(f) = f
            && !same_kind(f, &target)
        {
            problems.push(
                m.child_path(key),
                "must be of the same type as target_time_series (all JMESPath strings or all column indexes)",
            );
        }
    }
    for (key, fields) in [
        ("related_time_series", &related),
        ("static_covariates", &statics),
    ] {
        if fields.iter().any(|f| !same_kind(f, &target)) {
            problems.push(
                m.child_path(key),
                "must hold the same type as target_time_series (all JMESPath strings or all column indexes)",
            );
        }
    }
    let format = match (m.get("dataset_format"), &target) {
        (None, TsField::Path(_)) => {
            problems.push(
                m.child_path("dataset_format"),
                "missing: JMESPath fields need dataset_format (columns, item_records or timestamp_records)",
            );
            None
        }
        (Some(_), TsField::Index(_)) => {
            problems.push(
                m.child_path("dataset_format"),
                "is only used with JMESPath fields (the fields are column indexes)",
            );
            None
        }
        (None, TsField::Index(_)) => None,
        (Some(v), TsField::Path(_)) => {
            match Node::new(&m.child_path("dataset_format"), v).as_str(problems) {
                Some("columns") => Some(TsDatasetFormat::Columns),
                Some("item_records") => Some(TsDatasetFormat::ItemRecords),
                Some("timestamp_records") => Some(TsDatasetFormat::TimestampRecords),
                Some(other) => {
                    problems.push(
                        m.child_path("dataset_format"),
                        format!(
                            "must be columns, item_records or timestamp_records, got {other:?}"
                        ),
                    );
                    None
                }
                None => None,
            }
        }
    };
    (problems.len() == before).then_some(TimeSeriesDataConfig {
        target_time_series: target,
        item_id: item_id?,
        timestamp: timestamp?,
        related_time_series: related,
        static_covariates: statics,
        dataset_format: format,
    })
}

fn series_baseline(path: &str, v: &Value, problems: &mut Problems) -> Option<SeriesBaseline> {
    match Node::new(path, v).as_str(problems)? {
        "zero" => Some(SeriesBaseline::Zero),
        "mean" => Some(SeriesBaseline::Mean),
        other => {
            problems.push(path, format!("must be zero or mean, got {other:?}"));
            None
        }
    }
}

/// `methods.asymmetric_shapley_value`; `statics` = how many static covariates the data config
/// names (their baselines must have as many values).
pub fn asv_config(v: &Value, statics: Option<usize>, problems: &mut Problems) -> Option<AsvConfig> {
    let path = "methods.asymmetric_shapley_value";
    let m = MapReader::new(path, v, problems)?;
    m.reject_unknown(
        &["direction", "granularity", "num_samples", "baseline"],
        problems,
    );
    let before = problems.len();
    let direction = match m.get("direction") {
        None => Some(TsDirection::Chronological),
        Some(v) => match Node::new(&m.child_path("direction"), v).as_str(problems) {
            Some("chronological") => Some(TsDirection::Chronological),
            Some("anti_chronological") => Some(TsDirection::AntiChronological),
            Some("bidirectional") => Some(TsDirection::Bidirectional),
            Some(other) => {
                problems.push(
                    m.child_path("direction"),
                    format!(
                        "must be chronological, anti_chronological or bidirectional, got {other:?}"
                    ),
                );
                None
            }
            None => None,
        },
    };
    let granularity = match m.get("granularity") {
        None => Some(TsGranularity::Timewise),
        Some(v) => match Node::new(&m.child_path("granularity"), v).as_str(problems) {
            Some("timewise") => Some(TsGranularity::Timewise),
            Some("fine_grained") => Some(TsGranularity::FineGrained),
            Some(other) => {
                problems.push(
                    m.child_path("granularity"),
                    format!("must be timewise or fine_grained, got {other:?} (the SDK spells it fine_grained)"),
                );
                None
            }
            None => None,
        },
    };
    let num_samples = m.get("num_samples").and_then(|v| {
        Node::new(&m.child_path("num_samples"), v)
            .as_int_in(1, 1_000_000, problems)
            .and_then(|n| usize::try_from(n).ok())
    });
    if let (Some(d), Some(g)) = (direction, granularity) {
        let name = TsDirection::as_str;
        match g {
            TsGranularity::FineGrained if d != TsDirection::Chronological => problems.push(
                m.child_path("direction"),
                format!(
                    "{} and fine_grained granularity are not supported together (as the SDK says)",
                    name(d)
                ),
            ),
            TsGranularity::FineGrained if m.get("num_samples").is_none() => problems.push(
                m.child_path("num_samples"),
                "missing: fine_grained explanations sample num_samples orders (an integer)",
            ),
            TsGranularity::Timewise if m.get("num_samples").is_some() => problems.push(
                m.child_path("num_samples"),
                "is only used for fine_grained explanations",
            ),
            _ => {}
        }
    }
    let baseline = m.get("baseline").and_then(|v| match v {
        Value::String(s) => Some(AsvBaseline::Uri(s.clone())),
        Value::Object(_) => {
            let b = MapReader::new(&m.child_path("baseline"), v, problems)?;
            b.reject_unknown(
                &["target_time_series", "related_time_series", "static_covariates"],
                problems,
            );
            let series = |key: &str, problems: &mut Problems| match b.get(key) {
                None => Some(SeriesBaseline::Zero),
                Some(v) => series_baseline(&b.child_path(key), v, problems),
            };
            let target = series("target_time_series", problems);
            let related = series("related_time_series", problems);
            let mut per_item = Vec::new();
            if let Some(v) = b.get("static_covariates") {
                let sp = b.child_path("static_covariates");
                let items = MapReader::new(&sp, v, problems)?;
                if statics == Some(0) {
                    problems.push(
                        &sp,
                        "are given but time_series_data_config names no static_covariates",
                    );
                }
                if let Some(map) = v.as_object() {
                    for (item, values) in map {
                        let ip = items.child_path(item);
                        let Some(list) = Node::new(&ip, values).as_list(problems) else {
                            continue;
                        };
                        let nums: Option<Vec<f64>> = list.iter().map(Value::as_f64).collect();
                        match nums {
                            Some(n) if statics.is_none_or(|s| s == 0 || s == n.len()) => {
                                per_item.push((item.clone(), n))
                            }
                            Some(n) => problems.push(
                                &ip,
                                format!(
                                    "has {} values; time_series_data_config names {} static_covariates",
                                    n.len(),
                                    statics.unwrap_or(0)
                                ),
                            ),
                            None => problems.push(&ip, "must be a list of numbers"),
                        }
                    }
                }
            }
            Some(AsvBaseline::Values {
                target: target?,
                related: related?,
                static_covariates: per_item,
            })
        }
        other => {
            problems.push(
                m.child_path("baseline"),
                format!(
                    "must be a URI or {{target_time_series, related_time_series, static_covariates}}, got {}",
                    describe(other)
                ),
            );
            None
        }
    });
    (problems.len() == before).then_some(AsvConfig {
        direction: direction?,
        granularity: granularity?,
        num_samples,
        baseline,
    })
}

/// Reads a time-series analysis config: the three blocks together, and the dataset and
/// predictor rules the SDK adds for them. `None` when anything is wrong (every problem
/// recorded).
pub fn read(top: &MapReader<'_>, problems: &mut Problems) -> Option<TimeSeriesAnalysis> {
    let before = problems.len();
    let data = top
        .get("time_series_data_config")
        .and_then(|v| data_config(v, problems));
    if top.get("time_series_data_config").is_none() {
        problems.push(
            "time_series_data_config",
            "missing: asymmetric Shapley values need a time_series_data_config",
        );
    }
    match top.get("dataset_type").and_then(Value::as_str) {
        Some("application/json") => {}
        _ => problems.push(
            "dataset_type",
            "time-series explanations read JSON data only: must be application/json",
        ),
    }
    let methods = top.get("methods");
    let asv = match methods.and_then(|m| m.get("asymmetric_shapley_value")) {
        Some(v) => {
            // Counted from the document, so the baselines are checked even when another key
            // of the data config is wrong.
            let statics = data
                .as_ref()
                .map(|d| d.static_covariates.len())
                .or_else(|| {
                    top.get("time_series_data_config").map(|d| {
                        d.get("static_covariates")
                            .and_then(Value::as_array)
                            .map_or(0, Vec::len)
                    })
                });
            asv_config(v, statics, problems)
        }
        None => {
            problems.push(
                "methods.asymmetric_shapley_value",
                "missing: a time-series config explains with asymmetric Shapley values",
            );
            None
        }
    };
    for key in ["pre_training_bias", "post_training_bias", "shap", "pdp"] {
        if methods.and_then(|m| m.get(key)).is_some() {
            problems.push(
                format!("methods.{key}"),
                "cannot be combined with time-series explanations (bias metrics and SHAP are unsupported for time series)",
            );
        }
    }
    let predictor = top.get("predictor");
    let mut forecast = None;
    match predictor.and_then(|p| p.get("time_series_predictor_config")) {
        Some(v) => {
            if let Some(m) = MapReader::new("predictor.time_series_predictor_config", v, problems) {
                m.reject_unknown(&["forecast"], problems);
                if let Some(f) = m.required("forecast", problems) {
                    let path = m.child_path("forecast");
                    forecast =
                        Node::new(&path, f).as_str(problems).and_then(
                            |f| match jmespath::compile(f) {
                                Ok(_) => Some(f.to_string()),
                                Err(e) => {
                                    problems
                                        .push(&path, format!("is not a JMESPath expression: {e}"));
                                    None
                                }
                            },
                        );
                }
            }
            let p = predictor.and_then(Value::as_object);
            let get = |k: &str| p.and_then(|p| p.get(k)).and_then(Value::as_str);
            let content = get("content_type");
            if let Some(c) = content
                && !matches!(c, "application/json" | "application/jsonlines")
            {
                problems.push(
                    "predictor.content_type",
                    format!("must be application/json or application/jsonlines for a forecasting model, got {c:?}"),
                );
            }
            if get("accept_type") == Some("text/csv") {
                problems.push(
                    "predictor.accept_type",
                    "cannot be text/csv for a forecasting model (the forecast is read by JMESPath)",
                );
            }
            if content == Some("application/json") {
                match get("content_template") {
                    Some(t) if t.contains("$record") => {}
                    _ => problems.push(
                        "predictor.content_template",
                        "must contain $record or $records for application/json requests",
                    ),
                }
                if get("record_template").is_none() {
                    problems.push(
                        "predictor.record_template",
                        "missing: application/json requests are built from record_template ($start_time, $target_time_series, $related_time_series, $static_covariates)",
                    );
                }
            }
        }
        None => problems.push(
            "predictor.time_series_predictor_config",
            "missing: asymmetric Shapley values need the forecast's JMESPath ({\"forecast\": …})",
        ),
    }
    if let Some(AsvConfig {
        baseline: Some(AsvBaseline::Uri(uri)),
        ..
    }) = &asv
    {
        problems.push(
            "methods.asymmetric_shapley_value.baseline",
            format!(
                "{uri:?}: a baseline file is not supported (the reference does not say its format); give {{\"target_time_series\": \"zero\"|\"mean\", \"related_time_series\": …, \"static_covariates\": {{item: [values]}}}}"
            ),
        );
    }
    if problems.len() != before {
        return None;
    }
    Some(TimeSeriesAnalysis {
        data: data?,
        asv: asv?,
        forecast: forecast?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems_of(v: Value) -> Vec<String> {
        let mut p = Problems::new();
        let top = MapReader::new("", &v, &mut p).unwrap();
        read(&top, &mut p);
        p.into_vec().iter().map(|x| x.to_string()).collect()
    }

    /// What the SDK writes for a DeepAR-style endpoint (`TimeSeriesDataConfig`,
    /// `TimeSeriesModelConfig`, `AsymmetricShapleyValueConfig`).
    fn sdk_config() -> Value {
        json!({
            "dataset_type": "application/json",
            "headers": ["item_id", "timestamp", "target_value", "dynamic_feature_1", "static_feature_1"],
            "time_series_data_config": {"target_time_series": "[].target", "item_id": "[].item_id",
                "timestamp": "[].timestamp", "related_time_series": ["[].dynamic_feat[0]"],
                "static_covariates": ["[].cat[0]"], "dataset_format": "item_records"},
            "methods": {"asymmetric_shapley_value": {"direction": "chronological",
                "granularity": "fine_grained", "num_samples": 20,
                "baseline": {"target_time_series": "zero", "related_time_series": "mean",
                             "static_covariates": {"item_1": [0.5]}}},
                "report": {"name": "report"}},
            "predictor": {"endpoint_name": "deepar", "content_type": "application/json",
                "accept_type": "application/json",
                "content_template": "{\"instances\": $records}",
                "record_template": "{\"start\": $start_time, \"target\": $target_time_series, \"dynamic_feat\": $related_time_series, \"cat\": $static_covariates}",
                "time_series_predictor_config": {"forecast": "predictions[*].mean[:2]"}}
        })
    }

    #[test]
    fn an_sdk_config_is_read() {
        let v = sdk_config();
        let mut p = Problems::new();
        let top = MapReader::new("", &v, &mut p).unwrap();
        let ts = read(&top, &mut p).expect("valid");
        assert!(p.is_empty());
        assert_eq!(ts.forecast, "predictions[*].mean[:2]");
        assert_eq!(ts.asv.num_samples, Some(20));
        assert_eq!(ts.data.dataset_format, Some(TsDatasetFormat::ItemRecords));
        let mut uri = sdk_config();
        uri["methods"]["asymmetric_shapley_value"]["baseline"] = json!("s3://b/baseline.json");
        let p = problems_of(uri).join("\n");
        assert!(p.contains("a baseline file is not supported"), "{p}");
    }

    #[test]
    fn every_sdk_rule_is_named_by_its_key() {
        let mut c = sdk_config();
        c["time_series_data_config"]["item_id"] = json!(0);
        c["time_series_data_config"]["dataset_format"] = json!("rows");
        c["methods"]["asymmetric_shapley_value"]["direction"] = json!("bidirectional");
        c["methods"]["asymmetric_shapley_value"]["baseline"]["static_covariates"]["item_1"] =
            json!([1, 2]);
        c["methods"]["shap"] = json!({"baseline": [[1]]});
        c["predictor"]["accept_type"] = json!("text/csv");
        c["dataset_type"] = json!("text/csv");
        let p = problems_of(c).join("\n");
        for expected in [
            "time_series_data_config.item_id: must be of the same type as target_time_series",
            "time_series_data_config.dataset_format: must be columns, item_records or timestamp_records",
            "methods.asymmetric_shapley_value.direction: bidirectional and fine_grained granularity are not supported together",
            "methods.asymmetric_shapley_value.baseline.static_covariates.item_1: has 2 values; time_series_data_config names 1 static_covariates",
            "methods.shap: cannot be combined with time-series explanations",
            "predictor.accept_type: cannot be text/csv",
            "dataset_type: time-series explanations read JSON data only",
        ] {
            assert!(p.contains(expected), "missing {expected:?} in:\n{p}");
        }
        let mut c = sdk_config();
        c["methods"]["asymmetric_shapley_value"] =
            json!({"granularity": "timewise", "num_samples": 5});
        c["time_series_data_config"]
            .as_object_mut()
            .unwrap()
            .remove("dataset_format");
        let p = problems_of(c).join("\n");
        assert!(
            p.contains("num_samples: is only used for fine_grained explanations"),
            "{p}"
        );
        assert!(
            p.contains("dataset_format: missing: JMESPath fields need dataset_format"),
            "{p}"
        );
        let mut c = sdk_config();
        c["methods"]["asymmetric_shapley_value"] = json!({"granularity": "fine-grained"});
        let p = problems_of(c).join("\n");
        assert!(p.contains("the SDK spells it fine_grained"), "{p}");
    }
}
