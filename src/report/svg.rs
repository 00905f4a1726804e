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

/// A line chart of one or more series over shared x values (partial dependence curves; the
/// dashboard's time series), with the axes' extremes labelled. Non-finite points are gaps.
pub fn line_chart(
    label: &str,
    xs: &[f64],
    x_text: impl Fn(f64) -> String,
    series: &[(String, Vec<f64>)],
) -> String {
    const W: f64 = 520.0;
    const H: f64 = 220.0;
    const LEFT: f64 = 64.0;
    const RIGHT: f64 = 16.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 40.0;
    const COLOURS: [&str; 6] = [
        "#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f",
    ];
    let finite = |v: &f64| v.is_finite();
    let (x0, x1) = bounds(xs.iter().copied().filter(finite));
    let (y0, y1) = bounds(
        series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .filter(finite),
    );
    let px = |x: f64| LEFT + (x - x0) / (x1 - x0) * (W - LEFT - RIGHT);
    let py = |y: f64| TOP + (1.0 - (y - y0) / (y1 - y0)) * (H - TOP - BOTTOM);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{}\">",
        esc(label)
    );
    let _ = write!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#999\"/><line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{0}\" stroke=\"#999\"/>",
        H - BOTTOM,
        W - RIGHT
    );
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{y1:.4}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{y0:.4}</text>",
        LEFT - 4.0,
        TOP + 10.0,
        LEFT - 4.0,
        H - BOTTOM
    );
    let _ = write!(
        out,
        "<text x=\"{LEFT}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
        H - BOTTOM + 16.0,
        esc(&x_text(x0)),
        W - RIGHT,
        H - BOTTOM + 16.0,
        esc(&x_text(x1))
    );
    for (k, (name, ys)) in series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let mut path = String::new();
        let mut pen_down = false;
        for (x, y) in xs.iter().zip(ys) {
            if !(x.is_finite() && y.is_finite()) {
                pen_down = false;
                continue;
            }
            let _ = write!(
                path,
                "{}{:.1},{:.1} ",
                if pen_down { "L" } else { "M" },
                px(*x),
                py(*y)
            );
            pen_down = true;
        }
        let _ = write!(
            out,
            "<path class=\"series\" d=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
            path.trim_end()
        );
        for (x, y) in xs.iter().zip(ys) {
            if x.is_finite() && y.is_finite() {
                let _ = write!(
                    out,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{colour}\"><title>{}: {} → {y:.5}</title></circle>",
                    px(*x),
                    py(*y),
                    esc(name),
                    esc(&x_text(*x))
                );
            }
        }
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" fill=\"{colour}\">{}</text>",
            LEFT + 4.0 + 120.0 * k as f64,
            H - 6.0,
            esc(name)
        );
    }
    out.push_str("</svg>");
    out
}

/// The range of `values`, widened when empty or flat so a scale can be drawn.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    (lo, hi)
}

/// A small error bar: the interval [lo, hi] with the point value, over the band the baseline
/// constraint allows (|x − neutral| ≤ |baseline − neutral|, neutral 1 for DI).
pub fn interval_bar(value: f64, lo: f64, hi: f64, baseline: Option<f64>, di: bool) -> String {
    const W: f64 = 120.0;
    let neutral = if di { 1.0 } else { 0.0 };
    let band = baseline.map(|b| {
        let d = (b - neutral).abs();
        (neutral - d, neutral + d)
    });
    let finite = |x: f64| x.is_finite();
    let points = [lo, hi, value]
        .into_iter()
        .chain(band.into_iter().flat_map(|(a, b)| [a, b]))
        .filter(|x| finite(*x));
    let (min, max) = bounds(points);
    let x = |v: f64| {
        let v = v.clamp(min, max);
        4.0 + (v - min) / (max - min) * (W - 8.0)
    };
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"14\" class=\"errorbar\" role=\"img\" aria-label=\"interval\">"
    );
    if let Some((a, b)) = band {
        let _ = write!(
            out,
            "<rect class=\"allowed\" x=\"{:.1}\" y=\"2\" width=\"{:.1}\" height=\"10\" fill=\"#e0e0e0\"><title>baseline constraint</title></rect>",
            x(a),
            (x(b) - x(a)).max(1.0)
        );
    }
    let _ = write!(
        out,
        "<line x1=\"{:.1}\" y1=\"7\" x2=\"{:.1}\" y2=\"7\" stroke=\"#1565c0\" stroke-width=\"2\"/><line x1=\"{0:.1}\" y1=\"3\" x2=\"{0:.1}\" y2=\"11\" stroke=\"#1565c0\"/><line x1=\"{1:.1}\" y1=\"3\" x2=\"{1:.1}\" y2=\"11\" stroke=\"#1565c0\"/><circle cx=\"{:.1}\" cy=\"7\" r=\"2.5\" fill=\"#0d47a1\"/></svg>",
        x(lo),
        x(hi),
        x(value)
    );
    out
}
