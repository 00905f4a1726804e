//! Reading a window's capture, shared by both monitor types: the schedule's
//! `features_attribute`, the capture read itself, and the failure when the window holds no
//! usable record.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::batch_listing::{BatchListing, list_batch};
use super::error::ExecutionError;
use super::fold_shards::FoldSharding;
use super::trace::Trace;
use crate::aws::AwsClients;
use crate::capture::batch::Side;
use crate::capture::payload::{JsonPath, OutputLocator, OutputLocators};
use crate::capture::read::{
    CaptureListing, CaptureRead, CapturedEvent, Decoder, ObjectState, fold_capture, list_capture,
    read_capture,
};
use crate::config::analysis::Locator;
use crate::config::{Monitor, Schedule, Source};
use crate::sagemaker::time::format_utc;
use crate::schedule::window::Window;
use crate::store::Store;

/// The compiled `features_attribute` (JMESPath of the features in JSON payloads).
pub(super) fn features_path(schedule: &Schedule) -> Result<Option<JsonPath>, ExecutionError> {
    schedule
        .endpoint_input
        .features_attribute
        .as_deref()
        .map(|p| {
            JsonPath::compile(p)
                .map_err(|e| ExecutionError::Input(format!("features_attribute: {e}")))
        })
        .transpose()
}

/// The compiled `inference_attribute` and `probability_attribute` (where the label and the
/// score are in responses).
pub(super) fn output_locators(schedule: &Schedule) -> Result<OutputLocators, ExecutionError> {
    let ei = &schedule.endpoint_input;
    let locator = |key: &str, l: &Option<Locator>| {
        l.as_ref()
            .map(|l| {
                OutputLocator::from_config(l)
                    .map_err(|e| ExecutionError::Input(format!("{key}: {e}")))
            })
            .transpose()
    };
    Ok(OutputLocators {
        inference: locator("inference_attribute", &ei.inference_attribute)?,
        probability: locator("probability_attribute", &ei.probability_attribute)?,
    })
}

/// How a window is folded: per-object states made by `start` (given the object's key), fed each event by `event` (on
/// the parsing threads), handed to `consume` in listing order.
pub(super) struct Fold<B, E, C> {
    pub start: B,
    pub event: E,
    pub consume: C,
}

/// Folds every captured event of the window as `fold` says; fails when no event is usable.
pub(super) async fn fold_window<T, B, E, C>(
    schedule: &Schedule,
    t: DateTime<Utc>,
    window: Window,
    decoder: Decoder,
    clients: &AwsClients,
    trace: &mut Trace,
    fold: Fold<B, E, C>,
) -> Result<CaptureRead, ExecutionError>
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
    let decoder = Arc::new(decoder);
    let listed = list_window(schedule, window, decoder.expected_features, clients).await?;
    if let Listed::Endpoint { store, listing } = &listed
        && schedule.executor.is_sharded()
    {
        let mut capture = FoldSharding {
            schedule,
            t,
            window,
            store,
            listing,
            decoder,
            clients,
        }
        .fold(Fold {
            start,
            event,
            consume,
        })
        .await?;
        return finish_fold(&mut capture, window, trace).map(|()| capture);
    }
    let (start, event) = (Arc::new(start), Arc::new(event));
    let (mut capture, groups) = match listed {
        Listed::Endpoint { store, listing } => (
            CaptureRead {
                prefix: listing.prefix.clone(),
                ..Default::default()
            },
            vec![(store, listing)],
        ),
        Listed::Batch(batch) => (
            CaptureRead {
                prefix: batch.prefix.clone(),
                malformed: batch.malformed,
                ..Default::default()
            },
            batch
                .groups
                .into_iter()
                .map(|g| (g.store, g.listing))
                .collect(),
        ),
    };
    for (store, listing) in groups {
        let (s, e) = (start.clone(), event.clone());
        let read = fold_capture(
            &store,
            &listing,
            window,
            decoder.clone(),
            move |key: &str| s(key),
            move |t: &mut T, ev| e(t, ev),
            &mut consume,
        )
        .await
        .map_err(ExecutionError::Capture)?;
        capture.absorb(read);
    }
    finish_fold(&mut capture, window, trace).map(|()| capture)
}

/// Takes a fold's counts into the record; fails when no event was usable.
fn finish_fold(
    capture: &mut CaptureRead,
    window: Window,
    trace: &mut Trace,
) -> Result<(), ExecutionError> {
    trace.record_capture(capture);
    if capture.event_count == 0 {
        return Err(no_capture(&capture.prefix, window, trace));
    }
    Ok(())
}

/// Reads every captured event of the window into `sink`, in listing order; fails when none
/// is usable.
pub(super) async fn read_window(
    schedule: &Schedule,
    window: Window,
    decoder: Decoder,
    clients: &AwsClients,
    trace: &mut Trace,
    sink: impl FnMut(CapturedEvent),
) -> Result<CaptureRead, ExecutionError> {
    let decoder = Arc::new(decoder);
    let listed = list_window(schedule, window, decoder.expected_features, clients).await?;
    let mut capture = match listed {
        Listed::Endpoint { store, listing } => {
            read_capture(&store, &listing, window, decoder, sink)
                .await
                .map_err(ExecutionError::Capture)?
        }
        Listed::Batch(batch) => read_batch(batch, window, decoder, sink).await?,
    };
    trace.record_capture(&mut capture);
    if capture.event_count == 0 {
        return Err(no_capture(&capture.prefix, window, trace));
    }
    Ok(capture)
}

/// A window's capture objects, listed.
pub(super) enum Listed {
    Endpoint {
        store: Store,
        listing: CaptureListing,
    },
    Batch(BatchListing),
}

impl Listed {
    /// Whether the window has no objects: none under `{endpoint}/{variant}/{hour}` of an
    /// endpoint, or none named by its manifests (output for bias, input for explainability).
    pub(super) fn is_empty(&self) -> bool {
        match self {
            Self::Endpoint { listing, .. } => listing.files.is_empty(),
            Self::Batch(b) => b.is_empty(),
        }
    }

    pub(super) fn prefix(&self) -> &str {
        match self {
            Self::Endpoint { listing, .. } => &listing.prefix,
            Self::Batch(b) => &b.prefix,
        }
    }
}

/// Lists the window's capture objects; `features` is how many leading CSV columns of a
/// joined batch output are the input's.
pub(super) async fn list_window(
    schedule: &Schedule,
    window: Window,
    features: Option<usize>,
    clients: &AwsClients,
) -> Result<Listed, ExecutionError> {
    Ok(match &schedule.source {
        Source::Endpoint { name, variant, .. } => {
            let store = Store::open(&schedule.data_capture, clients).await;
            let listing = list_capture(
                &store,
                name.as_str(),
                variant.as_ref().map(|v| v.as_str()),
                window,
            )
            .await
            .map_err(ExecutionError::Capture)?;
            Listed::Endpoint { store, listing }
        }
        Source::BatchTransform { format } => {
            let side = match schedule.monitor {
                Monitor::Bias { .. } | Monitor::ModelQuality { .. } => Side::Output,
                Monitor::Explainability { .. } | Monitor::DataQuality { .. } => Side::Input,
            };
            Listed::Batch(
                list_batch(
                    &schedule.data_capture,
                    *format,
                    side,
                    window,
                    features,
                    clients,
                )
                .await?,
            )
        }
    })
}

/// Reads every group of a batch listing in turn, as one capture read: the manifests'
/// problems first, then each object's.
async fn read_batch(
    batch: BatchListing,
    window: Window,
    decoder: Arc<Decoder>,
    mut sink: impl FnMut(CapturedEvent),
) -> Result<CaptureRead, ExecutionError> {
    let mut out = CaptureRead {
        prefix: batch.prefix.clone(),
        malformed: batch.malformed,
        ..Default::default()
    };
    for g in batch.groups {
        let read = read_capture(&g.store, &g.listing, window, decoder.clone(), &mut sink)
            .await
            .map_err(ExecutionError::Capture)?;
        out.absorb(read);
    }
    Ok(out)
}

/// The failure of a window without a usable captured record, naming the first malformed line
/// when there were some.
pub(super) fn no_capture(prefix: &str, window: Window, trace: &Trace) -> ExecutionError {
    let range = format!("[{}, {})", format_utc(window.start), format_utc(window.end));
    ExecutionError::NoData(if trace.counts.capture_malformed > 0 {
        format!(
            "no usable captured data in window {range} under {prefix}: {} capture lines were malformed (first: {})",
            trace.counts.capture_malformed,
            trace.malformed.locations.first().map_or("", String::as_str)
        )
    } else if trace.counts.capture_not_selected > 0 {
        format!(
            "no captured data of this target model in window {range} under {prefix}: {} capture lines in the window have no inferenceId beginning with the schedule's inference_id_prefix",
            trace.counts.capture_not_selected
        )
    } else {
        format!("no captured data in window {range} under {prefix}")
    })
}
