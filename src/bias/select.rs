//! Which rows a label value, facet value or threshold selects — smclarify's
//! `series_datatype`, `_categorical_data_idx` (with its type-conversion retry) and
//! `_interval_index` semantics.

use crate::config::analysis::{ColumnType, ConfigScalar};
use crate::sagemaker::pyfmt::py_float_repr;

use super::values::{Values, Weights};

/// smclarify's uniqueness threshold: an integer column with at least 5 % distinct values is
/// continuous.
pub const UNIQUENESS_THRESHOLD: f64 = 0.05;

/// smclarify's `series_datatype`: decides CATEGORICAL vs CONTINUOUS from the dtype, the
/// number of configured values and the share of distinct values.
pub fn infer_type(
    values: &Values,
    configured: Option<&[ConfigScalar]>,
    w: Weights<'_>,
) -> ColumnType {
    if configured.is_some_and(|v| v.len() > 1) {
        return ColumnType::Categorical;
    }
    let (unique, count) = values.unique_and_count(w);
    let uniqueness = if count == 0 {
        0.0
    } else {
        unique as f64 / count as f64
    };
    match values {
        Values::Float(_) => ColumnType::Continuous,
        Values::Int(_) if uniqueness >= UNIQUENESS_THRESHOLD => ColumnType::Continuous,
        Values::Str(_) if values.strings_all_int() && uniqueness >= UNIQUENESS_THRESHOLD => {
            ColumnType::Continuous
        }
        _ => ColumnType::Categorical,
    }
}

/// Python's `str()` of a configured value.
pub fn scalar_str(v: &ConfigScalar) -> String {
    match v {
        ConfigScalar::Int(i) => i.to_string(),
        ConfigScalar::Float(f) => py_float_repr(*f),
        ConfigScalar::Str(s) => s.clone(),
    }
}

/// `",".join(map(str, values))`, the label/facet value string of analysis.json.
pub fn joined(values: &[ConfigScalar]) -> String {
    values.iter().map(scalar_str).collect::<Vec<_>>().join(",")
}

/// Python `==` between a cell and a configured value (no conversion).
fn cell_equals(col: &Values, i: usize, v: &ConfigScalar) -> bool {
    match (col, v) {
        (Values::Int(c), ConfigScalar::Int(x)) => c[i] == *x,
        (Values::Int(c), ConfigScalar::Float(x)) => (c[i] as f64) == *x,
        (Values::Float(c), ConfigScalar::Int(x)) => c[i] == *x as f64,
        (Values::Float(c), ConfigScalar::Float(x)) => c[i] == *x,
        (Values::Str(c), ConfigScalar::Str(x)) => c[i].as_deref() == Some(x.as_str()),
        (Values::Bool(c), ConfigScalar::Int(x)) => c[i].is_some_and(|b| i64::from(b) == *x),
        (Values::Bool(c), ConfigScalar::Float(x)) => {
            c[i].is_some_and(|b| f64::from(u8::from(b)) == *x)
        }
        _ => false,
    }
}

fn any_equal_mask(col: &Values, wanted: &[ConfigScalar]) -> Vec<bool> {
    (0..col.len())
        .map(|i| wanted.iter().any(|v| cell_equals(col, i, v)))
        .collect()
}

/// smclarify's `convert_positive_label_values`: casts the configured values to the type of
/// the column's first element (Python `int()`, `float()`, `str()`, `bool()`).
fn convert_to_column_type(
    col: &Values,
    wanted: &[ConfigScalar],
) -> Result<Vec<ConfigScalar>, String> {
    let no_positive = "'label' has not positive elements. Double-check if 'label' and 'positive_label_values'have correct data-types or values.";
    match col {
        Values::Int(_) => {
            let as_int: Result<Vec<ConfigScalar>, ()> = wanted
                .iter()
                .map(|v| match v {
                    ConfigScalar::Int(i) => Ok(ConfigScalar::Int(*i)),
                    ConfigScalar::Float(f) => Ok(ConfigScalar::Int(f.trunc() as i64)),
                    ConfigScalar::Str(s) => s
                        .trim()
                        .parse::<i64>()
                        .map(ConfigScalar::Int)
                        .map_err(|_| ()),
                })
                .collect();
            match as_int {
                Ok(v) => Ok(v),
                // int('1.0') fails: smclarify retries with float(), which may fail for good.
                Err(()) => wanted
                    .iter()
                    .map(|v| match v {
                        ConfigScalar::Str(s) => s
                            .trim()
                            .parse::<f64>()
                            .map(ConfigScalar::Float)
                            .map_err(|_| format!("could not convert string to float: '{s}'")),
                        other => Ok(other.clone()),
                    })
                    .collect(),
            }
        }
        Values::Float(_) => wanted
            .iter()
            .map(|v| match v {
                ConfigScalar::Int(i) => Ok(ConfigScalar::Float(*i as f64)),
                ConfigScalar::Float(f) => Ok(ConfigScalar::Float(*f)),
                ConfigScalar::Str(s) => s
                    .trim()
                    .parse::<f64>()
                    .map(ConfigScalar::Float)
                    .map_err(|_| no_positive.to_string()),
            })
            .collect(),
        Values::Str(_) => Ok(wanted
            .iter()
            .map(|v| ConfigScalar::Str(scalar_str(v)))
            .collect()),
        Values::Bool(_) => Ok(wanted
            .iter()
            .map(|v| {
                let truthy = match v {
                    ConfigScalar::Int(i) => *i != 0,
                    ConfigScalar::Float(f) => *f != 0.0,
                    ConfigScalar::Str(s) => s.eq_ignore_ascii_case("true"),
                };
                ConfigScalar::Int(i64::from(truthy))
            })
            .collect()),
    }
}

/// Rows whose value is one of `wanted`; if none matches, the values are converted to the
/// column's type and matched again (smclarify's retry). May still select nothing.
pub fn categorical_mask(col: &Values, wanted: &[ConfigScalar]) -> Result<Vec<bool>, String> {
    let mask = any_equal_mask(col, wanted);
    if mask.iter().any(|m| *m) || col.is_empty() {
        return Ok(mask);
    }
    let converted = convert_to_column_type(col, wanted)?;
    Ok(any_equal_mask(col, &converted))
}

/// A continuous selection: rows in the interval (threshold, max], and its text.
pub struct ThresholdSelection {
    pub mask: Vec<bool>,
    /// `str(pd.Interval)` such as `(30, 99]` or `(0.5, 1.0]`; empty when no interval exists
    /// (threshold at or above the maximum).
    pub interval: String,
}

/// The threshold of a continuous column, as smclarify takes it: `values[0]`, converted with
/// `float()` when it is a string.
pub fn threshold_of(values: Option<&[ConfigScalar]>) -> Result<ConfigScalar, String> {
    let Some(first) = values.and_then(|v| v.first()) else {
        return Err("Threshold values must be provided for continuous features".into());
    };
    match first {
        ConfigScalar::Str(s) => s
            .trim()
            .parse::<f64>()
            .map(ConfigScalar::Float)
            .map_err(|_| {
                "Facet/label value provided must be a single numeric threshold for continuous data"
                    .into()
            }),
        other => Ok(other.clone()),
    }
}

/// smclarify's `_interval_index` + `_continuous_data_idx` for one threshold over `data`
/// (NaN = missing). `max_over` gives the values whose maximum closes the interval (the label
/// and predictions together, for predicted labels); `int_breaks` is whether pandas would see
/// integer breaks (integer data and an integer threshold).
pub fn threshold_mask(
    data: &[f64],
    max_over: &[f64],
    threshold: &ConfigScalar,
    int_breaks: bool,
) -> ThresholdSelection {
    let thr = match threshold {
        ConfigScalar::Int(i) => *i as f64,
        ConfigScalar::Float(f) => *f,
        ConfigScalar::Str(s) => s.parse().unwrap_or(f64::NAN),
    };
    let int_breaks = int_breaks && matches!(threshold, ConfigScalar::Int(_));
    let max = max_over
        .iter()
        .copied()
        .filter(|x| !x.is_nan())
        .fold(f64::NAN, f64::max);
    let mut breaks = vec![thr];
    if max.is_nan() || max.abs() != thr {
        breaks.push(max);
    }
    breaks.sort_by(|a, b| a.total_cmp(b));
    if breaks.len() < 2 || breaks.iter().any(|b| b.is_nan()) {
        return ThresholdSelection {
            mask: vec![false; data.len()],
            interval: String::new(),
        };
    }
    let (lo, hi) = (breaks[0], breaks[1]);
    let fmt = |x: f64| {
        if int_breaks {
            format!("{}", x as i64)
        } else {
            py_float_repr(x)
        }
    };
    ThresholdSelection {
        mask: data.iter().map(|x| *x > lo && *x <= hi).collect(),
        interval: format!("({}, {}]", fmt(lo), fmt(hi)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(v: &[i64]) -> Values {
        Values::Int(v.to_vec())
    }

    #[test]
    fn inference_follows_the_five_percent_rule() {
        let small = ints(&[0, 1, 0, 1, 1, 0, 0, 1, 0, 1]);
        assert_eq!(
            infer_type(&small, Some(&[ConfigScalar::Int(1)]), None),
            ColumnType::Continuous
        );
        assert_eq!(
            infer_type(
                &small,
                Some(&[ConfigScalar::Int(0), ConfigScalar::Int(1)]),
                None
            ),
            ColumnType::Categorical
        );
        let big = ints(&(0..100).map(|i| i % 2).collect::<Vec<_>>());
        assert_eq!(infer_type(&big, None, None), ColumnType::Categorical);
        assert_eq!(
            infer_type(&Values::Float(vec![0.0, 1.0]), None, None),
            ColumnType::Continuous
        );
        assert_eq!(
            infer_type(&Values::Bool(vec![Some(true)]), None, None),
            ColumnType::Categorical
        );
        let s = Values::Str(vec![Some("1".into()), Some("2".into())]);
        assert_eq!(infer_type(&s, None, None), ColumnType::Continuous);
        let s = Values::Str(vec![Some("a".into()), Some("b".into())]);
        assert_eq!(infer_type(&s, None, None), ColumnType::Categorical);
    }

    #[test]
    fn categorical_match_retries_with_the_column_type() {
        let col = ints(&[1, 2, 1]);
        assert_eq!(
            categorical_mask(&col, &[ConfigScalar::Str("1".into())]).unwrap(),
            [true, false, true]
        );
        assert_eq!(
            categorical_mask(&col, &[ConfigScalar::Str("2.0".into())]).unwrap(),
            [false, true, false]
        );
        let s = Values::Str(vec![Some("1".into()), Some("x".into())]);
        assert_eq!(
            categorical_mask(&s, &[ConfigScalar::Int(1)]).unwrap(),
            [true, false]
        );
        assert_eq!(
            categorical_mask(&s, &[ConfigScalar::Str("zzz".into())]).unwrap(),
            [false, false]
        );
        assert!(categorical_mask(&col, &[ConfigScalar::Str("abc".into())]).is_err());
    }

    #[test]
    fn thresholds_select_strictly_greater_up_to_the_max() {
        let data = [10.0, 31.0, 99.0, f64::NAN];
        let sel = threshold_mask(&data, &data, &ConfigScalar::Int(30), true);
        assert_eq!(sel.mask, [false, true, true, false]);
        assert_eq!(sel.interval, "(30, 99]");
        let sel = threshold_mask(&data, &data, &ConfigScalar::Float(30.0), false);
        assert_eq!(sel.interval, "(30.0, 99.0]");
        // Threshold at the maximum: empty interval, nothing selected.
        let sel = threshold_mask(&data, &data, &ConfigScalar::Int(99), true);
        assert_eq!(sel.interval, "");
        assert!(sel.mask.iter().all(|m| !m));
        // Above the maximum: the interval (max, thr] selects nothing.
        let sel = threshold_mask(&[0.0, 1.0], &[0.0, 1.0], &ConfigScalar::Int(5), true);
        assert_eq!(sel.interval, "(1, 5]");
        assert!(sel.mask.iter().all(|m| !m));
    }
}
