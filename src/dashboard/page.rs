//! A schedule's dashboard page (`index.html` beside its dated folders): the state and since
//! when, the executions on a time line, a chart per metric with its baseline constraint and
//! violation markers, and the table of executions with their failure reasons. Self-contained
//! (inline CSS and SVG, no script), so it works offline and straight from S3.

use std::fmt::Write as _;

use super::history::{History, Point, SeriesKey};
use super::summary::{State, Summary, series_name, summarize};
use crate::report::svg::{Guide, Line, status_timeline, time_series};
use crate::report::{esc, page_end, page_start, status_badge};
use crate::sagemaker::time::format_utc;
use crate::sagemaker::verdict::band_around;

/// The executions the table lists (newest first); the charts show the whole history.
const TABLE_ROWS: usize = 500;
const CHART: (f64, f64) = (300.0, 130.0);
const WIDE: (f64, f64) = (620.0, 180.0);

pub(crate) const DASHBOARD_STYLE: &str = ".summary{padding:.6em 1em;border-radius:6px;margin:1em 0;border-left:6px solid}\
.summary p{margin:.2em 0}.failing{background:#efebe9;border-color:#6d4c41}.drifting{background:#fde2e1;border-color:#c62828}\
.partly{background:#fff8e1;border-color:#f9a825}.healthy{background:#e8f5e9;border-color:#2e7d32}.empty{background:#f5f5f5;border-color:#9e9e9e}\
.grid{display:flex;flex-wrap:wrap;gap:10px}.chart{border:1px solid #ddd;border-radius:4px;padding:4px 6px}\
.chart.bad{border:2px solid #c62828}.chart h4{margin:0;font-size:13px}.chart .latest{float:right;font-weight:400;color:#555}\
tr.row-Failed td{background:#efebe9}tr.row-Stopped td{background:#f5f5f5}tr.row-CompletedWithViolations td{background:#fde2e1}nav a{margin-right:1em}";

pub(crate) fn state_class(s: State) -> &'static str {
    match s {
        State::Failing => "failing",
        State::Drifting => "drifting",
        State::PartlyChecked => "partly",
        State::Healthy => "healthy",
        State::Empty => "empty",
    }
}

pub(crate) fn summary_box(out: &mut String, s: &Summary) {
    let _ = write!(
        out,
        "<div class=\"summary {}\" data-state=\"{}\"><p><b>{}</b></p>",
        state_class(s.state),
        s.state.as_str(),
        esc(s.state.as_str())
    );
    for l in &s.lines {
        let _ = write!(out, "<p>{}</p>", esc(l));
    }
    out.push_str("</div>");
}

fn times(h: &History) -> Vec<i64> {
    h.executions
        .iter()
        .map(|p| p.scheduled_time.timestamp())
        .collect()
}

/// Series `i` over the history.
fn line<'a>(h: &History, i: usize, name: &'a str, guide: Option<Guide>) -> Line<'a> {
    Line {
        name,
        values: h.executions.iter().map(|p| p.value(i)).collect(),
        flags: h.executions.iter().map(|p| p.flag(i)).collect(),
        guide,
    }
}

fn latest_text(p: Option<&Point>, i: usize) -> String {
    match p.map(|p| (p.value(i), p.flag(i))) {
        Some((Some(v), f)) => format!(
            "{}{}",
            crate::report::value_text(crate::sagemaker::MetricValue::new(v)),
            if f == 'V' { " ✕" } else { "" }
        ),
        Some((None, 'n')) => "not computed".into(),
        _ => "—".into(),
    }
}

fn bias_charts(out: &mut String, h: &History) {
    let times = times(h);
    let latest = h.latest();
    let mut groups: Vec<(String, String, String)> = Vec::new();
    for s in &h.series {
        if let SeriesKey::Bias {
            stage,
            facet,
            facet_value,
            ..
        } = &s.key
        {
            let g = (stage.clone(), facet.clone(), facet_value.clone());
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
    }
    for (stage, facet, value) in &groups {
        let title = if stage == "pre_training_bias_metrics" {
            "Pre-training"
        } else {
            "Post-training"
        };
        let _ = write!(
            out,
            "<h2>{title} bias metrics — {}={}</h2><div class=\"grid\">",
            esc(facet),
            esc(value)
        );
        for (i, s) in h.series.iter().enumerate() {
            let SeriesKey::Bias {
                stage: st,
                facet: f,
                facet_value: v,
                metric,
            } = &s.key
            else {
                continue;
            };
            if (st, f, v) != (stage, facet, value) {
                continue;
            }
            let guide = s
                .baseline
                .get()
                .map(|b| band_around(s.neutral, b))
                .map(|(a, b)| Guide::Allowed(a, b));
            let bad = latest.is_some_and(|p| p.flag(i) == 'V');
            let _ = write!(
                out,
                "<div class=\"chart{}\" data-metric=\"{}\"><h4>{}<span class=\"latest\">{}</span></h4>{}</div>",
                if bad { " bad" } else { "" },
                esc(metric),
                esc(metric),
                esc(&latest_text(latest, i)),
                time_series(
                    &format!("{} over time", series_name(&s.key)),
                    &times,
                    &[line(h, i, "", guide)],
                    CHART
                )
            );
        }
        out.push_str("</div>");
    }
}

fn explain_charts(out: &mut String, h: &History) {
    let times = times(h);
    let latest = h.latest();
    let labels: Vec<String> = h
        .series
        .iter()
        .filter_map(|s| match &s.key {
            SeriesKey::Ndcg { label } => Some(label.clone()),
            _ => None,
        })
        .collect();
    for label in &labels {
        let _ = write!(out, "<h2>Feature attribution — {}</h2>", esc(label));
        out.push_str("<div class=\"grid\">");
        if let Some(i) = h
            .series
            .iter()
            .position(|s| matches!(&s.key, SeriesKey::Ndcg { label: l } if l == label))
        {
            let guide = h.series[i].baseline.get().map(Guide::Floor);
            let bad = latest.is_some_and(|p| p.flag(i) == 'V');
            let _ = write!(
                out,
                "<div class=\"chart{}\" data-metric=\"nDCG\"><h4>nDCG against the baseline<span class=\"latest\">{}</span></h4>{}</div>",
                if bad { " bad" } else { "" },
                esc(&latest_text(latest, i)),
                time_series(
                    &format!("nDCG of {label} over time"),
                    &times,
                    &[line(h, i, "", guide)],
                    WIDE
                )
            );
        }
        let names = named_series(h, |k| match k {
            SeriesKey::Shap { label: l, feature } if l == label => Some(feature.as_str()),
            _ => None,
        });
        if !names.is_empty() {
            let lines = named_lines(h, &names);
            let _ = write!(
                out,
                "<div class=\"chart\" data-metric=\"shap\"><h4>Largest global SHAP values</h4>{}<p class=\"legend\">{}</p></div>",
                time_series(
                    &format!("global SHAP values of {label} over time"),
                    &times,
                    &lines,
                    WIDE
                ),
                legend(&names)
            );
        }
        out.push_str("</div>");
    }
}

/// Per-feature drift (one chart each, its threshold drawn) and every feature's completeness
/// (one chart).
/// The series `pick` names (by index, with the name it gives), in the history's order.
fn named_series(h: &History, pick: impl Fn(&SeriesKey) -> Option<&str>) -> Vec<(usize, String)> {
    h.series
        .iter()
        .enumerate()
        .filter_map(|(i, s)| pick(&s.key).map(|n| (i, n.to_string())))
        .collect()
}

/// One line per named series, in one chart's worth.
fn named_lines<'a>(h: &'a History, names: &'a [(usize, String)]) -> Vec<Line<'a>> {
    names
        .iter()
        .map(|(i, name)| line(h, *i, name, None))
        .collect()
}

fn data_quality_charts(out: &mut String, h: &History) {
    let times = times(h);
    let latest = h.latest();
    let drift = named_series(h, |k| match k {
        SeriesKey::Drift { feature } => Some(feature.as_str()),
        _ => None,
    });
    if !drift.is_empty() {
        out.push_str("<h2>Baseline drift per feature</h2><div class=\"grid\">");
        for (i, feature) in drift {
            let guide = h.series[i].baseline.get().map(|t| Guide::Allowed(0.0, t));
            let bad = latest.is_some_and(|p| p.flag(i) == 'V');
            let _ = write!(
                out,
                "<div class=\"chart{}\" data-metric=\"drift\"><h4>{}<span class=\"latest\">{}</span></h4>{}</div>",
                if bad { " bad" } else { "" },
                esc(&feature),
                esc(&latest_text(latest, i)),
                time_series(
                    &format!("drift distance of {feature} over time"),
                    &times,
                    &[line(h, i, "", guide)],
                    CHART
                )
            );
        }
        out.push_str("</div>");
    }
    let names = named_series(h, |k| match k {
        SeriesKey::Completeness { feature } => Some(feature.as_str()),
        _ => None,
    });
    if !names.is_empty() {
        let lines = named_lines(h, &names);
        let _ = write!(
            out,
            "<h2>Completeness</h2><div class=\"chart\" data-metric=\"completeness\"><h4>Share of present values per feature</h4>{}<p class=\"legend\">{}</p></div>",
            time_series("completeness over time", &times, &lines, WIDE),
            legend(&names)
        );
    }
}

/// One chart per model-quality metric: measured on the labelled records (its constraint
/// drawn) and, where the scores allow, the label-free estimate beside it — so a window whose
/// labels came later shows how far the estimate was.
fn model_quality_charts(out: &mut String, h: &History) {
    let times = times(h);
    let latest = h.latest();
    let measured = named_series(h, |k| match k {
        SeriesKey::Quality { metric } => Some(metric.as_str()),
        _ => None,
    });
    let estimated = named_series(h, |k| match k {
        SeriesKey::Estimated { metric } => Some(metric.as_str()),
        _ => None,
    });
    if measured.is_empty() && estimated.is_empty() {
        return;
    }
    out.push_str("<h2>Model quality</h2><div class=\"grid\">");
    let mut names: Vec<&str> = measured.iter().map(|(_, n)| n.as_str()).collect();
    for (_, n) in &estimated {
        if !names.contains(&n.as_str()) {
            names.push(n);
        }
    }
    // The constrained metrics first (what alarms), then the estimated, then the rest.
    let rank = |name: &str| {
        let constrained = measured
            .iter()
            .any(|(i, n)| n == name && h.series[*i].baseline.get().is_some());
        let estimate = estimated.iter().any(|(_, n)| n == name);
        (!constrained, !estimate)
    };
    names.sort_by_key(|n| rank(n));
    for name in names {
        let m = measured.iter().find(|(_, n)| n == name).map(|(i, _)| *i);
        let e = estimated.iter().find(|(_, n)| n == name).map(|(i, _)| *i);
        let mut lines = Vec::new();
        let mut legend_names = Vec::new();
        if let Some(i) = m {
            legend_names.push((i, "measured".to_string()));
            let guide = h.series[i].baseline.get().map(|t| {
                if crate::sagemaker::model_quality::is_error_metric(name) {
                    Guide::Allowed(0.0, t)
                } else {
                    Guide::Floor(t)
                }
            });
            lines.push(line(h, i, "measured", guide));
        }
        if let Some(i) = e {
            legend_names.push((i, "estimated from scores (no labels)".to_string()));
            lines.push(line(h, i, "estimated (no labels)", None));
        }
        let bad = m.is_some_and(|i| latest.is_some_and(|p| p.flag(i) == 'V'));
        let mut latest_parts = Vec::new();
        if let Some(i) = m {
            latest_parts.push(format!("measured {}", latest_text(latest, i)));
        }
        if let Some(i) = e {
            latest_parts.push(format!("estimated {}", latest_text(latest, i)));
        }
        let _ = write!(
            out,
            "<div class=\"chart{}\" data-metric=\"quality\"><h4>{}<span class=\"latest\">{}</span></h4>{}<p class=\"legend\">{}</p></div>",
            if bad { " bad" } else { "" },
            esc(name),
            esc(&latest_parts.join(" · ")),
            time_series(&format!("{name} over time"), &times, &lines, CHART),
            legend(&legend_names)
        );
    }
    out.push_str("</div>");
}

fn legend(names: &[(usize, String)]) -> String {
    const COLOURS: [&str; 8] = [
        "#1565c0", "#6a1b9a", "#2e7d32", "#ef6c00", "#00838f", "#ad1457", "#5d4037", "#455a64",
    ];
    names
        .iter()
        .enumerate()
        .map(|(k, (_, n))| {
            format!(
                "<span style=\"color:{}\">■ {}</span>",
                COLOURS[k % COLOURS.len()],
                esc(n)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn table(out: &mut String, h: &History) {
    out.push_str("<h2>Executions</h2><table><tr><th>scheduled time</th><th>status</th><th>records</th><th>violations</th><th>not computed</th><th>not checked</th><th>reason</th><th>report</th></tr>");
    for p in h.executions.iter().rev().take(TABLE_ROWS) {
        let not_computed = if p.not_computed > 0 {
            format!("{} ({})", p.not_computed, p.not_computed_reasons.join("; "))
        } else {
            "0".into()
        };
        let _ = write!(
            out,
            "<tr class=\"row-{}\"><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            p.status.as_str(),
            format_utc(p.scheduled_time),
            status_badge(p.status),
            p.records,
            p.violations,
            esc(&not_computed),
            p.not_checked,
            esc(p.failure_reason.as_deref().unwrap_or("")),
            p.report
                .as_ref()
                .map(|r| format!("<a href=\"{}\">report</a>", esc(r)))
                .unwrap_or_default()
        );
    }
    out.push_str("</table>");
    if h.executions.len() > TABLE_ROWS {
        let _ = write!(
            out,
            "<p>{} older executions are in the charts and in dashboard.json.</p>",
            h.executions.len() - TABLE_ROWS
        );
    }
}

/// The page; `overview` is the top-level index's path relative to this page.
pub fn schedule_html(h: &History, overview: &str) -> String {
    let mut out = String::new();
    page_start(
        &mut out,
        &format!("{} — driftwatch", h.schedule),
        DASHBOARD_STYLE,
    );
    let _ = write!(
        out,
        "<nav><a href=\"{}\">all schedules</a></nav><h1>{}</h1><p>{} {}; {} executions{}</p>",
        esc(overview),
        esc(&h.schedule),
        h.monitoring_type.as_str(),
        crate::report::monitored(&h.endpoint),
        h.executions.len(),
        match (h.executions.first(), h.executions.last()) {
            (Some(a), Some(b)) => format!(
                " from {} to {}",
                format_utc(a.scheduled_time),
                format_utc(b.scheduled_time)
            ),
            _ => String::new(),
        }
    );
    summary_box(&mut out, &summarize(h));
    let ticks: Vec<_> = h
        .executions
        .iter()
        .map(|p| {
            let tip = format!(
                "{} {}{}",
                format_utc(p.scheduled_time),
                p.status.as_str(),
                p.failure_reason
                    .as_ref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            );
            (
                p.scheduled_time.timestamp(),
                p.status,
                tip,
                p.report.clone(),
            )
        })
        .collect();
    out.push_str(&status_timeline(&ticks, WIDE.0 * 1.5, 48.0));
    bias_charts(&mut out, h);
    explain_charts(&mut out, h);
    data_quality_charts(&mut out, h);
    model_quality_charts(&mut out, h);
    table(&mut out, h);
    page_end(&mut out, env!("CARGO_PKG_VERSION"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sagemaker::{MetricValue, MonitoringType, Status};

    #[test]
    fn a_long_history_stays_a_light_page_and_text_is_escaped() {
        let mut h = History::new("s<b>", "ep&", MonitoringType::ModelBias);
        h.series.push(super::super::history::Series {
            key: SeriesKey::Bias {
                stage: "pre_training_bias_metrics".into(),
                facet: "sex".into(),
                facet_value: "<0>".into(),
                metric: "DPL".into(),
            },
            baseline: MetricValue::new(0.2),
            neutral: 0.0,
        });
        let start: chrono::DateTime<chrono::Utc> = "2023-01-01T00:00:00Z".parse().unwrap();
        for i in 0..(24 * 365) {
            h.executions.push(Point {
                scheduled_time: start + chrono::TimeDelta::hours(i),
                status: Status::Completed,
                failure_reason: Some("<script>".into()),
                failure_class: None,
                records: 100,
                violations: 0,
                not_computed: 0,
                not_checked: 0,
                not_computed_reasons: Vec::new(),
                report: None,
                values: vec![MetricValue::new((i % 17) as f64 / 100.0)],
                flags: if i % 1000 == 0 { "V" } else { "o" }.into(),
            });
        }
        let html = schedule_html(&h, "../../index.html");
        assert!(html.contains("s&lt;b&gt;") && !html.contains("<script>"));
        assert!(html.len() < 1_500_000, "{} bytes", html.len());
        let chart = html.split("data-metric=\"DPL\"").nth(1).unwrap();
        let chart = &chart[..chart.find("</svg>").unwrap()];
        assert!(chart.matches("<circle").count() <= 240, "bucketed");
        assert_eq!(
            chart.matches("class=\"violation\"").count(),
            9,
            "every violation keeps its marker"
        );
    }
}
