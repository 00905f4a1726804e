//! A `model_quality` execution: the baseline files, the ground truth collected up to T, the
//! window's capture folded object by object as it streams (each record's predicted label and
//! score joined by id with its ground truth), the metrics, statistics.json, the window's
//! constraints.json and constraint_violations.json.
//!
//! An id's labels go to its first captured record, in listing order (a capture line written
//! twice is not measured twice), as in the bias monitor. A ground-truth label that does not
//! fit the problem type fails the window, naming the record: a metric over the labels that
//! did fit would be silently wrong.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::Done;
use super::capture_window::{Fold, fold_window, no_capture, output_locators};
use super::error::ExecutionError;
use super::fold_shards::{ObjectFold, fold_worker};
use super::pages::Content;
use super::shards::RunId;
use super::trace::Trace;
use crate::aws::AwsClients;
use crate::capture::cell::Cell;
use crate::capture::read::{CapturedEvent, Decoder, ObjectState, RowShape, read_ground_truth};
use crate::capture::truth::{Labels, MISS_BATCH, SeqSet, TruthIndex, id_hash};
use crate::config::{Location, Monitor, Schedule};
use crate::model_quality::estimate::{CalibrationState, EstimateState};
use crate::model_quality::observation::{Observation, binary, label_of_score, observe};
use crate::model_quality::state::QualityState;
use crate::model_quality::tally::BinaryTally;
use crate::monitor::model_quality::{
    ModelQualityBaseline, WindowQuality, monitor_model_quality, read_baseline, write_model_quality,
};
use crate::publish::metrics::{Source, model_quality_datums};
use crate::sagemaker::Status;
use crate::sagemaker::model_quality::ProblemType;
use crate::sagemaker::time::format_utc;
use crate::schedule::window::Window;
use crate::store::{ObjectStore, Store};

/// The schedule's model-quality settings.
struct Settings<'a> {
    ground_truth: &'a Location,
    problem: ProblemType,
    baseline_statistics: Option<&'a Location>,
}

fn settings(schedule: &Schedule) -> Result<Settings<'_>, ExecutionError> {
    match &schedule.monitor {
        Monitor::ModelQuality {
            ground_truth,
            problem_type,
            baseline_statistics,
        } => Ok(Settings {
            ground_truth,
            problem: *problem_type,
            baseline_statistics: baseline_statistics.as_ref(),
        }),
        other => Err(ExecutionError::Input(format!(
            "a {} schedule is not a model_quality one",
            other.type_name()
        ))),
    }
}

/// Each record's `[label, score]` from the response alone.
fn decoder(schedule: &Schedule) -> Result<Decoder, ExecutionError> {
    Ok(Decoder {
        features: None,
        outputs: output_locators(schedule)?,
        expected_features: None,
        threshold: 0.5,
        ignore_output: false,
        select: schedule.select().cloned(),
        rows: RowShape::Predictions,
    })
}

/// One object's records: the labelled ones (with their ground-truth entry, claimed in listing
/// order by the coordinator), the estimate over every scored record, and what did not fit.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct ObjectQuality {
    key: String,
    /// The labelled records in order, and per event the ground-truth entry it claims with how
    /// many of those records are its (a multi-record event claims its id once).
    merged: Vec<Observation>,
    claims: Vec<(u32, u32)>,
    /// For classification, `merged` already reduced on the parsing thread: the coordinator
    /// merges it whole unless one of the object's ids was claimed by an earlier record.
    /// Regression sums are floats and stay per record, so a window's sums are added in one
    /// order whatever the split.
    reduced: Option<Reduced>,
    /// Binary classification: the scored records without a label (for the estimate).
    unlabelled_scores: Option<BinaryTally>,
    records: u64,
    /// Records with no ground truth (or an event whose label count is not its record count).
    unlabelled: u64,
    mismatched_events: u64,
    /// The first record whose ground truth or prediction does not fit the problem type.
    bad: Option<String>,
    /// Events waiting to be joined in one batch of lookups (empty once the object is done).
    #[serde(skip)]
    pending: Vec<CapturedEvent>,
    /// The ground-truth entries this object's events took.
    #[serde(skip)]
    mine: SeqSet,
    #[serde(skip)]
    ctx: Option<Arc<Context>>,
}

/// Labelled records reduced.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
enum Reduced {
    Binary(BinaryTally),
    Multiclass(QualityState),
}

impl Reduced {
    fn add(&mut self, obs: &Observation) {
        match (self, obs) {
            (Self::Binary(t), Observation::Binary(actual, predicted, score)) => {
                t.add_labelled(*actual, *predicted, *score)
            }
            (Self::Multiclass(s), o) => s.add(o),
            _ => {}
        }
    }
}

/// What every object's fold reads.
#[derive(Debug)]
struct Context {
    truth: Arc<TruthIndex>,
    problem: ProblemType,
    threshold: f64,
}

/// A cell's text, borrowed when it is text.
fn text(c: &Cell) -> Option<Cow<'_, str>> {
    match c {
        Cell::Null => None,
        Cell::Text(t) => Some(Cow::Borrowed(t.as_str())),
        Cell::Bool(b) => Some(Cow::Borrowed(if *b { "1" } else { "0" })),
        Cell::Int(i) => Some(Cow::Owned(i.to_string())),
        Cell::Float(x) => Some(Cow::Owned(serde_json::Value::from(*x).to_string())),
    }
}

fn score_of(c: &Cell) -> Option<f64> {
    match c {
        Cell::Float(x) => Some(*x),
        Cell::Int(i) => Some(*i as f64),
        Cell::Text(t) => t.trim().parse().ok(),
        _ => None,
    }
}

impl Context {
    /// The predicted label's text of a record: the response's label, else (binary) its score
    /// above the threshold, else (regression) the score itself.
    fn predicted<'a>(
        &self,
        label: Option<Cow<'a, str>>,
        score: Option<f64>,
    ) -> Option<Cow<'a, str>> {
        label.or_else(|| {
            score.map(|s| match self.problem {
                ProblemType::BinaryClassification => {
                    Cow::Borrowed(label_of_score(s, self.threshold))
                }
                _ => Cow::Owned(serde_json::Value::from(s).to_string()),
            })
        })
    }

    /// Takes an event; joins a batch once [`MISS_BATCH`] are waiting.
    fn event(&self, o: &mut ObjectQuality, e: CapturedEvent) {
        o.pending.push(e);
        if o.pending.len() >= MISS_BATCH {
            self.flush(o);
        }
    }

    /// Joins the waiting events: their ids looked up in one pass (the index is far bigger
    /// than the caches; independent lookups let the processor wait for several misses at
    /// once), then each event with its labels, in order.
    fn flush(&self, o: &mut ObjectQuality) {
        let mut pending = std::mem::take(&mut o.pending);
        let mut hashes = [0; MISS_BATCH];
        for (h, e) in hashes.iter_mut().zip(&pending) {
            *h = id_hash(&e.key);
        }
        let mut found = [None; MISS_BATCH];
        for (f, &h) in found
            .iter_mut()
            .zip(&hashes[..pending.len().min(MISS_BATCH)])
        {
            *f = self.truth.lookup(h);
        }
        for (e, found) in pending.drain(..).zip(found) {
            self.join(o, e, found);
        }
        o.pending = pending;
    }

    fn join(&self, o: &mut ObjectQuality, e: CapturedEvent, found: Option<Labels<'_>>) {
        let labels = match found {
            // An id's labels go to its first event: a later one of this object is unlabelled
            // (the coordinator settles ids claimed in earlier objects).
            Some(l) if l.count() == e.records.len() && o.mine.insert(l.seq) => Some(l),
            Some(l) if l.count() == e.records.len() => None,
            Some(_) => {
                o.mismatched_events += 1;
                None
            }
            None => None,
        };
        let before = o.merged.len();
        for (i, (row, _)) in e.records.iter().enumerate() {
            o.records += 1;
            let score = row.get(1).and_then(score_of);
            let predicted = self.predicted(row.first().and_then(text), score);
            let truth = labels.map(|l| (l.seq, l.get(i)));
            let Some((_, Some(truth))) = truth.as_ref().map(|(seq, c)| (*seq, text(c))) else {
                if self.problem == ProblemType::BinaryClassification
                    && let (Some(s), Some(p)) = (score, predicted.as_deref())
                {
                    let positive = binary(p, "").unwrap_or(false);
                    o.unlabelled_scores
                        .get_or_insert_with(Default::default)
                        .add_unlabelled(positive, s);
                }
                o.unlabelled += 1;
                continue;
            };
            let at = || format!("{}:{} (inference id {:?})", o.key, e.line, e.key);
            let Some(predicted) = predicted.as_deref() else {
                o.bad.get_or_insert_with(|| {
                    format!(
                        "{}: the response has no predicted label or score (set inference_attribute or probability_attribute)",
                        at()
                    )
                });
                continue;
            };
            match observe(self.problem, &truth, predicted, score) {
                Ok(obs) => {
                    let reduced = match self.problem {
                        ProblemType::Regression => None,
                        ProblemType::BinaryClassification => Some(
                            o.reduced
                                .get_or_insert_with(|| Reduced::Binary(BinaryTally::default())),
                        ),
                        ProblemType::MulticlassClassification => {
                            Some(o.reduced.get_or_insert_with(|| {
                                Reduced::Multiclass(QualityState::new(self.problem))
                            }))
                        }
                    };
                    if let Some(r) = reduced {
                        r.add(&obs);
                    }
                    o.merged.push(obs);
                }
                Err(reason) => {
                    o.bad.get_or_insert_with(|| {
                        format!(
                            "{}: {reason} (problem_type {})",
                            at(),
                            self.problem.as_str()
                        )
                    });
                }
            }
        }
        if let Some(l) = labels
            && o.merged.len() > before
        {
            let n = u32::try_from(o.merged.len() - before).unwrap_or(u32::MAX);
            o.claims.push((l.seq, n));
        }
    }
}

impl ObjectState for ObjectQuality {
    fn finish(&mut self) {
        if let Some(ctx) = self.ctx.clone() {
            ctx.flush(self);
        }
    }
}

fn start_object(key: &str, ctx: &Arc<Context>) -> ObjectQuality {
    ObjectQuality {
        key: key.to_string(),
        ctx: Some(ctx.clone()),
        pending: Vec::with_capacity(MISS_BATCH),
        ..Default::default()
    }
}

fn object_fold(
    ctx: Arc<Context>,
) -> ObjectFold<
    impl Fn(&str) -> ObjectQuality + Send + Sync + 'static,
    impl Fn(&mut ObjectQuality, CapturedEvent) + Send + Sync + 'static,
> {
    let start = ctx.clone();
    ObjectFold::new(
        move |key: &str| start_object(key, &start),
        move |o: &mut ObjectQuality, e| ctx.event(o, e),
    )
}

/// A worker's shard of a model-quality window (`driftwatch shard`): the whole ground truth,
/// its objects' states.
pub(super) async fn run_worker(
    schedule: &Schedule,
    t: DateTime<Utc>,
    run: &RunId,
    k: usize,
    clients: &AwsClients,
) -> Result<(usize, usize, String), ExecutionError> {
    let s = settings(schedule)?;
    let window = schedule.window.window_at(t).ok_or_else(|| {
        ExecutionError::Input(format!(
            "the window of {} lies outside the calendar",
            format_utc(t)
        ))
    })?;
    let truth_store = Store::open(s.ground_truth, clients).await;
    let truth = read_ground_truth(&truth_store, window.start, t, None).await?;
    let ctx = Arc::new(Context {
        truth: Arc::new(truth.index),
        problem: s.problem,
        threshold: schedule
            .endpoint_input
            .probability_threshold_attribute
            .unwrap_or(0.5),
    });
    fold_worker(
        schedule,
        t,
        run,
        k,
        clients,
        decoder(schedule)?,
        object_fold(ctx),
    )
    .await
}

/// The window's records merged, in listing order.
#[derive(Default)]
struct Merge {
    /// Regression and multiclass.
    measured: Option<QualityState>,
    /// Binary classification.
    tally: BinaryTally,
    captured: u64,
    unlabelled: u64,
    mismatched_events: u64,
    bad: Option<String>,
}

impl Merge {
    /// Adds an object's records; ids are claimed in `truth` in listing order.
    fn absorb(&mut self, o: ObjectQuality, problem: ProblemType, truth: &TruthIndex) {
        self.captured += o.records;
        self.unlabelled += o.unlabelled;
        self.mismatched_events += o.mismatched_events;
        if self.bad.is_none() {
            self.bad = o.bad;
        }
        if let Some(t) = &o.unlabelled_scores {
            self.tally.merge(t);
        }
        let measured = self
            .measured
            .get_or_insert_with(|| QualityState::new(problem));
        // The object's records reduced already, unless an id of theirs was claimed by an
        // earlier object (then nothing is claimed, and its events are taken one by one).
        if let Some(r) = &o.reduced {
            let seqs: Vec<u32> = o.claims.iter().map(|(seq, _)| *seq).collect();
            if truth.claim(&seqs).is_empty() {
                match r {
                    Reduced::Binary(t) => self.tally.merge(t),
                    Reduced::Multiclass(s) => measured.merge(s),
                }
                return;
            }
        }
        let mut records = o.merged.into_iter();
        for (seq, n) in o.claims {
            let event = records.by_ref().take(n as usize);
            if !truth.claim(&[seq]).is_empty() {
                // The id's labels went to an earlier event: its records are unlabelled.
                for obs in event {
                    self.unlabelled += 1;
                    if let Observation::Binary(_, predicted, Some(score)) = obs {
                        self.tally.add_unlabelled(predicted, score);
                    }
                }
                continue;
            }
            for obs in event {
                match obs {
                    Observation::Binary(actual, predicted, score) => {
                        self.tally.add_labelled(actual, predicted, score)
                    }
                    other => measured.add(&other),
                }
            }
        }
    }

    /// The measured state, the estimates and the calibration counts.
    fn finish(self, problem: ProblemType) -> WindowStates {
        if problem != ProblemType::BinaryClassification {
            return WindowStates {
                measured: self.measured.unwrap_or_else(|| QualityState::new(problem)),
                estimate_all: None,
                estimate_labelled: None,
                calibration: CalibrationState::default(),
            };
        }
        let s = self.tally.into_states();
        let scored = s.estimate_all.n + s.estimate_all.out_of_range > 0;
        WindowStates {
            measured: QualityState::Binary(s.measured),
            estimate_all: scored.then_some(s.estimate_all),
            estimate_labelled: (s.estimate_labelled.n > 0).then_some(s.estimate_labelled),
            calibration: s.calibration,
        }
    }
}

struct WindowStates {
    measured: QualityState,
    estimate_all: Option<EstimateState>,
    estimate_labelled: Option<EstimateState>,
    calibration: CalibrationState,
}

/// Reads the window, merges it with the ground truth, measures, checks and writes its files.
#[allow(clippy::too_many_arguments)]
pub(super) async fn analyse(
    schedule: &Schedule,
    t: DateTime<Utc>,
    window: Window,
    folder: &str,
    out_store: &Store,
    clients: &AwsClients,
    trace: &mut Trace,
    source: &Source<'_>,
) -> Result<Done, ExecutionError> {
    let s = settings(schedule)?;
    let baseline: ModelQualityBaseline = read_baseline(
        schedule.baseline_constraints.as_ref(),
        s.baseline_statistics,
        clients,
    )
    .await?;
    let decoder = decoder(schedule)?;
    trace.lap("config");
    let truth_store = Store::open(s.ground_truth, clients).await;
    let truth = read_ground_truth(&truth_store, window.start, t, None).await?;
    trace.counts.ground_truth_files = truth.files;
    trace.counts.ground_truth_records = truth.index.records;
    trace.counts.ground_truth_malformed = truth.malformed.count;
    let duplicates = truth.index.duplicates;
    trace.lap("ground_truth");
    let truth_records = truth.index.records;
    let ctx = Arc::new(Context {
        truth: Arc::new(truth.index),
        problem: s.problem,
        threshold: schedule
            .endpoint_input
            .probability_threshold_attribute
            .unwrap_or(0.5),
    });
    let index = ctx.truth.clone();
    let mut merge = Merge::default();
    let problem = s.problem;
    let read = fold_window(
        schedule,
        source.scheduled_time,
        window,
        decoder,
        clients,
        trace,
        Fold {
            start: {
                let ctx = ctx.clone();
                move |key: &str| start_object(key, &ctx)
            },
            event: move |o: &mut ObjectQuality, e| ctx.event(o, e),
            consume: |o: ObjectQuality| merge.absorb(o, problem, &index),
        },
    )
    .await?;
    trace.malformed.extend(truth.malformed);
    if let Some(bad) = merge.bad.take() {
        return Err(ExecutionError::Input(bad));
    }
    let (captured, unlabelled, mismatched_events) =
        (merge.captured, merge.unlabelled, merge.mismatched_events);
    let states = merge.finish(problem);
    let measured = states.measured;
    let merged = measured.rows();
    trace.counts.records_merged = usize::try_from(merged).unwrap_or(usize::MAX);
    trace.counts.rows_analysed = trace.counts.records_merged;
    trace.counts.unmatched_captures = usize::try_from(unlabelled).unwrap_or(usize::MAX);
    trace.counts.unmatched_labels = index.unclaimed_labels();
    if duplicates > 0 {
        trace.warn(format!(
            "{duplicates} ground-truth ids appear more than once; the latest file's labels were used"
        ));
    }
    if mismatched_events > 0 {
        trace.warn(format!(
            "{mismatched_events} events have a different number of ground-truth labels than captured records; they were left out"
        ));
    }
    let estimable = states.estimate_all.as_ref().is_some_and(|e| e.n > 0);
    if captured == 0 {
        return Err(no_capture(&read.prefix, window, trace));
    }
    if merged == 0 && !estimable {
        return Err(ExecutionError::NoData(format!(
            "nothing to merge: {} captured records in window [{}, {}) and {} ground-truth labels under {} (read up to {}) share no id, and the responses have no scores to estimate from",
            captured,
            format_utc(window.start),
            format_utc(window.end),
            truth_records,
            truth_store.describe(""),
            format_utc(t)
        )));
    }
    trace.lap("merge");
    let output = monitor_model_quality(
        WindowQuality {
            measured,
            estimate_all: states.estimate_all,
            estimate_labelled: states.estimate_labelled,
            calibration: states.calibration,
            captured,
            unlabelled,
            start_time: format_utc(window.start),
            end_time: format_utc(window.end),
        },
        &baseline,
        problem,
        &schedule.check,
        trace.warnings.clone(),
    )?;
    for w in &output.warnings[trace.warnings.len()..] {
        tracing::warn!("{w}");
    }
    trace.counts.violations = output.violation_count();
    trace.counts.metrics_checked = output.checked;
    trace.counts.metrics_not_checked = output.not_checked;
    trace.lap("metrics");
    let written = write_model_quality(out_store, folder, &output).await?;
    trace.lap("write");
    let datums = model_quality_datums(source, &output.statistics);
    Ok(Done {
        status: if output.violation_count() > 0 {
            Status::CompletedWithViolations
        } else {
            Status::Completed
        },
        warnings: output.warnings.clone(),
        analysis: written.analysis,
        violations: written.violations,
        datums,
        content: Content::ModelQuality(Box::new(output)),
    })
}
