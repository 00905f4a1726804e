//! A dataset's profile, column by column, as the analyzer container computes it: types from
//! the text (Deequ's expressions), then, for numeric columns, count, sum, mean, population
//! standard deviation, minimum, maximum and the KLL sketch of the values cast to numbers; for
//! the others, the exact count of each value.
//!
//! One pass: Deequ infers the type first and then casts, but every number a numeric column
//! can hold parses the same way whichever numeric type wins, so the numeric state is kept
//! for every column and read only if the column turns out numeric. A profile is mergeable
//! (`merge` is Spark's merge of partition states), so a window profiled object by object and
//! merged in listing order gives the same statistics in one process, in shards or on Ray.

use std::collections::HashMap;

/// Value counts: hashed while counting, sorted when written.
pub type Counts = HashMap<String, u64, foldhash::fast::FixedState>;

use super::datatype::{InferredType, TypeCounts};
use super::hll::Hll;
use super::kll::{self, Kll};
use super::moments::Moments;
use crate::sagemaker::data_quality::{
    CategoricalBucket, CategoricalDistribution, Common, Dataset, FeatureStatistics, KllBucket,
    KllDistribution, KllParameters, KllSketch, NumericDistribution, NumericalStatistics,
    Statistics, StringDistribution, StringStatistics,
};

/// The distinct values a column's exact counts are kept for; past it the column's
/// categorical distribution is not computed (Deequ's profiler keeps histograms only for
/// columns of at most about 120 distinct values).
pub const MAX_CATEGORIES: usize = 1000;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ColumnProfile {
    pub types: TypeCounts,
    /// Over the values that parse as numbers.
    pub moments: Moments,
    pub sketch: Kll,
    /// Every present value's text, for `distinct_count`.
    pub distinct: Hll,
    /// Exact counts of each value, until there are more than [`MAX_CATEGORIES`].
    pub counts: Option<Counts>,
}

/// An empty column, counting its values.
impl Default for ColumnProfile {
    fn default() -> Self {
        Self {
            types: TypeCounts::default(),
            moments: Moments::default(),
            sketch: Kll::default(),
            distinct: Hll::default(),
            counts: Some(Counts::default()),
        }
    }
}

impl ColumnProfile {
    pub fn new() -> Self {
        Self::default()
    }

    /// One cell: `None` is missing (an empty CSV field, a JSON null).
    pub fn add(&mut self, value: Option<&str>) {
        self.types.add(value);
        let Some(text) = value else { return };
        self.distinct.add(text);
        if let Some(x) = cast_number(text) {
            self.moments.update(x);
            self.sketch.update(x);
        }
        if let Some(counts) = &mut self.counts {
            if let Some(c) = counts.get_mut(text) {
                *c += 1;
            } else if counts.len() < MAX_CATEGORIES {
                counts.insert(text.to_string(), 1);
            } else {
                self.counts = None;
            }
        }
    }

    /// Adds the profile of later rows (Spark's merge of partition states, in order).
    pub fn merge(&mut self, later: &ColumnProfile) {
        self.types.merge(&later.types);
        self.moments.merge(&later.moments);
        self.sketch.merge(&later.sketch);
        self.distinct.merge(&later.distinct);
        self.counts = match (self.counts.take(), &later.counts) {
            (Some(mut a), Some(b)) => {
                for (k, v) in b {
                    *a.entry(k.clone()).or_insert(0) += v;
                }
                (a.len() <= MAX_CATEGORIES).then_some(a)
            }
            _ => None,
        };
    }

    pub fn inferred_type(&self) -> InferredType {
        self.types.inferred()
    }

    pub fn present(&self) -> u64 {
        self.types.total() - self.types.null
    }

    /// The column's entry of statistics.json.
    pub fn statistics(&self, name: &str) -> FeatureStatistics {
        let t = self.inferred_type();
        let common = Common {
            num_present: self.present(),
            num_missing: self.types.null,
        };
        let mut f = FeatureStatistics {
            name: name.to_string(),
            inferred_type: t.as_str().to_string(),
            numerical_statistics: None,
            string_statistics: None,
        };
        if t.is_numeric() && self.moments.n > 0 {
            f.numerical_statistics = Some(self.numerical(common));
        } else if matches!(t, InferredType::String | InferredType::Boolean) {
            f.string_statistics = Some(StringStatistics {
                common,
                distinct_count: self.distinct.estimate(),
                // Past MAX_CATEGORIES distinct values there is no exact histogram to show.
                distribution: self.counts.as_ref().map(|counts| StringDistribution {
                    categorical: CategoricalDistribution {
                        buckets: sorted(counts)
                            .into_iter()
                            .map(|(value, count)| CategoricalBucket {
                                value: value.clone(),
                                count,
                            })
                            .collect(),
                    },
                }),
            });
        }
        f
    }

    fn numerical(&self, common: Common) -> NumericalStatistics {
        let m = &self.moments;
        // The sketch's own extremes start at Int.MaxValue / Int.MinValue in Deequ's
        // StatefulKLLSketch, so its buckets start no higher than 2147483647 and end no lower
        // than -2147483648, whatever the data.
        let lo = m.min.min(f64::from(i32::MAX));
        let hi = m.max.max(f64::from(i32::MIN));
        NumericalStatistics {
            common,
            mean: m.mean(),
            sum: m.sum,
            std_dev: m.std_dev(),
            min: m.min,
            max: m.max,
            distribution: NumericDistribution {
                kll: KllDistribution {
                    buckets: kll::buckets(&self.sketch, lo, hi)
                        .into_iter()
                        .map(|(lower_bound, upper_bound, count)| KllBucket {
                            lower_bound,
                            upper_bound,
                            count: count as f64,
                        })
                        .collect(),
                    sketch: KllSketch {
                        parameters: KllParameters {
                            c: kll::SHRINKING_FACTOR,
                            k: kll::SKETCH_SIZE as f64,
                        },
                        data: self.sketch.data(),
                    },
                },
            },
        }
    }
}

/// The counts by value (byte order).
pub fn sorted(counts: &Counts) -> Vec<(&String, u64)> {
    let mut v: Vec<(&String, u64)> = counts.iter().map(|(k, &c)| (k, c)).collect();
    v.sort_unstable_by(|a, b| a.0.cmp(b.0));
    v
}

/// Spark's cast of a numeric-looking string to a number: surrounding spaces trimmed, a
/// leading `+` allowed; `- 3` (which Deequ's expression types Integral) casts to null.
fn cast_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let first = t.bytes().next()?;
    if !(first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.') {
        return None;
    }
    t.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// A dataset's profile: its columns in order.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    pub names: Vec<String>,
    pub columns: Vec<ColumnProfile>,
    pub rows: u64,
}

impl Profile {
    pub fn new(names: Vec<String>) -> Self {
        let columns = names.iter().map(|_| ColumnProfile::new()).collect();
        Self {
            names,
            columns,
            rows: 0,
        }
    }

    /// One row, as many cells as there are columns.
    pub fn add_row<'a>(&mut self, cells: impl IntoIterator<Item = Option<&'a str>>) {
        self.rows += 1;
        for (c, v) in self.columns.iter_mut().zip(cells) {
            c.add(v);
        }
    }

    /// Adds the profile of later rows with the same columns.
    pub fn merge(&mut self, later: &Profile) {
        self.rows += later.rows;
        for (a, b) in self.columns.iter_mut().zip(&later.columns) {
            a.merge(b);
        }
    }

    pub fn statistics(&self) -> Statistics {
        Statistics {
            version: 0.0,
            dataset: Dataset {
                item_count: self.rows,
            },
            features: self
                .names
                .iter()
                .zip(&self.columns)
                .map(|(n, c)| c.statistics(n))
                .collect(),
            driftwatch: None,
        }
    }
}
