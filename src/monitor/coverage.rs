//! How much of an analysis could be computed and checked, and the not-checked rule: what the
//! record's counts, the `MetricsNotComputed` metric, the reports and an execution's status
//! read.
//!
//! The rule (SageMaker fails a monitoring job whose analysis errors; smclarify itself writes
//! null metrics with an `error`): an execution fails when **no** metric could be computed, or
//! when a baseline is configured and **no** metric could be compared with it. A window where
//! some metrics were computed and checked completes; the others are counted, named in the
//! warnings and shown as "not computed" / "not checked" — never as passing.

use crate::check::NotChecked;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coverage {
    /// Metrics with a value (bias metrics; for explainability, labels with global SHAP values).
    pub computed: usize,
    /// Metrics without one (smclarify's `error` instead of a value).
    pub not_computed: usize,
    /// Why metrics were not computed: each distinct error with how many metrics had it.
    pub reasons: Vec<(String, usize)>,
    /// Metrics compared with the baseline; `None` without a baseline (nothing to check).
    pub checked: Option<usize>,
    pub not_checked: NotChecked,
    /// Baseline constraints that can never be violated or no analysis produces.
    pub unusable_baselines: usize,
}

impl Coverage {
    /// Counts a metric's error (or its value, when `error` is None).
    pub fn count(&mut self, error: Option<&str>) {
        let Some(e) = error else {
            self.computed += 1;
            return;
        };
        self.not_computed += 1;
        match self.reasons.iter_mut().find(|(r, _)| r == e) {
            Some((_, n)) => *n += 1,
            None => self.reasons.push((e.to_string(), 1)),
        }
    }

    /// Adds a check's result.
    pub fn checked(&mut self, checked: usize, not_checked: &NotChecked, unusable: usize) {
        *self.checked.get_or_insert(0) += checked;
        self.not_checked.add(not_checked);
        self.unusable_baselines += unusable;
    }

    pub fn merge(&mut self, other: &Coverage) {
        self.computed += other.computed;
        for (r, n) in &other.reasons {
            match self.reasons.iter_mut().find(|(x, _)| x == r) {
                Some((_, m)) => *m += n,
                None => self.reasons.push((r.clone(), *n)),
            }
        }
        self.not_computed += other.not_computed;
        if let Some(c) = other.checked {
            *self.checked.get_or_insert(0) += c;
        }
        self.not_checked.add(&other.not_checked);
        self.unusable_baselines += other.unusable_baselines;
    }

    /// "No positive labels in set (13 metrics); …" — the first few reasons.
    pub fn reasons_text(&self) -> String {
        const SHOWN: usize = 3;
        let mut parts: Vec<String> = self
            .reasons
            .iter()
            .take(SHOWN)
            .map(|(r, n)| format!("{r} ({n} metric{})", if *n == 1 { "" } else { "s" }))
            .collect();
        if self.reasons.len() > SHOWN {
            parts.push(format!("{} other reasons", self.reasons.len() - SHOWN));
        }
        parts.join("; ")
    }

    /// Why an execution with this coverage must not complete, if it must not (see the
    /// module's rule).
    pub fn nothing_checked(&self) -> Option<String> {
        if self.computed == 0 && self.not_computed > 0 {
            return Some(format!(
                "none of the {} metrics could be computed: {}",
                self.not_computed,
                self.reasons_text()
            ));
        }
        match self.checked {
            Some(0) if self.not_checked.total() > 0 => Some(format!(
                "none of the {} metrics could be checked against the baseline ({})",
                self.not_checked.total(),
                self.not_checked.describe()
            )),
            _ => None,
        }
    }

    /// The summary's words: "21 metrics computed, 2 not computed; 19 checked against the
    /// baseline, 2 not (2 without a value)".
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} metrics computed, {} not computed",
            self.computed, self.not_computed
        );
        if let Some(c) = self.checked {
            s.push_str(&format!("; {c} checked against the baseline"));
            let n = self.not_checked.total();
            if n > 0 {
                s.push_str(&format!(", {n} not ({})", self.not_checked.describe()));
            }
        }
        if self.unusable_baselines > 0 {
            s.push_str(&format!(
                "; {} baseline constraints can never be violated (see the warnings)",
                self.unusable_baselines
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_computed_or_nothing_checked_fails_the_window() {
        let mut c = Coverage::default();
        for _ in 0..13 {
            c.count(Some("No positive labels in set"));
        }
        assert_eq!(
            c.nothing_checked().as_deref(),
            Some(
                "none of the 13 metrics could be computed: No positive labels in set (13 metrics)"
            )
        );
        c.count(None);
        assert_eq!(c.nothing_checked(), None, "no baseline: nothing to check");
        c.checked(
            0,
            &NotChecked {
                too_few_records: 1,
                no_value: 13,
                ..NotChecked::default()
            },
            0,
        );
        assert_eq!(
            c.nothing_checked().as_deref(),
            Some(
                "none of the 14 metrics could be checked against the baseline (13 without a value, 1 on too few records)"
            )
        );
        c.checked(1, &NotChecked::default(), 0);
        assert_eq!(c.nothing_checked(), None);
        assert_eq!(
            c.summary(),
            "1 metrics computed, 13 not computed; 1 checked against the baseline, 14 not (13 without a value, 1 on too few records)"
        );
    }
}
