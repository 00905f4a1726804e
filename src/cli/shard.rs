use std::process::ExitCode;

use anyhow::Context;
use driftwatch::aws::AwsClients;
use driftwatch::execution::{RunId, run_shard};
use driftwatch::sagemaker::FailureClass;
use driftwatch::sagemaker::time::parse_utc;

/// The exit code of a shard that failed for a reason worth retrying (BSD's EX_TEMPFAIL): the
/// coordinator submits the shard again; 1 tells it not to.
const TRANSIENT: u8 = 75;

/// `driftwatch shard`: one shard of a sharded execution (a Ray job's entrypoint). The
/// coordinator reads the state it writes; what happened goes to stderr for the job's log.
pub fn shard_command(
    config: &str,
    schedule: &str,
    at: &str,
    run: &str,
    shard: usize,
) -> anyhow::Result<ExitCode> {
    let t = parse_utc(at).map_err(anyhow::Error::msg).context("--at")?;
    let run_id = RunId::parse(run)
        .map_err(anyhow::Error::msg)
        .context("--run")?;
    let Some(s) = super::load_schedule(config, schedule)? else {
        return Ok(ExitCode::from(2));
    };
    let runtime = super::Runtime::new()?;
    let done = runtime.block_on(async {
        let clients = AwsClients::new();
        run_shard(&s, t, &run_id, shard, &clients).await
    });
    match done {
        Ok(d) => {
            eprintln!(
                "shard {} of {}: {}; state written to {}",
                d.shard, d.of, d.summary, d.state
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let transient = e.class() == FailureClass::Transient;
            eprintln!(
                "error: shard {shard} of schedule {schedule:?} at {at}: {e} ({})",
                if transient { "transient" } else { "permanent" }
            );
            Ok(ExitCode::from(if transient { TRANSIENT } else { 1 }))
        }
    }
}
