//! Reading what an analysis needs besides its data — the analysis config, the baseline
//! constraints, the model and a SHAP baseline file — from wherever the configuration says
//! (a local file or S3), for `analyze` and executions alike.

use std::sync::Arc;

use super::MonitorError;
use crate::aws::AwsClients;
use crate::config::analysis::{AnalysisConfig, PredictorConfig, ShapBaseline, ShapConfig};
use crate::config::schedules::AnalysisConfigRef;
use crate::config::{Location, Purpose, SageMakerName, parse_analysis_config};
use crate::explain::endpoint::EndpointPredictor;
use crate::explain::model::InProcessModel;
use crate::explain::predictor::Predictor;
use crate::explain::run::baseline_file_rows;
use crate::sagemaker::AnalysisDoc;
use crate::store::fetch;

async fn read(
    what: &'static str,
    location: &Location,
    clients: &AwsClients,
) -> Result<Vec<u8>, MonitorError> {
    fetch(location, clients)
        .await
        .map_err(|source| MonitorError::Read { what, source })
}

fn text(what: &'static str, location: &Location, bytes: Vec<u8>) -> Result<String, MonitorError> {
    String::from_utf8(bytes).map_err(|_| MonitorError::Invalid {
        what,
        location: location.to_string(),
        message: "not UTF-8 text".into(),
    })
}

/// A schedule's analysis config: loaded (and validated) with the schedules file, or fetched
/// and validated now when it lives in S3.
pub async fn analysis_config(
    config: &AnalysisConfigRef,
    purpose: Purpose,
    clients: &AwsClients,
) -> Result<Arc<AnalysisConfig>, MonitorError> {
    match config {
        AnalysisConfigRef::Loaded { config, .. } => Ok(config.clone()),
        AnalysisConfigRef::Remote(location) => {
            let bytes = read("analysis_config", location, clients).await?;
            let text = text("analysis_config", location, bytes)?;
            parse_analysis_config(&text, std::path::Path::new(&location.to_string()), purpose)
                .map(Arc::new)
                .map_err(MonitorError::Config)
        }
    }
}

/// A baseline analysis.json (the constraints). `what` names it in messages.
pub async fn baseline(
    what: &'static str,
    location: &Location,
    clients: &AwsClients,
) -> Result<AnalysisDoc, MonitorError> {
    let bytes = read(what, location, clients).await?;
    let invalid = |message: String| MonitorError::Invalid {
        what,
        location: location.to_string(),
        message,
    };
    let v: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| invalid(format!("is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(invalid("is not an analysis.json object".into()));
    }
    serde_json::from_value(v).map_err(|e| invalid(format!("is not an analysis.json: {e}")))
}

/// The model an explanation calls.
pub enum ModelSource {
    /// `driftwatch.model`: a model file scored in-process.
    InProcess(InProcessModel),
    /// `predictor.endpoint_name`, or the shadow endpoint serving `predictor.model_name`: a
    /// SageMaker endpoint (a shadow one: it gets synthetic rows).
    Endpoint(PredictorConfig),
}

impl ModelSource {
    /// `driftwatch.model` (relative to the config's directory) when set, else the endpoint:
    /// `predictor.endpoint_name`, or for a predictor given by `model_name` (what the SDK's
    /// `ModelConfig(model_name=…)` writes, Clarify creating an endpoint for it) the `shadow`
    /// endpoint (`analyze --shadow-endpoint`, the schedule's `shadow_endpoint`) that serves it.
    pub async fn resolve(
        cfg: &AnalysisConfig,
        config: &Location,
        shadow: Option<&SageMakerName>,
        clients: &AwsClients,
    ) -> Result<Self, MonitorError> {
        if let Some(spec) = &cfg.extensions.model {
            let location = Location::resolve(spec, config)
                .map_err(|e| MonitorError::Unsupported(format!("driftwatch.model: {e}")))?;
            let bytes = read("driftwatch.model", &location, clients).await?;
            let text = text("driftwatch.model", &location, bytes)?;
            let model = InProcessModel::from_json(&text, &location.to_string()).map_err(|e| {
                MonitorError::Invalid {
                    what: "driftwatch.model",
                    location: location.to_string(),
                    message: e.message,
                }
            })?;
            return Ok(Self::InProcess(model));
        }
        crate::config::analysis::endpoint_predictor(cfg.predictor.as_ref(), shadow)
            .map(Self::Endpoint)
            .map_err(|e| MonitorError::Unsupported(format!("analysis_config {config}: {e}")))
    }

    /// The features an in-process model was trained on, in order.
    pub fn feature_names(&self) -> Option<&[String]> {
        match self {
            Self::InProcess(m) => Some(m.feature_names()),
            Self::Endpoint(_) => None,
        }
    }

    /// The predictor for rows of `features` (the endpoint's request templates name them).
    /// Endpoint requests run on the current tokio runtime.
    pub async fn predictor(
        self,
        features: Vec<String>,
        max_requests: Option<usize>,
        clients: &AwsClients,
    ) -> Result<Predictor, MonitorError> {
        match self {
            Self::InProcess(m) => Ok(Predictor::InProcess(m)),
            Self::Endpoint(pc) => EndpointPredictor::new(
                clients.sagemaker_runtime().await,
                tokio::runtime::Handle::current(),
                &pc,
                features,
                max_requests,
            )
            .map(Predictor::Endpoint)
            .map_err(MonitorError::Unsupported),
        }
    }
}

/// `methods.shap` with a baseline file (`"baseline": "s3://…"` or a path) read into rows.
pub async fn shap_config(
    shap: &ShapConfig,
    config: &Location,
    clients: &AwsClients,
) -> Result<ShapConfig, MonitorError> {
    let mut shap = shap.clone();
    if let Some(ShapBaseline::Uri(uri)) = &shap.baseline {
        let location = Location::resolve(uri, config)
            .map_err(|e| MonitorError::Unsupported(format!("methods.shap.baseline: {e}")))?;
        let bytes = read("methods.shap.baseline", &location, clients).await?;
        let rows = baseline_file_rows(&String::from_utf8_lossy(&bytes), &location.to_string())
            .map_err(MonitorError::Data)?;
        shap.baseline = Some(ShapBaseline::Rows(rows));
    }
    Ok(shap)
}

/// The analyzer container's file format version: the only one its files have carried.
const MONITOR_FORMAT_VERSION: f64 = 0.0;

/// Reads one Model Monitor baseline file (data or model quality): JSON of the type asked for (`kind`, e.g. "data-quality
/// constraints"), of the container's format version.
async fn read_file<T: serde::de::DeserializeOwned>(
    what: &'static str,
    location: &Location,
    kind: &str,
    version: impl Fn(&T) -> f64,
    clients: &AwsClients,
) -> Result<T, MonitorError> {
    let bytes = fetch(location, clients)
        .await
        .map_err(|source| MonitorError::Read { what, source })?;
    let invalid = |message: String| MonitorError::Invalid {
        what,
        location: location.to_string(),
        message,
    };
    let doc: T = serde_json::from_slice(&bytes).map_err(|e| {
        invalid(format!(
            "is not a {kind} file (as suggest-baseline or SageMaker's baselining job writes it): {e}"
        ))
    })?;
    let v = version(&doc);
    if v != MONITOR_FORMAT_VERSION {
        return Err(invalid(format!(
            "has version {v}; driftwatch reads the analyzer container's version {MONITOR_FORMAT_VERSION:.1} files"
        )));
    }
    Ok(doc)
}

/// [`read_file`] when the schedule names the file.
pub(super) async fn read_optional<T: serde::de::DeserializeOwned>(
    what: &'static str,
    location: Option<&Location>,
    kind: &str,
    version: impl Fn(&T) -> f64,
    clients: &AwsClients,
) -> Result<Option<T>, MonitorError> {
    match location {
        Some(l) => Ok(Some(read_file(what, l, kind, version, clients).await?)),
        None => Ok(None),
    }
}
