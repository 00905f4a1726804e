use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use driftwatch::sagemaker::time::parse_utc;
use driftwatch::schedule::plan::plan;

pub fn plan_command(
    config: &str,
    schedule: Option<&str>,
    from: &str,
    to: &str,
) -> anyhow::Result<ExitCode> {
    let from = parse_utc(from)
        .map_err(anyhow::Error::msg)
        .context("--from")?;
    let to = parse_utc(to).map_err(anyhow::Error::msg).context("--to")?;
    let Some(file) = super::load_file(config)? else {
        return Ok(ExitCode::from(2));
    };
    let rows = plan(&file, schedule, from, to, chrono::Utc::now())?;
    let mut out = std::io::stdout().lock();
    for row in rows {
        serde_json::to_writer(&mut out, &row)?;
        out.write_all(b"\n")?;
    }
    Ok(ExitCode::SUCCESS)
}
