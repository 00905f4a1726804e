//! Why an analysis could not be made, and whether trying again later can help.

use crate::bias::BiasError;
use crate::config::InvalidDocument;
use crate::explain::kernel_shap::ShapError;
use crate::sagemaker::FailureClass;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// An input the configuration names (analysis config, baseline, model, SHAP baseline
    /// file) could not be read; the store says whether that may heal.
    #[error("{what}: cannot read {source}")]
    Read {
        what: &'static str,
        source: StoreError,
    },
    /// An analysis config that is not valid for its use.
    #[error("analysis_config: {0}")]
    Config(InvalidDocument),
    /// An input that was read but cannot be used as what it is meant to be.
    #[error("{what} {location}: {message}")]
    Invalid {
        what: &'static str,
        location: String,
        message: String,
    },
    /// The configuration asks for something that cannot be done with it.
    #[error("{0}")]
    Unsupported(String),
    /// The data cannot be analysed as configured (a column that is not there, no rows).
    #[error("{0}")]
    Bias(#[from] BiasError),
    /// A categorical label value that occurs in no row: a configuration mistake on a
    /// dataset (a capture window only warns: it may simply hold no positive).
    #[error(
        "label_values_or_threshold {values} matches no row of label column {label:?} (its values include: {examples})"
    )]
    LabelValuesAbsent {
        values: String,
        label: String,
        examples: String,
    },
    /// Rows that cannot be explained (non-numeric features, none at all).
    #[error("{0}")]
    Data(String),
    #[error("Kernel SHAP: {0}")]
    Shap(#[from] ShapError),
    /// Asymmetric Shapley values of a forecasting endpoint.
    #[error("asymmetric Shapley values: {0}")]
    TimeSeries(#[from] crate::explain::time_series::run::TsError),
}

impl MonitorError {
    /// Only what the store or the model could not get through right now may heal; every
    /// other problem is in the configuration or the data and fails the same way again.
    pub fn class(&self) -> FailureClass {
        match self {
            Self::Read { source, .. } => source.class(),
            Self::Shap(ShapError::Model(e)) => e.class,
            Self::TimeSeries(e) => e.class(),
            _ => FailureClass::Permanent,
        }
    }
}
