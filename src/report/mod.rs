//! `report.html`: one self-contained page per execution (no external assets: inline CSS and
//! SVG, works offline and from S3), and an index page per schedule. Built from the same files
//! a user would read (the record, analysis.json, constraint_violations.json, the baseline),
//! so the page never shows a number the files do not have.

mod svg;

use std::fmt::Write as _;

use serde_json::Value;

use crate::execution::{ExecutionRecord, Status};

pub const REPORT_FILE: &str = "report.html";
pub const INDEX_FILE: &str = "index.html";

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}\
tr.violation td{background:#fde2e1;font-weight:600}\
.status{display:inline-block;padding:2px 8px;border-radius:4px;color:#fff}\
.Completed{background:#2e7d32}.CompletedWithViolations{background:#c62828}.Failed{background:#6d4c41}.Stopped{background:#757575}\
.warn{color:#8a5a00}svg text{font:12px system-ui,sans-serif}";

fn status_badge(s: Status) -> String {
    let name = format!("{s:?}");
    format!("<span class=\"status {name}\">{name}</span>")
}

fn value_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 1e9 => format!("{x:.1}"),
            Some(x) => format!("{x:.4}"),
            None => n.to_string(),
        },
        Some(Value::String(s)) => s.clone(),
        _ => "—".to_string(),
    }
}

/// (stage key, facet, facet value, metric name) → value, for every metric in an analysis.
fn bias_metrics(a: &Value) -> Vec<(String, String, String, String, String, Option<Value>)> {
    let mut out = Vec::new();
    for stage in ["pre_training_bias_metrics", "post_training_bias_metrics"] {
        let Some(facets) = a
            .get(stage)
            .and_then(|s| s.get("facets"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        for (facet, entries) in facets {
            for e in entries.as_array().into_iter().flatten() {
                let fv = value_text(e.get("value_or_threshold"));
                for m in e
                    .get("metrics")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    out.push((
                        stage.to_string(),
                        facet.clone(),
                        fv.clone(),
                        m.get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        m.get("description")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        m.get("value").cloned(),
                    ));
                }
            }
        }
    }
    out
}

fn violated(violations: Option<&Value>) -> Vec<(String, String, String)> {
    violations
        .and_then(|v| v.get("violations"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|v| {
            let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            (s("facet"), s("facet_value"), s("metric_name"))
        })
        .collect()
}

fn bias_section(
    out: &mut String,
    analysis: &Value,
    baseline: Option<&Value>,
    violations: Option<&Value>,
) {
    let current = bias_metrics(analysis);
    if current.is_empty() {
        return;
    }
    let base = baseline.map(bias_metrics).unwrap_or_default();
    let bad = violated(violations);
    for (stage, title) in [
        ("pre_training_bias_metrics", "Pre-training bias metrics"),
        ("post_training_bias_metrics", "Post-training bias metrics"),
    ] {
        let rows: Vec<_> = current.iter().filter(|m| m.0 == stage).collect();
        if rows.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "<h2>{title}</h2><table><tr><th>facet</th><th>value</th><th>metric</th><th>description</th><th>current</th><th>baseline</th><th>check</th></tr>"
        );
        for (st, facet, fv, name, desc, value) in rows {
            let b = base
                .iter()
                .find(|x| &x.0 == st && &x.1 == facet && &x.2 == fv && &x.3 == name)
                .and_then(|x| x.5.clone());
            let is_bad = bad
                .iter()
                .any(|(f, v, m)| f == facet && (v == fv || v.is_empty()) && m == name);
            let _ = write!(
                out,
                "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                if is_bad { " class=\"violation\"" } else { "" },
                esc(facet),
                esc(fv),
                esc(name),
                esc(desc),
                esc(&value_text(value.as_ref())),
                esc(&value_text(b.as_ref())),
                if is_bad {
                    "violation"
                } else if baseline.is_some() {
                    "ok"
                } else {
                    ""
                }
            );
        }
        out.push_str("</table>");
    }
}

/// label → feature → global SHAP value.
fn global_shap(a: &Value) -> Vec<(String, Vec<(String, f64)>)> {
    let Some(labels) = a
        .get("explanations")
        .and_then(|e| e.get("kernel_shap"))
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    labels
        .iter()
        .map(|(label, v)| {
            let values = v
                .get("global_shap_values")
                .and_then(Value::as_object)
                .map(|g| {
                    g.iter()
                        .map(|(k, x)| (k.clone(), x.as_f64().unwrap_or(f64::NAN)))
                        .collect()
                })
                .unwrap_or_default();
            (label.clone(), values)
        })
        .collect()
}

fn shap_section(
    out: &mut String,
    analysis: &Value,
    baseline: Option<&Value>,
    violations: Option<&Value>,
) {
    let current = global_shap(analysis);
    if current.is_empty() {
        return;
    }
    let base = baseline.map(global_shap).unwrap_or_default();
    let bad: Vec<String> = violations
        .and_then(|v| v.get("violations"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.get("label").and_then(Value::as_str).map(str::to_string))
        .collect();
    for (label, values) in &current {
        let b = base
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.as_slice());
        let score = analysis
            .get("driftwatch")
            .and_then(|d| d.get("ndcg"))
            .and_then(|n| n.get(label))
            .and_then(Value::as_f64);
        let is_bad = bad.iter().any(|l| l == label);
        let _ = write!(out, "<h2>Global SHAP values — {}</h2>", esc(label));
        if let Some(s) = score {
            let _ = write!(
                out,
                "<p{}>nDCG against the baseline: <b>{s:.4}</b>{}</p>",
                if is_bad {
                    " class=\"violation\" style=\"color:#c62828\""
                } else {
                    ""
                },
                if is_bad {
                    " — attribution drift violation"
                } else {
                    ""
                }
            );
        }
        out.push_str(&svg::bars(values, b));
    }
}

/// The report of one execution.
pub fn execution_html(
    record: &ExecutionRecord,
    analysis: Option<&Value>,
    baseline: Option<&Value>,
    violations: Option<&Value>,
) -> String {
    let mut out = String::new();
    let title = format!("{} — {}", record.schedule, record.scheduled_time);
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>",
        esc(&title)
    );
    let _ = write!(
        out,
        "<h1>{}</h1><p>{} {} on endpoint <b>{}</b>, attempt {}</p>",
        esc(&title),
        status_badge(record.status),
        esc(&record.monitoring_type),
        esc(&record.endpoint),
        record.attempt
    );
    if let Some(reason) = &record.failure_reason {
        let _ = write!(out, "<p><b>Reason:</b> {}</p>", esc(reason));
    }
    let c = &record.counts;
    let _ = write!(
        out,
        "<table><tr><th>window</th><td>{} – {}</td></tr><tr><th>capture records in window</th><td class=\"n\">{}</td></tr>\
<tr><th>records analyzed</th><td class=\"n\">{}</td></tr><tr><th>malformed lines</th><td class=\"n\">{}</td></tr>\
<tr><th>unmatched captures / labels</th><td class=\"n\">{} / {}</td></tr><tr><th>violations</th><td class=\"n\">{}</td></tr>\
<tr><th>duration</th><td class=\"n\">{:.2} s</td></tr></table>",
        esc(&record.window_start),
        esc(&record.window_end),
        c.capture_records,
        c.records_merged,
        c.capture_malformed + c.ground_truth_malformed,
        c.unmatched_captures,
        c.unmatched_labels,
        c.violations,
        record.duration_seconds
    );
    if !record.warnings.is_empty() || !record.malformed.is_empty() {
        out.push_str("<h2>Warnings</h2><ul>");
        for w in record.warnings.iter().chain(&record.malformed) {
            let _ = write!(out, "<li class=\"warn\">{}</li>", esc(w));
        }
        out.push_str("</ul>");
    }
    if let Some(a) = analysis {
        bias_section(&mut out, a, baseline, violations);
        shap_section(&mut out, a, baseline, violations);
    }
    out.push_str("<p><small>driftwatch ");
    out.push_str(&esc(&record.driftwatch_version));
    out.push_str("</small></p></body></html>\n");
    out
}

/// The index of a schedule's executions, newest first, with a status strip over time.
/// `link(record)` gives each report's path relative to the index.
pub fn index_html(
    schedule: &str,
    records: &[ExecutionRecord],
    link: impl Fn(&ExecutionRecord) -> String,
) -> String {
    let mut sorted: Vec<&ExecutionRecord> = records.iter().collect();
    sorted.sort_by(|a, b| a.scheduled_time.cmp(&b.scheduled_time));
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title><style>{STYLE}</style></head><body><h1>{0}</h1>",
        esc(schedule)
    );
    out.push_str(&svg::status_strip(&sorted));
    out.push_str("<table><tr><th>scheduled time</th><th>status</th><th>records</th><th>violations</th><th>report</th></tr>");
    for r in sorted.iter().rev() {
        let _ = write!(
            out,
            "<tr{}><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td><a href=\"{}\">report</a></td></tr>",
            if r.status == Status::CompletedWithViolations {
                " class=\"violation\""
            } else {
                ""
            },
            esc(&r.scheduled_time),
            status_badge(r.status),
            r.counts.records_merged,
            r.counts.violations,
            esc(&link(r))
        );
    }
    out.push_str("</table></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }

    #[test]
    fn violated_metrics_are_highlighted_next_to_their_baseline() {
        let analysis = serde_json::json!({"post_training_bias_metrics": {"label": "y", "facets": {"sex": [
        {"value_or_threshold": "2", "metrics": [
            {"name": "DPPL", "description": "Difference in Positive Proportions in Predicted Labels (DPPL)", "value": 0.42},
            {"name": "DI", "description": "Disparate Impact (DI)", "value": "Infinity"}
        ]}]}}});
        let baseline = serde_json::json!({"post_training_bias_metrics": {"label": "y", "facets": {"sex": [
            {"value_or_threshold": "2", "metrics": [{"name": "DPPL", "value": 0.1}, {"name": "DI", "value": 0.9}]}]}}});
        let violations = serde_json::json!({"violations": [{"facet": "sex", "facet_value": "2", "metric_name": "DPPL",
            "constraint_check_type": "bias_drift_check", "description": "x"}]});
        let record: ExecutionRecord = serde_json::from_value(serde_json::json!({
            "schedule": "s<1>", "monitoring_type": "ModelBias", "endpoint": "ep", "scheduled_time": "2024-01-19T12:00:00Z",
            "window_start": "2024-01-19T11:00:00Z", "window_end": "2024-01-19T12:00:00Z", "status": "CompletedWithViolations",
            "failure_reason": null, "started_at": "", "finished_at": "", "duration_seconds": 1.5,
            "counts": crate::execution::Counts::default(), "malformed": [], "warnings": ["w & w"], "timings": {},
            "outputs": {"analysis": null, "constraint_violations": null, "metrics": null, "record": ""},
            "metrics_destination": "local", "metrics_published": true, "metrics_error": null, "metrics_datums": 0,
            "driftwatch_version": "t"})).unwrap();
        let html = execution_html(&record, Some(&analysis), Some(&baseline), Some(&violations));
        assert!(html.contains("<title>s&lt;1&gt; — 2024-01-19T12:00:00Z</title>"));
        assert_eq!(html.matches("<tr class=\"violation\">").count(), 1);
        assert!(
            html.contains(
                "<td class=\"n\">0.4200</td><td class=\"n\">0.1000</td><td>violation</td>"
            ),
            "{html}"
        );
        assert!(
            html.contains("<td class=\"n\">Infinity</td><td class=\"n\">0.9000</td><td>ok</td>")
        );
        assert!(html.contains("w &amp; w"));
        let index = index_html("s", std::slice::from_ref(&record), |_| {
            "2024/01/19/12/report.html".into()
        });
        assert!(index.contains("<rect") && index.contains("href=\"2024/01/19/12/report.html\""));
    }
}
