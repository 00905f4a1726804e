//! Configuration: the schedules file (YAML) and Clarify analysis configs (JSON), validated
//! with every problem reported by path.

pub(crate) mod analysis;
pub mod check;
pub mod duration;
pub mod executor;
pub(crate) mod location;
pub(crate) mod names;
pub(crate) mod node;
pub(crate) mod problems;
pub mod schedules;
pub mod source;

use std::path::Path;

pub use analysis::{AnalysisConfig, Purpose};
pub use location::Location;
pub use names::SageMakerName;
pub use problems::{InvalidDocument, Problem, Problems};
pub use schedules::{Monitor, Schedule, ScheduleFile};
pub use source::{BatchFormat, InferenceIdPrefix, Source};

/// Reads and validates a Clarify analysis config file for `purpose`.
pub fn load_analysis_config(
    path: &Path,
    purpose: Purpose,
) -> Result<AnalysisConfig, InvalidDocument> {
    let text = crate::limits::read_config(path).map_err(|why| InvalidDocument {
        file: path.to_path_buf(),
        problems: vec![Problem {
            path: String::new(),
            message: format!("cannot read {}: {why}", path.display()),
        }],
    })?;
    parse_analysis_config(&text, path, purpose)
}

/// Validates analysis-config JSON text; `path` only names it in messages.
pub fn parse_analysis_config(
    text: &str,
    path: &Path,
    purpose: Purpose,
) -> Result<AnalysisConfig, InvalidDocument> {
    let invalid = |problems| InvalidDocument {
        file: path.to_path_buf(),
        problems,
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        invalid(vec![Problem {
            path: String::new(),
            message: format!("is not valid JSON: {e}"),
        }])
    })?;
    let mut problems = Problems::new();
    match AnalysisConfig::from_value(&value, purpose, &mut problems) {
        Some(c) if problems.is_empty() => Ok(c),
        _ => Err(invalid(problems.into_vec())),
    }
}
