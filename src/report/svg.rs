//! Inline SVG charts for the reports.

use std::fmt::Write as _;

use super::esc;
use chrono::DateTime;

use crate::sagemaker::Status;
use crate::sagemaker::time::format_utc;

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
/// `band` is what the baseline allows (`verdict::allowed_band`).
pub fn interval_bar(value: f64, lo: f64, hi: f64, band: Option<(f64, f64)>) -> String {
    const W: f64 = 120.0;
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

/// What a time series is judged against, drawn behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Guide {
    /// The band the baseline allows (bias metrics): outside it is a violation.
    Allowed(f64, f64),
    /// A floor (the nDCG threshold): below it is a violation.
    Floor(f64),
}

/// One line of a time-series chart: a value and a verdict flag (`Verdict::flag`) per time.
pub struct Line<'a> {
    pub name: &'a str,
    pub values: Vec<Option<f64>>,
    pub flags: Vec<char>,
    pub guide: Option<Guide>,
}

/// At most this many points per line are drawn; longer histories are bucketed (mean as the
/// line, min–max as a whisker, a bucket's worst flag as its marker), so a year of hourly
/// executions stays a light page.
const MAX_POINTS: usize = 240;

/// A small time-series chart over `times` (Unix seconds, ascending) with each line's guide
/// shaded, violations as red dots, values that are not computed as grey ticks on the axis,
/// and ±∞ as triangles at the edge. `width` × `height` pixels.
pub fn time_series(label: &str, times: &[i64], lines: &[Line<'_>], size: (f64, f64)) -> String {
    const COLOURS: [&str; 8] = [
        "#1565c0", "#6a1b9a", "#2e7d32", "#ef6c00", "#00838f", "#ad1457", "#5d4037", "#455a64",
    ];
    let (w, h) = size;
    let (left, right, top, bottom) = (48.0, 8.0, 8.0, 20.0);
    let (t0, t1) = match (times.first(), times.last()) {
        (Some(a), Some(b)) if b > a => (*a as f64, *b as f64),
        (Some(a), _) => (*a as f64 - 1800.0, *a as f64 + 1800.0),
        _ => (0.0, 1.0),
    };
    let finite = |v: &f64| v.is_finite();
    let guide_values = lines.iter().filter_map(|l| l.guide).flat_map(|g| match g {
        Guide::Allowed(a, b) => vec![a, b],
        Guide::Floor(f) => vec![f],
    });
    let (y0, y1) = bounds(
        lines
            .iter()
            .flat_map(|l| l.values.iter().flatten().copied())
            .chain(guide_values)
            .filter(finite),
    );
    let pad = (y1 - y0) * 0.06;
    let (y0, y1) = (y0 - pad, y1 + pad);
    let px = |t: f64| left + (t - t0) / (t1 - t0) * (w - left - right);
    let py = |y: f64| {
        let y = if y.is_finite() {
            y
        } else if y > 0.0 {
            y1
        } else {
            y0
        };
        top + (1.0 - (y - y0) / (y1 - y0)) * (h - top - bottom)
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ts\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\">",
        esc(label)
    );
    for g in lines.iter().filter_map(|l| l.guide) {
        let (a, b) = match g {
            Guide::Allowed(a, b) => (a, b),
            Guide::Floor(f) => (f, y1.max(f)),
        };
        let (ya, yb) = (py(b.min(y1)), py(a.max(y0)));
        let _ = write!(
            out,
            "<rect class=\"allowed\" x=\"{left}\" y=\"{ya:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#e8f5e9\"><title>within the baseline constraint</title></rect>",
            w - left - right,
            (yb - ya).max(0.5)
        );
        for edge in [a, b] {
            if edge.is_finite() && edge >= y0 && edge <= y1 {
                let _ = write!(
                    out,
                    "<line class=\"threshold\" x1=\"{left}\" x2=\"{:.1}\" y1=\"{1:.1}\" y2=\"{1:.1}\" stroke=\"#2e7d32\" stroke-dasharray=\"4 3\"/>",
                    w - right,
                    py(edge)
                );
            }
        }
    }
    let _ = write!(
        out,
        "<line x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#999\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{0}\" stroke=\"#999\"/>\
<text x=\"{2}\" y=\"{3}\" text-anchor=\"end\">{4}</text><text x=\"{2}\" y=\"{0}\" text-anchor=\"end\">{5}</text>",
        h - bottom,
        w - right,
        left - 3.0,
        top + 9.0,
        tick(y1),
        tick(y0)
    );
    let when = |t: f64| {
        DateTime::from_timestamp(t as i64, 0)
            .map(|d| d.format("%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    if times.len() > 1 {
        let _ = write!(
            out,
            "<text class=\"t\" x=\"{left}\" y=\"{0}\" font-size=\"10\" fill=\"#666\">{1}</text><text class=\"t\" x=\"{2}\" y=\"{0}\" font-size=\"10\" fill=\"#666\" text-anchor=\"end\">{3}</text>",
            h - 5.0,
            when(t0),
            w - right,
            when(t1)
        );
    }
    for (k, line) in lines.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let buckets = bucket(times, &line.values, &line.flags);
        let mut path = String::new();
        let mut pen = false;
        for b in &buckets {
            match b.mean {
                Some(m) if m.is_finite() => {
                    let _ = write!(
                        path,
                        "{}{:.1},{:.1} ",
                        if pen { "L" } else { "M" },
                        px(b.t),
                        py(m)
                    );
                    pen = true;
                }
                _ => pen = false,
            }
        }
        let _ = write!(
            out,
            "<path class=\"series\" d=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>",
            path.trim_end()
        );
        for b in &buckets {
            let x = px(b.t);
            if let (Some(lo), Some(hi)) = (b.min, b.max)
                && lo < hi
            {
                let _ = write!(
                    out,
                    "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-opacity=\".35\"/>",
                    py(lo),
                    py(hi)
                );
            }
            let title = format!(
                "{}{}: {}",
                if line.name.is_empty() {
                    String::new()
                } else {
                    format!("{} ", line.name)
                },
                b.label,
                b.mean.map_or("not computed".to_string(), tick_exact)
            );
            match (b.flag, b.mean) {
                ('V', Some(m)) => {
                    let _ = write!(
                        out,
                        "<circle class=\"violation\" cx=\"{x:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"#c62828\"><title>{} — violation</title></circle>",
                        py(m),
                        esc(&title)
                    );
                }
                ('n', _) => {
                    let _ = write!(
                        out,
                        "<rect class=\"not-computed\" x=\"{:.1}\" y=\"{:.1}\" width=\"3\" height=\"6\" fill=\"#9e9e9e\"><title>{} (not computed)</title></rect>",
                        x - 1.5,
                        h - bottom - 6.0,
                        esc(&title)
                    );
                }
                (f, Some(m)) if !m.is_finite() => {
                    let y = py(m);
                    let dir = if m > 0.0 { -1.0 } else { 1.0 };
                    let _ = write!(
                        out,
                        "<path class=\"infinite\" d=\"M{:.1},{:.1} L{:.1},{:.1} L{:.1},{:.1} Z\" fill=\"{}\"><title>{}</title></path>",
                        x - 3.5,
                        y - dir * 2.0,
                        x + 3.5,
                        y - dir * 2.0,
                        x,
                        y + dir * 4.0,
                        if f == 'V' { "#c62828" } else { colour },
                        esc(&title)
                    );
                }
                (f, Some(m)) => {
                    // Not judged (too few records, a meaningless baseline): hollow grey.
                    let (r, fill, stroke) = match f {
                        's' | 'm' => (2.5, "#fff", "#757575"),
                        _ => (1.6, colour, colour),
                    };
                    let _ = write!(
                        out,
                        "<circle cx=\"{x:.1}\" cy=\"{:.1}\" r=\"{r}\" fill=\"{fill}\" stroke=\"{stroke}\"><title>{}</title></circle>",
                        py(m),
                        esc(&title)
                    );
                }
                _ => {}
            }
        }
    }
    out.push_str("</svg>");
    out
}

/// A chart's axis number: short.
fn tick(y: f64) -> String {
    if y.abs() >= 1000.0 || (y != 0.0 && y.abs() < 0.01) {
        format!("{y:.1e}")
    } else {
        format!("{y:.2}")
    }
}

/// A value in a tooltip: to 5 decimals, ±∞ by name.
fn tick_exact(y: f64) -> String {
    if y.is_infinite() {
        crate::sagemaker::pyfmt::metric_text(y)
    } else {
        format!("{y:.5}")
    }
}

/// One drawn point: one execution, or a bucket of them.
struct Bucket {
    t: f64,
    label: String,
    mean: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
    /// The worst flag in the bucket (violation first).
    flag: char,
}

fn bucket(times: &[i64], values: &[Option<f64>], flags: &[char]) -> Vec<Bucket> {
    let n = times.len();
    let per = n.div_ceil(MAX_POINTS).max(1);
    let rank = |f: char| match f {
        'V' => 0,
        'n' => 1,
        's' | '~' | 'm' => 2,
        _ => 3,
    };
    let mut out = Vec::with_capacity(n / per + 1);
    for start in (0..n).step_by(per) {
        let end = (start + per).min(n);
        let vals: Vec<f64> = (start..end)
            .filter_map(|i| values.get(i).copied().flatten())
            .collect();
        let infinite = vals.iter().copied().find(|v| v.is_infinite());
        let finite: Vec<f64> = vals.iter().copied().filter(|v| v.is_finite()).collect();
        let mean = infinite.or_else(|| {
            (!finite.is_empty()).then(|| finite.iter().sum::<f64>() / finite.len() as f64)
        });
        let flag = (start..end)
            .map(|i| flags.get(i).copied().unwrap_or(' '))
            .min_by_key(|f| rank(*f))
            .unwrap_or(' ');
        let at = |i: usize| {
            DateTime::from_timestamp(times[i], 0)
                .map(format_utc)
                .unwrap_or_default()
        };
        out.push(Bucket {
            t: times[start..end].iter().map(|t| *t as f64).sum::<f64>() / (end - start) as f64,
            label: if end - start == 1 {
                at(start)
            } else {
                format!(
                    "{} – {} ({} executions)",
                    at(start),
                    at(end - 1),
                    end - start
                )
            },
            mean,
            min: finite.iter().copied().reduce(f64::min),
            max: finite.iter().copied().reduce(f64::max),
            flag,
        });
    }
    out
}

/// The executions on a time axis, one tick each coloured by status, linking to its report.
/// `ticks` are (Unix seconds, status, tooltip, link).
/// `left` is the margin before the first tick (a chart's y-axis width, to line up with it).
pub fn status_timeline(
    ticks: &[(i64, Status, String, Option<String>)],
    width: f64,
    left: f64,
) -> String {
    let (right, h) = (8.0, 26.0);
    let (t0, t1) = match (ticks.first(), ticks.last()) {
        (Some(a), Some(b)) if b.0 > a.0 => (a.0 as f64, b.0 as f64),
        (Some(a), _) => (a.0 as f64 - 1800.0, a.0 as f64 + 1800.0),
        _ => (0.0, 1.0),
    };
    let px = |t: f64| left + (t - t0) / (t1 - t0) * (width - left - right);
    let bar = ((width - left - right) / ticks.len().max(1) as f64).clamp(1.0, 10.0);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"{width}\" height=\"{h}\" role=\"img\" aria-label=\"executions over time\">"
    );
    for (t, status, tip, link) in ticks {
        let tall = !status.is_success();
        let rect = format!(
            "<rect class=\"{}\" x=\"{:.1}\" y=\"{}\" width=\"{bar:.1}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>",
            status.as_str(),
            px(*t as f64) - bar / 2.0,
            if tall { 2.0 } else { 6.0 },
            if tall { 20.0 } else { 14.0 },
            color(*status),
            esc(tip)
        );
        match link {
            Some(l) => {
                let _ = write!(out, "<a href=\"{}\">{rect}</a>", esc(l));
            }
            None => out.push_str(&rect),
        }
    }
    out.push_str("</svg>");
    out
}
