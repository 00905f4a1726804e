//! A `data_quality` execution: the baseline files, the window's captured records profiled
//! object by object as they stream (output columns then input columns, as the payloads spell
//! them), the checks, statistics.json and constraint_violations.json.

use chrono::{DateTime, Utc};

use super::Done;
use super::capture_window::{Fold, features_path, fold_window, no_capture, output_locators};
use super::error::ExecutionError;
use super::fold_shards::{ObjectFold, fold_worker};
use super::pages::Content;
use super::shards::RunId;
use super::trace::Trace;
use crate::aws::AwsClients;
use crate::capture::cell::Cell;
use crate::capture::read::{CapturedEvent, Decoder, RowShape};
use crate::config::{Monitor, Schedule};
use crate::data_quality::window::WindowProfile;
use crate::monitor::data_quality::{
    DataQualityBaseline, drift_options, monitor_data_quality, read_baseline, write_data_quality,
};
use crate::publish::metrics::{Source, data_quality_datums};
use crate::sagemaker::Status;
use crate::schedule::window::Window;
use crate::store::Store;

/// The schedule's baseline (`baseline_constraints`, `baseline_statistics`).
pub(super) async fn baseline(
    schedule: &Schedule,
    clients: &AwsClients,
) -> Result<DataQualityBaseline, ExecutionError> {
    let statistics = match &schedule.monitor {
        Monitor::DataQuality {
            baseline_statistics,
        } => baseline_statistics.as_ref(),
        _ => None,
    };
    Ok(read_baseline(schedule.baseline_constraints.as_ref(), statistics, clients).await?)
}

/// A captured cell as the profile reads it: its text, or missing.
fn text(c: &Cell) -> Option<std::borrow::Cow<'_, str>> {
    match c {
        Cell::Null => None,
        Cell::Text(t) => Some(std::borrow::Cow::Borrowed(t)),
        // Verbatim decoding spells every value as text; kept total for any decoder.
        Cell::Bool(b) => Some(b.to_string().into()),
        Cell::Int(i) => Some(i.to_string().into()),
        Cell::Float(x) => Some(serde_json::Value::from(*x).to_string().into()),
    }
}

/// One object's profile, and the object's key (to name a record in a warning).
type ObjectProfile = (String, WindowProfile);

impl crate::capture::read::ObjectState for ObjectProfile {}

fn profile_event((key, p): &mut ObjectProfile, e: CapturedEvent) {
    for (cells, _) in &e.records {
        // Verbatim decoding gives only text and missing cells: read them in place.
        if cells
            .iter()
            .all(|c| matches!(c, Cell::Null | Cell::Text(_)))
        {
            p.add_row(
                cells.len(),
                || format!("{key}:{}", e.line),
                cells.iter().map(|c| match c {
                    Cell::Text(t) => Some(t.as_str()),
                    _ => None,
                }),
            );
            continue;
        }
        let texts: Vec<Option<std::borrow::Cow<'_, str>>> = cells.iter().map(text).collect();
        p.add_row(
            cells.len(),
            || format!("{key}:{}", e.line),
            texts.iter().map(|c| c.as_deref()),
        );
    }
}

/// How a data-quality window's capture is decoded: every record's output columns, then its
/// input columns, as the payloads spell them.
fn decoder(schedule: &Schedule) -> Result<Decoder, ExecutionError> {
    Ok(Decoder {
        features: features_path(schedule)?,
        outputs: output_locators(schedule)?,
        expected_features: None,
        threshold: 0.5,
        ignore_output: false,
        select: schedule.select().cloned(),
        rows: RowShape::OutputThenInput,
    })
}

fn start_object(key: &str) -> ObjectProfile {
    (key.to_string(), WindowProfile::default())
}

/// A worker's shard of a data-quality window (`driftwatch shard`): its objects' profiles.
pub(super) async fn run_worker(
    schedule: &Schedule,
    t: DateTime<Utc>,
    run: &RunId,
    k: usize,
    clients: &AwsClients,
) -> Result<(usize, usize, String), ExecutionError> {
    let object = ObjectFold::new(start_object, profile_event);
    fold_worker(schedule, t, run, k, clients, decoder(schedule)?, object).await
}

/// Reads the window, profiles it, checks it against the baseline and writes its files.
pub(super) async fn analyse(
    schedule: &Schedule,
    window: Window,
    folder: &str,
    out_store: &Store,
    clients: &AwsClients,
    trace: &mut Trace,
    source: &Source<'_>,
) -> Result<Done, ExecutionError> {
    let baseline = baseline(schedule, clients).await?;
    let decoder = decoder(schedule)?;
    trace.lap("config");
    let mut window_profile = WindowProfile::default();
    let read = fold_window(
        schedule,
        source.scheduled_time,
        window,
        decoder,
        clients,
        trace,
        Fold {
            start: start_object,
            event: profile_event,
            consume: |(_, p): ObjectProfile| window_profile.absorb(p),
        },
    )
    .await?;
    let Some(profiled) = window_profile.finish(&baseline.names()) else {
        return Err(no_capture(&read.prefix, window, trace));
    };
    let records = usize::try_from(profiled.profile.rows).unwrap_or(usize::MAX);
    trace.counts.records_merged = records;
    trace.counts.rows_analysed = records;
    trace.lap("profile");
    let output = monitor_data_quality(
        profiled,
        &baseline,
        drift_options(&schedule.check),
        trace.warnings.clone(),
    );
    for w in &output.warnings[trace.warnings.len()..] {
        tracing::warn!("{w}");
    }
    trace.counts.violations = output.violation_count();
    trace.counts.metrics_checked = output.checked;
    trace.counts.metrics_not_checked = output.not_checked;
    let written = write_data_quality(out_store, folder, &output).await?;
    trace.lap("write");
    let emit = baseline.constraints.as_ref().is_none_or(|c| {
        !c.monitoring_config
            .emit_metrics
            .eq_ignore_ascii_case("disabled")
    });
    let datums = if emit {
        data_quality_datums(source, &output.statistics)
    } else {
        Vec::new()
    };
    Ok(Done {
        status: if output.violations.is_some() {
            Status::CompletedWithViolations
        } else {
            Status::Completed
        },
        warnings: output.warnings.clone(),
        analysis: written.analysis,
        violations: written.violations,
        datums,
        content: Content::DataQuality(Box::new(output)),
    })
}
