//! Batch transform capture: what a transform job with `DataCaptureConfig` leaves under the
//! capture destination, read as captured events.
//!
//! The job writes manifests, not copies: `{data_capture}/input/yyyy/mm/dd/hh/{uuid}.json`
//! names the objects it read and `…/output/…` those it wrote (`hh` is the job's start hour),
//! each as `[{"prefix": "s3://…/"}, "file", …]`, where a prefix may itself be the one object
//! (followed by `""`). The records of those objects become the events the endpoint capture
//! gives: an explainability schedule explains the input records; a bias schedule joins the
//! output records with ground truth by `SageMakerInferenceId`, which the job adds to every
//! output record when `GenerateInferenceId` is on. The features of an output record are
//! there when the job ran with `join_source=Input`: JSON outputs then hold the input record
//! with the model's answer under `SageMakerOutput`, CSV outputs the input columns followed by
//! the model's.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::line::{CapturedLine, Encoding, Payload};
use super::payload::csv_cells;
use crate::config::BatchFormat;

/// The key the job adds to each output record to join it with ground truth.
pub const INFERENCE_ID: &str = "SageMakerInferenceId";
/// The job's start time, beside the id.
pub const INFERENCE_TIME: &str = "SageMakerInferenceTime";
/// Where a joined JSON output keeps the model's answer.
pub const OUTPUT_KEY: &str = "SageMakerOutput";

/// Which manifests a monitor reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The records the jobs read (explainability: the rows to explain).
    Input,
    /// The records the jobs wrote, with their ids (bias: joined with ground truth).
    Output,
}

impl Side {
    /// The manifests' folder under the capture destination.
    pub fn folder(self) -> &'static str {
        match self {
            Self::Input => "input",
            Self::Output => "output",
        }
    }
}

/// The objects a manifest names, as full addresses (`s3://bucket/key` or a path), in its
/// order.
pub fn parse_manifest(bytes: &[u8]) -> Result<Vec<String>, String> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| format!("is not a batch transform manifest (not valid JSON: {e})"))?;
    let items = v.as_array().ok_or(
        "is not a batch transform manifest: expected [{\"prefix\": …}, \"file\", …]".to_string(),
    )?;
    let prefix = items
        .first()
        .and_then(|p| p.get("prefix"))
        .and_then(Value::as_str)
        .ok_or("is not a batch transform manifest: its first entry is not {\"prefix\": \"…\"}")?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate().skip(1) {
        let name = item.as_str().ok_or_else(|| {
            format!("is not a batch transform manifest: entry {i} is not a file name")
        })?;
        out.push(match (name.is_empty(), prefix.ends_with('/')) {
            (true, _) => prefix.to_string(),
            (false, true) => format!("{prefix}{name}"),
            (false, false) => format!("{prefix}/{name}"),
        });
    }
    // `[{"prefix": "s3://…/file.jsonl"}]` without the empty entry names the prefix alone.
    if out.is_empty() && items.len() == 1 && !prefix.ends_with('/') {
        out.push(prefix.to_string());
    }
    Ok(out)
}

/// How one object's records are read.
#[derive(Debug, Clone)]
pub struct BatchPlan {
    pub format: BatchFormat,
    pub side: Side,
    /// The start hour of the job that read or wrote each object (by the object's key in its
    /// store): the time of its records that carry none.
    pub hours: HashMap<String, DateTime<Utc>>,
    /// How many leading CSV columns of a joined output row are the input's (the config's
    /// features).
    pub features: Option<usize>,
}

/// One record of a transform job's object.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRecord {
    pub id: Option<String>,
    pub time: Option<DateTime<Utc>>,
    pub input: String,
    pub output: String,
}

impl BatchRecord {
    /// The record as a capture line, so the endpoint capture's decoding applies unchanged.
    pub fn as_line(&self, key: &str, hour: DateTime<Utc>, format: BatchFormat) -> CapturedLine<'_> {
        let (content_type, encoding) = match format {
            BatchFormat::Csv { .. } => ("text/csv", Encoding::Csv),
            BatchFormat::Json { .. } => ("application/json", Encoding::Json),
        };
        let payload = |data: &str| Payload {
            content_type: Cow::Borrowed(content_type),
            encoding,
            data: Cow::Owned(data.to_string()),
        };
        CapturedLine {
            event_id: Cow::Owned(self.id.clone().unwrap_or_else(|| key.to_string())),
            inference_id: None,
            inference_time: self.time.unwrap_or(hour),
            input: payload(&self.input),
            output: payload(&self.output),
        }
    }
}

/// The records of one object, each with its line (1-based; 1 for a one-document file).
pub fn records(bytes: &[u8], plan: &BatchPlan) -> Vec<(usize, Result<BatchRecord, String>)> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => return vec![(1, Err(format!("is not UTF-8 text: {e}")))],
    };
    match plan.format {
        BatchFormat::Json { line: false } => vec![(1, json_record(text, plan.side))],
        BatchFormat::Json { line: true } => lines(text)
            .map(|(n, l)| (n, json_record(l, plan.side)))
            .collect(),
        BatchFormat::Csv { header } => lines(text)
            .skip(usize::from(header && plan.side == Side::Input))
            .map(|(n, l)| (n, csv_record(l, plan)))
            .collect(),
    }
}

/// Non-blank lines, numbered from 1.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty())
}

fn json_record(text: &str, side: Side) -> Result<BatchRecord, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    if side == Side::Input {
        return Ok(BatchRecord {
            id: None,
            time: None,
            input: text.to_string(),
            output: String::new(),
        });
    }
    let Value::Object(mut m) = v else {
        return Err(format!(
            "a transform output record must be a JSON object holding {INFERENCE_ID}"
        ));
    };
    let (id, time) = id_and_time(&mut m)?;
    let output = m.remove(OUTPUT_KEY).ok_or_else(|| {
        format!(
            "holds no input features beside the model's output (no {OUTPUT_KEY} key): run the transform job with join_source=Input (DataProcessing.JoinSource), so each output record carries its input"
        )
    })?;
    Ok(BatchRecord {
        id: Some(id),
        time,
        input: Value::Object(m).to_string(),
        output: output.to_string(),
    })
}

/// Takes the id and time keys out of a JSON output record.
fn id_and_time(m: &mut Map<String, Value>) -> Result<(String, Option<DateTime<Utc>>), String> {
    let id = match m.remove(INFERENCE_ID) {
        Some(Value::String(s)) if !s.is_empty() => s,
        Some(other) => return Err(format!("{INFERENCE_ID} is not a string: {other}")),
        None => return Err(no_id()),
    };
    let time = match m.remove(INFERENCE_TIME) {
        Some(Value::String(s)) => Some(time(&s)?),
        Some(other) => return Err(format!("{INFERENCE_TIME} is not a time: {other}")),
        None => None,
    };
    Ok((id, time))
}

fn no_id() -> String {
    format!(
        "has no {INFERENCE_ID}: a bias monitor joins ground truth on it; run the transform job with DataCaptureConfig GenerateInferenceId=true"
    )
}

fn time(s: &str) -> Result<DateTime<Utc>, String> {
    crate::sagemaker::time::parse_utc(s)
        .map_err(|_| format!("{INFERENCE_TIME} {s:?} is not an RFC 3339 time"))
}

/// A CSV row. An output row ends with the id and the time the job added; before them, with
/// `join_source=Input`, come the input's columns and then the model's.
fn csv_record(line: &str, plan: &BatchPlan) -> Result<BatchRecord, String> {
    if plan.side == Side::Input {
        return Ok(BatchRecord {
            id: None,
            time: None,
            input: line.to_string(),
            output: String::new(),
        });
    }
    let mut cells = csv_cells(line);
    let (time, id) = match (cells.pop(), cells.pop()) {
        (Some(t), Some(id)) if crate::sagemaker::time::parse_utc(&t).is_ok() => {
            (Some(time(&t)?), id.trim().to_string())
        }
        _ => return Err(no_id()),
    };
    let Some(n) = plan.features else {
        return Err(
            "a transform output row cannot be split into features and the model's output without the analysis config's headers".into(),
        );
    };
    if cells.len() <= n {
        return Err(format!(
            "has {} values before its {INFERENCE_ID}, not the {n} features followed by the model's output: run the transform job with join_source=Input (DataProcessing.JoinSource), so each output row carries its input",
            cells.len()
        ));
    }
    let output = cells.split_off(n);
    Ok(BatchRecord {
        id: Some(id),
        time,
        input: join_csv(&cells),
        output: join_csv(&output),
    })
}

/// Cells back into a CSV line, quoted where they need it.
fn join_csv(cells: &[String]) -> String {
    cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(format: BatchFormat, side: Side, features: Option<usize>) -> BatchPlan {
        BatchPlan {
            format,
            side,
            hours: HashMap::new(),
            features,
        }
    }

    #[test]
    fn manifests_name_their_objects_as_sagemaker_writes_them() {
        // DG's example, and the two shapes observed in real runs.
        let m = br#"[{"prefix":"s3://b/in/"}, "dummy_0.csv", "dummy_1.csv"]"#;
        assert_eq!(
            parse_manifest(m).unwrap(),
            ["s3://b/in/dummy_0.csv", "s3://b/in/dummy_1.csv"]
        );
        let m = br#"[{"prefix": "s3://b/p/test-dataset.jsonl"}, ""]"#;
        assert_eq!(parse_manifest(m).unwrap(), ["s3://b/p/test-dataset.jsonl"]);
        let m = br#"[{"prefix": "s3://b/out/"}, "test-dataset.json.out"]"#;
        assert_eq!(
            parse_manifest(m).unwrap(),
            ["s3://b/out/test-dataset.json.out"]
        );
        for bad in [
            &b"{}"[..],
            b"[1]",
            b"[{\"prefix\": \"s3://b/\"}, 3]",
            b"nope",
        ] {
            let e = parse_manifest(bad).unwrap_err();
            assert!(e.contains("is not a batch transform manifest"), "{e}");
        }
    }

    /// The transform output of a real run (join_source=Input, GenerateInferenceId): the
    /// input record is the features' payload, `SageMakerOutput` the response.
    #[test]
    fn a_joined_json_output_splits_into_input_and_output() {
        let doc = r#"{"SageMakerInferenceId":"94bc","SageMakerInferenceTime":"2024-01-19T19:25:34Z","SageMakerOutput":{"predictions":[{"predicted_label":1,"score":0.9}]},"instances":[{"features":[1,2]}]}"#;
        let p = plan(BatchFormat::Json { line: false }, Side::Output, None);
        let r = records(doc.as_bytes(), &p);
        let r = r[0].1.clone().unwrap();
        assert_eq!(r.id.as_deref(), Some("94bc"));
        assert_eq!(r.input, r#"{"instances":[{"features":[1,2]}]}"#);
        assert_eq!(
            r.output,
            r#"{"predictions":[{"predicted_label":1,"score":0.9}]}"#
        );
        assert_eq!(r.time.unwrap().to_rfc3339(), "2024-01-19T19:25:34+00:00");
    }

    #[test]
    fn an_output_without_id_or_input_says_which_job_setting_is_missing() {
        let p = plan(BatchFormat::Json { line: true }, Side::Output, None);
        let r = records(
            b"{\"score\": 0.3}\n{\"SageMakerInferenceId\": \"a\", \"score\": 0.3}\n",
            &p,
        );
        let e1 = r[0].1.clone().unwrap_err();
        assert!(e1.contains("GenerateInferenceId=true"), "{e1}");
        let e2 = r[1].1.clone().unwrap_err();
        assert!(e2.contains("join_source=Input"), "{e2}");
        assert_eq!((r[0].0, r[1].0), (1, 2));
    }

    #[test]
    fn a_joined_csv_output_row_is_features_then_outputs_then_id_and_time() {
        let p = plan(BatchFormat::Csv { header: false }, Side::Output, Some(2));
        let r = records(b"1,\"a,b\",0.7,1,id-1,2022-08-30T00:49:15Z\n", &p);
        let r = r[0].1.clone().unwrap();
        assert_eq!(r.input, "1,\"a,b\"");
        assert_eq!(r.output, "0.7,1");
        assert_eq!(r.id.as_deref(), Some("id-1"));
        // Without the input's columns (no join_source=Input): refused by name.
        let r = records(b"0.7, id-1,2022-08-30T00:49:15Z\n", &p);
        let e = r[0].1.clone().unwrap_err();
        assert!(
            e.contains("has 1 values") && e.contains("join_source=Input"),
            "{e}"
        );
        let r = records(b"0.7\n", &p);
        assert!(r[0].1.clone().unwrap_err().contains("GenerateInferenceId"));
    }

    #[test]
    fn input_files_skip_their_header_and_keep_every_record() {
        let p = plan(BatchFormat::Csv { header: true }, Side::Input, Some(2));
        let r = records(b"a,b\n1,2\n\n3,4\n", &p);
        let got: Vec<_> = r
            .iter()
            .map(|(n, r)| (*n, r.clone().unwrap().input))
            .collect();
        assert_eq!(got, [(2, "1,2".to_string()), (4, "3,4".to_string())]);
        let r = records(b"\xff\xfe", &p);
        assert!(r[0].1.clone().unwrap_err().contains("not UTF-8"));
    }
}
