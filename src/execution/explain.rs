//! A `model_explainability` execution: the window's captured features (no ground truth) →
//! Kernel SHAP on the in-process model (`driftwatch.model`) → analysis.json with
//! `explanations.kernel_shap` → attribution drift check (nDCG) against the baseline.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::bias::{analysis_config, baseline, fetch};
use super::outputs::write_analysis;
use super::{Progress, StageResult};
use crate::aws::AwsClients;
use crate::capture::cell::Cell;
use crate::capture::payload::{JsonPath, OutputLocators};
use crate::capture::read::{Decoder, read_capture};
use crate::check::attribution_drift::{self, DEFAULT_THRESHOLD};
use crate::config::analysis::ShapBaseline;
use crate::config::schedules::AnalysisConfigRef;
use crate::config::{Location, Schedule};
use crate::explain::endpoint::EndpointPredictor;
use crate::explain::model::InProcessModel;
use crate::explain::predictor::Predictor;
use crate::explain::run::{baseline_file_rows, run_shap};
use crate::publish::metrics::{Source, explainability_datums, ndcg_datum};
use crate::schedule::window::Window;
use crate::store::{ObjectStore, Store, join_key};
use crate::time::format_utc;

/// Where a local-shap-values file goes, as Clarify names it.
pub const LOCAL_SHAP_FILE: &str = "explanations_shap/out.csv";

/// The model named by `driftwatch.model`; relative paths resolve against the analysis
/// config's directory.
async fn model(
    schedule: &Schedule,
    spec: &str,
    clients: &AwsClients,
) -> Result<InProcessModel, String> {
    let base = match schedule.analysis_config.location() {
        Location::Local(p) => p.parent().map(|d| d.to_path_buf()).unwrap_or_default(),
        Location::S3 { .. } => std::path::PathBuf::from("."),
    };
    let location = Location::parse(spec, &base).map_err(|e| format!("driftwatch.model: {e}"))?;
    let bytes = fetch(&location, clients)
        .await
        .map_err(|e| format!("driftwatch.model: cannot read {e}"))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("driftwatch.model {location}: not UTF-8 text"))?;
    InProcessModel::from_json(&text, &location.to_string()).map_err(|e| e.to_string())
}

fn as_number(c: &Cell) -> Option<f64> {
    match c {
        Cell::Int(i) => Some(*i as f64),
        Cell::Float(x) => Some(*x),
        Cell::Bool(b) => Some(f64::from(u8::from(*b))),
        Cell::Null => Some(f64::NAN),
        Cell::Text(t) => t.trim().parse().ok(),
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn run(
    schedule: &Schedule,
    t: DateTime<Utc>,
    window: Window,
    out_store: &Store,
    folder: &str,
    clients: &AwsClients,
    p: &mut Progress,
) -> StageResult {
    let cfg = analysis_config(schedule, clients).await?;
    let shap = cfg
        .methods
        .as_ref()
        .and_then(|m| m.shap.clone())
        .ok_or("analysis_config: methods.shap is required for model_explainability")?;
    let (predictor, features) = match cfg.extensions.model.clone() {
        Some(spec) => {
            let m = model(schedule, &spec, clients).await?;
            let features = match &cfg.headers {
                Some(h) => h.clone(),
                None => m.feature_names().to_vec(),
            };
            (Predictor::InProcess(m), features)
        }
        None => {
            let location = match &schedule.analysis_config {
                AnalysisConfigRef::Loaded { location, .. }
                | AnalysisConfigRef::Remote(location) => location.to_string(),
            };
            let pc = cfg
                .predictor
                .as_ref()
                .filter(|p| p.endpoint_name.is_some())
                .ok_or_else(|| {
                    format!(
                        "analysis_config {location}: set predictor.endpoint_name (a shadow endpoint to call with synthetic rows) or driftwatch.model (an in-process model file)"
                    )
                })?;
            let features = cfg.headers.clone().ok_or_else(|| {
                format!("analysis_config {location}: headers (the feature names) are required")
            })?;
            let endpoint = EndpointPredictor::new(
                clients.sagemaker_runtime().await,
                tokio::runtime::Handle::current(),
                pc,
                features.clone(),
                cfg.extensions.max_endpoint_requests,
            )?;
            (Predictor::Endpoint(endpoint), features)
        }
    };
    let baseline = baseline(schedule, clients).await?;
    p.baseline = baseline.clone();
    let mut shap = shap;
    if let Some(ShapBaseline::Uri(uri)) = &shap.baseline {
        let base = match schedule.analysis_config.location() {
            Location::Local(p) => p.parent().map(|d| d.to_path_buf()).unwrap_or_default(),
            Location::S3 { .. } => std::path::PathBuf::from("."),
        };
        let location =
            Location::parse(uri, &base).map_err(|e| format!("methods.shap.baseline: {e}"))?;
        let bytes = fetch(&location, clients)
            .await
            .map_err(|e| format!("methods.shap.baseline: cannot read {e}"))?;
        let rows = baseline_file_rows(&String::from_utf8_lossy(&bytes), &location.to_string())?;
        shap.baseline = Some(ShapBaseline::Rows(rows));
    }
    let decoder = Decoder {
        features: schedule
            .endpoint_input
            .features_attribute
            .as_deref()
            .map(|p| JsonPath::compile(p).map_err(|e| format!("features_attribute: {e}")))
            .transpose()?,
        outputs: OutputLocators {
            inference: None,
            probability: None,
        },
        expected_features: Some(features.len()),
        threshold: 0.5,
        ignore_output: true,
    };
    p.lap("config");

    let capture_store = Store::open(&schedule.data_capture, clients).await;
    let mut capture = read_capture(
        &capture_store,
        schedule.endpoint.as_str(),
        schedule.variant.as_ref().map(|v| v.as_str()),
        window,
        Arc::new(decoder),
    )
    .await
    .map_err(|e| format!("reading captured data: {e}"))?;
    p.record_capture(&mut capture);
    if capture.events.is_empty() {
        return Err(format!(
            "no captured data in window [{}, {}) under {}",
            format_utc(window.start),
            format_utc(window.end),
            capture.prefix
        ));
    }
    let mut rows = Vec::with_capacity(capture.records_in_window);
    for e in capture.events {
        for (cells, _) in e.records {
            let row: Option<Vec<f64>> = cells.iter().map(as_number).collect();
            match row {
                Some(r) => rows.push(r),
                None => {
                    return Err(format!(
                        "event {}: a feature is not numeric ({}); Kernel SHAP on an in-process model needs numbers",
                        e.key,
                        cells
                            .iter()
                            .zip(&features)
                            .find(|(c, _)| as_number(c).is_none())
                            .map(|(c, f)| format!("{f} = {c:?}"))
                            .unwrap_or_default()
                    ));
                }
            }
        }
    }
    p.counts.records_merged = rows.len();
    let label: Vec<String> = cfg
        .predictor
        .as_ref()
        .map(|pc| pc.label_headers.clone())
        .unwrap_or_default();
    let (result, shap, requests) = tokio::task::spawn_blocking(move || {
        let r = run_shap(&rows, &features, &shap, &label, &predictor);
        let requests = predictor.requests();
        r.map(|r| (r, shap, requests))
    })
    .await
    .map_err(|e| format!("explaining failed: {e}"))?
    .map_err(|e| format!("Kernel SHAP: {e}"))?;
    p.counts.endpoint_requests = requests;
    p.lap("shap");

    let mut analysis_json = result.analysis_json();
    let check = match &baseline {
        Some(b) => attribution_drift::check(
            &analysis_json,
            b,
            cfg.extensions.ndcg_threshold.unwrap_or(DEFAULT_THRESHOLD),
        ),
        None => Default::default(),
    };
    for w in &check.warnings {
        p.warn(w.clone());
    }
    p.counts.violations = check.violations.len();
    if let Some(obj) = analysis_json.as_object_mut() {
        let mut block =
            serde_json::json!({"version": env!("CARGO_PKG_VERSION"), "warnings": p.warnings});
        if !check.ndcg.is_empty() {
            block["ndcg"] = check
                .ndcg
                .iter()
                .map(|(l, v)| (l.clone(), serde_json::Value::from(*v)))
                .collect::<serde_json::Map<_, _>>()
                .into();
        }
        obj.insert("driftwatch".into(), block);
    }
    let src = Source {
        endpoint: schedule.endpoint.as_str(),
        schedule: schedule.name.as_str(),
        scheduled_time: t,
    };
    p.datums = result
        .labels
        .iter()
        .flat_map(|l| {
            explainability_datums(
                &src,
                &l.label,
                &result
                    .feature_names
                    .iter()
                    .cloned()
                    .zip(l.global.iter().copied())
                    .collect::<Vec<_>>(),
                Some(l.expected_value),
            )
        })
        .collect();
    p.datums.extend(
        check
            .ndcg
            .iter()
            .filter_map(|(l, v)| ndcg_datum(&src, l, *v)),
    );
    p.lap("check");

    if shap.save_local_shap_values {
        out_store
            .put(
                &join_key(folder, LOCAL_SHAP_FILE),
                result.local_csv().into_bytes(),
            )
            .await
            .map_err(|e| format!("writing {LOCAL_SHAP_FILE}: {e}"))?;
    }
    let violations = (!check.violations.is_empty())
        .then(|| attribution_drift::violations_json(&check.violations));
    let status = write_analysis(out_store, folder, analysis_json, violations, p).await?;
    p.lap("write");
    Ok(status)
}
