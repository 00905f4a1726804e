//! SageMaker data capture and ground truth: parsing capture lines, decoding their payloads
//! into feature rows and predictions, parsing ground-truth files, and the merge. (Reading them
//! from a store for a window ([`read`]), and building the analysis frame ([`frame`]).)

pub mod cell;
pub mod frame;
pub mod ground_truth;
pub mod jsonl;
pub mod line;
pub mod merge;
pub mod payload;
pub mod quality;
pub mod read;
