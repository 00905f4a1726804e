//! A bias window reduced in shards (`executor: {shards: N}`) and merged into exactly what
//! one reader would have produced.
//!
//! Each shard is computed the way a worker on another machine would: it reads the ground
//! truth itself, reduces only its slice of the coordinator's listing, and hands back a
//! [`ShardOutcome`] that goes through its wire form (JSON), so the local executor exercises
//! the same serialisation a distributed one depends on. The coordinator checks each shard's
//! ground truth against its own read, claims each shard's ids in listing order on its own
//! index, and re-reduces a shard that claimed an id an earlier shard already had (an
//! inference id captured in two slices) with those ids taken — as the single reader would
//! have left that event unmatched.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::bias_window::read_truth;
use super::error::ExecutionError;
use crate::capture::read::{CaptureListing, CaptureRead, CaptureReduced, Decoder, reduce_capture};
use crate::capture::reduce::{BiasPartial, ReducePlan};
use crate::capture::shard::{SHARD_FORMAT, ShardOutcome, ShardPlan, TruthFingerprint};
use crate::capture::truth::{SeqSet, TruthIndex};
use crate::config::analysis::AnalysisConfig;
use crate::schedule::window::Window;
use crate::store::{ObjectMeta, Store};

/// What every shard of one bias execution shares.
pub(super) struct Sharding<'a> {
    pub store: &'a Store,
    pub truth_store: &'a Store,
    pub listing: &'a CaptureListing,
    pub window: Window,
    pub t: DateTime<Utc>,
    pub cfg: &'a AnalysisConfig,
    pub decoder: Arc<Decoder>,
    pub plan: Arc<ReducePlan>,
    /// The coordinator's own ground-truth read.
    pub expected: TruthFingerprint,
}

impl Sharding<'_> {
    /// Reduces the window in `shards` slices and merges them; `index` is the coordinator's
    /// ground truth, on which every merged claim is made.
    pub async fn reduce(
        &self,
        index: &TruthIndex,
        shards: usize,
    ) -> Result<CaptureReduced, ExecutionError> {
        let plan = ShardPlan::new(&self.listing.prefix, &self.listing.files, shards);
        let of = plan.shards.len();
        let mut merged = CaptureReduced {
            read: CaptureRead {
                prefix: self.listing.prefix.clone(),
                list_seconds: self.listing.seconds,
                ..Default::default()
            },
            partial: BiasPartial::new(&self.plan),
        };
        for (k, planned) in plan.shards.iter().enumerate() {
            let objects: Vec<ObjectMeta> = planned.iter().map(ObjectMeta::from).collect();
            let outcome = self.shard(k, of, &objects, SeqSet::default()).await?;
            let refused = |reason: String, transient: bool| ExecutionError::Shard {
                shard: k,
                of,
                reason,
                transient,
            };
            if outcome.format != SHARD_FORMAT || outcome.shard != k {
                return Err(refused(
                    format!(
                        "the shard's state is format {} for shard {}, expected format {SHARD_FORMAT} for shard {k} (a worker running another driftwatch version?)",
                        outcome.format, outcome.shard
                    ),
                    false,
                ));
            }
            if outcome.truth != self.expected {
                return Err(refused(
                    format!(
                        "the ground truth changed while the shards read it ({:?} vs {:?} at the coordinator); running again reads it whole",
                        outcome.truth, self.expected
                    ),
                    true,
                ));
            }
            let conflicts = index.claim(&outcome.claims);
            let outcome = if conflicts.is_empty() {
                outcome
            } else {
                tracing::debug!(
                    shard = k,
                    ids = conflicts.len(),
                    "ids claimed by an earlier shard: reducing the shard again without them"
                );
                let again = self
                    .shard(k, of, &objects, conflicts.into_iter().collect())
                    .await?;
                let left = index.claim(&again.claims);
                if !left.is_empty() {
                    return Err(refused(
                        format!(
                            "{} ground-truth ids are still claimed twice after re-reducing the shard",
                            left.len()
                        ),
                        false,
                    ));
                }
                again
            };
            merged.read.absorb(outcome.read);
            merged.partial.absorb(outcome.partial);
        }
        Ok(merged)
    }

    /// One shard, computed as a worker would: its own ground-truth read, its slice of the
    /// listing, its state through the wire form.
    async fn shard(
        &self,
        k: usize,
        of: usize,
        objects: &[ObjectMeta],
        taken: SeqSet,
    ) -> Result<ShardOutcome, ExecutionError> {
        let truth = read_truth(self.truth_store, self.window, self.t, self.cfg).await?;
        let fingerprint = TruthFingerprint::of(&truth.index, truth.files);
        let slice = CaptureListing {
            files: objects.to_vec(),
            prefix: self.listing.prefix.clone(),
            seconds: 0.0,
        };
        let index = Arc::new(truth.index);
        let reduced = reduce_capture(
            self.store,
            &slice,
            self.window,
            self.decoder.clone(),
            index.clone(),
            self.plan.clone(),
            taken,
        )
        .await
        .map_err(ExecutionError::Capture)?;
        let outcome = ShardOutcome {
            format: SHARD_FORMAT,
            shard: k,
            truth: fingerprint,
            read: reduced.read,
            partial: reduced.partial,
            claims: index.claimed_seqs(),
        };
        let wire = serde_json::to_vec(&outcome).map_err(|e| wire_error(k, of, e))?;
        serde_json::from_slice(&wire).map_err(|e| wire_error(k, of, e))
    }
}

fn wire_error(k: usize, of: usize, e: serde_json::Error) -> ExecutionError {
    ExecutionError::Shard {
        shard: k,
        of,
        reason: format!("its state does not round-trip through JSON: {e}"),
        transient: false,
    }
}
