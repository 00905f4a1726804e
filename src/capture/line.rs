//! One line of a SageMaker data-capture file.
//!
//! Parsed by key (key order varies between files), tolerant of extra keys, strict about the
//! keys a monitor needs: a line that lacks them is malformed and reported, never guessed.

use std::borrow::Cow;

use base64::Engine;
use chrono::{DateTime, Utc};

/// How SageMaker stored a payload's `data` string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Csv,
    Json,
    Base64,
}

/// A captured request or response body, borrowing from the capture line where it can: a
/// window is millions of lines, and copying two bodies out of each was a tenth of its parse.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload<'a> {
    /// `observedContentType` without MIME parameters, lowercased (`text/csv; charset=utf-8`
    /// → `text/csv`).
    pub content_type: Cow<'a, str>,
    pub encoding: Encoding,
    pub data: Cow<'a, str>,
}

impl Payload<'_> {
    /// The body as text (BASE64 payloads decoded).
    pub fn text(&self) -> Result<Cow<'_, str>, String> {
        match self.encoding {
            Encoding::Csv | Encoding::Json => Ok(Cow::Borrowed(&self.data)),
            Encoding::Base64 => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(self.data.trim())
                    .map_err(|e| format!("undecodable base64 data: {e}"))?;
                String::from_utf8(bytes)
                    .map(Cow::Owned)
                    .map_err(|_| "base64 data is not UTF-8 text".to_string())
            }
        }
    }
}

/// One captured invocation, borrowing from its line (strings without JSON escapes).
#[derive(Debug, Clone, PartialEq)]
pub struct CapturedLine<'a> {
    pub event_id: Cow<'a, str>,
    pub inference_id: Option<Cow<'a, str>>,
    pub inference_time: DateTime<Utc>,
    pub input: Payload<'a>,
    pub output: Payload<'a>,
}

impl CapturedLine<'_> {
    /// The merge key: `inferenceId` when the caller set one, else `eventId` (SageMaker's rule).
    pub fn join_key(&self) -> &str {
        self.inference_id.as_deref().unwrap_or(&self.event_id)
    }
}

/// `text/csv; charset=utf-8` → `text/csv` (borrowed when already bare and lowercase, as
/// nearly every captured content type is).
pub fn bare_content_type(s: &str) -> Cow<'_, str> {
    let bare = s.split(';').next().unwrap_or("").trim();
    if bare.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(bare.to_ascii_lowercase())
    } else {
        Cow::Borrowed(bare)
    }
}

/// [`bare_content_type`] of a string that may itself be borrowed from the line.
fn bare_cow(s: Cow<'_, str>) -> Cow<'_, str> {
    match s {
        Cow::Borrowed(b) => bare_content_type(b),
        Cow::Owned(o) => Cow::Owned(bare_content_type(&o).into_owned()),
    }
}

/// A capture line as stored, borrowing from the line where it can (strings without escapes):
/// parsing straight into these is several times faster than a generic JSON tree, which
/// matters at millions of lines per execution. Unknown keys are ignored; missing ones are
/// reported by name below.
#[derive(serde::Deserialize)]
struct RawLine<'a> {
    #[serde(rename = "captureData", borrow)]
    capture_data: Option<RawCapture<'a>>,
    #[serde(rename = "eventMetadata", borrow)]
    event_metadata: Option<RawMeta<'a>>,
}

#[derive(serde::Deserialize)]
struct RawCapture<'a> {
    #[serde(rename = "endpointInput", borrow)]
    input: Option<RawPayload<'a>>,
    #[serde(rename = "endpointOutput", borrow)]
    output: Option<RawPayload<'a>>,
}

#[derive(serde::Deserialize)]
struct RawPayload<'a> {
    #[serde(rename = "observedContentType", borrow)]
    content_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    data: Option<Cow<'a, str>>,
    #[serde(borrow)]
    encoding: Option<Cow<'a, str>>,
}

#[derive(serde::Deserialize)]
struct RawMeta<'a> {
    #[serde(rename = "eventId", borrow)]
    event_id: Option<Cow<'a, str>>,
    #[serde(rename = "inferenceId", borrow)]
    inference_id: Option<Cow<'a, str>>,
    #[serde(rename = "inferenceTime", borrow)]
    inference_time: Option<Cow<'a, str>>,
}

fn payload<'a>(raw: Option<RawPayload<'a>>, which: &str) -> Result<Payload<'a>, String> {
    let raw = raw.ok_or_else(|| format!("missing captureData.{which}"))?;
    let missing = |k: &str| format!("missing captureData.{which}.{k}");
    let encoding = match raw.encoding.as_deref().ok_or_else(|| missing("encoding"))? {
        "CSV" => Encoding::Csv,
        "JSON" => Encoding::Json,
        "BASE64" => Encoding::Base64,
        other => return Err(format!("unknown encoding {other:?} in captureData.{which}")),
    };
    Ok(Payload {
        content_type: bare_cow(
            raw.content_type
                .ok_or_else(|| missing("observedContentType"))?,
        ),
        encoding,
        data: raw.data.ok_or_else(|| missing("data"))?,
    })
}

/// An `inferenceTime`: RFC 3339 (what endpoints write), or the same without a zone, which
/// is UTC as every SageMaker time is — the SDK's own integration test uploads capture with
/// `"%Y-%m-%dT%H:%M:%S.%f"` times, and Model Monitor analyses them.
fn inference_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// Parses one capture line.
pub fn parse_capture_line(line: &str) -> Result<CapturedLine<'_>, String> {
    let raw: RawLine<'_> =
        serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let meta = raw
        .event_metadata
        .ok_or("missing eventMetadata.inferenceTime")?;
    let time = meta
        .inference_time
        .ok_or("missing eventMetadata.inferenceTime")?;
    let inference_time = inference_time(&time).ok_or_else(|| {
        format!("eventMetadata.inferenceTime {time:?} is not an RFC 3339 time (or one without a zone, read as UTC)")
    })?;
    let event_id = meta.event_id.ok_or("missing eventMetadata.eventId")?;
    let capture = raw.capture_data.ok_or("missing captureData")?;
    Ok(CapturedLine {
        event_id,
        inference_id: meta.inference_id,
        inference_time,
        input: payload(capture.input, "endpointInput")?,
        output: payload(capture.output, "endpointOutput")?,
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
            crate::sagemaker::time::format_utc(r.inference_time),
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

    #[test]
    fn inference_times_without_a_zone_are_utc() {
        // What the SageMaker SDK's integration test writes.
        assert_eq!(
            inference_time("2024-01-19T11:42:17.123456")
                .unwrap()
                .to_rfc3339(),
            "2024-01-19T11:42:17.123456+00:00"
        );
        assert_eq!(
            inference_time("2024-01-19T11:42:17Z"),
            inference_time("2024-01-19T11:42:17")
        );
        assert_eq!(
            inference_time("2024-01-19T12:42:17+01:00"),
            inference_time("2024-01-19T11:42:17")
        );
        assert!(inference_time("19/01/2024 11:42").is_none());
        assert!(inference_time("2024-01-19").is_none());
    }
}
