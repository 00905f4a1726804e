//! SageMaker data capture and ground truth: parsing capture lines, decoding their payloads
//! into feature rows and predictions, parsing ground-truth files, the join with ground truth as the
//! window streams ([`truth`], [`reduce`]). (Reading them from a store for a window ([`read`]),
//! and building the analysis frame ([`frame`]).)

pub mod batch;
pub mod cell;
pub mod frame;
pub mod ground_truth;
pub mod jsonl;
pub mod line;
pub mod payload;
pub mod quality;
pub mod read;
pub mod reduce;
pub mod shard;
pub mod truth;
