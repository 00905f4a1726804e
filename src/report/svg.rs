//! Inline SVG charts for the reports.

use std::fmt::Write as _;

use super::esc;
use crate::sagemaker::time::format_utc;
use crate::sagemaker::{ExecutionRecord, Status};

/// Horizontal bars per feature, current (blue) and baseline (grey), sorted by current value.
pub fn bars(current: &[(String, f64)], baseline: Option<&[(String, f64)]>) -> String {
    let mut rows: Vec<&(String, f64)> = current.iter().collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let base =
        |name: &str| baseline.and_then(|b| b.iter().find(|(n, _)| n == name).map(|(_, v)| *v));
    let max = rows
        .iter()
        .map(|r| r.1)
        .chain(rows.iter().filter_map(|r| base(&r.0)))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max)
        .max(1e-12);
    let (label_w, bar_w, row_h) = (140.0, 420.0, 22.0);
    let height = row_h * rows.len() as f64 + 30.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" role=\"img\" aria-label=\"global SHAP values\">",
        label_w + bar_w + 90.0
    );
    for (i, (name, v)) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let w = |x: f64| {
            if x.is_finite() {
                (x / max).max(0.0) * bar_w
            } else {
                0.0
            }
        };
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            label_w - 6.0,
            y + 13.0,
            esc(name)
        );
        if let Some(b) = base(name) {
            let _ = write!(
                out,
                "<rect class=\"baseline\" x=\"{label_w}\" y=\"{y}\" width=\"{:.1}\" height=\"8\" fill=\"#9e9e9e\"><title>baseline {b:.5}</title></rect>",
                w(b)
            );
        }
        let _ = write!(
            out,
            "<rect class=\"current\" x=\"{label_w}\" y=\"{}\" width=\"{:.1}\" height=\"9\" fill=\"#1565c0\"><title>current {v:.5}</title></rect><text x=\"{}\" y=\"{}\">{v:.4}</text>",
            y + 8.0,
            w(*v),
            label_w + w(*v) + 4.0,
            y + 16.0
        );
    }
    let y = height - 10.0;
    let _ = write!(
        out,
        "<rect x=\"{label_w}\" y=\"{}\" width=\"10\" height=\"8\" fill=\"#1565c0\"/><text x=\"{}\" y=\"{y}\">current</text>\
<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"8\" fill=\"#9e9e9e\"/><text x=\"{}\" y=\"{y}\">baseline</text></svg>",
        y - 8.0,
        label_w + 14.0,
        label_w + 80.0,
        y - 8.0,
        label_w + 94.0
    );
    out
}

fn color(s: Status) -> &'static str {
    match s {
        Status::Completed => "#2e7d32",
        Status::CompletedWithViolations => "#c62828",
        Status::Failed => "#6d4c41",
        Status::Stopped => "#757575",
    }
}

/// One square per execution in time order, coloured by status.
pub fn status_strip(records: &[&ExecutionRecord]) -> String {
    let size = 12.0;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"executions over time\">",
        (records.len() as f64 * (size + 2.0)).max(20.0),
        size + 4.0
    );
    for (i, r) in records.iter().enumerate() {
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"2\" width=\"{size}\" height=\"{size}\" fill=\"{}\"><title>{} {}</title></rect>",
            i as f64 * (size + 2.0),
            color(r.status),
            format_utc(r.scheduled_time),
            r.status.as_str()
        );
    }
    out.push_str("</svg>");
    out
}
