//! Why an execution failed, and whether the daemon should try it again.

use std::time::Duration;

use crate::monitor::MonitorError;
use crate::monitor::write::WriteError;
use crate::sagemaker::FailureClass;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ExecutionError {
    /// Reading the inputs or analysing the data.
    #[error(transparent)]
    Monitor(#[from] MonitorError),
    #[error("reading captured data: {0}")]
    Capture(StoreError),
    #[error("reading ground truth: {0}")]
    GroundTruth(StoreError),
    /// Nothing to analyse in the window (no capture, nothing merged): SageMaker fails the
    /// execution too. Data that arrives later is picked up by `backfill`.
    #[error("{0}")]
    NoData(String),
    /// The schedule's endpoint-input attributes do not fit the captured data or the
    /// analysis config.
    #[error("{0}")]
    Input(String),
    /// An analysis where no metric could be computed, or none checked against the baseline
    /// (the not-checked rule, `monitor::coverage`): not a green window.
    #[error("{0}")]
    NothingChecked(String),
    #[error(transparent)]
    Write(#[from] WriteError),
    /// `max_runtime` was reached; `waiting_on` is what the execution was waiting for then.
    #[error("exceeded max runtime of {}{}", format_runtime(*.limit), .waiting_on.as_ref().map(|w| format!("; when it was reached, {w}")).unwrap_or_default())]
    TimedOut {
        limit: Duration,
        waiting_on: Option<String>,
    },
    /// The shards of a sharded execution could not be merged (e.g. the ground truth changed
    /// between their reads: running again settles it).
    #[error("shard {shard} of {of}: {reason}")]
    Shard {
        shard: usize,
        of: usize,
        reason: String,
        transient: bool,
    },
    /// Reading the ledger or writing the dashboard (`driftwatch dashboard`).
    #[error("dashboard: {0}")]
    Dashboard(StoreError),
}

/// Ground truth that could not be read: the store's error (its class says whether it heals),
/// or more labels than the index holds (the data, permanent).
impl From<crate::capture::read::ReadTruthError> for ExecutionError {
    fn from(e: crate::capture::read::ReadTruthError) -> Self {
        use crate::capture::read::ReadTruthError;
        match e {
            ReadTruthError::Store(e) => Self::GroundTruth(e),
            ReadTruthError::TooMany(e) => Self::Input(e.to_string()),
        }
    }
}

impl ExecutionError {
    pub fn class(&self) -> FailureClass {
        match self {
            Self::Monitor(e) => e.class(),
            Self::Capture(e) | Self::GroundTruth(e) | Self::Dashboard(e) => e.class(),
            Self::Write(e) => e.source.class(),
            // A slow store or endpoint may be faster next time.
            Self::TimedOut { .. } => FailureClass::Transient,
            Self::Shard {
                transient: true, ..
            } => FailureClass::Transient,
            Self::NoData(_) | Self::Input(_) | Self::NothingChecked(_) | Self::Shard { .. } => {
                FailureClass::Permanent
            }
        }
    }
}

/// Human form of a runtime limit (`30m`, `1h30m`, `90s`).
pub fn format_runtime(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if sec > 0 || out.is_empty() {
        out.push_str(&format!("{sec}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtimes_read_naturally() {
        assert_eq!(format_runtime(Duration::from_secs(1800)), "30m");
        assert_eq!(format_runtime(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_runtime(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_runtime(Duration::from_secs(0)), "0s");
    }

    #[test]
    fn classes() {
        let store = |e: StoreError| ExecutionError::Capture(e).class();
        assert_eq!(
            store(StoreError::Transient {
                location: "s3://b/k".into(),
                message: "SlowDown".into()
            }),
            FailureClass::Transient
        );
        assert_eq!(
            store(StoreError::Permanent {
                location: "s3://b/k".into(),
                message: "AccessDenied".into()
            }),
            FailureClass::Permanent
        );
        assert_eq!(
            ExecutionError::Monitor(MonitorError::Unsupported("x".into())).class(),
            FailureClass::Permanent
        );
        assert_eq!(
            ExecutionError::TimedOut {
                limit: Duration::from_secs(1),
                waiting_on: None
            }
            .class(),
            FailureClass::Transient
        );
    }
}
