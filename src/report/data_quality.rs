//! A data-quality execution's page: each feature's type, completeness, summary and drift
//! from the baseline, with the check's verdict (a violation, ok, or not checked and why —
//! never a green cell for a check that was not made), then the violations as SageMaker wrote
//! them. Drawn from the window's statistics.json (driftwatch's block included) and
//! constraint_violations.json alone.

use std::fmt::Write as _;

use super::{esc, execution_header, page_end, violations_table, warnings_section};
use crate::sagemaker::ExecutionRecord;
use crate::sagemaker::data_quality::{DataViolations, FeatureStatistics, Statistics};
use crate::sagemaker::jackson::java_double;

fn completeness(f: &FeatureStatistics) -> Option<f64> {
    let c = f
        .numerical_statistics
        .as_ref()
        .map(|n| n.common)
        .or_else(|| f.string_statistics.as_ref().map(|s| s.common))?;
    let total = c.num_present + c.num_missing;
    (total > 0).then(|| c.num_present as f64 / total as f64)
}

fn summary(f: &FeatureStatistics) -> String {
    if let Some(n) = &f.numerical_statistics {
        if n.common.num_present == 0 {
            return "no values".into();
        }
        return format!(
            "mean {} · sd {} · min {} · max {}",
            java_double(n.mean),
            java_double(n.std_dev),
            java_double(n.min),
            java_double(n.max)
        );
    }
    if let Some(s) = &f.string_statistics {
        let top = s
            .distribution
            .as_ref()
            .and_then(|d| d.categorical.buckets.iter().max_by_key(|b| b.count))
            .map(|b| format!(" · most frequent {:?} ({})", b.value, b.count))
            .unwrap_or_default();
        return format!("≈{} distinct{top}", java_double(s.distinct_count.round()));
    }
    String::new()
}

/// The report of one data-quality execution.
pub fn data_quality_html(
    record: &ExecutionRecord,
    statistics: &Statistics,
    violations: Option<&DataViolations>,
    dashboard: &str,
) -> String {
    let mut out = String::new();
    execution_header(&mut out, record, None, dashboard);
    let block = statistics.driftwatch.clone().unwrap_or_default();
    if let Some(b) = &statistics.driftwatch {
        let shown: Vec<&String> = b
            .warnings
            .iter()
            .filter(|w| !record.warnings.contains(w))
            .collect();
        warnings_section(&mut out, shown.into_iter());
    }
    let _ = write!(
        out,
        "<h2>Features ({} records)</h2><table><tr><th>feature</th><th>type</th><th>completeness</th><th>summary</th><th>drift distance</th><th>threshold</th><th>check</th></tr>",
        statistics.dataset.item_count
    );
    let violated = |name: &str| {
        violations
            .iter()
            .flat_map(|v| &v.violations)
            .filter(|v| v.feature_name == name)
            .map(|v| v.constraint_check_type.as_str())
            .collect::<Vec<_>>()
    };
    for f in &statistics.features {
        let drift = block.baseline_drift.iter().find(|d| d.name == f.name);
        let not_checked: Vec<String> = block
            .not_checked
            .iter()
            .filter(|n| n.feature_name == f.name)
            .map(|n| format!("{} not checked: {}", n.constraint_check_type, n.reason))
            .collect();
        let bad = violated(&f.name);
        let verdict = if !bad.is_empty() {
            format!("violation: {}", bad.join(", "))
        } else if !not_checked.is_empty() {
            not_checked.join("; ")
        } else if drift.is_some() {
            "ok".into()
        } else {
            "no baseline".into()
        };
        let _ = write!(
            out,
            "<tr{}><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            if bad.is_empty() {
                ""
            } else {
                " class=\"violation\""
            },
            esc(&f.name),
            esc(&f.inferred_type),
            completeness(f).map_or_else(|| "—".into(), |c| format!("{:.2} %", 100.0 * c)),
            esc(&summary(f)),
            drift.map_or_else(|| "—".into(), |d| java_double(d.distance)),
            drift.map_or_else(|| "—".into(), |d| java_double(d.threshold)),
            esc(&verdict)
        );
    }
    out.push_str("</table>");
    let dataset_wide: Vec<&String> = block
        .not_checked
        .iter()
        .filter(|n| !statistics.features.iter().any(|f| f.name == n.feature_name))
        .map(|n| &n.feature_name)
        .collect();
    if !dataset_wide.is_empty() {
        let _ = write!(
            out,
            "<p class=\"warn\">Baseline features absent from the window (not checked): {}</p>",
            esc(&dataset_wide
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "))
        );
    }
    if let Some(v) = violations {
        violations_table(
            &mut out,
            "feature",
            v.violations.iter().map(|v| {
                (
                    v.feature_name.as_str(),
                    v.constraint_check_type.as_str(),
                    v.description.as_str(),
                )
            }),
        );
    }
    page_end(&mut out, &record.driftwatch_version);
    out
}
