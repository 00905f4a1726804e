//! Which endpoint a predictor calls: SageMaker's `predictor.endpoint_name`, or, for a
//! predictor given by `model_name` (Clarify creates an endpoint for it; driftwatch does not),
//! the shadow endpoint the user names in its place.

use super::PredictorConfig;

/// The predictor an endpoint model is called through: `predictor.endpoint_name`, or the
/// shadow endpoint in its place. Errors say which keys would give one.
pub fn endpoint_predictor(
    predictor: Option<&PredictorConfig>,
    shadow: Option<&crate::config::SageMakerName>,
) -> Result<PredictorConfig, String> {
    const SHADOW: &str =
        "`analyze --shadow-endpoint NAME` or the schedule key `shadow_endpoint: NAME`";
    let p = predictor.cloned().unwrap_or_default();
    match (p.endpoint_name.as_deref(), shadow) {
        (Some(e), Some(s)) if e != s.as_str() => Err(format!(
            "predictor.endpoint_name {e:?} and the shadow endpoint {:?} ({SHADOW}) name different endpoints; give one of them",
            s.as_str()
        )),
        (Some(_), _) => Ok(p),
        (None, Some(s)) => Ok(PredictorConfig {
            endpoint_name: Some(s.as_str().to_string()),
            ..p
        }),
        (None, None) => Err(match &p.model_name {
            Some(m) => format!(
                "predictor.model_name {m:?} names a model, not an endpoint to call: give the endpoint that serves it with {SHADOW} (a shadow endpoint with data capture off, never the production one: the synthetic rows would be captured), or driftwatch.model (an in-process model file)"
            ),
            None => format!(
                "set predictor.endpoint_name or predictor.model_name with {SHADOW} (a shadow endpoint to call with synthetic rows), or driftwatch.model (an in-process model file)"
            ),
        }),
    }
}
