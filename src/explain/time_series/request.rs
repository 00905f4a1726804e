//! Forecasting requests as the predictor's templates say, and forecasts out of the responses.
//!
//! A record fills `record_template`'s tokens with JSON: `$start_time` (the item's first
//! timestamp, as given), `$target_time_series` (the context's values), `$related_time_series`
//! (one list per related series, context and future), `$static_covariates` (a list). An
//! `application/json` request is `content_template` with `$records` = the list of records (or
//! `$record` = the only one: then one record per request); an `application/jsonlines` request
//! is one record per line (through `content_template`'s `$record` when given).

use serde_json::Value;

use super::players::Masked;
use crate::capture::payload::{JsonPath, truncate};
use crate::explain::codec::Format;

/// Without a `record_template`: DeepAR's request record (its fields for related series and
/// static covariates only when the dataset has them).
fn default_record(related: bool, statics: bool) -> String {
    let mut t = String::from(r#"{"start": $start_time, "target": $target_time_series"#);
    if related {
        t.push_str(r#", "dynamic_feat": $related_time_series"#);
    }
    if statics {
        t.push_str(r#", "cat": $static_covariates"#);
    }
    t.push('}');
    t
}

/// How records and requests are written.
pub struct RequestFormat {
    pub content: Format,
    pub accept: Format,
    content_template: Option<String>,
    record_template: String,
    forecast: JsonPath,
}

/// The predictor's keys a forecasting request is made from.
#[derive(Debug, Clone, Copy)]
pub struct Templates<'a> {
    pub content: Format,
    pub accept: Format,
    pub content_template: Option<&'a str>,
    pub record_template: Option<&'a str>,
    /// `time_series_predictor_config.forecast`.
    pub forecast: &'a str,
}

fn json_list(values: &[f64]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".into())
}

/// Replaces each `$token` once, in one pass (a value's text is never searched for tokens);
/// the longest token wins (`$records` before `$record`).
fn fill(template: &str, tokens: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let hit = tokens
            .iter()
            .filter(|(t, _)| tail.starts_with(t))
            .max_by_key(|(t, _)| t.len());
        match hit {
            Some((t, v)) => {
                out.push_str(v);
                rest = &tail[t.len()..];
            }
            None => {
                out.push('$');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

impl RequestFormat {
    /// `related` / `statics`: whether the dataset has related series / static covariates.
    pub fn new(t: Templates<'_>, related: bool, statics: bool) -> Result<Self, String> {
        if !matches!(t.content, Format::Json | Format::JsonLines) {
            return Err("predictor.content_type: a forecasting model takes application/json or application/jsonlines".into());
        }
        if !matches!(t.accept, Format::Json | Format::JsonLines) {
            return Err("predictor.accept_type: a forecasting model answers application/json or application/jsonlines (the forecast is found by JMESPath)".into());
        }
        let forecast = JsonPath::compile(t.forecast)
            .map_err(|e| format!("predictor.time_series_predictor_config.forecast: {e}"))?;
        Ok(Self {
            content: t.content,
            accept: t.accept,
            content_template: t.content_template.map(str::to_string),
            record_template: t
                .record_template
                .map_or_else(|| default_record(related, statics), str::to_string),
            forecast,
        })
    }

    /// One forecast per record of a response.
    pub fn forecasts(&self, text: &str, records: usize) -> Result<Vec<Vec<f64>>, String> {
        forecasts(self.accept, text, &self.forecast, records)
    }

    /// Whether each request holds one record only (`$record` without `$records`).
    pub fn one_per_request(&self) -> bool {
        self.content == Format::Json
            && self
                .content_template
                .as_deref()
                .is_some_and(|t| !t.contains("$records"))
    }

    /// One record: what the model is shown for one coalition of one item.
    pub fn record(&self, start: &Value, m: &Masked) -> String {
        let start = start.to_string();
        let target = json_list(&m.target);
        let related = format!(
            "[{}]",
            m.related
                .iter()
                .map(|r| json_list(r))
                .collect::<Vec<_>>()
                .join(",")
        );
        let statics = Value::Array(m.statics.clone()).to_string();
        fill(
            &self.record_template,
            &[
                ("$start_time", &start),
                ("$target_time_series", &target),
                ("$related_time_series", &related),
                ("$static_covariates", &statics),
            ],
        )
    }

    /// A request's body holding `records`.
    pub fn body(&self, records: &[String]) -> String {
        match (self.content, &self.content_template) {
            (Format::JsonLines, Some(t)) => records
                .iter()
                .map(|r| fill(t, &[("$record", r)]))
                .collect::<Vec<_>>()
                .join("\n"),
            (Format::JsonLines, None) => records.join("\n"),
            (_, Some(t)) => {
                let list = format!("[{}]", records.join(","));
                let first = records.first().map_or("null", String::as_str);
                fill(t, &[("$records", &list), ("$record", first)])
            }
            (_, None) => format!("[{}]", records.join(",")),
        }
    }
}

fn numbers(v: &Value) -> Option<Vec<f64>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_f64().filter(|f| f.is_finite()))
        .collect()
}

/// One forecast per record of a response, by the `forecast` JMESPath: on the whole document
/// (`application/json`: a list of forecasts, or one forecast for a one-record request) or on
/// each line (`application/jsonlines`).
fn forecasts(
    accept: Format,
    text: &str,
    path: &JsonPath,
    records: usize,
) -> Result<Vec<Vec<f64>>, String> {
    let parse = |s: &str| -> Result<Value, String> {
        serde_json::from_str(s).map_err(|e| format!("not JSON ({e})"))
    };
    let found: Vec<Value> = match accept {
        Format::JsonLines => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let f = path.search(&parse(l)?)?;
                // A line's forecast may come wrapped in a one-element list.
                Ok(match f {
                    Value::Array(mut a) if a.len() == 1 && a[0].is_array() => a.remove(0),
                    other => other,
                })
            })
            .collect::<Result<_, String>>()?,
        _ => match path.search(&parse(text)?)? {
            Value::Array(a) if records == 1 && numbers(&Value::Array(a.clone())).is_some() => {
                vec![Value::Array(a)]
            }
            Value::Array(a) => a,
            Value::Null => {
                return Err(format!("the forecast {:?} finds nothing", path.text()));
            }
            other => {
                return Err(format!(
                    "the forecast {:?} gives {}, not a list of forecasts",
                    path.text(),
                    truncate(&other.to_string())
                ));
            }
        },
    };
    if found.len() != records {
        return Err(format!(
            "the forecast {:?} gives {} forecasts for {records} records",
            path.text(),
            found.len()
        ));
    }
    found
        .iter()
        .enumerate()
        .map(|(i, f)| match numbers(f) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(format!(
                "record {i}'s forecast {} is not a non-empty list of finite numbers",
                truncate(&f.to_string())
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn templates<'a>(content: Format, c: Option<&'a str>, r: Option<&'a str>) -> Templates<'a> {
        Templates {
            content,
            accept: Format::Json,
            content_template: c,
            record_template: r,
            forecast: "predictions[*].mean",
        }
    }

    fn masked() -> Masked {
        Masked {
            target: vec![1.0, 2.5],
            related: vec![vec![0.0, 1.0, 2.0]],
            statics: vec![json!(3), json!("red")],
        }
    }

    #[test]
    fn records_fill_every_token_and_requests_wrap_them() {
        let f = RequestFormat::new(
            templates(
                Format::Json,
                Some(r#"{"instances": $records}"#),
                Some(r#"{"start": $start_time, "target": $target_time_series, "dynamic_feat": $related_time_series, "cat": $static_covariates}"#),
            ),
            true,
            true,
        )
        .unwrap();
        let r = f.record(&json!("2024-01-01 01:00:00"), &masked());
        assert_eq!(
            r,
            r#"{"start": "2024-01-01 01:00:00", "target": [1.0,2.5], "dynamic_feat": [[0.0,1.0,2.0]], "cat": [3,"red"]}"#
        );
        let body = f.body(&[r.clone(), r.clone()]);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["instances"].as_array().unwrap().len(), 2);
        assert!(!f.one_per_request());
        let one = RequestFormat::new(
            templates(Format::Json, Some(r#"{"instance": $record}"#), None),
            false,
            false,
        )
        .unwrap();
        assert!(one.one_per_request());
        assert_eq!(
            one.record(&json!(1), &masked()),
            r#"{"start": 1, "target": [1.0,2.5]}"#
        );
        let lines =
            RequestFormat::new(templates(Format::JsonLines, None, None), true, false).unwrap();
        assert_eq!(lines.body(&["{}".into(), "{}".into()]), "{}\n{}");
        // A value's text is never read as a token.
        assert_eq!(fill("$a $b", &[("$a", "$b"), ("$b", "x")]), "$b x");
    }

    #[test]
    fn forecasts_are_found_and_counted() {
        let p = JsonPath::compile("predictions[*].mean[:2]").unwrap();
        let text = r#"{"predictions":[{"mean":[13.4,3.6,1.0]},{"mean":[1,2,3]}]}"#;
        assert_eq!(
            forecasts(Format::Json, text, &p, 2).unwrap(),
            vec![vec![13.4, 3.6], vec![1.0, 2.0]]
        );
        let e = forecasts(Format::Json, text, &p, 3).unwrap_err();
        assert!(e.contains("gives 2 forecasts for 3 records"), "{e}");
        let single = JsonPath::compile("mean").unwrap();
        assert_eq!(
            forecasts(Format::Json, r#"{"mean":[1,2]}"#, &single, 1).unwrap(),
            vec![vec![1.0, 2.0]]
        );
        let lines = JsonPath::compile("mean").unwrap();
        assert_eq!(
            forecasts(
                Format::JsonLines,
                "{\"mean\":[1]}\n{\"mean\":[2]}\n",
                &lines,
                2
            )
            .unwrap(),
            vec![vec![1.0], vec![2.0]]
        );
        let e = forecasts(Format::Json, r#"{"predictions":[{"mean":["x"]}]}"#, &p, 1).unwrap_err();
        assert!(e.contains("not a non-empty list of finite numbers"), "{e}");
    }
}
