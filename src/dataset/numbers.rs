//! Numeric columns parsed during the scan, for the bias engine's few columns of a
//! numeric dataset: parsing them while the separators are found anyway is most of the time
//! polars would spend tokenizing the file a second time.
//!
//! The result must be the frame polars and [`super::pandas_like`] would build, bit for bit,
//! so a column is built here only when its type is beyond doubt: every field is one of
//! pandas' missing markers, an integer (`-?[0-9]+`, within i64), or a decimal number in the
//! forms polars infers as floats (`1.5`, `.5`, `5.`, `1e5`, with an optional sign). Any other
//! field (text, booleans, `+5`, a negative zero integer, `inf`, padding) gives the column
//! back to polars, as does a column whose first value comes so late that polars' type
//! inference (on the first 10,000 rows) would not see it. Integers become floats once a
//! float or a missing value appears, as pandas types them.

use polars::prelude::*;

/// A column whose first value lies at or past this data row goes to polars: polars infers
/// types from the first 10,000 rows, and calls a column with none there text.
const LATE_FIRST_VALUE: usize = 9_000;

/// One column of one chunk, as parsed so far.
#[derive(Debug, Default)]
pub(super) struct NumberColumn {
    ints: Vec<i64>,
    floats: Vec<f64>,
    is_float: bool,
    /// Rows (of this chunk) holding a missing marker.
    nulls: Vec<usize>,
    first_value: Option<usize>,
    rows: usize,
    /// A field that is not a plain number: polars builds this column.
    refused: bool,
}

impl NumberColumn {
    /// A column expecting about `rows` rows (growing a vector of millions touches twice
    /// the memory, and fresh memory is what reading costs most).
    pub fn with_capacity(rows: usize) -> Self {
        Self {
            ints: Vec::with_capacity(rows),
            ..Self::default()
        }
    }

    /// The next row's field; `missing`: it spells one of pandas' markers.
    pub fn push(&mut self, field: &[u8], missing: bool) {
        if self.refused {
            return;
        }
        let row = self.rows;
        self.rows += 1;
        if missing {
            self.nulls.push(row);
            if self.is_float {
                self.floats.push(0.0);
            } else {
                self.ints.push(0);
            }
            return;
        }
        self.first_value.get_or_insert(row);
        match number(field) {
            Number::Int(i) if self.is_float => self.floats.push(i as f64),
            Number::Int(i) => self.ints.push(i),
            Number::Float(f) => {
                self.make_float();
                self.floats.push(f);
            }
            Number::Not => self.refused = true,
        }
    }

    fn make_float(&mut self) {
        if !self.is_float {
            self.is_float = true;
            let mut floats = Vec::with_capacity(self.ints.capacity());
            floats.extend(self.ints.iter().map(|i| *i as f64));
            self.floats = floats;
            self.ints = Vec::new();
        }
    }
}

/// The column the chunks of one column make, as polars and `pandas_like` would type it;
/// `None`: polars must read it.
pub(super) fn assemble(name: &str, mut parts: Vec<NumberColumn>) -> Option<Column> {
    let mut first_value = None;
    let mut before = 0;
    for p in &parts {
        if p.refused {
            return None;
        }
        if first_value.is_none() {
            first_value = p.first_value.map(|r| before + r);
        }
        before += p.rows;
    }
    if first_value.is_none_or(|r| r >= LATE_FIRST_VALUE) {
        return None;
    }
    let has_nulls = parts.iter().any(|p| !p.nulls.is_empty());
    let name = PlSmallStr::from(name);
    if !has_nulls && parts.iter().all(|p| !p.is_float) {
        let chunks = parts.into_iter().map(|p| p.ints);
        return chunked::<Int64Type>(&name, chunks).map(|c| c.into_series().into());
    }
    let rows = before;
    let mut nulls = Vec::new();
    let mut offset = 0;
    for p in &mut parts {
        p.make_float();
        nulls.extend(p.nulls.iter().map(|r| offset + r));
        offset += p.rows;
    }
    let values = parts.into_iter().map(|p| p.floats);
    let column = if nulls.is_empty() {
        chunked::<Float64Type>(&name, values)?
    } else {
        let mut valid = vec![true; rows];
        for r in nulls {
            valid[r] = false;
        }
        let mut c: Float64Chunked = values
            .flatten()
            .zip(valid)
            .map(|(v, ok)| ok.then_some(v))
            .collect();
        c.rename(name);
        c
    };
    Some(column.into_series().into())
}

/// The chunks' vectors as the chunks of one array, without copying them.
fn chunked<T: PolarsNumericType>(
    name: &PlSmallStr,
    mut parts: impl Iterator<Item = Vec<T::Native>>,
) -> Option<ChunkedArray<T>> {
    let mut all = ChunkedArray::<T>::from_vec(name.clone(), parts.next().unwrap_or_default());
    for p in parts {
        all.append_owned(ChunkedArray::from_vec(name.clone(), p))
            .ok()?;
    }
    Some(all)
}

enum Number {
    Int(i64),
    Float(f64),
    Not,
}

/// A field as polars types and parses it, when it is a plain number.
fn number(field: &[u8]) -> Number {
    let (negative, digits) = match field {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, field),
    };
    let int_digits = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    if int_digits == digits.len() {
        // polars' integers take no `+`, and "-0" is a negative zero only as a float.
        if int_digits == 0 || field[0] == b'+' || (negative && digits.iter().all(|b| *b == b'0')) {
            return Number::Not;
        }
        return integer(negative, digits).map_or(Number::Not, Number::Int);
    }
    if !is_float_form(digits, int_digits) {
        return Number::Not;
    }
    fast_float2::parse::<f64, _>(field).map_or(Number::Not, Number::Float)
}

/// Decimal digits as an i64 (with its sign), or `None` past i64's range.
fn integer(negative: bool, digits: &[u8]) -> Option<i64> {
    // Accumulated negatively: i64::MIN has no positive counterpart.
    let mut v: i64 = 0;
    if digits.len() < 19 {
        for b in digits {
            v = v * 10 - i64::from(b - b'0');
        }
    } else {
        for b in digits {
            v = v.checked_mul(10)?.checked_sub(i64::from(b - b'0'))?;
        }
    }
    if negative { Some(v) } else { v.checked_neg() }
}

/// polars' float forms after the sign: `\d*\.\d+([eE][-+]?\d+)?`, `\d+[eE][-+]?\d+`, `\d+\.`.
fn is_float_form(digits: &[u8], int_digits: usize) -> bool {
    let rest = &digits[int_digits..];
    let exponent = |e: &[u8]| match e {
        [b'e' | b'E', tail @ ..] => {
            let tail = tail
                .strip_prefix(b"-")
                .or(tail.strip_prefix(b"+"))
                .unwrap_or(tail);
            !tail.is_empty() && tail.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    };
    match rest {
        [b'.'] => int_digits > 0,
        [b'.', frac @ ..] => {
            let f = frac.iter().take_while(|b| b.is_ascii_digit()).count();
            f > 0 && (f == frac.len() || exponent(&frac[f..]))
        }
        e => int_digits > 0 && exponent(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> &'static str {
        match number(s.as_bytes()) {
            Number::Int(_) => "int",
            Number::Float(_) => "float",
            Number::Not => "not",
        }
    }

    #[test]
    fn fields_are_typed_as_polars_infers_them() {
        for s in ["0", "12", "-3", "0012", "-0012", "9223372036854775807"] {
            assert_eq!(kind(s), "int", "{s}");
            let Number::Int(v) = number(s.as_bytes()) else {
                unreachable!()
            };
            assert_eq!(v, s.parse::<i64>().unwrap(), "{s}");
        }
        assert!(matches!(
            number(b"-9223372036854775808"),
            Number::Int(i64::MIN)
        ));
        for s in [
            "1.5", ".5", "5.", "-.5", "+.5", "1e5", "1E-5", "1.5e+03", "+1.5", "-0.0",
        ] {
            assert_eq!(kind(s), "float", "{s}");
        }
        for s in [
            "",
            "+5",
            "-0",
            "-00",
            ".",
            "-",
            "1.5.5",
            "5.e3",
            "1e",
            "e5",
            " 1",
            "1 ",
            "inf",
            "True",
            "abc",
            "9223372036854775808",
            "0x10",
            "1_000",
        ] {
            assert_eq!(kind(s), "not", "{s:?}");
        }
    }
}
