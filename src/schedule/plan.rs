//! `driftwatch plan`: which executions a set of schedules will run, and on which windows.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::{Schedule, ScheduleFile};
use crate::sagemaker::time::format_utc;

/// One planned execution, as `plan` prints it (one JSON object per line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedExecution {
    pub schedule: String,
    pub scheduled_time: String,
    pub window_start: String,
    pub window_end: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("no schedule named {name:?}; the schedules are: {known}")]
    UnknownSchedule { name: String, known: String },
    #[error("--from ({from}) must not be after --to ({to})")]
    BadRange { from: String, to: String },
    #[error(transparent)]
    TooMany(#[from] crate::schedule::TooManyFireTimes),
    #[error("schedule {schedule:?}: the window of {} is outside the calendar", format_utc(*.at))]
    WindowOutOfRange { schedule: String, at: DateTime<Utc> },
}

/// Every execution with `from <= scheduled_time < to`, sorted by time, then schedule name.
/// A one-time (`NOW`) schedule runs when the daemon starts: it is shown at `now` (to the
/// minute) when that lies in the range.
pub fn plan(
    file: &ScheduleFile,
    only: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<PlannedExecution>, PlanError> {
    if from > to {
        return Err(PlanError::BadRange {
            from: format_utc(from),
            to: format_utc(to),
        });
    }
    let selected: Vec<&Schedule> = match only {
        None => file.schedules.iter().collect(),
        Some(name) => vec![file.schedule(name).ok_or_else(|| {
            PlanError::UnknownSchedule {
                name: name.to_string(),
                known: file
                    .schedules
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })?],
    };
    let mut rows: Vec<(DateTime<Utc>, &str, PlannedExecution)> = Vec::new();
    let now = now - chrono::TimeDelta::seconds(now.timestamp().rem_euclid(60));
    for s in selected {
        let times = if s.cadence.is_once() {
            (from <= now && now < to)
                .then_some(now)
                .into_iter()
                .collect()
        } else {
            s.cadence.fire_times_limited(from, to)?
        };
        if rows.len() + times.len() > crate::schedule::MAX_FIRE_TIMES as usize {
            return Err(crate::schedule::TooManyFireTimes {
                from,
                to,
                about: (rows.len() + times.len()) as u64,
            }
            .into());
        }
        for t in times {
            let w = s
                .window
                .window_at(t)
                .ok_or_else(|| PlanError::WindowOutOfRange {
                    schedule: s.name.to_string(),
                    at: t,
                })?;
            rows.push((
                t,
                s.name.as_str(),
                PlannedExecution {
                    schedule: s.name.to_string(),
                    scheduled_time: format_utc(t),
                    window_start: format_utc(w.start),
                    window_end: format_utc(w.end),
                },
            ));
        }
    }
    rows.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    Ok(rows.into_iter().map(|r| r.2).collect())
}
