//! Reading a window's captured traffic and ground truth from a store, in SageMaker's layout:
//! `{data_capture}/{endpoint}/{variant}/yyyy/mm/dd/hh/*.jsonl` and
//! `{ground_truth}/yyyy/mm/dd/hh/*.jsonl`.
//!
//! Files are fetched concurrently and parsed on the blocking pool; results are put back in key
//! order, so an execution is deterministic whatever the order files arrive in. A bad line is
//! skipped and counted (the first [`MAX_LOCATIONS`] are kept as `key:line: reason`), never
//! fatal.

use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};
use tokio::sync::Semaphore;

use super::cell::Cell;
use super::ground_truth::{GroundTruthRecord, parse_ground_truth};
use super::line::{CapturedLine, parse_capture_line};
use super::merge::CapturedEvent;
use super::payload::{JsonPath, OutputLocators, Prediction, decode_features, decode_predictions};
use crate::limits::{MAX_CAPTURE_OBJECT_BYTES, too_large_for};
use crate::schedule::window::Window;
use crate::store::{ObjectMeta, ObjectStore, StoreError, join_key};

/// How many malformed-line locations a record keeps.
pub const MAX_LOCATIONS: usize = 20;
/// Files fetched at once.
const FETCH_CONCURRENCY: usize = 32;

/// Skipped lines: how many, and where the first ones were.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Malformed {
    pub count: usize,
    pub locations: Vec<String>,
}

impl Malformed {
    pub fn add(&mut self, key: &str, line: usize, reason: &str) {
        self.count += 1;
        if self.locations.len() < MAX_LOCATIONS {
            self.locations.push(format!("{key}:{line}: {reason}"));
        }
    }

    /// A whole object that could not be read (e.g. a corrupt gzip stream).
    pub fn add_object(&mut self, key: &str, reason: &str) {
        self.count += 1;
        if self.locations.len() < MAX_LOCATIONS {
            self.locations.push(format!("{key}: {reason}"));
        }
    }

    pub fn extend(&mut self, other: Malformed) {
        self.count += other.count;
        let room = MAX_LOCATIONS.saturating_sub(self.locations.len());
        self.locations
            .extend(other.locations.into_iter().take(room));
    }
}

/// Capture and ground-truth objects: JSON Lines, plain or gzip-compressed.
fn is_data_object(key: &str) -> bool {
    key.ends_with(".jsonl") || key.ends_with(".jsonl.gz")
}

/// The hour folders (`yyyy/mm/dd/hh`) of every hour that overlaps [start, end).
pub fn hour_folders(start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<String> {
    let mut hour = start
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(start);
    let mut out = Vec::new();
    while hour < end {
        out.push(format!(
            "{:04}/{:02}/{:02}/{:02}",
            hour.year(),
            hour.month(),
            hour.day(),
            hour.hour()
        ));
        hour += TimeDelta::hours(1);
    }
    out
}

/// Turns a capture record's payloads into feature rows paired with predictions.
pub struct Decoder {
    pub features: Option<JsonPath>,
    pub outputs: OutputLocators,
    /// The number of features each row must have (known from the config's `headers`).
    pub expected_features: Option<usize>,
    /// A score strictly greater than this predicts label 1 (when the response has no label).
    pub threshold: f64,
    /// Explainability reads only the features: responses are not decoded (predictions Null).
    pub ignore_output: bool,
}

impl Decoder {
    /// The records of one invocation: features, and the predicted label (the response's
    /// label, else its score binarized).
    pub fn decode(&self, r: &CapturedLine) -> Result<Vec<(Vec<Cell>, Cell)>, String> {
        let rows = decode_features(&r.input, self.features.as_ref())
            .map_err(|e| format!("endpointInput: {e}"))?;
        let preds = if self.ignore_output {
            vec![
                Prediction {
                    label: None,
                    score: None
                };
                rows.len()
            ]
        } else {
            decode_predictions(&r.output, &self.outputs)
                .map_err(|e| format!("endpointOutput: {e}"))?
        };
        if rows.len() != preds.len() {
            return Err(format!(
                "{} input records but {} output records",
                rows.len(),
                preds.len()
            ));
        }
        if rows.is_empty() {
            return Err("endpointInput holds no record".into());
        }
        if let Some(n) = self.expected_features
            && let Some(bad) = rows.iter().position(|row| row.len() != n)
        {
            return Err(format!(
                "input record {} has {} features, expected {n} (the config's headers)",
                bad + 1,
                rows[bad].len()
            ));
        }
        Ok(rows
            .into_iter()
            .zip(preds)
            .map(|(row, p)| {
                // A fresh, exact allocation: `collect` would reuse the JSON values' buffer in
                // place and keep three times the memory alive per row.
                let mut cells = Vec::with_capacity(row.len());
                cells.extend(row.into_iter().map(Cell::from));
                (cells, predicted_label(p, self.threshold))
            })
            .collect())
    }
}

fn predicted_label(p: Prediction, threshold: f64) -> Cell {
    match (p.label, p.score) {
        (Some(l), _) => Cell::from(l),
        (None, Some(s)) => Cell::Int(i64::from(s > threshold)),
        (None, None) => Cell::Null,
    }
}

/// What reading one capture file produced.
#[derive(Debug, Default)]
struct CaptureFile {
    events: Vec<CapturedEvent>,
    lines: usize,
    records_in_window: usize,
    outside_window: usize,
    malformed: Malformed,
}

fn parse_capture_file(key: &str, bytes: &[u8], window: Window, decoder: &Decoder) -> CaptureFile {
    let mut out = CaptureFile::default();
    for (n, line) in super::jsonl::lines(bytes) {
        out.lines += 1;
        let rec = match line.and_then(parse_capture_line) {
            Ok(r) => r,
            Err(reason) => {
                out.malformed.add(key, n, &reason);
                continue;
            }
        };
        if !window.contains(rec.inference_time) {
            out.outside_window += 1;
            continue;
        }
        match decoder.decode(&rec) {
            Ok(records) => {
                out.records_in_window += records.len();
                out.events.push(CapturedEvent {
                    key: rec.join_key().to_string(),
                    records,
                });
            }
            Err(reason) => out.malformed.add(key, n, &reason),
        }
    }
    out
}

/// A window's captured traffic.
#[derive(Debug, Default)]
pub struct CaptureRead {
    pub events: Vec<CapturedEvent>,
    /// Where it was read (`s3://…/{endpoint}[/{variant}]`), for messages.
    pub prefix: String,
    pub files: usize,
    pub bytes: u64,
    /// Capture lines read (one per invocation).
    pub lines: usize,
    /// Records (a multi-record invocation counts each) with `inferenceTime` in the window.
    pub records_in_window: usize,
    /// Lines skipped because their `inferenceTime` is outside the window.
    pub outside_window: usize,
    pub malformed: Malformed,
    pub list_seconds: f64,
    pub read_seconds: f64,
}

/// Lists `{endpoint}/{variant}/{hour}/` for every hour overlapping the window (every variant
/// when none is configured), then reads every `*.jsonl`.
pub async fn read_capture<S: ObjectStore + Clone + Send + Sync + 'static>(
    store: &S,
    endpoint: &str,
    variant: Option<&str>,
    window: Window,
    decoder: Arc<Decoder>,
) -> Result<CaptureRead, StoreError> {
    let clock = std::time::Instant::now();
    let variants = match variant {
        Some(v) => vec![v.to_string()],
        None => store.list_dirs(endpoint).await?,
    };
    let mut files = Vec::new();
    for v in &variants {
        for hour in hour_folders(window.start, window.end) {
            let prefix = join_key(&join_key(endpoint, v), &hour);
            files.extend(
                store
                    .list(&prefix)
                    .await?
                    .into_iter()
                    .filter(|o| is_data_object(&o.key)),
            );
        }
    }
    let list_seconds = clock.elapsed().as_secs_f64();
    let clock = std::time::Instant::now();
    let parsed = fetch_and_parse(store, &files, move |key, bytes| match bytes {
        Ok(bytes) => parse_capture_file(key, bytes, window, &decoder),
        Err(reason) => {
            let mut f = CaptureFile::default();
            f.malformed.add_object(key, &reason);
            f
        }
    })
    .await?;
    let mut out = CaptureRead {
        prefix: store.describe(&join_key(endpoint, variant.unwrap_or(""))),
        files: files.len(),
        bytes: files.iter().map(|f| f.size).sum(),
        list_seconds,
        ..Default::default()
    };
    for f in parsed {
        out.events.extend(f.events);
        out.lines += f.lines;
        out.records_in_window += f.records_in_window;
        out.outside_window += f.outside_window;
        out.malformed.extend(f.malformed);
    }
    out.read_seconds = clock.elapsed().as_secs_f64();
    Ok(out)
}

/// A window's ground truth.
#[derive(Debug, Default)]
pub struct GroundTruthRead {
    /// Oldest file first (by modification time, then key), so later labels win the merge.
    pub records: Vec<GroundTruthRecord>,
    pub files: usize,
    pub malformed: Malformed,
    pub seconds: f64,
}

/// Reads every `*.jsonl` of the hour folders from the window start up to the scheduled time:
/// folder dates are when labels were collected, which is after the inference, so reading up to
/// T (not just the window) finds the labels of the window's traffic that exist by then.
pub async fn read_ground_truth<S: ObjectStore + Clone + Send + Sync + 'static>(
    store: &S,
    window_start: DateTime<Utc>,
    scheduled_time: DateTime<Utc>,
    label: Option<Arc<JsonPath>>,
) -> Result<GroundTruthRead, StoreError> {
    let clock = std::time::Instant::now();
    let mut files: Vec<ObjectMeta> = Vec::new();
    for hour in hour_folders(window_start, scheduled_time) {
        files.extend(
            store
                .list(&hour)
                .await?
                .into_iter()
                .filter(|o| is_data_object(&o.key)),
        );
    }
    files.sort_by(|a, b| {
        let t = |o: &ObjectMeta| o.last_modified.unwrap_or(SystemTime::UNIX_EPOCH);
        t(a).cmp(&t(b)).then_with(|| a.key.cmp(&b.key))
    });
    let parsed = fetch_and_parse(store, &files, move |key, bytes| {
        let mut malformed = Malformed::default();
        let bytes = match bytes {
            Ok(b) => b,
            Err(reason) => {
                malformed.add_object(key, &reason);
                return (Vec::new(), malformed);
            }
        };
        let (records, bad) = parse_ground_truth(bytes, label.as_deref());
        for b in bad {
            match b.line {
                Some(line) => malformed.add(key, line, &b.reason),
                None => malformed.add_object(key, &b.reason),
            }
        }
        (records, malformed)
    })
    .await?;
    let mut out = GroundTruthRead {
        files: files.len(),
        ..Default::default()
    };
    for (records, malformed) in parsed {
        out.records.extend(records);
        out.malformed.extend(malformed);
    }
    out.seconds = clock.elapsed().as_secs_f64();
    Ok(out)
}

/// Fetches `files` with bounded concurrency, decompresses gzip objects and parses each on the
/// blocking pool (an object that cannot be decompressed reaches `parse` as an error); results
/// come back in the order of `files`.
async fn fetch_and_parse<S, T, F>(
    store: &S,
    files: &[ObjectMeta],
    parse: F,
) -> Result<Vec<T>, StoreError>
where
    S: ObjectStore + Clone + Send + Sync + 'static,
    T: Send + 'static,
    F: Fn(&str, Result<&[u8], String>) -> T + Send + Sync + 'static,
{
    let parse = Arc::new(parse);
    let permits = Arc::new(Semaphore::new(FETCH_CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, f) in files.iter().enumerate() {
        let (store, parse, permits, key, size) = (
            store.clone(),
            parse.clone(),
            permits.clone(),
            f.key.clone(),
            f.size,
        );
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            // An object deleted between the listing and the read (a lifecycle rule, a
            // re-upload) and one that is not data are counted against that object; the
            // window goes on with the others.
            // Refused from the listing's size, before a byte is read.
            let bytes = if size > MAX_CAPTURE_OBJECT_BYTES {
                Err(format!(
                    "{} for one capture or ground-truth object; split it",
                    too_large_for(size, MAX_CAPTURE_OBJECT_BYTES)
                ))
            } else {
                match store.get(&key).await {
                    Ok(bytes) => Ok(bytes),
                    Err(StoreError::NotFound { .. }) => {
                        Err("was listed but had been deleted when it was read".to_string())
                    }
                    Err(StoreError::NotData { message, .. }) => Err(message),
                    Err(e) => return Err(e),
                }
            };
            let parsed = tokio::task::spawn_blocking(move || {
                match bytes.and_then(|b| crate::gzip::maybe_gunzip(b, MAX_CAPTURE_OBJECT_BYTES)) {
                    Ok(bytes) => parse(&key, Ok(&bytes)),
                    Err(reason) => parse(&key, Err(reason)),
                }
            })
            .await
            .map_err(|e| StoreError::Transient {
                location: store.describe(""),
                message: format!("parsing task failed: {e}"),
            })?;
            Ok::<_, StoreError>((i, parsed))
        });
    }
    let mut slots: Vec<Option<T>> = (0..files.len()).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        let (i, parsed) = joined.map_err(|e| StoreError::Transient {
            location: store.describe(""),
            message: format!("fetch task failed: {e}"),
        })??;
        slots[i] = Some(parsed);
    }
    Ok(slots.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sagemaker::time::parse_utc;

    #[test]
    fn hour_folders_cover_partial_hours() {
        let f = hour_folders(
            parse_utc("2024-12-31T22:30:00Z").unwrap(),
            parse_utc("2025-01-01T01:00:00Z").unwrap(),
        );
        assert_eq!(f, ["2024/12/31/22", "2024/12/31/23", "2025/01/01/00"]);
        let f = hour_folders(
            parse_utc("2024-01-19T10:15:00Z").unwrap(),
            parse_utc("2024-01-19T10:30:00Z").unwrap(),
        );
        assert_eq!(f, ["2024/01/19/10"]);
    }

    #[test]
    fn scores_are_binarized_strictly_and_labels_win() {
        let score = |s| Prediction {
            label: None,
            score: Some(s),
        };
        assert_eq!(predicted_label(score(0.6), 0.6), Cell::Int(0));
        assert_eq!(predicted_label(score(0.61), 0.6), Cell::Int(1));
        let labelled = Prediction {
            label: Some(serde_json::json!("yes")),
            score: Some(0.1),
        };
        assert_eq!(predicted_label(labelled, 0.5), Cell::Text("yes".into()));
    }

    #[test]
    fn malformed_keeps_the_first_locations_and_counts_all() {
        let mut m = Malformed::default();
        for i in 0..25 {
            m.add("k", i, "bad");
        }
        assert_eq!(m.count, 25);
        assert_eq!(m.locations.len(), MAX_LOCATIONS);
        assert_eq!(m.locations[0], "k:0: bad");
    }
}
