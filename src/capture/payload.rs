//! Turning captured payloads into records: feature rows from the request, predictions from
//! the response, one per record of a multi-record request.
//!
//! Formats (SageMaker's): `text/csv` — one record per line; `application/jsonlines` — one JSON
//! record per line, features at `features_attribute`; `application/json` — one document,
//! records located by `features_attribute` (e.g. `instances[*].features`). Outputs: a zero-based
//! index (CSV) or a JMESPath (JSON) for the label (`inference_attribute`) and the score
//! (`probability_attribute`); a CSV output that is a single number is a score.

use std::fmt::Display;

use serde_json::Value;

use super::cell::Cell;
use super::line::Payload;
use crate::config::analysis::Locator;

/// A compiled JMESPath expression with its text, for messages.
pub struct JsonPath {
    text: String,
    expr: jmespath::Expression<'static>,
}

impl JsonPath {
    pub fn compile(text: &str) -> Result<Self, String> {
        let expr =
            jmespath::compile(text).map_err(|e| format!("invalid JMESPath {text:?}: {e}"))?;
        Ok(Self {
            text: text.to_string(),
            expr,
        })
    }

    pub fn search(&self, v: &Value) -> Result<Value, String> {
        let found = self
            .expr
            .search(v)
            .map_err(|e| format!("JMESPath {:?} failed: {e}", self.text))?;
        serde_json::to_value(&*found).map_err(|e| format!("JMESPath {:?}: {e}", self.text))
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}

/// The model's answer for one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The predicted label, when the output carries one.
    pub label: Option<Value>,
    /// The score (probability), when the output carries one.
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Csv,
    JsonLines,
    Json,
}

fn kind_of(p: &Payload) -> Result<Kind, String> {
    match &*p.content_type {
        "text/csv" => Ok(Kind::Csv),
        "application/jsonlines" | "application/x-jsonlines" => Ok(Kind::JsonLines),
        "application/json" => Ok(Kind::Json),
        other => Err(format!(
            "unsupported content type {other:?} (text/csv, application/jsonlines, application/json)"
        )),
    }
}

/// Splits one CSV line into cells, honouring double quotes.
pub fn csv_cells(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                if let Some(last) = cells.last_mut() {
                    last.push('"');
                }
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(String::new()),
            _ => {
                if let Some(last) = cells.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    cells
}

/// One CSV line as cells; lines without quotes (nearly all) are split without copying, into a
/// row allocated once at its final size.
fn csv_row(line: &str) -> Vec<Cell> {
    if line.contains('"') {
        return csv_cells(line).iter().map(|c| csv_cell(c)).collect();
    }
    let mut row = Vec::with_capacity(line.bytes().filter(|&b| b == b',').count() + 1);
    row.extend(line.split(',').map(csv_cell));
    row
}

/// A CSV cell typed as pandas' `read_csv` types it: an integer or a float when it parses as
/// one (`1` is an integer, `1.0` a float), missing for pandas' `na_values` (`NaN`, empty,
/// `NULL`, … — as `analyze` reads a dataset), else text (`1e400`, beyond a float, included).
/// Straight to a [`Cell`]: a window parses tens of millions of them.
pub fn csv_cell(cell: &str) -> Cell {
    let t = cell.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Cell::Int(i);
    }
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() => Cell::Float(x),
        // Numbers first (nearly every cell): no NA spelling parses as a finite number, so
        // asking after is the same as asking before.
        _ if crate::dataset::csv::na_marker(cell.as_bytes()).is_some() => Cell::Null,
        _ => Cell::Text(t.into()),
    }
}

/// One CSV line as JSON scalars (see [`csv_row`]).
fn csv_values(line: &str) -> Vec<Value> {
    csv_row(line).into_iter().map(Value::from).collect()
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
}

/// "input record N" or "output record N" in messages: spelled out only when there is one to
/// write, not for every record of a window.
struct Record(&'static str, usize);

impl Display for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} record {}", self.0, self.1)
    }
}

fn json(text: &str, what: &dyn Display) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("{what} is not valid JSON: {e}"))
}

/// How a payload's cells are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Spelling {
    /// Typed by value, as pandas types them (the Clarify monitors).
    #[default]
    Typed,
    /// As the payload spells them (the data-quality profile types the text as Deequ does):
    /// CSV cells split as Spark splits them (empty and unquoted: missing), JSON values as their
    /// JSON text (strings unquoted, `null` missing).
    Verbatim,
}

impl Spelling {
    fn cell(self, v: Value) -> Cell {
        match (self, v) {
            (Self::Typed, v) => Cell::from(v),
            (Self::Verbatim, Value::Null) => Cell::Null,
            (Self::Verbatim, Value::String(s)) => Cell::Text(s.into()),
            (Self::Verbatim, other) => Cell::Text(other.to_string().into()),
        }
    }

    fn csv(self, line: &str) -> Result<Vec<Cell>, String> {
        match self {
            Self::Typed => Ok(csv_row(line)),
            Self::Verbatim => crate::spark_csv::split_map(line, |c| {
                c.map_or(Cell::Null, |c| Cell::Text(c.into()))
            }),
        }
    }
}

/// A JSON list of scalars as a row of cells, allocated at its final size.
fn as_row(v: Value, what: &dyn Display, spelling: Spelling) -> Result<Vec<Cell>, String> {
    match v {
        Value::Array(items) if items.iter().all(|x| !x.is_array() && !x.is_object()) => {
            let mut row = Vec::with_capacity(items.len());
            row.extend(items.into_iter().map(|x| spelling.cell(x)));
            Ok(row)
        }
        // One scalar (a response's single score): a row of one cell.
        v if spelling == Spelling::Verbatim && !v.is_object() && !v.is_array() => {
            Ok(vec![spelling.cell(v)])
        }
        other => Err(format!(
            "{what} is not a list of feature values: {}",
            truncate(&other.to_string())
        )),
    }
}

/// At most 120 characters of offending content, for messages.
pub fn truncate(s: &str) -> String {
    if s.chars().count() <= 120 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(120).collect::<String>())
    }
}

/// The feature rows of a request payload.
pub fn decode_features(p: &Payload, features: Option<&JsonPath>) -> Result<Vec<Vec<Cell>>, String> {
    decode_rows(p, features, Spelling::Typed, "input")
}

/// The rows of a payload (`what`: "input" or "output", for messages), its cells spelled as
/// `spelling` says.
pub fn decode_rows(
    p: &Payload,
    features: Option<&JsonPath>,
    spelling: Spelling,
    what: &'static str,
) -> Result<Vec<Vec<Cell>>, String> {
    let text = p.text()?;
    match kind_of(p)? {
        Kind::Csv => lines(&text)
            .enumerate()
            .map(|(i, l)| {
                spelling
                    .csv(l)
                    .map_err(|e| format!("{} {e}", Record(what, i + 1)))
            })
            .collect(),
        Kind::JsonLines => lines(&text)
            .enumerate()
            .map(|(i, l)| {
                let v = json(l, &Record(what, i + 1))?;
                let v = match features {
                    Some(path) => path.search(&v)?,
                    None => v,
                };
                as_row(v, &Record(what, i + 1), spelling)
            })
            .collect(),
        Kind::Json => {
            let v = json(&text, &what)?;
            let found = match features {
                Some(path) => path.search(&v)?,
                None => v,
            };
            match found {
                Value::Array(items) if items.iter().all(Value::is_array) => items
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| as_row(r, &Record(what, i + 1), spelling))
                    .collect(),
                Value::Array(_) => Ok(vec![as_row(found, &what, spelling)?]),
                Value::Null => Err(format!(
                    "no features found in the JSON {what}{}",
                    features
                        .map(|f| format!(" at {:?}", f.text()))
                        .unwrap_or_default()
                )),
                other if spelling == Spelling::Verbatim && !other.is_object() => {
                    Ok(vec![vec![spelling.cell(other)]])
                }
                other => Err(format!(
                    "JSON {what} features are not rows: {}",
                    truncate(&other.to_string())
                )),
            }
        }
    }
}

/// How to find the label and the score in a response.
pub struct OutputLocators {
    pub inference: Option<OutputLocator>,
    pub probability: Option<OutputLocator>,
}

pub enum OutputLocator {
    Index(usize),
    Path(JsonPath),
}

impl OutputLocator {
    pub fn from_config(l: &Locator) -> Result<Self, String> {
        match l {
            Locator::Index(i) => Ok(Self::Index(*i)),
            Locator::Path(p) => JsonPath::compile(p).map(Self::Path),
        }
    }
}

fn score_of(v: &Value, what: &dyn Display) -> Result<(Option<Value>, f64), String> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .map(|x| (None, x))
            .ok_or_else(|| format!("{what} is not a number")),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map(|x| (None, x))
            .map_err(|_| format!("{what} {s:?} is not a number")),
        // A list of class probabilities: the label is the class with the highest one.
        Value::Array(items) => {
            let probs: Vec<f64> = items
                .iter()
                .map(|x| x.as_f64().ok_or(()))
                .collect::<Result<_, _>>()
                .map_err(|_| format!("{what} is not a list of numbers"))?;
            let (best, p) =
                probs
                    .iter()
                    .copied()
                    .enumerate()
                    .fold(
                        (0, f64::NEG_INFINITY),
                        |acc, (i, p)| if p > acc.1 { (i, p) } else { acc },
                    );
            if probs.is_empty() {
                return Err(format!("{what} is an empty list"));
            }
            Ok((Some(Value::from(best)), p))
        }
        other => Err(format!(
            "{what} is not a score: {}",
            truncate(&other.to_string())
        )),
    }
}

fn prediction_from(
    label: Option<&Value>,
    score: Option<&Value>,
    what: &dyn Display,
) -> Result<Prediction, String> {
    let label = label.filter(|v| !v.is_null()).cloned();
    match score.filter(|v| !v.is_null()) {
        None => Ok(Prediction { label, score: None }),
        Some(s) => {
            let (argmax, x) = score_of(s, what)?;
            Ok(Prediction {
                label: label.or(argmax),
                score: Some(x),
            })
        }
    }
}

/// The predictions of a response payload, one per record.
pub fn decode_predictions(p: &Payload, loc: &OutputLocators) -> Result<Vec<Prediction>, String> {
    let text = p.text()?;
    let kind = kind_of(p)?;
    let index_of = |l: &Option<OutputLocator>| -> Result<Option<usize>, String> {
        match l {
            None => Ok(None),
            Some(OutputLocator::Index(i)) => Ok(Some(*i)),
            Some(OutputLocator::Path(path)) => Err(format!(
                "a CSV response needs a zero-based index, not the JMESPath {:?}",
                path.text()
            )),
        }
    };
    let search = |l: &Option<OutputLocator>, v: &Value| -> Result<Option<Value>, String> {
        match l {
            None => Ok(None),
            Some(OutputLocator::Path(path)) => path.search(v).map(Some),
            Some(OutputLocator::Index(i)) => Ok(match v {
                Value::Array(items) => items.get(*i).cloned(),
                _ => None,
            }),
        }
    };
    match kind {
        Kind::Csv => {
            // A single number is a score whatever the locators say: JMESPath locators meant
            // for another variant's JSON responses do not make a CSV score unreadable.
            let has_index = [&loc.inference, &loc.probability]
                .iter()
                .any(|l| matches!(l, Some(OutputLocator::Index(_))));
            lines(&text)
                .enumerate()
                .map(|(n, l)| {
                    let cells = csv_values(l);
                    let what = Record("output", n + 1);
                    if cells.len() == 1 && !has_index {
                        return prediction_from(None, cells.first(), &what);
                    }
                    let (li, pi) = (index_of(&loc.inference)?, index_of(&loc.probability)?);
                    let pick = |i: Option<usize>| -> Result<Option<&Value>, String> {
                        i.map(|i| cells.get(i).ok_or_else(|| format!("{what} has {} values, no index {i}", cells.len())))
                            .transpose()
                    };
                    match (li, pi) {
                        (None, None) if cells.len() == 1 => prediction_from(None, cells.first(), &what),
                        (None, None) => Err(format!(
                            "{what} has {} values: set inference_attribute or probability_attribute",
                            cells.len()
                        )),
                        _ => prediction_from(pick(li)?, pick(pi)?, &what),
                    }
                })
                .collect()
        }
        Kind::JsonLines => lines(&text)
            .enumerate()
            .map(|(n, l)| {
                let what = Record("output", n + 1);
                let v = json(l, &what)?;
                if loc.inference.is_none() && loc.probability.is_none() {
                    return prediction_from(None, Some(&v), &what);
                }
                prediction_from(
                    search(&loc.inference, &v)?.as_ref(),
                    search(&loc.probability, &v)?.as_ref(),
                    &what,
                )
            })
            .collect(),
        Kind::Json => {
            let v = json(&text, &"output")?;
            if loc.inference.is_none() && loc.probability.is_none() {
                return match v {
                    Value::Array(items) => items
                        .iter()
                        .enumerate()
                        .map(|(n, x)| prediction_from(None, Some(x), &Record("output", n + 1)))
                        .collect(),
                    other => Ok(vec![prediction_from(None, Some(&other), &"output")?]),
                };
            }
            // A located list holds one entry per record (`predictions[*].score`, or one
            // probability list per record); anything else is a single record's value.
            let spread = |found: Option<Value>| -> Option<Vec<Value>> {
                found.map(|f| match f {
                    Value::Array(items) => items,
                    other => vec![other],
                })
            };
            let labels = spread(search(&loc.inference, &v)?);
            let scores = spread(search(&loc.probability, &v)?);
            let n = labels.as_ref().or(scores.as_ref()).map_or(0, Vec::len);
            if let (Some(l), Some(s)) = (&labels, &scores)
                && l.len() != s.len()
            {
                return Err(format!(
                    "output has {} labels but {} scores",
                    l.len(),
                    s.len()
                ));
            }
            (0..n)
                .map(|i| {
                    prediction_from(
                        labels.as_ref().and_then(|l| l.get(i)),
                        scores.as_ref().and_then(|s| s.get(i)),
                        &Record("output", i + 1),
                    )
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`csv_cell`] as the JSON scalar a CSV response's cell is read as.
    fn cell_value(cell: &str) -> Value {
        csv_cell(cell).into()
    }

    #[test]
    fn csv_cells_missing_as_pandas_reads_them() {
        for na in ["NaN", "", "NULL", "nan", "N/A", "None"] {
            assert_eq!(cell_value(na), Value::Null, "{na:?}");
        }
        assert_eq!(cell_value("1"), Value::from(1));
        assert_eq!(cell_value("1e400"), Value::from("1e400"));
    }

    /// `csv_cell` asks about pandas' missing spellings after the number parses; this is the
    /// rule written the other way round, as it was, for the differential test below.
    fn missing_first(cell: &str) -> Cell {
        if crate::dataset::csv::na_marker(cell.as_bytes()).is_some() {
            return Cell::Null;
        }
        let t = cell.trim();
        match (t.parse::<i64>(), t.parse::<f64>()) {
            (Ok(i), _) => Cell::Int(i),
            (_, Ok(x)) if x.is_finite() => Cell::Float(x),
            _ => Cell::Text(t.into()),
        }
    }

    #[test]
    fn asking_for_missing_after_the_number_changes_nothing() {
        let mut cells: Vec<String> = crate::dataset::csv::PANDAS_NA
            .iter()
            .flat_map(|m| [m.to_string(), format!(" {m}"), format!("{m} ")])
            .collect();
        cells.extend(
            [
                "1",
                "+5",
                "-0",
                "-0.0",
                "1.0",
                "1e3",
                "1E-3",
                ".5",
                "5.",
                " 7 ",
                "\u{a0}5",
                "inf",
                "-inf",
                "Infinity",
                "nan(1)",
                "NAN",
                "1e400",
                "-1e400",
                "0x10",
                "1_000",
                "9223372036854775807",
                "9223372036854775808",
                "-9223372036854775809",
                "١",
                "abc",
                "N",
                "n",
                "#",
                " ",
                "\t",
                "1,5",
                "None ",
                "NULLx",
            ]
            .map(String::from),
        );
        for c in &cells {
            let (new, old) = (csv_cell(c), missing_first(c));
            assert!(
                crate::capture::cell::same(&new, &old),
                "{c:?}: {new:?} vs {old:?}"
            );
        }
        for m in crate::dataset::csv::PANDAS_NA {
            assert_eq!(csv_cell(m), Cell::Null, "{m:?}");
        }
    }
    use crate::capture::line::Encoding;
    use serde_json::json;

    fn row(values: &[Value]) -> Vec<Cell> {
        values.iter().cloned().map(Cell::from).collect()
    }

    fn payload<'a>(ct: &'a str, data: &'a str) -> Payload<'a> {
        Payload {
            content_type: ct.into(),
            encoding: Encoding::Json,
            data: data.into(),
        }
    }

    #[test]
    fn csv_rows_and_single_number_scores() {
        let rows = decode_features(&payload("text/csv", "1,2.5,\"a,b\"\n3,4,x\n"), None).unwrap();
        assert_eq!(
            rows,
            vec![
                row(&[json!(1), json!(2.5), json!("a,b")]),
                row(&[json!(3), json!(4), json!("x")])
            ]
        );
        let none = OutputLocators {
            inference: None,
            probability: None,
        };
        let p = decode_predictions(&payload("text/csv", "0.0254181120544672"), &none).unwrap();
        assert_eq!(
            p,
            vec![Prediction {
                label: None,
                score: Some(0.0254181120544672)
            }]
        );
        let idx = OutputLocators {
            inference: Some(OutputLocator::Index(0)),
            probability: Some(OutputLocator::Index(1)),
        };
        let p = decode_predictions(&payload("text/csv", "1,0.9\n0,0.2\n"), &idx).unwrap();
        assert_eq!(
            p[1],
            Prediction {
                label: Some(json!(0)),
                score: Some(0.2)
            }
        );
        assert!(
            decode_predictions(&payload("text/csv", "1,0.9"), &none)
                .unwrap_err()
                .contains("set inference_attribute")
        );
    }

    #[test]
    fn json_lines_with_two_records() {
        let input = payload(
            "application/jsonlines",
            "{\"features\":[28,2,133937]}\n{\"features\":[43,2,72338]}",
        );
        let f = JsonPath::compile("features").unwrap();
        assert_eq!(decode_features(&input, Some(&f)).unwrap().len(), 2);
        let out = payload(
            "application/jsonlines",
            "{\"predicted_label\":1,\"score\":0.989977359771728}\n{\"predicted_label\":1,\"score\":0.504138827323913}\n",
        );
        let loc = OutputLocators {
            inference: Some(OutputLocator::Path(
                JsonPath::compile("predicted_label").unwrap(),
            )),
            probability: Some(OutputLocator::Path(JsonPath::compile("score").unwrap())),
        };
        let p = decode_predictions(&out, &loc).unwrap();
        assert_eq!(
            p[1],
            Prediction {
                label: Some(json!(1)),
                score: Some(0.504138827323913)
            }
        );
    }

    #[test]
    fn json_documents_located_by_jmespath() {
        let input = payload(
            "application/json",
            r#"{"instances": [{"features": [28, 2]}, {"features": [43, 2]}]}"#,
        );
        let f = JsonPath::compile("instances[*].features").unwrap();
        assert_eq!(
            decode_features(&input, Some(&f)).unwrap(),
            vec![row(&[json!(28), json!(2)]), row(&[json!(43), json!(2)])]
        );
        let out = payload(
            "application/json",
            r#"{"predictions": [{"score": 0.98, "predicted_label": 1}, {"score": 0.2, "predicted_label": 0}]}"#,
        );
        let loc = OutputLocators {
            inference: Some(OutputLocator::Path(
                JsonPath::compile("predictions[*].predicted_label").unwrap(),
            )),
            probability: Some(OutputLocator::Path(
                JsonPath::compile("predictions[*].score").unwrap(),
            )),
        };
        let p = decode_predictions(&out, &loc).unwrap();
        assert_eq!(
            p,
            vec![
                Prediction {
                    label: Some(json!(1)),
                    score: Some(0.98)
                },
                Prediction {
                    label: Some(json!(0)),
                    score: Some(0.2)
                },
            ]
        );
        // Class probabilities: the label is the most probable class.
        let probs = payload(
            "application/json",
            r#"{"probabilities": [[0.1, 0.7, 0.2]]}"#,
        );
        let loc = OutputLocators {
            inference: None,
            probability: Some(OutputLocator::Path(
                JsonPath::compile("probabilities").unwrap(),
            )),
        };
        assert_eq!(
            decode_predictions(&probs, &loc).unwrap(),
            vec![Prediction {
                label: Some(json!(1)),
                score: Some(0.7)
            }]
        );
    }

    #[test]
    fn bad_payloads_name_the_problem() {
        let f = JsonPath::compile("features").unwrap();
        let e =
            decode_features(&payload("application/jsonlines", "{\"x\":1}"), Some(&f)).unwrap_err();
        assert!(
            e.contains("input record 1 is not a list of feature values"),
            "{e}"
        );
        let e = decode_features(&payload("text/plain", "1,2"), None).unwrap_err();
        assert!(e.contains("unsupported content type \"text/plain\""), "{e}");
        assert!(JsonPath::compile("instances[*.").is_err());
        let loc = OutputLocators {
            inference: Some(OutputLocator::Path(JsonPath::compile("label").unwrap())),
            probability: None,
        };
        let e = decode_predictions(&payload("text/csv", "1,0.3"), &loc).unwrap_err();
        assert!(e.contains("needs a zero-based index"), "{e}");
        // A single number is a score even when the locators are JMESPaths (meant for another
        // variant's JSON responses).
        let p = decode_predictions(&payload("text/csv", "0.7"), &loc).unwrap();
        assert_eq!(p[0].score, Some(0.7));
    }
}
