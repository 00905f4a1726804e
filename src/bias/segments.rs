//! The rows of each segment of a `segment_config` entry (the SDK's `SegmentationConfig`):
//! N segments of values or intervals, and `__default__` for the rows none of them holds.
//! A row may be in several of the N (overlapping intervals or values); each segment is
//! analysed on its own rows.

use crate::config::analysis::{ConfigScalar, SegmentConfig};

use super::select::{categorical_mask, joined, scalar_str};
use super::values::Values;

/// The name Clarify gives the segment of the rows no listed segment holds.
pub const DEFAULT_SEGMENT: &str = "__default__";

/// One segment: its display name, its values as written, and its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub name: String,
    pub values: Vec<String>,
    pub mask: Vec<bool>,
}

/// An interval in pandas' notation: `[a, b]`, `(a, b]`, `[a, b)`, `(a, b)`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Interval {
    lo: f64,
    hi: f64,
    lo_closed: bool,
    hi_closed: bool,
}

impl Interval {
    fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let lo_closed = match s.chars().next()? {
            '[' => true,
            '(' => false,
            _ => return None,
        };
        let hi_closed = match s.chars().last()? {
            ']' => true,
            ')' => false,
            _ => return None,
        };
        let inner = s.get(1..s.len() - 1)?;
        let (a, b) = inner.split_once(',')?;
        let num = |t: &str| -> Option<f64> {
            match t.trim() {
                "inf" | "+inf" | "Infinity" => Some(f64::INFINITY),
                "-inf" | "-Infinity" => Some(f64::NEG_INFINITY),
                t => t.parse::<f64>().ok().filter(|x| !x.is_nan()),
            }
        };
        let (lo, hi) = (num(a)?, num(b)?);
        (lo <= hi).then_some(Self {
            lo,
            hi,
            lo_closed,
            hi_closed,
        })
    }

    fn contains(&self, x: f64) -> bool {
        let above = if self.lo_closed {
            x >= self.lo
        } else {
            x > self.lo
        };
        let below = if self.hi_closed {
            x <= self.hi
        } else {
            x < self.hi
        };
        above && below
    }
}

/// The segments of `cfg` over `column`: intervals when the column is numeric and every entry
/// is an interval, values otherwise (matched as smclarify matches a facet's values, with its
/// conversion to the column's type). Errors name the entry.
pub fn segments(column: &Values, cfg: &SegmentConfig) -> Result<Vec<Segment>, String> {
    let numeric = matches!(column, Values::Int(_) | Values::Float(_));
    let parsed: Vec<Vec<Option<Interval>>> = cfg
        .segments
        .iter()
        .map(|seg| {
            seg.iter()
                .map(|v| match v {
                    ConfigScalar::Str(s) => Interval::parse(s),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let all_intervals = parsed.iter().flatten().all(Option::is_some);
    let any_interval = parsed.iter().flatten().any(Option::is_some);
    if any_interval && !all_intervals {
        return Err(
            "segments: mixes intervals and values; a segment config is one or the other".into(),
        );
    }
    let mut out = Vec::with_capacity(cfg.segments.len() + 1);
    for (i, seg) in cfg.segments.iter().enumerate() {
        let mask = if all_intervals && numeric {
            let x = column.as_f64();
            let ivs: Vec<Interval> = parsed[i].iter().flatten().copied().collect();
            x.iter()
                .map(|v| !v.is_nan() && ivs.iter().any(|iv| iv.contains(*v)))
                .collect()
        } else if all_intervals {
            return Err(format!(
                "segments[{i}]: intervals need a numeric column, and this one holds text"
            ));
        } else {
            categorical_mask(column, seg).map_err(|e| format!("segments[{i}]: {e}"))?
        };
        out.push(Segment {
            name: cfg
                .display_aliases
                .as_ref()
                .and_then(|a| a.get(i).cloned())
                .unwrap_or_else(|| joined(seg)),
            values: seg.iter().map(scalar_str).collect(),
            mask,
        });
    }
    let rest: Vec<bool> = (0..column.len())
        .map(|r| !out.iter().any(|s| s.mask[r]))
        .collect();
    out.push(Segment {
        name: cfg
            .display_aliases
            .as_ref()
            .and_then(|a| a.get(cfg.segments.len()).cloned())
            .unwrap_or_else(|| DEFAULT_SEGMENT.to_string()),
        values: Vec::new(),
        mask: rest,
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::analysis::ColumnRef;

    fn cfg(segments: Vec<Vec<ConfigScalar>>, aliases: Option<Vec<&str>>) -> SegmentConfig {
        SegmentConfig {
            column: ColumnRef::Name("c".into()),
            segments,
            config_name: None,
            display_aliases: aliases.map(|a| a.iter().map(|s| s.to_string()).collect()),
        }
    }

    fn s(v: &str) -> ConfigScalar {
        ConfigScalar::Str(v.into())
    }

    #[test]
    fn intervals_follow_their_brackets_and_the_rest_is_default() {
        let col = Values::Int(vec![1, 4, 5, 6, 7, 9, 10]);
        let out = segments(
            &col,
            &cfg(vec![vec![s("[1, 4]"), s("(5, 6]")], vec![s("(7,9)")]], None),
        )
        .unwrap();
        assert_eq!(out[0].mask, [true, true, false, true, false, false, false]);
        assert_eq!(out[1].mask, [false; 7]);
        assert_eq!(out[2].name, DEFAULT_SEGMENT);
        assert_eq!(out[2].mask, [false, false, true, false, true, true, true]);
        assert_eq!(out[0].name, "[1, 4],(5, 6]");
    }

    #[test]
    fn values_match_as_facet_values_and_aliases_name_segments() {
        let col = Values::Str(vec![
            Some("A".into()),
            Some("B".into()),
            Some("C".into()),
            None,
        ]);
        let out = segments(
            &col,
            &cfg(vec![vec![s("A"), s("B")]], Some(vec!["AB", "others"])),
        )
        .unwrap();
        assert_eq!(out[0].name, "AB");
        assert_eq!(out[0].mask, [true, true, false, false]);
        assert_eq!(out[1].name, "others");
        assert_eq!(out[1].mask, [false, false, true, true]);
        let ints = Values::Int(vec![39, 40, 43]);
        let out = segments(
            &ints,
            &cfg(
                vec![vec![ConfigScalar::Int(39)], vec![s("40"), s("43")]],
                None,
            ),
        )
        .unwrap();
        assert_eq!(
            out[1].mask,
            [false, true, true],
            "strings converted as smclarify converts"
        );
        let e = segments(&ints, &cfg(vec![vec![s("[1, 2]"), s("x")]], None)).unwrap_err();
        assert!(e.contains("mixes intervals and values"), "{e}");
    }
}
