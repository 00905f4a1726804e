//! `driftwatch check-access`: before the first fire, everything a schedule's executions will
//! touch, probed the way they touch it — its capture and ground-truth prefixes listed, its
//! analysis config and baseline read, a probe object written and deleted under its output,
//! CloudWatch called (without datums), its endpoint invoked with one row and its Ray cluster's
//! Jobs API asked for its version. One result per
//! check; a failure names its cause first (no credentials, access denied, not found,
//! unreachable).

use std::sync::Arc;

use super::clarify::read_baseline;
use crate::aws::{AwsClients, NO_CREDENTIALS};
use crate::capture::batch::Side;
use crate::config::Source;
use crate::config::analysis::ShapBaseline;
use crate::config::{Monitor, Schedule};
use crate::monitor::inputs::{ModelSource, analysis_config, shap_config};
use crate::store::{ObjectStore, Store, StoreError, join_key};

/// One check's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub schedule: String,
    /// What was checked: `capture`, `ground_truth`, `analysis_config`, `baseline`, `output`,
    /// `cloudwatch`, `endpoint`, `ray`.
    pub check: &'static str,
    /// Where.
    pub target: String,
    /// What was found, or why it failed (its cause first).
    pub outcome: Result<String, String>,
}

/// The cause of a failure, in a user's words, from its message: what to fix first.
pub fn cause(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if message.contains(NO_CREDENTIALS) || m.contains("credentials") {
        "no credentials"
    } else if m.contains("accessdenied")
        || m.contains("access denied")
        || m.contains("forbidden")
        || m.contains("not authorized")
        || m.contains("kms.")
    {
        "access denied"
    } else if m.contains("nosuchbucket")
        || m.contains("no such object")
        || m.contains("not found")
        || m.contains("does not exist")
        || m.contains("validationerror: endpoint")
    {
        "not found"
    } else if m.contains("dispatch failure")
        || m.contains("connect")
        || m.contains("timed out")
        || m.contains("timeout")
        || m.contains("dns")
    {
        "unreachable"
    } else if m.contains("slowdown") || m.contains("throttl") {
        "throttled"
    } else {
        "error"
    }
}

fn failed(message: String) -> Result<String, String> {
    Err(format!("{}: {message}", cause(&message)))
}

fn store_failed(e: StoreError) -> Result<String, String> {
    if e.is_not_found() {
        return Err(format!("not found: {e}"));
    }
    failed(e.to_string())
}

/// Lists the sub-folders of `prefix`: readable, and how much is there.
async fn list(store: &Store, prefix: &str, what: &str) -> Result<String, String> {
    match store.list_dirs(prefix).await {
        Ok(dirs) if dirs.is_empty() => Ok(format!("readable, but no {what} yet")),
        Ok(dirs) if dirs.len() == 1 => Ok(format!("readable: 1 folder ({})", dirs[0])),
        Ok(dirs) => Ok(format!(
            "readable: {} folders ({} … {})",
            dirs.len(),
            dirs.first().map_or("", String::as_str),
            dirs.last().map_or("", String::as_str)
        )),
        Err(e) => store_failed(e),
    }
}

/// Every check of `schedule`, in the order an execution meets them.
pub async fn check_access(schedule: &Schedule, clients: &AwsClients) -> Vec<Probe> {
    let name = schedule.name.as_str().to_string();
    let mut out = Vec::new();
    let mut push = |check: &'static str, target: String, outcome: Result<String, String>| {
        out.push(Probe {
            schedule: name.clone(),
            check,
            target,
            outcome,
        })
    };

    let capture = Store::open(&schedule.data_capture, clients).await;
    let prefix = match &schedule.source {
        Source::Endpoint {
            name,
            variant: Some(v),
            ..
        } => join_key(name.as_str(), v.as_str()),
        Source::Endpoint {
            name,
            variant: None,
            ..
        } => name.as_str().to_string(),
        // The manifests the monitor reads.
        Source::BatchTransform { .. } => match schedule.monitor {
            Monitor::Bias { .. } | Monitor::ModelQuality { .. } => Side::Output,
            Monitor::Explainability { .. } | Monitor::DataQuality { .. } => Side::Input,
        }
        .folder()
        .to_string(),
    };
    push(
        "capture",
        capture.describe(&prefix),
        list(&capture, &prefix, "captured data").await,
    );
    if let Some(ground_truth) = schedule.monitor.ground_truth() {
        let truth = Store::open(ground_truth, clients).await;
        push(
            "ground_truth",
            truth.describe(""),
            list(&truth, "", "ground truth").await,
        );
    }

    let (config, purpose) = match super::clarify::config_ref(schedule) {
        Ok(c) => c,
        Err(e) => {
            push("analysis_config", String::new(), failed(e.to_string()));
            return out;
        }
    };
    let location = config.location();
    let cfg = analysis_config(config, purpose, clients).await;
    push(
        "analysis_config",
        location.to_string(),
        match &cfg {
            Ok(_) => Ok("read and valid".into()),
            Err(e) => failed(e.to_string()),
        },
    );

    if let Some(b) = &schedule.baseline_constraints {
        push(
            "baseline",
            b.to_string(),
            match read_baseline(schedule, clients).await {
                Ok(_) => Ok("read and valid".into()),
                Err(e) => failed(e.to_string()),
            },
        );
    }

    let output = Store::open(&schedule.output, clients).await;
    let root = schedule.root();
    let probe = join_key(
        &root,
        &format!(".driftwatch-access-check-{}", std::process::id()),
    );
    let written = match output
        .put(&probe, b"driftwatch check-access\n".to_vec())
        .await
    {
        Ok(()) => match output.delete(&probe).await {
            Ok(()) => Ok("written and deleted a probe object".into()),
            Err(e) => Err(format!(
                "written, but the probe object could not be deleted ({}): {e}",
                cause(&e.to_string())
            )),
        },
        Err(e) => store_failed(e),
    };
    push("output", output.describe(&root), written);

    if schedule.cloudwatch {
        push(
            "cloudwatch",
            "PutMetricData".into(),
            match crate::publish::probe_cloudwatch(clients).await {
                Ok(()) => Ok("credentials accepted (nothing published)".into()),
                Err(e) => failed(e),
            },
        );
    }

    if let (Monitor::Explainability { .. }, Ok(cfg)) = (&schedule.monitor, &cfg)
        && cfg.extensions.model.is_none()
    {
        let shadow = schedule.shadow_endpoint.as_ref();
        let name = cfg
            .predictor
            .as_ref()
            .and_then(|p| p.endpoint_name.clone())
            .or_else(|| shadow.map(|s| s.as_str().to_string()));
        push(
            "endpoint",
            match &name {
                Some(p) => format!("InvokeEndpoint {p}"),
                None => "InvokeEndpoint".into(),
            },
            probe_endpoint(cfg, location, shadow, clients).await,
        );
    }

    if let Some(ray) = schedule.executor.ray() {
        push(
            "ray",
            format!("{}/api/version", ray.address),
            probe_ray(&ray.address).await,
        );
    }
    out
}

/// Asks the Ray cluster's Jobs API for its version (what every shard submission goes through).
async fn probe_ray(address: &str) -> Result<String, String> {
    let answer = match crate::ray::JobsClient::new(address) {
        Ok(client) => client.version().await,
        Err(e) => Err(e),
    };
    match answer {
        Ok(v) => Ok(format!("Jobs API answered (Ray {v})")),
        Err(e) => failed(e.to_string()),
    }
}

/// Invokes the endpoint with the SHAP baseline's first row (the synthetic rows it will get).
async fn probe_endpoint(
    cfg: &crate::config::analysis::AnalysisConfig,
    location: &crate::config::Location,
    shadow: Option<&crate::config::SageMakerName>,
    clients: &AwsClients,
) -> Result<String, String> {
    let shap = cfg.methods.as_ref().and_then(|m| m.shap.as_ref());
    let row: Option<Vec<f64>> = match shap {
        Some(s) => match shap_config(s, location, clients).await {
            Ok(s) => match s.baseline {
                Some(ShapBaseline::Rows(rows)) => rows.first().and_then(numbers),
                _ => None,
            },
            Err(e) => return failed(format!("methods.shap.baseline: {e}")),
        },
        None => None,
    };
    let Some(row) = row else {
        return Ok("not invoked: no numeric SHAP baseline row to send".into());
    };
    let features: Vec<String> = cfg
        .headers
        .clone()
        .filter(|h| h.len() == row.len())
        .unwrap_or_else(|| {
            (0..row.len())
                .map(crate::capture::frame::generated_name)
                .collect()
        });
    let model = ModelSource::resolve(cfg, location, shadow, clients)
        .await
        .map_err(|e| format!("{}: {e}", cause(&e.to_string())))?;
    let predictor = Arc::new(
        model
            .predictor(features, Some(1), clients)
            .await
            .map_err(|e| format!("{}: {e}", cause(&e.to_string())))?,
    );
    let scored = tokio::task::spawn_blocking(move || predictor.predict(&row))
        .await
        .map_err(|e| format!("error: {e}"))?;
    match scored {
        Ok(scores) => Ok(format!("answered one row: {:?}", scores)),
        Err(e) => failed(e.message),
    }
}

/// A baseline row as numbers (a CSV-like list); None for anything else.
fn numbers(v: &serde_json::Value) -> Option<Vec<f64>> {
    v.as_array()?
        .iter()
        .map(|x| match x {
            serde_json::Value::Number(n) => n.as_f64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_come_first_in_words() {
        assert_eq!(
            cause(&format!("s3://b/k: {NO_CREDENTIALS}")),
            "no credentials"
        );
        assert_eq!(
            cause("s3://b/k: AccessDenied: Access Denied"),
            "access denied"
        );
        assert_eq!(cause("s3://b/k: NoSuchBucket: gone"), "not found");
        assert_eq!(
            cause("dispatch failure: tcp connect error: Connection refused"),
            "unreachable"
        );
        assert_eq!(cause("SlowDown: reduce your rate"), "throttled");
    }
}
