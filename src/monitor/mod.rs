//! The monitors: one layer that turns an analysis' inputs (a frame or rows, the analysis
//! config, the baseline constraints, a model) into its outputs ([`MonitorOutput`]: the
//! analysis.json, the violations, the warnings), used alike by `analyze` (a dataset) and by
//! every execution (a capture window). One file per monitor type; reading the inputs
//! (`inputs`) and writing the outputs (`write`) are shared by both callers too.

pub mod bias;
pub mod coverage;
pub mod data_quality;
pub mod error;
pub mod explainability;
pub mod image;
pub mod inputs;
pub mod model_quality;
pub mod output;
pub mod predictions;
pub mod rows;
pub mod text;
pub mod time_series;
pub mod write;

pub use coverage::Coverage;
pub use error::MonitorError;
pub use output::MonitorOutput;
