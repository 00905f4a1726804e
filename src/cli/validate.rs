use std::process::ExitCode;

use driftwatch::config::schedules::AnalysisConfigRef;

pub fn validate_command(config: &str) -> anyhow::Result<ExitCode> {
    match super::load_file(config)? {
        Some(file) => {
            println!(
                "{}: valid, {} schedule{}",
                config,
                file.schedules.len(),
                if file.schedules.len() == 1 { "" } else { "s" }
            );
            for s in &file.schedules {
                let note = match s.monitor.analysis_config() {
                    Some(AnalysisConfigRef::Remote(_)) => {
                        " (analysis config on S3: checked by each execution)"
                    }
                    _ => "",
                };
                println!(
                    "  {}  {}  {}  {}{}",
                    s.name,
                    s.monitor.type_name(),
                    s.source,
                    s.cadence,
                    note
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        None => Ok(ExitCode::from(2)),
    }
}
