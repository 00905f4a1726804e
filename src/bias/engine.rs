//! One bias analysis: resolves the label, prediction and facet columns of a frame, selects
//! rows as smclarify does, and computes every requested metric per facet value.
//!
//! Where smclarify would raise for a whole report (a label threshold that is not a number, no
//! positive prediction, a continuous facet without threshold), driftwatch writes the affected
//! metrics as errors with smclarify's message and still computes everything else.

use polars::prelude::*;

use super::counts::{self, Cells, GroupCells, GroupSlots, JointCounts};
use super::flip_test::{Features, flip_test};
use super::metrics::{self, MetricValue};
use super::select::{self, categorical_mask, infer_type, joined, threshold_mask, threshold_of};
use super::values::{Values, Weights, count_selected};
use crate::config::analysis::{
    AnalysisConfig, ColumnRef, ColumnType, ConfigScalar, POST_TRAINING_METRICS,
    PRE_TRAINING_METRICS,
};
use crate::config::node::did_you_mean;

/// A column with at most this many distinct values is "few" for the type-inference warning.
const FEW_DISTINCT: usize = 10;

#[derive(Debug, Clone, PartialEq)]
pub struct MetricResult {
    pub name: &'static str,
    pub value: MetricValue,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FacetReport {
    pub value_or_threshold: String,
    pub metrics: Vec<MetricResult>,
    /// The counts every metric but FT was computed from (none when the entry failed as a
    /// whole): what the bootstrap resamples.
    pub joint: Option<JointCounts>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageReport {
    pub label: String,
    pub label_value_or_threshold: String,
    /// Facet column name → one entry per facet value (or threshold), in config order.
    pub facets: Vec<(String, Vec<FacetReport>)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BiasAnalysis {
    pub pre_training: Option<StageReport>,
    pub post_training: Option<StageReport>,
    /// Things a user must know to trust the numbers (type inference surprises, selections
    /// that match nothing). They reach stderr and analysis.json's `driftwatch` block.
    pub warnings: Vec<String>,
    /// Column role → the type used (`label`, `predicted_label`, `facet:NAME`).
    pub types: Vec<(String, ColumnType)>,
    /// Rows with a positive label (None when the label selection itself failed).
    pub label_positives: Option<usize>,
    /// When no label is positive: the label column's distinct values (up to 20, as
    /// `str()`), for messages.
    pub label_examples: Vec<String>,
}

/// Input problems that make the analysis impossible (exit 2 in `analyze`).
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BiasError {
    #[error("{role} column {column:?} is not in the dataset{hint}; columns: {available}")]
    MissingColumn {
        role: String,
        column: String,
        hint: String,
        available: String,
    },
    #[error("{role} column index {index} is out of range: the dataset has {count} columns")]
    IndexOutOfRange {
        role: String,
        index: usize,
        count: usize,
    },
    #[error(
        "post_training_bias needs predicted labels: set predicted_label in the analysis config"
    )]
    NoPredictions,
    #[error("the dataset has no rows")]
    Empty,
    #[error("counting failed: {0}")]
    Polars(String),
}

impl From<PolarsError> for BiasError {
    fn from(e: PolarsError) -> Self {
        Self::Polars(e.to_string())
    }
}

/// The column driftwatch adds for predictions it obtained itself (from captured model
/// outputs, or by calling the model); not a SageMaker name: it never appears in outputs.
pub const PREDICTION_COLUMN: &str = "__driftwatch_predicted_label";

/// Where predictions come from, when not from the config's `predicted_label`.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionSource {
    pub column: String,
}

/// Resolves a configured column to a frame column name.
pub fn resolve(frame: &DataFrame, role: &str, c: &ColumnRef) -> Result<String, BiasError> {
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    match c {
        ColumnRef::Name(n) if names.contains(n) => Ok(n.clone()),
        ColumnRef::Name(n) => Err(BiasError::MissingColumn {
            role: role.into(),
            column: n.clone(),
            hint: did_you_mean(n, &names.iter().map(String::as_str).collect::<Vec<_>>())
                .map(|s| format!(" (did you mean {s:?}?)"))
                .unwrap_or_default(),
            available: names.join(", "),
        }),
        ColumnRef::Index(i) => names.get(*i).cloned().ok_or(BiasError::IndexOutOfRange {
            role: role.into(),
            index: *i,
            count: names.len(),
        }),
    }
}

fn values_of(frame: &DataFrame, name: &str) -> Result<Values, BiasError> {
    let col = frame.column(name)?;
    Values::from_column(col).map_err(BiasError::Polars)
}

/// The positive-label selection: a mask, or the error that voids a whole stage.
struct LabelSelection {
    ty: ColumnType,
    mask: Result<Vec<bool>, String>,
    text: String,
    /// Numeric label values (for continuous predicted labels).
    numeric: Vec<f64>,
    is_int: bool,
    pinned: bool,
}

fn select_label(
    name: &str,
    values: &Values,
    configured: &[ConfigScalar],
    pinned: Option<ColumnType>,
    w: Weights<'_>,
    warnings: &mut Vec<String>,
) -> LabelSelection {
    let ty = pinned.unwrap_or_else(|| infer_type(values, Some(configured), w));
    let numeric = values.as_f64();
    let is_int = matches!(values, Values::Int(_)) || values.strings_all_int();
    if pinned.is_none() {
        warn_if_surprising("label", name, values, configured, ty, w, warnings);
    }
    let (mask, text) = match ty {
        ColumnType::Categorical => (categorical_mask(values, configured), joined(configured)),
        ColumnType::Continuous => match threshold_of(Some(configured)) {
            Ok(thr) => {
                let sel = threshold_mask(&numeric, &numeric, &thr, is_int);
                (Ok(sel.mask), sel.interval)
            }
            Err(e) => (Err(e), String::new()),
        },
    };
    if let Ok(m) = &mask {
        let pos = m.iter().filter(|x| **x).count();
        if pos == 0 && !m.is_empty() {
            warnings.push(format!(
                "label_values_or_threshold {} selects no row of label column {name:?} ({} type): every label counts as negative",
                joined(configured),
                type_name(ty)
            ));
        }
    }
    LabelSelection {
        ty,
        mask,
        text,
        numeric,
        is_int,
        pinned: pinned.is_some(),
    }
}

fn type_name(t: ColumnType) -> &'static str {
    match t {
        ColumnType::Categorical => "categorical",
        ColumnType::Continuous => "continuous",
    }
}

/// The extension block that pins a column's type, as a user writes it.
pub fn pin_hint(role: &str, name: &str) -> String {
    if role == "label" {
        r#""driftwatch": {"label_type": "categorical"}"#.to_string()
    } else {
        format!(r#""driftwatch": {{"facet_types": {{{name:?}: "categorical"}}}}"#)
    }
}

/// Warns when a column's type — and so what its configured values mean — turns on something
/// other than its values: smclarify's row-count-dependent 5 % rule made a column with few
/// distinct values continuous although the configured values occur in it, or the column is
/// written as floats (`40.0`) although every value is whole, so that the same numbers
/// written as integers would have been categorical. The values then act as a threshold
/// ("> 40"), which is rarely what was meant, and the warning says how to pin the type.
fn warn_if_surprising(
    role: &str,
    name: &str,
    values: &Values,
    configured: &[ConfigScalar],
    ty: ColumnType,
    w: Weights<'_>,
    warnings: &mut Vec<String>,
) {
    if ty != ColumnType::Continuous || configured.is_empty() {
        return;
    }
    let (unique, count) = values.unique_and_count(w);
    let first = configured
        .first()
        .map(select::scalar_str)
        .unwrap_or_default();
    // The same values written as integers (none missing: a gap makes pandas read floats
    // anyway), typed by smclarify's own rule.
    if let Values::Float(v) = values
        && !v.is_empty()
        && v.iter().all(|x| x.fract() == 0.0 && x.abs() < 9e15)
        && infer_type(
            &Values::Int(v.iter().map(|x| *x as i64).collect()),
            Some(configured),
            w,
        ) == ColumnType::Categorical
    {
        let example = v.iter().find(|x| !x.is_nan()).map_or_else(
            || "1.0".into(),
            |x| crate::sagemaker::pyfmt::py_float_repr(*x),
        );
        warnings.push(format!(
            "{role} column {name:?} is written as floats (e.g. {example}) although every value is whole, and a float \
             column is continuous (as pandas reads it, and so Clarify), so {} is a threshold (values > {first}), not a \
             value to match; written as integers its {unique} distinct values on {count} rows would be categorical. \
             Pin the type with {} if the values are categories",
            joined(configured),
            pin_hint(role, name)
        ));
        return;
    }
    if unique > FEW_DISTINCT {
        return;
    }
    let all_present = configured.iter().all(|v| {
        categorical_mask(values, std::slice::from_ref(v)).is_ok_and(|m| m.iter().any(|x| *x))
    });
    if all_present {
        warnings.push(format!(
            "{role} column {name:?} has only {unique} distinct values but was inferred continuous \
             (smclarify's 5% uniqueness rule on {count} rows), so {} is a threshold (values > {first}), \
             not a value to match; pin the type with {} if that is not intended",
            joined(configured),
            pin_hint(role, name)
        ));
    }
}

/// Row selection for the predictions, following the label's type (smclarify's
/// `_positive_predicted_index`), or a score binarized by `probability_threshold`.
fn select_predictions(
    values: &Values,
    label: &LabelSelection,
    configured: &[ConfigScalar],
    probability_threshold: f64,
    w: Weights<'_>,
) -> Result<Vec<bool>, String> {
    let is_score = label.ty == ColumnType::Categorical
        && matches!(values, Values::Float(v) if v.iter().any(|x| x.fract() != 0.0 && !x.is_nan()));
    let mask = if is_score {
        values
            .as_f64()
            .iter()
            .map(|s| *s > probability_threshold)
            .collect()
    } else {
        // A pinned label type pins the predictions' type too: they hold the same values.
        let ty = if label.pinned {
            label.ty
        } else {
            infer_type(values, Some(configured), w)
        };
        if ty != label.ty {
            return Err(
                "Predicted Label Column series datatype is not the same as Label Column series"
                    .into(),
            );
        }
        match ty {
            ColumnType::Categorical => categorical_mask(values, configured)?,
            ColumnType::Continuous => {
                let mut pred = values.as_f64();
                if label.is_int {
                    // astype(label dtype): truncation toward zero.
                    pred.iter_mut().for_each(|x| *x = x.trunc());
                }
                let both: Vec<f64> = label.numeric.iter().chain(&pred).copied().collect();
                threshold_mask(&pred, &both, &threshold_of(Some(configured))?, label.is_int).mask
            }
        }
    };
    if !mask.iter().any(|m| *m) {
        return Err("No Label values are present in the predicted Label Column,Positive Predicted Index Series contains all False values".into());
    }
    Ok(mask)
}

/// scikit-learn's (1.9) refusal of a missing value in the k-NN of FT, word for word.
const NAN_IN_FT: &str = "Input X contains NaN.\nKNeighborsClassifier does not accept missing values encoded as NaN natively. For supervised learning, you might want to consider sklearn.ensemble.HistGradientBoostingClassifier and Regressor which accept missing values encoded as NaNs natively. Alternatively, it is possible to preprocess the data, for instance by using an imputer transformer in a pipeline or drop samples with missing values. See https://scikit-learn.org/stable/modules/impute.html You can find a list of all estimators that handle NaN values at the following page: https://scikit-learn.org/stable/modules/impute.html#estimators-that-handle-nan-values";

/// The FT feature matrix: every column but the excluded ones.
fn ft_features(frame: &DataFrame, excluded: &[String]) -> Features {
    let cols: Vec<&Column> = frame
        .columns()
        .iter()
        .filter(|c| !excluded.iter().any(|e| e.as_str() == c.name().as_str()))
        .collect();
    let dims = cols.len();
    let n = frame.height();
    // smclarify refuses a text column before scikit-learn's check of the values, whatever
    // the column order.
    let values: Vec<Values> = cols
        .iter()
        .map(|c| Values::from_column(c))
        .collect::<Result<_, _>>()?;
    if values.iter().any(|v| matches!(v, Values::Str(_))) {
        return Err("FlipTest does not support non-numeric columns".into());
    }
    let mut x = vec![0.0; n * dims];
    for (j, v) in values.iter().enumerate() {
        for (i, val) in v.as_f64().into_iter().enumerate() {
            if val.is_nan() {
                return Err(NAN_IN_FT.into());
            }
            // scikit-learn's check_array refuses infinities the same way (smclarify's FT
            // runs its k-NN).
            if val.is_infinite() {
                return Err(
                    "Input X contains infinity or a value too large for dtype('float64').".into(),
                );
            }
            x[i * dims + j] = val;
        }
    }
    Ok((x, dims))
}

/// Everything the metrics of one facet entry need.
struct FacetInputs<'a> {
    cells: Cells,
    label_groups: Option<GroupCells>,
    pred_groups: Option<GroupCells>,
    d: &'a [bool],
    yhat: Option<&'a [bool]>,
    features: &'a Features,
}

fn metric(name: &'static str, inp: &FacetInputs<'_>) -> MetricValue {
    match name {
        "FT" => match inp.yhat {
            Some(p) => flip_test(inp.features, inp.d, p),
            None => Err("predictions are required".into()),
        },
        other => count_metric(
            other,
            &inp.cells,
            inp.label_groups.as_ref(),
            inp.pred_groups.as_ref(),
        ),
    }
}

/// Every metric but FT, from the counts alone: the engine's values, and each bootstrap
/// resample's.
pub fn count_metric(
    name: &str,
    c: &Cells,
    label_groups: Option<&GroupCells>,
    pred_groups: Option<&GroupCells>,
) -> MetricValue {
    let all = |f: fn(&counts::Side) -> u64| f(&c.a) + f(&c.d);
    match name {
        "CI" => metrics::ci(c),
        "DPL" => metrics::dpl(c),
        "KL" => metrics::kl(c),
        "JS" => metrics::js(c),
        "LP" => metrics::lp(c),
        "TVD" => metrics::tvd(c),
        "KS" => metrics::ks(c),
        "CDDL" => metrics::cdd(
            label_groups,
            all(counts::Side::label_pos),
            all(counts::Side::label_neg),
        ),
        "DPPL" => metrics::dppl(c),
        "DI" => metrics::di(c),
        "DCA" => metrics::dca(c),
        "DCR" => metrics::dcr(c),
        "RD" => metrics::rd(c),
        "SD" => metrics::sd(c),
        "DAR" => metrics::dar(c),
        "DRR" => metrics::drr(c),
        "AD" => metrics::ad(c),
        "TE" => metrics::te(c),
        "GE" => metrics::ge(c),
        "CDDPL" => metrics::cdd(
            pred_groups,
            all(counts::Side::pred_pos),
            all(counts::Side::pred_neg),
        ),
        other => Err(format!("unknown metric {other}")),
    }
}

/// A facet entry whose every metric failed for the same reason.
fn failed_entry(value_or_threshold: String, names: &[&'static str], error: &str) -> FacetReport {
    FacetReport {
        joint: None,
        value_or_threshold,
        metrics: names
            .iter()
            .map(|n| MetricResult {
                name: n,
                value: Err(error.to_string()),
            })
            .collect(),
    }
}

/// Runs the bias methods the config requests on `frame`, whose row `i` stands for `w[i]`
/// records when weights are given (a streamed window; FT needs a row per record). `predictions` overrides the
/// config's `predicted_label` (used for captured data, whose prediction column driftwatch
/// names itself).
pub fn run_bias(
    frame: &DataFrame,
    cfg: &AnalysisConfig,
    predictions: Option<&PredictionSource>,
    w: Weights<'_>,
) -> Result<BiasAnalysis, BiasError> {
    let methods = cfg.methods.clone().unwrap_or_default();
    let pre_names = methods
        .pre_training_bias
        .as_ref()
        .map(|m| m.names(&PRE_TRAINING_METRICS));
    let post_names = methods
        .post_training_bias
        .as_ref()
        .map(|m| m.names(&POST_TRAINING_METRICS));
    let mut out = BiasAnalysis::default();
    if pre_names.is_none() && post_names.is_none() {
        return Ok(out);
    }
    if frame.height() == 0 {
        return Err(BiasError::Empty);
    }
    let configured = cfg.label_values_or_threshold.clone().unwrap_or_default();
    let label_ref = cfg.label.clone().ok_or(BiasError::MissingColumn {
        role: "label".into(),
        column: String::new(),
        hint: String::new(),
        available: String::new(),
    })?;
    let label_name = resolve(frame, "label", &label_ref)?;
    let label_values = values_of(frame, &label_name)?;
    let label = select_label(
        &label_name,
        &label_values,
        &configured,
        cfg.extensions.label_type,
        w,
        &mut out.warnings,
    );
    out.types.push(("label".into(), label.ty));
    out.label_positives = label
        .mask
        .as_ref()
        .ok()
        .map(|m| count_selected(m, w) as usize);
    if out.label_positives == Some(0) {
        out.label_examples = label_values
            .distinct_in_order()
            .into_iter()
            .map(|(k, _)| k)
            .take(20)
            .collect();
    }

    let pred_name = match (predictions, &cfg.predicted_label) {
        (Some(p), _) => Some(p.column.clone()),
        (None, Some(r)) => Some(resolve(frame, "predicted_label", r)?),
        (None, None) => None,
    };
    if post_names.is_some() && pred_name.is_none() {
        return Err(BiasError::NoPredictions);
    }
    let yhat: Option<Result<Vec<bool>, String>> = match (&post_names, &pred_name) {
        (Some(_), Some(p)) => {
            let pv = values_of(frame, p)?;
            Some(match &label.mask {
                Err(e) => Err(e.clone()),
                Ok(_) => select_predictions(
                    &pv,
                    &label,
                    &configured,
                    cfg.probability_threshold.unwrap_or(0.5),
                    w,
                ),
            })
        }
        _ => None,
    };
    let group = match &cfg.group_variable {
        Some(g) => Some(GroupSlots::of(&values_of(
            frame,
            &resolve(frame, "group_variable", g)?,
        )?)),
        None => None,
    };
    let mut excluded_base = vec![label_name.clone()];
    excluded_base.extend(pred_name.clone());
    for c in cfg.excluded_columns.iter().chain(cfg.joinsource.iter()) {
        excluded_base.push(resolve(frame, "excluded_columns", c)?);
    }

    let mut pre_facets: Vec<(String, Vec<FacetReport>)> = Vec::new();
    let mut post_facets: Vec<(String, Vec<FacetReport>)> = Vec::new();
    for (fi, facet) in cfg.facets.iter().enumerate() {
        let fname = resolve(frame, &format!("facet[{fi}]"), &facet.column)?;
        let fvalues = values_of(frame, &fname)?;
        let configured_f = facet.values.clone();
        let pinned = cfg.extensions.facet_types.get(&fname).copied();
        let fty = pinned.unwrap_or_else(|| infer_type(&fvalues, configured_f.as_deref(), w));
        out.types.push((format!("facet:{fname}"), fty));
        if pinned.is_none()
            && let Some(v) = &configured_f
        {
            warn_if_surprising("facet", &fname, &fvalues, v, fty, w, &mut out.warnings);
        }
        // (value string, selected rows or the error voiding the entry)
        let entries: Vec<(String, Result<Vec<bool>, String>)> = match (fty, &configured_f) {
            (ColumnType::Categorical, Some(v)) => vec![(joined(v), categorical_mask(&fvalues, v))],
            (ColumnType::Categorical, None) => fvalues
                .distinct_in_order()
                .into_iter()
                .map(|(k, m)| (k, Ok(m)))
                .collect(),
            (ColumnType::Continuous, v) => match threshold_of(v.as_deref()) {
                Ok(thr) => {
                    let numeric = fvalues.as_f64();
                    let is_int = matches!(fvalues, Values::Int(_)) || fvalues.strings_all_int();
                    let sel = threshold_mask(&numeric, &numeric, &thr, is_int);
                    vec![(sel.interval, Ok(sel.mask))]
                }
                Err(e) => vec![(v.as_deref().map(joined).unwrap_or_default(), Err(e))],
            },
        };
        let mut excluded = excluded_base.clone();
        excluded.push(fname.clone());
        let features: Features = if post_names.as_ref().is_some_and(|n| n.contains(&"FT")) {
            if w.is_some() {
                // The reader keeps a row per record when FT is requested; never a silently
                // wrong neighbour count.
                Err("FlipTest needs a row per record; this frame counts identical rows once".into())
            } else {
                ft_features(frame, &excluded)
            }
        } else {
            Err("not requested".into())
        };
        let mut pre_entries = Vec::new();
        let mut post_entries = Vec::new();
        for (text, d) in entries {
            if let Ok(d) = &d
                && !d.iter().any(|x| *x)
                && configured_f.is_some()
            {
                out.warnings.push(format!(
                    "facet {fname:?} value_or_threshold {text:?} selects no row: facet metrics cannot be computed"
                ));
            }
            if let Some(names) = &pre_names {
                pre_entries.push(match (&d, &label.mask) {
                    (Err(e), _) | (_, Err(e)) => failed_entry(text.clone(), names, e),
                    (Ok(d), Ok(y)) => {
                        let joint = counts::joint(group.as_ref(), d, y, None, w);
                        let inp = FacetInputs {
                            cells: joint.cells(),
                            label_groups: joint.label_groups(),
                            pred_groups: None,
                            d,
                            yhat: None,
                            features: &features,
                        };
                        compute(text.clone(), names, &inp, joint)
                    }
                });
            }
            if let (Some(names), Some(yhat)) = (&post_names, &yhat) {
                post_entries.push(match (&d, &label.mask, yhat) {
                    (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                        failed_entry(text.clone(), names, e)
                    }
                    (Ok(d), Ok(y), Ok(p)) => {
                        let joint = counts::joint(group.as_ref(), d, y, Some(p), w);
                        let inp = FacetInputs {
                            cells: joint.cells(),
                            label_groups: None,
                            pred_groups: joint.pred_groups(),
                            d,
                            yhat: Some(p),
                            features: &features,
                        };
                        compute(text.clone(), names, &inp, joint)
                    }
                });
            }
        }
        push_facet(&mut pre_facets, &fname, pre_entries);
        push_facet(&mut post_facets, &fname, post_entries);
    }
    if pre_names.is_some() {
        out.pre_training = Some(StageReport {
            label: label_name.clone(),
            label_value_or_threshold: label.text.clone(),
            facets: pre_facets,
        });
    }
    if post_names.is_some() {
        out.post_training = Some(StageReport {
            label: label_name,
            label_value_or_threshold: label.text,
            facets: post_facets,
        });
    }
    Ok(out)
}

fn compute(
    text: String,
    names: &[&'static str],
    inp: &FacetInputs<'_>,
    joint: JointCounts,
) -> FacetReport {
    FacetReport {
        joint: Some(joint),
        value_or_threshold: text,
        metrics: names
            .iter()
            .map(|n| MetricResult {
                name: n,
                value: metric(n, inp),
            })
            .collect(),
    }
}

/// Facet entries keyed by column; two facet configs on one column share its list.
fn push_facet(facets: &mut Vec<(String, Vec<FacetReport>)>, name: &str, entries: Vec<FacetReport>) {
    if entries.is_empty() {
        return;
    }
    match facets.iter_mut().find(|(n, _)| n == name) {
        Some((_, list)) => list.extend(entries),
        None => facets.push((name.to_string(), entries)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float_warnings(v: Vec<f64>) -> Vec<String> {
        let mut w = Vec::new();
        let values = Values::Float(v);
        warn_if_surprising(
            "facet",
            "age",
            &values,
            &[ConfigScalar::Int(40)],
            ColumnType::Continuous,
            None,
            &mut w,
        );
        w
    }

    #[test]
    fn whole_floats_warn_only_when_integers_would_have_been_categorical() {
        let ages: Vec<f64> = (0..1000).map(|i| f64::from(20 + i % 30)).collect();
        let w = float_warnings(ages.clone());
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("is written as floats (e.g. 20.0)"),
            "{}",
            w[0]
        );
        // A gap: pandas reads such a column as floats however it is written.
        let mut gappy = ages;
        gappy[3] = f64::NAN;
        assert!(
            float_warnings(gappy)
                .iter()
                .all(|w| !w.contains("written as floats"))
        );
        // Many distinct values: continuous as integers too.
        let many: Vec<f64> = (0..1000).map(f64::from).collect();
        assert!(float_warnings(many).is_empty());
    }
}
