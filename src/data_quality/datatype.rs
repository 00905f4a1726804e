//! Deequ's data-type inference (`StatefulDataType`, `DataTypeHistogram.determineType`): each
//! value as written is Fractional, Integral, Boolean or String by Deequ's regular
//! expressions, in that order; the column's type follows from the counts.
//!
//! The expressions, matched against the whole text:
//! Fractional `(-|\+)? ?\d+((\.\d+)|((?:\.\d+)?[Ee][-+]?\d+))`, Integral `(-|\+)? ?\d+`,
//! Boolean `true|false`; `\d` is an ASCII digit (Java's default). So `3.0` and `1e5` are
//! Fractional, `.5`, `1.`, `NaN` and `inf` are Strings.

/// What one value looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Fractional,
    Integral,
    Boolean,
    String,
}

/// A column's type as statistics.json and constraints.json name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum InferredType {
    Unknown,
    Fractional,
    Integral,
    Boolean,
    String,
}

impl InferredType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "Unknown",
            Self::Fractional => "Fractional",
            Self::Integral => "Integral",
            Self::Boolean => "Boolean",
            Self::String => "String",
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, Self::Fractional | Self::Integral)
    }
}

/// `[-+]? ?` then at least one ASCII digit; the rest of the text after them.
fn sign_and_digits(s: &str) -> Option<&str> {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let s = s.strip_prefix(' ').unwrap_or(s);
    let rest = s.trim_start_matches(|c: char| c.is_ascii_digit());
    (rest.len() < s.len()).then_some(rest)
}

/// `\.\d+` at the start of `s`: the rest after it.
fn dot_digits(s: &str) -> Option<&str> {
    let s = s.strip_prefix('.')?;
    let rest = s.trim_start_matches(|c: char| c.is_ascii_digit());
    (rest.len() < s.len()).then_some(rest)
}

/// `[Ee][-+]?\d+` is the whole of `s`.
fn is_exponent(s: &str) -> bool {
    let Some(s) = s.strip_prefix(['e', 'E']) else {
        return false;
    };
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

pub fn classify(text: &str) -> ValueType {
    if let Some(rest) = sign_and_digits(text) {
        if rest.is_empty() {
            return ValueType::Integral;
        }
        let fractional = match dot_digits(rest) {
            Some(after) => after.is_empty() || is_exponent(after),
            None => is_exponent(rest),
        };
        if fractional {
            return ValueType::Fractional;
        }
    }
    if text == "true" || text == "false" {
        return ValueType::Boolean;
    }
    ValueType::String
}

/// The counts of a column's values by type (`DataTypeHistogram`); mergeable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TypeCounts {
    pub null: u64,
    pub fractional: u64,
    pub integral: u64,
    pub boolean: u64,
    pub string: u64,
}

impl TypeCounts {
    pub fn add(&mut self, value: Option<&str>) {
        match value.map(classify) {
            None => self.null += 1,
            Some(ValueType::Fractional) => self.fractional += 1,
            Some(ValueType::Integral) => self.integral += 1,
            Some(ValueType::Boolean) => self.boolean += 1,
            Some(ValueType::String) => self.string += 1,
        }
    }

    pub fn merge(&mut self, o: &Self) {
        self.null += o.null;
        self.fractional += o.fractional;
        self.integral += o.integral;
        self.boolean += o.boolean;
        self.string += o.string;
    }

    pub fn total(&self) -> u64 {
        self.null + self.fractional + self.integral + self.boolean + self.string
    }

    pub fn of(&self, t: InferredType) -> u64 {
        match t {
            InferredType::Unknown => self.null,
            InferredType::Fractional => self.fractional,
            InferredType::Integral => self.integral,
            InferredType::Boolean => self.boolean,
            InferredType::String => self.string,
        }
    }

    /// `determineType`: all null → Unknown; any String, or Booleans among numbers → String;
    /// Booleans alone → Boolean; any Fractional → Fractional; else Integral.
    pub fn inferred(&self) -> InferredType {
        if self.null == self.total() {
            InferredType::Unknown
        } else if self.string > 0 || (self.boolean > 0 && (self.integral + self.fractional) > 0) {
            InferredType::String
        } else if self.boolean > 0 {
            InferredType::Boolean
        } else if self.fractional > 0 {
            InferredType::Fractional
        } else {
            InferredType::Integral
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_typed_by_deequs_expressions() {
        use ValueType::*;
        for (text, t) in [
            ("3", Integral),
            ("-3", Integral),
            ("+3", Integral),
            ("- 3", Integral),
            ("  3", String),
            ("3.0", Fractional),
            ("-0.5", Fractional),
            ("1e5", Fractional),
            ("1.5E-3", Fractional),
            ("2e+10", Fractional),
            (".5", String),
            ("1.", String),
            ("1e", String),
            ("1.5e", String),
            ("NaN", String),
            ("inf", String),
            ("true", Boolean),
            ("True", String),
            ("", String),
            ("٣", String),
            ("1,5", String),
            ("3 ", String),
        ] {
            assert_eq!(classify(text), t, "{text:?}");
        }
    }

    #[test]
    fn a_column_type_follows_deequs_decision_order() {
        let of = |values: &[Option<&str>]| {
            let mut c = TypeCounts::default();
            values.iter().for_each(|v| c.add(*v));
            c.inferred()
        };
        assert_eq!(of(&[None, None]), InferredType::Unknown);
        assert_eq!(of(&[Some("1"), None]), InferredType::Integral);
        assert_eq!(of(&[Some("1"), Some("2.0")]), InferredType::Fractional);
        assert_eq!(of(&[Some("1"), Some("x")]), InferredType::String);
        assert_eq!(of(&[Some("true"), Some("1")]), InferredType::String);
        assert_eq!(of(&[Some("true"), None]), InferredType::Boolean);
    }
}
