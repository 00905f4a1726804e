//! When a schedule fires (always UTC) and how long its default data window is.

use std::fmt;

use chrono::{DateTime, Duration, NaiveTime, TimeDelta, Utc};

/// An hour of the day, 0–23.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hour(u8);

impl Hour {
    pub fn new(h: i64) -> Option<Self> {
        u8::try_from(h).ok().filter(|h| *h <= 23).map(Self)
    }
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }
}

/// The hour step of `daily_every_x_hours`, 1–23 (24 is the same as `daily`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HourInterval(u8);

impl HourInterval {
    pub fn new(x: i64) -> Option<Self> {
        u8::try_from(x)
            .ok()
            .filter(|x| (1..=23).contains(x))
            .map(Self)
    }
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }
}

/// The sub-hour periods driftwatch offers beyond SageMaker's one-hour floor. Each divides the
/// hour, so fire times stay aligned to the hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubHourPeriod {
    M5,
    M10,
    M15,
    M20,
    M30,
}

impl SubHourPeriod {
    pub const ACCEPTED: &'static str = "5m, 10m, 15m, 20m or 30m";

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "5m" => Self::M5,
            "10m" => Self::M10,
            "15m" => Self::M15,
            "20m" => Self::M20,
            "30m" => Self::M30,
            _ => return None,
        })
    }

    pub fn minutes(self) -> u32 {
        match self {
            Self::M5 => 5,
            Self::M10 => 10,
            Self::M15 => 15,
            Self::M20 => 20,
            Self::M30 => 30,
        }
    }
}

/// A schedule's cadence. SageMaker cron strings are parsed into these variants (see
/// [`super::cron`]), so there is one fire-time rule per variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cadence {
    /// Every hour on the hour; window = the previous hour.
    Hourly,
    /// Once a day at `hour`:00; window = the previous 24 hours.
    Daily { hour: Hour },
    /// At `starting_hour`, `starting_hour + x`, … (≤ 23) every day, like SageMaker's
    /// `cron(0 H/X ? * * *)`; window = the previous `x` hours (windows may overlap at midnight).
    EveryXHours {
        hour_interval: HourInterval,
        starting_hour: Hour,
    },
    /// Every 5/10/15/20/30 minutes aligned to the hour; window = the previous period.
    EveryMinutes(SubHourPeriod),
    /// SageMaker's one-time monitoring (`NOW`): a single execution when the daemon first
    /// sees the schedule (at start-up or on a reload) and its ledger holds no execution of
    /// it; the window comes from the two offsets, which are required.
    Once,
}

/// The most executions one `plan` or `backfill` lists: eleven years of hourly windows. A
/// range beyond it is almost always a typo (year 1000 for 2000) and would otherwise queue
/// millions of executions.
pub const MAX_FIRE_TIMES: u64 = 100_000;

/// A range of scheduled times too long to list at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{} to {} holds about {about} scheduled times; at most {MAX_FIRE_TIMES} are listed at once: narrow the range or split it",
    crate::sagemaker::time::format_utc(*from),
    crate::sagemaker::time::format_utc(*to)
)]
pub struct TooManyFireTimes {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub about: u64,
}

/// The forms `cadence` accepts, for error messages.
pub const ACCEPTED_FORMS: &str = "hourly | {daily: {hour: 0..23}} | \
{daily_every_x_hours: {hour_interval: 1..23, starting_hour: 0..23}} | \
{every: 5m|10m|15m|20m|30m} | daily (= {daily: {hour: 0}}) | \"cron(0 * ? * * *)\" | \"cron(0 H ? * * *)\" | \"cron(0 H/X ? * * *)\" | NOW (once)";

impl Cadence {
    /// Minutes after midnight (UTC) at which this cadence fires, ascending. Every recurring
    /// cadence fires at least once a day, which the fire-time searches below rely on; `Once`
    /// has no fire times (the daemon starts it).
    pub fn fire_minutes_of_day(&self) -> Vec<u32> {
        match *self {
            Self::Hourly => (0..24).map(|h| h * 60).collect(),
            Self::Daily { hour } => vec![hour.get() * 60],
            Self::EveryXHours {
                hour_interval,
                starting_hour,
            } => (starting_hour.get()..24)
                .step_by(hour_interval.get() as usize)
                .map(|h| h * 60)
                .collect(),
            Self::EveryMinutes(p) => (0..24 * 60).step_by(p.minutes() as usize).collect(),
            Self::Once => Vec::new(),
        }
    }

    /// Whether this is one-time monitoring (`NOW`).
    pub fn is_once(&self) -> bool {
        matches!(self, Self::Once)
    }

    /// The length of the default data window, which ends at the scheduled time.
    pub fn default_window(&self) -> TimeDelta {
        match *self {
            Self::Hourly => TimeDelta::hours(1),
            Self::Daily { .. } => TimeDelta::hours(24),
            Self::EveryXHours { hour_interval, .. } => {
                TimeDelta::hours(i64::from(hour_interval.get()))
            }
            Self::EveryMinutes(p) => TimeDelta::minutes(i64::from(p.minutes())),
            // Unused: a one-time schedule must give both offsets.
            Self::Once => TimeDelta::hours(1),
        }
    }

    /// Every fire time `t` with `from <= t < to`, ascending. Callers with ranges from input
    /// go through [`Self::fire_times_limited`] first.
    pub fn fire_times(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let minutes = self.fire_minutes_of_day();
        let mut out = Vec::new();
        let mut day = from.date_naive();
        while day <= to.date_naive() {
            let midnight = day.and_time(NaiveTime::MIN).and_utc();
            for m in &minutes {
                let Some(t) = midnight.checked_add_signed(Duration::minutes(i64::from(*m))) else {
                    continue;
                };
                if t >= from && t < to {
                    out.push(t);
                }
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        out
    }

    /// [`Self::fire_times`] for a range that came from input: refused, before anything is
    /// allocated, when it would hold more than [`MAX_FIRE_TIMES`] executions.
    pub fn fire_times_limited(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, TooManyFireTimes> {
        let days = (to.date_naive() - from.date_naive()).num_days().max(0) as u64 + 1;
        let bound = days.saturating_mul(self.fire_minutes_of_day().len() as u64);
        if bound > MAX_FIRE_TIMES {
            return Err(TooManyFireTimes {
                from,
                to,
                about: bound,
            });
        }
        Ok(self.fire_times(from, to))
    }

    /// The first fire time strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = t.checked_add_signed(TimeDelta::seconds(1))?;
        self.fire_times(start, start.checked_add_signed(TimeDelta::days(2))?)
            .into_iter()
            .next()
    }

    /// The last fire time at or before `t`.
    pub fn last_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.fire_times(
            t.checked_sub_signed(TimeDelta::days(2))?,
            t.checked_add_signed(TimeDelta::seconds(1))?,
        )
        .into_iter()
        .last()
    }

    /// Whether `t` is one of this cadence's fire times (for one-time monitoring: any whole
    /// minute, the time it is run at).
    pub fn fires_at(&self, t: DateTime<Utc>) -> bool {
        if self.is_once() {
            return t.timestamp() % 60 == 0;
        }
        t.checked_add_signed(TimeDelta::seconds(1))
            .is_some_and(|end| self.fire_times(t, end).first() == Some(&t))
    }

    /// The equivalent SageMaker `ScheduleExpression`, where SageMaker has one.
    pub fn sagemaker_expression(&self) -> Option<String> {
        match *self {
            Self::Hourly => Some("cron(0 * ? * * *)".into()),
            Self::Daily { hour } => Some(format!("cron(0 {} ? * * *)", hour.get())),
            Self::EveryXHours {
                hour_interval,
                starting_hour,
            } => Some(format!(
                "cron(0 {}/{} ? * * *)",
                starting_hour.get(),
                hour_interval.get()
            )),
            Self::EveryMinutes(_) => None,
            Self::Once => Some("NOW".into()),
        }
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Hourly => f.write_str("hourly"),
            Self::Daily { hour } => write!(f, "daily at {:02}:00 UTC", hour.get()),
            Self::EveryXHours {
                hour_interval,
                starting_hour,
            } => write!(
                f,
                "every {} hours from {:02}:00 UTC",
                hour_interval.get(),
                starting_hour.get()
            ),
            Self::EveryMinutes(p) => write!(f, "every {} minutes", p.minutes()),
            Self::Once => f.write_str("once (NOW)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::window::WindowSpec;
    use chrono::TimeZone;

    fn t(s: &str) -> DateTime<Utc> {
        crate::sagemaker::time::parse_utc(s).unwrap()
    }
    fn every_x(x: i64, start: i64) -> Cadence {
        Cadence::EveryXHours {
            hour_interval: HourInterval::new(x).unwrap(),
            starting_hour: Hour::new(start).unwrap(),
        }
    }
    fn hours_of(times: &[DateTime<Utc>]) -> Vec<String> {
        times
            .iter()
            .map(|t| t.format("%m-%d %H:%M").to_string())
            .collect()
    }

    #[test]
    fn hourly_fires_every_hour_across_a_year_boundary() {
        let times =
            Cadence::Hourly.fire_times(t("2023-12-31T22:00:00Z"), t("2024-01-01T02:00:00Z"));
        assert_eq!(
            hours_of(&times),
            ["12-31 22:00", "12-31 23:00", "01-01 00:00", "01-01 01:00"]
        );
        let whole = Cadence::Hourly.fire_times(t("2024-02-28"), t("2024-03-01"));
        assert_eq!(whole.len(), 48, "leap day included");
        let spec = WindowSpec::new(&Cadence::Hourly, None, None).unwrap();
        let w = spec.window_at(t("2024-01-01T00:00:00Z")).unwrap();
        assert_eq!(
            (w.start, w.end),
            (t("2023-12-31T23:00:00Z"), t("2024-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn daily_fires_once_a_day_across_month_ends() {
        let c = Cadence::Daily {
            hour: Hour::new(5).unwrap(),
        };
        let times = c.fire_times(t("2024-02-27T06:00:00Z"), t("2024-03-02T05:00:00Z"));
        assert_eq!(
            hours_of(&times),
            ["02-28 05:00", "02-29 05:00", "03-01 05:00"]
        );
        let w = WindowSpec::new(&c, None, None)
            .unwrap()
            .window_at(t("2024-03-01T05:00:00Z"))
            .unwrap();
        assert_eq!(
            (w.start, w.end),
            (t("2024-02-29T05:00:00Z"), t("2024-03-01T05:00:00Z"))
        );
    }

    #[test]
    fn every_ten_hours_from_midnight_matches_the_documented_example() {
        let c = every_x(10, 0);
        let times = c.fire_times(t("2024-01-01"), t("2024-01-03"));
        assert_eq!(
            hours_of(&times),
            [
                "01-01 00:00",
                "01-01 10:00",
                "01-01 20:00",
                "01-02 00:00",
                "01-02 10:00",
                "01-02 20:00"
            ]
        );
        let spec = WindowSpec::new(&c, None, None).unwrap();
        let w20 = spec.window_at(t("2024-01-02T20:00:00Z")).unwrap();
        assert_eq!(
            (w20.start, w20.end),
            (t("2024-01-02T10:00:00Z"), t("2024-01-02T20:00:00Z"))
        );
        let w00 = spec.window_at(t("2024-01-02T00:00:00Z")).unwrap();
        assert_eq!(
            (w00.start, w00.end),
            (t("2024-01-01T14:00:00Z"), t("2024-01-02T00:00:00Z"))
        );
    }

    #[test]
    fn every_x_hours_restarts_each_day_at_the_starting_hour() {
        let c = every_x(7, 5);
        let times = c.fire_times(t("2024-12-31"), t("2025-01-02"));
        assert_eq!(
            hours_of(&times),
            [
                "12-31 05:00",
                "12-31 12:00",
                "12-31 19:00",
                "01-01 05:00",
                "01-01 12:00",
                "01-01 19:00"
            ]
        );
        assert_eq!(
            every_x(1, 0)
                .fire_times(t("2024-01-01"), t("2024-01-02"))
                .len(),
            24
        );
        assert_eq!(
            every_x(23, 0)
                .fire_times(t("2024-01-01"), t("2024-01-02"))
                .len(),
            2
        );
    }

    #[test]
    fn sub_hour_cadences_align_to_the_hour() {
        for (p, per_day) in [
            (SubHourPeriod::M5, 288),
            (SubHourPeriod::M10, 144),
            (SubHourPeriod::M15, 96),
            (SubHourPeriod::M20, 72),
            (SubHourPeriod::M30, 48),
        ] {
            let c = Cadence::EveryMinutes(p);
            let times = c.fire_times(t("2024-01-31"), t("2024-02-01"));
            assert_eq!(times.len(), per_day);
            assert!(
                times
                    .iter()
                    .all(|x| x.timestamp() % (60 * i64::from(p.minutes())) == 0)
            );
            let w = WindowSpec::new(&c, None, None)
                .unwrap()
                .window_at(t("2024-02-01T00:00:00Z"))
                .unwrap();
            assert_eq!(w.end - w.start, TimeDelta::minutes(i64::from(p.minutes())));
            assert_eq!(w.end, t("2024-02-01T00:00:00Z"));
        }
    }

    #[test]
    fn fire_time_range_is_half_open() {
        let times =
            Cadence::Hourly.fire_times(t("2024-01-01T01:00:00Z"), t("2024-01-01T03:00:00Z"));
        assert_eq!(hours_of(&times), ["01-01 01:00", "01-01 02:00"]);
        assert!(
            Cadence::Hourly
                .fire_times(t("2024-01-01T01:00:00Z"), t("2024-01-01T01:00:00Z"))
                .is_empty()
        );
        let off = Cadence::Hourly.fire_times(t("2024-01-01T01:00:01Z"), t("2024-01-01T02:00:00Z"));
        assert!(off.is_empty());
    }

    #[test]
    fn next_and_previous_fire_times() {
        let c = every_x(10, 0);
        assert_eq!(
            c.next_after(t("2024-01-01T20:00:00Z")),
            Some(t("2024-01-02T00:00:00Z"))
        );
        assert_eq!(
            c.next_after(t("2024-01-01T19:59:59Z")),
            Some(t("2024-01-01T20:00:00Z"))
        );
        assert_eq!(
            c.last_at_or_before(t("2024-01-01T09:59:59Z")),
            Some(t("2024-01-01T00:00:00Z"))
        );
        assert_eq!(
            c.last_at_or_before(t("2024-01-01T10:00:00Z")),
            Some(t("2024-01-01T10:00:00Z"))
        );
        assert!(c.fires_at(t("2024-01-01T10:00:00Z")));
        assert!(!c.fires_at(t("2024-01-01T11:00:00Z")));
        let d = Cadence::Daily {
            hour: Hour::new(23).unwrap(),
        };
        assert_eq!(
            d.next_after(Utc.with_ymd_and_hms(2024, 12, 31, 23, 0, 0).unwrap()),
            Some(t("2025-01-01T23:00:00Z"))
        );
    }

    #[test]
    fn offsets_override_the_window() {
        let spec = WindowSpec::new(
            &Cadence::Hourly,
            Some(TimeDelta::days(-8)),
            Some(TimeDelta::days(-1)),
        )
        .unwrap();
        let w = spec.window_at(t("2020-01-09T13:00:00Z")).unwrap();
        assert_eq!(
            (w.start, w.end),
            (t("2020-01-01T13:00:00Z"), t("2020-01-08T13:00:00Z"))
        );
        // Only a start offset: the end stays at T.
        let spec = WindowSpec::new(&Cadence::Hourly, Some(TimeDelta::hours(-6)), None).unwrap();
        let w = spec.window_at(t("2024-01-19T20:00:00Z")).unwrap();
        assert_eq!(
            (w.start, w.end),
            (t("2024-01-19T14:00:00Z"), t("2024-01-19T20:00:00Z"))
        );
        // Only an end offset: the start stays at T - period.
        let spec = WindowSpec::new(&every_x(10, 0), None, Some(TimeDelta::hours(-1))).unwrap();
        let w = spec.window_at(t("2024-01-19T20:00:00Z")).unwrap();
        assert_eq!(
            (w.start, w.end),
            (t("2024-01-19T10:00:00Z"), t("2024-01-19T19:00:00Z"))
        );
    }

    #[test]
    fn offsets_that_make_no_window_are_rejected() {
        let h = Cadence::Hourly;
        assert!(
            WindowSpec::new(&h, Some(TimeDelta::hours(-1)), Some(TimeDelta::hours(-2))).is_err()
        );
        assert!(
            WindowSpec::new(&h, Some(TimeDelta::hours(-1)), Some(TimeDelta::hours(-1))).is_err()
        );
        assert!(
            WindowSpec::new(&h, None, Some(TimeDelta::hours(-1))).is_err(),
            "start T-1h == end"
        );
        assert!(
            WindowSpec::new(&h, None, Some(TimeDelta::hours(1))).is_err(),
            "ends after T"
        );
        assert!(WindowSpec::new(&h, Some(TimeDelta::zero()), None).is_err());
    }

    #[test]
    fn sagemaker_expressions_round_trip() {
        for c in [
            Cadence::Hourly,
            Cadence::Daily {
                hour: Hour::new(17).unwrap(),
            },
            every_x(12, 5),
        ] {
            let expr = c.sagemaker_expression().unwrap();
            assert_eq!(crate::schedule::cron::parse_sagemaker_cron(&expr), Ok(c));
        }
        assert_eq!(
            Cadence::EveryMinutes(SubHourPeriod::M5).sagemaker_expression(),
            None
        );
    }
}
