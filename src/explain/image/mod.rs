//! Image explanations (Clarify's `methods.shap.image_config`): superpixels as scikit-image
//! makes them, Kernel SHAP over them.
//!
//! The data flow: [`decode`] reads JPEG and PNG; [`lab`] turns pixels into the Lab values
//! SLIC clusters on, [`grid`] seeds it, [`slic`] runs the k-means and [`connectivity`]
//! numbers the pieces; [`masking`] makes a coalition's image and the baseline; [`run`]
//! sends the masked images ([`encode`]) and reads the scores ([`response`]) for Kernel
//! SHAP; [`heatmap`] draws the result.

pub mod connectivity;
pub mod decode;
pub mod detection;
pub mod encode;
pub mod grid;
pub mod heatmap;
pub mod lab;
pub mod masking;
pub mod response;
pub mod run;
pub mod slic;
