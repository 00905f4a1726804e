//! The data of a `model_bias` execution: the window's capture and the ground truth collected
//! up to T, merged by id into the frame the bias monitor analyses.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use polars::prelude::DataFrame;

use super::capture_window::{features_path, read_window};
use super::error::ExecutionError;
use super::trace::Trace;
use crate::aws::AwsClients;
use crate::bias::engine::PredictionSource;
use crate::capture::frame::{FrameSpec, PREDICTION_COLUMN, build_frame};
use crate::capture::merge::merge;
use crate::capture::payload::{JsonPath, OutputLocator, OutputLocators};
use crate::capture::read::{Decoder, read_ground_truth};
use crate::config::analysis::{AnalysisConfig, ColumnRef, Locator};
use crate::config::{Location, Schedule};
use crate::sagemaker::time::format_utc;
use crate::schedule::window::Window;
use crate::store::{ObjectStore, Store};

/// What the bias monitor runs on.
pub struct BiasData {
    pub frame: DataFrame,
    /// The analysis config as the engine reads the frame (label by column name, predictions
    /// from [`PREDICTION_COLUMN`]).
    pub config: AnalysisConfig,
    pub predictions: PredictionSource,
}

fn decoder(schedule: &Schedule, spec: &FrameSpec) -> Result<Decoder, ExecutionError> {
    let ei = &schedule.endpoint_input;
    let locator = |key: &str, l: &Option<Locator>| {
        l.as_ref()
            .map(|l| {
                OutputLocator::from_config(l)
                    .map_err(|e| ExecutionError::Input(format!("{key}: {e}")))
            })
            .transpose()
    };
    Ok(Decoder {
        features: features_path(schedule)?,
        outputs: OutputLocators {
            inference: locator("inference_attribute", &ei.inference_attribute)?,
            probability: locator("probability_attribute", &ei.probability_attribute)?,
        },
        expected_features: spec.features.as_ref().map(Vec::len),
        threshold: spec.threshold,
        ignore_output: false,
    })
}

/// The JMESPath that finds labels in JSON ground truth: the config's `label` when it is one.
fn label_path(cfg: &AnalysisConfig) -> Option<Arc<JsonPath>> {
    match &cfg.label {
        Some(ColumnRef::Name(n)) => JsonPath::compile(n).ok().map(Arc::new),
        _ => None,
    }
}

/// Reads the window's capture and ground truth and merges them into the analysis frame.
pub async fn gather(
    schedule: &Schedule,
    t: DateTime<Utc>,
    window: Window,
    ground_truth: &Location,
    cfg: &AnalysisConfig,
    clients: &AwsClients,
    trace: &mut Trace,
) -> Result<BiasData, ExecutionError> {
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
    trace.lap("config");
    let capture = read_window(schedule, window, decoder, clients, trace).await?;
    let range = format!("[{}, {})", format_utc(window.start), format_utc(window.end));

    let truth_store = Store::open(ground_truth, clients).await;
    let truth = read_ground_truth(&truth_store, window.start, t, label_path(cfg))
        .await
        .map_err(ExecutionError::GroundTruth)?;
    trace.counts.ground_truth_files = truth.files;
    trace.counts.ground_truth_records = truth.records.len();
    trace.counts.ground_truth_malformed = truth.malformed.count;
    trace.malformed.extend(truth.malformed);
    trace.lap("ground_truth");

    let merged = merge(capture.events, truth.records);
    trace.counts.records_merged = merged.records.len();
    trace.counts.unmatched_captures = merged.unmatched_captures;
    trace.counts.unmatched_labels = merged.unmatched_labels;
    for w in merged.warnings {
        trace.warn(w);
    }
    if merged.records.is_empty() {
        return Err(ExecutionError::NoData(format!(
            "nothing to merge: {} captured records in window {range} and {} ground-truth labels under {} (read up to {}) share no id; unmatched captures {}, unmatched labels {}",
            trace.counts.capture_records,
            trace.counts.ground_truth_records,
            truth_store.describe(""),
            format_utc(t),
            merged.unmatched_captures,
            merged.unmatched_labels
        )));
    }
    if merged.unmatched_captures > 0 {
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
            merged.unmatched_captures
        ));
    }
    trace.lap("merge");

    let frame = build_frame(merged.records, &spec).map_err(ExecutionError::Input)?;
    trace.counts.records_merged -= frame.dropped;
    for w in frame.warnings {
        trace.warn(w);
    }
    trace.lap("frame");
    Ok(BiasData {
        frame: frame.frame,
        config: spec.engine_config(cfg),
        predictions: PredictionSource {
            column: PREDICTION_COLUMN.to_string(),
        },
    })
}
