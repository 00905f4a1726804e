//! The Clarify monitors' executions (`model_bias`, `model_explainability`): the analysis
//! config, the window's data, the monitor, analysis.json and its violations.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::error::ExecutionError;
use super::pages::Content;
use super::trace::Trace;
use super::{Done, bias_window, explain_shards, explain_window};
use crate::aws::AwsClients;
use crate::capture::frame::generated_name;
use crate::config::schedules::AnalysisConfigRef;
use crate::config::{Monitor, Purpose, Schedule};
use crate::monitor::bias::{AbsentLabel, BiasRequest};
use crate::monitor::explainability::{ExplainRequest, monitor_explainability};
use crate::monitor::inputs::{analysis_config, baseline};
use crate::monitor::write::write_outputs;
use crate::monitor::{MonitorError, MonitorOutput};
use crate::publish::metrics::{Source, analysis_datums};
use crate::sagemaker::AnalysisDoc;
use crate::schedule::window::Window;
use crate::store::Store;

/// The analysis config of a Clarify schedule and what it is validated for; an internal error
/// for another monitor type (the callers dispatch on the type first).
pub(super) fn config_ref(
    schedule: &Schedule,
) -> Result<(&AnalysisConfigRef, Purpose), ExecutionError> {
    match (
        schedule.monitor.analysis_config(),
        schedule.monitor.purpose(),
    ) {
        (Some(c), Some(p)) => Ok((c, p)),
        _ => Err(ExecutionError::Input(format!(
            "a {} schedule has no analysis config",
            schedule.monitor.type_name()
        ))),
    }
}

/// Reads the window's data, runs the schedule's Clarify monitor and writes its files.
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
    let (config, purpose) = config_ref(schedule)?;
    let cfg = analysis_config(config, purpose, clients).await?;
    let output = match &schedule.monitor {
        Monitor::Bias { ground_truth, .. } => {
            let baseline = read_baseline(schedule, clients).await?;
            let data = bias_window::gather(schedule, t, window, ground_truth, &cfg, clients, trace)
                .await?;
            let bias = crate::monitor::bias::monitor_bias(BiasRequest {
                frame: &data.frame,
                weights: data.weights.as_deref(),
                config: &data.config,
                check: &schedule.check,
                predictions: Some(&data.predictions),
                baseline: baseline.as_ref(),
                absent_label: AbsentLabel::Warn,
            })?;
            drop(data);
            trace.lap("metrics");
            (
                MonitorOutput::assemble(trace.warnings.clone(), &schedule.check, Some(bias), None),
                baseline,
            )
        }
        Monitor::Explainability { analysis_config } => {
            let (shap, model) =
                explain_window::shap_inputs(&cfg, analysis_config.location(), schedule, clients)
                    .await?;
            if let Some(text) = shap.text.clone() {
                let baseline = read_baseline(schedule, clients).await?;
                let output = explain_text(
                    schedule,
                    window,
                    &cfg,
                    &shap,
                    &text,
                    model,
                    baseline.as_ref(),
                    clients,
                    trace,
                )
                .await?;
                (output, baseline)
            } else {
                let named = match (&cfg.headers, model.feature_names()) {
                    (Some(h), _) => Some(h.clone()),
                    (None, Some(names)) => Some(names.to_vec()),
                    (None, None) => None,
                };
                let baseline = read_baseline(schedule, clients).await?;
                let rows = explain_window::gather(
                    schedule,
                    window,
                    named.as_deref(),
                    cfg.extensions.shap_max_records,
                    shap.seed.unwrap_or(0),
                    clients,
                    trace,
                )
                .await?;
                // Without headers, Clarify's generated names: column_0, column_1, …
                let features = named.unwrap_or_else(|| {
                    let width = rows.first().map_or(0, Vec::len);
                    (0..width).map(generated_name).collect()
                });
                let predictor = model
                    .predictor(
                        features.clone(),
                        cfg.extensions.max_endpoint_requests,
                        clients,
                    )
                    .await?;
                let predictor = Arc::new(predictor);
                let sharded = if schedule.executor.is_sharded() {
                    let sharding = explain_shards::ExplainSharding {
                        schedule,
                        t,
                        rows: &rows,
                        features: &features,
                        shap: &shap,
                        algorithm: cfg.extensions.shap_algorithm,
                        predictor: predictor.clone(),
                        clients,
                    };
                    Some(sharding.explain().await?)
                } else {
                    None
                };
                let remote_requests = sharded.as_ref().map_or(0, |s| s.remote_requests);
                let mut req = ExplainRequest::from_config(
                    &cfg,
                    rows,
                    features,
                    Some(shap),
                    predictor,
                    &schedule.check,
                );
                req.shap_parts = sharded.map(|s| s.parts);
                let mut result = monitor_explainability(req, baseline.as_ref()).await?;
                result.endpoint_requests += remote_requests;
                trace.lap("shap");
                (
                    MonitorOutput::assemble(
                        trace.warnings.clone(),
                        &schedule.check,
                        None,
                        Some(result),
                    ),
                    baseline,
                )
            }
        }
        Monitor::DataQuality { .. } | Monitor::ModelQuality { .. } => {
            return Err(ExecutionError::Input(format!(
                "a {} schedule is not a Clarify monitor",
                schedule.monitor.type_name()
            )));
        }
    };
    let (output, baseline) = output;
    for w in &output.warnings[trace.warnings.len()..] {
        tracing::warn!("{w}");
    }
    trace.record_coverage(&output.coverage);
    if let Some(reason) = output.coverage.nothing_checked() {
        trace.warnings = output.warnings.clone();
        return Err(ExecutionError::NothingChecked(reason));
    }
    trace.counts.violations = output.violation_count();
    trace.counts.endpoint_requests = output.endpoint_requests;
    let written = write_outputs(out_store, folder, &output).await?;
    trace.lap("write");
    let title = cfg
        .methods
        .as_ref()
        .and_then(|m| m.report.as_ref())
        .map(|r| r.title.clone());
    Ok(Done {
        status: output.status(),
        warnings: output.warnings.clone(),
        analysis: written.analysis,
        violations: written.violations,
        datums: analysis_datums(source, &output.analysis),
        content: Content::Clarify {
            output: Box::new(output),
            baseline: baseline.map(Box::new),
            title,
        },
    })
}

/// A text model's window: the captured records with their texts, explained unit by unit,
/// checked by their top units against the baseline's. Runs on the coordinator (sharding
/// applies to tabular SHAP).
#[allow(clippy::too_many_arguments)]
async fn explain_text(
    schedule: &Schedule,
    window: Window,
    cfg: &crate::config::AnalysisConfig,
    shap: &crate::config::analysis::ShapConfig,
    text: &crate::config::analysis::text::TextConfig,
    model: crate::monitor::inputs::ModelSource,
    baseline: Option<&AnalysisDoc>,
    clients: &AwsClients,
    trace: &mut Trace,
) -> Result<MonitorOutput, ExecutionError> {
    if schedule.executor.is_sharded() {
        trace.warn(
            "text explanations run on the coordinator: the executor's shards apply to tabular SHAP"
                .to_string(),
        );
    }
    let records = explain_window::gather_records(
        schedule,
        window,
        cfg.headers.as_deref(),
        cfg.extensions.shap_max_records,
        shap.seed.unwrap_or(0),
        clients,
        trace,
    )
    .await?;
    let names = cfg.headers.clone().unwrap_or_else(|| {
        let width = records.first().map_or(0, Vec::len);
        (0..width).map(generated_name).collect()
    });
    let predictor = Arc::new(
        model
            .predictor(names.clone(), cfg.extensions.max_endpoint_requests, clients)
            .await?,
    );
    let data = crate::monitor::text::TextRecords { names, records };
    let out = crate::monitor::text::monitor_text(data, cfg, shap, text, predictor).await?;
    let threshold = crate::monitor::explainability::ndcg_threshold(&schedule.check, cfg);
    let outcome = out.outcome(baseline, threshold, &schedule.check);
    trace.lap("shap");
    Ok(MonitorOutput::assemble(
        trace.warnings.clone(),
        &schedule.check,
        None,
        Some(outcome),
    ))
}

/// The schedule's baseline analysis (`baseline_constraints`), when it names one.
pub(super) async fn read_baseline(
    schedule: &Schedule,
    clients: &AwsClients,
) -> Result<Option<AnalysisDoc>, MonitorError> {
    match &schedule.baseline_constraints {
        Some(location) => Ok(Some(
            baseline("baseline_constraints", location, clients).await?,
        )),
        None => Ok(None),
    }
}
