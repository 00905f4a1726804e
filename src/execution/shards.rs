//! A bias window reduced in shards (`executor: {shards: N}`) and merged into exactly what
//! one reader would have produced.
//!
//! Each shard is computed the way a worker on another machine computes it: it reads the
//! ground truth itself, reduces only its slice of the coordinator's listing, and hands back a
//! [`ShardOutcome`] in its wire form (JSON). With `type: local` the shards run here, one after
//! another, their state still going through JSON; with `type: ray` each is a Ray job running
//! `driftwatch shard` ([`super::shard_worker`], dispatched by [`super::ray_shards`]), its state
//! an object in the output store. The merge is the same for both: the coordinator checks each
//! shard's ground truth against its own read, claims each shard's ids in listing order on its
//! own index, and re-reduces (here) a shard that claimed an id an earlier shard already had
//! (an inference id captured in two slices) with those ids taken — as the single reader would
//! have left that event unmatched.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::bias_window::read_truth;
use super::error::ExecutionError;
use crate::aws::AwsClients;
use crate::capture::read::{
    CaptureListing, CaptureRead, CaptureReduced, Decoder, Objects, reduce_capture,
};
use crate::capture::reduce::{BiasPartial, ReducePlan};
use crate::capture::shard::{SHARD_FORMAT, ShardOutcome, ShardPlan, TruthFingerprint};
use crate::capture::truth::{SeqSet, TruthIndex};
use crate::config::Schedule;
use crate::config::analysis::AnalysisConfig;
use crate::config::executor::ExecutorKind;
use crate::monitor::write::WriteError;
use crate::sagemaker::FailureClass;
use crate::schedule::window::Window;
use crate::store::{ObjectMeta, ObjectStore, Store, join_key};

/// The name of one coordinator attempt's shards: unique per attempt, so a late worker of an
/// earlier attempt cannot mix its state into a later one. It becomes a folder name
/// (`_shards/{run}`), and `driftwatch shard --run` takes it from the command line, so it is
/// 1–64 letters, digits, `-` or `_`: nothing that could climb out of the execution's folder
/// (regression: `--run ../../elsewhere` read a plan and wrote a state outside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunId(String);

impl RunId {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() || s.len() > 64 {
            return Err(format!(
                "a run name is 1 to 64 characters long, got {} ({s:?})",
                s.len()
            ));
        }
        match s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            Some(c) => Err(format!(
                "a run name may contain only letters, digits, '-' and '_' (it names a folder inside the execution's), found {c:?} in {s:?}"
            )),
            None => Ok(Self(s.to_string())),
        }
    }

    /// A new name for this coordinator attempt: the time in nanoseconds and the process id.
    pub(super) fn fresh() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Self(format!("{nanos:x}{:x}", std::process::id()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The folder of one sharded run's plan and states, inside the execution's output folder.
pub(super) fn shard_dir(folder: &str, run: &RunId) -> String {
    join_key(folder, &format!("_shards/{}", run.as_str()))
}

pub(super) const PLAN_FILE: &str = "plan.json";

pub(super) fn state_file(k: usize) -> String {
    format!("{k}.json")
}

/// A run's shard folder as the worker of shard `k` sees it: the coordinator's inputs to read,
/// its own state to write. Errors name the shard; `of` is 0 until the plan said how many.
pub(super) struct ShardFolder {
    out: Store,
    dir: String,
    k: usize,
}

impl ShardFolder {
    pub async fn open(
        schedule: &Schedule,
        t: DateTime<Utc>,
        run: &RunId,
        k: usize,
        clients: &AwsClients,
    ) -> Self {
        Self {
            out: Store::open(&schedule.output, clients).await,
            dir: shard_dir(&schedule.output_folder(t), run),
            k,
        }
    }

    fn refused(&self, of: usize, reason: String, transient: bool) -> ExecutionError {
        ExecutionError::Shard {
            shard: self.k,
            of,
            reason,
            transient,
        }
    }

    /// Reads and parses the input `name` the coordinator wrote.
    pub async fn read<T: DeserializeOwned>(
        &self,
        name: &str,
        of: usize,
    ) -> Result<T, ExecutionError> {
        let key = join_key(&self.dir, name);
        let bytes = self.out.get(&key).await.map_err(|e| {
            self.refused(
                of,
                format!("reading {}: {e}", self.out.describe(&key)),
                e.class() == FailureClass::Transient && !e.is_not_found(),
            )
        })?;
        serde_json::from_slice(&bytes).map_err(|e| {
            self.refused(
                of,
                format!("{} is not readable: {e}", self.out.describe(&key)),
                false,
            )
        })
    }

    /// Refuses a plan of another format version (a coordinator running another build).
    pub fn check_format(&self, found: u32, expected: u32, of: usize) -> Result<(), ExecutionError> {
        if found == expected {
            return Ok(());
        }
        Err(self.refused(
            of,
            format!(
                "the shard plan is format {found}, this driftwatch reads format {expected} (the coordinator runs another version)"
            ),
            false,
        ))
    }

    /// Writes this shard's state for the coordinator; returns where it went.
    pub async fn write_state<T: Serialize>(
        &self,
        state: &T,
        of: usize,
    ) -> Result<String, ExecutionError> {
        let wire = serde_json::to_vec(state).map_err(|e| {
            self.refused(
                of,
                format!("its state could not be written as JSON: {e}"),
                false,
            )
        })?;
        let key = join_key(&self.dir, &state_file(self.k));
        self.out.put(&key, wire).await.map_err(|source| {
            ExecutionError::Write(WriteError {
                action: "writing",
                file: "a shard state (_shards/…)",
                source,
            })
        })?;
        Ok(self.out.describe(&key))
    }
}

/// A worker's shard as the coordinator planned it: its window, the run's shard folder, the
/// listing's prefix, how many shards there are, and this shard's slice of the listing.
pub(super) struct PlannedShard {
    pub window: Window,
    pub folder: ShardFolder,
    pub prefix: String,
    pub of: usize,
    pub objects: Vec<ObjectMeta>,
}

impl PlannedShard {
    /// Reads shard `k`'s part of the plan of run `run` of `schedule` at `t`.
    pub async fn read(
        schedule: &Schedule,
        t: DateTime<Utc>,
        run: &RunId,
        k: usize,
        clients: &AwsClients,
    ) -> Result<Self, ExecutionError> {
        let window = schedule.window.window_at(t).ok_or_else(|| {
            ExecutionError::Input(format!(
                "the window of {} lies outside the calendar",
                crate::sagemaker::time::format_utc(t)
            ))
        })?;
        let folder = ShardFolder::open(schedule, t, run, k, clients).await;
        let plan: ShardPlan = folder.read(PLAN_FILE, 0).await?;
        let of = plan.shards.len();
        folder.check_format(plan.format, SHARD_FORMAT, of)?;
        let objects = plan
            .shards
            .get(k)
            .ok_or_else(|| folder.refused(of, format!("the plan has only {of} shards"), false))?
            .iter()
            .map(ObjectMeta::from)
            .collect();
        Ok(Self {
            window,
            folder,
            prefix: plan.prefix,
            of,
            objects,
        })
    }
}

/// What computing any shard needs, in the coordinator and in a worker alike.
pub(super) struct ShardInputs<'a> {
    pub store: &'a Store,
    pub truth_store: &'a Store,
    /// The listing's `s3://…/{endpoint}[/{variant}]`, for messages.
    pub prefix: &'a str,
    pub window: Window,
    pub t: DateTime<Utc>,
    pub cfg: &'a AnalysisConfig,
    pub decoder: Arc<Decoder>,
    pub plan: Arc<ReducePlan>,
}

impl ShardInputs<'_> {
    /// One shard: its own ground-truth read, its slice of the listing, its state through the
    /// wire form.
    pub async fn compute(
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
            objects: Objects::Capture,
            prefix: self.prefix.to_string(),
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
        decode_outcome(&wire, k, of)
    }
}

/// A shard's state from its wire form.
pub(super) fn decode_outcome(
    bytes: &[u8],
    k: usize,
    of: usize,
) -> Result<ShardOutcome, ExecutionError> {
    serde_json::from_slice(bytes).map_err(|e| wire_error(k, of, e))
}

/// The coordinator of one sharded bias execution.
pub(super) struct Sharding<'a> {
    pub schedule: &'a Schedule,
    pub clients: &'a AwsClients,
    pub inputs: ShardInputs<'a>,
    pub listing: &'a CaptureListing,
    /// The coordinator's own ground-truth read.
    pub expected: TruthFingerprint,
}

impl Sharding<'_> {
    /// Reduces the window in the schedule's shards and merges them; `index` is the
    /// coordinator's ground truth, on which every merged claim is made.
    pub async fn reduce(&self, index: &TruthIndex) -> Result<CaptureReduced, ExecutionError> {
        let executor = &self.schedule.executor;
        let plan = ShardPlan::new(&self.listing.prefix, &self.listing.files, executor.shards);
        let of = plan.shards.len();
        let slices: Vec<Vec<ObjectMeta>> = plan
            .shards
            .iter()
            .map(|s| s.iter().map(ObjectMeta::from).collect())
            .collect();
        let remote = match &executor.kind {
            ExecutorKind::Local => None,
            ExecutorKind::Ray(ray) => {
                let plan_bytes = serde_json::to_vec(&plan).map_err(|e| ExecutionError::Shard {
                    shard: 0,
                    of,
                    reason: format!("the shard plan could not be written as JSON: {e}"),
                    transient: false,
                })?;
                Some(
                    super::ray_shards::dispatch(
                        self.schedule,
                        self.inputs.t,
                        ray,
                        of,
                        vec![(PLAN_FILE.to_string(), plan_bytes)],
                        self.clients,
                    )
                    .await?,
                )
            }
        };
        let mut merged = CaptureReduced {
            read: CaptureRead {
                prefix: self.listing.prefix.clone(),
                list_seconds: self.listing.seconds,
                ..Default::default()
            },
            partial: BiasPartial::new(&self.inputs.plan),
        };
        let merging = async {
            for (k, objects) in slices.iter().enumerate() {
                let outcome = match remote.as_ref() {
                    Some(states) => decode_outcome(&states.take(k).await?, k, of)?,
                    None => {
                        self.inputs
                            .compute(k, of, objects, SeqSet::default())
                            .await?
                    }
                };
                let outcome = self.admit(index, outcome, k, of, objects).await?;
                merged.read.absorb(outcome.read);
                merged.partial.absorb(outcome.partial);
            }
            Ok::<_, ExecutionError>(())
        }
        .await;
        // The jobs' files go whether the merge worked or not.
        if let Some(states) = remote {
            states.clean_up().await;
        }
        merging.map(|()| merged)
    }

    /// Checks a shard's state and claims its ids; a shard whose ids an earlier shard already
    /// claimed is reduced again here, without them.
    async fn admit(
        &self,
        index: &TruthIndex,
        outcome: ShardOutcome,
        k: usize,
        of: usize,
        objects: &[ObjectMeta],
    ) -> Result<ShardOutcome, ExecutionError> {
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
        if conflicts.is_empty() {
            return Ok(outcome);
        }
        tracing::debug!(
            shard = k,
            ids = conflicts.len(),
            "ids claimed by an earlier shard: reducing the shard again without them"
        );
        let again = self
            .inputs
            .compute(k, of, objects, conflicts.into_iter().collect())
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
        Ok(again)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_names_cannot_leave_the_execution_folder() {
        let long = "a".repeat(65);
        for bad in [
            "",
            ".",
            "..",
            "../../elsewhere",
            "a/b",
            "a\\b",
            "x y",
            "é",
            &long,
        ] {
            assert!(RunId::parse(bad).is_err(), "{bad:?}");
        }
        let longest = "a".repeat(64);
        for ok in ["18c3f2a9b1d0e4f25a1", "run_1-b", &longest] {
            assert_eq!(RunId::parse(ok).unwrap().as_str(), ok);
        }
        let fresh = RunId::fresh();
        assert_eq!(RunId::parse(fresh.as_str()), Ok(fresh.clone()));
        assert_eq!(
            shard_dir("ep/s/2024/01/19/12", &fresh),
            format!("ep/s/2024/01/19/12/_shards/{}", fresh.as_str())
        );
    }
}
