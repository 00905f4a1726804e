//! A model-quality execution's page: each metric measured on the labelled records with its
//! interval, the constraint and the check's verdict (a violation, ok, not checked and why —
//! never a green cell for a check that was not made), the confusion matrix, and the
//! label-free estimate — headed as an estimate, with its calibration verdict and how far it
//! was from what the labels measured. Drawn from the window's statistics.json (driftwatch's
//! block included) and constraint_violations.json alone.

use std::fmt::Write as _;

use super::{esc, execution_header, page_end, violations_table, warnings_section};
use crate::sagemaker::ExecutionRecord;
use crate::sagemaker::jackson::java_double;
use crate::sagemaker::model_quality::{
    ConfusionMatrix, ModelQualityStatistics, ModelQualityViolations,
};

fn confusion(out: &mut String, m: &ConfusionMatrix) {
    let predicted: std::collections::BTreeSet<&str> = m
        .values()
        .flat_map(|r| r.keys().map(String::as_str))
        .collect();
    out.push_str(
        "<h2>Confusion matrix (actual → predicted)</h2><table><tr><th>actual \\ predicted</th>",
    );
    for p in &predicted {
        let _ = write!(out, "<th>{}</th>", esc(p));
    }
    out.push_str("</tr>");
    for (a, row) in m {
        let _ = write!(out, "<tr><th>{}</th>", esc(a));
        for p in &predicted {
            let _ = write!(
                out,
                "<td class=\"n\">{}</td>",
                row.get(*p).copied().unwrap_or(0)
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
}

/// The report of one model-quality execution.
pub fn model_quality_html(
    record: &ExecutionRecord,
    statistics: &ModelQualityStatistics,
    violations: Option<&ModelQualityViolations>,
    dashboard: &str,
) -> String {
    let mut out = String::new();
    execution_header(&mut out, record, None, dashboard);
    let block = statistics.driftwatch.clone().unwrap_or_default();
    let shown: Vec<&String> = block
        .warnings
        .iter()
        .filter(|w| !record.warnings.contains(w))
        .collect();
    warnings_section(&mut out, shown.into_iter());
    let _ = write!(
        out,
        "<h2>Measured ({} labelled of {} captured records, {})</h2>",
        statistics.dataset.item_count,
        block.captured_records,
        esc(&block.problem_type)
    );
    let scalars = statistics.scalars();
    if scalars.is_empty() {
        out.push_str("<p class=\"warn\">Nothing measured: no captured record of the window has ground truth yet.</p>");
    } else {
        out.push_str("<table><tr><th>metric</th><th>value</th><th>interval</th><th>constraint</th><th>check</th></tr>");
        for (name, m) in &scalars {
            let check = block.checks.iter().find(|c| &c.metric_name == name);
            let missing = block.not_computed.iter().find(|n| &n.metric_name == name);
            let interval = block
                .intervals
                .iter()
                .find(|i| &i.metric_name == name)
                .map_or_else(
                    || "—".to_string(),
                    |i| format!("[{}, {}]", java_double(i.lower), java_double(i.upper)),
                );
            let (verdict, bad) = match (check, missing) {
                (Some(c), _) if c.violation => ("violation".to_string(), true),
                (Some(_), _) => ("ok".to_string(), false),
                (None, Some(n)) => (format!("not checked: {}", n.reason), false),
                (None, None) if name.contains("best_constant") => {
                    ("reference (not constrained)".to_string(), false)
                }
                (None, None) => ("no constraint".to_string(), false),
            };
            let _ = write!(
                out,
                "<tr{}><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                if bad { " class=\"violation\"" } else { "" },
                esc(name),
                if m.value.is_finite() {
                    java_double(m.value)
                } else {
                    "undefined".into()
                },
                interval,
                check.map_or_else(
                    || "—".to_string(),
                    |c| format!(
                        "{} {}",
                        esc(&c.comparison_operator),
                        java_double(c.threshold)
                    )
                ),
                esc(&verdict)
            );
        }
        out.push_str("</table>");
    }
    let matrix = statistics
        .binary_classification_metrics
        .as_ref()
        .map(|b| &b.confusion_matrix)
        .or(statistics
            .multiclass_classification_metrics
            .as_ref()
            .map(|m| &m.confusion_matrix));
    if let Some(m) = matrix {
        confusion(&mut out, m);
    }
    if let Some(e) = &block.estimate {
        let _ = write!(
            out,
            "<h2>Estimated without labels ({}, {} records) — an estimate, not a measurement</h2><p class=\"{}\">Calibration {}: {}</p><table><tr><th>metric</th><th>estimate</th><th>95 % interval</th><th>measured on the labelled records</th></tr>",
            esc(&e.method),
            e.records,
            if e.calibration.verdict == "trusted" {
                "ok"
            } else {
                "warn"
            },
            esc(&e.calibration.verdict),
            esc(&e.calibration.reason)
        );
        for m in &e.metrics {
            let vs = e
                .versus_measured
                .iter()
                .find(|v| v.metric_name == m.metric_name)
                .map_or_else(
                    || "—".to_string(),
                    |v| {
                        format!(
                            "{} (estimate on them {}, {})",
                            java_double(v.measured),
                            java_double(v.estimated),
                            if v.within_interval {
                                "within its interval"
                            } else {
                                "outside its interval"
                            }
                        )
                    },
                );
            let _ = write!(
                out,
                "<tr><td>{}</td><td class=\"n\">≈ {}</td><td class=\"n\">[{}, {}]</td><td>{}</td></tr>",
                esc(&m.metric_name),
                java_double(m.value),
                java_double(m.lower),
                java_double(m.upper),
                esc(&vs)
            );
        }
        out.push_str("</table>");
    }
    if let Some(v) = violations.filter(|v| !v.violations.is_empty()) {
        violations_table(
            &mut out,
            "metric",
            v.violations.iter().map(|v| {
                (
                    v.metric_name.as_str(),
                    v.constraint_check_type.as_str(),
                    v.description.as_str(),
                )
            }),
        );
    }
    page_end(&mut out, &record.driftwatch_version);
    out
}
