//! The analysis frame of a bias execution: one row per merged record, columns named by the
//! analysis config's `headers` (features, then the label), plus the predicted label — the
//! same frame `analyze` would load from the equivalent CSV, so the Bias engine is unchanged.

use std::collections::HashMap;

use polars::prelude::*;
use serde_json::Value;

use serde::{Deserialize, Serialize};

use super::cell::Cell;
use super::reduce::{BiasPartial, ReducePlan};
use crate::config::analysis::{AnalysisConfig, ColumnRef};
use crate::dataset::{jsonlines::column, pandas_like};

pub use crate::bias::engine::PREDICTION_COLUMN;

/// How merged records become columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameSpec {
    /// Feature column names in payload order, when the config's `headers` give them.
    pub features: Option<Vec<String>>,
    pub label: String,
    /// Features dropped by the schedule's `exclude_features_attribute`.
    pub excluded: Vec<String>,
    /// A score strictly greater than this predicts label 1 (the schedule's
    /// `probability_threshold_attribute`, else the config's `probability_threshold`, else 0.5).
    pub threshold: f64,
}

/// The name Clarify gives column `i` of a dataset without headers.
pub fn generated_name(i: usize) -> String {
    format!("column_{i}")
}

/// True when `s` is a plain column name rather than a JMESPath (`instances[*].label`).
fn is_plain_name(s: &str) -> bool {
    !s.contains(['[', ']', '.', '*', '(', ')', '|', '@'])
}

impl FrameSpec {
    /// Derives the layout from the analysis config and the schedule's endpoint-input
    /// attributes. Errors name the offending key.
    pub fn new(
        cfg: &AnalysisConfig,
        exclude_features: Option<&str>,
        threshold: Option<f64>,
    ) -> Result<Self, String> {
        let headers = cfg.headers.clone();
        let label = match (&cfg.label, &headers) {
            (Some(ColumnRef::Name(n)), _) if is_plain_name(n) => n.clone(),
            (Some(ColumnRef::Index(i)), Some(h)) => h
                .get(*i)
                .cloned()
                .ok_or_else(|| format!("label: index {i} is beyond the {} headers", h.len()))?,
            // No headers: Clarify's generated names, column_0, column_1, …
            (Some(ColumnRef::Index(i)), None) => generated_name(*i),
            // A JMESPath label (JSON ground truth): the column is the last header, as SageMaker's
            // configs list "all columns, label last".
            (Some(ColumnRef::Name(_)), Some(h)) if !h.is_empty() => h[h.len() - 1].clone(),
            (Some(ColumnRef::Name(_)), _) => "label".to_string(),
            (None, _) => return Err("label: a bias analysis config needs a label".into()),
        };
        let features = headers.map(|h| h.into_iter().filter(|c| *c != label).collect::<Vec<_>>());
        let excluded = match exclude_features {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| match (t.parse::<usize>(), &features) {
                    (Ok(i), Some(f)) => f.get(i).cloned().ok_or_else(|| {
                        format!(
                            "exclude_features_attribute: index {i} is beyond the {} features",
                            f.len()
                        )
                    }),
                    (Ok(i), None) => Ok(generated_name(i)),
                    (Err(_), Some(f)) if !f.iter().any(|c| c == t) => Err(format!(
                        "exclude_features_attribute: {t:?} is not a feature (features: {})",
                        f.join(", ")
                    )),
                    (Err(_), _) => Ok(t.to_string()),
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(Self {
            features,
            label,
            excluded,
            threshold: threshold.or(cfg.probability_threshold).unwrap_or(0.5),
        })
    }

    /// The config the Bias engine runs with on this frame: the label by column name (it may be
    /// a JMESPath in the config), predictions from [`PREDICTION_COLUMN`].
    pub fn engine_config(&self, cfg: &AnalysisConfig) -> AnalysisConfig {
        let mut c = cfg.clone();
        c.label = Some(ColumnRef::Name(self.label.clone()));
        c.predicted_label = None;
        c.headers = None;
        c.probability_threshold = Some(self.threshold);
        c
    }
}

/// A column being built from captured cells, typed as pandas types the text as written:
/// integers while every value is written as one (`2`), floats once a value is written as a
/// float (`2.0`, `40.5`), text once anything else appears. So CSV `40.0` and JSON `40.0` are
/// the same float column, and JSON `2` and CSV `2` the same integer column — what Clarify
/// reads from the same records — and a window whose records spell one column both ways (a
/// client that serialises a float matrix beside one that does not) reads as floats, as
/// pandas reads a CSV mixing them, with a warning (the column's meaning then turns on the
/// spelling). Typed storage keeps a million-row window at 8–16 bytes a cell instead of a
/// 32-byte JSON value.
struct Builder {
    cells: Cells,
    /// Rows holding an integer, and a whole number written as a float: both non-zero is
    /// the mixed spelling [`Builder::mixed_spelling`] reports.
    ints: u64,
    whole_floats: u64,
    /// Read whole floats as the integers they are (the predicted-label column only: a
    /// model's `1.0` is the label `1`, and it is matched to the label's values).
    floats_as_ints: bool,
}

enum Cells {
    Int(Vec<Option<i64>>),
    Float(Vec<Option<f64>>),
    /// Booleans, text and mixtures: decided by [`column`] at the end, as for JSON Lines.
    Mixed(Vec<Cell>),
}

impl Builder {
    fn new(capacity: usize) -> Self {
        Self {
            cells: Cells::Int(Vec::with_capacity(capacity)),
            ints: 0,
            whole_floats: 0,
            floats_as_ints: false,
        }
    }

    fn predictions(capacity: usize) -> Self {
        Self {
            floats_as_ints: true,
            ..Self::new(capacity)
        }
    }

    fn len(&self) -> usize {
        match &self.cells {
            Cells::Int(v) => v.len(),
            Cells::Float(v) => v.len(),
            Cells::Mixed(v) => v.len(),
        }
    }

    fn push(&mut self, v: Cell) {
        let v = match v {
            Cell::Float(x) => match whole(x) {
                Some(i) if self.floats_as_ints => Cell::Int(i),
                Some(_) => {
                    self.whole_floats += 1;
                    Cell::Float(x)
                }
                None => Cell::Float(x),
            },
            Cell::Int(i) => {
                self.ints += 1;
                Cell::Int(i)
            }
            other => other,
        };
        match (&mut self.cells, v) {
            (Cells::Int(c), Cell::Null) => c.push(None),
            (Cells::Float(c), Cell::Null) => c.push(None),
            (Cells::Int(c), Cell::Int(i)) => c.push(Some(i)),
            (Cells::Float(c), Cell::Int(i)) => c.push(Some(i as f64)),
            (Cells::Float(c), Cell::Float(x)) => c.push(Some(x)),
            (Cells::Int(c), Cell::Float(x)) => {
                let mut f: Vec<Option<f64>> = Vec::with_capacity(c.capacity());
                f.extend(c.iter().map(|i| i.map(|i| i as f64)));
                f.push(Some(x));
                self.cells = Cells::Float(f);
            }
            (Cells::Mixed(c), v) => c.push(v),
            (Cells::Int(c), v) => {
                let mut m: Vec<Cell> = c.iter().map(|i| i.map_or(Cell::Null, Cell::Int)).collect();
                m.push(v);
                self.cells = Cells::Mixed(m);
            }
            (Cells::Float(c), v) => {
                let mut m: Vec<Cell> = c
                    .iter()
                    .map(|x| x.map_or(Cell::Null, Cell::Float))
                    .collect();
                m.push(v);
                self.cells = Cells::Mixed(m);
            }
        }
    }

    fn is_float(&self) -> bool {
        matches!(self.cells, Cells::Float(_))
    }

    /// Floats: the predicted labels beside a float label column (pandas compares `1 == 1.0`,
    /// and smclarify wants both columns of one type).
    fn into_floats(mut self) -> Self {
        if let Cells::Int(c) = &self.cells {
            self.cells = Cells::Float(c.iter().map(|i| i.map(|i| i as f64)).collect());
        }
        self
    }

    /// The warning for a numeric column written both as integers and as whole floats.
    /// `role` is `label` or `facet`, for the extension block that pins the type.
    fn mixed_spelling(&self, name: &str, role: &str) -> Option<String> {
        (self.is_float() && self.ints > 0 && self.whole_floats > 0).then(|| {
            format!(
                "column {name:?} is written as integers in {} distinct rows (e.g. 2) and as whole floats in {} (e.g. 2.0): \
                 it is read as a float column, as pandas reads a column that mixes them, so smclarify takes it as continuous; \
                 if its values are categories, pin the type with {}",
                self.ints,
                self.whole_floats,
                crate::bias::engine::pin_hint(role, name)
            )
        })
    }

    fn finish(self, name: &str) -> Column {
        match self.cells {
            Cells::Int(c) => Column::new(name.into(), c),
            Cells::Float(c) => Column::new(name.into(), c),
            Cells::Mixed(c) => column(name, c.into_iter().map(Value::from).collect()),
        }
    }
}

/// `x` as an integer when it is a whole number that an i64 holds exactly.
fn whole(x: f64) -> Option<i64> {
    // 2^53: beyond it not every integer is a float, so the float may not be the value sent.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    (x.fract() == 0.0 && x.abs() <= EXACT).then_some(x as i64)
}

/// The built frame, and what was left out of it.
#[derive(Debug)]
pub struct Frame {
    pub frame: DataFrame,
    /// How many records each row stands for, when identical rows were counted once (`None`:
    /// a row per record).
    pub weights: Option<Vec<u64>>,
    /// Records dropped because their feature count differs from the others' (only possible
    /// when the config has no `headers`; with headers such lines are malformed at read time).
    pub dropped: usize,
    pub warnings: Vec<String>,
}

/// Builds the frame from a window's reduced records: the columns `plan` kept (named as the
/// config's headers name them), the label and the predictions, a row per distinct row.
pub fn build_frame(partial: BiasPartial, plan: &ReducePlan) -> Result<Frame, String> {
    let spec = &plan.spec;
    let (rows, quality) = partial.into_parts();
    let features_of = |cells: usize| cells.saturating_sub(2);
    let width = match (&spec.features, &plan.kept) {
        (Some(f), None) => f.len(),
        (Some(_), Some(k)) => k.len(),
        (None, _) => {
            // Without headers the width is what most records have.
            let mut counts: HashMap<usize, u64> = HashMap::new();
            for (r, n) in &rows {
                *counts.entry(features_of(r.0.len())).or_default() += n;
            }
            counts
                .into_iter()
                .max_by_key(|&(w, n)| (n, std::cmp::Reverse(w)))
                .map_or(0, |(w, _)| w)
        }
    };
    // The records' feature count whose quality tallies apply.
    let record_width = match &spec.features {
        Some(f) => f.len(),
        None => width,
    };
    let names = plan.kept_names(width);
    let mut warnings: Vec<String> = quality
        .get(&record_width)
        .map(|q| q.warnings())
        .unwrap_or_default();
    let n = rows.len();
    let mut columns: Vec<Builder> = (0..width).map(|_| Builder::new(n)).collect();
    let mut labels = Builder::new(n);
    let mut preds = Builder::predictions(n);
    let mut weights = Vec::with_capacity(if plan.distinct { n } else { 0 });
    let mut dropped = 0u64;
    for (row, count) in rows {
        let mut cells = row.0.into_vec();
        if features_of(cells.len()) != width {
            dropped += count;
            continue;
        }
        let (Some(pred), Some(label)) = (cells.pop(), cells.pop()) else {
            continue;
        };
        for (col, v) in columns.iter_mut().zip(cells) {
            col.push(v);
        }
        labels.push(label);
        preds.push(pred);
        if plan.distinct {
            weights.push(count);
        }
    }
    if dropped > 0 {
        warnings.push(format!(
            "{dropped} merged records have a feature count other than {width} and were left out (set headers in the analysis config to name and check the features)"
        ));
    }
    let mut out: Vec<Column> = Vec::with_capacity(width + 2);
    for (name, cells) in names.iter().zip(columns) {
        if spec.excluded.contains(name) {
            continue;
        }
        if plan.is_facet(name) {
            warnings.extend(cells.mixed_spelling(name, "facet"));
        }
        out.push(cells.finish(name));
    }
    if names.contains(&spec.label)
        || spec
            .features
            .as_ref()
            .is_some_and(|f| f.contains(&spec.label))
    {
        return Err(format!(
            "label column {:?} is also a feature name; list the label last in headers",
            spec.label
        ));
    }
    let height = labels.len();
    warnings.extend(labels.mixed_spelling(&spec.label, "label"));
    let preds = if labels.is_float() {
        preds.into_floats()
    } else {
        preds
    };
    out.push(labels.finish(&spec.label));
    out.push(preds.finish(PREDICTION_COLUMN));
    let frame = DataFrame::new(height, out).map_err(|e| format!("building the frame: {e}"))?;
    Ok(Frame {
        frame: pandas_like(frame),
        weights: plan.distinct.then_some(weights),
        dropped: dropped as usize,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::analysis::FacetConfig;
    use serde_json::json;

    fn cfg(headers: &[&str], label: &str, facets: &[&str]) -> AnalysisConfig {
        AnalysisConfig {
            headers: Some(headers.iter().map(|s| s.to_string()).collect()),
            label: Some(ColumnRef::Name(label.into())),
            facets: facets
                .iter()
                .map(|f| FacetConfig {
                    column: ColumnRef::Name(f.to_string()),
                    values: None,
                })
                .collect(),
            ..Default::default()
        }
    }

    fn frame(spec: FrameSpec, cfg: &AnalysisConfig, records: Vec<(Vec<Value>, i64, i64)>) -> Frame {
        let plan = ReducePlan::new(spec, cfg);
        let mut p = BiasPartial::new(&plan);
        for (f, label, prediction) in records {
            let cells = f.into_iter().map(Cell::from).collect();
            p.add(&plan, "ev", cells, Cell::Int(label), Cell::Int(prediction));
        }
        build_frame(p, &plan).unwrap()
    }

    #[test]
    fn names_columns_by_headers_and_excludes_features() {
        let c = cfg(&["a", "b", "y"], "y", &["a"]);
        let spec = FrameSpec::new(&c, Some("1"), Some(0.6)).unwrap();
        assert_eq!(spec.excluded, ["b"]);
        let f = frame(
            spec,
            &c,
            vec![
                (vec![json!(1), json!("x")], 1, 0),
                (vec![json!(2), json!("z")], 0, 1),
                (vec![json!(2), json!("w")], 0, 1),
            ],
        );
        let names: Vec<String> = f
            .frame
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(names, ["a", "y", PREDICTION_COLUMN]);
        let p: Vec<i64> = f
            .frame
            .column(PREDICTION_COLUMN)
            .unwrap()
            .i64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(p, [0, 1]);
        assert_eq!(
            f.weights,
            Some(vec![1, 2]),
            "b is not kept: two rows are one"
        );
    }

    #[test]
    fn a_jmespath_label_takes_the_last_header() {
        let spec = FrameSpec::new(
            &cfg(&["a", "Target"], "instances[*].label", &[]),
            None,
            None,
        );
        assert_eq!(spec.unwrap().label, "Target");
    }

    #[test]
    fn unknown_excluded_feature_is_an_error_naming_the_key() {
        let e = FrameSpec::new(&cfg(&["a", "y"], "y", &[]), Some("zz"), None).unwrap_err();
        assert!(e.starts_with("exclude_features_attribute:"), "{e}");
    }

    #[test]
    fn without_headers_the_majority_width_wins() {
        let c = AnalysisConfig {
            label: Some(ColumnRef::Name("y".into())),
            ..Default::default()
        };
        let spec = FrameSpec::new(&c, None, None).unwrap();
        let f = frame(
            spec,
            &c,
            vec![
                (vec![json!(1), json!(2)], 1, 1),
                (vec![json!(1)], 1, 1),
                (vec![json!(3), json!(4)], 0, 0),
            ],
        );
        assert_eq!(f.dropped, 1);
        assert_eq!(f.frame.height(), 2);
        assert_eq!(f.warnings.len(), 1);
    }

    #[test]
    fn columns_are_typed_as_written_as_pandas_types_them() {
        let c = cfg(&["sex", "x", "y"], "y", &["sex", "x"]);
        let spec = FrameSpec::new(&c, None, None).unwrap();
        let build = |cells: [Value; 4]| {
            let [a, b, cc, d] = cells;
            frame(
                spec.clone(),
                &c,
                vec![(vec![a, b], 1, 0), (vec![cc, d], 0, 1)],
            )
        };
        // CSV `2` and JSON `2` are integers; `2.0` is a float however it came.
        let ints = build([json!(2), json!(1.5), json!(1), json!(3)]);
        assert_eq!(ints.frame.column("sex").unwrap().dtype(), &DataType::Int64);
        assert_eq!(ints.frame.column("x").unwrap().dtype(), &DataType::Float64);
        assert!(ints.warnings.is_empty(), "{:?}", ints.warnings);
        let floats = build([json!(2.0), json!(1.5), json!(1.0), json!(3.0)]);
        assert_eq!(
            floats.frame.column("sex").unwrap().dtype(),
            &DataType::Float64
        );
        assert!(floats.warnings.is_empty(), "{:?}", floats.warnings);
        // Both spellings in one window: floats, as pandas reads a CSV mixing them, and said.
        let mixed = build([json!(2), json!(1.5), json!(1.0), json!(3)]);
        assert_eq!(
            mixed.frame.column("sex").unwrap().dtype(),
            &DataType::Float64
        );
        assert_eq!(mixed.warnings.len(), 1, "{:?}", mixed.warnings);
        assert!(
            mixed.warnings[0].contains(r#""facet_types": {"sex": "categorical"}"#),
            "{}",
            mixed.warnings[0]
        );
    }

    #[test]
    fn predicted_labels_follow_the_label_columns_type() {
        let c = cfg(&["a", "y"], "y", &["a"]);
        let spec = FrameSpec::new(&c, None, None).unwrap();
        let plan = ReducePlan::new(spec, &c);
        let mut p = BiasPartial::new(&plan);
        // A model answering 1.0 beside ground truth written 1: integers, as the label.
        p.add(
            &plan,
            "a",
            vec![Cell::Int(1)],
            Cell::Int(1),
            Cell::Float(1.0),
        );
        p.add(
            &plan,
            "b",
            vec![Cell::Int(2)],
            Cell::Int(0),
            Cell::Float(0.0),
        );
        let f = build_frame(p, &plan).unwrap().frame;
        assert_eq!(
            f.column(PREDICTION_COLUMN).unwrap().dtype(),
            &DataType::Int64
        );
        // Ground truth written 1.0 beside a model answering 1: floats, as the label.
        let plan = ReducePlan::new(FrameSpec::new(&c, None, None).unwrap(), &c);
        let mut p = BiasPartial::new(&plan);
        p.add(
            &plan,
            "a",
            vec![Cell::Int(1)],
            Cell::Float(1.0),
            Cell::Int(1),
        );
        p.add(
            &plan,
            "b",
            vec![Cell::Int(2)],
            Cell::Float(0.0),
            Cell::Int(0),
        );
        let f = build_frame(p, &plan).unwrap().frame;
        assert_eq!(f.column("y").unwrap().dtype(), &DataType::Float64);
        assert_eq!(
            f.column(PREDICTION_COLUMN).unwrap().dtype(),
            &DataType::Float64
        );
    }
}
