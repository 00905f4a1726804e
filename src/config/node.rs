//! A path-aware reader over a parsed document (YAML or JSON, both as `serde_json::Value`).
//!
//! Serde's derive stops at the first error and loses the path of nested list items, so the
//! schedules file and the Clarify analysis config are read by hand through these helpers: each
//! accessor records a precise problem (path + message) and returns `None`, and validation goes on.

use serde_json::{Map, Value};

use super::problems::Problems;

/// A value together with its path in the document.
#[derive(Clone, Copy)]
pub struct Node<'p, 'a> {
    pub path: &'p str,
    pub value: &'a Value,
}

/// Joins a parent path and a key: `a` + `b` → `a.b`, `` + `b` → `b`.
pub fn key_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// Joins a parent path and a list index: `a` + 2 → `a[2]`.
pub fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// How a value is named in messages ("got a list").
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("{n}"),
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a mapping".to_string(),
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(&lower, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

impl<'p, 'a> Node<'p, 'a> {
    pub fn new(path: &'p str, value: &'a Value) -> Self {
        Self { path, value }
    }

    pub fn as_map(&self, problems: &mut Problems) -> Option<&'a Map<String, Value>> {
        match self.value {
            Value::Object(m) => Some(m),
            other => {
                problems.push(
                    self.path,
                    format!("must be a mapping, got {}", describe(other)),
                );
                None
            }
        }
    }

    pub fn as_list(&self, problems: &mut Problems) -> Option<&'a Vec<Value>> {
        match self.value {
            Value::Array(items) => Some(items),
            other => {
                problems.push(
                    self.path,
                    format!("must be a list, got {}", describe(other)),
                );
                None
            }
        }
    }

    pub fn as_str(&self, problems: &mut Problems) -> Option<&'a str> {
        match self.value {
            Value::String(s) => Some(s),
            other => {
                problems.push(
                    self.path,
                    format!("must be a string, got {}", describe(other)),
                );
                None
            }
        }
    }

    pub fn as_bool(&self, problems: &mut Problems) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(*b),
            other => {
                problems.push(
                    self.path,
                    format!("must be true or false, got {}", describe(other)),
                );
                None
            }
        }
    }

    /// A finite number (integers are accepted).
    pub fn as_f64(&self, problems: &mut Problems) -> Option<f64> {
        match self.value.as_f64() {
            Some(x) if x.is_finite() => Some(x),
            _ => {
                problems.push(
                    self.path,
                    format!("must be a number, got {}", describe(self.value)),
                );
                None
            }
        }
    }

    /// An integer in `lo..=hi`; the message names the range, as users expect.
    pub fn as_int_in(&self, lo: i64, hi: i64, problems: &mut Problems) -> Option<i64> {
        match self.value.as_i64() {
            Some(v) if (lo..=hi).contains(&v) => Some(v),
            Some(v) => {
                problems.push(self.path, format!("must be between {lo} and {hi}, got {v}"));
                None
            }
            None => {
                problems.push(
                    self.path,
                    format!(
                        "must be an integer between {lo} and {hi}, got {}",
                        describe(self.value)
                    ),
                );
                None
            }
        }
    }
}

/// A mapping being read: reports unknown keys and missing required ones.
pub struct MapReader<'a> {
    pub path: String,
    pub map: &'a Map<String, Value>,
}

impl<'a> MapReader<'a> {
    /// Reads `value` as a mapping located at `path`; records a problem if it is not one.
    pub fn new(path: &str, value: &'a Value, problems: &mut Problems) -> Option<Self> {
        Node::new(path, value).as_map(problems).map(|map| Self {
            path: path.to_string(),
            map,
        })
    }

    /// Records every key not in `known`, suggesting the closest known key.
    pub fn reject_unknown(&self, known: &[&str], problems: &mut Problems) {
        for key in self.map.keys() {
            if known.contains(&key.as_str()) {
                continue;
            }
            let message = match did_you_mean(key, known) {
                Some(s) => format!("unknown key (did you mean \"{s}\"?)"),
                None => format!("unknown key; expected one of: {}", known.join(", ")),
            };
            problems.push(key_path(&self.path, key), message);
        }
    }

    pub fn child_path(&self, key: &str) -> String {
        key_path(&self.path, key)
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn required(&self, key: &str, problems: &mut Problems) -> Option<&'a Value> {
        let v = self.get(key);
        if v.is_none() {
            problems.push(self.child_path(key), "missing required key");
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["cadence", "endpoint", "output"];
        assert_eq!(did_you_mean("cadance", &keys), Some("cadence"));
        assert_eq!(did_you_mean("Endpoint", &keys), Some("endpoint"));
        assert_eq!(did_you_mean("zzz", &keys), None);
    }

    #[test]
    fn paths_compose() {
        assert_eq!(key_path("", "a"), "a");
        assert_eq!(
            key_path(&index_path("schedules", 1), "cadence"),
            "schedules[1].cadence"
        );
    }
}
