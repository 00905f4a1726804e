//! A column's values with pandas' type semantics (int64 / float64 / object / bool), which
//! smclarify's type inference and value matching depend on.

use polars::prelude::*;

use crate::sagemaker::pyfmt::py_float_repr;

/// How many records each row stands for: a streamed window counts identical rows once
/// (`capture::reduce`); `None`: a row per record.
pub type Weights<'a> = Option<&'a [u64]>;

/// The records the selected rows stand for.
pub fn count_selected(mask: &[bool], w: Weights<'_>) -> u64 {
    match w {
        None => mask.iter().filter(|x| **x).count() as u64,
        Some(w) => mask
            .iter()
            .zip(w)
            .filter(|(m, _)| **m)
            .map(|(_, n)| *n)
            .sum(),
    }
}

/// Column values; floats use NaN for missing values, as pandas does.
#[derive(Debug, Clone)]
pub enum Values {
    Int(Vec<i64>),
    Float(Vec<f64>),
    Str(Vec<Option<String>>),
    Bool(Vec<Option<bool>>),
}

impl Values {
    pub fn from_column(col: &Column) -> Result<Self, String> {
        let s = col.as_materialized_series();
        let name = col.name();
        let err = |e: PolarsError| format!("column {name:?}: {e}");
        Ok(match s.dtype() {
            DataType::Int64 if s.null_count() == 0 => {
                Self::Int(s.i64().map_err(err)?.into_no_null_iter().collect())
            }
            d if d.is_integer() || d.is_float() => {
                let f = s.cast(&DataType::Float64).map_err(err)?;
                Self::Float(
                    f.f64()
                        .map_err(err)?
                        .iter()
                        .map(|v| v.unwrap_or(f64::NAN))
                        .collect(),
                )
            }
            DataType::Boolean => Self::Bool(s.bool().map_err(err)?.iter().collect()),
            _ => {
                let st = s.cast(&DataType::String).map_err(err)?;
                Self::Str(
                    st.str()
                        .map_err(err)?
                        .iter()
                        .map(|v| v.map(str::to_string))
                        .collect(),
                )
            }
        })
    }

    pub fn len(&self) -> usize {
        match self {
            Self::Int(v) => v.len(),
            Self::Float(v) => v.len(),
            Self::Str(v) => v.len(),
            Self::Bool(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// pandas' `nunique()` and `count()`: distinct and total non-missing values (each row
    /// counted as the records it stands for).
    pub fn unique_and_count(&self, w: Weights<'_>) -> (usize, usize) {
        use foldhash::HashSet;
        let present = (0..self.len()).filter(|i| !self.is_missing(*i));
        let count = match w {
            None => present.count(),
            Some(w) => present.map(|i| w[i]).sum::<u64>() as usize,
        };
        let unique = match self {
            Self::Int(v) => distinct_ints(v),
            Self::Float(v) => v
                .iter()
                .filter(|x| !x.is_nan())
                .map(|x| canonical_bits(*x))
                .collect::<HashSet<_>>()
                .len(),
            Self::Str(v) => v.iter().flatten().collect::<HashSet<_>>().len(),
            Self::Bool(v) => v.iter().flatten().collect::<HashSet<_>>().len(),
        };
        (unique, count)
    }

    /// Distinct values in order of first appearance (pandas' `unique()`, missing included
    /// once as `nan`), each as Python's `str()` prints it, with the mask of rows equal to it.
    /// Missing values never compare equal, so the `nan` entry selects no row.
    pub fn distinct_in_order(&self) -> Vec<(String, Vec<bool>)> {
        let keys: Vec<String> = (0..self.len()).map(|i| self.py_str(i)).collect();
        let mut seen = foldhash::HashSet::default();
        let order: Vec<&String> = keys.iter().filter(|k| seen.insert(k.as_str())).collect();
        order
            .into_iter()
            .map(|k| {
                let mask = (0..self.len())
                    .map(|i| !self.is_missing(i) && keys[i] == *k)
                    .collect();
                (k.clone(), mask)
            })
            .collect()
    }

    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            Self::Int(_) => false,
            Self::Float(v) => v[i].is_nan(),
            Self::Str(v) => v[i].is_none(),
            Self::Bool(v) => v[i].is_none(),
        }
    }

    /// Python's `str()` of value i (missing → `nan`).
    pub fn py_str(&self, i: usize) -> String {
        match self {
            Self::Int(v) => v[i].to_string(),
            Self::Float(v) => py_float_repr(v[i]),
            Self::Str(v) => v[i].clone().unwrap_or_else(|| "nan".into()),
            Self::Bool(v) => match v[i] {
                Some(true) => "True".into(),
                Some(false) => "False".into(),
                None => "nan".into(),
            },
        }
    }

    /// Numeric view (bools as 0/1, missing or non-numeric as NaN), for thresholds and FT.
    pub fn as_f64(&self) -> Vec<f64> {
        match self {
            Self::Int(v) => v.iter().map(|x| *x as f64).collect(),
            Self::Float(v) => v.clone(),
            Self::Bool(v) => v
                .iter()
                .map(|x| x.map_or(f64::NAN, |b| f64::from(u8::from(b))))
                .collect(),
            Self::Str(v) => v
                .iter()
                .map(|x| {
                    x.as_deref()
                        .and_then(|s| s.trim().parse().ok())
                        .unwrap_or(f64::NAN)
                })
                .collect(),
        }
    }

    /// pandas `astype("int64")` on strings: every value present and an integer.
    pub fn strings_all_int(&self) -> bool {
        match self {
            Self::Str(v) => v.iter().all(|x| {
                x.as_deref()
                    .is_some_and(|s| s.trim().parse::<i64>().is_ok())
            }),
            _ => false,
        }
    }
}

/// How many distinct integers: a bitmap over their range when it is narrow (codes, counts,
/// years: the usual label, facet and group columns), a hash set otherwise.
fn distinct_ints(v: &[i64]) -> usize {
    let (Some(min), Some(max)) = (v.iter().min(), v.iter().max()) else {
        return 0;
    };
    let span = (i128::from(*max) - i128::from(*min)) as u128;
    if span >= (v.len() as u128).max(1 << 16) * 8 {
        return v.iter().collect::<foldhash::HashSet<_>>().len();
    }
    let mut seen = vec![0u64; (span as usize) / 64 + 1];
    let mut distinct = 0;
    for x in v {
        let at = x.abs_diff(*min) as usize;
        let (word, bit) = (at / 64, 1u64 << (at % 64));
        if seen[word] & bit == 0 {
            seen[word] |= bit;
            distinct += 1;
        }
    }
    distinct
}

/// Bits of a float with -0.0 folded into 0.0, for hashing distinct values.
fn canonical_bits(x: f64) -> u64 {
    if x == 0.0 { 0 } else { x.to_bits() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_integers_are_counted_narrow_or_wide() {
        assert_eq!(distinct_ints(&[]), 0);
        assert_eq!(distinct_ints(&[3, 1, 3, -2, 1]), 3);
        assert_eq!(distinct_ints(&[i64::MIN, i64::MAX, 0, i64::MAX]), 3);
        let wide: Vec<i64> = (0..1000).map(|i| i * 1_000_000_007).collect();
        assert_eq!(distinct_ints(&wide), 1000);
        let narrow = Values::Int(vec![5, 7, 5, 9, 7]);
        assert_eq!(narrow.unique_and_count(None), (3, 5));
        assert_eq!(narrow.unique_and_count(Some(&[1, 2, 3, 4, 5])), (3, 15));
    }
}
