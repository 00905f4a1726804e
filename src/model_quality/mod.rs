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

/// A score's place in the total order as an unsigned key, so per-score counts sort in a map
/// (highest score last) and merge exactly.
pub fn score_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | 1 << 63 }
}

/// The score of a [`score_key`].
pub fn score_of_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_keys_sort_as_the_scores_and_give_them_back() {
        let xs = [-1.5, -0.0, 0.0, 1e-300, 0.25, 1.0, f64::INFINITY];
        let keys: Vec<u64> = xs.iter().map(|&x| score_key(x)).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        for (&x, &k) in xs.iter().zip(&keys) {
            assert_eq!(score_of_key(k).to_bits(), x.to_bits());
        }
    }
}
