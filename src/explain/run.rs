//! One Kernel SHAP analysis: rows in, `explanations.kernel_shap` out — the baseline (in-place
//! rows, or k-means centres of the data), per-row attributions in parallel, global values by
//! `agg_method`.

use serde_json::Value;

use super::aggregate::{AggMethod, aggregate};
use super::kernel_shap::{Background, Explainer, Link, Settings, ShapError};
use super::model::InProcessModel;
use super::predictor::{PredictError, Predictor};
use super::rng::Rng;
use super::tree_coalitions::predict_coalitions;
use super::tree_shap::TreeShap;
use crate::config::analysis::{AggMethod as ConfigAgg, ShapAlgorithm, ShapBaseline, ShapConfig};

/// The attributions of one model output.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelResult {
    /// `label0`, `label1`, … or the predictor's `label_headers`.
    pub label: String,
    pub global: Vec<f64>,
    pub expected_value: f64,
    /// One row of values per record.
    pub local: Vec<Vec<f64>>,
}

/// A Kernel SHAP analysis: one entry per model output.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapResult {
    pub feature_names: Vec<String>,
    pub labels: Vec<LabelResult>,
    /// Synthetic rows the model scored.
    pub model_rows: usize,
}

impl ShapResult {
    /// `explanations_shap/out.csv`: one row per record, `<feature>_<label>` columns for every
    /// label in turn.
    pub fn local_csv(&self) -> String {
        let header: Vec<String> = self
            .labels
            .iter()
            .flat_map(|l| {
                self.feature_names
                    .iter()
                    .map(move |f| format!("{f}_{}", l.label))
            })
            .collect();
        let mut out = header.join(",");
        out.push('\n');
        let rows = self.labels.first().map_or(0, |l| l.local.len());
        for i in 0..rows {
            let cells: Vec<String> = self
                .labels
                .iter()
                .flat_map(|l| {
                    l.local[i]
                        .iter()
                        .map(|v| crate::sagemaker::pyfmt::py_float_repr(*v))
                })
                .collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }
}

fn agg(m: ConfigAgg) -> AggMethod {
    match m {
        ConfigAgg::MeanAbs => AggMethod::MeanAbs,
        ConfigAgg::Median => AggMethod::Median,
        ConfigAgg::MeanSq => AggMethod::MeanSq,
    }
}

/// The baseline rows: the config's in-place rows, or k-means centres of `rows` (seeded).
pub fn baseline_rows(
    shap: &ShapConfig,
    rows: &[Vec<f64>],
    width: usize,
) -> Result<Vec<Vec<f64>>, String> {
    match &shap.baseline {
        Some(ShapBaseline::Rows(items)) => items
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let cells = match r {
                    Value::Array(a) => a.clone(),
                    Value::Object(o) => match o.get("features") {
                        Some(Value::Array(a)) => a.clone(),
                        _ => return Err(format!("methods.shap.baseline[{i}]: expected a list of numbers or {{\"features\": [...]}}")),
                    },
                    _ => return Err(format!("methods.shap.baseline[{i}]: expected a list of numbers")),
                };
                if cells.len() != width {
                    return Err(format!("methods.shap.baseline[{i}] has {} values, expected {width} (the features)", cells.len()));
                }
                cells
                    .iter()
                    .map(|c| c.as_f64().ok_or_else(|| format!("methods.shap.baseline[{i}]: {c} is not a number")))
                    .collect()
            })
            .collect(),
        Some(ShapBaseline::Uri(u)) => Err(format!(
            "methods.shap.baseline: a baseline file ({u}) is not supported yet; give the rows in place"
        )),
        None => Ok(kmeans(rows, shap.num_clusters.unwrap_or(1).max(1) as usize, shap.seed.unwrap_or(0))),
    }
}

/// The rows of a baseline file named by `methods.shap.baseline`: CSV (numbers; a first line
/// that is not all numbers is a header) or JSON Lines (`[...]` or `{"features": [...]}` per
/// line). Returned as in-place rows.
pub fn baseline_file_rows(text: &str, name: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if t.starts_with('[') || t.starts_with('{') {
            let v: Value = serde_json::from_str(t).map_err(|e| format!("{name}:{}: {e}", i + 1))?;
            out.push(v);
            continue;
        }
        let cells: Result<Vec<f64>, _> = t.split(',').map(|c| c.trim().parse::<f64>()).collect();
        match cells {
            Ok(c) => out.push(Value::from(c)),
            Err(_) if i == 0 => {} // a header row
            Err(_) => return Err(format!("{name}:{}: not a row of numbers: {t}", i + 1)),
        }
    }
    if out.is_empty() {
        return Err(format!("{name}: no baseline rows"));
    }
    Ok(out)
}

/// Lloyd's k-means with k-means++ seeding (deterministic for a seed); empty clusters keep
/// their centre.
pub fn kmeans(rows: &[Vec<f64>], k: usize, seed: u64) -> Vec<Vec<f64>> {
    if rows.is_empty() {
        return Vec::new();
    }
    let k = k.min(rows.len());
    let mut rng = Rng::seeded(seed);
    let d2 = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>();
    let mut centres = vec![rows[rng.below(rows.len())].clone()];
    while centres.len() < k {
        let dist: Vec<f64> = rows
            .iter()
            .map(|r| {
                centres
                    .iter()
                    .map(|c| d2(r, c))
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        let total: f64 = dist.iter().sum();
        if total == 0.0 {
            break;
        }
        let p: Vec<f64> = dist.iter().map(|d| d / total).collect();
        centres.push(rows[rng.choice(&p)].clone());
    }
    for _ in 0..50 {
        let mut sums = vec![vec![0.0; rows[0].len()]; centres.len()];
        let mut counts = vec![0usize; centres.len()];
        for r in rows {
            let c = (0..centres.len())
                .min_by(|&a, &b| d2(r, &centres[a]).total_cmp(&d2(r, &centres[b])))
                .unwrap_or(0);
            counts[c] += 1;
            for (s, x) in sums[c].iter_mut().zip(r) {
                *s += x;
            }
        }
        let mut moved = false;
        for (c, (s, n)) in sums.into_iter().zip(counts).enumerate() {
            if n > 0 {
                let next: Vec<f64> = s.into_iter().map(|v| v / n as f64).collect();
                moved |= next != centres[c];
                centres[c] = next;
            }
        }
        if !moved {
            break;
        }
    }
    centres
}

/// One row's values (`[output][feature]`) and the coalitions evaluated for it.
type RowResult = (Vec<Vec<f64>>, usize);

/// Explains `rows` (features in `feature_names` order) with an in-process model.
pub fn run_shap(
    rows: &[Vec<f64>],
    feature_names: &[String],
    shap: &ShapConfig,
    algorithm: ShapAlgorithm,
    label_headers: &[String],
    model: &Predictor,
) -> Result<ShapResult, ShapError> {
    let width = feature_names.len();
    if let Some(n) = model.num_features()
        && n != width
    {
        return Err(ShapError::Invalid(format!(
            "the model takes {n} features but the data has {width} ({})",
            feature_names.join(", ")
        )));
    }
    if rows.is_empty() {
        return Err("no records to explain".into());
    }
    let background = Background::uniform(baseline_rows(shap, rows, width)?);
    if algorithm == ShapAlgorithm::Tree {
        return run_tree_shap(rows, feature_names, shap, label_headers, model, &background);
    }
    let predict = |r: &[f64]| -> Result<Vec<f64>, PredictError> { model.predict(r) };
    let settings = Settings {
        link: if shap.use_logit {
            Link::Logit
        } else {
            Link::Identity
        },
        num_samples: shap.num_samples.map(|n| n as usize),
        seed: shap.seed.unwrap_or(0),
    };
    let xgboost = match model {
        Predictor::InProcess(InProcessModel::Xgboost(m)) => Some(m),
        _ => None,
    };
    let coalitions = |x: &[f64], b: &[f64], varying: &[usize], masks: &[u64]| {
        xgboost.and_then(|m| predict_coalitions(m, x, b, varying, masks))
    };
    let explainer = Explainer::new(&predict, background, settings)?.with_coalitions(&coalitions);
    // Each row draws from its own generator (seed, row index): results do not depend on how
    // rows are split across threads.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = rows.len().div_ceil(threads).max(1);
    let outputs = explainer.outputs();
    let results: Vec<Result<Vec<RowResult>, ShapError>> = std::thread::scope(|s| {
        let handles: Vec<_> = rows
            .chunks(chunk)
            .enumerate()
            .map(|(ci, part)| {
                let explainer = &explainer;
                s.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(i, row)| {
                            let index = (ci * chunk + i) as u64;
                            let mut rng = Rng::seeded(
                                settings
                                    .seed
                                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                                    .wrapping_add(index),
                            );
                            explainer
                                .explain(row, &mut rng)
                                .map(|e| (e.phi, e.coalitions))
                                .map_err(|e| match e {
                                    ShapError::Invalid(m) => {
                                        ShapError::Invalid(format!("record {}: {m}", index + 1))
                                    }
                                    model => model,
                                })
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("an explanation thread panicked".into()))
            })
            .collect()
    });
    let mut local: Vec<Vec<Vec<f64>>> = vec![Vec::with_capacity(rows.len()); outputs];
    let mut model_rows = 0;
    for part in results {
        for (phi, coalitions) in part? {
            model_rows += coalitions * explainer_rows(&explainer);
            for (o, p) in phi.into_iter().enumerate() {
                local[o].push(p);
            }
        }
    }
    let expected = explainer.expected_values();
    let labels = local
        .into_iter()
        .enumerate()
        .map(|(o, local)| LabelResult {
            label: label_headers
                .get(o)
                .cloned()
                .unwrap_or_else(|| format!("label{o}")),
            global: aggregate(&local, agg(shap.agg_method)),
            expected_value: expected[o],
            local,
        })
        .collect();
    Ok(ShapResult {
        feature_names: feature_names.to_vec(),
        labels,
        model_rows,
    })
}

/// `driftwatch.shap_algorithm: tree`: exact TreeSHAP of an in-process XGBoost model's margin,
/// rows split over the cores.
fn run_tree_shap(
    rows: &[Vec<f64>],
    feature_names: &[String],
    shap: &ShapConfig,
    label_headers: &[String],
    model: &Predictor,
    background: &Background,
) -> Result<ShapResult, ShapError> {
    let xgb = match model {
        Predictor::InProcess(InProcessModel::Xgboost(m)) => m,
        Predictor::InProcess(InProcessModel::Linear(_)) => {
            return Err("driftwatch.shap_algorithm \"tree\" explains tree models; this in-process model is linear: use \"kernel\"".into());
        }
        Predictor::Endpoint(_) => {
            return Err("driftwatch.shap_algorithm \"tree\" needs the model in process (driftwatch.model, an XGBoost JSON file); an endpoint is explained with \"kernel\"".into());
        }
    };
    let tree = TreeShap::new(xgb, background);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = rows.len().div_ceil(threads).max(1);
    let local: Vec<Vec<f64>> = std::thread::scope(|s| {
        let handles: Vec<_> = rows
            .chunks(chunk)
            .map(|part| {
                let tree = &tree;
                s.spawn(move || part.iter().map(|r| tree.explain(r)).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| ShapError::from("a TreeSHAP thread panicked"))
            })
            .collect::<Result<Vec<_>, _>>()
    })?
    .into_iter()
    .flatten()
    .collect();
    Ok(ShapResult {
        feature_names: feature_names.to_vec(),
        labels: vec![LabelResult {
            label: label_headers
                .first()
                .cloned()
                .unwrap_or_else(|| "label0".to_string()),
            global: aggregate(&local, agg(shap.agg_method)),
            expected_value: tree.expected_value,
            local,
        }],
        model_rows: 0,
    })
}

fn explainer_rows(e: &Explainer<'_>) -> usize {
    e.background_rows()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_files_in_csv_and_json_lines() {
        let rows = baseline_file_rows("a,b\n1,2\n3,4.5\n", "b.csv").unwrap();
        assert_eq!(
            rows,
            vec![serde_json::json!([1.0, 2.0]), serde_json::json!([3.0, 4.5])]
        );
        let rows = baseline_file_rows("{\"features\": [1, 2]}\n", "b.jsonl").unwrap();
        assert_eq!(rows.len(), 1);
        assert!(
            baseline_file_rows("a,b\n1,x\n", "b.csv")
                .unwrap_err()
                .contains("b.csv:2")
        );
    }

    #[test]
    fn kmeans_finds_separated_clusters_deterministically() {
        let rows: Vec<Vec<f64>> = (0..40)
            .map(|i| vec![if i % 2 == 0 { 0.0 } else { 10.0 } + (i as f64) * 0.01])
            .collect();
        let mut c = kmeans(&rows, 2, 5);
        c.sort_by(|a, b| a[0].total_cmp(&b[0]));
        assert!(c[0][0] < 1.0 && c[1][0] > 9.0, "{c:?}");
        assert_eq!(kmeans(&rows, 2, 5), kmeans(&rows, 2, 5));
    }
}
