//! The read-only status endpoint: `/healthz`, `/readyz`, `/schedules`,
//! `/executions?schedule=&limit=`, `/metrics` (Prometheus text format).

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State as AxState};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde_json::json;

use super::state::{DURATION_BUCKETS, ErrorKind, Gauges, Readiness, State};
use crate::publish::datum::Datum;
use crate::publish::metrics::{
    BATCH_BIAS_NAMESPACE, BATCH_DATA_QUALITY_NAMESPACE, BATCH_MODEL_QUALITY_NAMESPACE,
    BIAS_NAMESPACE, DATA_QUALITY_NAMESPACE, DRIFTWATCH_NAMESPACE, MODEL_QUALITY_NAMESPACE,
};
use crate::sagemaker::time::format_utc;

fn json_response(v: serde_json::Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

async fn readyz(AxState(s): AxState<Arc<State>>) -> Response {
    match s.readiness() {
        Readiness::Ready => (StatusCode::OK, "ready\n").into_response(),
        Readiness::Starting => (
            StatusCode::SERVICE_UNAVAILABLE,
            "starting: reading the ledger\n",
        )
            .into_response(),
        Readiness::NotReady(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        )
            .into_response(),
    }
}

async fn schedules(AxState(s): AxState<Arc<State>>) -> Response {
    let now = Utc::now();
    let file = s.schedules();
    let list: Vec<serde_json::Value> = file
        .schedules
        .iter()
        .map(|sc| {
            let mut next = Vec::new();
            let mut t = now;
            for _ in 0..3 {
                match sc.cadence.next_after(t) {
                    Some(n) => {
                        next.push(format_utc(n));
                        t = n;
                    }
                    None => break,
                }
            }
            let last = s.last_execution(sc.name.as_str()).map(|r| {
                json!({"scheduled_time": format_utc(r.scheduled_time), "status": r.status, "failure_reason": r.failure_reason,
                       "failure_class": r.failure_class, "finished_at": format_utc(r.finished_at)})
            });
            json!({
                "name": sc.name.as_str(),
                "type": sc.monitor.type_name(),
                "endpoint": sc.source.endpoint().map(|e| e.as_str()),
                "schedule_expression": sc.cadence.sagemaker_expression(),
                "next_scheduled_times": next,
                "last_execution": last,
            })
        })
        .collect();
    json_response(json!({"schedules": list}))
}

async fn executions(
    AxState(s): AxState<Arc<State>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    // A limit that is not a count is the caller's mistake: say so rather than answer 50
    // rows as if it had been understood.
    let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => 50,
        Some(Ok(n)) => n.min(10_000),
        Some(Err(_)) => {
            return bad_request(&format!(
                "limit must be a whole number of executions, got {:?}",
                q.get("limit").map_or("", String::as_str)
            ));
        }
    };
    if let Some(name) = q.get("schedule")
        && s.schedules().schedule(name).is_none()
    {
        return bad_request(&format!("no schedule named {name:?}"));
    }
    let list = s.executions(q.get("schedule").map(String::as_str), limit);
    json_response(json!({"executions": list}))
}

fn bad_request(message: &str) -> Response {
    (
        axum::http::StatusCode::BAD_REQUEST,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        json!({"error": message}).to_string(),
    )
        .into_response()
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Writes one metric family: its HELP and TYPE lines, then `name{schedule="…"} value` per
/// schedule.
fn family<V: std::fmt::Display>(
    out: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    per_schedule: impl IntoIterator<Item = (String, V)>,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (sch, v) in per_schedule {
        let _ = writeln!(out, "{name}{{schedule=\"{}\"}} {v}", label(&sch));
    }
}

/// Prometheus text exposition of the daemon's counters.
pub fn metrics_text(s: &State) -> String {
    let mut out = String::new();
    let now = Utc::now();
    let m = match s.metrics.lock() {
        Ok(m) => m,
        Err(p) => p.into_inner(),
    };
    out.push_str(
        "# HELP driftwatch_executions_total Executions finished, by schedule and status.\n",
    );
    out.push_str("# TYPE driftwatch_executions_total counter\n");
    for ((sch, st), n) in &m.executions {
        let _ = writeln!(
            out,
            "driftwatch_executions_total{{schedule=\"{}\",status=\"{st}\"}} {n}",
            label(sch)
        );
    }
    out.push_str("# HELP driftwatch_execution_duration_seconds Execution wall time.\n");
    out.push_str("# TYPE driftwatch_execution_duration_seconds histogram\n");
    for (sch, (buckets, sum, count)) in &m.durations {
        let sch = label(sch);
        let bounds = DURATION_BUCKETS.iter().map(|b| b.to_string());
        for (le, n) in bounds
            .chain(["+Inf".to_string()])
            .zip(buckets.iter().chain([count]))
        {
            let _ = writeln!(
                out,
                "driftwatch_execution_duration_seconds_bucket{{schedule=\"{sch}\",le=\"{le}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "driftwatch_execution_duration_seconds_sum{{schedule=\"{sch}\"}} {sum}\n\
driftwatch_execution_duration_seconds_count{{schedule=\"{sch}\"}} {count}"
        );
    }
    family(
        &mut out,
        "driftwatch_records_processed_total",
        "counter",
        "Records analyzed (merged for bias, explained for explainability).",
        m.records.iter().map(|(k, v)| (k.clone(), *v)),
    );
    // Every schedule from the start, so an alert on staleness fires even for a schedule that
    // never succeeded: 0 and the seconds since the daemon started, until one does.
    let names: Vec<String> = s
        .schedules()
        .schedules
        .iter()
        .map(|sc| sc.name.as_str().to_string())
        .collect();
    family(
        &mut out,
        "driftwatch_last_success_scheduled_time_seconds",
        "gauge",
        "Scheduled time (Unix seconds) of the last successful execution; 0 when none is known.",
        names.iter().map(|n| {
            (
                n.clone(),
                m.last_success.get(n).map_or(0, |t| t.timestamp()),
            )
        }),
    );
    family(
        &mut out,
        "driftwatch_seconds_since_last_success",
        "gauge",
        "Seconds since the scheduled time of the last successful execution (since the daemon started when none is known).",
        names.iter().map(|n| {
            let since = m.last_success.get(n).copied().unwrap_or(s.watch_from);
            (n.clone(), (now - since).num_seconds())
        }),
    );
    out.push_str("# HELP driftwatch_errors_total Errors by kind: ledger_read, execution_transient, execution_permanent, config_reload.\n# TYPE driftwatch_errors_total counter\n");
    for kind in ErrorKind::ALL {
        let _ = writeln!(
            out,
            "driftwatch_errors_total{{kind=\"{}\"}} {}",
            kind.as_str(),
            m.errors.get(kind.as_str()).copied().unwrap_or(0)
        );
    }
    drop(m);
    let ready = u8::from(s.readiness() == Readiness::Ready);
    let _ = writeln!(
        out,
        "# HELP driftwatch_ready 1 when the last reconciliation read every schedule's ledger.\n# TYPE driftwatch_ready gauge\ndriftwatch_ready {ready}"
    );
    drift_gauges(&mut out, &s.gauges());
    let _ = writeln!(
        out,
        "# HELP driftwatch_executions_unrecorded Executions whose record could not be written (retried until it is).\n# TYPE driftwatch_executions_unrecorded gauge\ndriftwatch_executions_unrecorded {}",
        s.unrecorded().len()
    );
    let (queued, running) = s.in_flight();
    let _ = writeln!(
        out,
        "# HELP driftwatch_executions_running Executions in progress.\n# TYPE driftwatch_executions_running gauge\n\
driftwatch_executions_running {running}\n\
# HELP driftwatch_executions_queued Executions due and waiting to start.\n# TYPE driftwatch_executions_queued gauge\n\
driftwatch_executions_queued {queued}\n\
# HELP driftwatch_schedules Schedules loaded.\n# TYPE driftwatch_schedules gauge\n\
driftwatch_schedules {}",
        s.schedules().schedules.len()
    );
    out
}

/// Gauges a schedule's bias metrics, and its data-quality features, may have each; beyond it
/// they are dropped (and counted), so a facet with thousands of values or a dataset with
/// thousands of columns cannot flood Prometheus.
pub const MAX_METRIC_SERIES: usize = 500;

fn dim<'a>(d: &'a Datum, name: &str) -> &'a str {
    d.dimensions
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The drift signal of each schedule's latest completed execution, mirroring the datums it
/// published to CloudWatch: `driftwatch_bias_metric`, `driftwatch_attribution_ndcg`,
/// `driftwatch_feature_baseline_drift`, `driftwatch_feature_completeness` (a data-quality
/// schedule's `feature_baseline_drift_<name>` and `feature_non_null_<name>`),
/// `driftwatch_violations`, `driftwatch_metrics_not_computed`, `driftwatch_metrics_not_checked`,
/// `driftwatch_last_execution_failed`.
fn drift_gauges(out: &mut String, gauges: &std::collections::BTreeMap<String, Gauges>) {
    let mut bias = String::new();
    let mut feature_drift = String::new();
    let mut completeness = String::new();
    let mut quality = String::new();
    let mut estimated = String::new();
    let mut ndcg = String::new();
    let mut health = String::new();
    let mut dropped = 0usize;
    for (schedule, g) in gauges {
        let sch = label(schedule);
        let _ = writeln!(
            health,
            "driftwatch_last_execution_failed{{schedule=\"{sch}\"}} {}",
            u8::from(g.last_failed)
        );
        if let Some(t) = g.scheduled_time {
            let _ = writeln!(
                health,
                "driftwatch_drift_scheduled_time_seconds{{schedule=\"{sch}\"}} {}",
                t.timestamp()
            );
        }
        let mut series = 0usize;
        let mut features = 0usize;
        for d in &g.datums {
            if d.namespace == BIAS_NAMESPACE || d.namespace == BATCH_BIAS_NAMESPACE {
                series += 1;
                if series > MAX_METRIC_SERIES {
                    dropped += 1;
                    continue;
                }
                let metric = d.metric_name.trim_start_matches("bias_metric_");
                let _ = writeln!(
                    bias,
                    "driftwatch_bias_metric{{schedule=\"{sch}\",stage=\"{}\",label=\"{}\",facet=\"{}\",facet_value=\"{}\",metric=\"{}\"}} {}",
                    label(dim(d, "BiasStage")),
                    label(dim(d, "Label")),
                    label(dim(d, "Facet")),
                    label(dim(d, "FacetValue")),
                    label(metric),
                    d.value
                );
            } else if d.namespace == DATA_QUALITY_NAMESPACE
                || d.namespace == BATCH_DATA_QUALITY_NAMESPACE
            {
                let (sink, gauge, feature) =
                    if let Some(f) = d.metric_name.strip_prefix("feature_baseline_drift_") {
                        (&mut feature_drift, "driftwatch_feature_baseline_drift", f)
                    } else if let Some(f) = d.metric_name.strip_prefix("feature_non_null_") {
                        (&mut completeness, "driftwatch_feature_completeness", f)
                    } else {
                        continue;
                    };
                features += 1;
                if features > 2 * MAX_METRIC_SERIES {
                    dropped += 1;
                    continue;
                }
                let _ = writeln!(
                    sink,
                    "{gauge}{{schedule=\"{sch}\",feature=\"{}\"}} {}",
                    label(feature),
                    d.value
                );
            } else if d.namespace == MODEL_QUALITY_NAMESPACE
                || d.namespace == BATCH_MODEL_QUALITY_NAMESPACE
            {
                let _ = writeln!(
                    quality,
                    "driftwatch_model_quality{{schedule=\"{sch}\",metric=\"{}\"}} {}",
                    label(&d.metric_name),
                    d.value
                );
            } else if d.namespace == DRIFTWATCH_NAMESPACE
                && let Some(metric) = d.metric_name.strip_prefix("estimated_")
            {
                let (metric, bound) = match metric.rsplit_once('_') {
                    Some((m, b @ ("lower" | "upper"))) => (m, b),
                    _ => (metric, "value"),
                };
                let _ = writeln!(
                    estimated,
                    "driftwatch_model_quality_estimate{{schedule=\"{sch}\",metric=\"{}\",bound=\"{bound}\"}} {}",
                    label(metric),
                    d.value
                );
            } else if d.namespace == DRIFTWATCH_NAMESPACE {
                match d.metric_name.as_str() {
                    "AttributionNDCG" => {
                        let _ = writeln!(
                            ndcg,
                            "driftwatch_attribution_ndcg{{schedule=\"{sch}\",label=\"{}\"}} {}",
                            label(dim(d, "Label")),
                            d.value
                        );
                    }
                    name @ ("Violations" | "MetricsNotComputed" | "MetricsNotChecked") => {
                        let gauge = match name {
                            "Violations" => "driftwatch_violations",
                            "MetricsNotComputed" => "driftwatch_metrics_not_computed",
                            _ => "driftwatch_metrics_not_checked",
                        };
                        let _ = writeln!(health, "{gauge}{{schedule=\"{sch}\"}} {}", d.value);
                    }
                    _ => {}
                }
            }
        }
    }
    out.push_str("# HELP driftwatch_bias_metric Each bias metric of the latest completed execution, as published to CloudWatch (at most 500 series per schedule).\n# TYPE driftwatch_bias_metric gauge\n");
    out.push_str(&bias);
    out.push_str("# HELP driftwatch_attribution_ndcg nDCG of the global SHAP values against the baseline, latest completed execution.\n# TYPE driftwatch_attribution_ndcg gauge\n");
    out.push_str(&ndcg);
    out.push_str("# HELP driftwatch_feature_baseline_drift Each feature's distance from the data-quality baseline, latest completed execution.\n# TYPE driftwatch_feature_baseline_drift gauge\n");
    out.push_str(&feature_drift);
    out.push_str("# HELP driftwatch_feature_completeness Each feature's share of non-missing values, latest completed data-quality execution.\n# TYPE driftwatch_feature_completeness gauge\n");
    out.push_str(&completeness);
    out.push_str("# HELP driftwatch_model_quality Each model-quality metric measured in the latest completed execution (SageMaker's model-metrics).\n# TYPE driftwatch_model_quality gauge\n");
    out.push_str(&quality);
    out.push_str("# HELP driftwatch_model_quality_estimate A binary classifier's metrics estimated from its scores without labels (bound value, lower or upper of the 95 % interval), latest completed execution.\n# TYPE driftwatch_model_quality_estimate gauge\n");
    out.push_str(&estimated);
    out.push_str("# HELP driftwatch_violations Violations in the latest completed execution (also driftwatch_metrics_not_computed, driftwatch_metrics_not_checked, driftwatch_last_execution_failed, driftwatch_drift_scheduled_time_seconds).\n# TYPE driftwatch_violations gauge\n");
    out.push_str(&health);
    let _ = writeln!(
        out,
        "# HELP driftwatch_bias_metric_series_dropped Bias metric and data-quality feature series beyond the per-schedule limits.\n# TYPE driftwatch_bias_metric_series_dropped gauge\ndriftwatch_bias_metric_series_dropped {dropped}"
    );
}

async fn metrics(AxState(s): AxState<Arc<State>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        metrics_text(&s),
    )
        .into_response()
}

pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/schedules", get(schedules))
        .route("/executions", get(executions))
        .route("/metrics", get(metrics))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::datum::Unit;

    fn datum(namespace: &str, name: &str, value: f64) -> Datum {
        Datum {
            namespace: namespace.into(),
            metric_name: name.into(),
            dimensions: vec![
                ("Endpoint".into(), "ep".into()),
                ("MonitoringSchedule".into(), "dq".into()),
            ],
            value,
            timestamp: Utc::now(),
            unit: Unit::None,
            statistics: None,
        }
    }

    #[test]
    fn a_data_quality_schedule_gets_a_drift_and_a_completeness_gauge_per_feature() {
        let g = Gauges {
            scheduled_time: None,
            datums: vec![
                datum(DATA_QUALITY_NAMESPACE, "feature_data_age", 40.5),
                datum(DATA_QUALITY_NAMESPACE, "feature_non_null_age", 0.75),
                datum(DATA_QUALITY_NAMESPACE, "feature_baseline_drift_age", 0.125),
                datum(
                    DATA_QUALITY_NAMESPACE,
                    "feature_baseline_drift_city \"x\"",
                    0.5,
                ),
            ],
            last_failed: false,
        };
        let mut out = String::new();
        drift_gauges(&mut out, &[("dq".to_string(), g)].into_iter().collect());
        assert!(
            out.contains(
                "driftwatch_feature_baseline_drift{schedule=\"dq\",feature=\"age\"} 0.125\n"
            ),
            "{out}"
        );
        assert!(out.contains("driftwatch_feature_baseline_drift{schedule=\"dq\",feature=\"city \\\"x\\\"\"} 0.5\n"), "{out}");
        assert!(
            out.contains("driftwatch_feature_completeness{schedule=\"dq\",feature=\"age\"} 0.75\n"),
            "{out}"
        );
        // The statistic sets stay CloudWatch's: no gauge of a feature's mean.
        assert!(!out.contains("40.5"), "{out}");
    }

    #[test]
    fn a_model_quality_schedule_gets_its_metrics_and_estimates() {
        let g = Gauges {
            scheduled_time: None,
            datums: vec![
                datum(MODEL_QUALITY_NAMESPACE, "f1", 0.75),
                datum(DRIFTWATCH_NAMESPACE, "estimated_accuracy", 0.8),
                datum(DRIFTWATCH_NAMESPACE, "estimated_accuracy_lower", 0.7),
                datum(
                    DRIFTWATCH_NAMESPACE,
                    "estimated_false_positive_rate_upper",
                    0.3,
                ),
            ],
            last_failed: false,
        };
        let mut out = String::new();
        drift_gauges(&mut out, &[("mq".to_string(), g)].into_iter().collect());
        for line in [
            "driftwatch_model_quality{schedule=\"mq\",metric=\"f1\"} 0.75\n",
            "driftwatch_model_quality_estimate{schedule=\"mq\",metric=\"accuracy\",bound=\"value\"} 0.8\n",
            "driftwatch_model_quality_estimate{schedule=\"mq\",metric=\"accuracy\",bound=\"lower\"} 0.7\n",
            "driftwatch_model_quality_estimate{schedule=\"mq\",metric=\"false_positive_rate\",bound=\"upper\"} 0.3\n",
        ] {
            assert!(out.contains(line), "{line} in {out}");
        }
    }

    #[test]
    fn data_quality_feature_gauges_are_bounded_per_schedule() {
        let datums = (0..2 * MAX_METRIC_SERIES + 3)
            .map(|i| {
                datum(
                    DATA_QUALITY_NAMESPACE,
                    &format!("feature_non_null_f{i}"),
                    1.0,
                )
            })
            .collect();
        let g = Gauges {
            scheduled_time: None,
            datums,
            last_failed: false,
        };
        let mut out = String::new();
        drift_gauges(&mut out, &[("dq".to_string(), g)].into_iter().collect());
        assert_eq!(
            out.matches("driftwatch_feature_completeness{").count(),
            2 * MAX_METRIC_SERIES
        );
        assert!(
            out.contains("driftwatch_bias_metric_series_dropped 3\n"),
            "{out}"
        );
    }
}
