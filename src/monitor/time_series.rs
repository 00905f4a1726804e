//! A forecasting model explained: the dataset's items read, the endpoint asked for the
//! coalitions' forecasts, and Clarify's files' content made — for `analyze`.

use serde_json::Value;

use super::MonitorError;
use crate::aws::AwsClients;
use crate::config::SageMakerName;
use crate::config::analysis::AnalysisConfig;
use crate::config::analysis::endpoint_predictor;
use crate::config::analysis::time_series::TimeSeriesAnalysis;
use crate::explain::codec::Format;
use crate::explain::endpoint::Invoker;
use crate::explain::time_series::dataset::{Names, read_items};
use crate::explain::time_series::request::{RequestFormat, Templates};
use crate::explain::time_series::run::Explainer;
use crate::sagemaker::time_series::{
    AsvLine, AsvTotals, RESULTS_FILE, analysis_json, results_folder,
};

/// What a time-series explanation writes.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSeriesOutput {
    /// `asymmetric_shapley_value/<granularity>_<direction>/out.jsonl`.
    pub results_key: String,
    /// One line per item, in dataset order.
    pub lines: Vec<AsvLine>,
    pub totals: AsvTotals,
    pub direction: &'static str,
    pub granularity: &'static str,
}

impl TimeSeriesOutput {
    /// analysis.json, pointing at the results where `output` (the output location's text)
    /// holds them.
    pub fn analysis(&self, output: &str) -> Value {
        let path = format!("{}/{}", output.trim_end_matches('/'), self.results_key);
        analysis_json(self.direction, self.granularity, &path, &self.totals)
    }

    /// out.jsonl's bytes.
    pub fn results(&self) -> Vec<u8> {
        let mut out = String::new();
        for l in &self.lines {
            out.push_str(&l.to_json());
            out.push('\n');
        }
        out.into_bytes()
    }
}

/// Explains the items of `doc` (the dataset, parsed) with the config's endpoint.
pub async fn monitor_time_series(
    doc: &Value,
    cfg: &AnalysisConfig,
    ts: &TimeSeriesAnalysis,
    shadow: Option<&SageMakerName>,
    clients: &AwsClients,
) -> Result<TimeSeriesOutput, MonitorError> {
    if cfg.extensions.model.is_some() {
        return Err(MonitorError::Unsupported(
            "driftwatch.model: an in-process model scores tabular rows; a forecasting model is called as an endpoint (predictor.endpoint_name)".into(),
        ));
    }
    let items = read_items(doc, &ts.data).map_err(MonitorError::Data)?;
    let names = Names::of(&ts.data, cfg.headers.as_deref()).map_err(MonitorError::Data)?;
    let predictor =
        endpoint_predictor(cfg.predictor.as_ref(), shadow).map_err(MonitorError::Unsupported)?;
    let content = Format::parse(
        predictor
            .content_type
            .as_deref()
            .unwrap_or("application/json"),
    )
    .map_err(|e| MonitorError::Unsupported(format!("predictor.content_type: {e}")))?;
    let accept = match predictor.accept_type.as_deref() {
        Some(a) => Format::parse(a)
            .map_err(|e| MonitorError::Unsupported(format!("predictor.accept_type: {e}")))?,
        None => content,
    };
    let format = RequestFormat::new(
        Templates {
            content,
            accept,
            content_template: predictor.content_template.as_deref(),
            record_template: predictor.record_template.as_deref(),
            forecast: &ts.forecast,
        },
        !ts.data.related_time_series.is_empty(),
        !ts.data.static_covariates.is_empty(),
    )
    .map_err(MonitorError::Unsupported)?;
    let invoker = Invoker::new(
        clients.sagemaker_runtime().await,
        &predictor,
        content,
        accept,
        cfg.extensions.max_endpoint_requests,
    )
    .map_err(MonitorError::Unsupported)?;
    let explainer = Explainer {
        asv: &ts.asv,
        names: &names,
        format: &format,
        invoker: &invoker,
    };
    let mut lines = Vec::with_capacity(items.len());
    let totals = explainer.explain(&items, |l| lines.push(l)).await?;
    let (direction, granularity) = (ts.asv.direction.as_str(), ts.asv.granularity.as_str());
    Ok(TimeSeriesOutput {
        results_key: format!("{}/{RESULTS_FILE}", results_folder(granularity, direction)),
        lines,
        totals,
        direction,
        granularity,
    })
}
