//! In-process models (a driftwatch extension): XGBoost's JSON model format (gbtree with
//! `binary:logistic`, `reg:logistic` or `reg:squarederror`) and linear / logistic models given
//! by coefficients — so a model can be explained without a shadow endpoint.

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
#[error("model {file}: {message}")]
pub struct ModelError {
    pub file: String,
    pub message: String,
}

/// A model that scores rows in-process (one output per row).
#[derive(Debug, Clone, PartialEq)]
pub enum InProcessModel {
    Linear(Linear),
    Xgboost(Xgboost),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    pub feature_names: Vec<String>,
    pub coef: Vec<f64>,
    pub intercept: f64,
    /// Logistic: the sigmoid of the linear score.
    pub logistic: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub(super) left: Vec<i32>,
    pub(super) right: Vec<i32>,
    pub(super) feature: Vec<u32>,
    /// Split threshold for inner nodes, leaf value for leaves (XGBoost stores both here).
    pub(super) condition: Vec<f32>,
    default_left: Vec<bool>,
}

/// XGBoost's split rule on a value already converted to f32: below the threshold goes left,
/// a missing (NaN) value takes the default branch.
pub(super) fn goes_left(v: f32, threshold: f32, default_left: bool) -> bool {
    if v.is_nan() {
        default_left
    } else {
        v < threshold
    }
}

impl Tree {
    /// The child node `i` sends value `x` to, as XGBoost decides: compared as f32, a missing
    /// (NaN) value takes the default branch.
    pub(super) fn child(&self, i: usize, x: f64) -> usize {
        let go_left = goes_left(x as f32, self.condition[i], self.default_left[i]);
        (if go_left { self.left[i] } else { self.right[i] }) as usize
    }

    pub(super) fn is_leaf(&self, i: usize) -> bool {
        self.left[i] == -1
    }

    /// Whether node `i` sends a missing value left.
    pub(super) fn default_left(&self, i: usize) -> bool {
        self.default_left[i]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Xgboost {
    pub feature_names: Vec<String>,
    pub num_feature: usize,
    trees: Vec<Tree>,
    /// The margin every prediction starts from (base_score in margin space).
    base_margin: f64,
    sigmoid: bool,
}

impl InProcessModel {
    /// Reads a model file: XGBoost JSON (`{"learner": …}`) or `{"type": "linear" |
    /// "logistic", "coef": [...], "intercept": x, "feature_names": [...]}`.
    pub fn from_json(text: &str, file: &str) -> Result<Self, ModelError> {
        let err = |message: String| ModelError {
            file: file.to_string(),
            message,
        };
        let v: Value =
            serde_json::from_str(text).map_err(|e| err(format!("not valid JSON: {e}")))?;
        if v.get("learner").is_some() {
            return Xgboost::from_value(&v).map(Self::Xgboost).map_err(err);
        }
        let kind = v["type"].as_str().unwrap_or("");
        let logistic = match kind {
            "logistic" => true,
            "linear" => false,
            other => {
                return Err(err(format!(
                    "unknown model type {other:?} (XGBoost JSON, or type linear | logistic)"
                )));
            }
        };
        let coef: Vec<f64> = v["coef"]
            .as_array()
            .ok_or_else(|| err("coef: a list of numbers is required".into()))?
            .iter()
            .map(|c| {
                c.as_f64()
                    .ok_or_else(|| err(format!("coef: {c} is not a number")))
            })
            .collect::<Result<_, _>>()?;
        let feature_names: Vec<String> = match v.get("feature_names").and_then(Value::as_array) {
            Some(n) => n
                .iter()
                .map(|s| s.as_str().unwrap_or_default().to_string())
                .collect(),
            None => (0..coef.len()).map(|i| format!("column_{i}")).collect(),
        };
        if feature_names.len() != coef.len() {
            return Err(err(format!(
                "{} feature_names for {} coefficients",
                feature_names.len(),
                coef.len()
            )));
        }
        Ok(Self::Linear(Linear {
            feature_names,
            coef,
            intercept: v["intercept"].as_f64().unwrap_or(0.0),
            logistic,
        }))
    }

    pub fn num_features(&self) -> usize {
        match self {
            Self::Linear(l) => l.coef.len(),
            Self::Xgboost(x) => x.num_feature,
        }
    }

    pub fn feature_names(&self) -> &[String] {
        match self {
            Self::Linear(l) => &l.feature_names,
            Self::Xgboost(x) => &x.feature_names,
        }
    }

    /// Scores `rows` (row-major, `num_features` wide).
    pub fn predict(&self, rows: &[f64]) -> Vec<f64> {
        let p = self.num_features().max(1);
        rows.chunks(p).map(|r| self.predict_row(r)).collect()
    }

    pub fn predict_row(&self, row: &[f64]) -> f64 {
        match self {
            Self::Linear(l) => {
                let z = l.intercept + l.coef.iter().zip(row).map(|(c, x)| c * x).sum::<f64>();
                if l.logistic { sigmoid(z) } else { z }
            }
            Self::Xgboost(x) => x.predict_row(row),
        }
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn numbers<T>(v: &Value, key: &str, conv: impl Fn(&Value) -> Option<T>) -> Result<Vec<T>, String> {
    v[key]
        .as_array()
        .ok_or_else(|| format!("tree.{key} is missing"))?
        .iter()
        .map(|x| conv(x).ok_or_else(|| format!("tree.{key}: {x} is not valid")))
        .collect()
}

impl Xgboost {
    fn from_value(v: &Value) -> Result<Self, String> {
        let learner = &v["learner"];
        let objective = learner["objective"]["name"].as_str().unwrap_or("");
        let sigmoid = match objective {
            "binary:logistic" | "reg:logistic" => true,
            "reg:squarederror" => false,
            other => {
                return Err(format!(
                    "objective {other:?} is not supported (binary:logistic, reg:logistic, reg:squarederror)"
                ));
            }
        };
        let params = &learner["learner_model_param"];
        let num_class: usize = params["num_class"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if num_class > 1 {
            return Err(format!(
                "multi-class models ({num_class} classes) are not supported"
            ));
        }
        // base_score is written as "5E-1" or, from XGBoost 2/3, "[5E-1]".
        let base_score: f64 = params["base_score"]
            .as_str()
            .map(|s| s.trim_matches(|c| c == '[' || c == ']'))
            .and_then(|s| s.parse().ok())
            .ok_or("learner_model_param.base_score is missing or not a number")?;
        let base_margin = if sigmoid {
            if !(0.0 < base_score && base_score < 1.0) {
                return Err(format!(
                    "base_score {base_score} must be in (0, 1) for {objective}"
                ));
            }
            (base_score / (1.0 - base_score)).ln()
        } else {
            base_score
        };
        let num_feature: usize = params["num_feature"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or("learner_model_param.num_feature is missing")?;
        let booster = &learner["gradient_booster"];
        if booster["name"].as_str() != Some("gbtree") {
            return Err(format!(
                "booster {} is not supported (gbtree)",
                booster["name"]
            ));
        }
        let trees = booster["model"]["trees"]
            .as_array()
            .ok_or("gradient_booster.model.trees is missing")?
            .iter()
            .map(|t| {
                let left = numbers(t, "left_children", |x| x.as_i64().map(|i| i as i32))?;
                let tree = Tree {
                    right: numbers(t, "right_children", |x| x.as_i64().map(|i| i as i32))?,
                    feature: numbers(t, "split_indices", |x| x.as_u64().map(|i| i as u32))?,
                    condition: numbers(t, "split_conditions", |x| x.as_f64().map(|f| f as f32))?,
                    default_left: numbers(t, "default_left", |x| {
                        x.as_i64().map(|i| i != 0).or(x.as_bool())
                    })?,
                    left,
                };
                let n = tree.left.len();
                if [
                    tree.right.len(),
                    tree.feature.len(),
                    tree.condition.len(),
                    tree.default_left.len(),
                ]
                .iter()
                .any(|&m| m != n)
                    || n == 0
                {
                    return Err("a tree's node arrays differ in length".to_string());
                }
                for i in 0..n {
                    let (l, r) = (tree.left[i], tree.right[i]);
                    if l != -1
                        && (l < 0
                            || r < 0
                            || l as usize >= n
                            || r as usize >= n
                            || l as usize <= i
                            || r as usize <= i)
                    {
                        return Err(format!("tree node {i} has invalid children {l}, {r}"));
                    }
                    if l != -1 && tree.feature[i] as usize >= num_feature {
                        return Err(format!(
                            "tree node {i} splits on feature {} of {num_feature}",
                            tree.feature[i]
                        ));
                    }
                }
                Ok(tree)
            })
            .collect::<Result<Vec<_>, String>>()?;
        let feature_names = learner["feature_names"]
            .as_array()
            .filter(|a| a.len() == num_feature)
            .map(|a| {
                a.iter()
                    .map(|s| s.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_else(|| (0..num_feature).map(|i| format!("f{i}")).collect());
        Ok(Self {
            feature_names,
            num_feature,
            trees,
            base_margin,
            sigmoid,
        })
    }

    pub(super) fn trees(&self) -> &[Tree] {
        &self.trees
    }

    /// The raw margin (log-odds for logistic objectives) summed in f64: the additive output
    /// TreeSHAP explains exactly. XGBoost's own prediction sums in f32 ([`Self::predict_row`]).
    pub fn margin_f64(&self, row: &[f64]) -> f64 {
        let mut margin = self.base_margin;
        for t in &self.trees {
            let mut i = 0usize;
            while !t.is_leaf(i) {
                i = t.child(
                    i,
                    row.get(t.feature[i] as usize).copied().unwrap_or(f64::NAN),
                );
            }
            margin += f64::from(t.condition[i]);
        }
        margin
    }

    /// XGBoost's prediction, computed as XGBoost computes it so the values are bit-identical:
    /// features compared as f32, a missing (NaN) value takes the default branch, leaf values
    /// summed in f32 onto the base margin in tree order, the sigmoid in f32.
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        let mut margin = self.base_margin_f32();
        for t in &self.trees {
            let mut i = 0usize;
            while !t.is_leaf(i) {
                i = t.child(
                    i,
                    row.get(t.feature[i] as usize).copied().unwrap_or(f64::NAN),
                );
            }
            margin += t.condition[i];
        }
        self.output(margin)
    }

    /// The margin every f32 prediction starts from.
    pub(super) fn base_margin_f32(&self) -> f32 {
        self.base_margin as f32
    }

    /// The prediction from an f32 margin summed as XGBoost sums it.
    pub(super) fn output(&self, margin: f32) -> f64 {
        if self.sigmoid {
            f64::from(1.0f32 / (1.0f32 + (-margin).exp()))
        } else {
            f64::from(margin)
        }
    }
}
