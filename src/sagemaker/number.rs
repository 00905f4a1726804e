//! Numbers and scalars as SageMaker's JSON files carry them.
//!
//! smclarify writes ±∞ as the strings `"Infinity"` / `"-Infinity"` and an errored metric as
//! `null`; facet values and thresholds are strings, though hand-written or older files may
//! hold plain numbers. Reading is lenient in exactly those ways and no other.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::pyfmt::infinity_text;

/// A metric value: a number (±∞ included), or none (`null`: the metric errored).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MetricValue(pub Option<f64>);

impl MetricValue {
    pub fn new(x: f64) -> Self {
        Self((!x.is_nan()).then_some(x))
    }

    pub fn get(self) -> Option<f64> {
        self.0
    }
}

impl From<Option<f64>> for MetricValue {
    fn from(v: Option<f64>) -> Self {
        Self(v.filter(|x| !x.is_nan()))
    }
}

impl Serialize for MetricValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            None => s.serialize_none(),
            Some(x) => match infinity_text(x) {
                Some(text) => s.serialize_str(text),
                None if x.is_nan() => s.serialize_none(),
                None => s.serialize_f64(x),
            },
        }
    }
}

impl<'de> Deserialize<'de> for MetricValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MetricValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, \"Infinity\", \"-Infinity\" or null")
            }
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<MetricValue, E> {
                Ok(MetricValue::new(x))
            }
            fn visit_i64<E: de::Error>(self, x: i64) -> Result<MetricValue, E> {
                Ok(MetricValue::new(x as f64))
            }
            fn visit_u64<E: de::Error>(self, x: u64) -> Result<MetricValue, E> {
                Ok(MetricValue::new(x as f64))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<MetricValue, E> {
                Ok(MetricValue(match s {
                    "Infinity" => Some(f64::INFINITY),
                    "-Infinity" => Some(f64::NEG_INFINITY),
                    _ => None,
                }))
            }
            fn visit_none<E: de::Error>(self) -> Result<MetricValue, E> {
                Ok(MetricValue(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<MetricValue, E> {
                Ok(MetricValue(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<MetricValue, E> {
                Ok(MetricValue(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads a JSON scalar as the text SageMaker means by it: strings as they are, numbers and
/// booleans in their JSON spelling, `null` as empty.
pub fn scalar_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or a number")
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<String, E> {
            Ok(s.to_string())
        }
        fn visit_string<E: de::Error>(self, s: String) -> Result<String, E> {
            Ok(s)
        }
        fn visit_f64<E: de::Error>(self, x: f64) -> Result<String, E> {
            Ok(serde_json::Number::from_f64(x).map_or_else(String::new, |n| n.to_string()))
        }
        fn visit_i64<E: de::Error>(self, x: i64) -> Result<String, E> {
            Ok(x.to_string())
        }
        fn visit_u64<E: de::Error>(self, x: u64) -> Result<String, E> {
            Ok(x.to_string())
        }
        fn visit_bool<E: de::Error>(self, b: bool) -> Result<String, E> {
            Ok(b.to_string())
        }
        fn visit_none<E: de::Error>(self) -> Result<String, E> {
            Ok(String::new())
        }
        fn visit_unit<E: de::Error>(self) -> Result<String, E> {
            Ok(String::new())
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infinities_are_strings_and_errors_null() {
        let vals = [
            MetricValue::new(0.25),
            MetricValue::new(f64::INFINITY),
            MetricValue::new(f64::NEG_INFINITY),
            MetricValue(None),
            MetricValue::new(f64::NAN),
        ];
        let text = serde_json::to_string(&vals).unwrap();
        assert_eq!(text, r#"[0.25,"Infinity","-Infinity",null,null]"#);
        let back: Vec<MetricValue> = serde_json::from_str(&text).unwrap();
        assert_eq!(back[..4], vals[..4]);
        let ints: Vec<MetricValue> = serde_json::from_str("[0, -3, \"x\"]").unwrap();
        assert_eq!(
            ints,
            [
                MetricValue(Some(0.0)),
                MetricValue(Some(-3.0)),
                MetricValue(None)
            ]
        );
    }

    #[test]
    fn scalars_read_as_text() {
        #[derive(Deserialize)]
        struct T {
            #[serde(deserialize_with = "scalar_text")]
            a: String,
        }
        for (json, want) in [
            (r#"{"a": "0"}"#, "0"),
            (r#"{"a": 1}"#, "1"),
            (r#"{"a": 0.5}"#, "0.5"),
        ] {
            assert_eq!(serde_json::from_str::<T>(json).unwrap().a, want);
        }
    }
}
