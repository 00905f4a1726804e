//! The bias engine's columns parsed during the scan: parsing them while the separators are
//! found anyway saves polars tokenizing the whole file a second time.
//!
//! The result must be the frame polars and [`super::pandas_like`] would build, bit for bit,
//! so a column is built here only when its type is beyond doubt:
//! - **numbers**: every field is one of pandas' missing markers, an integer (`-?[0-9]+`,
//!   within i64), or a decimal number in the forms polars infers as floats (`1.5`, `.5`,
//!   `5.`, `1e5`, with an optional sign), parsed with polars' own float parser. Integers
//!   become floats once a float or a missing value appears, as pandas types them;
//! - **text**: the column's first value is text polars can only call text (not a number, a
//!   boolean, `inf` or `NaN`), and so is the first value of every chunk. Every field is then
//!   kept as written, markers missing, as polars keeps a text column.
//!
//! Anything else gives the column back to polars: booleans, a negative zero integer, `inf`,
//! a number column that meets text, or a column whose first value comes so late that polars'
//! type inference (on the first 10,000 rows) would not see it.

use polars::prelude::*;

/// A column whose first value lies at or past this data row goes to polars: polars infers
/// types from the first 10,000 rows, and calls a column with none there text.
const LATE_FIRST_VALUE: usize = 9_000;

/// The values of one column of one chunk so far, missing ones as placeholders.
#[derive(Debug)]
enum Values<'a> {
    Ints(Vec<i64>),
    Floats(Vec<f64>),
    Texts(Vec<&'a [u8]>),
}

/// One column of one chunk, as parsed so far.
#[derive(Debug)]
pub(super) struct ParsedColumn<'a> {
    values: Values<'a>,
    /// Rows (of this chunk) holding a missing marker.
    nulls: Vec<usize>,
    first_value: Option<usize>,
    rows: usize,
    /// A field this column cannot take: polars builds the column.
    refused: bool,
}

impl<'a> ParsedColumn<'a> {
    /// A column expecting about `rows` rows (growing a vector of millions touches twice
    /// the memory, and fresh memory is what reading costs most).
    pub fn with_capacity(rows: usize) -> Self {
        Self {
            values: Values::Ints(Vec::with_capacity(rows)),
            nulls: Vec::new(),
            first_value: None,
            rows: 0,
            refused: false,
        }
    }

    /// The next row's field; `missing`: it spells one of pandas' markers.
    pub fn push(&mut self, field: &'a [u8], missing: bool) {
        if self.refused {
            return;
        }
        let row = self.rows;
        self.rows += 1;
        if missing {
            self.nulls.push(row);
            match &mut self.values {
                Values::Ints(v) => v.push(0),
                Values::Floats(v) => v.push(0.0),
                Values::Texts(v) => v.push(b""),
            }
            return;
        }
        let first = self.first_value.is_none();
        self.first_value.get_or_insert(row);
        if let Values::Texts(v) = &mut self.values {
            v.push(field);
            return;
        }
        match number(field) {
            Number::Int(i) => match &mut self.values {
                Values::Floats(v) => v.push(i as f64),
                Values::Ints(v) => v.push(i),
                Values::Texts(_) => {}
            },
            Number::Float(f) => {
                self.make_float();
                if let Values::Floats(v) = &mut self.values {
                    v.push(f);
                }
            }
            Number::Not if first && is_text(field) => {
                // Only missing values so far: their placeholders become empty text.
                let mut texts = Vec::with_capacity(self.capacity());
                texts.resize(row, &b""[..]);
                texts.push(field);
                self.values = Values::Texts(texts);
            }
            Number::Not => self.refused = true,
        }
    }

    fn capacity(&self) -> usize {
        match &self.values {
            Values::Ints(v) => v.capacity(),
            Values::Floats(v) => v.capacity(),
            Values::Texts(v) => v.capacity(),
        }
    }

    fn make_float(&mut self) {
        if let Values::Ints(ints) = &self.values {
            let mut floats = Vec::with_capacity(ints.capacity());
            floats.extend(ints.iter().map(|i| *i as f64));
            self.values = Values::Floats(floats);
        }
    }

    fn is_text(&self) -> bool {
        matches!(self.values, Values::Texts(_))
    }
}

/// The column the chunks of one column make, as polars and `pandas_like` would type it;
/// `None`: polars must read it.
pub(super) fn assemble(name: &str, mut parts: Vec<ParsedColumn<'_>>) -> Option<Column> {
    let mut first_value = None;
    let mut rows = 0;
    for p in &parts {
        if p.refused {
            return None;
        }
        if first_value.is_none() {
            first_value = p.first_value.map(|r| rows + r);
        }
        rows += p.rows;
    }
    if first_value.is_none_or(|r| r >= LATE_FIRST_VALUE) {
        return None;
    }
    // Every chunk with a value must agree on text or numbers (a chunk of missing values
    // only takes either).
    let text = parts.iter().any(ParsedColumn::is_text);
    if text
        && parts
            .iter()
            .any(|p| p.first_value.is_some() && !p.is_text())
    {
        return None;
    }
    // Which rows hold a value, when some do not.
    let valid = parts.iter().any(|p| !p.nulls.is_empty()).then(|| {
        let mut valid = vec![true; rows];
        let mut offset = 0;
        for p in &parts {
            p.nulls.iter().for_each(|r| valid[offset + r] = false);
            offset += p.rows;
        }
        valid
    });
    let present = |row: usize| valid.as_ref().is_none_or(|v| v[row]);
    let name = PlSmallStr::from(name);
    if text {
        let mut texts: Vec<Option<&str>> = Vec::with_capacity(rows);
        for p in &parts {
            for k in 0..p.rows {
                let t = match &p.values {
                    Values::Texts(v) => std::str::from_utf8(v[k]).ok()?,
                    _ => "",
                };
                texts.push(present(texts.len()).then_some(t));
            }
        }
        return Some(
            StringChunked::from_iter_options(name, texts.into_iter())
                .into_series()
                .into(),
        );
    }
    if valid.is_none() && parts.iter().all(|p| matches!(p.values, Values::Ints(_))) {
        let chunks = parts.into_iter().map(|p| match p.values {
            Values::Ints(v) => v,
            _ => Vec::new(),
        });
        return chunked::<Int64Type>(&name, chunks).map(|c| c.into_series().into());
    }
    for p in &mut parts {
        p.make_float();
    }
    let values = parts.into_iter().map(|p| match p.values {
        Values::Floats(v) => v,
        _ => Vec::new(),
    });
    let column = match &valid {
        None => chunked::<Float64Type>(&name, values)?,
        Some(valid) => {
            let mut c: Float64Chunked = values
                .flatten()
                .zip(valid)
                .map(|(v, ok)| ok.then_some(v))
                .collect();
            c.rename(name);
            c
        }
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

/// Whether polars can only type the field as text: it matches none of polars' boolean,
/// float (`inf` and `NaN` included) and integer patterns.
fn is_text(field: &[u8]) -> bool {
    let boolean = field.eq_ignore_ascii_case(b"true") || field.eq_ignore_ascii_case(b"false");
    let unsigned = field
        .strip_prefix(b"-")
        .or(field.strip_prefix(b"+"))
        .unwrap_or(field);
    let digits = unsigned.iter().take_while(|b| b.is_ascii_digit()).count();
    // `-?\d+`: no plus sign.
    let integer = digits == unsigned.len() && digits > 0 && !field.starts_with(b"+");
    let float = is_float_form(unsigned, digits) || unsigned == b"inf" || unsigned == b"NaN";
    !(boolean || integer || float)
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
    fn text_is_what_polars_cannot_read_as_anything_else() {
        for s in [
            "Male", "a1", "+5", "1.2.3", " 1", "nan", "Inf", "TRUE!", "e5", "-",
        ] {
            assert!(is_text(s.as_bytes()), "{s}");
        }
        for s in [
            "True", "false", "5", "-5", "1.5", "+.5", "inf", "-inf", "NaN", "+NaN", "1e5",
        ] {
            assert!(!is_text(s.as_bytes()), "{s}");
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
