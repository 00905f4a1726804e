//! The data-quality warnings of a dataset, the same ones a capture window gives
//! (`capture::quality`): `analyze` used to accept labels 0, 1, "yes", 1.5 and "" and scores
//! NaN, ±inf or 1e400 without a word, where `run` on the same data warned. The analysis keeps
//! smclarify's behaviour; these warnings say which column, how many values and the first row.

use std::path::Path;

use polars::prelude::*;

use crate::capture::cell::Cell;
use crate::capture::quality::{Quality, Role};
use crate::config::analysis::{AnalysisConfig, ColumnRef};

/// One warning per column with something to say, in column order.
pub fn warnings(frame: &DataFrame, cfg: &AnalysisConfig, path: &Path) -> Vec<String> {
    let names: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let resolve = |r: &ColumnRef| match r {
        ColumnRef::Name(n) => Some(n.clone()),
        ColumnRef::Index(i) => names.get(*i).cloned(),
    };
    let label = cfg.label.as_ref().and_then(resolve);
    let prediction = cfg.predicted_label.as_ref().and_then(resolve);
    let facets: Vec<String> = cfg
        .facets
        .iter()
        .filter_map(|f| resolve(&f.column))
        .collect();
    // Columns that are neither features nor analysed values.
    let ignored: Vec<String> = cfg
        .excluded_columns
        .iter()
        .chain(&cfg.group_variable)
        .chain(&cfg.joinsource)
        .filter_map(resolve)
        .collect();
    let roles: Vec<(usize, Role)> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| !ignored.contains(n))
        .map(|(i, n)| {
            let role = if Some(n) == label.as_ref() {
                Role::Label
            } else if Some(n) == prediction.as_ref() {
                Role::Prediction
            } else if facets.contains(n) {
                Role::Facet
            } else {
                Role::Feature
            };
            (i, role)
        })
        .collect();
    let mut q = Quality::of_dataset(
        path.display().to_string(),
        roles.iter().map(|(i, r)| (names[*i].clone(), *r)),
    );
    for (k, (i, _)) in roles.iter().enumerate() {
        tally(&mut q, k, &frame.columns()[*i]);
    }
    q.warnings()
}

/// Tallies one column: numeric columns in one pass that looks only at the exceptions; text
/// columns value by value, numbers among them counted as numbers.
fn tally(q: &mut Quality, k: usize, c: &Column) {
    let row = |i: usize| (i + 1).to_string();
    match c.dtype() {
        DataType::Float64 | DataType::Float32 => {
            let Ok(cast) = c.cast(&DataType::Float64) else {
                return;
            };
            let Ok(ca) = cast.f64() else { return };
            // The common case, one vectorisable pass: one chunk, no gaps, every value finite.
            if ca
                .cont_slice()
                .is_ok_and(|v| v.iter().all(|x| x.is_finite()))
            {
                q.numbers(k, ca.len());
                return;
            }
            let mut plain = 0;
            for (i, v) in ca.iter().enumerate() {
                match v {
                    Some(x) if x.is_finite() => plain += 1,
                    Some(x) => q.observe(k, &Cell::Float(x), &row(i)),
                    None => q.observe(k, &Cell::Null, &row(i)),
                }
            }
            q.numbers(k, plain);
        }
        dt if dt.is_integer() => {
            let nulls = c.null_count();
            q.numbers(k, c.len() - nulls);
            if nulls > 0
                && let Ok(mask) = c.is_null().into_series().bool().cloned()
            {
                for (i, null) in mask.iter().enumerate() {
                    if null == Some(true) {
                        q.observe(k, &Cell::Null, &row(i));
                    }
                }
            }
        }
        DataType::String => {
            let Ok(ca) = c.str() else { return };
            let mut plain = 0;
            for (i, v) in ca.iter().enumerate() {
                match v {
                    None => q.observe(k, &Cell::Null, &row(i)),
                    Some(s) if s.trim().parse::<f64>().is_ok_and(f64::is_finite) => plain += 1,
                    Some(s) => q.observe(k, &Cell::Text(s.into()), &row(i)),
                }
            }
            q.numbers(k, plain);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(csv: &str) -> DataFrame {
        crate::dataset::read_csv(csv.as_bytes(), Path::new("d.csv"), None, None)
            .unwrap()
            .frame
    }

    fn cfg(json: &str) -> AnalysisConfig {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        let mut p = crate::config::Problems::new();
        AnalysisConfig::from_value(&v, crate::config::Purpose::Analyze, &mut p).unwrap()
    }

    /// Regression: `analyze` said nothing where `run` warns.
    #[test]
    fn labels_and_scores_that_are_not_numbers_are_named_with_their_first_row() {
        let f = frame("x,sex,y,p\n1,1,0,0.2\n2,2,1,NaN\n3,1,yes,inf\n4,2,1.5,1e400\n5,1,,0.9\n");
        let c = cfg(
            r#"{"label": "y", "label_values_or_threshold": [1], "predicted_label": "p",
                "facet": [{"name_or_index": "sex"}], "methods": {"post_training_bias": {"methods": ["DPPL"]}}}"#,
        );
        let w = warnings(&f, &c, Path::new("d.csv"));
        let all = w.join("\n");
        assert!(
            all.contains("label \"y\": 1 labels are not numbers (first \"yes\" in row 3 of d.csv) among 3 numeric labels"),
            "{all}"
        );
        assert!(
            all.contains(
                "label \"y\": 1 labels are empty or null (first \"missing\" in row 5 of d.csv)"
            ),
            "{all}"
        );
        assert!(
            all.contains("prediction \"p\": 1 records have no predicted value (empty, NaN or null; first \"missing\" in row 2 of d.csv)"),
            "{all}"
        );
        assert!(
            all.contains("prediction \"p\": 2 predicted values are infinite or beyond a float's range (first \"inf\" in row 3 of d.csv)"),
            "{all}"
        );
        assert_eq!(w.len(), 4, "{all}");
    }
}
