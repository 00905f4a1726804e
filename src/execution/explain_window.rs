//! The data of a `model_explainability` execution: the window's captured features (no
//! ground truth), one row of numbers per record.

use super::capture_window::{features_path, read_window};
use super::error::ExecutionError;
use super::trace::Trace;
use crate::aws::AwsClients;
use crate::capture::cell::Cell;
use crate::capture::frame::generated_name;
use crate::capture::payload::OutputLocators;
use crate::capture::read::Decoder;
use crate::config::Schedule;
use crate::schedule::window::Window;

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
/// headers or the model's; otherwise records must agree on their width).
pub async fn gather(
    schedule: &Schedule,
    window: Window,
    features: Option<&[String]>,
    clients: &AwsClients,
    trace: &mut Trace,
) -> Result<Vec<Vec<f64>>, ExecutionError> {
    let decoder = Decoder {
        features: features_path(schedule)?,
        outputs: OutputLocators {
            inference: None,
            probability: None,
        },
        expected_features: features.map(<[String]>::len),
        threshold: 0.5,
        ignore_output: true,
    };
    trace.lap("config");
    let capture = read_window(schedule, window, decoder, clients, trace).await?;
    let mut rows = Vec::with_capacity(capture.records_in_window);
    for e in capture.events {
        for (cells, _) in e.records {
            let row: Option<Vec<f64>> = cells.iter().map(as_number).collect();
            match row {
                Some(r) => rows.push(r),
                None => {
                    return Err(ExecutionError::Input(format!(
                        "event {}: a feature is not numeric ({}); Kernel SHAP on an in-process model needs numbers",
                        e.key,
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
                    )));
                }
            }
        }
    }
    if let Some(w) = rows.first().map(Vec::len)
        && let Some(i) = rows.iter().position(|r| r.len() != w)
    {
        return Err(ExecutionError::Input(format!(
            "captured records have {w} and {} features (record {}); set headers in the analysis config so each record is checked against them",
            rows[i].len(),
            i + 1
        )));
    }
    trace.counts.records_merged = rows.len();
    Ok(rows)
}
