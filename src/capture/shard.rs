//! A bias window split into shards: contiguous slices of its capture objects, each joined
//! with the whole ground truth and reduced on its own (a thread here, or a process on another
//! machine), and the state a shard hands back for the coordinator to merge.
//!
//! Merging is exact: shards are absorbed in listing order, so rows, counts and malformed
//! lines come out as one reader of every object would have produced them, and a ground-truth
//! id claimed by two shards (the same inference id captured in two slices) is detected by the
//! coordinator's own index and settled by re-reducing the later shard without it.

use std::ops::Range;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::read::CaptureRead;
use super::reduce::BiasPartial;
use super::truth::TruthIndex;
use crate::store::ObjectMeta;

/// Bumped when [`ShardOutcome`]'s layout changes: a coordinator refuses another version
/// (a worker running a different driftwatch build) instead of misreading it.
pub const SHARD_FORMAT: u32 = 1;

/// Splits `files` (in listing order) into at most `shards` contiguous, non-empty slices of
/// about equal bytes (a shard's cost follows its bytes).
pub fn split(files: &[ObjectMeta], shards: usize) -> Vec<Range<usize>> {
    let n = shards.clamp(1, files.len().max(1));
    let total: u128 = files.iter().map(|f| u128::from(f.size.max(1))).sum();
    let mut out = Vec::with_capacity(n);
    let (mut start, mut seen) = (0usize, 0u128);
    for (i, f) in files.iter().enumerate() {
        seen += u128::from(f.size.max(1));
        let cut = out.len() + 1;
        // Close the slice once its share of bytes is reached, leaving a file for each slice
        // still to come.
        let remaining_files = files.len() - (i + 1);
        let remaining_slices = n - cut;
        if cut < n
            && (seen * n as u128 >= total * cut as u128 || remaining_files == remaining_slices)
        {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < files.len() || out.is_empty() {
        out.push(start..files.len());
    }
    out
}

/// One planned capture object (what a shard reads: the coordinator's listing, so every
/// shard sees the same objects however late others arrive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedObject {
    pub key: String,
    pub size: u64,
    /// Milliseconds since the epoch, when the store said.
    pub modified_ms: Option<u64>,
}

impl From<&ObjectMeta> for PlannedObject {
    fn from(o: &ObjectMeta) -> Self {
        Self {
            key: o.key.clone(),
            size: o.size,
            modified_ms: o
                .last_modified
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .and_then(|d| u64::try_from(d.as_millis()).ok()),
        }
    }
}

impl From<&PlannedObject> for ObjectMeta {
    fn from(o: &PlannedObject) -> Self {
        Self {
            key: o.key.clone(),
            size: o.size,
            last_modified: o
                .modified_ms
                .map(|ms| SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(ms)),
        }
    }
}

/// What the coordinator asks of its shards: the listing slice of each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardPlan {
    pub format: u32,
    /// `s3://…/{endpoint}[/{variant}]`, for messages.
    pub prefix: String,
    pub shards: Vec<Vec<PlannedObject>>,
}

impl ShardPlan {
    pub fn new(prefix: &str, files: &[ObjectMeta], shards: usize) -> Self {
        Self {
            format: SHARD_FORMAT,
            prefix: prefix.to_string(),
            shards: split(files, shards)
                .into_iter()
                .map(|r| files[r].iter().map(PlannedObject::from).collect())
                .collect(),
        }
    }
}

/// The ground truth a shard joined with, summarised: the coordinator's read must be the same
/// (labels that arrived between the two reads would make the shards disagree).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthFingerprint {
    pub files: usize,
    pub records: usize,
    pub ids: usize,
    pub duplicates: usize,
}

impl TruthFingerprint {
    pub fn of(index: &TruthIndex, files: usize) -> Self {
        Self {
            files,
            records: index.records,
            ids: index.distinct_ids(),
            duplicates: index.duplicates,
        }
    }
}

/// A shard's mergeable state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardOutcome {
    pub format: u32,
    pub shard: usize,
    pub truth: TruthFingerprint,
    pub read: CaptureRead,
    pub partial: BiasPartial,
    /// Ground-truth entries the shard's events claimed (ascending).
    pub claims: Vec<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(sizes: &[u64]) -> Vec<ObjectMeta> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, s)| ObjectMeta {
                key: format!("f{i}"),
                size: *s,
                last_modified: None,
            })
            .collect()
    }

    #[test]
    fn splits_into_contiguous_non_empty_slices_of_similar_bytes() {
        let f = files(&[10, 10, 10, 10, 10, 10]);
        assert_eq!(split(&f, 3), vec![0..2, 2..4, 4..6]);
        assert_eq!(split(&f, 1), vec![0..6]);
        // More shards than files: one file each.
        assert_eq!(split(&files(&[5, 5]), 4), vec![0..1, 1..2]);
        assert_eq!(split(&[], 4), vec![0..0]);
        // A big file first takes a slice of its own.
        assert_eq!(split(&files(&[100, 1, 1, 1]), 2), vec![0..1, 1..4]);
        // Empty objects still count, so every slice gets at least one.
        let r = split(&files(&[0, 0, 0, 0, 0]), 5);
        assert_eq!(r.len(), 5);
        for n in 1..9 {
            let f = files(&[3, 1, 4, 1, 5, 9, 2, 6]);
            let r = split(&f, n);
            assert_eq!(r.len(), n.min(8));
            assert_eq!(r[0].start, 0);
            assert_eq!(r.last().map(|r| r.end), Some(8));
            assert!(r.windows(2).all(|w| w[0].end == w[1].start));
            assert!(r.iter().all(|r| !r.is_empty()));
        }
    }

    #[test]
    fn a_plan_keeps_the_listing_order_and_modification_times() {
        let mut f = files(&[1, 2, 3]);
        f[1].last_modified = Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1234));
        let p = ShardPlan::new("s3://b/e", &f, 2);
        let back: Vec<ObjectMeta> = p.shards.iter().flatten().map(ObjectMeta::from).collect();
        assert_eq!(back, f);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<ShardPlan>(&json).unwrap(), p);
    }
}
