//! The data of a `model_explainability` execution: the window's captured features (no
//! ground truth), one row of numbers per record.

use super::capture_window::{features_path, read_window};
use super::error::ExecutionError;
use super::trace::Trace;
use crate::aws::AwsClients;
use crate::capture::cell::Cell;
use crate::capture::frame::generated_name;
use crate::capture::payload::OutputLocators;
use crate::capture::read::CapturedEvent;
use crate::capture::read::Decoder;
use crate::config::analysis::{AnalysisConfig, ShapConfig};
use crate::config::{Location, Schedule};
use crate::monitor::MonitorError;
use crate::monitor::inputs::{ModelSource, shap_config};
use crate::monitor::rows::RowSample;
use crate::schedule::window::Window;

/// What explaining a schedule's window needs besides the rows: `methods.shap` (its baseline
/// file read) and the model — the same in the coordinator and in a shard worker.
pub(super) async fn shap_inputs(
    cfg: &AnalysisConfig,
    config_location: &Location,
    schedule: &Schedule,
    clients: &AwsClients,
) -> Result<(ShapConfig, ModelSource), ExecutionError> {
    let shap = cfg
        .methods
        .as_ref()
        .and_then(|m| m.shap.clone())
        .ok_or_else(|| {
            MonitorError::Unsupported(
                "analysis_config: methods.shap is required for model_explainability".into(),
            )
        })?;
    let model = ModelSource::resolve(
        cfg,
        config_location,
        schedule.shadow_endpoint.as_ref(),
        clients,
    )
    .await?;
    let shap = shap_config(&shap, config_location, clients).await?;
    Ok((shap, model))
}

fn as_number(c: &Cell) -> Option<f64> {
    match c {
        Cell::Int(i) => Some(*i as f64),
        Cell::Float(x) => Some(*x),
        Cell::Bool(b) => Some(f64::from(u8::from(*b))),
        Cell::Null => Some(f64::NAN),
        Cell::Text(t) => t.trim().parse().ok(),
    }
}

/// Reads the window's captured records as rows of `features` (when the names are known:
/// headers or the model's; otherwise records must agree on their width). Every record is
/// checked; with `max_records` only a seeded uniform sample of that many is kept, so a window
/// of any size costs bounded memory and explanation time. The record's `records_merged`
/// counts the records read, `rows_analysed` those explained.
pub async fn gather(
    schedule: &Schedule,
    window: Window,
    features: Option<&[String]>,
    max_records: Option<usize>,
    seed: u64,
    clients: &AwsClients,
    trace: &mut Trace,
) -> Result<Vec<Vec<f64>>, ExecutionError> {
    let numbers = |key: &str, cells: &[Cell]| -> Result<Vec<f64>, ExecutionError> {
        let row: Option<Vec<f64>> = cells.iter().map(as_number).collect();
        row.ok_or_else(|| {
            ExecutionError::Input(format!(
                "event {key}: a feature is not numeric ({}); Kernel SHAP on an in-process model needs numbers",
                cells
                    .iter()
                    .enumerate()
                    .find(|(_, c)| as_number(c).is_none())
                    .map(|(i, c)| {
                        let name = features
                            .and_then(|f| f.get(i).cloned())
                            .unwrap_or_else(|| generated_name(i));
                        format!("{name} = {c:?}")
                    })
                    .unwrap_or_default()
            ))
        })
    };
    gather_with(
        schedule,
        window,
        features,
        (max_records, seed),
        clients,
        trace,
        numbers,
    )
    .await
}

/// [`gather`] for a text model: each record's cells as JSON (texts as strings, numbers as
/// numbers), nothing refused.
pub async fn gather_records(
    schedule: &Schedule,
    window: Window,
    features: Option<&[String]>,
    max_records: Option<usize>,
    seed: u64,
    clients: &AwsClients,
    trace: &mut Trace,
) -> Result<Vec<Vec<serde_json::Value>>, ExecutionError> {
    let json = |_: &str, cells: &[Cell]| -> Result<Vec<serde_json::Value>, ExecutionError> {
        Ok(cells.iter().map(as_json).collect())
    };
    gather_with(
        schedule,
        window,
        features,
        (max_records, seed),
        clients,
        trace,
        json,
    )
    .await
}

fn as_json(c: &Cell) -> serde_json::Value {
    match c {
        Cell::Int(i) => (*i).into(),
        Cell::Float(x) => {
            serde_json::Number::from_f64(*x).map_or(serde_json::Value::Null, Into::into)
        }
        Cell::Bool(b) => u8::from(*b).into(),
        Cell::Null => serde_json::Value::Null,
        Cell::Text(t) => t.to_string().into(),
    }
}

async fn gather_with<T>(
    schedule: &Schedule,
    window: Window,
    features: Option<&[String]>,
    (max_records, seed): (Option<usize>, u64),
    clients: &AwsClients,
    trace: &mut Trace,
    convert: impl Fn(&str, &[Cell]) -> Result<Vec<T>, ExecutionError>,
) -> Result<Vec<Vec<T>>, ExecutionError> {
    let decoder = Decoder {
        features: features_path(schedule)?,
        outputs: OutputLocators {
            inference: None,
            probability: None,
        },
        expected_features: features.map(<[String]>::len),
        threshold: 0.5,
        ignore_output: true,
        select: schedule.select().cloned(),
        rows: Default::default(),
    };
    trace.lap("config");
    let mut kept = RowSample::new(max_records, seed);
    let mut failure: Option<ExecutionError> = None;
    let sink = |e: CapturedEvent| {
        if failure.is_some() {
            return;
        }
        for (cells, _) in e.records {
            let row = match convert(&e.key, &cells) {
                Ok(row) => row,
                Err(err) => {
                    failure = Some(err);
                    return;
                }
            };
            if let Err(e) = kept.push(row) {
                failure = Some(ExecutionError::Input(e.to_string()));
                return;
            }
        }
    };
    read_window(schedule, window, decoder, clients, trace, sink).await?;
    if let Some(e) = failure {
        return Err(e);
    }
    let records = kept.seen();
    let rows = kept.into_rows();
    if rows.len() < records {
        trace.warn(format!(
            "explained a seeded uniform sample of {} of the window's {records} records (driftwatch.shap_max_records)",
            rows.len()
        ));
    }
    trace.counts.records_merged = records;
    trace.counts.rows_analysed = rows.len();
    Ok(rows)
}
