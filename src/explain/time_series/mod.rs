//! Time-series explanations (Clarify's `methods.asymmetric_shapley_value`): asymmetric
//! Shapley values of a forecasting model's H-step forecast.
//!
//! The data flow: [`dataset`] reads the items; [`players`] turns an item into players, blocks
//! and a baseline; [`asymmetric`] plans the coalitions; [`request`] writes them as endpoint
//! records; [`run`] sends them in shared requests, finishes each item's values and makes its
//! `out.jsonl` line (`sagemaker::time_series::AsvLine`).

pub mod asymmetric;
pub mod dataset;
pub mod players;
pub mod request;
pub mod run;
