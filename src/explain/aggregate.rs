//! Global SHAP values from per-record values, by Clarify's `agg_method`.

/// Clarify's `agg_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggMethod {
    /// mean |φ| (the default).
    MeanAbs,
    /// median φ, signed (numpy's median: the mean of the two middle values for an even count).
    Median,
    /// mean φ² (no square root).
    MeanSq,
}

/// One global value per feature from `local` (one row of values per record).
pub fn aggregate(local: &[Vec<f64>], method: AggMethod) -> Vec<f64> {
    let width = local.first().map_or(0, Vec::len);
    let n = local.len() as f64;
    (0..width)
        .map(|j| {
            let col = local.iter().map(|r| r[j]);
            match method {
                AggMethod::MeanAbs => col.map(f64::abs).sum::<f64>() / n,
                AggMethod::MeanSq => col.map(|v| v * v).sum::<f64>() / n,
                AggMethod::Median => {
                    let mut v: Vec<f64> = col.collect();
                    v.sort_by(f64::total_cmp);
                    let mid = v.len() / 2;
                    if v.is_empty() {
                        f64::NAN
                    } else if v.len() % 2 == 1 {
                        v[mid]
                    } else {
                        (v[mid - 1] + v[mid]) / 2.0
                    }
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_method() {
        let local = vec![
            vec![1.0, -2.0],
            vec![-3.0, 4.0],
            vec![2.0, 0.0],
            vec![0.0, 1.0],
        ];
        assert_eq!(aggregate(&local, AggMethod::MeanAbs), [1.5, 1.75]);
        assert_eq!(aggregate(&local, AggMethod::MeanSq), [3.5, 5.25]);
        assert_eq!(aggregate(&local, AggMethod::Median), [0.5, 0.5]);
    }
}
