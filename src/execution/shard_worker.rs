//! One shard of a sharded execution, run where the coordinator sent it (`driftwatch
//! shard`, a Ray job): read the plan the coordinator wrote beside the execution's outputs,
//! reduce this shard's slice of the capture against the whole ground truth, write the state
//! for the coordinator to merge. Nothing else is written: the execution's outputs and record
//! are the coordinator's.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::bias_window::prepare;
use super::error::ExecutionError;
use super::shards::{PlannedShard, ShardInputs};
use crate::aws::AwsClients;
use crate::capture::truth::SeqSet;
use crate::config::{Monitor, Purpose, Schedule};
use crate::monitor::inputs::analysis_config;
use crate::store::Store;

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
    run: &super::shards::RunId,
    k: usize,
    clients: &AwsClients,
) -> Result<ShardDone, ExecutionError> {
    let ground_truth = match &schedule.monitor {
        Monitor::Bias { ground_truth, .. } => ground_truth,
        Monitor::ModelQuality { .. } => {
            let (of, events, state) =
                super::model_quality::run_worker(schedule, t, run, k, clients).await?;
            return Ok(ShardDone {
                shard: k,
                of,
                summary: format!("{events} captured events merged with ground truth"),
                state,
            });
        }
        Monitor::DataQuality { .. } => {
            let (of, events, state) =
                super::data_quality::run_worker(schedule, t, run, k, clients).await?;
            return Ok(ShardDone {
                shard: k,
                of,
                summary: format!("{events} captured events profiled"),
                state,
            });
        }
        Monitor::Explainability { .. } => {
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
    let PlannedShard {
        window,
        folder,
        prefix,
        of,
        objects,
    } = PlannedShard::read(schedule, t, run, k, clients).await?;
    let (config, _) = super::clarify::config_ref(schedule)?;
    let cfg = analysis_config(config, Purpose::BiasMonitor, clients).await?;
    let (decoder, reduce_plan) = prepare(schedule, &cfg)?;
    let store = Store::open(&schedule.data_capture, clients).await;
    let truth_store = Store::open(ground_truth, clients).await;
    let inputs = ShardInputs {
        store: &store,
        truth_store: &truth_store,
        prefix: &prefix,
        window,
        t,
        cfg: &cfg,
        decoder: Arc::new(decoder),
        plan: Arc::new(reduce_plan),
    };
    let outcome = inputs.compute(k, of, &objects, SeqSet::default()).await?;
    let events = outcome.read.event_count;
    let state = folder.write_state(&outcome, of).await?;
    Ok(ShardDone {
        shard: k,
        of,
        summary: format!("{events} captured events from {} objects", objects.len()),
        state,
    })
}
