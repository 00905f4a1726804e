//! The label-free estimate (CBPE) against what the labels later measure: for a calibrated
//! model the estimate's 95 % interval holds the measured metric in at least 9 of 10 windows
//! of 1,000 records; for a miscalibrated one the calibration test says the estimate cannot be
//! trusted.

use driftwatch::model_quality::ProblemType;
use driftwatch::model_quality::estimate::{CalibrationState, EstimateState};
use driftwatch::model_quality::observation::Observation;
use driftwatch::model_quality::state::QualityState;

/// splitmix64 uniforms in [0, 1).
struct Uniform(u64);

impl Uniform {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One window: the true probability of each record drawn, its label drawn from it, and the
/// score the model reports (`distort` of the truth: identity when calibrated).
fn window(
    u: &mut Uniform,
    n: usize,
    distort: impl Fn(f64) -> f64,
) -> (EstimateState, CalibrationState, QualityState) {
    let mut e = EstimateState::default();
    let mut c = CalibrationState::default();
    let mut q = QualityState::new(ProblemType::BinaryClassification);
    for _ in 0..n {
        // A skewed score distribution, as a real classifier's.
        let p = u.next().powf(1.5);
        let y = u.next() < p;
        let s = distort(p);
        let predicted = s > 0.5;
        e.add(s, predicted);
        c.add(y, s);
        q.add(&Observation::Binary(y, predicted, Some(s)));
    }
    (e, c, q)
}

fn measured(q: &QualityState, name: &str) -> f64 {
    q.scalars()
        .into_iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, v)| v)
        .unwrap()
}

#[test]
fn a_calibrated_models_estimate_holds_the_measured_metrics() {
    let mut u = Uniform(42);
    let mut within = std::collections::BTreeMap::<String, usize>::new();
    for _ in 0..10 {
        let (e, c, q) = window(&mut u, 1000, |p| p);
        assert_eq!(c.verdict().verdict, "trusted", "{:?}", c.verdict());
        for m in e.metrics() {
            let truth = measured(&q, &m.metric_name);
            if m.lower <= truth && truth <= m.upper {
                *within.entry(m.metric_name.clone()).or_default() += 1;
            }
        }
    }
    for metric in ["accuracy", "precision", "recall", "f1", "auc"] {
        let k = within.get(metric).copied().unwrap_or(0);
        assert!(k >= 9, "{metric}: within the interval in {k} of 10 windows");
    }
}

#[test]
fn a_miscalibrated_models_estimate_is_not_trusted() {
    let mut u = Uniform(7);
    let mut untrusted = 0;
    for _ in 0..10 {
        // Overconfident: the log-odds tripled.
        let (e, c, q) = window(&mut u, 1000, |p: f64| {
            let p = p.clamp(1e-6, 1.0 - 1e-6);
            let logit = (p / (1.0 - p)).ln() * 3.0;
            1.0 / (1.0 + (-logit).exp())
        });
        let v = c.verdict();
        if v.verdict == "untrusted" {
            untrusted += 1;
            assert!(v.reason.contains("not calibrated"), "{}", v.reason);
        }
        // The estimate is wrong for such a model: that is what the verdict warns of.
        let est = e.metrics();
        let acc = est.iter().find(|m| m.metric_name == "accuracy").unwrap();
        assert!(acc.value > measured(&q, "accuracy"));
    }
    assert!(untrusted >= 9, "untrusted in {untrusted} of 10 windows");
}

#[test]
fn too_few_labels_leave_the_calibration_unverified() {
    let mut u = Uniform(1);
    let (_, c, _) = window(&mut u, 50, |p| p);
    let v = c.verdict();
    assert_eq!(v.verdict, "unverified");
    assert!(v.reason.contains("100 are needed"), "{}", v.reason);
}
