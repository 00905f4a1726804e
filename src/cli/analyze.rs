use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use driftwatch::analyze::{AnalyzeError, analyze};
use driftwatch::aws::AwsClients;

pub fn analyze_command(
    dataset: &Path,
    config: &Path,
    output: &Path,
    baseline: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let clients = AwsClients::new();
    match runtime.block_on(analyze(dataset, config, output, baseline, &clients)) {
        Ok(outcome) => {
            for w in &outcome.output.warnings {
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
