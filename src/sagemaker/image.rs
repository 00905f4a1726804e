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
        let rows: Vec<Value> = self
            .labels
            .chunks(self.width.max(1))
            .map(|r| Value::from(r.to_vec()))
            .collect();
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

    /// The label the image scores highest on (the one its heat map shows).
    pub fn predicted_label(&self) -> Option<&str> {
        self.prediction
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(k, _)| k.as_str())
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
            } => json!({
                "image": image,
                "status": "explained",
                "segments": segments,
                "predicted_label": predicted_label,
                "explanation_path": results_key(stem),
                "heatmap_path": heatmap_key(stem),
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
