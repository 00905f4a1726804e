use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use driftwatch::data_quality::baseline::{DatasetFormat, check_dataset, suggest_baseline};
use driftwatch::data_quality::check::DriftOptions;
use driftwatch::model_quality::ProblemType;
use driftwatch::model_quality::baseline::{Attributes, suggest_model_quality};
use driftwatch::sagemaker::jackson::jackson_bytes;

/// Writes `files` into `output`: each to a temporary file first, renamed into place only when
/// all are written.
fn write_all(output: &Path, files: &[(&str, Vec<u8>)]) -> anyhow::Result<()> {
    std::fs::create_dir_all(output).with_context(|| format!("creating {}", output.display()))?;
    let mut staged = Vec::new();
    for (name, bytes) in files {
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
    Ok(())
}

/// A baseline made (statistics.json and constraints.json, and a summary), or bad input.
type Baseline<E> = Result<(Vec<u8>, Vec<u8>, String), E>;

/// Writes a baseline's statistics.json and constraints.json into `output`, both or neither;
/// bad input is exit 2.
fn write_baseline<E: std::fmt::Display>(
    made: Baseline<E>,
    output: &Path,
) -> anyhow::Result<ExitCode> {
    let (statistics, constraints, summary) = match made {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    write_all(
        output,
        &[
            ("statistics.json", statistics),
            ("constraints.json", constraints),
        ],
    )?;
    println!(
        "wrote {} and {} ({summary})",
        output.join("statistics.json").display(),
        output.join("constraints.json").display(),
    );
    Ok(ExitCode::SUCCESS)
}

/// `suggest-baseline --type data_quality`.
pub fn suggest_baseline_command(
    dataset: &Path,
    header: bool,
    output: &Path,
) -> anyhow::Result<ExitCode> {
    let made = suggest_baseline(dataset, DatasetFormat::Csv { header }).map(|(s, c)| {
        let summary = format!(
            "{} features, {} items",
            s.features.len(),
            s.dataset.item_count
        );
        (jackson_bytes(&s), jackson_bytes(&c), summary)
    });
    write_baseline(made, output)
}

/// `suggest-baseline --type model_quality`.
pub fn suggest_model_quality_command(
    dataset: &Path,
    header: bool,
    problem: ProblemType,
    attributes: &Attributes,
    output: &Path,
) -> anyhow::Result<ExitCode> {
    let made = suggest_model_quality(dataset, header, problem, attributes).map(|(s, c)| {
        let summary = format!("{} items", s.dataset.item_count);
        (jackson_bytes(&s), jackson_bytes(&c), summary)
    });
    write_baseline(made, output)
}

/// `check-data`: statistics.json, and constraint_violations.json when something violates (a
/// violations file left by an earlier check of the same folder is removed).
pub fn check_data_command(
    dataset: &Path,
    header: bool,
    constraints: &Path,
    statistics: Option<&Path>,
    output: &Path,
    options: DriftOptions,
) -> anyhow::Result<ExitCode> {
    let format = DatasetFormat::Csv { header };
    let (stats, outcome) = match check_dataset(dataset, format, constraints, statistics, options) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut files = vec![("statistics.json", jackson_bytes(&stats))];
    if !outcome.violations.is_empty() {
        files.push(("constraint_violations.json", jackson_bytes(&outcome.file())));
    }
    write_all(output, &files)?;
    let stale = output.join("constraint_violations.json");
    if outcome.violations.is_empty() && stale.exists() {
        std::fs::remove_file(&stale).with_context(|| format!("removing {}", stale.display()))?;
    }
    for v in &outcome.violations {
        let feature = if v.feature_name.is_empty() {
            "(dataset)"
        } else {
            &v.feature_name
        };
        println!(
            "violation  {feature}  {}: {}",
            v.constraint_check_type, v.description
        );
    }
    for n in &outcome.not_checked {
        println!("not checked  {}  {}: {}", n.feature_name, n.check, n.reason);
    }
    println!(
        "{} violations, {} checks not made, {} features, {} items",
        outcome.violations.len(),
        outcome.not_checked.len(),
        stats.features.len(),
        stats.dataset.item_count
    );
    Ok(if outcome.violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
