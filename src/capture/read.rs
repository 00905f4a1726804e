//! Reading a window's captured traffic and ground truth from a store, in SageMaker's layout:
//! `{data_capture}/{endpoint}/{variant}/yyyy/mm/dd/hh/*.jsonl` and
//! `{ground_truth}/yyyy/mm/dd/hh/*.jsonl`.
//!
//! Files are fetched concurrently and parsed on the blocking pool; results are put back in key
//! order, so an execution is deterministic whatever the order files arrive in. A bad line is
//! skipped and counted (the first [`MAX_LOCATIONS`] are kept as `key:line: reason`), never
//! fatal.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use super::batch::{self, BatchPlan};
use super::cell::Cell;
use super::ground_truth::each_ground_truth;
use super::line::{CapturedLine, parse_capture_line};
use super::payload::{
    JsonPath, OutputLocators, Prediction, Spelling, decode_features, decode_predictions,
    decode_rows,
};
use super::reduce::{BiasPartial, FileReduced, FileReducer, ReducePlan};
use super::truth::{IdHash, MISS_BATCH, SeqSet, TooManyLabels, TruthIndex, id_hash};
use crate::config::source::InferenceIdPrefix;
use crate::limits::{MAX_CAPTURE_OBJECT_BYTES, too_large_for};
use crate::schedule::window::Window;
use crate::store::{ObjectMeta, ObjectStore, StoreError, join_key};
use serde_json::Value;

/// One captured invocation after decoding: its join key (`inferenceId`, else `eventId`) and
/// its records (multi-record requests hold several), each with features and the model's
/// predicted label.
#[derive(Debug, Clone, PartialEq)]
pub struct CapturedEvent {
    pub key: String,
    /// The event's line in its object (1-based), for messages naming one record.
    pub line: usize,
    pub records: Vec<(Vec<Cell>, Cell)>,
}

/// How many malformed-line locations a record keeps.
pub const MAX_LOCATIONS: usize = 20;
/// Files fetched and parsed at once (and so at most held at once).
const FETCH_CONCURRENCY: usize = 32;
/// Listed bytes fetched and parsed at once (larger objects: see [`LARGE_IN_FLIGHT_BYTES`]): with the
/// parsed records of those bytes, the reading side of a window's peak memory.
pub const IN_FLIGHT_BYTES: u64 = 32 * 1024 * 1024;
/// Objects larger than [`IN_FLIGHT_BYTES`] are still parsed one per core, while together they
/// stay within this: a window of 45 MB objects (a busy endpoint) keeps every core busy instead
/// of parsing one object at a time, for at most this much capture in memory.
pub const LARGE_IN_FLIGHT_BYTES: u64 = 128 * 1024 * 1024;

/// Skipped lines: how many, and where the first ones were.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// Only the invocations whose `inferenceId` begins with this (one target model of a
    /// multi-model endpoint); the others are counted in `not_selected`, never decoded.
    pub select: Option<InferenceIdPrefix>,
    /// What a record's row is.
    pub rows: RowShape,
}

/// What a decoded record's row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowShape {
    /// The request's features, typed by value, paired with the predicted label (the Clarify
    /// monitors).
    #[default]
    Features,
    /// The response's columns then the request's, as the payloads spell them (the
    /// data-quality monitor's `sagemakerCaptureJson` rows); the prediction is `Null`.
    OutputThenInput,
    /// The response alone, the request not decoded (the model-quality monitor): each
    /// record's row is `[label, score]`, either `Null` when the response has none; the
    /// prediction is `Null`.
    Predictions,
}

impl Decoder {
    /// The records of one invocation: features, and the predicted label (the response's
    /// label, else its score binarized).
    pub fn decode(&self, r: &CapturedLine) -> Result<Vec<(Vec<Cell>, Cell)>, String> {
        match self.rows {
            RowShape::OutputThenInput => return self.decode_verbatim(r),
            RowShape::Predictions => return self.decode_outputs(r),
            RowShape::Features => {}
        }
        let rows = decode_features(&r.input, self.features.as_ref())
            .map_err(|e| format!("endpointInput: {e}"))?;
        // A window keeps a row per distinct record: records as wide as a hostile line allows
        // would cost gigabytes across a window.
        if let Some(wide) = rows.iter().find(|r| r.len() > crate::limits::MAX_COLUMNS) {
            return Err(format!(
                "endpointInput: a record has {} features, more than the {} driftwatch analyses",
                wide.len(),
                crate::limits::MAX_COLUMNS
            ));
        }
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
            .map(|(row, p)| (row, predicted_label(p, self.threshold)))
            .collect())
    }
}

impl Decoder {
    /// [`RowShape::Predictions`]: each record's located label and score.
    fn decode_outputs(&self, r: &CapturedLine) -> Result<Vec<(Vec<Cell>, Cell)>, String> {
        let preds = decode_predictions(&r.output, &self.outputs)
            .map_err(|e| format!("endpointOutput: {e}"))?;
        if preds.is_empty() {
            return Err("endpointOutput holds no record".into());
        }
        Ok(preds
            .into_iter()
            .map(|p| {
                let label = p.label.map_or(Cell::Null, |v| match v {
                    Value::String(s) => Cell::Text(s.into()),
                    Value::Null => Cell::Null,
                    v => Cell::Text(v.to_string().into()),
                });
                (
                    vec![label, p.score.map_or(Cell::Null, Cell::Float)],
                    Cell::Null,
                )
            })
            .collect())
    }

    /// [`RowShape::OutputThenInput`]: each record's output columns (the located label and
    /// score when `inference_attribute` / `probability_attribute` name them, else every
    /// column of the response) then its input columns, spelled as the payloads spell them.
    fn decode_verbatim(&self, r: &CapturedLine) -> Result<Vec<(Vec<Cell>, Cell)>, String> {
        let inputs = decode_rows(
            &r.input,
            self.features.as_ref(),
            Spelling::Verbatim,
            "input",
        )
        .map_err(|e| format!("endpointInput: {e}"))?;
        let located = self.outputs.inference.is_some() || self.outputs.probability.is_some();
        let outputs: Vec<Vec<Cell>> = if located {
            decode_predictions(&r.output, &self.outputs)
                .map_err(|e| format!("endpointOutput: {e}"))?
                .into_iter()
                .map(|p| {
                    let mut row = Vec::with_capacity(2);
                    if self.outputs.inference.is_some() {
                        row.push(p.label.map_or(Cell::Null, |v| match v {
                            Value::String(s) => Cell::Text(s.into()),
                            Value::Null => Cell::Null,
                            v => Cell::Text(v.to_string().into()),
                        }));
                    }
                    if self.outputs.probability.is_some() {
                        row.push(p.score.map_or(Cell::Null, |x| {
                            Cell::Text(Value::from(x).to_string().into())
                        }));
                    }
                    row
                })
                .collect()
        } else {
            decode_rows(&r.output, None, Spelling::Verbatim, "output").map_err(|e| {
                format!("endpointOutput: {e} (name the response's columns with inference_attribute and probability_attribute)")
            })?
        };
        if inputs.len() != outputs.len() {
            return Err(format!(
                "{} input records but {} output records",
                inputs.len(),
                outputs.len()
            ));
        }
        if inputs.is_empty() {
            return Err("endpointInput holds no record".into());
        }
        let mut out = Vec::with_capacity(inputs.len());
        for (i, o) in inputs.into_iter().zip(outputs) {
            if i.len() + o.len() > crate::limits::MAX_COLUMNS {
                return Err(format!(
                    "a record has {} columns, more than the {} driftwatch analyses",
                    i.len() + o.len(),
                    crate::limits::MAX_COLUMNS
                ));
            }
            let mut row = o;
            row.extend(i);
            out.push((row, Cell::Null));
        }
        Ok(out)
    }
}

fn predicted_label(p: Prediction, threshold: f64) -> Cell {
    match (p.label, p.score) {
        (Some(l), _) => Cell::from(l),
        (None, Some(s)) => Cell::Int(i64::from(s > threshold)),
        (None, None) => Cell::Null,
    }
}

/// What the listed objects are.
#[derive(Debug, Clone)]
pub enum Objects {
    /// SageMaker data-capture files (`*.jsonl`), one invocation a line.
    Capture,
    /// Objects a batch transform job read or wrote, named by its manifests.
    Batch(Arc<BatchPlan>),
}

impl Objects {
    /// Reads one object's events into `sink`.
    fn parse(
        &self,
        key: &str,
        bytes: &[u8],
        window: Window,
        decoder: &Decoder,
        sink: impl FnMut(CapturedEvent),
    ) -> CaptureFile {
        match self {
            Self::Capture => parse_capture_file(key, bytes, window, decoder, sink),
            Self::Batch(plan) => parse_batch_file(key, bytes, window, decoder, plan, sink),
        }
    }
}

/// What reading one capture file produced.
#[derive(Debug, Default)]
struct CaptureFile {
    /// The file's events, when the parser keeps them for the consumer.
    events: Vec<CapturedEvent>,
    /// Events decoded (stays when `events` is taken).
    event_count: usize,
    lines: usize,
    records_in_window: usize,
    outside_window: usize,
    not_selected: usize,
    malformed: Malformed,
}

/// Reads one capture file, handing each decoded event to `sink` as it is read (so a reducer
/// holds no more than one event of it). `events` stays empty.
fn parse_capture_file(
    key: &str,
    bytes: &[u8],
    window: Window,
    decoder: &Decoder,
    mut sink: impl FnMut(CapturedEvent),
) -> CaptureFile {
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
        out.take(key, n, &rec, window, decoder, &mut sink);
    }
    out
}

impl CaptureFile {
    /// One invocation: counted outside the window, or decoded into an event for `sink`, or
    /// malformed at `key:n`.
    fn take(
        &mut self,
        key: &str,
        n: usize,
        line: &CapturedLine<'_>,
        window: Window,
        decoder: &Decoder,
        sink: &mut impl FnMut(CapturedEvent),
    ) {
        if !window.contains(line.inference_time) {
            self.outside_window += 1;
            return;
        }
        if let Some(p) = &decoder.select
            && !p.selects(line.inference_id.as_deref())
        {
            self.not_selected += 1;
            return;
        }
        match decoder.decode(line) {
            Ok(records) => {
                self.records_in_window += records.len();
                self.event_count += 1;
                sink(CapturedEvent {
                    key: line.join_key().to_string(),
                    line: n,
                    records,
                });
            }
            Err(reason) => self.malformed.add(key, n, &reason),
        }
    }
}

/// Reads one object of a batch transform job, as [`parse_capture_file`] reads a capture
/// file: each record an event (its id `SageMakerInferenceId`, else its place in the object).
fn parse_batch_file(
    key: &str,
    bytes: &[u8],
    window: Window,
    decoder: &Decoder,
    plan: &BatchPlan,
    mut sink: impl FnMut(CapturedEvent),
) -> CaptureFile {
    let mut out = CaptureFile::default();
    let Some(&hour) = plan.hours.get(key) else {
        out.malformed
            .add_object(key, "is not named by any manifest of the window");
        return out;
    };
    for (n, rec) in batch::records(bytes, plan) {
        out.lines += 1;
        let rec = match rec {
            Ok(r) => r,
            Err(reason) => {
                out.malformed.add(key, n, &reason);
                continue;
            }
        };
        let place = format!("{key}:{n}");
        let line = rec.as_line(&place, hour, plan.format);
        out.take(key, n, &line, window, decoder, &mut sink);
    }
    out
}

/// A window's captured traffic.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CaptureRead {
    /// Events read (handed to a sink, or reduced into a [`BiasPartial`]).
    pub event_count: usize,
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
    /// Lines in the window skipped because their `inferenceId` lacks the schedule's
    /// `inference_id_prefix` (another target model's traffic).
    #[serde(default)]
    pub not_selected: usize,
    pub malformed: Malformed,
    pub list_seconds: f64,
    pub read_seconds: f64,
}

/// The capture objects of a window: `{endpoint}/{variant}/{hour}/*.jsonl[.gz]` for every
/// hour overlapping it (every variant when none is configured), or the objects a window's
/// batch transform manifests name; and where they are.
pub struct CaptureListing {
    pub files: Vec<ObjectMeta>,
    /// How the objects are read: capture lines, or a batch transform job's records.
    pub objects: Objects,
    /// `s3://…/{endpoint}[/{variant}]`, for messages.
    pub prefix: String,
    pub seconds: f64,
}

pub async fn list_capture<S: ObjectStore>(
    store: &S,
    endpoint: &str,
    variant: Option<&str>,
    window: Window,
) -> Result<CaptureListing, StoreError> {
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
    Ok(CaptureListing {
        files,
        objects: Objects::Capture,
        prefix: store.describe(&join_key(endpoint, variant.unwrap_or(""))),
        seconds: clock.elapsed().as_secs_f64(),
    })
}

impl CaptureRead {
    fn new(listing: &CaptureListing) -> Self {
        Self {
            prefix: listing.prefix.clone(),
            files: listing.files.len(),
            bytes: listing.files.iter().map(|f| f.size).sum(),
            list_seconds: listing.seconds,
            ..Default::default()
        }
    }

    /// Adds the counts of the files listed after these (a later shard's): the sum is what
    /// one reader of all the files would have counted, malformed lines in listing order.
    pub fn absorb(&mut self, later: CaptureRead) {
        self.event_count += later.event_count;
        self.files += later.files;
        self.bytes += later.bytes;
        self.lines += later.lines;
        self.records_in_window += later.records_in_window;
        self.outside_window += later.outside_window;
        self.not_selected += later.not_selected;
        self.malformed.extend(later.malformed);
        self.list_seconds = self.list_seconds.max(later.list_seconds);
        self.read_seconds = self.read_seconds.max(later.read_seconds);
    }

    /// Takes a file's counts (not its events).
    fn count(&mut self, f: &mut CaptureFile) {
        self.event_count += f.event_count;
        self.lines += f.lines;
        self.records_in_window += f.records_in_window;
        self.outside_window += f.outside_window;
        self.not_selected += f.not_selected;
        self.malformed.extend(std::mem::take(&mut f.malformed));
    }
}

/// A capture file's counts when it could not be read at all.
fn unreadable(key: &str, reason: &str) -> CaptureFile {
    let mut f = CaptureFile::default();
    f.malformed.add_object(key, reason);
    f
}

/// Reads every captured event of the window (explainability: the rows to explain), handing
/// each to `sink` in listing order, one file at a time (`events` stays empty).
pub async fn read_capture<S: ObjectStore + Clone + Send + Sync + 'static>(
    store: &S,
    listing: &CaptureListing,
    window: Window,
    decoder: Arc<Decoder>,
    mut sink: impl FnMut(CapturedEvent),
) -> Result<CaptureRead, StoreError> {
    let clock = std::time::Instant::now();
    let mut out = CaptureRead::new(listing);
    let objects = listing.objects.clone();
    let parse = Arc::new(move |key: &str, bytes: Result<&[u8], String>| match bytes {
        Ok(bytes) => {
            let mut events = Vec::new();
            let mut f = objects.parse(key, bytes, window, &decoder, |e| events.push(e));
            f.events = events;
            f
        }
        Err(reason) => unreadable(key, &reason),
    });
    for_each_object(store, &listing.files, parse, |_, mut f: CaptureFile| {
        out.count(&mut f);
        std::mem::take(&mut f.events)
            .into_iter()
            .for_each(&mut sink);
        Ok(None)
    })
    .await?;
    out.read_seconds = clock.elapsed().as_secs_f64();
    Ok(out)
}

/// Reads the listed capture files, folding each file's events into a state of its own on
/// its parsing thread (`start` makes one, `event` adds an event to it), and hands the states
/// to `consume` in listing order: per-file work runs on every core, and what `consume` builds
/// depends on the listing alone, never on which file was parsed first.
pub async fn fold_capture<S, T, B, E, C>(
    store: &S,
    listing: &CaptureListing,
    window: Window,
    decoder: Arc<Decoder>,
    start: B,
    event: E,
    mut consume: C,
) -> Result<CaptureRead, StoreError>
where
    S: ObjectStore + Clone + Send + Sync + 'static,
    T: ObjectState,
    B: Fn(&str) -> T + Send + Sync + 'static,
    E: Fn(&mut T, CapturedEvent) + Send + Sync + 'static,
    C: FnMut(T),
{
    let clock = std::time::Instant::now();
    let mut out = CaptureRead::new(listing);
    let objects = listing.objects.clone();
    let parse = Arc::new(move |key: &str, bytes: Result<&[u8], String>| {
        let mut state = start(key);
        let f = match bytes {
            Ok(bytes) => objects.parse(key, bytes, window, &decoder, |e| event(&mut state, e)),
            Err(reason) => unreadable(key, &reason),
        };
        state.finish();
        (f, state)
    });
    for_each_object(
        store,
        &listing.files,
        parse,
        |_, (mut f, state): (CaptureFile, T)| {
            out.count(&mut f);
            consume(state);
            Ok(None)
        },
    )
    .await?;
    out.read_seconds = clock.elapsed().as_secs_f64();
    Ok(out)
}

/// A per-object fold's state ([`fold_capture`]): told when its object's last event has been
/// folded, so a state that batches its events (to overlap the ground-truth index's cache
/// misses) can finish the batch before it is handed on.
pub trait ObjectState: Send + 'static {
    fn finish(&mut self) {}
}

/// A bias window's capture, joined with the ground truth and reduced as it is read.
pub struct CaptureReduced {
    /// Counts and malformed lines (`events` stays empty).
    pub read: CaptureRead,
    pub partial: BiasPartial,
}

/// Reads the listed capture files, joins each event with `truth` and reduces the merged
/// records by `plan`, file by file in listing order (so the result is the same whatever order
/// files arrive in, and whatever the concurrency): at most [`FETCH_CONCURRENCY`] files are
/// held at once. A file whose events claim ids an earlier file's events claimed is read again
/// without them (an id's labels go to its first event only).
pub async fn reduce_capture<S: ObjectStore + Clone + Send + Sync + 'static>(
    store: &S,
    listing: &CaptureListing,
    window: Window,
    decoder: Arc<Decoder>,
    truth: Arc<TruthIndex>,
    plan: Arc<ReducePlan>,
    taken: SeqSet,
) -> Result<CaptureReduced, StoreError> {
    let clock = std::time::Instant::now();
    let mut read = CaptureRead::new(listing);
    let mut partial = BiasPartial::new(&plan);
    let reducer = |taken: SeqSet| {
        let (decoder, truth, plan) = (decoder.clone(), truth.clone(), plan.clone());
        let objects = listing.objects.clone();
        Arc::new(move |key: &str, bytes: Result<&[u8], String>| {
            let mut r = FileReducer::new(&truth, &plan, &taken);
            let f = match bytes {
                Ok(bytes) => objects.parse(key, bytes, window, &decoder, |e| r.event(e)),
                Err(reason) => unreadable(key, &reason),
            };
            (f, r.finish(), taken.clone())
        })
    };
    let first = reducer(taken);
    for_each_object(
        store,
        &listing.files,
        first,
        |_, (mut f, r, taken): (CaptureFile, FileReduced, SeqSet)| {
            let conflicts = truth.claim(&r.claims);
            if !conflicts.is_empty() {
                let mut taken = taken;
                taken.extend(conflicts);
                return Ok(Some(reducer(taken)));
            }
            read.count(&mut f);
            partial.absorb(r.partial);
            Ok(None)
        },
    )
    .await?;
    read.read_seconds = clock.elapsed().as_secs_f64();
    Ok(CaptureReduced { read, partial })
}

/// A window's ground truth.
#[derive(Debug, Default)]
pub struct GroundTruthRead {
    pub index: TruthIndex,
    pub files: usize,
    pub malformed: Malformed,
    pub seconds: f64,
}

/// Reads every `*.jsonl` of the hour folders from the window start up to the scheduled time:
/// folder dates are when labels were collected, which is after the inference, so reading up to
/// T (not just the window) finds the labels of the window's traffic that exist by then. Files
/// are indexed oldest first (by modification time, then key), so later labels win.
pub async fn read_ground_truth<S: ObjectStore + Clone + Send + Sync + 'static>(
    store: &S,
    window_start: DateTime<Utc>,
    scheduled_time: DateTime<Utc>,
    label: Option<Arc<JsonPath>>,
) -> Result<GroundTruthRead, ReadTruthError> {
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
    let parse = Arc::new(move |key: &str, bytes: Result<&[u8], String>| match bytes {
        Ok(b) => parse_truth_object(key, b, label.as_deref()),
        Err(reason) => {
            let mut malformed = Malformed::default();
            malformed.add_object(key, &reason);
            (FileTruth::default(), malformed)
        }
    });
    let mut out = GroundTruthRead {
        files: files.len(),
        ..Default::default()
    };
    // A ground-truth line is at least ~100 bytes: room for every id at once (gzip objects grow
    // it later).
    let listed: u64 = files.iter().map(|f| f.size).sum();
    out.index.reserve(
        usize::try_from(listed / 100)
            .unwrap_or(usize::MAX)
            .min(u32::MAX as usize),
    );
    let mut too_many = None;
    for_each_object(
        store,
        &files,
        parse,
        |_, (file, malformed): (FileTruth, _)| {
            let mut labels = file.labels.into_iter();
            for batch in file.ids.chunks(MISS_BATCH) {
                out.index.warm(batch.iter().map(|&(id, _)| id));
                for &(id, n) in batch {
                    if let Err(e) = out.index.insert(id, labels.by_ref().take(n)) {
                        too_many = Some(e);
                    }
                }
            }
            out.malformed.extend(malformed);
            Ok(None)
        },
    )
    .await?;
    if let Some(e) = too_many {
        return Err(ReadTruthError::TooMany(e));
    }
    out.seconds = clock.elapsed().as_secs_f64();
    Ok(out)
}

/// A ground-truth object this large is parsed in line-aligned pieces on every core: one
/// object is often a whole hour's labels, and parsing it alone would leave the other cores
/// idle while the window waits.
const TRUTH_PIECE_BYTES: usize = 8 * 1024 * 1024;

/// One ground-truth object's records and malformed lines, in line order.
fn parse_truth_object(key: &str, bytes: &[u8], label: Option<&JsonPath>) -> (FileTruth, Malformed) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let is_array = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'[');
    if cores < 2 || bytes.len() < TRUTH_PIECE_BYTES || is_array {
        return parse_truth_piece(key, bytes, 0, label);
    }
    parse_truth_pieces(key, bytes, label, cores)
}

/// [`parse_truth_object`] in `cores` line-aligned pieces, each on its own thread.
fn parse_truth_pieces(
    key: &str,
    bytes: &[u8],
    label: Option<&JsonPath>,
    cores: usize,
) -> (FileTruth, Malformed) {
    // Pieces end after a newline; each knows how many lines come before it.
    let mut pieces = Vec::with_capacity(cores);
    let (mut start, mut lines_before) = (0, 0);
    for k in 1..=cores {
        let target = bytes.len() * k / cores;
        let end = if k == cores {
            bytes.len()
        } else {
            match memchr::memchr(b'\n', &bytes[target.max(start)..]) {
                Some(i) => target.max(start) + i + 1,
                None => bytes.len(),
            }
        };
        if end > start {
            pieces.push((start, end, lines_before));
            lines_before += memchr::memchr_iter(b'\n', &bytes[start..end]).count();
            start = end;
        }
    }
    let parsed: Vec<(FileTruth, Malformed)> = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .iter()
            .map(|&(a, b, before)| {
                scope.spawn(move || parse_truth_piece(key, &bytes[a..b], before, label))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut out = (FileTruth::default(), Malformed::default());
    for (file, malformed) in parsed {
        out.0.ids.extend(file.ids);
        out.0.labels.extend(file.labels);
        out.1.extend(malformed);
    }
    out
}

/// Parses a line-aligned piece of a ground-truth object (`lines_before` lines precede it).
fn parse_truth_piece(
    key: &str,
    bytes: &[u8],
    lines_before: usize,
    label: Option<&JsonPath>,
) -> (FileTruth, Malformed) {
    let mut malformed = Malformed::default();
    let mut file = FileTruth::default();
    each_ground_truth(
        bytes,
        label,
        |r| {
            file.ids.push((id_hash(&r.event_id), r.labels.len()));
            file.labels.extend(r.labels.into_iter().map(Cell::from));
        },
        |b| match b.line {
            Some(line) => malformed.add(key, lines_before + line, &b.reason),
            None => malformed.add_object(key, &b.reason),
        },
    );
    (file, malformed)
}

/// One ground-truth file compacted as it is parsed: an id and its label count per record,
/// the labels of all its records in one list (the index keeps ~40 bytes an id, a parsed record
/// is ~150, and a box per record would be a million allocations freed on the index's thread).
#[derive(Debug, Default, PartialEq)]
struct FileTruth {
    ids: Vec<(IdHash, usize)>,
    labels: Vec<Cell>,
}

/// Why ground truth could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadTruthError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    TooMany(TooManyLabels),
}

/// Fetches one object, decompresses it when gzip and parses it on the blocking pool (an
/// object that cannot be read or decompressed reaches `parse` as an error, so the window goes
/// on with the others).
async fn fetch_and_parse<S, T, F>(
    store: S,
    key: String,
    size: u64,
    parse: Arc<F>,
    parsers: Arc<Semaphore>,
) -> Result<T, StoreError>
where
    S: ObjectStore + Clone + Send + Sync + 'static,
    T: Send + 'static,
    F: Fn(&str, Result<&[u8], String>) -> T + Send + Sync + 'static,
{
    // An object deleted between the listing and the read (a lifecycle rule, a re-upload) and
    // one that is not data are counted against that object. Refused from the listing's size,
    // before a byte is read.
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
    // Parsing is CPU-bound: one at a time per core. More would only hold more files' records
    // at once, on threads whose allocator caches keep the memory after.
    let _parsing = parsers.acquire_owned().await;
    tokio::task::spawn_blocking(move || {
        match bytes.and_then(|b| crate::gzip::maybe_gunzip(b, MAX_CAPTURE_OBJECT_BYTES)) {
            Ok(bytes) => parse(&key, Ok(&bytes)),
            Err(reason) => parse(&key, Err(reason)),
        }
    })
    .await
    .map_err(|e| StoreError::Transient {
        location: store.describe(""),
        message: format!("parsing task failed: {e}"),
    })
}

/// Tasks in flight, stopped when the reader stops early (an error, a cancelled execution).
struct InFlight<T>(VecDeque<JoinHandle<T>>);

impl<T> Drop for InFlight<T> {
    fn drop(&mut self) {
        for h in &self.0 {
            h.abort();
        }
    }
}

/// What a consumer wants after a file's result: nothing more, or that file parsed again by
/// another parser (whose result it then receives instead).
type Again<F> = Option<Arc<F>>;

/// Fetches and parses `files` with at most [`FETCH_CONCURRENCY`] files and
/// [`IN_FLIGHT_BYTES`] in flight and hands each
/// result to `consume` in the order of `files`: memory is bounded by the files in flight, not
/// the window, and the result does not depend on which file arrives first.
async fn for_each_object<S, T, F, C>(
    store: &S,
    files: &[ObjectMeta],
    parse: Arc<F>,
    mut consume: C,
) -> Result<(), StoreError>
where
    S: ObjectStore + Clone + Send + Sync + 'static,
    T: Send + 'static,
    F: Fn(&str, Result<&[u8], String>) -> T + Send + Sync + 'static,
    C: FnMut(usize, T) -> Result<Again<F>, StoreError>,
{
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parsers = Arc::new(Semaphore::new(cores));
    let spawn = |f: &ObjectMeta, parse: Arc<F>| {
        tokio::spawn(fetch_and_parse(
            store.clone(),
            f.key.clone(),
            f.size,
            parse,
            parsers.clone(),
        ))
    };
    let joined = |r: Result<Result<T, StoreError>, tokio::task::JoinError>| {
        r.map_err(|e| StoreError::Transient {
            location: store.describe(""),
            message: format!("fetch task failed: {e}"),
        })?
    };
    let mut in_flight = InFlight(VecDeque::new());
    let mut next = 0;
    let mut bytes = 0u64;
    for (i, file) in files.iter().enumerate() {
        while next < files.len()
            && in_flight.0.len() < FETCH_CONCURRENCY
            && (in_flight.0.is_empty()
                || bytes + files[next].size <= IN_FLIGHT_BYTES
                || (in_flight.0.len() < cores && bytes + files[next].size <= LARGE_IN_FLIGHT_BYTES))
        {
            in_flight.0.push_back(spawn(&files[next], parse.clone()));
            bytes += files[next].size;
            next += 1;
        }
        let Some(handle) = in_flight.0.pop_front() else {
            break;
        };
        bytes -= file.size;
        let mut result = joined(handle.await)?;
        while let Some(again) = consume(i, result)? {
            result = joined(spawn(file, again).await)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sagemaker::time::parse_utc;

    #[test]
    fn a_ground_truth_object_parsed_in_pieces_is_the_object_parsed_whole() {
        let mut text = String::new();
        for i in 0..200 {
            match i {
                37 => text.push_str("not json\n"),
                90 => text.push_str("\n   \n"),
                150 => text.push_str("{\"groundTruthData\": {\"data\": \"1\"}}\n"),
                _ => text.push_str(&format!(
                    "{{\"groundTruthData\": {{\"data\": \"{}\", \"encoding\": \"CSV\"}}, \"eventMetadata\": {{\"eventId\": \"e{i}\"}}, \"eventVersion\": \"0\"}}\n",
                    i % 2
                )),
            }
        }
        let whole = parse_truth_piece("k", text.as_bytes(), 0, None);
        assert_eq!(whole.1.count, 2, "{:?}", whole.1);
        for pieces in [2, 3, 7] {
            assert_eq!(
                parse_truth_pieces("k", text.as_bytes(), None, pieces),
                whole,
                "{pieces} pieces"
            );
        }
    }

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

    /// A record wider than any analysis is one malformed line, not a window's worth of
    /// memory.
    #[test]
    fn a_record_wider_than_the_column_limit_is_malformed() {
        let d = Decoder {
            features: None,
            outputs: OutputLocators {
                inference: None,
                probability: None,
            },
            expected_features: None,
            threshold: 0.5,
            ignore_output: false,
            select: None,
            rows: Default::default(),
        };
        let line = |width: usize| {
            serde_json::json!({
                "captureData": {
                    "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                        "data": vec!["1"; width].join(","), "encoding": "CSV"},
                    "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                        "data": "0.7", "encoding": "CSV"}},
                "eventMetadata": {"eventId": "e", "inferenceTime": "2024-01-19T11:00:00Z"},
                "eventVersion": "0"
            })
            .to_string()
        };
        let ok = line(3);
        assert_eq!(
            d.decode(&parse_capture_line(&ok).unwrap()).unwrap().len(),
            1
        );
        let wide = line(crate::limits::MAX_COLUMNS + 1);
        let e = d.decode(&parse_capture_line(&wide).unwrap()).unwrap_err();
        assert_eq!(
            e,
            "endpointInput: a record has 10001 features, more than the 10000 driftwatch analyses"
        );
    }

    /// One target model of a multi-model endpoint: only the invocations whose inferenceId
    /// has the prefix are decoded; the others (and those without an id) are counted, and a
    /// malformed payload of another model's invocation is not this schedule's problem.
    #[test]
    fn a_prefix_reads_one_target_models_invocations_and_counts_the_others() {
        let line = |id: Option<&str>, data: &str| {
            let mut meta =
                serde_json::json!({"eventId": "e", "inferenceTime": "2024-01-19T11:00:00Z"});
            if let Some(id) = id {
                meta["inferenceId"] = id.into();
            }
            serde_json::json!({
                "captureData": {
                    "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                        "data": data, "encoding": "CSV"},
                    "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                        "data": "0.7", "encoding": "CSV"}},
                "eventMetadata": meta,
                "eventVersion": "0"
            })
            .to_string()
        };
        let file = [
            line(Some("a/1"), "1,2"),
            line(Some("b/1"), "not,a,row,of,two"),
            line(None, "3,4"),
            line(Some("a/2"), "5,6"),
        ]
        .join("\n");
        let d = Decoder {
            features: None,
            outputs: OutputLocators {
                inference: None,
                probability: Some(super::super::payload::OutputLocator::Index(0)),
            },
            expected_features: Some(2),
            threshold: 0.5,
            ignore_output: false,
            select: Some(InferenceIdPrefix::parse("a/").unwrap()),
            rows: Default::default(),
        };
        let window = Window {
            start: "2024-01-19T11:00:00Z".parse().unwrap(),
            end: "2024-01-19T12:00:00Z".parse().unwrap(),
        };
        let mut keys = Vec::new();
        let f = parse_capture_file("k", file.as_bytes(), window, &d, |e| keys.push(e.key));
        assert_eq!(keys, ["a/1", "a/2"]);
        assert_eq!((f.lines, f.not_selected, f.records_in_window), (4, 2, 2));
        assert_eq!(f.malformed.count, 0);
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
