//! The deploy kit's alarms and IAM policy, checked the way they will be used: the alarms of
//! `deploy/cloudformation/alarms.yaml` evaluated over the datums an hourly and a 6-hourly
//! schedule publish (one per fire, timestamped at the scheduled time), as CloudWatch
//! evaluates alarms; and the policy's grants against what executions do.

use std::collections::HashMap;

mod common;

/// One alarm's evaluation settings, read from the template (a `!Ref` is resolved to the
/// parameter's default).
#[derive(Debug, Clone)]
struct Alarm {
    name: String,
    metric: String,
    statistic: String,
    period: u64,
    evaluation_periods: usize,
    datapoints_to_alarm: usize,
    threshold: f64,
    comparison: String,
    missing: String,
    monitoring_type: Option<String>,
}

/// A reader for the template's flat shape: `Parameters:` defaults and each resource's
/// `Properties:` scalars.
fn alarms(text: &str) -> Vec<Alarm> {
    let mut defaults: HashMap<String, String> = HashMap::new();
    let mut section = "";
    let mut current_param = String::new();
    let mut resources: Vec<(String, HashMap<String, String>)> = Vec::new();
    for line in text.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            section = match line {
                "Parameters:" => "parameters",
                "Resources:" => "resources",
                _ => "",
            };
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        match (section, indent) {
            ("parameters", 2) => current_param = t.trim_end_matches(':').to_string(),
            ("parameters", 4) => {
                if let Some(v) = t.strip_prefix("Default: ") {
                    defaults.insert(current_param.clone(), v.trim_matches('"').to_string());
                }
            }
            ("resources", 2) => {
                resources.push((t.trim_end_matches(':').to_string(), HashMap::new()))
            }
            ("resources", 6) => {
                if let (Some((k, v)), Some(r)) = (t.split_once(": "), resources.last_mut()) {
                    r.1.insert(k.to_string(), v.to_string());
                }
            }
            ("resources", 8) => {
                // Dimensions: `- {Name: MonitoringType, Value: ModelBias}`
                if let (Some(rest), Some(r)) = (
                    t.strip_prefix("- {Name: MonitoringType, Value: "),
                    resources.last_mut(),
                ) {
                    r.1.insert("MonitoringType".into(), rest.trim_end_matches('}').into());
                }
            }
            _ => {}
        }
    }
    let resolve = |v: &str| -> String {
        match v.strip_prefix("!Ref ") {
            Some(p) => defaults
                .get(p)
                .cloned()
                .unwrap_or_else(|| panic!("parameter {p} has no default")),
            None => v.to_string(),
        }
    };
    resources
        .into_iter()
        .map(|(name, p)| {
            let get = |k: &str| resolve(p.get(k).unwrap_or_else(|| panic!("{name}: no {k}")));
            let evaluation_periods: usize = get("EvaluationPeriods").parse().unwrap();
            Alarm {
                metric: get("MetricName"),
                statistic: get("Statistic"),
                period: get("Period").parse().unwrap(),
                evaluation_periods,
                datapoints_to_alarm: p
                    .get("DatapointsToAlarm")
                    .map_or(evaluation_periods, |v| resolve(v).parse().unwrap()),
                threshold: get("Threshold").parse().unwrap(),
                comparison: get("ComparisonOperator"),
                missing: get("TreatMissingData"),
                monitoring_type: p.get("MonitoringType").cloned(),
                name,
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

/// CloudWatch's evaluation of `alarm` at the end of each period over `datums` (timestamp in
/// seconds, value), for `periods` periods: the last `evaluation_periods` periods' statistic,
/// missing ones treated per `TreatMissingData`, ALARM when at least `datapoints_to_alarm`
/// breach. Returns the state after each period.
fn evaluate(alarm: &Alarm, datums: &[(u64, f64)], periods: u64) -> Vec<AlarmState> {
    let stat = |p: u64| -> Option<f64> {
        let vals: Vec<f64> = datums
            .iter()
            .filter(|(t, _)| t / alarm.period == p)
            .map(|(_, v)| *v)
            .collect();
        if vals.is_empty() {
            return None;
        }
        Some(match alarm.statistic.as_str() {
            "Maximum" => vals.iter().copied().fold(f64::MIN, f64::max),
            "Minimum" => vals.iter().copied().fold(f64::MAX, f64::min),
            "SampleCount" => vals.len() as f64,
            s => panic!("statistic {s}"),
        })
    };
    let breaches = |v: f64| match alarm.comparison.as_str() {
        "GreaterThanThreshold" => v > alarm.threshold,
        "GreaterThanOrEqualToThreshold" => v >= alarm.threshold,
        "LessThanThreshold" => v < alarm.threshold,
        c => panic!("comparison {c}"),
    };
    let mut state = AlarmState::InsufficientData;
    let mut out = Vec::new();
    for end in 0..periods {
        let window: Vec<Option<f64>> = (0..alarm.evaluation_periods as u64)
            .filter_map(|k| end.checked_sub(k))
            .map(stat)
            .collect();
        let mut breaching = 0;
        let mut present = 0;
        for v in &window {
            match (v, alarm.missing.as_str()) {
                (Some(v), _) => {
                    present += 1;
                    breaching += usize::from(breaches(*v));
                }
                (None, "breaching") => breaching += 1,
                (None, "notBreaching" | "ignore" | "missing") => {}
                (None, m) => panic!("TreatMissingData {m}"),
            }
        }
        state = if breaching >= alarm.datapoints_to_alarm {
            AlarmState::Alarm
        } else if present == 0 && alarm.missing == "ignore" {
            state
        } else {
            AlarmState::Ok
        };
        out.push(state);
    }
    out
}

/// ExecutionFailed datums of a schedule firing every `every` hours for `hours` hours, with
/// the fires in `failed` failing and none in `stopped` (hours).
fn health(
    every: u64,
    hours: u64,
    failed: &[u64],
    stopped: std::ops::Range<u64>,
) -> Vec<(u64, f64)> {
    (0..hours)
        .filter(|h| h % every == 0 && !stopped.contains(h))
        .map(|h| (h * 3600, if failed.contains(&h) { 1.0 } else { 0.0 }))
        .collect()
}

fn template() -> Vec<Alarm> {
    let text = std::fs::read_to_string(common::repo_path("deploy/cloudformation/alarms.yaml"))
        .expect("the template");
    alarms(&text)
}

fn health_alarms(monitoring_type: &str) -> (Alarm, Alarm) {
    let all = template();
    let of = |stat: &str| {
        all.iter()
            .find(|a| {
                a.metric == "ExecutionFailed"
                    && a.statistic == stat
                    && a.monitoring_type.as_deref() == Some(monitoring_type)
            })
            .cloned()
            .unwrap_or_else(|| panic!("no {stat} ExecutionFailed alarm for {monitoring_type}"))
    };
    (of("Maximum"), of("SampleCount"))
}

#[test]
fn health_alarms_stay_ok_between_fires_and_fire_on_failures_and_stops() {
    // The bias schedule's defaults are for an hourly schedule, the explainability one's for
    // every 6 hours (the demo's cadences).
    for (kind, every) in [("ModelBias", 1), ("ModelExplainability", 6)] {
        let (failed, stopped) = health_alarms(kind);
        let hours = 72;
        let healthy = health(every, hours, &[], 0..0);
        for a in [&failed, &stopped] {
            let states = evaluate(a, &healthy, hours);
            assert!(
                states[every as usize + 1..]
                    .iter()
                    .all(|s| *s == AlarmState::Ok),
                "{}: a healthy every-{every}h schedule leaves OK: {states:?}",
                a.name
            );
        }
        // One failed execution: the failure alarm fires in its hour; stopping does not.
        let fail_at = 24;
        let with_failure = health(every, hours, &[fail_at], 0..0);
        let states = evaluate(&failed, &with_failure, hours);
        assert_eq!(
            states[fail_at as usize],
            AlarmState::Alarm,
            "{}",
            failed.name
        );
        assert!(
            evaluate(&stopped, &with_failure, hours)[every as usize + 1..]
                .iter()
                .all(|s| *s == AlarmState::Ok),
            "{}",
            stopped.name
        );
        // No execution from hour 30 on: the stopped alarm fires within interval + 1 hours.
        let gone = health(every, hours, &[], 30..hours);
        let states = evaluate(&stopped, &gone, hours);
        let fired = states.iter().position(|s| *s == AlarmState::Alarm);
        let last_fire = (0..30).rev().find(|h| h % every == 0).unwrap();
        assert_eq!(
            fired,
            Some((last_fire + every + 1) as usize),
            "{}: {states:?}",
            stopped.name
        );
    }
}

#[test]
fn drift_alarms_hold_their_state_between_fires() {
    let all = template();
    for metric in ["bias_metric_DPPL", "AttributionNDCG"] {
        let a = all.iter().find(|a| a.metric == metric).unwrap();
        assert_eq!(a.missing, "ignore", "{}", a.name);
        // Fine at hour 0, drifted at hour 6, then nothing until the next fire at hour 12:
        // the alarm goes off at 6 and stays in ALARM in between.
        let (fine, drifted) = if metric == "AttributionNDCG" {
            (0.99, 0.5)
        } else {
            (0.0, 0.9)
        };
        let states = evaluate(a, &[(0, fine), (6 * 3600, drifted)], 12);
        assert!(
            states[..6].iter().all(|s| *s == AlarmState::Ok),
            "{}: {states:?}",
            a.name
        );
        assert!(
            states[6..].iter().all(|s| *s == AlarmState::Alarm),
            "{}: {states:?}",
            a.name
        );
    }
}

#[test]
fn the_policy_grants_what_executions_do_and_nothing_on_production_endpoints() {
    let policy: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::repo_path("deploy/iam/policy.json")).unwrap(),
    )
    .unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    let grants = |action: &str| -> Vec<String> {
        statements
            .iter()
            .filter(|s| {
                let a = &s["Action"];
                a == action || a.as_array().is_some_and(|l| l.iter().any(|x| x == action))
            })
            .flat_map(|s| match &s["Resource"] {
                serde_json::Value::Array(l) => {
                    l.iter().map(|r| r.as_str().unwrap().to_string()).collect()
                }
                r => vec![r.as_str().unwrap().to_string()],
            })
            .collect()
    };
    // Analysis configs and the schedules file may live in S3.
    assert!(
        grants("s3:GetObject")
            .iter()
            .any(|r| r.ends_with("/configs/*"))
    );
    // KMS-encrypted capture (SageMaker's KmsKeyId) is readable.
    assert!(!grants("kms:Decrypt").is_empty());
    // Kernel SHAP sends synthetic rows: only to a shadow endpoint, never the production one.
    let invoke = grants("sagemaker:InvokeEndpoint");
    assert!(!invoke.is_empty());
    assert!(invoke.iter().all(|r| r.ends_with("-shadow")), "{invoke:?}");
}

#[test]
fn the_ray_kit_validates_and_its_ray_versions_agree() {
    // The daemon's schedules file for the KubeRay cluster is a valid driftwatch config.
    let config = common::repo_path("deploy/ray/schedules.yaml");
    let r = common::driftwatch(&["validate", "--config", config.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // One Ray version across the image, the cluster and the tests' cluster (scripts/ray).
    let read = |p: &str| std::fs::read_to_string(common::repo_path(p)).unwrap();
    let pinned = read("scripts/ray")
        .lines()
        .find_map(|l| l.strip_prefix("RAY_VERSION=\""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("scripts/ray pins RAY_VERSION")
        .to_string();
    let cluster = read("deploy/ray/raycluster.yaml");
    assert!(
        cluster.contains(&format!("rayVersion: \"{pinned}\"")),
        "raycluster.yaml's rayVersion is not {pinned}"
    );
    let dockerfile = read("deploy/ray/Dockerfile");
    let images: Vec<&str> = dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("FROM rayproject/ray:"))
        .collect();
    assert_eq!(images.len(), 2, "{dockerfile}");
    assert!(
        images.iter().all(|i| i.starts_with(&format!("{pinned}-"))),
        "{images:?} vs {pinned}"
    );
    // The head's service name KubeRay derives from the cluster's name.
    let name = cluster
        .lines()
        .find_map(|l| l.trim().strip_prefix("name: "))
        .expect("metadata.name");
    assert!(
        read("deploy/ray/schedules.yaml").contains(&format!("http://{name}-head-svc.")),
        "schedules.yaml does not point at {name}-head-svc"
    );
}
