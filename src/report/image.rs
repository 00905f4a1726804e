//! An image explanation's page: per image its heat map (the predicted label's SHAP value
//! per segment — blue raises the score, red lowers it), the scores, and the segments that
//! matter most; images that could not be explained listed with their reasons. Drawn from
//! the per-image files and analysis.json's list alone.

use std::fmt::Write as _;

use base64::Engine as _;

use super::{esc, page_end, page_start};
use crate::sagemaker::image::{DetectedObjects, ImageAttributions, ImageEntry, ImageFile};

/// Images drawn at most (each embeds its heat map); the rest are counted.
pub const MAX_IMAGES_DRAWN: usize = 100;
/// Segments listed per image.
const TOP_SEGMENTS: usize = 5;

const STYLE: &str = ".img{display:flex;gap:1.5em;align-items:flex-start;margin:1em 0}\
.img img{width:320px;max-width:100%;height:auto;image-rendering:pixelated;border:1px solid #ccc}\
.failed{color:#b71c1c}";

/// One explained image as the page shows it.
pub struct DrawnImage<'a> {
    pub name: &'a str,
    pub file: &'a ImageFile,
    /// (file name, JPEG bytes), as written beside analysis.json.
    pub pictures: &'a [(String, Vec<u8>)],
}

fn picture(out: &mut String, alt: &str, jpeg: &[u8]) {
    let _ = write!(
        out,
        "<img alt=\"{}\" src=\"data:image/jpeg;base64,{}\">",
        esc(alt),
        base64::engine::general_purpose::STANDARD.encode(jpeg)
    );
}

/// The segments with the largest |value|, as a table.
fn top_segments(out: &mut String, values: &[f64]) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&x, &y| values[y].abs().total_cmp(&values[x].abs()));
    out.push_str("<table><tr><th>segment</th><th>SHAP value</th></tr>");
    for &s in order.iter().take(TOP_SEGMENTS) {
        let _ = write!(out, "<tr><td>{}</td><td>{:+.4}</td></tr>", s + 1, values[s]);
    }
    out.push_str("</table>");
}

fn classification_section(out: &mut String, d: &DrawnImage<'_>, a: &ImageAttributions) {
    let label = a.predicted_label().unwrap_or("");
    let values = a
        .attributions
        .iter()
        .find(|(k, _)| k == label)
        .map(|(_, v)| v.as_slice())
        .unwrap_or_default();
    out.push_str("<div class=\"img\">");
    if let Some((file, jpeg)) = d.pictures.first() {
        picture(out, file, jpeg);
    }
    let _ = write!(
        out,
        "<div><p>{}×{} pixels, {} segments, {} coalitions. Heat map of <b>{}</b>.</p>",
        a.width,
        a.height,
        a.segments,
        a.coalitions,
        esc(label)
    );
    out.push_str("<table><tr><th>label</th><th>score</th><th>baseline score</th></tr>");
    for ((k, p), (_, e)) in a.prediction.iter().zip(&a.expected_value) {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{p:.4}</td><td>{e:.4}</td></tr>",
            esc(k)
        );
    }
    out.push_str("</table>");
    top_segments(out, values);
    out.push_str("</div></div>");
}

fn detection_section(out: &mut String, d: &DrawnImage<'_>, o: &DetectedObjects) {
    let _ = write!(
        out,
        "<p>{}×{} pixels, {} segments, {} detections, {} explained.</p><div class=\"img\">",
        o.width,
        o.height,
        o.segments,
        o.detections.len(),
        o.objects.len()
    );
    if let Some((file, jpeg)) = d.pictures.last() {
        picture(out, file, jpeg);
    }
    out.push_str("<table><tr><th>label</th><th>score</th><th>box</th></tr>");
    for b in &o.detections {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{:.4}</td><td>{:.3}, {:.3} – {:.3}, {:.3}</td></tr>",
            esc(&b.label),
            b.score,
            b.bbox[0],
            b.bbox[1],
            b.bbox[2],
            b.bbox[3]
        );
    }
    out.push_str("</table></div>");
    for (k, obj) in o.objects.iter().enumerate() {
        let _ = write!(
            out,
            "<h3>box{}: {} ({:.4}; {:.4} with its segments masked, {} coalitions)</h3><div class=\"img\">",
            k + 1,
            esc(&obj.label),
            obj.prediction,
            obj.expected_value,
            obj.coalitions
        );
        if let Some((file, jpeg)) = d.pictures.get(k) {
            picture(out, file, jpeg);
        }
        top_segments(out, &obj.attributions);
        out.push_str("</div>");
    }
}

fn image_section(out: &mut String, d: &DrawnImage<'_>) {
    let _ = write!(out, "<h2>{}</h2>", esc(d.name));
    match d.file {
        ImageFile::Classification(a) => classification_section(out, d, a),
        ImageFile::Detection(o) => detection_section(out, d, o),
    }
}

/// The page of an image explanation.
pub fn image_html(
    title: &str,
    dataset: &str,
    entries: &[ImageEntry],
    drawn: &[DrawnImage<'_>],
) -> String {
    let mut out = String::new();
    page_start(&mut out, title, STYLE);
    let failed: Vec<(&str, &str)> = entries
        .iter()
        .filter_map(|e| match e {
            ImageEntry::Failed { image, reason } => Some((image.as_str(), reason.as_str())),
            ImageEntry::Explained { .. } => None,
        })
        .collect();
    let _ = write!(
        out,
        "<h1>{}</h1><p>Dataset {}: {} images explained, {} not explained.</p>",
        esc(title),
        esc(dataset),
        entries.len() - failed.len(),
        failed.len()
    );
    if !failed.is_empty() {
        out.push_str(
            "<h2 class=\"failed\">Not explained</h2><table><tr><th>image</th><th>reason</th></tr>",
        );
        for (image, reason) in &failed {
            let _ = write!(
                out,
                "<tr class=\"failed\"><td>{}</td><td>{}</td></tr>",
                esc(image),
                esc(reason)
            );
        }
        out.push_str("</table>");
    }
    for d in drawn.iter().take(MAX_IMAGES_DRAWN) {
        image_section(&mut out, d);
    }
    if drawn.len() > MAX_IMAGES_DRAWN {
        let _ = write!(
            out,
            "<p>{} more images: see explanations_shap/.</p>",
            drawn.len() - MAX_IMAGES_DRAWN
        );
    }
    page_end(&mut out, env!("CARGO_PKG_VERSION"));
    out
}
