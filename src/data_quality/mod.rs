//! The data-quality engine: a dataset's or a window's profile as SageMaker's analyzer
//! container (Spark + Deequ 2.0.2) computes it — types, counts, moments, KLL sketches and
//! histograms — and the constraints a baseline suggests. Exact: every number and every
//! sketch buffer is the container's for the same rows in the same order.

pub mod baseline;
pub mod check;
pub mod chi_squared;
pub mod csv;
pub mod datatype;
pub mod distance;
pub mod error;
pub mod hll;
mod hll_bias;
pub mod kll;
pub mod moments;
pub mod profile;
pub mod suggest;
pub mod window;
