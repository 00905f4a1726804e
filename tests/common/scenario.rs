//! A deterministic bias-monitoring scenario laid out the way SageMaker writes it: capture
//! files under `{endpoint}/{variant}/yyyy/mm/dd/hh/`, ground truth under `yyyy/mm/dd/hh/`,
//! several hours, two variants, CSV / BASE64 / JSON multi-record payloads, `inferenceId` and
//! `eventId` keys, malformed lines, late and unmatched records, a duplicate label — plus the
//! CSV of the records that must come out of the merge, for checking the numbers against
//! `driftwatch analyze`.
#![allow(dead_code)]

use base64::Engine;
use serde_json::json;

pub const ENDPOINT: &str = "census-xgb";
/// The scheduled time the scenario is built for (window [09:00, 12:00) with a 3-hour cadence).
pub const T: &str = "2024-01-19T12:00:00Z";

/// Files to write: (prefix kind, key, contents). Kind is "capture" or "truth".
pub struct Scenario {
    pub capture: Vec<(String, String)>,
    pub truth: Vec<(String, String)>,
    /// The merged records as CSV with a header row: features, label, pred.
    pub expected_csv: String,
    pub expected_merged: usize,
    pub malformed_lines: usize,
    pub outside_window: usize,
    pub unmatched_captures: usize,
    pub unmatched_labels: usize,
}

pub const ANALYSIS_CONFIG: &str = r#"{
  "dataset_type": "text/csv",
  "headers": ["age", "sex", "hga", "hours", "label"],
  "label": "label",
  "label_values_or_threshold": [1],
  "facet": [{"name_or_index": "sex", "value_or_threshold": [2]}],
  "group_variable": "hga",
  "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
  "driftwatch": {"label_type": "categorical", "facet_types": {"sex": "categorical"}}
}"#;

/// The same analysis on the expected merged CSV (predictions in column `pred`).
pub const ANALYZE_CONFIG: &str = r#"{
  "dataset_type": "text/csv",
  "label": "label",
  "label_values_or_threshold": [1],
  "facet": [{"name_or_index": "sex", "value_or_threshold": [2]}],
  "group_variable": "hga",
  "predicted_label": "pred",
  "probability_threshold": 0.5,
  "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
  "driftwatch": {"label_type": "categorical", "facet_types": {"sex": "categorical"}}
}"#;

/// The schedules file for the scenario; `{CAPTURE}`, `{TRUTH}`, `{OUTPUT}` and `{BASELINE}`
/// are replaced by the caller.
pub const SCHEDULES: &str = r#"
schedules:
  - name: census-bias
    type: model_bias
    endpoint: census-xgb
    cadence: {daily_every_x_hours: {hour_interval: 3, starting_hour: 0}}
    data_capture: "{CAPTURE}"
    ground_truth: "{TRUTH}"
    output: "{OUTPUT}"
    analysis_config: analysis.json
    features_attribute: "instances[*].features"
    probability_attribute: "predictions[*].score"
{BASELINE}
"#;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
}

struct Row {
    age: u64,
    sex: u64,
    hga: u64,
    hours: f64,
    score: f64,
    label: u64,
}

fn row(rng: &mut Rng) -> Row {
    let sex = 1 + rng.below(2);
    let age = 18 + rng.below(60);
    let hga = rng.below(5);
    let hours = (rng.below(600) as f64) / 10.0;
    let base = 0.15 + 0.1 * hga as f64 + if sex == 1 { 0.15 } else { 0.0 };
    let score = ((base + 0.4 * (rng.unit() - 0.5)).clamp(0.001, 0.999) * 1e6).round() / 1e6;
    let label = u64::from(rng.unit() < base);
    Row {
        age,
        sex,
        hga,
        hours,
        score,
        label,
    }
}

fn features_csv(r: &Row) -> String {
    format!("{},{},{},{}", r.age, r.sex, r.hga, r.hours)
}

pub fn capture_line(
    input: (&str, &str, &str),
    output: (&str, &str, &str),
    event_id: &str,
    inference_id: Option<&str>,
    time: &str,
) -> String {
    let mut meta = json!({"eventId": event_id, "inferenceTime": time});
    if let Some(i) = inference_id {
        meta["inferenceId"] = json!(i);
    }
    json!({
        "captureData": {
            "endpointInput": {"observedContentType": input.0, "mode": "INPUT", "data": input.1, "encoding": input.2},
            "endpointOutput": {"observedContentType": output.0, "mode": "OUTPUT", "data": output.1, "encoding": output.2}
        },
        "eventMetadata": meta,
        "eventVersion": "0"
    })
    .to_string()
}

pub fn truth_line(id: &str, data: &str, encoding: &str) -> String {
    json!({"groundTruthData": {"data": data, "encoding": encoding}, "eventMetadata": {"eventId": id}, "eventVersion": "0"})
        .to_string()
}

pub fn build() -> Scenario {
    let mut rng = Rng(20240119);
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut capture = Vec::new();
    let mut truth_lines: Vec<(String, String)> = Vec::new(); // (hour folder, line)
    let mut expected = vec!["age,sex,hga,hours,label,pred".to_string()];
    let (mut merged, mut unmatched_captures) = (0, 0);
    let mut n = 0;

    // AllTraffic: CSV, one record per invocation, every 5th input BASE64-encoded.
    for hour in ["09", "10", "11"] {
        for file in 0..2 {
            let mut lines = Vec::new();
            for i in 0..25 {
                n += 1;
                let r = row(&mut rng);
                let csv = format!("{}\n", features_csv(&r));
                let input = if n % 5 == 0 {
                    ("text/csv", b64.encode(&csv), "BASE64")
                } else {
                    ("text/csv", csv.clone(), "CSV")
                };
                let event_id = format!("ev-{n}");
                let inference_id = (n % 2 == 0).then(|| format!("inf-{n}"));
                let time = format!("2024-01-19T{hour}:{:02}:{:02}Z", file * 20 + i, i);
                lines.push(capture_line(
                    (input.0, &input.1, input.2),
                    ("text/csv; charset=utf-8", &r.score.to_string(), "CSV"),
                    &event_id,
                    inference_id.as_deref(),
                    &time,
                ));
                let key = inference_id.clone().unwrap_or(event_id);
                if n % 13 == 0 {
                    unmatched_captures += 1; // no label for this one
                    continue;
                }
                truth_lines.push((
                    hour.to_string(),
                    truth_line(&key, &r.label.to_string(), "CSV"),
                ));
                expected.push(format!(
                    "{},{},{}",
                    features_csv(&r),
                    r.label,
                    u64::from(r.score > 0.5)
                ));
                merged += 1;
            }
            capture.push((
                format!(
                    "{ENDPOINT}/AllTraffic/2024/01/19/{hour}/{:02}-00-000-{file}.jsonl",
                    file * 20
                ),
                lines.join("\n") + "\n",
            ));
        }
    }
    // A late delivery: in the 11 folder, but inferred at 12:00:05, outside the window.
    let late = row(&mut rng);
    let bad_file = [
        capture_line(
            ("text/csv", &features_csv(&late), "CSV"),
            ("text/csv", "0.5", "CSV"),
            "late-1",
            None,
            "2024-01-19T12:00:05Z",
        ),
        "{\"captureData\": {not json".to_string(),
        capture_line(
            ("text/csv", "1,2,3,4", "XML"),
            ("text/csv", "0.5", "CSV"),
            "bad-2",
            None,
            "2024-01-19T11:10:00Z",
        ),
        capture_line(
            ("text/csv", "30,1,2", "CSV"),
            ("text/csv", "0.5", "CSV"),
            "bad-3",
            None,
            "2024-01-19T11:11:00Z",
        ),
        capture_line(
            ("text/csv", "%%%not base64%%%", "BASE64"),
            ("text/csv", "0.5", "CSV"),
            "bad-4",
            None,
            "2024-01-19T11:12:00Z",
        ),
    ];
    capture.push((
        format!("{ENDPOINT}/AllTraffic/2024/01/19/11/59-59-999-late.jsonl"),
        bad_file.join("\n") + "\n",
    ));
    // Outside the window's hours entirely: never listed.
    capture.push((
        format!("{ENDPOINT}/AllTraffic/2024/01/19/08/00-00-000-early.jsonl"),
        capture_line(
            ("text/csv", "1,1,1,1", "CSV"),
            ("text/csv", "0.9", "CSV"),
            "early",
            None,
            "2024-01-19T08:30:00Z",
        ) + "\n",
    ));

    // Canary: JSON, three records per invocation, labels as JSON.
    let mut canary_truth = Vec::new();
    for hour in ["10", "11"] {
        let mut lines = Vec::new();
        for i in 0..10 {
            n += 1;
            let rows: Vec<Row> = (0..3).map(|_| row(&mut rng)).collect();
            let input = json!({"instances": rows.iter().map(|r| json!({"features": [r.age, r.sex, r.hga, r.hours]})).collect::<Vec<_>>()});
            let output = json!({"predictions": rows.iter().map(|r| json!({"score": r.score, "predicted_label": u64::from(r.score > 0.5)})).collect::<Vec<_>>()});
            let id = format!("canary-{n}");
            lines.push(capture_line(
                ("application/json", &input.to_string(), "JSON"),
                ("application/json", &output.to_string(), "JSON"),
                &id,
                None,
                &format!("2024-01-19T{hour}:{:02}:00Z", 5 * i),
            ));
            let labels = json!({"label": rows.iter().map(|r| r.label).collect::<Vec<_>>()});
            canary_truth.push(truth_line(&id, &labels.to_string(), "JSON"));
            for r in &rows {
                expected.push(format!(
                    "{},{},{}",
                    features_csv(r),
                    r.label,
                    u64::from(r.score > 0.5)
                ));
                merged += 1;
            }
        }
        capture.push((
            format!("{ENDPOINT}/Canary/2024/01/19/{hour}/10-00-000-c.jsonl"),
            lines.join("\n") + "\n",
        ));
    }

    // Ground truth: per hour folder; the canary labels as one JSON-array file.
    let mut truth = Vec::new();
    for hour in ["09", "10", "11"] {
        let lines: Vec<&str> = truth_lines
            .iter()
            .filter(|(h, _)| h == hour)
            .map(|(_, l)| l.as_str())
            .collect();
        truth.push((
            format!("2024/01/19/{hour}/3000.jsonl"),
            lines.join("\n") + "\n",
        ));
    }
    let array: Vec<serde_json::Value> = canary_truth
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    truth.push((
        "2024/01/19/11/4500.jsonl".to_string(),
        serde_json::to_string(&array).unwrap(),
    ));
    // Labels for ids never captured, a malformed line, and (collected later) a relabelled
    // id: the later file wins. ev-1 was labelled in the 09 file; relabel it with the same
    // label so the expected CSV stays valid, which still exercises the duplicate warning.
    let first_label = truth_lines[0].1.clone();
    let extra = [
        truth_line("nobody-1", "1", "CSV"),
        truth_line("nobody-2", "0", "CSV"),
        "{broken".to_string(),
        first_label,
    ];
    truth.push((
        "2024/01/19/11/5959.jsonl".to_string(),
        extra.join("\n") + "\n",
    ));
    // Collected after T: not read.
    truth.push((
        "2024/01/19/12/0100.jsonl".to_string(),
        truth_line("ev-13", "1", "CSV") + "\n",
    ));

    Scenario {
        capture,
        truth,
        expected_csv: expected.join("\n") + "\n",
        expected_merged: merged,
        malformed_lines: 4 + 1,
        outside_window: 1,
        unmatched_captures,
        unmatched_labels: 2,
    }
}

/// Lays the scenario out in a local directory (`capture/`, `truth/`, `analysis.json` with
/// `analysis_config`, `schedules.yaml` with `schedule_extra` in place of `{BASELINE}`) and
/// returns the schedules file.
pub fn write_local(
    root: &std::path::Path,
    analysis_config: &str,
    schedule_extra: &str,
) -> std::path::PathBuf {
    let s = build();
    for (key, text) in s
        .capture
        .iter()
        .map(|(k, t)| (format!("capture/{k}"), t))
        .chain(s.truth.iter().map(|(k, t)| (format!("truth/{k}"), t)))
    {
        let p = root.join(key);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    std::fs::write(root.join("analysis.json"), analysis_config).unwrap();
    let yaml = SCHEDULES
        .replace("{CAPTURE}", "capture")
        .replace("{TRUTH}", "truth")
        .replace("{OUTPUT}", "output")
        .replace("{BASELINE}", schedule_extra);
    let config = root.join("schedules.yaml");
    std::fs::write(&config, yaml).unwrap();
    config
}
