use std::path::Path;
use std::process::ExitCode;

use driftwatch::config::{ScheduleFile, schedules::AnalysisConfigRef};

pub fn validate_command(config: &Path) -> anyhow::Result<ExitCode> {
    match ScheduleFile::load(config) {
        Ok(file) => {
            println!(
                "{}: valid, {} schedule{}",
                config.display(),
                file.schedules.len(),
                if file.schedules.len() == 1 { "" } else { "s" }
            );
            for s in &file.schedules {
                let note = match &s.analysis_config {
                    AnalysisConfigRef::Loaded { .. } => "",
                    AnalysisConfigRef::Remote(_) => {
                        " (analysis config on S3: checked by each execution)"
                    }
                };
                println!(
                    "  {}  {}  endpoint {}  {}{}",
                    s.name,
                    s.monitor.type_name(),
                    s.endpoint,
                    s.cadence,
                    note
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(invalid) => {
            eprintln!("{invalid}");
            Ok(ExitCode::from(2))
        }
    }
}
