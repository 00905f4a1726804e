//! Global text attributions: Clarify's `global_top_shap_text` — "a token can appear multiple
//! times … the job aggregates the SHAP values of each token" — and one global value per
//! column (numeric features and text columns alike).
//!
//! driftwatch's rule (the reference gives no formula): occurrences of a unit are grouped by
//! their exact text (case kept); a group's value is `agg_method` over its occurrences' values
//! (mean |φ| by default); the top `max_top_tokens` by value, ties in order of first
//! appearance. A text column's per-record value is the sum of its units' values, so its global
//! value is on the same scale as a numeric feature's.

use super::run::{Player, RecordExplanation};
use crate::explain::aggregate::{AggMethod, aggregate};

/// `global_top_shap_text` of one text column and output: (unit text, value), best first.
pub fn top_units(
    records: &[&RecordExplanation],
    column: usize,
    output: usize,
    method: AggMethod,
    max: usize,
) -> Vec<(String, f64)> {
    let mut order: Vec<String> = Vec::new();
    let mut groups: std::collections::HashMap<String, Vec<Vec<f64>>> = Default::default();
    for r in records {
        for (p, player) in r.players.iter().enumerate() {
            if let Player::Unit { column: c, unit } = *player {
                if c != column {
                    continue;
                }
                let text = &r.units[c][unit].text;
                let values = groups.entry(text.clone()).or_insert_with(|| {
                    order.push(text.clone());
                    Vec::new()
                });
                values.push(vec![r.phi[output][p]]);
            }
        }
    }
    let mut scored: Vec<(usize, String, f64)> = order
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let v = aggregate(&groups[&text], method)[0];
            (i, text, v)
        })
        .collect();
    scored.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
    scored.truncate(max);
    scored.into_iter().map(|(_, t, v)| (t, v)).collect()
}

/// One value per column and record: a numeric feature's φ, a text column's Σ φ of its units.
pub fn column_values(r: &RecordExplanation, columns: usize, output: usize) -> Vec<f64> {
    let mut out = vec![0.0; columns];
    for (p, player) in r.players.iter().enumerate() {
        let c = match *player {
            Player::Column(c) | Player::Unit { column: c, .. } => c,
        };
        out[c] += r.phi[output][p];
    }
    out
}

/// The global value of every column for one output (`global_shap_values`).
pub fn global_columns(
    records: &[&RecordExplanation],
    columns: usize,
    output: usize,
    method: AggMethod,
) -> Vec<f64> {
    let local: Vec<Vec<f64>> = records
        .iter()
        .map(|r| column_values(r, columns, output))
        .collect();
    if local.is_empty() {
        return vec![f64::NAN; columns];
    }
    aggregate(&local, method)
}
