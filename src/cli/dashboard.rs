use std::process::ExitCode;

use driftwatch::aws::AwsClients;
use driftwatch::execution::rebuild_dashboard;

/// `driftwatch dashboard`: rebuilds the dashboards of the schedules (or one) from their
/// ledgers — after an upgrade, or when two processes wrote one output at once. Exit 0 when
/// every dashboard was written, 1 otherwise, 2 on bad arguments.
pub fn dashboard_command(config: &str, schedule: Option<&str>) -> anyhow::Result<ExitCode> {
    let Some(chosen) = super::chosen_schedules(config, schedule)? else {
        return Ok(ExitCode::from(2));
    };
    let runtime = super::Runtime::new()?;
    let clients = AwsClients::new();
    let mut failed = 0;
    for s in &chosen {
        match runtime.block_on(rebuild_dashboard(s, &clients)) {
            Ok((n, page)) => println!("{}: {n} executions → {page}", s.name),
            Err(e) => {
                failed += 1;
                eprintln!("{}: {e}", s.name);
            }
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
