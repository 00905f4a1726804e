//! `suggest-baseline --type data_quality`: a dataset file into the statistics.json and
//! constraints.json that `DefaultModelMonitor.suggest_baseline` would write for it.

use std::path::Path;

use super::csv::profile_csv;
use super::error::DataQualityError;
use super::suggest::suggest;
use crate::limits::{MAX_OBJECT_BYTES, read_regular};
use crate::sagemaker::data_quality::{Constraints, Statistics};

/// The dataset formats of the SDK's `DatasetFormat` this reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetFormat {
    /// `{"csv": {"header": bool}}`.
    Csv { header: bool },
}

/// Profiles the file at `path` (plain or gzip-compressed) and suggests its constraints.
pub fn suggest_baseline(
    path: &Path,
    format: DatasetFormat,
) -> Result<(Statistics, Constraints), DataQualityError> {
    let source = path.display().to_string();
    let input = |reason: String| DataQualityError::Input {
        at: source.clone(),
        reason,
    };
    let bytes = read_regular(path, MAX_OBJECT_BYTES).map_err(|e| input(e.to_string()))?;
    let bytes = crate::gzip::maybe_gunzip(bytes, MAX_OBJECT_BYTES).map_err(input)?;
    let profile = match format {
        DatasetFormat::Csv { header } => profile_csv(&bytes, header, &source)?,
    };
    Ok((profile.statistics(), suggest(&profile)))
}
