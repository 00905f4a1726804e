//! `suggest-baseline --type data_quality`: a dataset file into the statistics.json and
//! constraints.json that `DefaultModelMonitor.suggest_baseline` would write for it; and
//! `check-data`: a dataset against such a baseline, as a monitoring execution checks a window.

use std::path::Path;

use std::io::{BufRead, BufReader};

use super::check::{CheckOutcome, DriftOptions, check};
use super::csv::profile_csv_reader;
use super::error::DataQualityError;
use super::profile::Profile;
use super::suggest::suggest;
use crate::limits::open_regular;
use crate::sagemaker::data_quality::{Constraints, Statistics};

/// The dataset formats of the SDK's `DatasetFormat` this reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetFormat {
    /// `{"csv": {"header": bool}}`.
    Csv { header: bool },
}

/// Profiles the file at `path` (plain or gzip-compressed, read as a stream: any size) and
/// suggests its constraints.
pub fn suggest_baseline(
    path: &Path,
    format: DatasetFormat,
) -> Result<(Statistics, Constraints), DataQualityError> {
    let profile = profile_file(path, format)?;
    Ok((profile.statistics(), suggest(&profile)))
}

/// What a monitoring execution computes for a dataset: its statistics, and its violations of
/// a baseline (constraints, and statistics for drift).
pub fn check_dataset(
    path: &Path,
    format: DatasetFormat,
    constraints: &Path,
    statistics: Option<&Path>,
    options: DriftOptions,
) -> Result<(Statistics, CheckOutcome), DataQualityError> {
    let read = |p: &Path| -> Result<Vec<u8>, DataQualityError> {
        // A baseline's sketches make statistics.json megabytes long for wide datasets.
        crate::limits::read_regular(p, crate::limits::MAX_OBJECT_BYTES).map_err(|e| {
            DataQualityError::Input {
                at: p.display().to_string(),
                reason: e.to_string(),
            }
        })
    };
    let parse_error = |p: &Path, e: serde_json::Error| DataQualityError::Input {
        at: p.display().to_string(),
        reason: format!("is not a data-quality baseline file: {e}"),
    };
    let c: Constraints =
        serde_json::from_slice(&read(constraints)?).map_err(|e| parse_error(constraints, e))?;
    let s: Option<Statistics> = match statistics {
        Some(p) => Some(serde_json::from_slice(&read(p)?).map_err(|e| parse_error(p, e))?),
        None => None,
    };
    let profile = profile_file(path, format)?;
    let outcome = check(&c, s.as_ref(), &profile, options);
    Ok((profile.statistics(), outcome))
}

fn profile_file(path: &Path, format: DatasetFormat) -> Result<Profile, DataQualityError> {
    let source = path.display().to_string();
    let input = |reason: String| DataQualityError::Input {
        at: source.clone(),
        reason,
    };
    let (file, _) = open_regular(path, u64::MAX).map_err(|e| input(e.to_string()))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let gzipped = crate::gzip::is_gzip(reader.fill_buf().map_err(|e| input(e.to_string()))?);
    let reader: Box<dyn BufRead> = if gzipped {
        Box::new(BufReader::with_capacity(
            1 << 20,
            flate2::bufread::MultiGzDecoder::new(reader),
        ))
    } else {
        Box::new(reader)
    };
    match format {
        DatasetFormat::Csv { header } => profile_csv_reader(reader, header, &source),
    }
}
