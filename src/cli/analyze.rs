use std::path::Path;
use std::process::ExitCode;

use driftwatch::analyze::{AnalyzeError, AnalyzeRequest, analyze};
use driftwatch::aws::AwsClients;
use driftwatch::config::SageMakerName;
use driftwatch::config::check::CheckConfig;

pub fn analyze_command(
    dataset: &Path,
    config: &Path,
    output: &Path,
    baseline: Option<&Path>,
    shadow_endpoint: Option<&str>,
    check: CheckConfig,
) -> anyhow::Result<ExitCode> {
    let shadow_endpoint = shadow_endpoint
        .map(|s| SageMakerName::parse(s).map_err(|e| anyhow::anyhow!("--shadow-endpoint: {e}")))
        .transpose()?;
    if output.exists() && !output.is_dir() {
        anyhow::bail!(
            "--output {}: is a file; give a directory (created when missing)",
            output.display()
        );
    }
    let runtime = super::Runtime::new()?;
    let clients = AwsClients::new();
    let req = AnalyzeRequest {
        dataset,
        config,
        output,
        baseline,
        shadow_endpoint: shadow_endpoint.as_ref(),
        check,
    };
    match runtime.block_on(analyze(&req, &clients)) {
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
