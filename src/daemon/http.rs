//! The read-only status endpoint: `/healthz`, `/readyz`, `/schedules`,
//! `/executions?schedule=&limit=`, `/metrics` (Prometheus text format).

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Query, State as AxState};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde_json::json;

use super::state::{DURATION_BUCKETS, State};
use crate::sagemaker::time::format_utc;

fn json_response(v: serde_json::Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

async fn readyz(AxState(s): AxState<Arc<State>>) -> Response {
    if s.ready.load(Ordering::Relaxed) {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "starting: catching up\n").into_response()
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
                "endpoint": sc.endpoint.as_str(),
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
    let limit = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(50usize);
    let list = s.executions(q.get("schedule").map(String::as_str), limit);
    json_response(json!({"executions": list}))
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
    family(
        &mut out,
        "driftwatch_last_success_scheduled_time_seconds",
        "gauge",
        "Scheduled time (Unix seconds) of the last successful execution.",
        m.last_success
            .iter()
            .map(|(k, t)| (k.clone(), t.timestamp())),
    );
    family(
        &mut out,
        "driftwatch_seconds_since_last_success",
        "gauge",
        "Seconds since the scheduled time of the last successful execution.",
        m.last_success
            .iter()
            .map(|(k, t)| (k.clone(), (now - *t).num_seconds())),
    );
    drop(m);
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
