//! Loading an analysis dataset (`analyze --dataset`) into a polars DataFrame whose column
//! types follow pandas' `read_csv`, because smclarify's type inference depends on them.

pub(crate) mod csv;
pub mod jsonlines;
mod parsed;
pub mod quality;
mod scan;
pub mod side;

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::config::analysis::{AnalysisConfig, DatasetType};

pub use csv::read_csv;

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("cannot read dataset {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: malformed row {row}: {message}")]
    MalformedRow {
        path: PathBuf,
        row: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error(
        "{path}: dataset type {kind} is not supported by analyze (use text/csv, application/jsonlines or application/x-parquet)"
    )]
    Unsupported { path: PathBuf, kind: String },
}

/// A loaded dataset, and what a user must know about how it was read.
pub struct Dataset {
    pub frame: DataFrame,
    pub warnings: Vec<String>,
    /// Set when only the bias engine's columns were read: the config the engine must run
    /// with on this frame (see [`Dataset::bias_config`]).
    projected: Option<AnalysisConfig>,
}

impl Dataset {
    /// The config the bias engine runs with on this frame: `cfg`, or, when columns were
    /// left out, `cfg` with its references by position renamed (positions moved).
    pub fn bias_config<'a>(&'a self, cfg: &'a AnalysisConfig) -> &'a AnalysisConfig {
        self.projected.as_ref().unwrap_or(cfg)
    }
}

/// Which columns the caller uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columns {
    All,
    /// Only the bias engine reads the frame (no FT, no model, no explanations): a CSV's
    /// other columns are left unparsed, which is most of the time of reading a wide file.
    BiasEngine,
}

/// Reads `path` as the config's `dataset_type` (default `text/csv`), gzip-compressed or not
/// (SageMaker's `s3_compression_type: Gzip`). With `headers` in the config a CSV's columns
/// take those names.
pub fn load(path: &Path, cfg: &AnalysisConfig, columns: Columns) -> Result<Dataset, DatasetError> {
    let file =
        crate::limits::map_regular(path, crate::limits::MAX_OBJECT_BYTES).map_err(|source| {
            DatasetError::Unreadable {
                path: path.to_path_buf(),
                source,
            }
        })?;
    let bytes: std::borrow::Cow<'_, [u8]> = if crate::gzip::is_gzip(&file) {
        crate::gzip::gunzip(&file, crate::limits::MAX_OBJECT_BYTES)
            .map_err(|e| invalid(path, e))?
            .into()
    } else {
        (*file).into()
    };
    let text = |bytes: &[u8]| {
        crate::limits::utf8(bytes)
            .map(str::to_string)
            .map_err(|e| invalid(path, e))
    };
    let mut warnings = Vec::new();
    let mut projected = None;
    let frame = match cfg.dataset_type.unwrap_or(DatasetType::Csv) {
        DatasetType::Csv => {
            let bias_only = (columns == Columns::BiasEngine).then_some(cfg);
            let read = read_csv(&bytes, path, cfg.headers.as_deref(), bias_only)?;
            warnings = read.warnings;
            projected = read.projected;
            read.frame
        }
        DatasetType::JsonLines if cfg.features.is_some() => {
            let frame = jsonlines::read_clarify_jsonlines(&text(&bytes)?, path, cfg)?;
            within_columns(path, frame.width(), "its records have")?;
            frame
        }
        DatasetType::JsonLines => {
            // Checked first: polars names no line for a bad byte ("at line 0").
            crate::limits::utf8(&bytes).map_err(|e| invalid(path, e))?;
            let frame = JsonReader::new(std::io::Cursor::new(bytes))
                .with_json_format(JsonFormat::JsonLines)
                .infer_schema_len(None)
                .finish()
                .map_err(|e| invalid(path, e))?;
            within_columns(path, frame.width(), "its lines have")?;
            frame
        }
        DatasetType::Parquet => {
            let mut reader = ParquetReader::new(std::io::Cursor::new(bytes));
            // Known from the footer, before any column is read.
            let width = reader.schema().map_err(|e| invalid(path, e))?.len();
            within_columns(path, width, "its schema has")?;
            let index = pandas_index_columns(&mut reader);
            let mut frame = reader.finish().map_err(|e| invalid(path, e))?;
            // pandas' index is no column of the data (read_parquet makes it the index).
            for name in index {
                if frame.column(&name).is_ok() {
                    frame = frame.drop(&name).map_err(|e| invalid(path, e))?;
                }
            }
            frame
        }
        other => {
            return Err(DatasetError::Unsupported {
                path: path.to_path_buf(),
                kind: format!("{other:?}"),
            });
        }
    };
    let frame = pandas_like(frame);
    warnings.extend(quality::warnings(&frame, cfg, path));
    Ok(Dataset {
        frame,
        warnings,
        projected,
    })
}

/// The columns a parquet file written by pandas stores its index in (`__index_level_0__`,
/// or a named index): its `pandas` metadata's `index_columns` that are names (a default
/// `RangeIndex` is stored as a description, not a column). None when there is no such
/// metadata or it cannot be read: the file then has no pandas index to leave out.
fn pandas_index_columns<R: polars::io::mmap::MmapBytesReader>(
    reader: &mut ParquetReader<R>,
) -> Vec<String> {
    let Ok(meta) = reader.get_metadata() else {
        return Vec::new();
    };
    let pandas = meta
        .key_value_metadata()
        .as_ref()
        .and_then(|kv| kv.iter().find(|k| k.key == "pandas"))
        .and_then(|k| k.value.as_deref())
        .and_then(|v| serde_json::from_str::<serde_json::Value>(v).ok());
    pandas
        .as_ref()
        .and_then(|p| p.get("index_columns"))
        .and_then(serde_json::Value::as_array)
        .map(|cols| {
            cols.iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A dataset may have at most [`crate::limits::MAX_COLUMNS`] columns, whatever its format
/// (a CSV's are counted on its first row, before it is read).
fn within_columns(path: &Path, width: usize, what: &str) -> Result<(), DatasetError> {
    if width > crate::limits::MAX_COLUMNS {
        return Err(invalid(
            path,
            format!(
                "{what} {width} columns, more than the {} a dataset may have",
                crate::limits::MAX_COLUMNS
            ),
        ));
    }
    Ok(())
}

fn invalid(path: &Path, e: impl std::fmt::Display) -> DatasetError {
    DatasetError::Invalid {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// pandas has no nullable integers: an integer column with a missing value is float64. The
/// distinction decides smclarify's type inference, so it is reproduced here. Other integer
/// and float widths are widened to 64 bits.
pub fn pandas_like(frame: DataFrame) -> DataFrame {
    let columns: Vec<Column> = frame
        .columns()
        .iter()
        .map(|c| {
            let dtype = c.dtype();
            let target = if dtype.is_integer() {
                if c.null_count() > 0 {
                    DataType::Float64
                } else {
                    DataType::Int64
                }
            } else if dtype.is_float() {
                DataType::Float64
            } else {
                return c.clone();
            };
            c.cast(&target).unwrap_or_else(|_| c.clone())
        })
        .collect();
    let height = frame.height();
    DataFrame::new(height, columns).unwrap_or(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_wider_than_the_column_limit_are_refused() {
        let width = crate::limits::MAX_COLUMNS + 1;
        let line: Vec<String> = (0..width).map(|i| format!("\"c{i}\": {i}")).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wide.jsonl");
        std::fs::write(&path, format!("{{{}}}\n", line.join(", "))).unwrap();
        let cfg = AnalysisConfig {
            dataset_type: Some(DatasetType::JsonLines),
            ..Default::default()
        };
        let e = load(&path, &cfg, Columns::All).err().unwrap().to_string();
        assert!(
            e.contains("wide.jsonl: its lines have 10001 columns, more than the 10000"),
            "{e}"
        );
    }
}
