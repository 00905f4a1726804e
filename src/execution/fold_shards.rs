//! A window folded in shards (`executor: {shards: N}`, local or Ray), for a monitor whose
//! window is a fold of per-object states (the data-quality profile): the listing is split
//! into N contiguous slices, each slice folded on its own — here, or as a Ray job running
//! `driftwatch shard` — into **one state per object**, and the coordinator consumes every
//! object's state in listing order, exactly as the one-process fold does.
//!
//! A shard hands back its objects' states rather than their merge because merging is not
//! associative for every state (a KLL sketch compacts differently when merged in another
//! grouping): with the objects' states the coordinator merges `((o1 + o2) + o3) + …` whatever
//! the shards, so the output is byte for byte the unsharded one.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::capture_window::Fold;
use super::error::ExecutionError;
use super::shards::{PLAN_FILE, PlannedShard, RunId};
use crate::aws::AwsClients;
use crate::capture::read::{
    CaptureListing, CaptureRead, CapturedEvent, Decoder, ObjectState, Objects, fold_capture,
};
use crate::capture::shard::ShardPlan;
use crate::config::Schedule;
use crate::config::executor::ExecutorKind;
use crate::schedule::window::Window;
use crate::store::{ObjectMeta, Store};

/// Bumped when a fold state's layout changes.
const FOLD_FORMAT: u32 = 1;

/// What a fold shard hands back: its read's counts and each of its objects' states.
#[derive(Debug, Serialize, Deserialize)]
struct FoldState<T> {
    format: u32,
    shard: usize,
    read: CaptureRead,
    objects: Vec<T>,
}

fn refused(shard: usize, of: usize, reason: String) -> ExecutionError {
    ExecutionError::Shard {
        shard,
        of,
        reason,
        transient: false,
    }
}

fn decode_state<T: DeserializeOwned>(
    bytes: &[u8],
    k: usize,
    of: usize,
) -> Result<FoldState<T>, ExecutionError> {
    let state: FoldState<T> = serde_json::from_slice(bytes)
        .map_err(|e| refused(k, of, format!("its state is not readable: {e}")))?;
    if state.format != FOLD_FORMAT || state.shard != k {
        return Err(refused(
            k,
            of,
            format!(
                "the shard's state is format {} for shard {}, expected format {FOLD_FORMAT} for shard {k} (a worker running another driftwatch version?)",
                state.format, state.shard
            ),
        ));
    }
    Ok(state)
}

/// The functions one object's fold is made of, shareable across the parsing threads.
pub(super) struct ObjectFold<B, E> {
    start: Arc<B>,
    event: Arc<E>,
}

impl<B, E> Clone for ObjectFold<B, E> {
    fn clone(&self) -> Self {
        Self {
            start: self.start.clone(),
            event: self.event.clone(),
        }
    }
}

impl<T, B, E> ObjectFold<B, E>
where
    T: ObjectState,
    B: Fn(&str) -> T + Send + Sync + 'static,
    E: Fn(&mut T, CapturedEvent) + Send + Sync + 'static,
{
    pub fn new(start: B, event: E) -> Self {
        Self {
            start: Arc::new(start),
            event: Arc::new(event),
        }
    }

    /// Folds the objects of one slice: their read and one state per object, in order.
    async fn slice(
        &self,
        store: &Store,
        slice: &CaptureListing,
        window: Window,
        decoder: Arc<Decoder>,
    ) -> Result<(CaptureRead, Vec<T>), ExecutionError> {
        let (start, event) = (self.start.clone(), self.event.clone());
        let mut objects = Vec::new();
        let read = fold_capture(
            store,
            slice,
            window,
            decoder,
            move |key: &str| start(key),
            move |t: &mut T, e| event(t, e),
            |t| objects.push(t),
        )
        .await
        .map_err(ExecutionError::Capture)?;
        Ok((read, objects))
    }
}

fn slice_listing(prefix: &str, objects: Vec<ObjectMeta>) -> CaptureListing {
    CaptureListing {
        files: objects,
        objects: Objects::Capture,
        prefix: prefix.to_string(),
        seconds: 0.0,
    }
}

/// Where a sharded fold runs, and on what.
pub(super) struct FoldSharding<'a> {
    pub schedule: &'a Schedule,
    pub t: DateTime<Utc>,
    pub window: Window,
    pub store: &'a Store,
    pub listing: &'a CaptureListing,
    pub decoder: Arc<Decoder>,
    pub clients: &'a AwsClients,
}

impl FoldSharding<'_> {
    /// Folds the listing in the schedule's shards; `consume` gets every object's state in
    /// listing order. Returns the merged read.
    pub async fn fold<T, B, E, C>(&self, fold: Fold<B, E, C>) -> Result<CaptureRead, ExecutionError>
    where
        T: Serialize + DeserializeOwned + ObjectState,
        B: Fn(&str) -> T + Send + Sync + 'static,
        E: Fn(&mut T, CapturedEvent) + Send + Sync + 'static,
        C: FnMut(T),
    {
        let Fold {
            start,
            event,
            mut consume,
        } = fold;
        let plan = ShardPlan::new(
            &self.listing.prefix,
            &self.listing.files,
            self.schedule.executor.shards,
        );
        let of = plan.shards.len();
        let mut read = CaptureRead {
            prefix: self.listing.prefix.clone(),
            list_seconds: self.listing.seconds,
            ..Default::default()
        };
        let mut take = |state: FoldState<T>| {
            read.absorb(state.read);
            state.objects.into_iter().for_each(&mut consume);
        };
        match &self.schedule.executor.kind {
            ExecutorKind::Local => {
                let object = ObjectFold::new(start, event);
                for (k, planned) in plan.shards.iter().enumerate() {
                    let slice =
                        slice_listing(&plan.prefix, planned.iter().map(ObjectMeta::from).collect());
                    let (r, objects) = object
                        .slice(self.store, &slice, self.window, self.decoder.clone())
                        .await?;
                    // Through the wire form, as a worker's state comes back.
                    let state = FoldState {
                        format: FOLD_FORMAT,
                        shard: k,
                        read: r,
                        objects,
                    };
                    let wire = serde_json::to_vec(&state).map_err(|e| {
                        refused(k, of, format!("its state is not writable as JSON: {e}"))
                    })?;
                    take(decode_state(&wire, k, of)?);
                }
            }
            ExecutorKind::Ray(ray) => {
                let plan_bytes = serde_json::to_vec(&plan).map_err(|e| {
                    refused(
                        0,
                        of,
                        format!("the shard plan could not be written as JSON: {e}"),
                    )
                })?;
                let states = super::ray_shards::dispatch(
                    self.schedule,
                    self.t,
                    ray,
                    of,
                    vec![(PLAN_FILE.to_string(), plan_bytes)],
                    self.clients,
                )
                .await?;
                let mut read_all = async || {
                    for k in 0..of {
                        take(decode_state(&states.take(k).await?, k, of)?);
                    }
                    Ok::<_, ExecutionError>(())
                };
                let done = read_all().await;
                // The jobs' files go whether reading them worked or not.
                states.clean_up().await;
                done?;
            }
        }
        Ok(read)
    }
}

/// A worker's share of a sharded fold (`driftwatch shard`): its slice of the coordinator's
/// plan folded object by object, the states written beside the plan. Returns the number of
/// shards, the events folded and where the state went.
pub(super) async fn fold_worker<T, B, E>(
    schedule: &Schedule,
    t: DateTime<Utc>,
    run: &RunId,
    k: usize,
    clients: &AwsClients,
    decoder: Decoder,
    object: ObjectFold<B, E>,
) -> Result<(usize, usize, String), ExecutionError>
where
    T: Serialize + ObjectState,
    B: Fn(&str) -> T + Send + Sync + 'static,
    E: Fn(&mut T, CapturedEvent) + Send + Sync + 'static,
{
    let PlannedShard {
        window,
        folder,
        prefix,
        of,
        objects,
    } = PlannedShard::read(schedule, t, run, k, clients).await?;
    let slice = slice_listing(&prefix, objects);
    let store = Store::open(&schedule.data_capture, clients).await;
    let (read, objects) = object
        .slice(&store, &slice, window, Arc::new(decoder))
        .await?;
    let events = read.event_count;
    let state = FoldState {
        format: FOLD_FORMAT,
        shard: k,
        read,
        objects,
    };
    let at = folder.write_state(&state, of).await?;
    Ok((of, events, at))
}
