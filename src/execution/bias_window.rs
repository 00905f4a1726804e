//! The data of a `model_bias` execution: the window's capture and the ground truth collected
//! up to T, merged by id into the frame the bias monitor analyses.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use polars::prelude::DataFrame;

use super::batch_listing::BatchListing;
use super::capture_window::{Listed, features_path, list_window, no_capture, output_locators};
use super::error::ExecutionError;
use super::shards::{ShardInputs, Sharding};
use super::trace::Trace;
use crate::aws::AwsClients;
use crate::bias::engine::PredictionSource;
use crate::capture::frame::{FrameSpec, PREDICTION_COLUMN, build_frame};
use crate::capture::payload::JsonPath;
use crate::capture::read::{
    CaptureRead, CaptureReduced, Decoder, GroundTruthRead, read_ground_truth, reduce_capture,
};
use crate::capture::reduce::{BiasPartial, ReducePlan};
use crate::capture::shard::TruthFingerprint;
use crate::capture::truth::SeqSet;
use crate::capture::truth::TruthIndex;
use crate::config::analysis::{AnalysisConfig, ColumnRef};
use crate::config::{Location, Schedule};
use crate::sagemaker::time::format_utc;
use crate::schedule::window::Window;
use crate::store::{ObjectStore, Store};

/// Joins and reduces every group of a batch listing in turn, as one reduction: ids claimed
/// by an earlier group's records are taken for the later groups too (the index is shared).
async fn reduce_batch(
    batch: BatchListing,
    window: Window,
    decoder: Arc<Decoder>,
    index: Arc<TruthIndex>,
    plan: Arc<ReducePlan>,
) -> Result<CaptureReduced, ExecutionError> {
    let mut read = CaptureRead {
        prefix: batch.prefix.clone(),
        malformed: batch.malformed,
        ..Default::default()
    };
    let mut partial = BiasPartial::new(&plan);
    for g in batch.groups {
        let r = reduce_capture(
            &g.store,
            &g.listing,
            window,
            decoder.clone(),
            index.clone(),
            plan.clone(),
            SeqSet::default(),
        )
        .await
        .map_err(ExecutionError::Capture)?;
        read.absorb(r.read);
        partial.absorb(r.partial);
    }
    Ok(CaptureReduced { read, partial })
}

/// What the bias monitor runs on.
pub struct BiasData {
    pub frame: DataFrame,
    /// How many records each row stands for (identical rows are counted once), unless FT
    /// needs a row per record.
    pub weights: Option<Vec<u64>>,
    /// The analysis config as the engine reads the frame (label by column name, predictions
    /// from [`PREDICTION_COLUMN`]).
    pub config: AnalysisConfig,
    pub predictions: PredictionSource,
}

fn decoder(schedule: &Schedule, spec: &FrameSpec) -> Result<Decoder, ExecutionError> {
    Ok(Decoder {
        features: features_path(schedule)?,
        outputs: output_locators(schedule)?,
        expected_features: spec.features.as_ref().map(Vec::len),
        threshold: spec.threshold,
        ignore_output: false,
        select: schedule.select().cloned(),
        rows: Default::default(),
    })
}

/// The JMESPath that finds labels in JSON ground truth: the config's `label` when it is one.
fn label_path(cfg: &AnalysisConfig) -> Option<Arc<JsonPath>> {
    match &cfg.label {
        Some(ColumnRef::Name(n)) => JsonPath::compile(n).ok().map(Arc::new),
        _ => None,
    }
}

/// The ground truth collected from the window's start up to T.
pub(super) async fn read_truth(
    truth_store: &Store,
    window: Window,
    t: DateTime<Utc>,
    cfg: &AnalysisConfig,
) -> Result<GroundTruthRead, ExecutionError> {
    Ok(read_ground_truth(truth_store, window.start, t, label_path(cfg)).await?)
}

/// How capture lines are decoded and what of each record the reduction keeps: the same in
/// the coordinator and in every shard worker.
pub(super) fn prepare(
    schedule: &Schedule,
    cfg: &AnalysisConfig,
) -> Result<(Decoder, ReducePlan), ExecutionError> {
    let spec = FrameSpec::new(
        cfg,
        schedule
            .endpoint_input
            .exclude_features_attribute
            .as_deref(),
        schedule.endpoint_input.probability_threshold_attribute,
    )
    .map_err(ExecutionError::Input)?;
    let decoder = decoder(schedule, &spec)?;
    Ok((decoder, ReducePlan::new(spec, cfg)))
}

/// Reads the window's ground truth, then streams its capture through the join and the
/// reduction (`capture::reduce`) into the analysis frame: memory follows the ground truth's ids
/// and the distinct rows the analysis reads, not the captured bytes.
pub async fn gather(
    schedule: &Schedule,
    t: DateTime<Utc>,
    window: Window,
    ground_truth: &Location,
    cfg: &AnalysisConfig,
    clients: &AwsClients,
    trace: &mut Trace,
) -> Result<BiasData, ExecutionError> {
    let (decoder, plan) = prepare(schedule, cfg)?;
    trace.lap("config");
    let capture = list_window(schedule, window, decoder.expected_features, clients).await?;
    if capture.is_empty() {
        if let Listed::Batch(b) = &capture {
            trace.malformed.extend(b.malformed.clone());
            trace.counts.capture_malformed += b.malformed.count;
        }
        return Err(no_capture(capture.prefix(), window, trace));
    }
    let range = format!("[{}, {})", format_utc(window.start), format_utc(window.end));

    let truth_store = Store::open(ground_truth, clients).await;
    let truth = read_truth(&truth_store, window, t, cfg).await?;
    trace.counts.ground_truth_files = truth.files;
    trace.counts.ground_truth_records = truth.index.records;
    trace.counts.ground_truth_malformed = truth.malformed.count;
    trace.lap("ground_truth");
    let duplicates = truth.index.duplicates;
    let index = Arc::new(truth.index);

    let plan = Arc::new(plan);
    let decoder = Arc::new(decoder);
    let mut reduced = match capture {
        Listed::Batch(batch) => {
            reduce_batch(batch, window, decoder, index.clone(), plan.clone()).await?
        }
        Listed::Endpoint { store, listing } if schedule.executor.is_sharded() => {
            let sharding = Sharding {
                schedule,
                clients,
                inputs: ShardInputs {
                    store: &store,
                    truth_store: &truth_store,
                    prefix: &listing.prefix,
                    window,
                    t,
                    cfg,
                    decoder: decoder.clone(),
                    plan: plan.clone(),
                },
                listing: &listing,
                expected: TruthFingerprint::of(&index, truth.files),
            };
            sharding.reduce(&index).await?
        }
        Listed::Endpoint { store, listing } => reduce_capture(
            &store,
            &listing,
            window,
            decoder,
            index.clone(),
            plan.clone(),
            SeqSet::default(),
        )
        .await
        .map_err(ExecutionError::Capture)?,
    };
    trace.record_capture(&mut reduced.read);
    // Capture's malformed lines first, then ground truth's, as the record has always listed them.
    trace.malformed.extend(truth.malformed);
    if reduced.read.event_count == 0 {
        return Err(no_capture(&reduced.read.prefix, window, trace));
    }
    let join = reduced.partial.join;
    trace.counts.records_merged = join.merged;
    trace.counts.unmatched_captures = join.unmatched_captures;
    trace.counts.unmatched_labels = join.mismatched_labels + index.unclaimed_labels();
    drop(index);
    if duplicates > 0 {
        trace.warn(format!(
            "{duplicates} ground-truth ids appear more than once; the latest file's labels were used"
        ));
    }
    if join.mismatched_events > 0 {
        trace.warn(format!(
            "{} events have a different number of ground-truth labels than captured records; they were left out",
            join.mismatched_events
        ));
    }
    if join.merged == 0 {
        return Err(ExecutionError::NoData(format!(
            "nothing to merge: {} captured records in window {range} and {} ground-truth labels under {} (read up to {}) share no id; unmatched captures {}, unmatched labels {}",
            trace.counts.capture_records,
            trace.counts.ground_truth_records,
            truth_store.describe(""),
            format_utc(t),
            trace.counts.unmatched_captures,
            trace.counts.unmatched_labels
        )));
    }
    if join.unmatched_captures > 0 {
        // Labels on malformed ground-truth lines are missing too: say so, rather than let
        // "not labelled yet" hide unreadable labels.
        let unreadable = if trace.counts.ground_truth_malformed > 0 {
            format!(
                "; {} ground-truth lines could not be read and may hold some of their labels (see malformed)",
                trace.counts.ground_truth_malformed
            )
        } else {
            String::new()
        };
        trace.warn(format!(
            "{} captured records have no ground truth yet and were left out{unreadable}",
            join.unmatched_captures
        ));
    }
    trace.counts.rows_analysed = reduced.partial.rows_held();
    trace.lap("merge");

    let frame = build_frame(reduced.partial, &plan).map_err(ExecutionError::Input)?;
    trace.counts.records_merged -= frame.dropped;
    for w in frame.warnings {
        trace.warn(w);
    }
    trace.lap("frame");
    Ok(BiasData {
        frame: frame.frame,
        weights: frame.weights,
        config: plan.engine_config(cfg),
        predictions: PredictionSource {
            column: PREDICTION_COLUMN.to_string(),
        },
    })
}
