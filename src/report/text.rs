//! A text explanation's page: each record's text with every unit highlighted by its SHAP
//! value for the last label (a binary model's positive class) (blue raises the score, red lowers it, the stronger the colour
//! the larger |φ|; the value on hover), the top units per label and text column, and the
//! records that could not be explained with their reasons. Drawn from out.jsonl's lines and
//! analysis.json alone.

use std::fmt::Write as _;

use super::{esc, page_end, page_start, warnings_section};
use crate::sagemaker::analysis::{AnalysisDoc, ShapLabel};
use crate::sagemaker::text::{FREE_TEXT, LocalLine};

/// Records drawn at most; the rest are counted.
pub const MAX_RECORDS_DRAWN: usize = 200;

const STYLE: &str = ".rec{margin:.6em 0;padding:.4em .6em;border:1px solid #ddd;border-radius:4px;line-height:1.9}\
.u{padding:.1em .15em;border-radius:3px}.pos{color:#0d47a1}.neg{color:#b71c1c}\
.legend span{padding:.1em .4em;margin-right:.5em}";

/// A unit's background: blue for a positive value, red for a negative one, opacity ∝ |φ|.
fn colour(v: f64, max: f64) -> String {
    let a = if max > 0.0 {
        (v.abs() / max).min(1.0) * 0.8
    } else {
        0.0
    };
    if v >= 0.0 {
        format!("rgba(25,118,210,{a:.3})")
    } else {
        format!("rgba(211,47,47,{a:.3})")
    }
}

/// One record's text columns, each unit highlighted; units that were apart in the text
/// (by their `start_idx`) are a space apart, adjacent ones ("ca" "n't") stay together.
fn record_section(out: &mut String, index: usize, line: &LocalLine, label: usize, max: f64) {
    let _ = write!(
        out,
        "<div class=\"rec\"><small>record {}</small> ",
        index + 1
    );
    for f in &line.explanations {
        if f.data_type == FREE_TEXT {
            let _ = write!(out, "<b>{}</b>: ", esc(&f.feature_name));
            let mut end = None;
            for a in &f.attributions {
                let v = a.attribution.get(label).copied().unwrap_or(0.0);
                let (text, start) = a
                    .description
                    .as_ref()
                    .map_or(("", 0), |d| (d.partial_text.as_str(), d.start_idx));
                if end.is_some_and(|e| e < start) {
                    out.push(' ');
                }
                end = Some(start + text.chars().count());
                let _ = write!(
                    out,
                    "<span class=\"u\" style=\"background:{}\" title=\"{v:+.6}\">{}</span>",
                    colour(v, max),
                    esc(text)
                );
            }
            out.push(' ');
        } else if let Some(a) = f.attributions.first() {
            let v = a.attribution.get(label).copied().unwrap_or(0.0);
            let _ = write!(
                out,
                " · <span class=\"u\" style=\"background:{}\" title=\"{v:+.6}\">{}</span>",
                colour(v, max),
                esc(&f.feature_name)
            );
        }
    }
    out.push_str("</div>");
}

/// Units listed per text column in an execution's page.
const TOP_UNITS_SHOWN: usize = 15;

/// A window's top units per text column with their global values (magnitudes under the
/// default `mean_abs`, so not coloured), and each one's baseline value when there is a
/// baseline (— when the unit is not among the baseline's top units): what an
/// attribution-drift verdict on text rests on.
pub(crate) fn top_units_table(out: &mut String, l: &ShapLabel, baseline: Option<&ShapLabel>) {
    for (column, units) in l.global_top_shap_text.iter() {
        let base = baseline.map(|b| b.global_top_shap_text.get(column));
        let _ = write!(
            out,
            "<h3>Top units — {}</h3><table><tr><th>unit</th><th>global SHAP value</th>{}</tr>",
            esc(column),
            if base.is_some() {
                "<th>baseline</th>"
            } else {
                ""
            }
        );
        for (unit, v) in units.iter().take(TOP_UNITS_SHOWN) {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td>",
                esc(unit),
                super::value_text(*v)
            );
            if let Some(b) = base {
                let b = b
                    .and_then(|b| b.get(unit))
                    .map_or_else(|| "—".to_string(), |x| super::value_text(*x));
                let _ = write!(out, "<td>{b}</td>");
            }
            out.push_str("</tr>");
        }
        out.push_str("</table>");
    }
}

/// The page of a text explanation.
pub fn text_html(
    title: &str,
    dataset: &str,
    analysis: &AnalysisDoc,
    local: &[LocalLine],
) -> String {
    let mut out = String::new();
    page_start(&mut out, title, STYLE);
    let failed: Vec<(usize, &str)> = local
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.driftwatch.as_ref().map(|n| (i, n.error.as_str())))
        .collect();
    let _ = write!(
        out,
        "<h1>{}</h1><p>Dataset {}: {} records explained, {} not explained.</p>",
        esc(title),
        esc(dataset),
        local.len() - failed.len(),
        failed.len()
    );
    if let Some(ks) = analysis
        .explanations
        .as_ref()
        .and_then(|e| e.kernel_shap.as_ref())
    {
        for (label, l) in ks.iter() {
            let _ = write!(
                out,
                "<h2>Top units — {}</h2><p>Expected value {}</p>",
                esc(label),
                super::value_text(l.expected_value)
            );
            top_units_table(&mut out, l, None);
            let _ = write!(
                out,
                "<h3>Columns</h3><table><tr><th>feature</th><th>global SHAP value</th></tr>"
            );
            for (feature, v) in l.global_shap_values.iter() {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{}</td></tr>",
                    esc(feature),
                    super::value_text(*v)
                );
            }
            out.push_str("</table>");
        }
    }
    if !failed.is_empty() {
        out.push_str(
            "<h2 class=\"neg\">Not explained</h2><table><tr><th>record</th><th>reason</th></tr>",
        );
        for (i, reason) in &failed {
            let _ = write!(
                out,
                "<tr class=\"neg\"><td>{}</td><td>{}</td></tr>",
                i + 1,
                esc(reason)
            );
        }
        out.push_str("</table>");
    }
    // The last label (for a binary model, the positive class in label_headers' order).
    let names: Vec<&str> = analysis
        .explanations
        .as_ref()
        .and_then(|e| e.kernel_shap.as_ref())
        .map(|k| k.keys().collect())
        .unwrap_or_default();
    let label = names.len().saturating_sub(1);
    let max = local
        .iter()
        .flat_map(|l| l.explanations.iter())
        .flat_map(|f| f.attributions.iter())
        .filter_map(|a| a.attribution.get(label))
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    let _ = write!(
        out,
        "<h2>Records</h2><p class=\"legend\"><span style=\"background:rgba(25,118,210,.6)\">raises the score of {0}</span><span style=\"background:rgba(211,47,47,.6)\">lowers it</span>(hover a unit for its value)</p>",
        esc(names.get(label).copied().unwrap_or("label0"))
    );
    for (i, l) in local
        .iter()
        .enumerate()
        .filter(|(_, l)| l.driftwatch.is_none())
        .take(MAX_RECORDS_DRAWN)
    {
        record_section(&mut out, i, l, label, max);
    }
    let drawn = (local.len() - failed.len()).min(MAX_RECORDS_DRAWN);
    if local.len() - failed.len() > drawn {
        let _ = write!(
            out,
            "<p>{} more records in explanations_shap/out.jsonl.</p>",
            local.len() - failed.len() - drawn
        );
    }
    if let Some(d) = &analysis.driftwatch {
        warnings_section(&mut out, d.warnings.iter());
    }
    page_end(&mut out, env!("CARGO_PKG_VERSION"));
    out
}
