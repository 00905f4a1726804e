//! The data window an execution analyzes.

use super::cadence::Cadence;
use chrono::{DateTime, TimeDelta, Utc};

/// The farthest a window may reach back from its scheduled time: about ten years. Offsets come
/// from configuration, and an absurd one (`-P99999999D`) must be refused when the file is
/// validated rather than overflow the date arithmetic of every execution.
pub const MAX_OFFSET_DAYS: i64 = 3660;

/// A half-open interval [start, end) of inference times; `start < end` always holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }
}

/// How a schedule derives its window from the scheduled time T: by default the cadence's
/// period before T; with SageMaker's `start_time_offset` / `end_time_offset`,
/// [T + start_offset, T + end_offset). An offset that is not given keeps its default
/// (start = T − period, end = T).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpec {
    start_offset: TimeDelta,
    end_offset: TimeDelta,
}

impl WindowSpec {
    /// Checks the offsets once, so every window built from the spec is non-empty and ends
    /// no later than T (data after T has not been captured yet when the execution runs).
    pub fn new(
        cadence: &Cadence,
        start_offset: Option<TimeDelta>,
        end_offset: Option<TimeDelta>,
    ) -> Result<Self, String> {
        let start = start_offset.unwrap_or(-cadence.default_window());
        let end = end_offset.unwrap_or(TimeDelta::zero());
        if end > TimeDelta::zero() {
            return Err(
                "must not be positive: the window cannot end after the scheduled time".into(),
            );
        }
        let limit = TimeDelta::days(MAX_OFFSET_DAYS);
        if start < -limit {
            return Err(format!(
                "reaches back {} days; the limit is {MAX_OFFSET_DAYS} days (about ten years)",
                -start.num_days()
            ));
        }
        if start >= end {
            return Err(format!(
                "the window must start before it ends, but start {} is not before end {}",
                describe_offset(start),
                describe_offset(end)
            ));
        }
        Ok(Self {
            start_offset: start,
            end_offset: end,
        })
    }

    /// The window of scheduled time `t`; `None` only when it lies outside the calendar chrono
    /// can represent (checked arithmetic: a time from input never panics here).
    pub fn window_at(&self, scheduled_time: DateTime<Utc>) -> Option<Window> {
        Some(Window {
            start: scheduled_time.checked_add_signed(self.start_offset)?,
            end: scheduled_time.checked_add_signed(self.end_offset)?,
        })
    }
}

fn describe_offset(d: TimeDelta) -> String {
    let secs = d.num_seconds();
    let sign = if secs < 0 { "-" } else { "+" };
    let secs = secs.unsigned_abs();
    format!("T{sign}{}h{:02}m", secs / 3600, (secs % 3600) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_beyond_ten_years_are_refused_not_overflowed() {
        let err = WindowSpec::new(&Cadence::Hourly, Some(TimeDelta::days(-99_999_999)), None)
            .unwrap_err();
        assert!(err.contains("limit is 3660 days"), "{err}");
        assert!(WindowSpec::new(&Cadence::Hourly, Some(TimeDelta::days(-3660)), None).is_ok());
    }

    #[test]
    fn window_arithmetic_is_checked() {
        let spec = WindowSpec::new(&Cadence::Hourly, Some(TimeDelta::days(-3660)), None).unwrap();
        assert_eq!(spec.window_at(DateTime::<Utc>::MIN_UTC), None);
    }
}
