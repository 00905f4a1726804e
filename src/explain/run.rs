//! One Kernel SHAP analysis: rows in, `explanations.kernel_shap` out — the baseline (in-place
//! rows, or k-means centres of the data), per-row attributions in parallel, global values by
//! `agg_method`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::aggregate::{AggMethod, aggregate};
use super::kernel_shap::{Background, Explainer, Link, Masks, Settings, ShapError};
use super::model::InProcessModel;
use super::predictor::{PredictError, Predictor};
use super::rng::Rng;
use super::tree_coalitions::predict_coalitions;
use super::tree_shap::TreeShap;
use crate::config::analysis::{
    AggMethod as ConfigAgg, ColumnRef, ShapAlgorithm, ShapBaseline, ShapConfig,
};

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
            let cells = self.labels.iter().flat_map(|l| l.local[i].iter());
            for (k, v) in cells.enumerate() {
                if k > 0 {
                    out.push(',');
                }
                crate::sagemaker::pyfmt::push_py_float_repr(&mut out, *v);
            }
            out.push('\n');
        }
        out
    }
}

/// Kernel SHAP's settings from `methods.shap`: the link, the budget and the seed (default 0).
pub(crate) fn kernel_settings(shap: &ShapConfig) -> Settings {
    Settings {
        link: if shap.use_logit {
            Link::Logit
        } else {
            Link::Identity
        },
        num_samples: shap.num_samples.map(|n| n as usize),
        seed: shap.seed.unwrap_or(0),
    }
}

pub(crate) fn agg(m: ConfigAgg) -> AggMethod {
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
            Err(_) => {
                return Err(format!(
                    "{name}:{}: not a row of numbers: {t} (a text model's baseline rows are JSON, one per line: [\"[MASK]\", 3])",
                    i + 1
                ));
            }
        }
    }
    if out.is_empty() {
        return Err(format!(
            "{name}: no baseline rows (a first line that is not numbers is read as a header; a text model's baseline rows are JSON, one per line: [\"[MASK]\", 3])"
        ));
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

/// The columns `methods.shap.features_to_explain` names among the model's features, ascending;
/// `None`: every feature (also when the list names them all).
pub fn explained_columns(
    shap: &ShapConfig,
    feature_names: &[String],
) -> Result<Option<Vec<usize>>, ShapError> {
    let Some(list) = &shap.features_to_explain else {
        return Ok(None);
    };
    let mut columns = list
        .iter()
        .enumerate()
        .map(|(i, c)| match c {
            ColumnRef::Name(n) => feature_names.iter().position(|f| f == n).ok_or_else(|| {
                ShapError::Invalid(format!(
                    "methods.shap.features_to_explain[{i}]: {n:?} is not a feature the model takes (features: {})",
                    feature_names.join(", ")
                ))
            }),
            ColumnRef::Index(j) if *j < feature_names.len() => Ok(*j),
            ColumnRef::Index(j) => Err(ShapError::Invalid(format!(
                "methods.shap.features_to_explain[{i}]: index {j} is beyond the {} features (indices count the model's features from 0)",
                feature_names.len()
            ))),
        })
        .collect::<Result<Vec<usize>, _>>()?;
    columns.sort_unstable();
    columns.dedup();
    Ok((columns.len() < feature_names.len()).then_some(columns))
}

/// One row's values (`[output][feature]`) and the coalitions evaluated for it.
type RowResult = (Vec<Vec<f64>>, usize);

/// Explains `rows` (features in `feature_names` order) with an in-process model or an
/// endpoint: [`shap_background`], [`explain_part`] over every row, [`assemble`].
pub fn run_shap(
    rows: &[Vec<f64>],
    feature_names: &[String],
    shap: &ShapConfig,
    algorithm: ShapAlgorithm,
    label_headers: &[String],
    model: &Predictor,
) -> Result<ShapResult, ShapError> {
    let background = shap_background(rows, feature_names, shap, model)?;
    let part = explain_part(rows, 0, &background, feature_names, shap, algorithm, model)?;
    assemble(vec![part], feature_names, shap, label_headers)
}

/// The background rows every explanation of `rows` is made against (the config's in-place
/// rows, or k-means centres of all of `rows`), once the model and the data agree on the
/// features: computed once per execution, so rows explained apart (shards) share it.
pub fn shap_background(
    rows: &[Vec<f64>],
    feature_names: &[String],
    shap: &ShapConfig,
    model: &Predictor,
) -> Result<Vec<Vec<f64>>, ShapError> {
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
    explained_columns(shap, feature_names)?;
    Ok(baseline_rows(shap, rows, width)?)
}

/// The attributions of a contiguous part of the rows: what a shard computes and the
/// coordinator concatenates. Values travel as IEEE bits (exact, and NaN survives JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShapPart {
    /// Where the part starts among all the rows explained (each row's sampling generator is
    /// seeded by this index, so a row's values do not depend on the split).
    pub first: usize,
    pub rows: usize,
    pub outputs: usize,
    pub features: usize,
    /// `[row][output][feature]`, flattened, as `f64::to_bits`.
    pub phi_bits: Vec<u64>,
    pub expected_bits: Vec<u64>,
    /// Synthetic rows the model scored.
    pub model_rows: usize,
}

impl ShapPart {
    fn new(first: usize, features: usize, expected: &[f64]) -> Self {
        Self {
            first,
            rows: 0,
            outputs: expected.len(),
            features,
            phi_bits: Vec::new(),
            expected_bits: expected.iter().map(|v| v.to_bits()).collect(),
            model_rows: 0,
        }
    }

    fn push(&mut self, phi: &[Vec<f64>]) {
        for output in phi {
            self.phi_bits.extend(output.iter().map(|v| v.to_bits()));
        }
        self.rows += 1;
    }

    /// Row `i` of the part, output `o`.
    fn phi(&self, i: usize, o: usize) -> Vec<f64> {
        let at = (i * self.outputs + o) * self.features;
        self.phi_bits[at..at + self.features]
            .iter()
            .map(|b| f64::from_bits(*b))
            .collect()
    }

    fn is_consistent(&self) -> bool {
        self.phi_bits.len() == self.rows * self.outputs * self.features
            && self.expected_bits.len() == self.outputs
    }
}

/// Explains `rows`, the part of all the rows that starts at `first`, against `background`,
/// rows split over the cores.
pub fn explain_part(
    rows: &[Vec<f64>],
    first: usize,
    background: &[Vec<f64>],
    feature_names: &[String],
    shap: &ShapConfig,
    algorithm: ShapAlgorithm,
    model: &Predictor,
) -> Result<ShapPart, ShapError> {
    let width = background.first().or(rows.first()).map_or(0, Vec::len);
    let background = Background::uniform(background.to_vec());
    let explained = explained_columns(shap, feature_names)?;
    if algorithm == ShapAlgorithm::Tree {
        if explained.is_some() {
            return Err(ShapError::Invalid(
                "methods.shap.features_to_explain: driftwatch.shap_algorithm \"tree\" explains every feature (exact TreeSHAP of the whole model); leave one of them out".into(),
            ));
        }
        return tree_part(rows, first, width, model, &background);
    }
    let predict = |r: &[f64]| -> Result<Vec<f64>, PredictError> { model.predict(r) };
    let settings = kernel_settings(shap);
    let xgboost = match model {
        Predictor::InProcess(InProcessModel::Xgboost(m)) => Some(m),
        _ => None,
    };
    let coalitions = |x: &[f64], b: &[f64], varying: &[usize], masks: &Masks| {
        xgboost.and_then(|m| predict_coalitions(m, x, b, varying, masks))
    };
    let mut explainer =
        Explainer::new(&predict, background, settings)?.with_coalitions(&coalitions);
    if let Some(columns) = explained {
        explainer = explainer.with_explained(columns);
    }
    // Each row draws from its own generator (seed, row index): results do not depend on how
    // rows are split across threads or shards.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = rows.len().div_ceil(threads).max(1);
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
                            let index = (first + ci * chunk + i) as u64;
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
    let mut out = ShapPart::new(first, width, &explainer.expected_values());
    for part in results {
        for (phi, coalitions) in part? {
            out.model_rows += coalitions * explainer_rows(&explainer);
            out.push(&phi);
        }
    }
    Ok(out)
}

/// The analysis of every row from its parts, in row order: local values concatenated, global
/// values aggregated over all of them (the same sums in the same order however the rows were
/// split).
pub fn assemble(
    mut parts: Vec<ShapPart>,
    feature_names: &[String],
    shap: &ShapConfig,
    label_headers: &[String],
) -> Result<ShapResult, ShapError> {
    parts.sort_by_key(|p| p.first);
    let Some(head) = parts.first() else {
        return Err("no records to explain".into());
    };
    let (outputs, expected_bits) = (head.outputs, head.expected_bits.clone());
    let mut next = 0;
    for p in &parts {
        if p.first != next
            || !p.is_consistent()
            || p.outputs != outputs
            || p.features != feature_names.len()
            || p.expected_bits != expected_bits
        {
            return Err(ShapError::Invalid(format!(
                "the explained parts do not fit together at row {} (rows {}..{}, {} outputs × {} features; expected row {next}, {outputs} outputs × {} features, the same expected values)",
                p.first,
                p.first,
                p.first + p.rows,
                p.outputs,
                p.features,
                feature_names.len()
            )));
        }
        next += p.rows;
    }
    let mut local: Vec<Vec<Vec<f64>>> = vec![Vec::with_capacity(next); outputs];
    let mut model_rows = 0;
    for p in &parts {
        model_rows += p.model_rows;
        for i in 0..p.rows {
            for (o, l) in local.iter_mut().enumerate() {
                l.push(p.phi(i, o));
            }
        }
    }
    // Only the features explained are reported: the others have no value, not a zero.
    let (feature_names, local) = match explained_columns(shap, feature_names)? {
        None => (feature_names.to_vec(), local),
        Some(columns) => (
            columns.iter().map(|&j| feature_names[j].clone()).collect(),
            local
                .into_iter()
                .map(|rows| {
                    rows.into_iter()
                        .map(|r| columns.iter().map(|&j| r[j]).collect())
                        .collect()
                })
                .collect(),
        ),
    };
    let labels = local
        .into_iter()
        .enumerate()
        .map(|(o, local)| LabelResult {
            label: label_headers
                .get(o)
                .cloned()
                .unwrap_or_else(|| format!("label{o}")),
            global: aggregate(&local, agg(shap.agg_method)),
            expected_value: f64::from_bits(expected_bits[o]),
            local,
        })
        .collect();
    Ok(ShapResult {
        feature_names,
        labels,
        model_rows,
    })
}

/// `driftwatch.shap_algorithm: tree`: exact TreeSHAP of an in-process XGBoost model's margin,
/// rows split over the cores.
fn tree_part(
    rows: &[Vec<f64>],
    first: usize,
    width: usize,
    model: &Predictor,
    background: &Background,
) -> Result<ShapPart, ShapError> {
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
    // The first part on this thread, the others on their own.
    let mut parts = rows.chunks(chunk);
    let own = parts.next().unwrap_or_default();
    let tree = &tree;
    let local = std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .map(|part| s.spawn(move || tree.explain_rows(part)))
            .collect();
        let mut all = tree.explain_rows(own);
        for h in handles {
            let part = h
                .join()
                .map_err(|_| ShapError::from("a TreeSHAP thread panicked"))?;
            all.extend(part);
        }
        Ok::<_, ShapError>(all)
    })?;
    let mut out = ShapPart::new(first, width, &[tree.expected_value]);
    for phi in local {
        out.push(&[phi]);
    }
    Ok(out)
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
