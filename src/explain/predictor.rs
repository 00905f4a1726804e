//! What Kernel SHAP calls: an in-process model or a SageMaker endpoint.

use super::endpoint::EndpointPredictor;
use super::model::InProcessModel;
use crate::sagemaker::FailureClass;

/// A model call that failed, and whether trying again later can help (an endpoint that is
/// throttled or restarting) or not (a response that does not fit the configured format).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct PredictError {
    pub message: String,
    pub class: FailureClass,
}

impl PredictError {
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            class: FailureClass::Permanent,
        }
    }

    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            class: FailureClass::Transient,
        }
    }
}

pub enum Predictor {
    InProcess(InProcessModel),
    Endpoint(EndpointPredictor),
}

impl Predictor {
    /// Scores rows (row-major): one score per row.
    pub fn predict(&self, rows: &[f64]) -> Result<Vec<f64>, PredictError> {
        match self {
            Self::InProcess(m) => Ok(m.predict(rows)),
            Self::Endpoint(e) => e.predict(rows),
        }
    }

    /// The feature count the model takes, when it is known up front.
    pub fn num_features(&self) -> Option<usize> {
        match self {
            Self::InProcess(m) => Some(m.num_features()),
            Self::Endpoint(_) => None,
        }
    }

    /// Endpoint requests sent so far (0 for an in-process model).
    pub fn requests(&self) -> usize {
        match self {
            Self::InProcess(_) => 0,
            Self::Endpoint(e) => e.requests(),
        }
    }
}
