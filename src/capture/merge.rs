//! Joining captured records with ground truth, SageMaker's way: an inner join on the
//! capture's `inferenceId` when it has one, else its `eventId`, against the ground truth's
//! `eventMetadata.eventId`. Unmatched records on either side are counted, never guessed.

use std::collections::HashMap;

use serde_json::Value;

use super::cell::Cell;
use super::ground_truth::GroundTruthRecord;

/// One captured invocation after decoding: its key and its records (multi-record requests
/// hold several), each with features and the model's predicted label.
#[derive(Debug, Clone, PartialEq)]
pub struct CapturedEvent {
    pub key: String,
    pub records: Vec<(Vec<Cell>, Cell)>,
}

/// A merged record: features, ground-truth label, predicted label, and which captured event
/// it came from (shared by the records of one event), so data-quality messages can name it.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedRecord {
    pub id: std::sync::Arc<str>,
    pub features: Vec<Cell>,
    pub label: Cell,
    pub prediction: Cell,
}

#[derive(Debug, Default, PartialEq)]
pub struct MergeOutcome {
    pub records: Vec<MergedRecord>,
    /// Captured records with no ground truth.
    pub unmatched_captures: usize,
    /// Ground-truth labels with no captured record.
    pub unmatched_labels: usize,
    pub warnings: Vec<String>,
}

/// Joins events with ground truth. `truth` must be in file order (oldest first): for an id
/// labelled twice, the latest file wins, with a warning.
pub fn merge(events: Vec<CapturedEvent>, truth: Vec<GroundTruthRecord>) -> MergeOutcome {
    let mut out = MergeOutcome::default();
    let mut labels: HashMap<String, Vec<Value>> = HashMap::new();
    let mut duplicates = 0;
    for t in truth {
        if labels.insert(t.event_id, t.labels).is_some() {
            duplicates += 1;
        }
    }
    if duplicates > 0 {
        out.warnings.push(format!(
            "{duplicates} ground-truth ids appear more than once; the latest file's labels were used"
        ));
    }
    let mut mismatched = 0;
    for e in events {
        match labels.remove(&e.key) {
            None => out.unmatched_captures += e.records.len(),
            Some(l) if l.len() != e.records.len() => {
                mismatched += 1;
                out.unmatched_captures += e.records.len();
                out.unmatched_labels += l.len();
            }
            Some(l) => {
                let id: std::sync::Arc<str> = e.key.into();
                out.records.extend(e.records.into_iter().zip(l).map(
                    |((features, prediction), label)| MergedRecord {
                        id: id.clone(),
                        features,
                        label: Cell::from(label),
                        prediction,
                    },
                ))
            }
        }
    }
    if mismatched > 0 {
        out.warnings.push(format!(
            "{mismatched} events have a different number of ground-truth labels than captured records; they were left out"
        ));
    }
    out.unmatched_labels += labels.values().map(Vec::len).sum::<usize>();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(key: &str, n: usize) -> CapturedEvent {
        CapturedEvent {
            key: key.into(),
            records: (0..n)
                .map(|i| (vec![Cell::Int(i as i64)], Cell::Int(0)))
                .collect(),
        }
    }

    fn truth(id: &str, labels: &[i64]) -> GroundTruthRecord {
        GroundTruthRecord {
            event_id: id.into(),
            labels: labels.iter().map(|l| json!(l)).collect(),
        }
    }

    #[test]
    fn inner_join_with_counts_and_latest_duplicate() {
        let events = [event("a", 1), event("b", 2), event("c", 1), event("d", 2)];
        let out = merge(
            events.to_vec(),
            vec![
                truth("a", &[0]),
                truth("b", &[1, 0]),
                truth("a", &[1]),
                truth("d", &[1]),
                truth("z", &[1, 1]),
            ],
        );
        assert_eq!(out.records.len(), 3);
        assert_eq!(
            out.records[0].label,
            Cell::Int(1),
            "the later label for a wins"
        );
        assert_eq!(
            out.unmatched_captures,
            1 + 2,
            "c has no label; d has 1 label for 2 records"
        );
        assert_eq!(out.unmatched_labels, 1 + 2, "d's label and z's two");
        assert_eq!(out.warnings.len(), 2);
    }
}
