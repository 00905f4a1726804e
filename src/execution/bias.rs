//! A `model_bias` execution: capture + ground truth for the window → merge → frame → Clarify
//! bias metrics → bias drift check against the baseline → analysis.json (+ violations).

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::outputs::write_analysis;
use super::{Progress, StageResult};
use crate::aws::AwsClients;
use crate::bias::report::PredictionSource;
use crate::bias::run_bias;
use crate::capture::frame::{FrameSpec, PREDICTION_COLUMN, build_frame};
use crate::capture::merge::merge;
use crate::capture::payload::{JsonPath, OutputLocator, OutputLocators};
use crate::capture::read::{Decoder, read_capture, read_ground_truth};
use crate::check::bias_drift;
use crate::config::analysis::{AnalysisConfig, ColumnRef};
use crate::config::schedules::AnalysisConfigRef;
use crate::config::{Location, Purpose, Schedule, parse_analysis_config};
use crate::output::analysis_json::bias_analysis_json;
use crate::publish::metrics::{Source, bias_datums};
use crate::schedule::window::Window;
use crate::store::{ObjectStore, Store};
use crate::time::format_utc;

/// Reads one object named by a full location (`s3://bucket/key` or a file path).
pub async fn fetch(location: &Location, clients: &AwsClients) -> Result<Vec<u8>, String> {
    match location {
        Location::Local(path) => tokio::fs::read(path)
            .await
            .map_err(|e| format!("{}: {e}", path.display())),
        Location::S3 { bucket, prefix } => {
            let root = Location::S3 {
                bucket: bucket.clone(),
                prefix: String::new(),
            };
            Store::open(&root, clients)
                .await
                .get(prefix)
                .await
                .map_err(|e| e.to_string())
        }
    }
}

/// The schedule's analysis config: loaded with the schedules file, or fetched and validated
/// now when it lives in S3.
pub async fn analysis_config(
    schedule: &Schedule,
    clients: &AwsClients,
) -> Result<Arc<AnalysisConfig>, String> {
    match &schedule.analysis_config {
        AnalysisConfigRef::Loaded { config, .. } => Ok(config.clone()),
        AnalysisConfigRef::Remote(location) => {
            let bytes = fetch(location, clients)
                .await
                .map_err(|e| format!("analysis_config: cannot read {e}"))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| format!("analysis_config {location}: not UTF-8 text"))?;
            let purpose = match schedule.monitor {
                crate::config::Monitor::Bias { .. } => Purpose::BiasMonitor,
                crate::config::Monitor::Explainability => Purpose::ExplainabilityMonitor,
            };
            parse_analysis_config(&text, Path::new(&location.to_string()), purpose)
                .map(Arc::new)
                .map_err(|e| format!("analysis_config: {e}"))
        }
    }
}

pub async fn baseline(schedule: &Schedule, clients: &AwsClients) -> Result<Option<Value>, String> {
    let Some(location) = &schedule.baseline_constraints else {
        return Ok(None);
    };
    let bytes = fetch(location, clients)
        .await
        .map_err(|e| format!("baseline_constraints: cannot read {e}"))?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("baseline_constraints {location}: not valid JSON: {e}"))?;
    if !v.is_object() {
        return Err(format!(
            "baseline_constraints {location}: not an analysis.json object"
        ));
    }
    Ok(Some(v))
}

fn decoder(schedule: &Schedule, spec: &FrameSpec) -> Result<Decoder, String> {
    let ei = &schedule.endpoint_input;
    let locator = |key: &str, l: &Option<crate::config::analysis::Locator>| {
        l.as_ref()
            .map(|l| OutputLocator::from_config(l).map_err(|e| format!("{key}: {e}")))
            .transpose()
    };
    Ok(Decoder {
        features: ei
            .features_attribute
            .as_deref()
            .map(|p| JsonPath::compile(p).map_err(|e| format!("features_attribute: {e}")))
            .transpose()?,
        outputs: OutputLocators {
            inference: locator("inference_attribute", &ei.inference_attribute)?,
            probability: locator("probability_attribute", &ei.probability_attribute)?,
        },
        expected_features: spec.features.as_ref().map(Vec::len),
        threshold: spec.threshold,
        ignore_output: false,
    })
}

/// The JMESPath that finds labels in JSON ground truth: the config's `label` when it is one.
fn label_path(cfg: &AnalysisConfig) -> Option<Arc<JsonPath>> {
    match &cfg.label {
        Some(ColumnRef::Name(n)) => JsonPath::compile(n).ok().map(Arc::new),
        _ => None,
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn run(
    schedule: &Schedule,
    t: DateTime<Utc>,
    window: Window,
    ground_truth: &Location,
    out_store: &Store,
    folder: &str,
    clients: &AwsClients,
    p: &mut Progress,
) -> StageResult {
    let cfg = analysis_config(schedule, clients).await?;
    let baseline = baseline(schedule, clients).await?;
    p.baseline = baseline.clone();
    let spec = FrameSpec::new(
        &cfg,
        schedule
            .endpoint_input
            .exclude_features_attribute
            .as_deref(),
        schedule.endpoint_input.probability_threshold_attribute,
    )?;
    let decoder = Arc::new(decoder(schedule, &spec)?);
    p.lap("config");

    let capture_store = Store::open(&schedule.data_capture, clients).await;
    let mut capture = read_capture(
        &capture_store,
        schedule.endpoint.as_str(),
        schedule.variant.as_ref().map(|v| v.as_str()),
        window,
        decoder,
    )
    .await
    .map_err(|e| format!("reading captured data: {e}"))?;
    p.record_capture(&mut capture);
    let range = format!("[{}, {})", format_utc(window.start), format_utc(window.end));
    if capture.events.is_empty() {
        return Err(if p.counts.capture_malformed > 0 {
            format!(
                "no usable captured data in window {range} under {}: {} capture lines were malformed (first: {})",
                capture.prefix,
                p.counts.capture_malformed,
                p.malformed.locations.first().map_or("", String::as_str)
            )
        } else {
            format!(
                "no captured data in window {range} under {}",
                capture.prefix
            )
        });
    }

    let truth_store = Store::open(ground_truth, clients).await;
    let truth = read_ground_truth(&truth_store, window.start, t, label_path(&cfg))
        .await
        .map_err(|e| format!("reading ground truth: {e}"))?;
    p.counts.ground_truth_files = truth.files;
    p.counts.ground_truth_records = truth.records.len();
    p.counts.ground_truth_malformed = truth.malformed.count;
    p.malformed.extend(truth.malformed);
    p.lap("ground_truth");

    let merged = merge(capture.events, truth.records);
    p.counts.records_merged = merged.records.len();
    p.counts.unmatched_captures = merged.unmatched_captures;
    p.counts.unmatched_labels = merged.unmatched_labels;
    for w in merged.warnings {
        p.warn(w);
    }
    if merged.records.is_empty() {
        return Err(format!(
            "nothing to merge: {} captured records in window {range} and {} ground-truth labels under {} (read up to {}) share no id; unmatched captures {}, unmatched labels {}",
            p.counts.capture_records,
            p.counts.ground_truth_records,
            truth_store.describe(""),
            format_utc(t),
            merged.unmatched_captures,
            merged.unmatched_labels
        ));
    }
    if merged.unmatched_captures > 0 {
        p.warn(format!(
            "{} captured records have no ground truth yet and were left out",
            merged.unmatched_captures
        ));
    }
    p.lap("merge");

    let frame = build_frame(merged.records, &spec)?;
    p.counts.records_merged -= frame.dropped;
    for w in frame.warnings {
        p.warn(w);
    }
    p.lap("frame");
    let engine_cfg = spec.engine_config(&cfg);
    let analysis = run_bias(
        &frame.frame,
        &engine_cfg,
        Some(&PredictionSource {
            column: PREDICTION_COLUMN.to_string(),
        }),
    )
    .map_err(|e| format!("analysis: {e}"))?;
    drop(frame.frame);
    for w in &analysis.warnings {
        p.warn(w.clone());
    }
    if analysis.label_positives == Some(0) {
        p.warn(format!(
            "no merged record has label value(s) {} in column {:?} (values seen: {}); metrics that need positives are errors",
            crate::bias::select::joined(
                cfg.label_values_or_threshold.as_deref().unwrap_or_default()
            ),
            spec.label,
            analysis.label_examples.join(", ")
        ));
    }
    p.lap("metrics");

    let check = match &baseline {
        Some(b) => bias_drift::check(&bias_analysis_json(&analysis, &[]), b),
        None => Default::default(),
    };
    for w in &check.warnings {
        p.warn(w.clone());
    }
    p.counts.violations = check.violations.len();
    let analysis_json = bias_analysis_json(&analysis, &p.warnings);
    p.datums = bias_datums(
        &Source {
            endpoint: schedule.endpoint.as_str(),
            schedule: schedule.name.as_str(),
            scheduled_time: t,
        },
        &analysis_json,
    );
    p.lap("check");

    let violations =
        (!check.violations.is_empty()).then(|| bias_drift::violations_json(&check.violations));
    let status = write_analysis(out_store, folder, analysis_json, violations, p).await?;
    p.lap("write");
    Ok(status)
}
