//! Predicted labels from the model, for post-training bias on a dataset that has no
//! `predicted_label` column: what Clarify does when the analysis config names a predictor.
//! The model's score goes into the frame; the bias engine binarizes it with
//! `probability_threshold` as it does captured scores (or matches it as a label when the
//! model answers with labels).

use std::sync::Arc;

use polars::prelude::{Column, DataFrame};

use super::MonitorError;
use super::explainability::rows_from_frame;
use crate::bias::engine::{PREDICTION_COLUMN, PredictionSource};
use crate::config::analysis::AnalysisConfig;
use crate::explain::predictor::Predictor;

/// `frame` with the model's prediction for every row added.
pub async fn add_model_predictions(
    mut frame: DataFrame,
    cfg: &AnalysisConfig,
    predictor: Arc<Predictor>,
) -> Result<(DataFrame, PredictionSource), MonitorError> {
    let (_, rows) = rows_from_frame(&frame, cfg)?;
    let n = rows.len();
    let scores = tokio::task::spawn_blocking(move || {
        let flat: Vec<f64> = rows.concat();
        predictor.predict(&flat)
    })
    .await
    .map_err(|e| MonitorError::Data(format!("predicting failed: {e}")))?
    .map_err(|e| MonitorError::Shap(e.into()))?;
    if n > 0 && scores.len() != n {
        return Err(MonitorError::Unsupported(format!(
            "post_training_bias: the model returned {} values for {n} records; predicted labels need one per record (set predictor.probability or predictor.label to pick it)",
            scores.len()
        )));
    }
    frame
        .with_column(Column::new(PREDICTION_COLUMN.into(), scores))
        .map_err(|e| MonitorError::Data(format!("adding the predictions: {e}")))?;
    Ok((
        frame,
        PredictionSource {
            column: PREDICTION_COLUMN.to_string(),
        },
    ))
}
