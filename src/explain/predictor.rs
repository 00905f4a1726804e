//! What Kernel SHAP calls: an in-process model or a SageMaker endpoint.

use super::endpoint::EndpointPredictor;
use super::model::InProcessModel;

pub enum Predictor {
    InProcess(InProcessModel),
    Endpoint(EndpointPredictor),
}

impl Predictor {
    /// Scores rows (row-major): one score per row.
    pub fn predict(&self, rows: &[f64]) -> Result<Vec<f64>, String> {
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
