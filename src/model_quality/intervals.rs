//! Confidence intervals for every model-quality metric, driftwatch's addition (SageMaker
//! reports a deviation of its baseline only).
//!
//! Classification metrics are functions of the confusion counts, so a bootstrap resample is
//! one multinomial draw over the confusion cells — distributed exactly as resampling the
//! records, at a cost independent of their number (the bias monitor's bootstrap);
//! percentile intervals, seeded. The AUC's interval is Hanley and McNeil's normal one (a
//! resample of per-score counts would cost as many draws as distinct scores). Regression
//! intervals are normal ([`super::regression::RegressionState::intervals`]).

use super::binary::BinaryState;
use super::multiclass::MulticlassState;
use super::state::QualityState;
use crate::stats::binomial::multinomial;
use crate::stats::normal;
use crate::stats::quantile::quantile;
use crate::stats::rng::Rng;

/// A metric's interval, or why there is none.
pub type Bounds = Result<(f64, f64), String>;

/// Percentile bounds of each metric over resampled states.
fn percentile(
    names: &[&'static str],
    resampled: Vec<Vec<(&'static str, Option<f64>)>>,
    confidence: f64,
) -> Vec<(&'static str, Bounds)> {
    let alpha = (1.0 - confidence) / 2.0;
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut v: Vec<f64> = resampled.iter().filter_map(|r| r[i].1).collect();
            if v.len() < resampled.len() {
                return (
                    *name,
                    Err("undefined in some resamples (too few records of a class)".into()),
                );
            }
            v.sort_by(f64::total_cmp);
            (*name, Ok((quantile(&v, alpha), quantile(&v, 1.0 - alpha))))
        })
        .collect()
}

/// The Hanley–McNeil interval of an AUC over `p` positives and `n` negatives.
fn auc_interval(a: f64, p: f64, n: f64, z: f64) -> (f64, f64) {
    let q1 = a / (2.0 - a);
    let q2 = 2.0 * a * a / (1.0 + a);
    let var = (a * (1.0 - a) + (p - 1.0) * (q1 - a * a) + (n - 1.0) * (q2 - a * a)) / (p * n);
    let sd = var.max(0.0).sqrt();
    ((a - z * sd).max(0.0), (a + z * sd).min(1.0))
}

/// Every scalar metric's interval at `confidence`, in [`QualityState::scalars`]' order.
pub fn intervals(
    state: &QualityState,
    confidence: f64,
    resamples: usize,
    seed: u64,
) -> Vec<(&'static str, Bounds)> {
    let scalars = state.scalars();
    let names: Vec<&'static str> = scalars.iter().map(|(n, _)| *n).collect();
    let z = normal::two_sided(confidence);
    if state.rows() < 2 {
        return names
            .iter()
            .map(|n| (*n, Err("fewer than 2 records".to_string())))
            .collect();
    }
    let mut rng = Rng::seeded(seed);
    match state {
        QualityState::Regression(s) => names
            .iter()
            .zip(s.intervals(z))
            .map(|(n, b)| {
                (
                    *n,
                    b.ok_or_else(|| "undefined (a constant ground truth)".to_string()),
                )
            })
            .collect(),
        QualityState::Binary(s) => {
            let cells = [s.tp, s.fp, s.tn, s.fn_];
            let weights: Vec<f64> = cells.iter().map(|&c| c as f64).collect();
            let mut out = [0u64; 4];
            let resampled = (0..resamples)
                .map(|_| {
                    multinomial(&mut rng, s.rows(), &weights, &mut out);
                    let r = BinaryState::from_counts(out[0], out[1], out[2], out[3]);
                    QualityState::Binary(r).scalars()
                })
                .collect();
            let mut bounds = percentile(&names, resampled, confidence);
            for (name, b) in &mut bounds {
                if *name == "auc" {
                    *b = match scalars.iter().find(|(n, _)| *n == "auc").and_then(|x| x.1) {
                        Some(a) => {
                            let p = (s.tp + s.fn_) as f64;
                            let n = (s.fp + s.tn) as f64;
                            Ok(auc_interval(a, p, n, z))
                        }
                        None => Err("undefined (no scores, or one class only)".into()),
                    };
                }
            }
            bounds
        }
        QualityState::Multiclass(s) => {
            let cells: Vec<(&(String, String), u64)> = s.cells().collect();
            let weights: Vec<f64> = cells.iter().map(|(_, c)| *c as f64).collect();
            let mut out = vec![0u64; cells.len()];
            let resampled = (0..resamples)
                .map(|_| {
                    multinomial(&mut rng, s.rows(), &weights, &mut out);
                    let r = MulticlassState::from_cells(
                        cells.iter().zip(&out).map(|((k, _), c)| (*k, *c)),
                    );
                    QualityState::Multiclass(r).scalars()
                })
                .collect();
            percentile(&names, resampled, confidence)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model_quality::ProblemType;
    use crate::model_quality::observation::Observation;

    #[test]
    fn intervals_hold_the_value_and_are_seeded() {
        let mut s = QualityState::new(ProblemType::BinaryClassification);
        for i in 0..400u32 {
            let actual = i % 3 == 0;
            let predicted = i % 5 != 0 && actual || i % 7 == 0;
            s.add(&Observation::Binary(
                actual,
                predicted,
                Some(f64::from(i % 97) / 97.0),
            ));
        }
        let a = intervals(&s, 0.95, 500, 7);
        assert_eq!(a, intervals(&s, 0.95, 500, 7));
        for ((name, value), (n2, b)) in s.scalars().iter().zip(&a) {
            assert_eq!(name, n2);
            let (lo, hi) = b.clone().unwrap();
            let v = value.unwrap();
            assert!(lo <= v + 1e-12 && v <= hi + 1e-12, "{name}: {lo} {v} {hi}");
        }
        let mut r = QualityState::new(ProblemType::Regression);
        for i in 0..50 {
            r.add(&Observation::Regression(
                f64::from(i),
                f64::from(i) + f64::from(i % 4),
            ));
        }
        for ((name, value), (_, b)) in r.scalars().iter().zip(intervals(&r, 0.95, 10, 0)) {
            let (lo, hi) = b.unwrap();
            let v = value.unwrap();
            assert!(lo <= v && v <= hi, "{name}: {lo} {v} {hi}");
        }
    }
}
