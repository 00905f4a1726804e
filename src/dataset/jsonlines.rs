//! Clarify's JSON Lines datasets: one record per line, features at the config's `features`
//! JMESPath (e.g. `features`), the label at `label` and the predicted label at
//! `predicted_label` (JMESPaths too), columns named by `headers` (features, then the label).

use std::path::Path;

use polars::prelude::*;
use serde_json::Value;

use super::DatasetError;
use crate::capture::payload::{JsonPath, truncate};
use crate::config::analysis::{AnalysisConfig, ColumnRef};

/// The name a JMESPath-located column gets: the last header for the label, else the path.
fn path_of(c: &ColumnRef) -> String {
    match c {
        ColumnRef::Name(n) => n.clone(),
        ColumnRef::Index(i) => i.to_string(),
    }
}

/// A column from JSON cells, typed as pandas would type them (integers, floats, booleans, else text).
pub(crate) fn column(name: &str, cells: Vec<Value>) -> Column {
    if cells.iter().all(|v| v.is_i64() || v.is_null()) {
        Column::new(
            name.into(),
            cells.iter().map(Value::as_i64).collect::<Vec<_>>(),
        )
    } else if cells.iter().all(|v| v.is_number() || v.is_null()) {
        Column::new(
            name.into(),
            cells.iter().map(Value::as_f64).collect::<Vec<_>>(),
        )
    } else if cells.iter().all(|v| v.is_boolean() || v.is_null()) {
        Column::new(
            name.into(),
            cells.iter().map(Value::as_bool).collect::<Vec<_>>(),
        )
    } else {
        let text: Vec<Option<String>> = cells
            .iter()
            .map(|v| match v {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            })
            .collect();
        Column::new(name.into(), text)
    }
}

/// Reads Clarify JSON Lines `text` (`path` names it in messages).
pub fn read_clarify_jsonlines(
    text: &str,
    path: &Path,
    cfg: &AnalysisConfig,
) -> Result<DataFrame, DatasetError> {
    let invalid = |message: String| DatasetError::Invalid {
        path: path.to_path_buf(),
        message,
    };
    let features =
        JsonPath::compile(cfg.features.as_deref().unwrap_or("features")).map_err(invalid)?;
    let label = cfg
        .label
        .as_ref()
        .map(|l| JsonPath::compile(&path_of(l)))
        .transpose()
        .map_err(invalid)?;
    let predicted = cfg
        .predicted_label
        .as_ref()
        .map(|l| JsonPath::compile(&path_of(l)))
        .transpose()
        .map_err(invalid)?;
    let mut rows: Vec<Vec<Value>> = Vec::new();
    let mut labels = Vec::new();
    let mut preds = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| DatasetError::MalformedRow {
            path: path.to_path_buf(),
            row: i + 1,
            message,
        };
        let v: Value =
            serde_json::from_str(line).map_err(|e| bad(format!("not valid JSON: {e}")))?;
        match features.search(&v).map_err(bad)? {
            Value::Array(items) => rows.push(items),
            other => {
                return Err(bad(format!(
                    "features at {:?} are not a list: {}",
                    features.text(),
                    truncate(&other.to_string())
                )));
            }
        }
        if let Some(l) = &label {
            labels.push(l.search(&v).map_err(bad)?);
        }
        if let Some(p) = &predicted {
            preds.push(p.search(&v).map_err(bad)?);
        }
    }
    let width = rows.first().map_or(0, Vec::len);
    if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != width) {
        return Err(DatasetError::MalformedRow {
            path: path.to_path_buf(),
            row: i + 1,
            message: format!("expected {width} features, found {}", r.len()),
        });
    }
    let headers = cfg.headers.clone().unwrap_or_default();
    let feature_names: Vec<String> = if headers.len() >= width {
        headers[..width].to_vec()
    } else {
        (0..width).map(|i| format!("column_{i}")).collect()
    };
    let mut columns: Vec<Column> = (0..width)
        .map(|j| {
            column(
                &feature_names[j],
                rows.iter().map(|r| r[j].clone()).collect(),
            )
        })
        .collect();
    if let Some(l) = &cfg.label {
        columns.push(column(&path_of(l), labels));
    }
    if let Some(p) = &cfg.predicted_label {
        columns.push(column(&path_of(p), preds));
    }
    DataFrame::new(rows.len(), columns).map_err(|e| invalid(e.to_string()))
}
