use std::path::Path;
use std::process::ExitCode;

use driftwatch::analyze::{AnalyzeError, analyze};

pub fn run(
    dataset: &Path,
    config: &Path,
    output: &Path,
    baseline: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    match analyze(dataset, config, output, baseline) {
        Ok(outcome) => {
            for w in &outcome.warnings {
                eprintln!("warning: {w}");
            }
            println!("{}", outcome.summary(output));
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ AnalyzeError::Write { .. }) => Err(e.into()),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
    }
}
