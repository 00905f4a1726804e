//! The rows an explanation explains, gathered from a stream of records: every record is checked
//! against the first one's width, and with a bound only a seeded uniform sample is kept, so a
//! window of any size costs bounded memory and explanation time (`driftwatch.shap_max_records`).

use crate::stats::reservoir::Reservoir;

/// A record whose width differs from the first record's: the features cannot be lined up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "captured records have {expected} and {got} features (record {record}); set headers in the analysis config so each record is checked against them"
)]
pub struct WidthMismatch {
    pub expected: usize,
    pub got: usize,
    /// 1-based position of the offending record in the stream.
    pub record: usize,
}

/// Rows of numbers (tabular SHAP) or of JSON cells (text beside numbers).
pub struct RowSample<T = f64> {
    kept: Reservoir<Vec<T>>,
    width: Option<usize>,
}

impl<T> RowSample<T> {
    /// Keeps at most `max_rows` (all when `None`); `seed` fixes which.
    pub fn new(max_rows: Option<usize>, seed: u64) -> Self {
        Self {
            kept: Reservoir::new(max_rows.unwrap_or(usize::MAX), seed),
            width: None,
        }
    }

    pub fn push(&mut self, row: Vec<T>) -> Result<(), WidthMismatch> {
        match self.width {
            None => self.width = Some(row.len()),
            Some(expected) if expected != row.len() => {
                return Err(WidthMismatch {
                    expected,
                    got: row.len(),
                    record: self.kept.seen() + 1,
                });
            }
            Some(_) => {}
        }
        self.kept.push(row);
        Ok(())
    }

    /// Records offered so far (kept or not).
    pub fn seen(&self) -> usize {
        self.kept.seen()
    }

    /// The kept rows, in stream order.
    pub fn into_rows(self) -> Vec<Vec<T>> {
        self.kept.into_items()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bounded_sample_counts_every_record_and_a_width_change_is_refused_with_its_position() {
        let mut s: RowSample = RowSample::new(Some(2), 7);
        for i in 0..5 {
            s.push(vec![f64::from(i); 3]).unwrap();
        }
        assert_eq!(
            s.push(vec![0.0; 2]),
            Err(WidthMismatch {
                expected: 3,
                got: 2,
                record: 6
            })
        );
        assert_eq!(s.seen(), 5);
        let rows = s.into_rows();
        assert_eq!(rows.len(), 2);
        assert!(rows[0][0] < rows[1][0], "kept in stream order");
    }
}
