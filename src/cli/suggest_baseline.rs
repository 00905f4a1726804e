use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use driftwatch::data_quality::baseline::{DatasetFormat, suggest_baseline};
use driftwatch::sagemaker::jackson::jackson_bytes;

/// Writes statistics.json and constraints.json into `output`: each to a temporary file
/// first, renamed into place only when both are written.
pub fn data_quality_command(
    dataset: &Path,
    header: bool,
    output: &Path,
) -> anyhow::Result<ExitCode> {
    let (statistics, constraints) = match suggest_baseline(dataset, DatasetFormat::Csv { header }) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    std::fs::create_dir_all(output).with_context(|| format!("creating {}", output.display()))?;
    let files = [
        ("statistics.json", jackson_bytes(&statistics)),
        ("constraints.json", jackson_bytes(&constraints)),
    ];
    let mut staged = Vec::new();
    for (name, bytes) in &files {
        let mut tmp = tempfile::NamedTempFile::new_in(output)
            .with_context(|| format!("writing into {}", output.display()))?;
        std::io::Write::write_all(&mut tmp, bytes)
            .with_context(|| format!("writing {}", output.join(name).display()))?;
        staged.push((tmp, output.join(name)));
    }
    for (tmp, path) in staged {
        tmp.persist(&path)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "wrote {} and {} ({} features, {} items)",
        output.join("statistics.json").display(),
        output.join("constraints.json").display(),
        statistics.features.len(),
        statistics.dataset.item_count
    );
    Ok(ExitCode::SUCCESS)
}
