//! Python's text for numbers, where SageMaker's outputs carry it verbatim: violation
//! descriptions (`repr(float)`), facet value strings (`str(value)`), interval strings
//! (`str(pd.Interval)`).

/// Python's `repr(x)` for a float: the shortest digits that round-trip, in fixed notation
/// when the decimal exponent is in [-4, 16), else scientific with a signed two-digit exponent
/// (`1e-05`, `1.5e+16`); `inf`, `-inf`, `nan` for the specials.
pub fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Rust's `{:e}` prints the shortest round-trip digits: "-1.2345e-7", "1e16", "0e0".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if x == 0.0 {
        return format!("{sign}0.0");
    }
    if !(-4..16).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    // Fixed notation: the point sits after digit (exp + 1).
    let point = exp + 1;
    let body = if point <= 0 {
        format!("0.{}{}", "0".repeat(point.unsigned_abs() as usize), digits)
    } else {
        let point = point as usize;
        if digits.len() <= point {
            format!("{}{}.0", digits, "0".repeat(point - digits.len()))
        } else {
            format!("{}.{}", &digits[..point], &digits[point..])
        }
    };
    format!("{sign}{body}")
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

    #[test]
    fn metric_text_spells_infinity() {
        assert_eq!(metric_text(f64::INFINITY), "Infinity");
        assert_eq!(metric_text(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(metric_text(2.916666666666667), "2.916666666666667");
    }
}
