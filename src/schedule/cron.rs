//! SageMaker `ScheduleExpression` strings, so users can paste existing monitoring schedules.
//!
//! SageMaker accepts exactly `cron(0 * ? * * *)`, `cron(0 H ? * * *)` and `cron(0 H/X ? * * *)`
//! (H in 00–23, X in 01–24), with the `?` in either day field (the SDK's own tests use
//! `cron(0 * * * ? *)`). Anything else is rejected, never approximated.

use super::cadence::{ACCEPTED_FORMS, Cadence, Hour, HourInterval};

/// Parses a SageMaker cron string into a [`Cadence`].
pub fn parse_sagemaker_cron(expr: &str) -> Result<Cadence, String> {
    let reject = |why: &str| {
        format!(
            "unsupported schedule expression {expr:?} ({why}); accepted forms: {ACCEPTED_FORMS}"
        )
    };
    let inner = expr
        .trim()
        .strip_prefix("cron(")
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| reject("not of the form cron(...)"))?;
    let fields: Vec<&str> = inner.split_whitespace().collect();
    let [minute, hour, day_of_month, month, day_of_week, year] = fields[..] else {
        return Err(reject("SageMaker cron strings have 6 fields"));
    };
    if minute != "0" {
        return Err(reject("the minute field must be 0"));
    }
    if month != "*" || year != "*" {
        return Err(reject("month and year must be *"));
    }
    if !matches!((day_of_month, day_of_week), ("?", "*") | ("*", "?")) {
        return Err(reject("the day fields must be ? * or * ?"));
    }
    if hour == "*" {
        return Ok(Cadence::Hourly);
    }
    let parse_hour = |s: &str| {
        (1..=2)
            .contains(&s.len())
            .then(|| s.parse::<i64>().ok())
            .flatten()
            .and_then(Hour::new)
            .ok_or_else(|| reject("the hour must be * or 0-23"))
    };
    match hour.split_once('/') {
        None => Ok(Cadence::Daily {
            hour: parse_hour(hour)?,
        }),
        Some((start, step)) => {
            let starting_hour = parse_hour(start)?;
            let step: i64 = (1..=2)
                .contains(&step.len())
                .then(|| step.parse().ok())
                .flatten()
                .filter(|x| (1..=24).contains(x))
                .ok_or_else(|| reject("the hour interval must be 1-24"))?;
            Ok(match HourInterval::new(step) {
                Some(hour_interval) => Cadence::EveryXHours {
                    hour_interval,
                    starting_hour,
                },
                // `H/24` fires once a day at H: the same as daily, window 24 h.
                None => Cadence::Daily {
                    hour: starting_hour,
                },
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(x: i64) -> Hour {
        Hour::new(x).unwrap()
    }

    #[test]
    fn accepts_every_sagemaker_form() {
        assert_eq!(
            parse_sagemaker_cron("cron(0 * ? * * *)"),
            Ok(Cadence::Hourly)
        );
        assert_eq!(
            parse_sagemaker_cron("cron(0 * * * ? *)"),
            Ok(Cadence::Hourly)
        );
        assert_eq!(
            parse_sagemaker_cron("cron(0 17 ? * * *)"),
            Ok(Cadence::Daily { hour: h(17) })
        );
        assert_eq!(
            parse_sagemaker_cron("cron(0 05 ? * * *)"),
            Ok(Cadence::Daily { hour: h(5) })
        );
        assert_eq!(
            parse_sagemaker_cron("cron(0 0 * * ? *)"),
            Ok(Cadence::Daily { hour: h(0) })
        );
        assert_eq!(
            parse_sagemaker_cron("cron(0 0/2 ? * * *)"),
            Ok(Cadence::EveryXHours {
                hour_interval: HourInterval::new(2).unwrap(),
                starting_hour: h(0)
            })
        );
        assert_eq!(
            parse_sagemaker_cron("cron(0 17/12 ? * * *)"),
            Ok(Cadence::EveryXHours {
                hour_interval: HourInterval::new(12).unwrap(),
                starting_hour: h(17)
            })
        );
        assert_eq!(
            parse_sagemaker_cron(" cron(0  23/01 * * ? *) "),
            Ok(Cadence::EveryXHours {
                hour_interval: HourInterval::new(1).unwrap(),
                starting_hour: h(23)
            })
        );
        assert_eq!(
            parse_sagemaker_cron("cron(0 3/24 ? * * *)"),
            Ok(Cadence::Daily { hour: h(3) })
        );
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "NOW",
            "rate(1 hour)",
            "cron(0 * ? * *)",
            "cron(0 * ? * * * *)",
            "cron(5 * ? * * *)",
            "cron(0 24 ? * * *)",
            "cron(0 -1 ? * * *)",
            "cron(0 1-5 ? * * *)",
            "cron(0 1,5 ? * * *)",
            "cron(0 */2 ? * * *)",
            "cron(0 0/0 ? * * *)",
            "cron(0 0/25 ? * * *)",
            "cron(0 0/ ? * * *)",
            "cron(0 * ? * MON *)",
            "cron(0 * 1 * ? *)",
            "cron(0 * ? * ? *)",
            "cron(0 * * * * *)",
            "cron(0 * ? 1 * *)",
            "cron(0 * ? * * 2024)",
            "cron(0 123 ? * * *)",
            "0 * ? * * *",
            "cron(0 * ? * * *",
        ] {
            let err = parse_sagemaker_cron(bad).unwrap_err();
            assert!(err.contains("accepted forms"), "{bad}: {err}");
        }
    }
}
