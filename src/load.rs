//! Reading the schedules file from where `--config` (or `DRIFTWATCH_CONFIG`) names it: a
//! local path, or an S3 URI — so an ECS task needs no volume for one YAML file. Relative
//! paths inside a schedules file in S3 resolve against its S3 folder.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::aws::AwsClients;

use crate::config::{InvalidDocument, Location, Problem, ScheduleFile};
use crate::store::fetch;

/// Where the schedules file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    Local(PathBuf),
    S3(Location),
}

impl ConfigSource {
    /// `s3://bucket/key` or a path (mistyped S3 URIs such as `s3:/bucket` are refused).
    pub fn parse(s: &str) -> Result<Self, String> {
        match Location::parse(s, Path::new(""))? {
            l @ Location::S3 { .. } => Ok(Self::S3(l)),
            Location::Local(p) => Ok(Self::Local(p)),
        }
    }
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local(p) => write!(f, "{}", p.display()),
            Self::S3(l) => write!(f, "{l}"),
        }
    }
}

/// Loads and validates the schedules file.
pub async fn schedule_file(
    source: &ConfigSource,
    clients: &AwsClients,
) -> Result<ScheduleFile, InvalidDocument> {
    match source {
        ConfigSource::Local(p) => ScheduleFile::load(p),
        ConfigSource::S3(location) => {
            let name = PathBuf::from(location.to_string());
            let invalid = |message: String| InvalidDocument {
                file: name.clone(),
                problems: vec![Problem {
                    path: String::new(),
                    message,
                }],
            };
            let bytes = fetch(location, clients)
                .await
                .map_err(|e| invalid(format!("cannot read it: {e}")))?;
            let text = crate::limits::config_text(bytes).map_err(invalid)?;
            ScheduleFile::parse(&text, &name, location)
        }
    }
}
