//! What an execution writes: analysis.json, constraint_violations.json (and, later, reports
//! and execution records), in SageMaker's exact shapes.

pub mod analysis_json;
pub mod atomic;
pub mod pyfmt;
