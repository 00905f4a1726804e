//! Feature attribution: in-process models, Kernel SHAP (shap's KernelExplainer, exactly as
//! `docs/ARCHITECTURE.md` and the reference describe it) and the nDCG of attribution drift.
//!
//! Status: the numerical core. Endpoint predictors, `model-server` and explainability
//! executions build on it.

pub mod aggregate;
pub(crate) mod codec;
pub(crate) mod endpoint;
pub mod image;
pub mod kernel_shap;
pub(crate) mod linalg;
pub mod model;
pub mod ndcg;
pub(crate) mod pdp;
pub mod predictor;
pub mod text;
pub mod time_series;
pub use crate::stats::rng;
pub(crate) mod run;
#[cfg(test)]
mod test_fixtures;
pub mod tree_coalitions;
mod tree_masks;
pub mod tree_shap;
