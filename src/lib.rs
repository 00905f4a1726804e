//! driftwatch: a self-hosted, wire-compatible replacement for SageMaker Model Monitor's bias
//! and explainability monitors.
//!
//! Modules follow the data flow of one execution (see `docs/ARCHITECTURE.md`):
//! [`config`] → [`schedule`] → ([`store`]/[`capture`] → [`monitor`] ([`bias`] | [`explain`]
//! → [`check`]) → [`publish`]/[`report`] → [`dashboard`]), orchestrated by [`execution`]; [`sagemaker`] holds
//! the wire formats every layer shares.
//!
//! The library surface is what the `driftwatch` binary and the integration tests use: the
//! modules declared `pub` below, and in them the submodules declared `pub` (the daemon's
//! `serve`, `backfill` and retry `Policy`; `run_execution`; `analyze`; the schedules file and
//! `plan`; the wire formats; the publishing of datums; the SHAP kernels the fixtures check).
//! Everything else is `pub(crate)`: free to change without touching a caller outside.

pub mod analyze;
pub mod aws;
pub(crate) mod bias;
pub(crate) mod capture;
pub(crate) mod check;
pub mod config;
pub mod daemon;
pub(crate) mod dashboard;
pub mod data_quality;
pub(crate) mod dataset;
pub mod demo;
pub mod execution;
pub mod explain;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod gzip;
pub mod limits;
pub mod load;
pub mod migrate;
pub mod model_quality;
pub mod model_server;
pub(crate) mod monitor;
pub mod publish;
pub mod ray;
pub(crate) mod report;
pub mod sagemaker;
pub mod schedule;
pub(crate) mod spark_csv;
pub(crate) mod stats;
pub(crate) mod store;
pub(crate) mod wide;
