//! `suggest-baseline --type data_quality`: a dataset file into the statistics.json and
//! constraints.json that `DefaultModelMonitor.suggest_baseline` would write for it.

use std::path::Path;

use std::io::{BufRead, BufReader};

use super::csv::profile_csv_reader;
use super::error::DataQualityError;
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
    let profile = match format {
        DatasetFormat::Csv { header } => profile_csv_reader(reader, header, &source)?,
    };
    Ok((profile.statistics(), suggest(&profile)))
}
