//! The model-quality engine: a window's merged predictions and labels reduced to mergeable
//! state (counts and sums, and per-score counts for an exact AUC), and SageMaker's metrics
//! computed from it — regression (`mae`, `mse`, `rmse`, `r2`), binary classification
//! (confusion matrix, rates, precision, recall, accuracy, F0.5/F1/F2, AUC, and the
//! best-constant-classifier variants) and multiclass classification (the support-weighted
//! averages). Every value is scikit-learn's for the same rows (`tests/fixtures/model_quality/`).
//!
//! An engine: it reads a dataset (`baseline.rs`) and writes SageMaker's file types; the
//! monitor and execution layers feed it a window's rows.

pub mod baseline;
pub mod binary;
pub mod check;
pub mod estimate;
pub mod intervals;
pub mod multiclass;
pub mod observation;
pub mod regression;
pub mod state;
pub mod tally;

pub use crate::sagemaker::model_quality::ProblemType;

/// F-beta from a precision and a recall: `(1+β²)·p·r / (β²·p + r)`, 0 when both are 0 (as
/// scikit-learn's `zero_division=0`).
pub fn fbeta(precision: f64, recall: f64, beta: f64) -> f64 {
    let b2 = beta * beta;
    let denominator = b2 * precision + recall;
    if denominator == 0.0 {
        0.0
    } else {
        (1.0 + b2) * precision * recall / denominator
    }
}

/// `a / b`, 0 when `b` is 0 (scikit-learn's `zero_division=0`).
pub fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}
