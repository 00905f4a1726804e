//! The text of the files Model Monitor's analyzer container writes (statistics.json,
//! constraints.json, its constraint_violations.json): Jackson's default pretty printer, with
//! Java's `Double.toString` for doubles.
//!
//! Why not serde_json's pretty printer: the container writes `"key" : value` (a space before
//! the colon), arrays on one line (`[ 1.0, 2.0 ]`, objects in them opened on the same line:
//! `[ {`), no final newline, and doubles as Java prints them (`2048.0`, `1.0E-4`, `1.0E7`).
//! Files that match byte for byte are the simplest proof of compatibility, and diff cleanly
//! against the ones SageMaker wrote.

use std::io;

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter};

use super::pyfmt::round_trip_digits;

/// `v` as the analyzer container writes it.
pub fn jackson_bytes<T: Serialize + ?Sized>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Jackson::default());
    // Serializing these types cannot fail: keys are strings and values plain data.
    if v.serialize(&mut ser).is_err() {
        out.clear();
    }
    out
}

/// Java's `Double.toString`: the shortest digits that round-trip; plain notation with at
/// least one fraction digit for magnitudes in [1e-3, 1e7), else `d.dddE±n`; `NaN`,
/// `Infinity`, `-Infinity`.
pub fn java_double(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x == 0.0 {
        return format!("{sign}0.0");
    }
    let (digits, exp) = round_trip_digits(x);
    let (first, rest) = digits.split_at(1);
    if (-3..7).contains(&exp) {
        if exp < 0 {
            let zeros = "0".repeat((-exp - 1) as usize);
            return format!("{sign}0.{zeros}{digits}");
        }
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            let zeros = "0".repeat(int_len - digits.len());
            return format!("{sign}{digits}{zeros}.0");
        }
        let (int, frac) = digits.split_at(int_len);
        return format!("{sign}{int}.{frac}");
    }
    let rest = if rest.is_empty() { "0" } else { rest };
    format!("{sign}{first}.{rest}E{exp}")
}

/// Jackson's `DefaultPrettyPrinter`: objects indent their entries by two spaces a level of
/// object nesting (arrays add none), arrays stay on one line.
#[derive(Default)]
struct Jackson {
    /// For each open object, whether it had an entry (`{ }` when empty); its length is the
    /// indentation depth.
    had_entry: Vec<bool>,
}

impl Jackson {
    fn indent<W: ?Sized + io::Write>(&self, w: &mut W, depth: usize) -> io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }
}

impl Formatter for Jackson {
    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        w.write_all(java_double(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(w, f64::from(value))
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b"[")
    }

    /// `[ 1.0, 2.0 ]`, and `[ ]` when empty.
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b" ]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        w.write_all(if first { b" " } else { b", " })
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.had_entry.push(false);
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.had_entry.pop().unwrap_or(false) {
            self.indent(w, self.had_entry.len())?;
            w.write_all(b"}")
        } else {
            w.write_all(b" }")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if let Some(h) = self.had_entry.last_mut() {
            *h = true;
        }
        if !first {
            w.write_all(b",")?;
        }
        self.indent(w, self.had_entry.len())
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b" : ")
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        // Jackson writes control characters as \u00XX in upper case, and the usual short
        // escapes otherwise (as serde_json does).
        match escape {
            CharEscape::AsciiControl(b) => write!(w, "\\u{b:04X}"),
            other => serde_json::ser::CompactFormatter.write_char_escape(w, other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn doubles_are_written_as_java_writes_them() {
        for (x, s) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (231.0, "231.0"),
            (2048.0, "2048.0"),
            (0.64, "0.64"),
            (0.8330066026148891, "0.8330066026148891"),
            (1.2, "1.2"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (0.00012345, "1.2345E-4"),
            (1234567.0, "1234567.0"),
            (9999999.0, "9999999.0"),
            (1.0e7, "1.0E7"),
            (12345678.9, "1.23456789E7"),
            (-2.5e-10, "-2.5E-10"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(java_double(x), s, "{x}");
        }
    }

    #[test]
    fn layout_is_jacksons_default_pretty_printer() {
        let v = json!({
            "version": 0.0,
            "dataset": {"item_count": 100},
            "features": [{"name": "a", "data": [[1.0, 2.0]]}, {"name": "b", "empty": {}, "none": []}]
        });
        let text = String::from_utf8(jackson_bytes(&v)).unwrap();
        assert_eq!(
            text,
            "{\n  \"version\" : 0.0,\n  \"dataset\" : {\n    \"item_count\" : 100\n  },\n  \"features\" : [ {\n    \"name\" : \"a\",\n    \"data\" : [ [ 1.0, 2.0 ] ]\n  }, {\n    \"name\" : \"b\",\n    \"empty\" : { },\n    \"none\" : [ ]\n  } ]\n}"
        );
    }
}
