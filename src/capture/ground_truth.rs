//! SageMaker ground-truth files: one record per line (or, tolerated, a JSON array of records),
//! `groundTruthData` holding the label(s) of one captured event in CSV or JSON.

use std::borrow::Cow;

use serde_json::Value;

use super::payload::{JsonPath, csv_cells, truncate};

#[derive(Debug, Clone, PartialEq)]
pub struct GroundTruthRecord<'a> {
    /// `eventMetadata.eventId`: matched with the capture's inferenceId, else its eventId.
    /// Borrowed from the line when it has no escapes (a window's index only hashes it).
    pub event_id: Cow<'a, str>,
    /// The labels, one per captured record of that event.
    pub labels: Vec<Value>,
}

impl GroundTruthRecord<'_> {
    /// The record, owning its id.
    pub fn into_owned(self) -> GroundTruthRecord<'static> {
        GroundTruthRecord {
            event_id: Cow::Owned(self.event_id.into_owned()),
            labels: self.labels,
        }
    }
}

/// A line that could not be read, and why: its 1-based line, or none for an item of a file
/// that is one JSON array (the reason names the item).
#[derive(Debug, Clone, PartialEq)]
pub struct BadLine {
    pub line: Option<usize>,
    pub reason: String,
}

fn labels_of(data: &str, encoding: &str, label: Option<&JsonPath>) -> Result<Vec<Value>, String> {
    match encoding {
        "CSV" => Ok(data
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let cell = match l.contains('"') {
                    true => Cow::Owned(csv_cells(l).into_iter().next().unwrap_or_default()),
                    false => Cow::Borrowed(l.split(',').next().unwrap_or_default()),
                };
                let t = cell.trim();
                t.parse::<i64>()
                    .map(Value::from)
                    .or_else(|_| t.parse::<f64>().map(Value::from))
                    .unwrap_or_else(|_| Value::String(t.to_string()))
            })
            .collect()),
        "JSON" => {
            let v: Value = serde_json::from_str(data)
                .map_err(|e| format!("groundTruthData.data is not valid JSON: {e}"))?;
            let found = match label {
                Some(path) => path.search(&v)?,
                None => v,
            };
            Ok(match found {
                Value::Array(items) => items,
                Value::Null => {
                    return Err(format!(
                        "no label found in {}{}",
                        truncate(data),
                        label
                            .map(|l| format!(" at {:?}", l.text()))
                            .unwrap_or_default()
                    ));
                }
                other => vec![other],
            })
        }
        other => Err(format!("unknown groundTruthData.encoding {other:?}")),
    }
}

/// A ground-truth line as stored, parsed without building a JSON tree (see the capture
/// line's `RawLine`).
#[derive(serde::Deserialize)]
struct RawTruth<'a> {
    #[serde(rename = "groundTruthData", borrow)]
    data: Option<RawTruthData<'a>>,
    #[serde(rename = "eventMetadata", borrow)]
    meta: Option<RawTruthMeta<'a>>,
}

#[derive(serde::Deserialize)]
struct RawTruthData<'a> {
    #[serde(borrow)]
    data: Option<Cow<'a, str>>,
    #[serde(borrow)]
    encoding: Option<Cow<'a, str>>,
}

#[derive(serde::Deserialize)]
struct RawTruthMeta<'a> {
    #[serde(rename = "eventId", borrow)]
    event_id: Option<Cow<'a, str>>,
}

fn record<'a>(
    raw: RawTruth<'a>,
    label: Option<&JsonPath>,
) -> Result<GroundTruthRecord<'a>, String> {
    let event_id = raw
        .meta
        .and_then(|m| m.event_id)
        .ok_or("missing eventMetadata.eventId")?;
    let gt = raw.data.ok_or("missing groundTruthData.data")?;
    let data = gt.data.ok_or("missing groundTruthData.data")?;
    let encoding = gt.encoding.ok_or("missing groundTruthData.encoding")?;
    let labels = labels_of(&data, &encoding, label)?;
    if labels.is_empty() {
        return Err("groundTruthData.data holds no label".into());
    }
    Ok(GroundTruthRecord { event_id, labels })
}

/// Reads a ground-truth file. `label` locates labels in JSON data (the analysis config's
/// `label`, e.g. `instances[*].label`).
pub fn parse_ground_truth(
    bytes: &[u8],
    label: Option<&JsonPath>,
) -> (Vec<GroundTruthRecord<'static>>, Vec<BadLine>) {
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    each_ground_truth(bytes, label, |r| ok.push(r.into_owned()), |b| bad.push(b));
    (ok, bad)
}

/// Reads a ground-truth file record by record, so a caller keeps only what it needs of each
/// (the window's index keeps ~40 bytes of a record that parses to ~150).
pub fn each_ground_truth(
    bytes: &[u8],
    label: Option<&JsonPath>,
    mut ok: impl FnMut(GroundTruthRecord<'_>),
    mut bad: impl FnMut(BadLine),
) {
    // Tolerated: a file that is one JSON array of records (seen in SageMaker's own examples),
    // read item by item under the limits of a line.
    if let Some(items) = super::jsonl::array_items(bytes) {
        for (i, item) in items {
            let parsed = item.and_then(|item| {
                serde_json::from_str::<RawTruth<'_>>(item)
                    .map_err(|e| format!("not a ground-truth record: {e}"))
                    .and_then(|raw| record(raw, label))
            });
            match parsed {
                Ok(r) => ok(r),
                Err(reason) => bad(BadLine {
                    line: None,
                    reason: format!("array item {i}: {reason}"),
                }),
            }
        }
        return;
    }
    for (n, line) in super::jsonl::lines(bytes) {
        let parsed = line.and_then(|line| {
            serde_json::from_str::<RawTruth<'_>>(line)
                .map_err(|e| format!("not valid JSON: {e}"))
                .and_then(|raw| record(raw, label))
        });
        match parsed {
            Ok(r) => ok(r),
            Err(reason) => bad(BadLine {
                line: Some(n),
                reason,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_and_json_labels() {
        let text = "{\"groundTruthData\":{\"data\":\"1\",\"encoding\":\"CSV\"},\"eventMetadata\":{\"eventId\":\"a\"},\"eventVersion\":\"0\"}\n\
                    {\"groundTruthData\":{\"data\":\"{\\\"instances\\\": [{\\\"label\\\": 0}, {\\\"label\\\": 1}]}\",\"encoding\":\"JSON\"},\"eventMetadata\":{\"eventId\":\"7\",\"inferenceTime\":\"x\"},\"eventVersion\":\"0\"}\n";
        let path = JsonPath::compile("instances[*].label").unwrap();
        let (ok, bad) = parse_ground_truth(text.as_bytes(), Some(&path));
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(
            ok[0],
            GroundTruthRecord {
                event_id: "a".into(),
                labels: vec![json!(1)]
            }
        );
        assert_eq!(ok[1].labels, vec![json!(0), json!(1)]);
    }

    #[test]
    fn a_json_array_file_is_tolerated_and_bad_lines_are_counted() {
        let arr = r#"[{"groundTruthData": {"data": "0", "encoding": "CSV"}, "eventMetadata": {"eventId": "x"}}]"#;
        let (ok, bad) = parse_ground_truth(arr.as_bytes(), None);
        assert_eq!((ok.len(), bad.len()), (1, 0));
        let text = "{bad\n{\"groundTruthData\":{\"data\":\"1\",\"encoding\":\"XML\"},\"eventMetadata\":{\"eventId\":\"a\"}}\n";
        let (ok, bad) = parse_ground_truth(text.as_bytes(), None);
        assert!(ok.is_empty());
        assert_eq!(bad[0].line, Some(1));
        assert!(
            bad[1]
                .reason
                .contains("unknown groundTruthData.encoding \"XML\"")
        );
    }
}
