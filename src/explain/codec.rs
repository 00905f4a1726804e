//! Model request and response bodies, both ways: the endpoint predictor encodes rows the way
//! Clarify's predictor config says (`content_type`, `content_template`, `record_template`) and
//! reads scores with `probability`/`label`; `model-server` decodes the same bodies and answers
//! in the formats SageMaker's built-in containers use.

use serde_json::{Map, Value, json};

/// The body formats SageMaker models speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
    Json,
}

impl Format {
    /// From a content type, MIME parameters ignored.
    pub fn parse(content_type: &str) -> Result<Self, String> {
        match &*crate::capture::line::bare_content_type(content_type) {
            "text/csv" => Ok(Self::Csv),
            "application/jsonlines" | "application/x-jsonlines" => Ok(Self::JsonLines),
            "application/json" => Ok(Self::Json),
            other => Err(format!(
                "unsupported content type {other:?} (text/csv, application/jsonlines, application/json)"
            )),
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Csv => "text/csv",
            Self::JsonLines => "application/jsonlines",
            Self::Json => "application/json",
        }
    }
}

/// A JSON number (NaN and infinities, which JSON lacks, are null).
pub(crate) fn number(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// Fills a record template: `$features` (a JSON list), `$features_kvp` (an object by feature
/// name), `$feature_names` (the names), `${NAME}` (one feature's value).
pub fn fill_record(template: &str, row: &[f64], names: &[String]) -> String {
    let values: Vec<Value> = row.iter().map(|x| number(*x)).collect();
    fill_record_values(template, &values, names)
}

/// [`fill_record`] for cells of any JSON type (a text column's masked text is a string).
pub fn fill_record_values(template: &str, row: &[Value], names: &[String]) -> String {
    let mut out = template.to_string();
    if out.contains("$features_kvp") {
        let kvp: Map<String, Value> = names.iter().cloned().zip(row.iter().cloned()).collect();
        out = out.replace("$features_kvp", &Value::Object(kvp).to_string());
    }
    if out.contains("$feature_names") {
        out = out.replace("$feature_names", &json!(names).to_string());
    }
    if out.contains("$features") {
        out = out.replace("$features", &Value::Array(row.to_vec()).to_string());
    }
    for (n, x) in names.iter().zip(row) {
        let key = format!("${{{n}}}");
        if out.contains(&key) {
            out = out.replace(&key, &x.to_string());
        }
    }
    out
}

/// A JSON request document from its records (`$records` / `$record` in the content template).
pub fn json_document(content: &str, records: &[String]) -> Option<String> {
    if content.contains("$records") {
        Some(content.replace("$records", &format!("[{}]", records.join(","))))
    } else if content.contains("$record") {
        Some(content.replace("$record", records.first().map_or("null", String::as_str)))
    } else {
        None
    }
}

/// Templates for JSON requests.
#[derive(Debug, Clone, PartialEq)]
pub struct Templates {
    /// JSON Lines: each line; JSON: the document (`$records` = the list of records, `$record`
    /// = the only record).
    pub content: String,
    /// JSON: each record.
    pub record: String,
}

impl Templates {
    pub fn defaults(format: Format) -> Self {
        match format {
            Format::JsonLines => Self {
                content: r#"{"features":$features}"#.into(),
                record: r#"{"features":$features}"#.into(),
            },
            _ => Self {
                content: r#"{"instances":$records}"#.into(),
                record: r#"{"features":$features}"#.into(),
            },
        }
    }
}

/// A CSV cell for a number; a missing value is an empty cell.
fn csv_number(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x}")
    }
}

/// The request body for `rows` (row-major, `names.len()` wide).
pub fn encode_rows(format: Format, rows: &[f64], names: &[String], t: &Templates) -> String {
    let width = names.len().max(1);
    match format {
        Format::Csv => rows
            .chunks(width)
            .map(|r| {
                r.iter()
                    .map(|x| csv_number(*x))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Format::JsonLines => rows
            .chunks(width)
            .map(|r| fill_record(&t.content, r, names))
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Json => {
            let records: Vec<String> = rows
                .chunks(width)
                .map(|r| fill_record(&t.record, r, names))
                .collect();
            json_document(&t.content, &records)
                .unwrap_or_else(|| fill_record(&t.content, rows, names))
        }
    }
}

/// A CSV cell: a number bare, a string always quoted (RFC 4180, quotes doubled), so a text
/// holding commas, quotes or line breaks stays one cell.
fn csv_cell(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{}\"", s.replace('"', "\"\"")),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// One record of JSON cells as its request holds it: a CSV line, a JSON Lines line, or (JSON)
/// the record template filled; [`join_records`] makes the body.
pub fn encode_record(format: Format, record: &[Value], names: &[String], t: &Templates) -> String {
    match format {
        Format::Csv => record.iter().map(csv_cell).collect::<Vec<_>>().join(","),
        Format::JsonLines => fill_record_values(&t.content, record, names),
        Format::Json => fill_record_values(&t.record, record, names),
    }
}

/// The request body of records encoded by [`encode_record`]: one per line (CSV, JSON Lines), or
/// the content template's document (JSON; without `$records`/`$record`, the first record's).
pub fn join_records(
    format: Format,
    encoded: &[String],
    first: &[Value],
    names: &[String],
    t: &Templates,
) -> String {
    match format {
        Format::Csv | Format::JsonLines => encoded.join("\n"),
        Format::Json => json_document(&t.content, encoded)
            .unwrap_or_else(|| fill_record_values(&t.content, first, names)),
    }
}

fn row_from(v: &Value, what: &str) -> Result<Vec<f64>, String> {
    let items = match v {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("features") {
            Some(Value::Array(a)) => a,
            _ => {
                return Err(format!(
                    "{what}: expected a list of numbers or {{\"features\": [...]}}"
                ));
            }
        },
        _ => return Err(format!("{what}: expected a list of numbers")),
    };
    items
        .iter()
        .map(|x| match x {
            Value::Number(n) => n
                .as_f64()
                .ok_or_else(|| format!("{what}: {x} is not a number")),
            Value::Null => Ok(f64::NAN),
            Value::String(s) => s
                .trim()
                .parse()
                .map_err(|_| format!("{what}: {s:?} is not a number")),
            _ => Err(format!("{what}: {x} is not a number")),
        })
        .collect()
}

/// `model-server`: the rows of a request body.
pub fn decode_rows(format: Format, body: &str) -> Result<Vec<Vec<f64>>, String> {
    match format {
        Format::Csv => body
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, l)| {
                l.split(',')
                    .map(|c| {
                        let c = c.trim();
                        if c.is_empty() {
                            Ok(f64::NAN)
                        } else {
                            c.parse()
                                .map_err(|_| format!("line {}: {c:?} is not a number", i + 1))
                        }
                    })
                    .collect()
            })
            .collect(),
        Format::JsonLines => body
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, l)| {
                let v: Value =
                    serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1))?;
                row_from(&v, &format!("line {}", i + 1))
            })
            .collect(),
        Format::Json => {
            let v: Value =
                serde_json::from_str(body).map_err(|e| format!("not valid JSON: {e}"))?;
            let records = match &v {
                Value::Object(o) if o.contains_key("instances") => o["instances"].clone(),
                Value::Object(o) if o.contains_key("features") => Value::Array(vec![v.clone()]),
                Value::Array(a) if a.iter().all(|x| x.is_number()) => Value::Array(vec![v.clone()]),
                other => other.clone(),
            };
            match records {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, r)| row_from(r, &format!("instance {}", i + 1)))
                    .collect(),
                _ => Err(
                    "expected {\"instances\": [...]}, a list of rows or {\"features\": [...]}"
                        .into(),
                ),
            }
        }
    }
}

/// `model-server`: the response body for scores (CSV: one per line; JSON Lines:
/// `{"score": x}` per line; JSON: `{"predictions": [{"score": x}, …]}`).
pub fn encode_scores(format: Format, scores: &[f64]) -> String {
    match format {
        Format::Csv => scores.iter().map(|s| format!("{s}")).collect::<Vec<_>>().join("\n"),
        Format::JsonLines => scores
            .iter()
            .map(|s| json!({"score": number(*s)}).to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Json => json!({"predictions": scores.iter().map(|s| json!({"score": number(*s)})).collect::<Vec<_>>()}).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["a".into(), "b".into()]
    }

    #[test]
    fn templates_fill_every_placeholder() {
        let r = fill_record(
            r#"{"x":$features,"k":$features_kvp,"n":$feature_names,"b":${b}}"#,
            &[1.5, 2.0],
            &names(),
        );
        assert_eq!(
            r,
            r#"{"x":[1.5,2.0],"k":{"a":1.5,"b":2.0},"n":["a","b"],"b":2.0}"#
        );
    }

    #[test]
    fn every_format_round_trips_through_the_server_side() {
        let rows = [1.5, 2.0, -3.0, 4.25];
        for f in [Format::Csv, Format::JsonLines, Format::Json] {
            let body = encode_rows(f, &rows, &names(), &Templates::defaults(f));
            assert_eq!(
                decode_rows(f, &body).unwrap(),
                vec![vec![1.5, 2.0], vec![-3.0, 4.25]],
                "{f:?}: {body}"
            );
        }
        assert_eq!(
            encode_scores(Format::Json, &[0.25]),
            r#"{"predictions":[{"score":0.25}]}"#
        );
        assert!(Format::parse("text/plain").is_err());
        assert_eq!(
            Format::parse("text/csv; charset=utf-8").unwrap(),
            Format::Csv
        );
    }
}
