//! Reading a window's capture, shared by both monitor types: the schedule's
//! `features_attribute`, the capture read itself, and the failure when the window holds no
//! usable record.

use std::sync::Arc;

use super::error::ExecutionError;
use super::trace::Trace;
use crate::aws::AwsClients;
use crate::capture::payload::JsonPath;
use crate::capture::read::{CaptureRead, CapturedEvent, Decoder, read_capture};
use crate::config::Schedule;
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
    let store = Store::open(&schedule.data_capture, clients).await;
    let mut capture = read_capture(
        &store,
        schedule.endpoint.as_str(),
        schedule.variant.as_ref().map(|v| v.as_str()),
        window,
        Arc::new(decoder),
        sink,
    )
    .await
    .map_err(ExecutionError::Capture)?;
    trace.record_capture(&mut capture);
    if capture.event_count == 0 {
        return Err(no_capture(&capture.prefix, window, trace));
    }
    Ok(capture)
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
    } else {
        format!("no captured data in window {range} under {prefix}")
    })
}
