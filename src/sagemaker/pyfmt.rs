//! Python's text for numbers, where SageMaker's outputs carry it verbatim: violation
//! descriptions (`repr(float)`), facet value strings (`str(value)`), interval strings
//! (`str(pd.Interval)`).

/// Python's `repr(x)` for a float: the shortest digits that round-trip, in fixed notation
/// when the decimal exponent is in [-4, 16), else scientific with a signed two-digit exponent
/// (`1e-05`, `1.5e+16`); `inf`, `-inf`, `nan` for the specials.
pub fn py_float_repr(x: f64) -> String {
    let mut out = String::new();
    push_py_float_repr(&mut out, x);
    out
}

/// [`py_float_repr`] appended to `out`, without allocating: local SHAP values and dataset
/// columns write hundreds of thousands of them.
pub fn push_py_float_repr(out: &mut String, x: f64) {
    use std::fmt::Write;
    if x.is_nan() {
        return out.push_str("nan");
    }
    if x.is_infinite() {
        return out.push_str(if x > 0.0 { "inf" } else { "-inf" });
    }
    if x == 0.0 {
        return out.push_str(if x.is_sign_negative() { "-0.0" } else { "0.0" });
    }
    // The shortest round-trip digits (as Python's repr picks them) and the decimal exponent.
    let mut ryu = ryu::Buffer::new();
    let (digits, exp) = shortest_digits(ryu.format_finite(x.abs()));
    let digits = digits.as_str();
    let (first, rest) = digits.split_at(1);
    if x < 0.0 {
        out.push('-');
    }
    if !(-4..16).contains(&exp) {
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let esign = if exp < 0 { '-' } else { '+' };
        let _ = write!(out, "e{esign}{:02}", exp.abs());
        return;
    }
    // Fixed notation: the point sits after digit (exp + 1) of first‖rest.
    let digits = 1 + rest.len();
    if exp < 0 {
        out.push_str("0.");
        (1..exp.unsigned_abs()).for_each(|_| out.push('0'));
        out.push_str(first);
        out.push_str(rest);
        return;
    }
    let point = exp as usize + 1;
    out.push_str(first);
    if digits <= point {
        out.push_str(rest);
        (digits..point).for_each(|_| out.push('0'));
        out.push_str(".0");
    } else {
        out.push_str(&rest[..point - 1]);
        out.push('.');
        out.push_str(&rest[point - 1..]);
    }
}

/// The significant digits (no leading or trailing zeros, at least one) and the decimal
/// exponent of the first one, from ryu's output: `1.5e16`, `1e-7`, `123.45`, `0.00123`,
/// `100.0`.
/// The shortest round-trip digits of finite `x`'s magnitude (no leading or trailing zeros,
/// at least one digit) and the decimal exponent of the first: `0.0125` → ("125", -2).
pub(crate) fn round_trip_digits(x: f64) -> (String, i32) {
    let mut ryu = ryu::Buffer::new();
    let (digits, exp) = shortest_digits(ryu.format_finite(x.abs()));
    (digits.as_str().to_string(), exp)
}

fn shortest_digits(s: &str) -> (Buf, i32) {
    let mut digits = Buf::default();
    let (mantissa, exp) = match s.split_once('e') {
        Some((m, e)) => (m, e.parse().unwrap_or(0)),
        None => (s, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let int = int.trim_start_matches('0');
    let exp = if int.is_empty() {
        let zeros = frac.len() - frac.trim_start_matches('0').len();
        digits.push(frac[zeros..].trim_end_matches('0'));
        exp - zeros as i32 - 1
    } else {
        digits.push(int);
        digits.push(frac);
        exp + int.len() as i32 - 1
    };
    digits.len = digits.as_str().trim_end_matches('0').len().max(1);
    (digits, exp)
}

/// A fixed buffer the digits of a finite f64 fit in.
#[derive(Default)]
struct Buf {
    bytes: [u8; 32],
    len: usize,
}

impl Buf {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }

    /// Appends `s` (ASCII digits); what does not fit is dropped (a finite f64 has at most 17
    /// significant digits, and ryu's decimal form at most 16 digits before the point).
    fn push(&mut self, s: &str) {
        let n = s.len().min(self.bytes.len() - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
    }
}

/// How smclarify writes ±∞ in analysis.json and violation texts.
pub fn infinity_text(x: f64) -> Option<&'static str> {
    if x == f64::INFINITY {
        Some("Infinity")
    } else if x == f64::NEG_INFINITY {
        Some("-Infinity")
    } else {
        None
    }
}

/// A metric value as SageMaker prints it in a violation description: Python's `repr`, with
/// ±∞ as `Infinity` / `-Infinity`.
pub fn metric_text(x: f64) -> String {
    infinity_text(x)
        .map(str::to_string)
        .unwrap_or_else(|| py_float_repr(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python_repr() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (-2.5, "-2.5"),
            (100.0, "100.0"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.3333333333333333"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000012345, "1.2345e-05"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (123456789.125, "123456789.125"),
            (2.348543e108, "2.348543e+108"),
            (-0.07650793650793647, "-0.07650793650793647"),
            (0.28176563733194276, "0.28176563733194276"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::INFINITY, "inf"),
            (f64::NAN, "nan"),
        ];
        for (x, want) in cases {
            assert_eq!(py_float_repr(*x), *want, "{x:e}");
        }
    }

    /// CPython's own `repr` of values of every magnitude and digit count, and of exact ties
    /// between two shortest candidates (Python rounds those half to even; the formatting
    /// driftwatch used before rounded `842892308120621.25` up, to `…621.3`).
    #[test]
    fn matches_cpython_on_its_golden_values() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/pyfmt/repr.json"
        ))
        .unwrap();
        let golden: serde_json::Value = serde_json::from_str(&text).unwrap();
        let values = golden["values"].as_array().unwrap();
        assert!(values.len() > 1000);
        let mut out = String::new();
        for v in values {
            let x = f64::from_bits(v[0].as_u64().unwrap());
            out.clear();
            push_py_float_repr(&mut out, x);
            assert_eq!(out, v[1].as_str().unwrap(), "{x:e}");
        }
    }

    #[test]
    fn metric_text_spells_infinity() {
        assert_eq!(metric_text(f64::INFINITY), "Infinity");
        assert_eq!(metric_text(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(metric_text(2.916666666666667), "2.916666666666667");
    }
}
