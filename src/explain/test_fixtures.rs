//! The shared SHAP fixtures (`tests/fixtures/shap/`) for the explainers' unit tests.

use super::model::{InProcessModel, Xgboost};

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/shap/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A fixture CSV's rows (header skipped).
pub fn rows(name: &str) -> Vec<Vec<f64>> {
    fixture(name)
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(|c| c.parse().unwrap()).collect())
        .collect()
}

/// The fixtures' trained XGBoost model.
pub fn model() -> Xgboost {
    xgboost(&fixture("xgb_model.json"))
}

/// An XGBoost model from its JSON text.
pub fn xgboost(text: &str) -> Xgboost {
    match InProcessModel::from_json(text, "model.json").unwrap() {
        InProcessModel::Xgboost(x) => x,
        _ => unreachable!(),
    }
}
