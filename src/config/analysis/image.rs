//! An image model's analysis config, as the SageMaker Python SDK writes it: `dataset_type:
//! application/x-image`, `methods.shap.image_config` (`ImageConfig`), the SHAP keys that
//! apply to images, `predictor.label_headers` (required for computer vision) and an image
//! content type, with the SDK's rules, each problem named by its key.

use serde_json::Value;

use crate::config::node::{MapReader, Node, describe};
use crate::config::problems::Problems;

/// `image_config.model_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageModelType {
    Classification,
    ObjectDetection,
}

impl ImageModelType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Classification => "IMAGE_CLASSIFICATION",
            Self::ObjectDetection => "OBJECT_DETECTION",
        }
    }
}

/// How a (masked) image is sent to the endpoint (`predictor.content_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageContent {
    Jpeg,
    Png,
    /// A NumPy array (uint8, images × height × width × 3): many images per request.
    Npy,
}

impl ImageContent {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Npy => "application/x-npy",
        }
    }
}

/// What an image analysis needs beyond the predictor's common keys.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageAnalysis {
    pub model_type: ImageModelType,
    /// SLIC's `n_segments` (default 20).
    pub num_segments: usize,
    /// SLIC's `compactness` (default 5).
    pub compactness: f64,
    /// Object detection: the most objects explained per image (default 3).
    pub max_objects: usize,
    /// Object detection: the least IoU at which a masked image's box is the original one.
    pub iou_threshold: f64,
    /// Object detection: how much of the image outside a box stays (1) or is masked (0).
    pub context: f64,
    pub content: ImageContent,
    /// Coalitions per image; `None`: shap's default, 2M + 2048.
    pub num_samples: Option<usize>,
    pub seed: u64,
    /// `methods.shap.use_logit`.
    pub use_logit: bool,
    /// The baseline image (a path relative to the config, or an S3 URI); `None`: noise.
    pub baseline: Option<String>,
    /// `predictor.label_headers`: the model's classes, in its output order.
    pub labels: Vec<String>,
    /// Object detection: detections scoring below it are not explained (default 0.5).
    pub probability_threshold: f64,
}

/// The keys an image config may have at the top level.
pub const TOP_KEYS: &[&str] = &[
    "version",
    "dataset_type",
    "dataset_uri",
    "label",
    "probability_threshold",
    "methods",
    "predictor",
    "driftwatch",
];
const SHAP_KEYS: &[&str] = &[
    "baseline",
    "use_logit",
    "num_samples",
    "agg_method",
    "save_local_shap_values",
    "image_config",
    "seed",
];
const IMAGE_KEYS: &[&str] = &[
    "model_type",
    "num_segments",
    "feature_extraction_method",
    "segment_compactness",
    "max_objects",
    "iou_threshold",
    "context",
    "debug",
];
/// The content types an image endpoint takes (the SDK's list, `image/jpg` included).
pub const CONTENT_TYPES: &[&str] = &["image/jpeg", "image/jpg", "image/png", "application/x-npy"];

/// Whether the document is an image analysis.
pub fn has_image(top: &MapReader<'_>) -> bool {
    top.get("dataset_type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("application/x-image"))
        || top
            .get("methods")
            .and_then(|m| m.get("shap"))
            .and_then(|s| s.get("image_config"))
            .is_some()
}

/// The image blocks of `top`; `None` (with problems) when they are not a valid image analysis.
pub fn read(top: &MapReader<'_>, problems: &mut Problems) -> Option<ImageAnalysis> {
    let before = problems.len();
    match top.get("dataset_type").and_then(Value::as_str) {
        Some(t) if t.eq_ignore_ascii_case("application/x-image") => {}
        _ => problems.push(
            "dataset_type",
            "must be application/x-image for an image explanation (methods.shap.image_config)",
        ),
    }
    let shap = top.get("methods").and_then(|m| m.get("shap"));
    let Some(shap) = shap else {
        problems.push(
            "methods.shap",
            "missing: an image dataset is explained with methods.shap.image_config",
        );
        return None;
    };
    let s = MapReader::new("methods.shap", shap, problems)?;
    for key in ["num_clusters", "features_to_explain", "text_config"] {
        if s.get(key).is_some() {
            problems.push(s.child_path(key), "does not apply to images");
        }
    }
    let known: Vec<&str> = SHAP_KEYS
        .iter()
        .copied()
        .chain(["num_clusters", "features_to_explain", "text_config"])
        .collect();
    s.reject_unknown(&known, problems);
    let img_v = s.required("image_config", problems)?;
    let ic = MapReader::new("methods.shap.image_config", img_v, problems)?;
    ic.reject_unknown(IMAGE_KEYS, problems);
    let model_type = match ic.required("model_type", problems) {
        Some(Value::String(t)) if t == "IMAGE_CLASSIFICATION" => {
            Some(ImageModelType::Classification)
        }
        Some(Value::String(t)) if t == "OBJECT_DETECTION" => Some(ImageModelType::ObjectDetection),
        Some(other) => {
            problems.push(
                ic.child_path("model_type"),
                format!(
                    "must be IMAGE_CLASSIFICATION or OBJECT_DETECTION (Clarify SHAP only supports object detection and image classification), got {}",
                    describe(other)
                ),
            );
            None
        }
        None => None,
    };
    if let Some(v) = ic.get("feature_extraction_method")
        && v.as_str() != Some("segmentation")
    {
        problems.push(
            ic.child_path("feature_extraction_method"),
            format!("must be \"segmentation\", got {}", describe(v)),
        );
    }
    let int_in = |m: &MapReader<'_>, key: &str, lo: i64, hi: i64, problems: &mut Problems| {
        m.get(key)
            .and_then(|v| Node::new(&m.child_path(key), v).as_int_in(lo, hi, problems))
    };
    let unit = |key: &str, default: f64, problems: &mut Problems| match ic.get(key) {
        None => Some(default),
        Some(v) => {
            let x = Node::new(&ic.child_path(key), v).as_f64(problems)?;
            if (0.0..=1.0).contains(&x) {
                Some(x)
            } else {
                problems.push(ic.child_path(key), format!("must be in [0, 1], got {x}"));
                None
            }
        }
    };
    let num_segments = int_in(&ic, "num_segments", 1, 10_000, problems).unwrap_or(20) as usize;
    let compactness = match ic.get("segment_compactness") {
        None => Some(5.0),
        Some(v) => match Node::new(&ic.child_path("segment_compactness"), v).as_f64(problems) {
            Some(c) if c > 0.0 && c.is_finite() => Some(c),
            Some(c) => {
                problems.push(
                    ic.child_path("segment_compactness"),
                    format!("must be a positive number, got {c}"),
                );
                None
            }
            None => None,
        },
    };
    let max_objects = int_in(&ic, "max_objects", 1, 1_000, problems).unwrap_or(3) as usize;
    let iou_threshold = unit("iou_threshold", 0.5, problems);
    let context = unit("context", 1.0, problems);
    let num_samples = int_in(&s, "num_samples", 1, 1_000_000, problems).map(|n| n as usize);
    let seed = int_in(&s, "seed", 0, i64::MAX, problems).unwrap_or(0) as u64;
    let use_logit = s
        .get("use_logit")
        .and_then(|v| Node::new(&s.child_path("use_logit"), v).as_bool(problems))
        .unwrap_or(false);
    let baseline = match s.get("baseline") {
        None => None,
        Some(Value::String(b)) if !b.is_empty() => Some(b.clone()),
        Some(other) => {
            problems.push(
                s.child_path("baseline"),
                format!(
                    "must be the location of a baseline image, got {}",
                    describe(other)
                ),
            );
            None
        }
    };
    let predictor = top.get("predictor");
    let labels: Vec<String> = predictor
        .and_then(|p| p.get("label_headers"))
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if labels.is_empty() {
        problems.push(
            "predictor.label_headers",
            "missing: an image model's classes are named by predictor.label_headers",
        );
    }
    let content = match predictor.and_then(|p| p.get("content_type")) {
        None => Some(ImageContent::Jpeg),
        Some(Value::String(t)) => match t.to_ascii_lowercase().as_str() {
            "image/jpeg" | "image/jpg" => Some(ImageContent::Jpeg),
            "image/png" => Some(ImageContent::Png),
            "application/x-npy" => Some(ImageContent::Npy),
            _ => {
                problems.push(
                    "predictor.content_type",
                    format!(
                        "must be one of {} for images, got {t:?}",
                        CONTENT_TYPES.join(", ")
                    ),
                );
                None
            }
        },
        Some(other) => {
            problems.push(
                "predictor.content_type",
                format!("must be a string, got {}", describe(other)),
            );
            None
        }
    };
    let probability_threshold = match top.get("probability_threshold") {
        None => Some(0.5),
        Some(v) => Node::new("probability_threshold", v).as_f64(problems),
    };
    if problems.len() != before {
        return None;
    }
    Some(ImageAnalysis {
        model_type: model_type?,
        num_segments,
        compactness: compactness?,
        max_objects,
        iou_threshold: iou_threshold?,
        context: context?,
        content: content?,
        num_samples,
        seed,
        use_logit,
        baseline,
        labels,
        probability_threshold: probability_threshold?,
    })
}
