//! Clarify bias metrics with smclarify 0.5's exact semantics: type inference, label / facet /
//! prediction selection, pre- and post-training metrics per facet, per-metric errors.

pub mod bootstrap;
pub mod counts;
pub mod engine;
pub mod flip_test;
pub mod kdtree;
mod knn_filter;
pub mod metrics;
pub mod segments;
pub mod select;
pub mod values;

pub use engine::{BiasAnalysis, BiasError, FacetReport, StageReport, run_bias};
