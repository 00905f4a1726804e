//! A time-series explanation's page (driftwatch's addition; Clarify writes none): per item,
//! the forecast explained beside the all-baseline forecast, and a heat map of the
//! contributions over time — one row per series, one column per timestamp, each cell
//! coloured by the player's contribution averaged over the forecast's steps (blue raises the
//! forecast, red lowers it; the intensity is relative to the item's largest contribution) —
//! and the static covariates' contributions. Drawn from out.jsonl's lines alone.

use std::fmt::Write as _;

use serde_json::Value;

use super::{esc, page_end, page_start, svg};
use crate::sagemaker::time_series::AsvLine;

/// Items drawn at most; the rest are counted (out.jsonl has them all).
pub const MAX_ITEMS_DRAWN: usize = 50;

const STYLE: &str = ".heat td{width:1.6em;height:1.4em;padding:0;border:1px solid #fff}\
.heat th{font-weight:normal;text-align:right;padding-right:.5em;white-space:nowrap}\
.heat .t{writing-mode:vertical-rl;font-size:11px;text-align:left}";

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// The cell colour of `v` on a scale whose extreme is `max` (> 0).
fn colour(v: f64, max: f64) -> String {
    let a = (v.abs() / max).clamp(0.0, 1.0);
    let (r, g, b) = if v >= 0.0 {
        (21, 101, 192)
    } else {
        (198, 40, 40)
    };
    format!("rgba({r},{g},{b},{a:.3})")
}

fn item_section(out: &mut String, line: &AsvLine) {
    let _ = write!(
        out,
        "<h2>Item {}</h2><p>{} forecast steps; {}.</p>",
        esc(&text(&line.item_id)),
        line.forecast.len(),
        if line.exact {
            "every admissible order enumerated (exact)"
        } else {
            "orders drawn (an estimate; efficiency still exact)"
        }
    );
    let steps: Vec<f64> = (1..=line.forecast.len()).map(|h| h as f64).collect();
    out.push_str(&svg::line_chart(
        "forecast step",
        &steps,
        |x| format!("{x:.0}"),
        &[
            ("forecast".to_string(), line.forecast.clone()),
            ("all at baseline (offset)".to_string(), line.offset.clone()),
        ],
    ));
    let mut rows: Vec<String> = Vec::new();
    let mut times: Vec<String> = Vec::new();
    let mut cells: Vec<(usize, usize, &[f64])> = Vec::new();
    let mut statics: Vec<(&str, &[f64])> = Vec::new();
    for e in &line.explanations {
        let Some(t) = &e.timestamp else {
            statics.push((e.feature_name.as_deref().unwrap_or(""), &e.scores));
            continue;
        };
        let name = e
            .feature_name
            .clone()
            .unwrap_or_else(|| "every series".into());
        let r = rows.iter().position(|x| *x == name).unwrap_or_else(|| {
            rows.push(name);
            rows.len() - 1
        });
        let t = text(t);
        let c = times.iter().position(|x| *x == t).unwrap_or_else(|| {
            times.push(t);
            times.len() - 1
        });
        cells.push((r, c, &e.scores));
    }
    let max = line
        .explanations
        .iter()
        .map(|e| mean(&e.scores).abs())
        .fold(0.0, f64::max);
    let max = if max > 0.0 { max } else { 1.0 };
    out.push_str("<table class=\"heat\"><tr><th></th>");
    for t in &times {
        let _ = write!(out, "<th class=\"t\">{}</th>", esc(t));
    }
    out.push_str("</tr>");
    for (r, name) in rows.iter().enumerate() {
        let _ = write!(out, "<tr><th>{}</th>", esc(name));
        for (c, time) in times.iter().enumerate() {
            match cells.iter().find(|(cr, cc, _)| *cr == r && *cc == c) {
                Some((_, _, scores)) => {
                    let v = mean(scores);
                    let _ = write!(
                        out,
                        "<td style=\"background:{}\" title=\"{} at {}: {:?}\"></td>",
                        colour(v, max),
                        esc(name),
                        esc(time),
                        scores
                    );
                }
                None => out.push_str("<td></td>"),
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
    if !statics.is_empty() {
        out.push_str(
            "<table><tr><th>static covariate</th><th>contribution (mean over steps)</th></tr>",
        );
        for (name, scores) in statics {
            let _ = write!(
                out,
                "<tr><td>{}</td><td class=\"n\" style=\"background:{}\">{}</td></tr>",
                esc(name),
                colour(mean(scores), max),
                mean(scores)
            );
        }
        out.push_str("</table>");
    }
}

/// The page of a time-series explanation.
pub fn time_series_html(
    title: &str,
    dataset: &str,
    direction: &str,
    granularity: &str,
    lines: &[AsvLine],
) -> String {
    let mut out = String::new();
    page_start(&mut out, title, STYLE);
    let _ = write!(
        out,
        "<h1>{}</h1><p>Dataset <b>{}</b>: asymmetric Shapley values, {} {}, of {} items. A cell is a player's contribution to the forecast, averaged over its steps: <span style=\"color:#1565c0\">blue raises</span> it, <span style=\"color:#c62828\">red lowers</span> it.</p>",
        esc(title),
        esc(dataset),
        esc(granularity),
        esc(direction),
        lines.len()
    );
    for line in lines.iter().take(MAX_ITEMS_DRAWN) {
        item_section(&mut out, line);
    }
    if lines.len() > MAX_ITEMS_DRAWN {
        let _ = write!(
            out,
            "<p>{} more items are in out.jsonl (this page draws the first {MAX_ITEMS_DRAWN}).</p>",
            lines.len() - MAX_ITEMS_DRAWN
        );
    }
    page_end(&mut out, env!("CARGO_PKG_VERSION"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sagemaker::time_series::AsvEntry;
    use serde_json::json;

    #[test]
    fn a_page_shows_each_items_heat_map_and_statics() {
        let line = AsvLine {
            item_id: json!("shop<1>"),
            offset: vec![1.0, 1.0],
            explanations: vec![
                AsvEntry {
                    feature_name: Some("demand".into()),
                    timestamp: Some(json!("2024-01-01")),
                    scores: vec![2.0, 2.0],
                },
                AsvEntry {
                    feature_name: Some("price".into()),
                    timestamp: Some(json!("2024-01-01")),
                    scores: vec![-1.0, -1.0],
                },
                AsvEntry {
                    feature_name: Some("store".into()),
                    timestamp: None,
                    scores: vec![0.5, 0.5],
                },
            ],
            forecast: vec![2.5, 2.5],
            exact: true,
            forecasts: 9,
        };
        let html = time_series_html("T", "d.json", "chronological", "fine_grained", &[line]);
        assert!(html.contains("Item shop&lt;1&gt;"), "escaped");
        assert!(
            html.contains("rgba(21,101,192,1.000)"),
            "the largest positive: full blue"
        );
        assert!(
            html.contains("rgba(198,40,40,0.500)"),
            "half as large, negative: red"
        );
        assert!(html.contains("<td>store</td>"));
        assert!(html.contains("<svg"));
    }
}
