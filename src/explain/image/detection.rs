//! Object detection: an endpoint's detections, the objects explained, and how a masked
//! image's detections are matched back to them.
//!
//! A detection is `[class, score, xmin, ymin, xmax, ymax]` with the corners normalised by the
//! width and height (SageMaker's object-detection output, `{"prediction": [...]}`). The
//! objects explained are the image's detections scoring at least `probability_threshold`,
//! the `max_objects` best. For a masked image, an object's value is the score of its
//! detection there: the same class, overlapping the original box by at least
//! `iou_threshold` (the best such), else 0 — "detection boxes will shift during masking".

use serde_json::Value;

use crate::capture::payload::OutputLocator;

/// One detection, corners normalised to [0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    pub class: usize,
    pub score: f64,
    pub bbox: [f64; 4],
}

/// Intersection over union of two boxes.
pub fn iou(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    let area = |r: &[f64; 4]| (r[2] - r[0]).max(0.0) * (r[3] - r[1]).max(0.0);
    let union = area(a) + area(b) - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

/// The objects explained: detections scoring ≥ `threshold`, best first, at most `max`
/// (ties keep the endpoint's order).
pub fn objects(detections: &[Detection], threshold: f64, max: usize) -> Vec<Detection> {
    let mut kept: Vec<Detection> = detections
        .iter()
        .copied()
        .filter(|d| d.score >= threshold)
        .collect();
    kept.sort_by(|a, b| b.score.total_cmp(&a.score));
    kept.truncate(max);
    kept
}

/// The score `object` keeps among a masked image's `detections`.
pub fn matched_score(detections: &[Detection], object: &Detection, iou_threshold: f64) -> f64 {
    detections
        .iter()
        .filter(|d| d.class == object.class && iou(&d.bbox, &object.bbox) >= iou_threshold)
        .map(|d| d.score)
        .fold(0.0, f64::max)
}

/// The detections of `images` images in a JSON response: at `locator`, else under
/// `prediction`, else the document — one image's list of rows, or a list of such lists.
pub fn parse(
    text: &str,
    locator: Option<&OutputLocator>,
    images: usize,
    labels: usize,
) -> Result<Vec<Vec<Detection>>, String> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| format!("not JSON (line {}, column {}): {e}", e.line(), e.column()))?;
    let found = match locator {
        Some(OutputLocator::Path(p)) => p.search(&v)?,
        Some(OutputLocator::Index(k)) => v.get(*k).cloned().unwrap_or(Value::Null),
        None => v.get("prediction").cloned().unwrap_or(v),
    };
    let list = found
        .as_array()
        .ok_or_else(|| format!("{found} is not a list of detections"))?;
    let is_row = |x: &Value| x.as_array().is_some_and(|r| r.iter().all(Value::is_number));
    let per_image: Vec<&Value> = if images == 1 && list.iter().all(is_row) {
        vec![&found]
    } else {
        list.iter().collect()
    };
    if per_image.len() != images {
        return Err(format!(
            "{} detection lists for {images} images",
            per_image.len()
        ));
    }
    per_image
        .into_iter()
        .map(|rows| {
            rows.as_array()
                .ok_or_else(|| format!("{rows} is not a list of detections"))?
                .iter()
                .map(|r| row(r, labels))
                .collect()
        })
        .collect()
}

fn row(r: &Value, labels: usize) -> Result<Detection, String> {
    let v: Vec<f64> = r
        .as_array()
        .ok_or_else(|| format!("{r} is not a detection"))?
        .iter()
        .map(|x| {
            x.as_f64()
                .ok_or_else(|| format!("{r}: {x} is not a number"))
        })
        .collect::<Result<_, _>>()?;
    let [class, score, x0, y0, x1, y1] = v[..] else {
        return Err(format!(
            "{r}: a detection is [class, score, xmin, ymin, xmax, ymax]"
        ));
    };
    if class < 0.0 || class.fract() != 0.0 || class as usize >= labels {
        return Err(format!(
            "{r}: class {class} is not an index into predictor.label_headers ({labels} labels)"
        ));
    }
    Ok(Detection {
        class: class as usize,
        score,
        bbox: [x0, y0, x1, y1],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_match_by_class_and_overlap() {
        let d = |class, score, x0| Detection {
            class,
            score,
            bbox: [x0, 0.0, x0 + 0.5, 0.5],
        };
        assert_eq!(iou(&d(0, 1.0, 0.0).bbox, &d(0, 1.0, 0.0).bbox), 1.0);
        assert!((iou(&d(0, 1.0, 0.0).bbox, &d(0, 1.0, 0.25).bbox) - 1.0 / 3.0).abs() < 1e-12);
        let object = d(1, 0.9, 0.0);
        let masked = [d(1, 0.4, 0.25), d(0, 0.8, 0.0), d(1, 0.6, 0.4)];
        assert_eq!(matched_score(&masked, &object, 0.3), 0.4);
        assert_eq!(matched_score(&masked, &object, 0.5), 0.0);
        let kept = objects(&[d(0, 0.2, 0.0), d(1, 0.9, 0.0), d(2, 0.7, 0.0)], 0.5, 3);
        assert_eq!(kept.iter().map(|k| k.class).collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn sagemakers_output_and_batches_parse() {
        let one = parse(
            r#"{"prediction": [[1, 0.9, 0.1, 0.1, 0.5, 0.5]]}"#,
            None,
            1,
            3,
        )
        .unwrap();
        assert_eq!(one[0][0].class, 1);
        let two = parse("[[[0, 0.5, 0, 0, 1, 1]], []]", None, 2, 3).unwrap();
        assert_eq!((two[0].len(), two[1].len()), (1, 0));
        let err = parse("[[7, 0.5, 0, 0, 1, 1]]", None, 1, 3).unwrap_err();
        assert!(err.contains("class 7 is not an index"), "{err}");
    }
}
