//! A time-series explanation's files, as Clarify writes them:
//! `asymmetric_shapley_value/<granularity>_<direction>/out.jsonl` (one line per item) and an
//! analysis.json that points at it:
//! `{"version": "1.0", "explanations": {"asymmetric_shapley_value": {"direction",
//! "granularity", "explanation_results_path"}}}`, with driftwatch's own block beside
//! SageMaker's keys.

use serde_json::{Value, json};

/// The per-item results' file, under [`results_folder`].
pub const RESULTS_FILE: &str = "out.jsonl";

/// `asymmetric_shapley_value/<granularity>_<direction>`.
pub fn results_folder(granularity: &str, direction: &str) -> String {
    format!("asymmetric_shapley_value/{granularity}_{direction}")
}

/// What driftwatch adds: what the explanation cost and how exact it is.
#[derive(Debug, Clone, PartialEq)]
pub struct AsvTotals {
    pub items: usize,
    pub forecasts: usize,
    pub requests: usize,
    /// Items whose every admissible order was enumerated (the others: drawn orders).
    pub exact_items: usize,
    pub horizon: usize,
}

/// The analysis.json of a time-series explanation.
pub fn analysis_json(
    direction: &str,
    granularity: &str,
    results_path: &str,
    totals: &AsvTotals,
) -> Value {
    json!({
        "version": "1.0",
        "explanations": {
            "asymmetric_shapley_value": {
                "direction": direction,
                "granularity": granularity,
                "explanation_results_path": results_path,
            }
        },
        "driftwatch": {
            "asymmetric_shapley_value": {
                "items": totals.items,
                "forecasts": totals.forecasts,
                "endpoint_requests": totals.requests,
                "exact_items": totals.exact_items,
                "horizon": totals.horizon,
            }
        }
    })
}

/// One entry of an item's explanation: a series' value at a timestamp (`feature_name` absent
/// for `timewise`, whose players are whole timestamps), or a static covariate (no timestamp).
#[derive(Debug, Clone, PartialEq)]
pub struct AsvEntry {
    pub feature_name: Option<String>,
    pub timestamp: Option<Value>,
    /// One per forecast step.
    pub scores: Vec<f64>,
}

/// One line of out.jsonl: an item's explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct AsvLine {
    /// As given in the data.
    pub item_id: Value,
    /// The forecast with every player at its baseline.
    pub offset: Vec<f64>,
    pub explanations: Vec<AsvEntry>,
    /// driftwatch's: the forecast explained (offset + Σ scores).
    pub forecast: Vec<f64>,
    /// driftwatch's: whether every admissible order was enumerated.
    pub exact: bool,
    /// driftwatch's: distinct coalitions forecast.
    pub forecasts: usize,
}

impl AsvLine {
    /// The line's JSON text: Clarify's keys, then driftwatch's block.
    pub fn to_json(&self) -> String {
        let entries: Vec<Value> = self
            .explanations
            .iter()
            .map(|e| {
                let mut m = serde_json::Map::new();
                if let Some(n) = &e.feature_name {
                    m.insert("feature_name".into(), json!(n));
                }
                if let Some(t) = &e.timestamp {
                    m.insert("timestamp".into(), t.clone());
                }
                m.insert("scores".into(), json!(e.scores));
                Value::Object(m)
            })
            .collect();
        json!({
            "item_id": self.item_id,
            "offset": self.offset,
            "explanations": entries,
            "driftwatch": {"forecast": self.forecast, "exact": self.exact, "forecasts": self.forecasts},
        })
        .to_string()
    }
}
