//! SageMaker data capture: parsing capture lines and decoding their payloads into feature
//! rows and predictions. (Reading capture and ground truth from a store, and the merge, build
//! on these.)

pub mod payload;
pub mod record;
