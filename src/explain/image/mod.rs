//! Image explanations (Clarify's `methods.shap.image_config`): superpixels as scikit-image
//! makes them, Kernel SHAP over them.
//!
//! The data flow: [`decode`] reads JPEG and PNG, [`lab`] turns pixels into the Lab values SLIC clusters on, [`grid`] seeds
//! it, [`slic`] runs the k-means and [`connectivity`] numbers the pieces.

pub mod connectivity;
pub mod decode;
pub mod grid;
pub mod lab;
pub mod slic;
