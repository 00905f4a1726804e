//! driftwatch: a self-hosted, wire-compatible replacement for SageMaker Model Monitor's bias
//! and explainability monitors.
//!
//! Modules follow the data flow of one execution (see `docs/ARCHITECTURE.md`):
//! [`config`] → [`schedule`] → ([`store`]/[`capture`] → [`monitor`] ([`bias`] | [`explain`]
//! → [`check`]) → [`publish`]/[`report`]), orchestrated by [`execution`]; [`sagemaker`] holds
//! the wire formats every layer shares.

pub mod analyze;
pub mod aws;
pub mod bias;
pub mod capture;
pub mod check;
pub mod config;
pub mod daemon;
pub mod dataset;
pub mod demo;
pub mod execution;
pub mod explain;
pub mod model_server;
pub mod monitor;
pub mod publish;
pub mod report;
pub mod sagemaker;
pub mod schedule;
pub mod store;
