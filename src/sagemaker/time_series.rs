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
