//! Reading an analysis-config document into [`AnalysisConfig`], every problem reported with
//! its path (a key that failed to parse is reported once and does not cascade).

use serde_json::Value;

use super::keys::*;
use super::*;
use crate::config::node::{MapReader, Node, describe, did_you_mean, index_path, key_path};
use crate::config::problems::Problems;

impl AnalysisConfig {
    /// Reads and validates an analysis config for `purpose`, recording every problem.
    pub fn from_value(value: &Value, purpose: Purpose, problems: &mut Problems) -> Option<Self> {
        let before = problems.len();
        let top = MapReader::new("", value, problems)?;
        if super::time_series::has_time_series(&top) {
            return time_series_config(value, &top, purpose, problems);
        }
        if super::image::has_image(&top) {
            return image_config(value, &top, purpose, problems);
        }
        top.reject_unknown(TOP_KEYS, problems);
        for key in UNSUPPORTED_TOP_KEYS {
            if top.get(key).is_some() {
                problems.push(*key, "is a Clarify option driftwatch does not support");
            }
        }
        let mut cfg = Self {
            version: top
                .get("version")
                .and_then(|v| str_at(&top, "version", v, problems)),
            dataset_type: top
                .get("dataset_type")
                .and_then(|v| dataset_type(Node::new("dataset_type", v), problems)),
            headers: top
                .get("headers")
                .and_then(|v| string_list(Node::new("headers", v), problems)),
            label: top
                .get("label")
                .and_then(|v| column_ref(Node::new("label", v), problems)),
            features: top
                .get("features")
                .and_then(|v| str_at(&top, "features", v, problems)),
            label_values_or_threshold: top
                .get("label_values_or_threshold")
                .and_then(|v| scalar_list(Node::new("label_values_or_threshold", v), problems)),
            probability_threshold: top
                .get("probability_threshold")
                .and_then(|v| Node::new("probability_threshold", v).as_f64(problems)),
            facets: top
                .get("facet")
                .and_then(|v| facets(Node::new("facet", v), problems))
                .unwrap_or_default(),
            group_variable: top
                .get("group_variable")
                .and_then(|v| column_ref(Node::new("group_variable", v), problems)),
            predicted_label: top
                .get("predicted_label")
                .and_then(|v| column_ref(Node::new("predicted_label", v), problems)),
            excluded_columns: top
                .get("excluded_columns")
                .and_then(|v| column_list(Node::new("excluded_columns", v), problems))
                .unwrap_or_default(),
            joinsource: top
                .get("joinsource_name_or_index")
                .and_then(|v| column_ref(Node::new("joinsource_name_or_index", v), problems)),
            segment_config: top
                .get("segment_config")
                .and_then(|v| segment_configs(Node::new("segment_config", v), problems))
                .unwrap_or_default(),
            facet_dataset: side_dataset(&top, "facet_dataset_uri", "facet_headers", problems),
            predicted_label_dataset: side_dataset(
                &top,
                "predicted_label_dataset_uri",
                "predicted_label_headers",
                problems,
            ),
            methods: top.get("methods").and_then(|v| methods(v, problems)),
            predictor: top.get("predictor").and_then(|v| predictor(v, problems)),
            extensions: top
                .get("driftwatch")
                .and_then(|v| extensions(v, problems))
                .unwrap_or_default(),
            time_series: None,
            image: None,
        };
        cfg.check_for(purpose, &top, problems);
        if cfg.methods.is_none() && purpose == Purpose::BiasMonitor {
            cfg.methods = Some(Methods {
                pre_training_bias: Some(MetricSelection::All),
                post_training_bias: Some(MetricSelection::All),
                ..Methods::default()
            });
        }
        (problems.len() == before).then_some(cfg)
    }
}

/// A forecasting model's config: the time-series blocks, and the keys every analysis shares
/// (the predictor's endpoint, content types and templates; the report; `driftwatch`).
fn time_series_config(
    value: &Value,
    top: &MapReader<'_>,
    purpose: Purpose,
    problems: &mut Problems,
) -> Option<AnalysisConfig> {
    let before = problems.len();
    let ts = super::time_series::read(top, problems);
    if purpose != Purpose::Analyze {
        problems.push(
            "time_series_data_config",
            "time-series explanations run with `driftwatch analyze` only; a monitoring schedule over a forecasting endpoint's capture is not supported yet",
        );
    }
    const SHARED: &[&str] = &[
        "version",
        "dataset_type",
        "dataset_uri",
        "headers",
        "methods",
        "predictor",
        "driftwatch",
    ];
    for key in value.as_object().into_iter().flat_map(|m| m.keys()) {
        if top.get(key).is_some()
            && TOP_KEYS.contains(&key.as_str())
            && !SHARED.contains(&key.as_str())
        {
            problems.push(
                key.as_str(),
                "does not apply to a time-series explanation (time_series_data_config names its fields)",
            );
        }
    }
    let known: Vec<&str> = TOP_KEYS
        .iter()
        .copied()
        .chain(["time_series_data_config"])
        .collect();
    top.reject_unknown(&known, problems);
    if let Some(m) = top.get("methods").and_then(Value::as_object) {
        let known: Vec<&str> = METHOD_KEYS
            .iter()
            .copied()
            .chain(["asymmetric_shapley_value"])
            .collect();
        for key in m.keys().filter(|k| !known.contains(&k.as_str())) {
            problems.push(
                format!("methods.{key}"),
                "unknown key; expected asymmetric_shapley_value or report",
            );
        }
    }
    // The predictor's common keys, read as for any model; its time-series block by `read`.
    let predictor_value = top.get("predictor").map(|v| {
        let mut common = v.clone();
        if let Some(m) = common.as_object_mut() {
            m.remove("time_series_predictor_config");
        }
        common
    });
    let shared = shared_keys(top, predictor_value.as_ref(), problems);
    let cfg = AnalysisConfig {
        dataset_type: Some(DatasetType::Json),
        headers: top
            .get("headers")
            .and_then(|v| string_list(Node::new("headers", v), problems)),
        time_series: ts,
        ..shared
    };
    (problems.len() == before).then_some(cfg)
}

/// What a time-series or image analysis shares with every analysis: `version`,
/// `methods.report`, the predictor's common keys (`predictor`: its value with the family's
/// own keys already taken out) and the `driftwatch` block.
fn shared_keys(
    top: &MapReader<'_>,
    predictor_value: Option<&Value>,
    problems: &mut Problems,
) -> AnalysisConfig {
    let report_cfg = top
        .get("methods")
        .and_then(|m| m.get("report"))
        .and_then(|v| report(v, problems));
    AnalysisConfig {
        version: top
            .get("version")
            .and_then(|v| str_at(top, "version", v, problems)),
        methods: Some(Methods {
            report: report_cfg,
            ..Methods::default()
        }),
        predictor: predictor_value.and_then(|v| predictor(v, problems)),
        extensions: top
            .get("driftwatch")
            .and_then(|v| extensions(v, problems))
            .unwrap_or_default(),
        ..AnalysisConfig::default()
    }
}

/// An image model's config: the image blocks (`super::image`), and the keys every analysis
/// shares (the predictor's endpoint and accept type; the report; `driftwatch`).
fn image_config(
    value: &Value,
    top: &MapReader<'_>,
    purpose: Purpose,
    problems: &mut Problems,
) -> Option<AnalysisConfig> {
    let before = problems.len();
    let image = super::image::read(top, problems);
    if purpose != Purpose::Analyze {
        problems.push(
            "dataset_type",
            "image explanations run with `driftwatch analyze` only; a monitoring schedule over an image endpoint's capture is not supported yet",
        );
    }
    for key in value.as_object().into_iter().flat_map(|m| m.keys()) {
        if TOP_KEYS.contains(&key.as_str()) && !super::image::TOP_KEYS.contains(&key.as_str()) {
            problems.push(key.as_str(), "does not apply to an image explanation");
        }
    }
    let known: Vec<&str> = TOP_KEYS
        .iter()
        .copied()
        .chain(super::image::TOP_KEYS.iter().copied())
        .collect();
    top.reject_unknown(&known, problems);
    if let Some(m) = top.get("methods").and_then(Value::as_object) {
        for key in m
            .keys()
            .filter(|k| !["shap", "report"].contains(&k.as_str()))
        {
            problems.push(
                format!("methods.{key}"),
                "does not apply to an image explanation; expected shap or report",
            );
        }
    }
    // The predictor's common keys, read as for any model; its image content type by `read`.
    let predictor_value = top.get("predictor").map(|v| {
        let mut common = v.clone();
        if let Some(m) = common.as_object_mut() {
            m.remove("content_type");
            for key in ["content_template", "record_template"] {
                if m.remove(key).is_some() {
                    problems.push(
                        format!("predictor.{key}"),
                        "does not apply to images (each image is sent as its bytes)",
                    );
                }
            }
        }
        common
    });
    let cfg = AnalysisConfig {
        image,
        ..shared_keys(top, predictor_value.as_ref(), problems)
    };
    (problems.len() == before).then_some(cfg)
}

fn str_at(top: &MapReader<'_>, key: &str, v: &Value, problems: &mut Problems) -> Option<String> {
    let path = top.child_path(key);
    Node::new(&path, v).as_str(problems).map(str::to_string)
}

fn dataset_type(node: Node<'_, '_>, problems: &mut Problems) -> Option<DatasetType> {
    let s = node.as_str(problems)?;
    Some(match s.to_ascii_lowercase().as_str() {
        "text/csv" => DatasetType::Csv,
        "application/jsonlines" => DatasetType::JsonLines,
        "application/json" => DatasetType::Json,
        "application/x-parquet" => DatasetType::Parquet,
        "application/sagemakercapturejson" => DatasetType::SageMakerCaptureJson,
        "application/x-image" => {
            problems.push(node.path, "application/x-image datasets are not supported");
            return None;
        }
        _ => {
            problems.push(
                node.path,
                format!(
                    "must be one of text/csv, application/jsonlines, application/json, application/x-parquet, application/sagemakercapturejson; got {s:?}"
                ),
            );
            return None;
        }
    })
}

fn column_ref(node: Node<'_, '_>, problems: &mut Problems) -> Option<ColumnRef> {
    match node.value {
        Value::String(s) if !s.is_empty() => Some(ColumnRef::Name(s.clone())),
        Value::Number(n) if n.as_u64().is_some() => n
            .as_u64()
            .and_then(|i| usize::try_from(i).ok())
            .map(ColumnRef::Index),
        other => {
            problems.push(
                node.path,
                format!(
                    "must be a column name or a zero-based index, got {}",
                    describe(other)
                ),
            );
            None
        }
    }
}

fn locator(node: Node<'_, '_>, problems: &mut Problems) -> Option<Locator> {
    column_ref(node, problems).map(|c| match c {
        ColumnRef::Name(p) => Locator::Path(p),
        ColumnRef::Index(i) => Locator::Index(i),
    })
}

fn list_of<T>(
    node: Node<'_, '_>,
    problems: &mut Problems,
    item: impl Fn(Node<'_, '_>, &mut Problems) -> Option<T>,
) -> Option<Vec<T>> {
    let items = node.as_list(problems)?;
    let before = problems.len();
    let out: Vec<T> = items
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let path = index_path(node.path, i);
            item(Node::new(&path, v), problems)
        })
        .collect();
    (problems.len() == before).then_some(out)
}

fn string_list(node: Node<'_, '_>, problems: &mut Problems) -> Option<Vec<String>> {
    list_of(node, problems, |n, p| n.as_str(p).map(str::to_string))
}

fn column_list(node: Node<'_, '_>, problems: &mut Problems) -> Option<Vec<ColumnRef>> {
    list_of(node, problems, column_ref)
}

fn scalar(node: Node<'_, '_>, problems: &mut Problems) -> Option<ConfigScalar> {
    match node.value {
        Value::String(s) => Some(ConfigScalar::Str(s.clone())),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Some(ConfigScalar::Int(i)),
            (None, Some(f)) if f.is_finite() => Some(ConfigScalar::Float(f)),
            _ => {
                problems.push(node.path, format!("number {n} is out of range"));
                None
            }
        },
        other => {
            problems.push(
                node.path,
                format!("must be a number or a string, got {}", describe(other)),
            );
            None
        }
    }
}

fn scalar_list(node: Node<'_, '_>, problems: &mut Problems) -> Option<Vec<ConfigScalar>> {
    list_of(node, problems, scalar)
}

fn facets(node: Node<'_, '_>, problems: &mut Problems) -> Option<Vec<FacetConfig>> {
    list_of(node, problems, |n, p| {
        let m = MapReader::new(n.path, n.value, p)?;
        m.reject_unknown(&["name_or_index", "value_or_threshold"], p);
        let column = m
            .required("name_or_index", p)
            .and_then(|v| column_ref(Node::new(&m.child_path("name_or_index"), v), p));
        let values = match m.get("value_or_threshold") {
            None => None,
            Some(v) => Some(scalar_list(
                Node::new(&m.child_path("value_or_threshold"), v),
                p,
            )?)
            .filter(|v| !v.is_empty()),
        };
        Some(FacetConfig {
            column: column?,
            values,
        })
    })
}

fn metric_selection(
    v: &Value,
    path: &str,
    stage: &'static [&'static str],
    problems: &mut Problems,
) -> Option<MetricSelection> {
    let m = MapReader::new(path, v, problems)?;
    m.reject_unknown(&["methods"], problems);
    let sel_path = m.child_path("methods");
    let sel = m.required("methods", problems)?;
    let requested: Vec<(String, String)> = match sel {
        Value::String(s) if s.eq_ignore_ascii_case("all") => return Some(MetricSelection::All),
        Value::String(s) => vec![(sel_path.clone(), s.clone())],
        Value::Array(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let p = index_path(&sel_path, i);
                match item.as_str() {
                    Some(s) if s.eq_ignore_ascii_case("all") => return Some(MetricSelection::All),
                    Some(s) => out.push((p, s.to_string())),
                    None => {
                        problems.push(p, format!("must be a metric name, got {}", describe(item)))
                    }
                }
            }
            out
        }
        other => {
            problems.push(
                sel_path,
                format!(
                    "must be \"all\" or a list of metric names, got {}",
                    describe(other)
                ),
            );
            return None;
        }
    };
    let mut chosen = Vec::new();
    for (p, name) in requested {
        match stage.iter().find(|m| m.eq_ignore_ascii_case(&name)) {
            Some(m) => chosen.push(*m),
            None => {
                let hint = did_you_mean(&name, stage)
                    .map(|s| format!(" (did you mean \"{s}\"?)"))
                    .unwrap_or_default();
                problems.push(
                    p,
                    format!(
                        "unknown metric {name:?}{hint}; this stage has {}",
                        stage.join(", ")
                    ),
                );
            }
        }
    }
    if chosen.is_empty() {
        problems.push(path, "selects no metric driftwatch knows");
        return None;
    }
    Some(MetricSelection::Only(
        stage
            .iter()
            .copied()
            .filter(|m| chosen.contains(m))
            .collect(),
    ))
}

fn methods(v: &Value, problems: &mut Problems) -> Option<Methods> {
    let m = MapReader::new("methods", v, problems)?;
    m.reject_unknown(METHOD_KEYS, problems);
    Some(Methods {
        pre_training_bias: m.get("pre_training_bias").and_then(|v| {
            metric_selection(
                v,
                "methods.pre_training_bias",
                &PRE_TRAINING_METRICS,
                problems,
            )
        }),
        post_training_bias: m.get("post_training_bias").and_then(|v| {
            metric_selection(
                v,
                "methods.post_training_bias",
                &POST_TRAINING_METRICS,
                problems,
            )
        }),
        shap: m.get("shap").and_then(|v| shap(v, problems)),
        pdp: m.get("pdp").and_then(|v| pdp(v, problems)),
        report: m.get("report").and_then(|v| report(v, problems)),
    })
}

/// SageMaker's defaults (`PDPConfig(grid_resolution=15, top_k_features=10)`).
const PDP_GRID_RESOLUTION: usize = 15;
const PDP_TOP_K: usize = 10;

fn pdp(v: &Value, problems: &mut Problems) -> Option<PdpConfig> {
    let m = MapReader::new("methods.pdp", v, problems)?;
    m.reject_unknown(PDP_KEYS, problems);
    let before = problems.len();
    let int_in = |key: &str, lo: i64, hi: i64, problems: &mut Problems| {
        m.get(key)
            .and_then(|v| Node::new(&m.child_path(key), v).as_int_in(lo, hi, problems))
            .map(|x| x as usize)
    };
    let grid_resolution =
        int_in("grid_resolution", 1, 1_000, problems).unwrap_or(PDP_GRID_RESOLUTION);
    let top_k_features = int_in("top_k_features", 1, 10_000, problems).unwrap_or(PDP_TOP_K);
    let features = m
        .get("features")
        .and_then(|v| column_list(Node::new(&m.child_path("features"), v), problems));
    if features.as_ref().is_some_and(Vec::is_empty) {
        problems.push(m.child_path("features"), "must name at least one feature");
    }
    (problems.len() == before).then_some(PdpConfig {
        features,
        grid_resolution,
        top_k_features,
    })
}

fn report(v: &Value, problems: &mut Problems) -> Option<ReportConfig> {
    let m = MapReader::new("methods.report", v, problems)?;
    m.reject_unknown(&["name", "title"], problems);
    let text = |key: &str, problems: &mut Problems| {
        m.get(key)
            .and_then(|v| Node::new(&m.child_path(key), v).as_str(problems))
            .map(str::to_string)
    };
    let name = match text("name", problems) {
        Some(n) if is_file_stem(&n) => n,
        Some(n) => {
            problems.push(
                m.child_path("name"),
                format!("{n:?} is not a file name (letters, digits, '.', '-', '_'; no path)"),
            );
            return None;
        }
        None if m.get("name").is_some() => return None,
        None => {
            problems.push(m.child_path("name"), "missing required key");
            return None;
        }
    };
    let title = text("title", problems).unwrap_or_else(|| "Analysis Report".to_string());
    Some(ReportConfig { name, title })
}

/// A report name usable as a file name: no separators, nothing hidden.
fn is_file_stem(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 100
        && !n.starts_with('.')
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

fn shap(v: &Value, problems: &mut Problems) -> Option<ShapConfig> {
    let m = MapReader::new("methods.shap", v, problems)?;
    m.reject_unknown(SHAP_KEYS, problems);
    if m.get("image_config").is_some() {
        problems.push(
            m.child_path("image_config"),
            "needs dataset_type application/x-image (an image dataset)",
        );
    }
    let before = problems.len();
    let text = m
        .get("text_config")
        .and_then(|v| super::text::text_config(&m.child_path("text_config"), v, problems));
    if m.get("text_config").is_some() && m.get("features_to_explain").is_some() {
        problems.push(
            m.child_path("features_to_explain"),
            "is not supported for datasets containing text features or images (the SDK's rule)",
        );
    }
    let path = |k: &str| m.child_path(k);
    let baseline = match m.get("baseline") {
        None => None,
        Some(Value::String(s)) if !s.is_empty() => Some(ShapBaseline::Uri(s.clone())),
        Some(Value::Array(rows)) if !rows.is_empty() => {
            for (i, row) in rows.iter().enumerate() {
                if !(row.is_array() || row.is_object()) {
                    problems.push(
                        index_path(&path("baseline"), i),
                        format!(
                            "must be a row (a list) or a JSON record, got {}",
                            describe(row)
                        ),
                    );
                }
            }
            Some(ShapBaseline::Rows(rows.clone()))
        }
        Some(other) => {
            problems.push(
                path("baseline"),
                format!(
                    "must be a non-empty list of rows or a location, got {}",
                    describe(other)
                ),
            );
            None
        }
    };
    let int_in = |key: &str, lo: i64, hi: i64, problems: &mut Problems| {
        m.get(key)
            .and_then(|v| Node::new(&path(key), v).as_int_in(lo, hi, problems))
    };
    let num_clusters = int_in("num_clusters", 1, 1_000, problems).map(|x| x as u32);
    if m.get("baseline").is_some() && m.get("num_clusters").is_some() {
        problems.push(
            path("num_clusters"),
            "cannot be combined with baseline (num_clusters only applies when no baseline is given)",
        );
    }
    let num_samples = int_in("num_samples", 1, 1 << 30, problems).map(|x| x as u64);
    let seed = int_in("seed", 0, i64::MAX, problems).map(|x| x as u64);
    let bool_at = |key: &str, problems: &mut Problems| {
        m.get(key)
            .and_then(|v| Node::new(&path(key), v).as_bool(problems))
            .unwrap_or(false)
    };
    let use_logit = bool_at("use_logit", problems);
    let save_local_shap_values = bool_at("save_local_shap_values", problems);
    let agg_method = match m.get("agg_method") {
        None => AggMethod::MeanAbs,
        Some(v) => match Node::new(&path("agg_method"), v)
            .as_str(problems)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("mean_abs") => AggMethod::MeanAbs,
            Some("median") => AggMethod::Median,
            Some("mean_sq") => AggMethod::MeanSq,
            Some(other) => {
                problems.push(
                    path("agg_method"),
                    format!("must be mean_abs, median or mean_sq, got {other:?}"),
                );
                AggMethod::MeanAbs
            }
            None => AggMethod::MeanAbs,
        },
    };
    let features_to_explain = m.get("features_to_explain").and_then(|v| {
        let p = path("features_to_explain");
        let list = column_list(Node::new(&p, v), problems)?;
        if list.is_empty() {
            problems.push(
                p,
                "must name at least one feature (or leave it out to explain every feature)",
            );
            return None;
        }
        for (i, c) in list.iter().enumerate() {
            if let Some(first) = list[..i].iter().position(|d| d == c) {
                problems.push(
                    index_path(&p, i),
                    format!("names the same feature as features_to_explain[{first}]"),
                );
            }
        }
        Some(list)
    });

    (problems.len() == before).then_some(ShapConfig {
        baseline,
        num_clusters,
        num_samples,
        use_logit,
        agg_method,
        save_local_shap_values,
        seed,
        features_to_explain,
        text,
    })
}

/// `segment_config`: a list of the SDK's `SegmentationConfig` dicts.
fn segment_configs(node: Node<'_, '_>, problems: &mut Problems) -> Option<Vec<SegmentConfig>> {
    list_of(node, problems, |n, problems| {
        let m = MapReader::new(n.path, n.value, problems)?;
        m.reject_unknown(SEGMENT_KEYS, problems);
        let before = problems.len();
        let column_path = m.child_path("name_or_index");
        let column = m
            .required("name_or_index", problems)
            .and_then(|v| column_ref(Node::new(&column_path, v), problems));
        let segments_path = m.child_path("segments");
        let segments = m.required("segments", problems).and_then(|v| {
            let lists = list_of(Node::new(&segments_path, v), problems, |seg, problems| {
                let values = scalar_list(seg, problems)?;
                if values.is_empty() {
                    problems.push(seg.path, "must hold at least one value or interval");
                    return None;
                }
                Some(values)
            })?;
            if lists.is_empty() {
                problems.push(segments_path.clone(), "must list at least one segment");
                return None;
            }
            Some(lists)
        });
        let config_name = m.get("config_name").and_then(|v| {
            Node::new(&m.child_path("config_name"), v)
                .as_str(problems)
                .map(str::to_string)
        });
        let display_aliases = m
            .get("display_aliases")
            .and_then(|v| string_list(Node::new(&m.child_path("display_aliases"), v), problems));
        if let (Some(a), Some(s)) = (&display_aliases, &segments)
            && a.len() != s.len()
            && a.len() != s.len() + 1
        {
            problems.push(
                m.child_path("display_aliases"),
                format!(
                    "has {} names for {} segments: give one per segment, or one more for the __default__ segment",
                    a.len(),
                    s.len()
                ),
            );
        }
        if problems.len() != before {
            return None;
        }
        Some(SegmentConfig {
            column: column?,
            segments: segments?,
            config_name,
            display_aliases,
        })
    })
}

/// `{what}_dataset_uri` with its `{what}_headers` (the headers need the file).
fn side_dataset(
    top: &MapReader<'_>,
    uri_key: &str,
    headers_key: &str,
    problems: &mut Problems,
) -> Option<SideDataset> {
    let headers = top
        .get(headers_key)
        .and_then(|v| string_list(Node::new(headers_key, v), problems));
    let uri = match top.get(uri_key) {
        None => {
            if top.get(headers_key).is_some() {
                problems.push(
                    headers_key,
                    format!("names the columns of {uri_key}, which is not given"),
                );
            }
            return None;
        }
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(other) => {
            problems.push(
                uri_key,
                format!(
                    "must be the dataset's location (an S3 URI or a path), got {}",
                    describe(other)
                ),
            );
            return None;
        }
    };
    if headers.as_ref().is_some_and(Vec::is_empty) {
        problems.push(headers_key, "must name at least one column");
        return None;
    }
    Some(SideDataset { uri, headers })
}

fn predictor(v: &Value, problems: &mut Problems) -> Option<PredictorConfig> {
    let m = MapReader::new("predictor", v, problems)?;
    m.reject_unknown(PREDICTOR_KEYS, problems);
    let text = |key: &str, problems: &mut Problems| {
        m.get(key)
            .and_then(|v| Node::new(&m.child_path(key), v).as_str(problems))
            .map(str::to_string)
    };
    let content_type = |key: &str, problems: &mut Problems| {
        let t = text(key, problems)?;
        if CONTENT_TYPES.contains(&t.to_ascii_lowercase().as_str()) {
            Some(t.to_ascii_lowercase())
        } else {
            problems.push(
                m.child_path(key),
                format!("must be one of {}, got {t:?}", CONTENT_TYPES.join(", ")),
            );
            None
        }
    };
    let content_template = match m.get("content_template") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            problems.push(
                m.child_path("content_template"),
                format!(
                    "must be a string (per-content-type templates are not supported), got {}",
                    describe(other)
                ),
            );
            None
        }
    };
    Some(PredictorConfig {
        endpoint_name: text("endpoint_name", problems),
        model_name: text("model_name", problems),
        target_model: text("target_model", problems),
        content_type: content_type("content_type", problems),
        accept_type: content_type("accept_type", problems),
        label: m
            .get("label")
            .and_then(|v| locator(Node::new(&m.child_path("label"), v), problems)),
        probability: m
            .get("probability")
            .and_then(|v| locator(Node::new(&m.child_path("probability"), v), problems)),
        label_headers: m
            .get("label_headers")
            .and_then(|v| {
                list_of(
                    Node::new(&m.child_path("label_headers"), v),
                    problems,
                    |n, p| match n.value {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(x) => Some(x.to_string()),
                        other => {
                            p.push(n.path, format!("must be a string, got {}", describe(other)));
                            None
                        }
                    },
                )
            })
            .unwrap_or_default(),
        content_template,
        record_template: text("record_template", problems),
        custom_attributes: text("custom_attributes", problems),
    })
}

fn column_type(node: Node<'_, '_>, problems: &mut Problems) -> Option<ColumnType> {
    match node.as_str(problems)?.to_ascii_lowercase().as_str() {
        "categorical" => Some(ColumnType::Categorical),
        "continuous" => Some(ColumnType::Continuous),
        other => {
            problems.push(
                node.path,
                format!("must be \"categorical\" or \"continuous\", got {other:?}"),
            );
            None
        }
    }
}

/// An optional positive integer of the extension block.
fn positive_count(m: &MapReader<'_>, key: &str, problems: &mut Problems) -> Option<usize> {
    let v = m.get(key)?;
    match v.as_u64() {
        Some(n) if n > 0 => usize::try_from(n).ok(),
        _ => {
            problems.push(
                m.child_path(key),
                format!("must be a positive integer, got {v}"),
            );
            None
        }
    }
}

fn extensions(v: &Value, problems: &mut Problems) -> Option<Extensions> {
    let m = MapReader::new("driftwatch", v, problems)?;
    m.reject_unknown(EXTENSION_KEYS, problems);
    let label_type = m
        .get("label_type")
        .and_then(|v| column_type(Node::new(&m.child_path("label_type"), v), problems));
    let mut facet_types = BTreeMap::new();
    if let Some(v) = m.get("facet_types") {
        let ft_path = m.child_path("facet_types");
        if let Some(map) = Node::new(&ft_path, v).as_map(problems) {
            for (name, t) in map {
                let p = key_path(&ft_path, name);
                if let Some(t) = column_type(Node::new(&p, t), problems) {
                    facet_types.insert(name.clone(), t);
                }
            }
        }
    }
    let model = match m.get("model") {
        None => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(_) => {
            problems.push(
                m.child_path("model"),
                "must be the path or location of a model file",
            );
            None
        }
    };
    let ndcg_threshold = match m.get("ndcg_threshold") {
        None => None,
        Some(v) => match v.as_f64() {
            Some(x) if (0.0..=1.0).contains(&x) => Some(x),
            _ => {
                problems.push(
                    m.child_path("ndcg_threshold"),
                    format!("must be a number between 0 and 1, got {v}"),
                );
                None
            }
        },
    };
    let max_endpoint_requests = positive_count(&m, "max_endpoint_requests", problems);
    let shap_max_records = positive_count(&m, "shap_max_records", problems);
    let shap_algorithm = match m.get("shap_algorithm") {
        None => ShapAlgorithm::Kernel,
        Some(v) => match v.as_str() {
            Some("kernel") => ShapAlgorithm::Kernel,
            Some("tree") => ShapAlgorithm::Tree,
            _ => {
                problems.push(
                    m.child_path("shap_algorithm"),
                    format!("must be \"kernel\" or \"tree\", got {v}"),
                );
                ShapAlgorithm::Kernel
            }
        },
    };
    Some(Extensions {
        label_type,
        facet_types,
        model,
        ndcg_threshold,
        max_endpoint_requests,
        shap_max_records,
        shap_algorithm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value, purpose: Purpose) -> Result<AnalysisConfig, Vec<String>> {
        let mut p = Problems::new();
        match AnalysisConfig::from_value(&v, purpose, &mut p) {
            Some(c) if p.is_empty() => Ok(c),
            _ => Err(p.into_vec().iter().map(|x| x.to_string()).collect()),
        }
    }

    #[test]
    fn monitor_bias_config_defaults_to_both_stages() {
        let cfg = parse(
            json!({"headers": ["f1", "f2", "target"], "label": "target",
                   "label_values_or_threshold": [1],
                   "facet": [{"name_or_index": "f1", "value_or_threshold": [1]}]}),
            Purpose::BiasMonitor,
        )
        .unwrap();
        let m = cfg.methods.unwrap();
        assert_eq!(m.pre_training_bias, Some(MetricSelection::All));
        assert_eq!(m.post_training_bias, Some(MetricSelection::All));
        assert_eq!(cfg.facets[0].values, Some(vec![ConfigScalar::Int(1)]));
    }

    #[test]
    fn metric_lists_are_canonicalised() {
        let cfg = parse(
            json!({"label": "y", "label_values_or_threshold": [1],
                   "facet": [{"name_or_index": 0}],
                   "methods": {"pre_training_bias": {"methods": ["dpl", "CI", "CI"]}}}),
            Purpose::Analyze,
        )
        .unwrap();
        assert_eq!(
            cfg.methods.unwrap().pre_training_bias,
            Some(MetricSelection::Only(vec!["CI", "DPL"]))
        );
        assert_eq!(cfg.facets[0].column, ColumnRef::Index(0));
        assert_eq!(cfg.facets[0].values, None);
    }

    #[test]
    fn reports_every_problem_with_its_path() {
        let errs = parse(
            json!({"label": "y", "label_values_or_threshold": [],
                   "facet": [{"name_or_index": "s", "value": [1]}],
                   "methods": {"pre_training_bias": {"methods": ["CJ"]},
                               "shap": {"agg_method": "max", "baseline": [[1]], "num_clusters": 3}},
                   "lable": 1, "segment_config": [{"name_or_index": "s", "segments": [[]], "display_aliases": ["a", "b", "c"]}]}),
            Purpose::Analyze,
        )
        .unwrap_err();
        let joined = errs.join("\n");
        for needle in [
            "lable: unknown key (did you mean \"label\"?)",
            "segment_config[0].segments[0]: must hold at least one value or interval",
            "facet[0].value: unknown key",
            "methods.pre_training_bias.methods[0]: unknown metric \"CJ\" (did you mean \"CI\"?)",
            "methods.shap.agg_method: must be mean_abs, median or mean_sq",
            "label_values_or_threshold: must not be empty",
            "methods.shap.num_clusters: cannot be combined with baseline",
        ] {
            assert!(joined.contains(needle), "missing {needle:?} in:\n{joined}");
        }
    }

    #[test]
    fn explainability_needs_shap_and_monitors_without_headers_use_indices() {
        let errs = parse(json!({"methods": {}}), Purpose::ExplainabilityMonitor).unwrap_err();
        assert!(
            errs.iter().any(|e| e.starts_with("methods.shap: missing")),
            "{errs:?}"
        );
        // Without headers the captured columns are column_0, column_1, … (as Clarify names
        // them): indices and those names work, other names cannot be resolved.
        let bias = |label: Value, facet: Value| {
            parse(
                json!({"label": label, "label_values_or_threshold": [1],
                       "facet": [{"name_or_index": facet, "value_or_threshold": [2]}]}),
                Purpose::BiasMonitor,
            )
        };
        assert!(bias(json!(13), json!(5)).is_ok());
        assert!(bias(json!("column_13"), json!("column_5")).is_ok());
        let errs = bias(json!("y"), json!(5)).unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.starts_with("label: \"y\" names a column, but without headers")),
            "{errs:?}"
        );
    }

    #[test]
    fn shap_max_records_is_a_positive_count() {
        let cfg = |v: Value| {
            parse(
                json!({"methods": {"shap": {"num_clusters": 1}}, "driftwatch": {"shap_max_records": v}}),
                Purpose::ExplainabilityMonitor,
            )
        };
        assert_eq!(
            cfg(json!(500)).unwrap().extensions.shap_max_records,
            Some(500)
        );
        let errs = cfg(json!(0)).unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.contains("driftwatch.shap_max_records")
                    && e.contains("must be a positive integer, got 0")),
            "{errs:?}"
        );
    }

    #[test]
    fn extension_block_pins_types() {
        let cfg = parse(
            json!({"label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "s"}],
                   "methods": {"pre_training_bias": {"methods": "all"}},
                   "driftwatch": {"label_type": "categorical", "facet_types": {"s": "Continuous"}}}),
            Purpose::Analyze,
        )
        .unwrap();
        assert_eq!(cfg.extensions.label_type, Some(ColumnType::Categorical));
        assert_eq!(cfg.extensions.facet_types["s"], ColumnType::Continuous);
    }

    #[test]
    fn side_datasets_are_read_for_analyze_and_refused_elsewhere() {
        let base = json!({"headers": ["id", "x", "y"], "label": "y", "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "sex"}], "joinsource_name_or_index": "id",
            "facet_dataset_uri": "s3://b/facets.csv", "facet_headers": ["id", "sex"],
            "methods": {"pre_training_bias": {"methods": "all"}}});
        let cfg = parse(base.clone(), Purpose::Analyze).unwrap();
        let side = cfg.facet_dataset.unwrap();
        assert_eq!(side.uri, "s3://b/facets.csv");
        assert_eq!(side.headers.unwrap(), ["id", "sex"]);

        let e = parse(base.clone(), Purpose::BiasMonitor)
            .unwrap_err()
            .join("\n");
        assert!(
            e.contains("facet_dataset_uri: applies to a dataset given to analyze"),
            "{e}"
        );
        let mut jsonl = base.clone();
        jsonl["dataset_type"] = json!("application/jsonlines");
        let e = parse(jsonl, Purpose::Analyze).unwrap_err().join("\n");
        assert!(
            e.contains("facet_dataset_uri: is supported for dataset_type text/csv only"),
            "{e}"
        );
        let mut orphan = base;
        orphan.as_object_mut().unwrap().remove("facet_dataset_uri");
        orphan["predicted_label_headers"] = json!(["p"]);
        let e = parse(orphan, Purpose::Analyze).unwrap_err().join("\n");
        assert!(
            e.contains("facet_headers: names the columns of facet_dataset_uri, which is not given"),
            "{e}"
        );
        assert!(
            e.contains("predicted_label_headers: names the columns of predicted_label_dataset_uri"),
            "{e}"
        );
    }
}
