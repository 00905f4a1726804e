//! Comparing an execution's analysis with the baseline constraints (a baseline analysis.json).

pub mod attribution_drift;
pub mod bias_drift;
