//! An image explanation's files. Clarify's computer-vision output is heat-map images (one
//! per explained image; for object detection one per box, `shap_<image>_box<k>_object.jpeg`,
//! and `<image>_objects.jpeg`); no numeric format is documented, so driftwatch adds
//! `explanations_shap/<image>.json` — the label map as scikit-image numbers it and one value
//! per segment per label — and an analysis.json whose only block is driftwatch's.

use serde_json::{Map, Value, json};

/// The folder of the per-image JSON files.
pub const RESULTS_FOLDER: &str = "explanations_shap";

/// `explanations_shap/<stem>.json`.
pub fn results_key(stem: &str) -> String {
    format!("{RESULTS_FOLDER}/{stem}.json")
}

/// An image classifier's heat map: `shap_<stem>.jpeg` (Clarify's object-detection naming
/// without the box).
pub fn heatmap_key(stem: &str) -> String {
    format!("shap_{stem}.jpeg")
}

/// Object detection's heat map of object `k` (1-based): `shap_<stem>_box<k>_object.jpeg`.
pub fn object_heatmap_key(stem: &str, k: usize) -> String {
    format!("shap_{stem}_box{k}_object.jpeg")
}

/// Object detection's picture of the image's detections: `<stem>_objects.jpeg`.
pub fn objects_key(stem: &str) -> String {
    format!("{stem}_objects.jpeg")
}

fn segment_rows(labels: &[u32], width: usize) -> Vec<Value> {
    labels
        .chunks(width.max(1))
        .map(|r| Value::from(r.to_vec()))
        .collect()
}

/// What one image's file holds.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageFile {
    Classification(ImageAttributions),
    Detection(DetectedObjects),
}

impl ImageFile {
    pub fn to_json(&self) -> Value {
        match self {
            Self::Classification(a) => a.to_json(),
            Self::Detection(d) => d.to_json(),
        }
    }

    /// The label shown first: the top class, or the first object's.
    pub fn predicted_label(&self) -> Option<&str> {
        match self {
            Self::Classification(a) => a.predicted_label(),
            Self::Detection(d) => d.objects.first().map(|o| o.label.as_str()),
        }
    }

    pub fn segments(&self) -> usize {
        match self {
            Self::Classification(a) => a.segments,
            Self::Detection(d) => d.segments,
        }
    }
}

/// A detection: class name, score, corners normalised to [0, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Box2 {
    pub label: String,
    pub score: f64,
    pub bbox: [f64; 4],
}

/// One explained object: its box, and its score's SHAP value per segment.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainedObject {
    pub label: String,
    pub score: f64,
    pub bbox: [f64; 4],
    /// One per segment; segments outside the box never play and get 0.
    pub attributions: Vec<f64>,
    pub expected_value: f64,
    pub prediction: f64,
    pub coalitions: usize,
}

/// An object detector's explanation of one image.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectedObjects {
    pub height: usize,
    pub width: usize,
    pub labels: Vec<u32>,
    pub segments: usize,
    pub detections: Vec<Box2>,
    pub objects: Vec<ExplainedObject>,
}

impl DetectedObjects {
    /// `{"segments": [[…]], "attributions": {"box1": [value per segment], …},
    /// "objects": [{"box": "box1", "label", "score", "bbox", "expected_value", "prediction",
    /// "coalitions"}], "detections": [{"label", "score", "bbox"}]}`.
    pub fn to_json(&self) -> Value {
        let attributions: Map<String, Value> = self
            .objects
            .iter()
            .enumerate()
            .map(|(k, o)| (format!("box{}", k + 1), json!(o.attributions)))
            .collect();
        let objects: Vec<Value> = self
            .objects
            .iter()
            .enumerate()
            .map(|(k, o)| {
                json!({
                    "box": format!("box{}", k + 1),
                    "label": o.label,
                    "score": o.score,
                    "bbox": o.bbox,
                    "expected_value": o.expected_value,
                    "prediction": o.prediction,
                    "coalitions": o.coalitions,
                })
            })
            .collect();
        let detections: Vec<Value> = self
            .detections
            .iter()
            .map(|d| json!({"label": d.label, "score": d.score, "bbox": d.bbox}))
            .collect();
        json!({
            "segments": segment_rows(&self.labels, self.width),
            "attributions": attributions,
            "objects": objects,
            "detections": detections,
        })
    }
}

/// One explained image's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageAttributions {
    pub height: usize,
    pub width: usize,
    /// Row-major labels, 1..=segments.
    pub labels: Vec<u32>,
    pub segments: usize,
    /// (label name, one value per segment), in the model's label order.
    pub attributions: Vec<(String, Vec<f64>)>,
    /// (label name, the baseline image's score).
    pub expected_value: Vec<(String, f64)>,
    /// (label name, the image's score).
    pub prediction: Vec<(String, f64)>,
    pub coalitions: usize,
}

impl ImageAttributions {
    /// `explanations_shap/<stem>.json`: `{"segments": [[label per pixel] per row],
    /// "attributions": {label: [value per segment]}, "expected_value": {label: score},
    /// "prediction": {label: score}, "coalitions": n}`.
    pub fn to_json(&self) -> Value {
        let rows = segment_rows(&self.labels, self.width);
        let by_label = |pairs: &[(String, f64)]| -> Map<String, Value> {
            pairs.iter().map(|(k, v)| (k.clone(), json!(v))).collect()
        };
        json!({
            "segments": rows,
            "attributions": self
                .attributions
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect::<Map<String, Value>>(),
            "expected_value": by_label(&self.expected_value),
            "prediction": by_label(&self.prediction),
            "coalitions": self.coalitions,
        })
    }

    /// The index of the label the image scores highest on (the one its heat map shows).
    pub fn top_label(&self) -> Option<usize> {
        (0..self.prediction.len())
            .max_by(|&a, &b| self.prediction[a].1.total_cmp(&self.prediction[b].1))
    }

    /// The name of [`Self::top_label`].
    pub fn predicted_label(&self) -> Option<&str> {
        self.top_label().map(|i| self.prediction[i].0.as_str())
    }
}

/// One line of analysis.json's image list.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageEntry {
    Explained {
        image: String,
        stem: String,
        segments: usize,
        predicted_label: Option<String>,
        /// The heat maps (and for object detection the detections' picture) written.
        pictures: Vec<String>,
    },
    /// An image that could not be explained (it is listed, never skipped silently).
    Failed { image: String, reason: String },
}

/// What an image explanation cost.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageTotals {
    pub model_type: String,
    pub num_segments: usize,
    pub segment_compactness: f64,
    pub endpoint_requests: usize,
    pub masked_images: usize,
}

/// analysis.json of an image explanation (driftwatch's block only: SageMaker documents none).
pub fn analysis_json(entries: &[ImageEntry], totals: &ImageTotals) -> Value {
    let images: Vec<Value> = entries
        .iter()
        .map(|e| match e {
            ImageEntry::Explained {
                image,
                stem,
                segments,
                predicted_label,
                pictures,
            } => json!({
                "image": image,
                "status": "explained",
                "segments": segments,
                "predicted_label": predicted_label,
                "explanation_path": results_key(stem),
                "heatmap_paths": pictures,
            }),
            ImageEntry::Failed { image, reason } => json!({
                "image": image,
                "status": "failed",
                "reason": reason,
            }),
        })
        .collect();
    let failed = entries
        .iter()
        .filter(|e| matches!(e, ImageEntry::Failed { .. }))
        .count();
    json!({
        "version": "1.0",
        "driftwatch": {
            "image_explanations": {
                "model_type": totals.model_type,
                "num_segments": totals.num_segments,
                "segment_compactness": totals.segment_compactness,
                "explained": entries.len() - failed,
                "failed": failed,
                "endpoint_requests": totals.endpoint_requests,
                "masked_images": totals.masked_images,
                "images": images,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_segments_are_rows_and_the_values_by_label() {
        let a = ImageAttributions {
            height: 2,
            width: 2,
            labels: vec![1, 1, 2, 2],
            segments: 2,
            attributions: vec![("cat".into(), vec![0.5, -0.25])],
            expected_value: vec![("cat".into(), 0.1)],
            prediction: vec![("cat".into(), 0.35)],
            coalitions: 2,
        };
        let v = a.to_json();
        assert_eq!(v["segments"], json!([[1, 1], [2, 2]]));
        assert_eq!(v["attributions"]["cat"], json!([0.5, -0.25]));
        assert_eq!(a.predicted_label(), Some("cat"));
    }
}
