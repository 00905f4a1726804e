//! nDCG of attribution drift: `sklearn.metrics.ndcg_score([baseline], [current])` — relevance
//! is the baseline attribution, the current attributions only set the order; features tied
//! in the current values share their group's mean relevance (sklearn's tie averaging).

/// Why an nDCG cannot be computed (sklearn raises in these cases).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NdcgError {
    #[error("nDCG needs at least 2 features, got {0}")]
    TooFewFeatures(usize),
    #[error("baseline and current have {0} and {1} features")]
    LengthMismatch(usize, usize),
    #[error("baseline attribution of feature {0} is negative ({1}); nDCG relevance must be >= 0")]
    NegativeRelevance(usize, f64),
    #[error("attribution of feature {0} is not a finite number")]
    NotFinite(usize),
}

fn discount(i: usize) -> f64 {
    1.0 / ((i as f64) + 2.0).log2()
}

/// DCG of `relevance` ranked by `score` (descending), tied scores averaged.
fn tie_averaged_dcg(relevance: &[f64], score: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]));
    let mut dcg = 0.0;
    let mut pos = 0;
    while pos < order.len() {
        let mut end = pos + 1;
        while end < order.len() && score[order[end]] == score[order[pos]] {
            end += 1;
        }
        let group = &order[pos..end];
        let mean_rel = group.iter().map(|&j| relevance[j]).sum::<f64>() / group.len() as f64;
        let disc: f64 = (pos..end).map(discount).sum();
        dcg += mean_rel * disc;
        pos = end;
    }
    dcg
}

/// nDCG of `current` against `baseline` (feature j = position j in both).
pub fn ndcg(baseline: &[f64], current: &[f64]) -> Result<f64, NdcgError> {
    if baseline.len() != current.len() {
        return Err(NdcgError::LengthMismatch(baseline.len(), current.len()));
    }
    if baseline.len() < 2 {
        return Err(NdcgError::TooFewFeatures(baseline.len()));
    }
    for (j, (&b, &c)) in baseline.iter().zip(current).enumerate() {
        if !b.is_finite() || !c.is_finite() {
            return Err(NdcgError::NotFinite(j));
        }
        if b < 0.0 {
            return Err(NdcgError::NegativeRelevance(j, b));
        }
    }
    let ideal = tie_averaged_dcg(baseline, baseline);
    if ideal == 0.0 {
        return Ok(0.0);
    }
    Ok(tie_averaged_dcg(baseline, current) / ideal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_example_and_errors() {
        // SAT .70, GPA .50, ClassRank .05; live order ClassRank, GPA, SAT.
        let v = ndcg(&[0.70, 0.50, 0.05], &[0.1, 0.2, 0.3]).unwrap();
        assert!((v - 0.687640).abs() < 1e-6, "{v}");
        assert!(ndcg(&[1.0], &[1.0]).is_err());
        assert!(matches!(
            ndcg(&[-1.0, 2.0], &[1.0, 2.0]),
            Err(NdcgError::NegativeRelevance(0, _))
        ));
        assert_eq!(ndcg(&[0.0, 0.0], &[1.0, 2.0]).unwrap(), 0.0);
    }

    #[test]
    fn ties_in_current_values_are_averaged() {
        // sklearn: ndcg_score([[3, 2, 1]], [[1, 1, 0]]) = (2.5*(1+1/log2(3)) + 1/2) / (3 + 2/log2(3) + 1/2)
        let want = (2.5 * (1.0 + 1.0 / 3f64.log2()) + 0.5) / (3.0 + 2.0 / 3f64.log2() + 0.5);
        let got = ndcg(&[3.0, 2.0, 1.0], &[1.0, 1.0, 0.0]).unwrap();
        assert!((got - want).abs() < 1e-15);
    }
}
