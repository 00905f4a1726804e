//! Comparing an execution's analysis with the baseline constraints (a baseline analysis.json).

pub mod attribution_drift;
pub mod bias_drift;

/// Why metrics were not compared with their baseline, counted: the check never passes a
/// metric it did not compare, so every skipped one lands in one of these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotChecked {
    /// No value in this analysis (the metric could not be computed).
    pub no_value: usize,
    /// Absent from the baseline, or without a value there.
    pub no_baseline: usize,
    /// Significant mode: fewer records than `min_records` on a side or in a CDD group.
    pub too_few_records: usize,
    /// Significant mode: beyond the baseline, but without an interval to judge by.
    pub no_interval: usize,
}

impl NotChecked {
    pub fn total(&self) -> usize {
        self.no_value + self.no_baseline + self.too_few_records + self.no_interval
    }

    pub fn add(&mut self, other: &NotChecked) {
        self.no_value += other.no_value;
        self.no_baseline += other.no_baseline;
        self.too_few_records += other.too_few_records;
        self.no_interval += other.no_interval;
    }

    /// "13 without a value, 2 not in the baseline" — the non-zero causes.
    pub fn describe(&self) -> String {
        [
            (self.no_value, "without a value"),
            (self.no_baseline, "without a baseline value"),
            (self.too_few_records, "on too few records"),
            (self.no_interval, "without a confidence interval"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect::<Vec<_>>()
        .join(", ")
    }
}
