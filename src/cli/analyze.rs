use std::path::Path;
use std::process::ExitCode;

use driftwatch::analyze::{AnalyzeError, AnalyzeRequest, analyze};
use driftwatch::aws::AwsClients;
use driftwatch::config::SageMakerName;
use driftwatch::config::check::CheckConfig;

/// The files and names `analyze` was given.
pub struct Inputs<'a> {
    pub dataset: &'a Path,
    pub config: &'a Path,
    pub output: &'a Path,
    pub baseline: Option<&'a Path>,
    pub shadow_endpoint: Option<&'a str>,
    pub facet_dataset: Option<&'a Path>,
    pub predicted_label_dataset: Option<&'a Path>,
}

pub fn analyze_command(inputs: Inputs<'_>, check: CheckConfig) -> anyhow::Result<ExitCode> {
    let Inputs {
        dataset,
        config,
        output,
        baseline,
        shadow_endpoint,
        facet_dataset,
        predicted_label_dataset,
    } = inputs;
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
        facet_dataset,
        predicted_label_dataset,
        check,
    };
    match runtime.block_on(analyze(&req, &clients)) {
        Ok(outcome) => {
            for w in outcome.warnings() {
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
