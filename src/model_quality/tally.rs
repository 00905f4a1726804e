//! A binary-classification window's records counted once per distinct score: labelled
//! records by (predicted, actual), unlabelled ones by predicted label. One hash-map update a
//! record instead of one ordered-map insert per state, and integer counts that merge
//! exactly; the measured state, both estimates and the calibration test are made from it at
//! the end ([`BinaryTally::into_states`]).

use std::collections::HashMap;

use super::binary::BinaryState;
use super::estimate::{CalibrationState, EstimateState};

/// Per score: labelled (predicted 1, actual 1), (1, 0), (0, 1), (0, 0); unlabelled predicted
/// 1, predicted 0.
type Counts = [u64; 6];

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BinaryTally {
    /// Labelled records without a score: tp, fp, tn, fn.
    unscored: [u64; 4],
    /// Score bits → counts.
    scores: HashMap<u64, Counts>,
}

/// What a tally becomes.
pub struct BinaryStates {
    pub measured: BinaryState,
    /// Every scored record, labelled or not.
    pub estimate_all: EstimateState,
    /// The labelled scored records.
    pub estimate_labelled: EstimateState,
    pub calibration: CalibrationState,
}

impl BinaryTally {
    pub fn add_labelled(&mut self, actual: bool, predicted: bool, score: Option<f64>) {
        match score {
            Some(s) => {
                let c = self.scores.entry(s.to_bits()).or_default();
                c[match (predicted, actual) {
                    (true, true) => 0,
                    (true, false) => 1,
                    (false, true) => 2,
                    (false, false) => 3,
                }] += 1;
            }
            None => {
                self.unscored[match (actual, predicted) {
                    (true, true) => 0,
                    (false, true) => 1,
                    (false, false) => 2,
                    (true, false) => 3,
                }] += 1
            }
        }
    }

    /// A scored record without a label (it counts in the estimate over every record).
    pub fn add_unlabelled(&mut self, predicted: bool, score: f64) {
        self.scores.entry(score.to_bits()).or_default()[if predicted { 4 } else { 5 }] += 1;
    }

    pub fn merge(&mut self, o: &Self) {
        for (a, b) in self.unscored.iter_mut().zip(o.unscored) {
            *a += b;
        }
        for (k, c) in &o.scores {
            let e = self.scores.entry(*k).or_default();
            for (a, b) in e.iter_mut().zip(c) {
                *a += b;
            }
        }
    }

    pub fn into_states(self) -> BinaryStates {
        let [tp, fp, tn, fn_] = self.unscored;
        let mut measured = BinaryState::from_counts(tp, fp, tn, fn_);
        let mut estimate_all = EstimateState::default();
        let mut estimate_labelled = EstimateState::default();
        let mut calibration = CalibrationState::default();
        let mut keys: Vec<(u64, Counts)> = self.scores.into_iter().collect();
        keys.sort_unstable_by_key(|(k, _)| *k);
        for (bits, c) in keys {
            let s = f64::from_bits(bits);
            for (i, (predicted, actual)) in
                [(true, true), (true, false), (false, true), (false, false)]
                    .into_iter()
                    .enumerate()
            {
                let n = c[i];
                if n == 0 {
                    continue;
                }
                measured.add_count(actual, predicted, Some(s), n);
                estimate_all.add_count(s, predicted, n);
                estimate_labelled.add_count(s, predicted, n);
                calibration.add_count(actual, s, n);
            }
            for (i, predicted) in [(4, true), (5, false)] {
                if c[i] > 0 {
                    estimate_all.add_count(s, predicted, c[i]);
                }
            }
        }
        BinaryStates {
            measured,
            estimate_all,
            estimate_labelled,
            calibration,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_gives_the_states_of_adding_each_record() {
        let records = [
            (Some(true), true, Some(0.9)),
            (Some(false), true, Some(0.7)),
            (None, false, Some(0.2)),
            (Some(true), false, Some(0.2)),
            (Some(false), false, None),
            (None, true, Some(1.5)),
            (Some(true), true, Some(0.9)),
        ];
        let (mut a, mut b) = (BinaryTally::default(), BinaryTally::default());
        let mut measured = BinaryState::default();
        let (mut all, mut labelled, mut cal) = (
            EstimateState::default(),
            EstimateState::default(),
            CalibrationState::default(),
        );
        for (i, (actual, predicted, score)) in records.into_iter().enumerate() {
            let t = if i % 2 == 0 { &mut a } else { &mut b };
            match actual {
                Some(y) => {
                    t.add_labelled(y, predicted, score);
                    measured.add(y, predicted, score);
                    if let Some(s) = score {
                        all.add(s, predicted);
                        labelled.add(s, predicted);
                        cal.add(y, s);
                    }
                }
                None => {
                    let s = score.unwrap();
                    t.add_unlabelled(predicted, s);
                    all.add(s, predicted);
                }
            }
        }
        a.merge(&b);
        let s = a.into_states();
        assert_eq!(s.measured, measured);
        assert_eq!(s.estimate_all, all);
        assert_eq!(s.estimate_labelled, labelled);
        assert_eq!(s.calibration, cal);
    }
}
