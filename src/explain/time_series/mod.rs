//! Time-series explanations (Clarify's `methods.asymmetric_shapley_value`): asymmetric
//! Shapley values of a forecasting model's H-step forecast.
//!
//! Status: the numerical core ([`asymmetric`]); the analysis-config blocks
//! (`time_series_data_config`, `predictor.time_series_predictor_config`), the endpoint requests
//! and the `asymmetric_shapley_value/<granularity>_<direction>/out.jsonl` output build on it.

pub mod asymmetric;
