//! One line of a SageMaker data-capture file.
//!
//! Parsed by key (key order varies between files), tolerant of extra keys, strict about the
//! keys a monitor needs: a line that lacks them is malformed and reported, never guessed.

use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// How SageMaker stored a payload's `data` string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Csv,
    Json,
    Base64,
}

/// A captured request or response body.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    /// `observedContentType` without MIME parameters, lowercased (`text/csv; charset=utf-8`
    /// → `text/csv`).
    pub content_type: String,
    pub encoding: Encoding,
    pub data: String,
}

impl Payload {
    /// The body as text (BASE64 payloads decoded).
    pub fn text(&self) -> Result<String, String> {
        match self.encoding {
            Encoding::Csv | Encoding::Json => Ok(self.data.clone()),
            Encoding::Base64 => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(self.data.trim())
                    .map_err(|e| format!("undecodable base64 data: {e}"))?;
                String::from_utf8(bytes).map_err(|_| "base64 data is not UTF-8 text".to_string())
            }
        }
    }
}

/// One captured invocation.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureRecord {
    pub event_id: String,
    pub inference_id: Option<String>,
    pub inference_time: DateTime<Utc>,
    pub input: Payload,
    pub output: Payload,
}

impl CaptureRecord {
    /// The merge key: `inferenceId` when the caller set one, else `eventId` (SageMaker's rule).
    pub fn join_key(&self) -> &str {
        self.inference_id.as_deref().unwrap_or(&self.event_id)
    }
}

/// `text/csv; charset=utf-8` → `text/csv`.
pub fn bare_content_type(s: &str) -> String {
    s.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Result<&'a str, String> {
    let mut cur = v;
    for key in path {
        cur = cur
            .get(key)
            .ok_or_else(|| format!("missing {}", path.join(".")))?;
    }
    cur.as_str()
        .ok_or_else(|| format!("{} is not a string", path.join(".")))
}

fn payload(v: &Value, which: &str) -> Result<Payload, String> {
    let at = |k: &str| str_at(v, &["captureData", which, k]);
    let encoding = match at("encoding")? {
        "CSV" => Encoding::Csv,
        "JSON" => Encoding::Json,
        "BASE64" => Encoding::Base64,
        other => return Err(format!("unknown encoding {other:?} in captureData.{which}")),
    };
    Ok(Payload {
        content_type: bare_content_type(at("observedContentType")?),
        encoding,
        data: at("data")?.to_string(),
    })
}

/// Parses one capture line.
pub fn parse_capture_line(line: &str) -> Result<CaptureRecord, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let time = str_at(&v, &["eventMetadata", "inferenceTime"])?;
    let inference_time = DateTime::parse_from_rfc3339(time)
        .map_err(|_| format!("eventMetadata.inferenceTime {time:?} is not an RFC 3339 time"))?
        .with_timezone(&Utc);
    Ok(CaptureRecord {
        event_id: str_at(&v, &["eventMetadata", "eventId"])?.to_string(),
        inference_id: v
            .get("eventMetadata")
            .and_then(|m| m.get("inferenceId"))
            .and_then(Value::as_str)
            .map(str::to_string),
        inference_time,
        input: payload(&v, "endpointInput")?,
        output: payload(&v, "endpointOutput")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV_LINE: &str = r#"{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"69,0,153.7\n","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv; charset=utf-8","mode":"OUTPUT","data":"0.0254181120544672","encoding":"CSV"}},"eventMetadata":{"eventId":"aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee","inferenceTime":"2022-02-14T17:25:49Z"},"eventVersion":"0"}"#;

    #[test]
    fn parses_the_documented_csv_sample() {
        let r = parse_capture_line(CSV_LINE).unwrap();
        assert_eq!(r.event_id, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
        assert_eq!(r.join_key(), r.event_id);
        assert_eq!(r.input.encoding, Encoding::Csv);
        assert_eq!(r.output.content_type, "text/csv");
        assert_eq!(
            crate::time::format_utc(r.inference_time),
            "2022-02-14T17:25:49Z"
        );
    }

    #[test]
    fn base64_and_inference_id() {
        let line = r#"{"eventMetadata":{"eventId":"e","inferenceId":"c7","inferenceTime":"2021-09-12T08:03:35Z"},"captureData":{"endpointInput":{"observedContentType":"application/json","mode":"INPUT","data":"{\"a\": 1}","encoding":"JSON"},"endpointOutput":{"observedContentType":"text/html; charset=utf-8","mode":"OUTPUT","data":"eyJtZWRpYW5faG91c2VfdmFsdWUiOiBbNDc4MDQ2LjY2LCAyMDY1NTEuMDFdfQ==","encoding":"BASE64"}},"eventVersion":"0"}"#;
        let r = parse_capture_line(line).unwrap();
        assert_eq!(r.join_key(), "c7");
        assert_eq!(
            r.output.text().unwrap(),
            r#"{"median_house_value": [478046.66, 206551.01]}"#
        );
    }

    #[test]
    fn malformed_lines_say_why() {
        assert!(
            parse_capture_line("{")
                .unwrap_err()
                .contains("not valid JSON")
        );
        let no_time = CSV_LINE.replace(r#""inferenceTime":"2022-02-14T17:25:49Z""#, r#""x":1"#);
        assert_eq!(
            parse_capture_line(&no_time).unwrap_err(),
            "missing eventMetadata.inferenceTime"
        );
        let bad_enc = CSV_LINE.replacen(r#""encoding":"CSV""#, r#""encoding":"XML""#, 1);
        assert!(
            parse_capture_line(&bad_enc)
                .unwrap_err()
                .contains("unknown encoding \"XML\"")
        );
        let bad_b64 = CSV_LINE.replacen(r#""encoding":"CSV""#, r#""encoding":"BASE64""#, 1);
        let r = parse_capture_line(&bad_b64).unwrap();
        assert!(r.input.text().unwrap_err().contains("undecodable base64"));
    }
}
