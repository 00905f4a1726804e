use std::process::ExitCode;

use driftwatch::aws::AwsClients;
use driftwatch::execution::check_access;

/// `driftwatch check-access`: one line per check, `ok` or `FAILED` with its cause first.
pub fn check_access_command(config: &str, schedule: Option<&str>) -> anyhow::Result<ExitCode> {
    let Some(chosen) = super::chosen_schedules(config, schedule)? else {
        return Ok(ExitCode::from(2));
    };
    let runtime = super::Runtime::new()?;
    let clients = AwsClients::new();
    let mut failures = 0;
    for s in &chosen {
        for p in runtime.block_on(check_access(s, &clients)) {
            let (word, text) = match &p.outcome {
                Ok(t) => ("ok", t.as_str()),
                Err(e) => {
                    failures += 1;
                    ("FAILED", e.as_str())
                }
            };
            println!(
                "{:<20} {:<16} {:<6} {}  ({})",
                p.schedule, p.check, word, text, p.target
            );
        }
    }
    if failures > 0 {
        println!("{failures} checks failed");
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
