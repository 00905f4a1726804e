//! UTC instants as driftwatch reads and writes them (RFC 3339, `Z`, whole seconds).

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Utc};

/// Parses a time given on the command line: RFC 3339 with any offset (converted to UTC), or
/// a bare date meaning midnight UTC. A time without a zone is ambiguous and rejected.
///
/// Years outside 1970–9999 are refused: no capture is that old, and window arithmetic on
/// such a time (a typo such as year 1000 for 2000) would list millions of windows.
pub fn parse_utc(s: &str) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    let parsed = DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
        });
    if let Some(t) = parsed {
        if !(1970..=9999).contains(&t.year()) {
            return Err(format!(
                "{s:?} is outside the years driftwatch accepts (1970 to 9999)"
            ));
        }
        return Ok(t);
    }
    Err(format!(
        "{s:?} is not a UTC time; use RFC 3339 such as 2024-01-19T20:00:00Z (or a date, 2024-01-19)"
    ))
}

/// Formats an instant as RFC 3339 UTC with a `Z` suffix and seconds precision.
pub fn format_utc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let t = parse_utc("2024-01-19T20:00:00Z").unwrap();
        assert_eq!(format_utc(t), "2024-01-19T20:00:00Z");
        assert_eq!(
            format_utc(parse_utc("2024-01-19T21:30:00+01:30").unwrap()),
            "2024-01-19T20:00:00Z"
        );
        assert_eq!(
            format_utc(parse_utc("2024-01-19").unwrap()),
            "2024-01-19T00:00:00Z"
        );
    }

    #[test]
    fn rejects_ambiguous_or_bad() {
        for bad in [
            "",
            "2024-01-19T20:00:00",
            "yesterday",
            "2024-13-01",
            "2024-02-30T00:00:00Z",
            "1000-01-01T00:00:00Z",
            "+12000-01-01T00:00:00Z",
            "1969-12-31",
        ] {
            assert!(parse_utc(bad).is_err(), "{bad}");
        }
    }
}

/// Serde for instants in records: written with [`format_utc`], read with [`parse_utc`].
pub mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_utc(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_utc(&s).map_err(serde::de::Error::custom)
    }
}
