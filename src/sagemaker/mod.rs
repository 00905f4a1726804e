//! The wire formats driftwatch shares with SageMaker, as types: `analysis.json`,
//! `constraint_violations.json`, the execution record, the output layout and file names, and
//! the text of numbers and times in them.
//!
//! A leaf: it imports nothing else from the crate (`tests/layering.rs` checks), so every
//! layer — engines, checks, publishing, reports, the daemon — reads and writes these files
//! through one definition.

pub(crate) mod analysis;
pub mod data_quality;
pub mod image;
pub mod jackson;
pub(crate) mod json;
pub(crate) mod layout;
pub mod model_quality;
pub(crate) mod number;
pub mod ordered;
pub(crate) mod pyfmt;
pub(crate) mod record;
pub mod text;
pub mod time;
pub mod time_series;
pub(crate) mod verdict;
pub(crate) mod violations;

pub use analysis::{
    AnalysisDoc, BiasStage, DriftwatchBlock, Explanations, FacetEntry, MetricEntry, PdpFeature,
    ShapLabel, Stage,
};
pub use json::JsonFile;
pub use number::MetricValue;
pub use ordered::OrderedMap;
pub use record::{
    Counts, ExecutionRecord, FailureClass, MetricsDestination, MonitoringType, Outputs, Status,
};
pub use violations::{AttributionViolation, BiasViolation, ConstraintViolations, Violation};
