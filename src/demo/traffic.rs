//! The demo's endpoint traffic: records drawn from the census sample, scored by the model, and
//! written in SageMaker's data-capture and ground-truth layouts, hour by hour. The last hours
//! carry injected drift.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};
use serde_json::json;

use super::assets::{ENDPOINT, Person, col};
use crate::explain::model::InProcessModel;
use crate::explain::rng::Rng;
use crate::sagemaker::time::format_utc;

/// How traffic changes in the drifted hours.
///
/// - Bias drift: the gap between men's and women's outcomes widens — women's labels over
///   $50k are kept with probability 0.1 only, 40 % of men's labels under $50k become over
///   (pre-training DPL/KL/CDDL/… move; post-training metrics that compare predictions with
///   labels, AD/DCR/DRR/RD/…, too), and women's records lose full-time status, 20 usual
///   hours a week and half their weeks worked, so the model scores them lower.
/// - Attribution drift: most traffic turns to young, never-married high-school graduates
///   with few weeks worked. Education (A_HGA), the feature the model leans on most, then
///   equals the SHAP baseline record's value for most rows and stops contributing: the
///   ranking of global SHAP values changes and nDCG falls below 0.9.
pub struct Drift {
    pub from_hour: usize,
}

fn drifted(p: &mut Person, rng: &mut Rng) {
    let sex = p.features[col("A_SEX")];
    if sex == 1.0 && p.label == 0 && rng.unit() < 0.4 {
        p.label = 1;
    }
    if sex == 2.0 {
        if p.label == 1 && rng.unit() > 0.1 {
            p.label = 0;
        }
        p.features[col("A_FTLF")] = 0.0;
        let h = &mut p.features[col("A_USLHRS")];
        *h = (*h - 20.0).max(0.0);
        let w = &mut p.features[col("WKSWORK")];
        *w = (*w / 2.0).floor();
    }
    if rng.unit() < 0.8 {
        p.features[col("A_HGA")] = 39.0;
        p.features[col("A_AGE")] = 18.0 + rng.below(10) as f64;
        p.features[col("WKSWORK")] = rng.below(27) as f64;
        p.features[col("A_MARITL")] = 7.0;
    }
}

/// Requests in hour `h` (of the day): a daily swing around `rate`.
fn requests_in_hour(rate: usize, hour_of_day: u32) -> usize {
    let phase = (f64::from(hour_of_day) - 15.0) / 24.0 * std::f64::consts::TAU;
    ((rate as f64) * (1.0 + 0.3 * phase.cos())).round().max(1.0) as usize
}

fn hour_folder(t: DateTime<Utc>) -> String {
    format!(
        "{:04}/{:02}/{:02}/{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour()
    )
}

fn write(path: &Path, text: &str) -> Result<(), super::DemoError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| super::DemoError::io(parent, e))?;
    }
    std::fs::write(path, text).map_err(|e| super::DemoError::io(path, e))
}

/// Writes `hours` hours of capture and ground truth ending at `end` into `dir/capture` and
/// `dir/ground-truth`. Returns the number of records.
/// What traffic to write.
pub struct Spec {
    pub end: DateTime<Utc>,
    pub hours: usize,
    /// Mean requests per hour.
    pub rate: usize,
    pub drift: Drift,
    pub seed: u64,
}

pub fn write_traffic(
    dir: &Path,
    pool: &[Person],
    model: &InProcessModel,
    spec: &Spec,
) -> Result<usize, super::DemoError> {
    let Spec {
        end,
        hours,
        rate,
        ref drift,
        seed,
    } = *spec;
    let mut total = 0;
    let start = end - TimeDelta::hours(hours as i64);
    for h in 0..hours {
        // One generator per hour: an hour's traffic depends on the seed and its index only.
        let mut rng = Rng::seeded(seed.wrapping_mul(1_000_003).wrapping_add(h as u64));
        let hour = start + TimeDelta::hours(h as i64);
        let n = requests_in_hour(rate, hour.hour());
        let mut files = [String::new(), String::new()];
        let mut truth = String::new();
        for i in 0..n {
            let mut p = pool[rng.below(pool.len())];
            if h >= drift.from_hour {
                drifted(&mut p, &mut rng);
            }
            let score = model.predict_row(&p.features);
            let at = hour + TimeDelta::milliseconds((i as i64) * 3_600_000 / n as i64);
            let id = format!("{}-{h:02}-{i:04}", seed);
            let csv = p
                .features
                .iter()
                .map(|v| format!("{v}"))
                .collect::<Vec<_>>()
                .join(",");
            let line = json!({
                "captureData": {
                    "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                        "data": csv, "encoding": "CSV"},
                    "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                        "data": format!("{score}"), "encoding": "CSV"}
                },
                "eventMetadata": {"eventId": format!("ev-{id}"), "inferenceId": format!("inf-{id}"),
                    "inferenceTime": at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()},
                "eventVersion": "0"
            });
            let _ = writeln!(files[usize::from(i >= n / 2)], "{line}");
            let label = json!({
                "groundTruthData": {"data": p.label.to_string(), "encoding": "CSV"},
                "eventMetadata": {"eventId": format!("inf-{id}")},
                "eventVersion": "0"
            });
            let _ = writeln!(truth, "{label}");
        }
        total += n;
        let folder = hour_folder(hour);
        let cap = dir
            .join("capture")
            .join(ENDPOINT)
            .join("AllTraffic")
            .join(&folder);
        write(&cap.join("00-00-000-demo-a.jsonl"), &files[0])?;
        write(&cap.join("30-00-000-demo-b.jsonl"), &files[1])?;
        write(
            &dir.join("ground-truth").join(&folder).join("labels.jsonl"),
            &truth,
        )?;
    }
    tracing::debug!(records = total, from = %format_utc(start), "demo traffic written");
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_swings_around_the_rate() {
        let all: Vec<usize> = (0..24).map(|h| requests_in_hour(100, h)).collect();
        assert_eq!(all[15], 130);
        assert_eq!(all[3], 70);
        assert_eq!(all.iter().sum::<usize>(), 2400);
    }
}
