//! What a window's captured values do to the analysis, said out loud. smclarify's own errors
//! name neither the column nor the record ("FlipTest does not support non-numeric columns",
//! "Input X contains NaN."); one stray value among thousands turns a numeric column into
//! text, or a ground-truth label into a negative. The analysis keeps smclarify's behaviour
//! and messages; these warnings, in the record and the report, say which column, how many
//! values and the first capture event that has one.

use serde::{Deserialize, Serialize};

use super::cell::Cell;

/// The first event where something was seen, and how often it was seen.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Seen {
    count: usize,
    first: Option<(String, String)>,
}

impl Seen {
    fn add(&mut self, value: impl FnOnce() -> String, id: &str) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some((value(), id.to_string()));
        }
    }

    /// `later`'s tallies added, its first event kept only when this one has none.
    fn absorb(&mut self, later: Seen) {
        self.count += later.count;
        if self.first.is_none() {
            self.first = later.first;
        }
    }
}

/// One column's tallies.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct Tally {
    numbers: usize,
    missing: Seen,
    non_finite: Seen,
    text: Seen,
}

/// Which column of the frame a tally is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Feature,
    /// A feature that is a facet of the analysis: FT of that facet leaves it out, so its
    /// values affect FT only for the other facets.
    Facet,
    Label,
    /// The predicted score or label, thresholded into a predicted label.
    Prediction,
}

/// Where the tallied values come from, for the warnings' "first … in …".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// A capture window: ids are capture events.
    #[default]
    Capture,
    /// A dataset file (`analyze`): ids are 1-based row numbers of this file.
    Dataset(String),
}

/// The tallies of the columns being built. Mergeable: the tallies of two runs of records
/// are the tallies of the first followed by the second ([`Quality::absorb`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    columns: Vec<(String, Role, Tally)>,
    #[serde(default)]
    source: Source,
}

impl Quality {
    pub fn new(columns: impl IntoIterator<Item = (String, Role)>) -> Self {
        Self {
            columns: columns
                .into_iter()
                .map(|(n, r)| (n, r, Tally::default()))
                .collect(),
            source: Source::Capture,
        }
    }

    /// The tallies of a dataset file's columns (`analyze`): ids are row numbers.
    pub fn of_dataset(file: String, columns: impl IntoIterator<Item = (String, Role)>) -> Self {
        Self {
            source: Source::Dataset(file),
            ..Self::new(columns)
        }
    }

    /// Counts `n` plain numbers of column `column` at once (a numeric column's ordinary
    /// values: only the exceptions need [`Quality::observe`]).
    pub fn numbers(&mut self, column: usize, n: usize) {
        if let Some((_, _, t)) = self.columns.get_mut(column) {
            t.numbers += n;
        }
    }

    /// Counts cell `cell` of column `column` of the record from event `id`.
    pub fn observe(&mut self, column: usize, cell: &Cell, id: &str) {
        let Some((_, _, t)) = self.columns.get_mut(column) else {
            return;
        };
        match cell {
            Cell::Null => t.missing.add(|| "missing".into(), id),
            Cell::Float(x) if x.is_nan() => t.missing.add(|| "NaN".into(), id),
            Cell::Float(x) if x.is_infinite() => t.non_finite.add(|| x.to_string(), id),
            Cell::Int(_) | Cell::Float(_) => t.numbers += 1,
            Cell::Text(s) if s.trim().is_empty() => t.missing.add(|| "empty".into(), id),
            // Beyond a float's range: kept as text (JSON has no infinity), said as what it is.
            Cell::Text(s) if s.trim().parse::<f64>().is_ok_and(f64::is_infinite) => {
                t.non_finite.add(|| s.to_string(), id)
            }
            Cell::Text(s) => t.text.add(|| s.chars().take(40).collect(), id),
            Cell::Bool(b) => t.text.add(|| b.to_string(), id),
        }
    }

    /// Adds the tallies of records that come after these (same columns).
    pub fn absorb(&mut self, later: Quality) {
        for ((_, _, t), (_, _, l)) in self.columns.iter_mut().zip(later.columns) {
            t.numbers += l.numbers;
            t.missing.absorb(l.missing);
            t.non_finite.absorb(l.non_finite);
            t.text.absorb(l.text);
        }
    }

    /// One warning per column with something to say, in column order.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, role, t) in &self.columns {
            let first = |s: &Seen| {
                s.first
                    .as_ref()
                    .map(|(v, id)| match &self.source {
                        Source::Capture => format!("first {v:?} in capture event {id}"),
                        Source::Dataset(file) => format!("first {v:?} in row {id} of {file}"),
                    })
                    .unwrap_or_default()
            };
            // FT of a facet leaves the facet's own column out (smclarify): a facet column's
            // gaps break FT only for the other facets, and saying otherwise beside a
            // computed FT was a contradiction (regression: "FT cannot be computed", FT = 0.0).
            let ft = match role {
                Role::Facet => format!(
                    "FlipTest (FT) of the other facets cannot be computed on this window (FT of facet {name:?} leaves this column out)"
                ),
                _ => "FlipTest (FT) cannot be computed on this window".to_string(),
            };
            match role {
                Role::Feature | Role::Facet => {
                    if t.missing.count > 0 {
                        out.push(format!(
                            "feature {name:?}: {} records have no value (empty, NaN or null; {}): {ft}",
                            t.missing.count,
                            first(&t.missing)
                        ));
                    }
                    if t.non_finite.count > 0 {
                        out.push(format!(
                            "feature {name:?}: {} values are infinite or beyond a float's range ({}): {ft}",
                            t.non_finite.count,
                            first(&t.non_finite)
                        ));
                    }
                    if t.text.count > 0 && t.numbers > 0 {
                        out.push(format!(
                            "feature {name:?}: {} values are not numbers ({}) among {} numbers, so the column is text: a facet on it is categorical and FlipTest (FT) cannot be computed",
                            t.text.count,
                            first(&t.text),
                            t.numbers
                        ));
                    }
                }
                Role::Prediction => {
                    if t.missing.count > 0 {
                        out.push(format!(
                            "prediction {name:?}: {} records have no predicted value (empty, NaN or null; {}): no threshold is exceeded by them, so they count as negative predictions",
                            t.missing.count,
                            first(&t.missing)
                        ));
                    }
                    if t.non_finite.count > 0 {
                        out.push(format!(
                            "prediction {name:?}: {} predicted values are infinite or beyond a float's range ({}): +inf exceeds every threshold and -inf none, so they are thresholded as extreme scores",
                            t.non_finite.count,
                            first(&t.non_finite)
                        ));
                    }
                    if t.text.count > 0 && t.numbers > 0 {
                        out.push(format!(
                            "prediction {name:?}: {} predicted values are not numbers ({}) among {} numbers",
                            t.text.count,
                            first(&t.text),
                            t.numbers
                        ));
                    }
                }
                Role::Label => {
                    let (labels, consequence) = match self.source {
                        Source::Capture => (
                            "ground-truth labels",
                            "they are not a positive label value, so they count as negative",
                        ),
                        Source::Dataset(_) => (
                            "labels",
                            "the column is read as text, so label_values_or_threshold is matched against text",
                        ),
                    };
                    if t.text.count > 0 && t.numbers > 0 {
                        out.push(format!(
                            "label {name:?}: {} {labels} are not numbers ({}) among {} numeric labels; {consequence}",
                            t.text.count,
                            first(&t.text),
                            t.numbers
                        ));
                    }
                    if t.non_finite.count > 0 {
                        out.push(format!(
                            "label {name:?}: {} labels are infinite or beyond a float's range ({})",
                            t.non_finite.count,
                            first(&t.non_finite)
                        ));
                    }
                    if t.missing.count > 0 {
                        out.push(format!(
                            "label {name:?}: {} {labels} are empty or null ({})",
                            t.missing.count,
                            first(&t.missing)
                        ));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_column_the_count_and_the_first_event() {
        let mut q = Quality::new([
            ("age".to_string(), Role::Feature),
            ("hours".to_string(), Role::Feature),
            ("label".to_string(), Role::Label),
        ]);
        let (a, b) = ("ev-1", "ev-2");
        q.observe(0, &Cell::Int(30), a);
        q.observe(0, &Cell::Float(f64::NAN), b);
        q.observe(1, &Cell::Float(f64::INFINITY), a);
        q.observe(1, &Cell::Text("abc".into()), b);
        q.observe(1, &Cell::Int(4), a);
        q.observe(2, &Cell::Int(1), a);
        q.observe(2, &Cell::Text("yes".into()), b);
        let w = q.warnings();
        assert_eq!(w.len(), 4, "{w:#?}");
        assert!(w[0].starts_with("feature \"age\": 1 records have no value (empty, NaN or null; first \"NaN\" in capture event ev-2): FlipTest (FT) cannot be computed"), "{}", w[0]);
        assert!(
            w[1].contains("\"hours\": 1 values are infinite")
                && w[1].contains("first \"inf\" in capture event ev-1"),
            "{}",
            w[1]
        );
        assert!(
            w[2].contains(
                "1 values are not numbers (first \"abc\" in capture event ev-2) among 1 numbers"
            ),
            "{}",
            w[2]
        );
        assert!(w[3].starts_with("label \"label\": 1 ground-truth labels are not numbers (first \"yes\" in capture event ev-2) among 1 numeric labels"), "{}", w[3]);
    }

    #[test]
    fn a_facet_columns_gaps_break_only_the_other_facets_ft() {
        let mut q = Quality::new([("sex".to_string(), Role::Facet)]);
        q.observe(0, &Cell::Float(f64::INFINITY), "ev-1");
        let w = q.warnings();
        assert_eq!(w.len(), 1);
        assert!(
            w[0].ends_with("FlipTest (FT) of the other facets cannot be computed on this window (FT of facet \"sex\" leaves this column out)"),
            "{}",
            w[0]
        );
    }
}
