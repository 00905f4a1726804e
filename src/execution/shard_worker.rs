//! One shard of a sharded execution, run where the coordinator sent it (`driftwatch
//! shard`, a Ray job): read the plan the coordinator wrote beside the execution's outputs,
//! reduce this shard's slice of the capture against the whole ground truth, write the state
//! for the coordinator to merge. Nothing else is written: the execution's outputs and record
//! are the coordinator's.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::bias_window::prepare;
use super::error::ExecutionError;
use super::shards::{PLAN_FILE, ShardInputs, shard_dir, state_file};
use crate::aws::AwsClients;
use crate::capture::shard::{SHARD_FORMAT, ShardPlan};
use crate::capture::truth::SeqSet;
use crate::config::{Monitor, Purpose, Schedule};
use crate::monitor::inputs::analysis_config;
use crate::monitor::write::WriteError;
use crate::sagemaker::FailureClass;
use crate::store::{ObjectMeta, ObjectStore, Store, join_key};

/// What a shard did, for its log.
#[derive(Debug, Clone, PartialEq)]
pub struct ShardDone {
    pub shard: usize,
    pub of: usize,
    /// What it read and reduced, in words.
    pub summary: String,
    /// Where its state went.
    pub state: String,
}

/// Runs shard `k` of the coordinator's run `run` of `schedule` at `t`.
pub async fn run_shard(
    schedule: &Schedule,
    t: DateTime<Utc>,
    run: &str,
    k: usize,
    clients: &AwsClients,
) -> Result<ShardDone, ExecutionError> {
    let ground_truth = match &schedule.monitor {
        Monitor::Bias { ground_truth } => ground_truth,
        Monitor::Explainability => {
            let (of, rows, state) =
                super::explain_shards::run_worker(schedule, t, run, k, clients).await?;
            return Ok(ShardDone {
                shard: k,
                of,
                summary: format!("{rows} rows explained"),
                state,
            });
        }
    };
    let window = schedule.window.window_at(t).ok_or_else(|| {
        ExecutionError::Input(format!(
            "the window of {} lies outside the calendar",
            crate::sagemaker::time::format_utc(t)
        ))
    })?;
    let out = Store::open(&schedule.output, clients).await;
    let dir = shard_dir(&schedule.output_folder(t), run);
    let plan_key = join_key(&dir, PLAN_FILE);
    let refused = |of: usize, reason: String, transient: bool| ExecutionError::Shard {
        shard: k,
        of,
        reason,
        transient,
    };
    let bytes = out.get(&plan_key).await.map_err(|e| {
        refused(
            0,
            format!("reading the shard plan: {e}"),
            e.class() == FailureClass::Transient && !e.is_not_found(),
        )
    })?;
    let plan: ShardPlan = serde_json::from_slice(&bytes).map_err(|e| {
        refused(
            0,
            format!(
                "the shard plan {} is not readable: {e}",
                out.describe(&plan_key)
            ),
            false,
        )
    })?;
    let of = plan.shards.len();
    if plan.format != SHARD_FORMAT {
        return Err(refused(
            of,
            format!(
                "the shard plan is format {}, this driftwatch reads format {SHARD_FORMAT} (the coordinator runs another version)",
                plan.format
            ),
            false,
        ));
    }
    let objects: Vec<ObjectMeta> = plan
        .shards
        .get(k)
        .ok_or_else(|| refused(of, format!("the plan has only {of} shards"), false))?
        .iter()
        .map(ObjectMeta::from)
        .collect();
    let cfg = analysis_config(&schedule.analysis_config, Purpose::BiasMonitor, clients).await?;
    let (decoder, reduce_plan) = prepare(schedule, &cfg)?;
    let store = Store::open(&schedule.data_capture, clients).await;
    let truth_store = Store::open(ground_truth, clients).await;
    let inputs = ShardInputs {
        store: &store,
        truth_store: &truth_store,
        prefix: &plan.prefix,
        window,
        t,
        cfg: &cfg,
        decoder: Arc::new(decoder),
        plan: Arc::new(reduce_plan),
    };
    let outcome = inputs.compute(k, of, &objects, SeqSet::default()).await?;
    let events = outcome.read.event_count;
    let wire = serde_json::to_vec(&outcome).map_err(|e| {
        refused(
            of,
            format!("its state could not be written as JSON: {e}"),
            false,
        )
    })?;
    let key = join_key(&dir, &state_file(k));
    out.put(&key, wire).await.map_err(|source| {
        ExecutionError::Write(WriteError {
            action: "writing",
            file: "_shards/{k}.json",
            source,
        })
    })?;
    Ok(ShardDone {
        shard: k,
        of,
        summary: format!("{events} captured events from {} objects", objects.len()),
        state: out.describe(&key),
    })
}
