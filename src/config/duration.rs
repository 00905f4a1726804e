//! Durations in configuration: ISO-8601 window offsets (SageMaker's `StartTimeOffset`) and
//! `max_runtime`.

use chrono::TimeDelta;

/// Parses a SageMaker time offset such as `-PT1H`, `-P1D`, `-P1DT12H`, `PT0H`.
///
/// SageMaker's own constraint is the pattern `.?P.*` with 1–15 characters. Years and months
/// have no fixed length, so they are rejected rather than approximated.
pub fn parse_iso_offset(s: &str) -> Result<TimeDelta, String> {
    if s.is_empty() || s.len() > 15 {
        return Err(format!(
            "must be an ISO-8601 duration of 1 to 15 characters such as -PT1H or -P1D, got {s:?}"
        ));
    }
    let (negative, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let bad = || format!("is not an ISO-8601 duration such as -PT1H or -P1DT12H: {s:?}");
    let body = body.strip_prefix('P').ok_or_else(bad)?;
    let (date_part, time_part) = match body.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return Err(bad()),
        None => (body, None),
    };
    let too_long = || format!("is too long a duration: {s:?}");
    let mut total = TimeDelta::zero();
    let mut components = 0;
    for (number, unit) in components_of(date_part).ok_or_else(bad)? {
        let part = match unit {
            'W' => TimeDelta::try_weeks(number),
            'D' => TimeDelta::try_days(number),
            'Y' | 'M' => {
                return Err(format!(
                    "years and months have no fixed length; use days or hours instead (e.g. -P30D), got {s:?}"
                ));
            }
            _ => return Err(bad()),
        };
        total = part
            .and_then(|p| total.checked_add(&p))
            .ok_or_else(too_long)?;
        components += 1;
    }
    if let Some(t) = time_part {
        for (number, unit) in components_of(t).ok_or_else(bad)? {
            let part = match unit {
                'H' => TimeDelta::try_hours(number),
                'M' => TimeDelta::try_minutes(number),
                'S' => TimeDelta::try_seconds(number),
                _ => return Err(bad()),
            };
            total = part
                .and_then(|p| total.checked_add(&p))
                .ok_or_else(too_long)?;
            components += 1;
        }
    }
    if components == 0 {
        return Err(bad());
    }
    Ok(if negative { -total } else { total })
}

/// Splits `1D2W` into `[(1,'D'), (2,'W')]`; `None` if it is not digits-then-letter runs.
fn components_of(s: &str) -> Option<Vec<(i64, char)>> {
    let mut out = Vec::new();
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            if digits.is_empty() {
                return None;
            }
            out.push((digits.parse().ok()?, c));
            digits.clear();
        }
    }
    digits.is_empty().then_some(out)
}

/// Parses `max_runtime`: whole seconds (`1800`, like SageMaker's `MaxRuntimeInSeconds`) or a
/// duration such as `30m`, `1h`, `90s`, `1h30m`.
pub fn parse_runtime(value: &serde_json::Value) -> Result<std::time::Duration, String> {
    let seconds = match value {
        serde_json::Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| format!("must be a whole number of seconds, got {n}"))?,
        serde_json::Value::String(s) => parse_human_seconds(s)?,
        other => {
            return Err(format!(
                "must be seconds or a duration such as 30m, got {}",
                super::node::describe(other)
            ));
        }
    };
    if !(1..=86_400).contains(&seconds) {
        return Err(format!(
            "must be between 1 second and 24 hours, got {seconds} seconds"
        ));
    }
    Ok(std::time::Duration::from_secs(seconds))
}

/// Whole seconds from `30m`, `1h`, `90s`, `1h30m`, `3d`, `1w` (command-line durations too).
pub fn parse_human_seconds(s: &str) -> Result<u64, String> {
    let bad = || format!("must be a duration such as 30m, 1h, 90s, 1h30m or 3d, got {s:?}");
    let parts = components_of(s.trim()).ok_or_else(bad)?;
    if parts.is_empty() {
        return Err(bad());
    }
    parts.into_iter().try_fold(0u64, |acc, (n, unit)| {
        let mult = match unit {
            'w' => 7 * 86_400,
            'd' => 86_400,
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        u64::try_from(n)
            .ok()
            .and_then(|n| n.checked_mul(mult))
            .and_then(|n| acc.checked_add(n))
            .ok_or_else(bad)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn iso_offsets() {
        assert_eq!(parse_iso_offset("-PT1H").unwrap(), TimeDelta::hours(-1));
        assert_eq!(parse_iso_offset("-PT0H").unwrap(), TimeDelta::zero());
        assert_eq!(parse_iso_offset("PT0H").unwrap(), TimeDelta::zero());
        assert_eq!(parse_iso_offset("-P8D").unwrap(), TimeDelta::days(-8));
        assert_eq!(
            parse_iso_offset("-P1DT12H30M").unwrap(),
            -(TimeDelta::days(1) + TimeDelta::hours(12) + TimeDelta::minutes(30))
        );
        assert_eq!(parse_iso_offset("-P1W").unwrap(), TimeDelta::weeks(-1));
        assert_eq!(parse_iso_offset("+PT30M").unwrap(), TimeDelta::minutes(30));
    }

    #[test]
    fn iso_offsets_rejected() {
        for bad in [
            "",
            "1H",
            "-PT",
            "-P",
            "-PT1X",
            "-P1M",
            "-P1Y",
            "-PTH",
            "-PT1H2",
            "-PT1000000000000H",
            "P9999999999999D",
        ] {
            assert!(parse_iso_offset(bad).is_err(), "{bad}");
        }
        assert!(parse_iso_offset("-P1M").unwrap_err().contains("use days"));
    }

    #[test]
    fn human_durations_take_days_and_weeks() {
        assert_eq!(parse_human_seconds("3d").unwrap(), 3 * 86_400);
        assert_eq!(parse_human_seconds("1w").unwrap(), 7 * 86_400);
        assert_eq!(parse_human_seconds("1d12h").unwrap(), 36 * 3600);
        assert!(parse_human_seconds("3y").is_err());
    }

    #[test]
    fn runtimes() {
        assert_eq!(parse_runtime(&json!(1800)).unwrap().as_secs(), 1800);
        assert_eq!(parse_runtime(&json!("30m")).unwrap().as_secs(), 1800);
        assert_eq!(parse_runtime(&json!("1h30m")).unwrap().as_secs(), 5400);
        assert_eq!(parse_runtime(&json!("90s")).unwrap().as_secs(), 90);
        for bad in [
            json!(0),
            json!(-1),
            json!("30x"),
            json!("m"),
            json!(true),
            json!(100000),
        ] {
            assert!(parse_runtime(&bad).is_err(), "{bad}");
        }
    }
}
