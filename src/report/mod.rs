//! `report.html`: one self-contained page per execution (no external assets: inline CSS and
//! SVG, works offline and from S3), and an index page per schedule. Built from the same files
//! a user would read (the record, analysis.json, constraint_violations.json, the baseline),
//! so the page never shows a number the files do not have.

pub(crate) mod data_quality;
pub(crate) mod image;
pub(crate) mod model_quality;
pub(crate) mod svg;
pub(crate) mod text;
pub(crate) mod time_series;

pub use data_quality::data_quality_html;
pub use image::{DrawnImage, image_html};
pub use model_quality::model_quality_html;
pub use text::text_html;
pub use time_series::time_series_html;

use std::fmt::Write as _;

use crate::sagemaker::time::format_utc;
use crate::sagemaker::verdict::{DiNeutral, Verdict, bias_verdict};
use crate::sagemaker::{
    AnalysisDoc, ConstraintViolations, ExecutionRecord, MetricValue, Stage, Status,
};

/// Escapes text for HTML content and attribute values.
/// A Model Monitor report's violations as the container wrote them: what (`first`: the
/// feature or the metric), the check type, the description.
pub(crate) fn violations_table<'a>(
    out: &mut String,
    first: &str,
    rows: impl Iterator<Item = (&'a str, &'a str, &'a str)>,
) {
    use std::fmt::Write as _;
    let _ = write!(
        out,
        "<h2>Violations</h2><table><tr><th>{first}</th><th>check</th><th>description</th></tr>"
    );
    for (what, check, description) in rows {
        let _ = write!(
            out,
            "<tr class=\"violation\"><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(what),
            esc(check),
            esc(description)
        );
    }
    out.push_str("</table>");
}

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

pub(crate) fn status_badge(s: Status) -> String {
    let name = s.as_str();
    format!("<span class=\"status {name}\">{name}</span>")
}

pub(crate) fn value_text(v: MetricValue) -> String {
    match v.get() {
        Some(x) if x.is_infinite() => crate::sagemaker::pyfmt::metric_text(x),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e9 => format!("{x:.1}"),
        Some(x) => format!("{x:.4}"),
        None => "—".to_string(),
    }
}

fn bias_section(
    out: &mut String,
    analysis: &AnalysisDoc,
    baseline: Option<&AnalysisDoc>,
    violations: Option<&ConstraintViolations>,
) {
    for stage in Stage::ALL {
        let title = match stage {
            Stage::PreTraining => "Pre-training bias metrics",
            Stage::PostTraining => "Post-training bias metrics",
        };
        let mut rows = analysis.metrics_in(stage).peekable();
        if rows.peek().is_none() {
            continue;
        }
        let _ = write!(
            out,
            "<h2>{title}</h2><table><tr><th>facet</th><th>value</th><th>metric</th><th>description</th><th>current</th><th>baseline</th><th>check</th><th>interval</th></tr>"
        );
        for m in rows {
            let name = m.metric.name.as_str();
            let b = baseline
                .and_then(|b| b.metric(stage, m.facet, m.facet_value, name))
                .map(|e| e.value);
            let verdict = bias_verdict(analysis, &m, baseline, violations);
            let is_bad = verdict == Verdict::Violation;
            let verdict = verdict.text();
            let interval = analysis.interval(stage, m.facet, m.facet_value, name);
            let interval_cell = match (interval.and_then(|i| i.bounds()), m.metric.value.get()) {
                (Some((lo, hi)), Some(v)) => format!(
                    "{} {}",
                    esc(&format!(
                        "[{}, {}]",
                        value_text(MetricValue::new(lo)),
                        value_text(MetricValue::new(hi))
                    )),
                    svg::interval_bar(
                        v,
                        lo,
                        hi,
                        b.and_then(|b| b.get())
                            .map(|b| DiNeutral::of(analysis).allowed_band(name, b))
                    )
                ),
                _ => esc(interval.and_then(|i| i.note.as_deref()).unwrap_or("")),
            };
            let _ = write!(
                out,
                "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"iv\">{}</td></tr>",
                if is_bad { " class=\"violation\"" } else { "" },
                esc(m.facet),
                esc(m.facet_value),
                esc(name),
                esc(&m.metric.description),
                esc(&value_text(m.metric.value)),
                esc(&b.map(value_text).unwrap_or_else(|| "—".to_string())),
                esc(&verdict),
                interval_cell
            );
        }
        out.push_str("</table>");
    }
}

/// `segment_config`: each segment's bias metrics (from driftwatch's block), a metric that
/// could not be computed with its reason, a segment that could not be analysed with its own.
fn segments_section(out: &mut String, analysis: &AnalysisDoc) {
    let Some(segments) = analysis
        .driftwatch
        .as_ref()
        .map(|d| &d.segments)
        .filter(|s| !s.is_empty())
    else {
        return;
    };
    out.push_str(
        "<h2>Bias metrics per segment</h2><table><tr><th>column</th><th>segment</th><th>records</th><th>stage</th><th>facet</th><th>value</th><th>metric</th><th>current</th></tr>",
    );
    for s in segments {
        let head = format!(
            "<td>{}</td><td>{}</td><td class=\"n\">{}</td>",
            esc(&s.column),
            esc(&s.segment),
            s.records
        );
        if let Some(e) = &s.error {
            let _ = write!(
                out,
                "<tr>{head}<td colspan=\"5\">not computed: {}</td></tr>",
                esc(e)
            );
            continue;
        }
        for (stage, metrics) in [
            ("pre-training", &s.pre_training_bias_metrics),
            ("post-training", &s.post_training_bias_metrics),
        ] {
            let Some(metrics) = metrics else { continue };
            for (facet, entries) in metrics.facets.iter() {
                for e in entries {
                    for m in &e.metrics {
                        let current = match &m.error {
                            Some(err) => format!("not computed: {err}"),
                            None => value_text(m.value),
                        };
                        let _ = write!(
                            out,
                            "<tr>{head}<td>{stage}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                            esc(facet),
                            esc(&e.value_or_threshold),
                            esc(&m.name),
                            esc(&current)
                        );
                    }
                }
            }
        }
    }
    out.push_str("</table>");
}

/// A label's global SHAP values as (feature, value) pairs.
fn global_shap(a: &AnalysisDoc, label: &str) -> Option<Vec<(String, f64)>> {
    let l = a.kernel_shap()?.get(label)?;
    Some(
        l.global_shap_values
            .iter()
            .map(|(k, v)| (k.to_string(), v.get().unwrap_or(f64::NAN)))
            .collect(),
    )
}

fn shap_section(
    out: &mut String,
    analysis: &AnalysisDoc,
    baseline: Option<&AnalysisDoc>,
    violations: Option<&ConstraintViolations>,
) {
    let Some(labels) = analysis.kernel_shap() else {
        return;
    };
    for label in labels.keys() {
        let values = global_shap(analysis, label).unwrap_or_default();
        let b = baseline.and_then(|b| global_shap(b, label));
        let score = analysis.ndcg(label);
        let is_bad = violations.is_some_and(|v| v.attribution().any(|x| x.label == label));
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
        out.push_str(&svg::bars(&values, b.as_deref()));
        if let Some(l) = labels.get(label) {
            let base = baseline
                .and_then(|b| b.kernel_shap())
                .and_then(|k| k.get(label));
            text::top_units_table(out, l, base);
        }
    }
}

/// Starts a page: its title and the shared style, plus `style` of its own.
pub(crate) fn page_start(out: &mut String, title: &str, style: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title><style>{STYLE}{style}</style></head><body>",
        esc(title)
    );
}

pub(crate) fn page_end(out: &mut String, version: &str) {
    out.push_str("<p><small>driftwatch ");
    out.push_str(&esc(version));
    out.push_str("</small></p></body></html>\n");
}

pub(crate) fn warnings_section<'a>(out: &mut String, warnings: impl Iterator<Item = &'a String>) {
    let mut warnings = warnings.peekable();
    if warnings.peek().is_none() {
        return;
    }
    out.push_str("<h2>Warnings</h2><ul>");
    for w in warnings {
        let _ = write!(out, "<li class=\"warn\">{}</li>", esc(w));
    }
    out.push_str("</ul>");
}

/// Partial dependence curves, one chart per feature (one line per model output).
fn pdp_section(out: &mut String, analysis: &AnalysisDoc) {
    let Some(pdp) = analysis.explanations.as_ref().and_then(|e| e.pdp.as_ref()) else {
        return;
    };
    out.push_str("<h2>Partial dependence</h2>");
    for f in pdp {
        let _ = write!(
            out,
            "<h3>{} <small>({})</small></h3>",
            esc(&f.feature_name),
            esc(&f.data_type)
        );
        if let Some(e) = &f.error {
            let _ = write!(out, "<p class=\"warn\">not computed: {}</p>", esc(e));
            continue;
        }
        let xs: Vec<f64> = f
            .feature_values
            .iter()
            .flatten()
            .map(|v| v.as_f64().unwrap_or(f64::NAN))
            .collect();
        let labels = analysis
            .kernel_shap()
            .map(|k| k.keys().map(str::to_string).collect::<Vec<_>>());
        let series: Vec<(String, Vec<f64>)> = f
            .model_predictions
            .iter()
            .flatten()
            .enumerate()
            .map(|(o, ys)| {
                let name = labels
                    .as_ref()
                    .and_then(|l| l.get(o).cloned())
                    .unwrap_or_else(|| format!("label{o}"));
                (name, ys.clone())
            })
            .collect();
        out.push_str(&svg::line_chart(
            &format!("partial dependence on {}", f.feature_name),
            &xs,
            |x| format!("{x}"),
            &series,
        ));
    }
}

fn analysis_sections(
    out: &mut String,
    analysis: &AnalysisDoc,
    baseline: Option<&AnalysisDoc>,
    violations: Option<&ConstraintViolations>,
) {
    bias_section(out, analysis, baseline, violations);
    segments_section(out, analysis);
    shap_section(out, analysis, baseline, violations);
    pdp_section(out, analysis);
}

/// The report of an `analyze` run (Clarify's `methods.report`): the analysis of a dataset.
pub fn analysis_html(
    title: &str,
    dataset: &str,
    analysis: &AnalysisDoc,
    baseline: Option<&AnalysisDoc>,
    violations: Option<&ConstraintViolations>,
) -> String {
    let mut out = String::new();
    page_start(&mut out, title, "");
    let _ = write!(
        out,
        "<h1>{}</h1><p>Dataset <b>{}</b>; {} violations of the baseline{}</p>",
        esc(title),
        esc(dataset),
        violations.map_or(0, |v| v.violations.len()),
        if baseline.is_some() {
            ""
        } else {
            " (none given)"
        }
    );
    if let Some(d) = &analysis.driftwatch {
        warnings_section(&mut out, d.warnings.iter());
    }
    analysis_sections(&mut out, analysis, baseline, violations);
    page_end(&mut out, env!("CARGO_PKG_VERSION"));
    out
}

/// The report of one execution; `title` is the analysis config's `methods.report.title`,
/// `dashboard` the schedule's dashboard relative to the report.
pub fn execution_html(
    record: &ExecutionRecord,
    analysis: Option<&AnalysisDoc>,
    baseline: Option<&AnalysisDoc>,
    violations: Option<&ConstraintViolations>,
    title: Option<&str>,
    dashboard: &str,
) -> String {
    let mut out = String::new();
    execution_header(&mut out, record, title, dashboard);
    if let Some(a) = analysis {
        analysis_sections(&mut out, a, baseline, violations);
    }
    page_end(&mut out, &record.driftwatch_version);
    out
}

/// An execution report's title, status, counts and warnings, for every monitor type.
pub(crate) fn execution_header(
    out: &mut String,
    record: &ExecutionRecord,
    title: Option<&str>,
    dashboard: &str,
) {
    let title = format!(
        "{}{} — {}",
        title.map(|t| format!("{t}: ")).unwrap_or_default(),
        record.schedule,
        format_utc(record.scheduled_time)
    );
    page_start(out, &title, "");
    let _ = write!(
        out,
        "<nav><a href=\"{}\">{} dashboard</a></nav>",
        esc(dashboard),
        esc(&record.schedule)
    );
    let _ = write!(
        out,
        "<h1>{}</h1><p>{} {} {}, attempt {}</p>",
        esc(&title),
        status_badge(record.status),
        record.monitoring_type.as_str(),
        monitored(&record.endpoint),
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
<tr><th>metrics computed / not computed</th><td class=\"n\">{} / {}</td></tr><tr><th>metrics checked / not checked</th><td class=\"n\">{} / {}</td></tr>\
<tr><th>duration</th><td class=\"n\">{:.2} s</td></tr></table>",
        format_utc(record.window_start),
        format_utc(record.window_end),
        c.capture_records,
        c.records_merged,
        c.capture_malformed + c.ground_truth_malformed,
        c.unmatched_captures,
        c.unmatched_labels,
        c.violations,
        c.metrics_computed,
        c.metrics_not_computed,
        c.metrics_checked,
        c.metrics_not_checked,
        record.duration_seconds
    );
    warnings_section(out, record.warnings.iter().chain(&record.malformed));
}

/// What a schedule monitors, after its type: `on endpoint <b>NAME</b>`, or batch transform
/// jobs (a batch schedule's records and histories have no endpoint).
pub fn monitored(endpoint: &str) -> String {
    if endpoint.is_empty() {
        "on batch transform capture".to_string()
    } else {
        format!("on endpoint <b>{}</b>", esc(endpoint))
    }
}

/// The endpoint column of a table: the name, or `batch transform`.
pub fn endpoint_cell(endpoint: &str) -> String {
    if endpoint.is_empty() {
        "batch transform".to_string()
    } else {
        esc(endpoint)
    }
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
        let analysis: AnalysisDoc = serde_json::from_value(serde_json::json!({"version": "1.0", "post_training_bias_metrics": {"label": "y", "facets": {"sex": [
        {"value_or_threshold": "2", "metrics": [
            {"name": "DPPL", "description": "Difference in Positive Proportions in Predicted Labels (DPPL)", "value": 0.42},
            {"name": "DI", "description": "Disparate Impact (DI)", "value": "Infinity"}
        ]}]}}})).unwrap();
        let baseline: AnalysisDoc = serde_json::from_value(serde_json::json!({"post_training_bias_metrics": {"label": "y", "facets": {"sex": [
            {"value_or_threshold": "2", "metrics": [{"name": "DPPL", "value": 0.1}, {"name": "DI", "value": 0.9}]}]}}})).unwrap();
        let violations: ConstraintViolations = serde_json::from_value(serde_json::json!({"version": "1.0", "violations": [{"facet": "sex", "facet_value": "2", "metric_name": "DPPL",
            "constraint_check_type": "bias_drift_check", "description": "x"}]})).unwrap();
        let record: ExecutionRecord = serde_json::from_value(serde_json::json!({
            "schedule": "s<1>", "monitoring_type": "ModelBias", "endpoint": "ep", "scheduled_time": "2024-01-19T12:00:00Z",
            "window_start": "2024-01-19T11:00:00Z", "window_end": "2024-01-19T12:00:00Z", "status": "CompletedWithViolations",
            "failure_reason": null, "started_at": "2024-01-19T12:00:00Z", "finished_at": "2024-01-19T12:00:01Z", "duration_seconds": 1.5,
            "counts": crate::sagemaker::Counts::default(), "malformed": [], "warnings": ["w & w"], "timings": {},
            "outputs": {"analysis": null, "constraint_violations": null, "metrics": null, "record": ""},
            "metrics_destination": "local", "metrics_published": true, "metrics_error": null, "metrics_datums": 0,
            "driftwatch_version": "t"})).unwrap();
        let html = execution_html(
            &record,
            Some(&analysis),
            Some(&baseline),
            Some(&violations),
            None,
            "../../../../index.html",
        );
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
        assert!(html.contains("href=\"../../../../index.html\""));
    }
}
