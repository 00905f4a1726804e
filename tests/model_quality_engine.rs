//! The model-quality engine against its references: scikit-learn's metrics on seeded rows
//! (`tests/fixtures/model_quality_sklearn.json`, made by the script beside it) to 1e-9, and
//! the SageMaker container's own regression statistics for the SDK's dataset
//! (`tests/fixtures/sagemaker_model_quality/sdk/`, ground truth = the column the SDK's test
//! names as the ground truth, `Prediction`). States merged from parts give the whole's numbers.

use driftwatch::model_quality::binary::BinaryState;
use driftwatch::model_quality::multiclass::MulticlassState;
use driftwatch::model_quality::regression::RegressionState;
use serde_json::Value;

fn golden() -> Value {
    serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/model_quality_sklearn.json"
        ))
        .unwrap(),
    )
    .unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn close(ours: f64, want: &Value, what: &str) {
    let want = want
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: no reference"));
    assert!(
        (ours - want).abs() <= 1e-9,
        "{what}: {ours} vs scikit-learn's {want}"
    );
}

#[test]
fn regression_is_scikit_learns_and_parts_merge_to_the_whole() {
    for case in golden()["regression"].as_array().unwrap() {
        let (y, p) = (floats(&case["truth"]), floats(&case["prediction"]));
        let mut whole = RegressionState::default();
        let (mut a, mut b) = (RegressionState::default(), RegressionState::default());
        for (i, (&t, &q)) in y.iter().zip(&p).enumerate() {
            whole.add(t, q);
            if i < y.len() / 3 {
                a.add(t, q)
            } else {
                b.add(t, q)
            }
        }
        a.merge(&b);
        for s in [whole, a] {
            let m = s.metrics().unwrap();
            close(m.mae, &case["mae"], "mae");
            close(m.mse, &case["mse"], "mse");
            close(m.rmse, &case["rmse"], "rmse");
            close(m.r2.unwrap(), &case["r2"], "r2");
        }
    }
}

/// The SDK's baselining job output: mae, mse, rmse bit for bit, r2 to the last digits, with
/// `Prediction` as the ground truth and `Label` as the inference (as the SDK's test names them).
#[test]
fn the_sdk_regression_baseline_is_the_containers() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sagemaker_model_quality/sdk"
    );
    let text = std::fs::read_to_string(format!("{dir}/baseline_dataset.csv")).unwrap();
    let mut s = RegressionState::default();
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let cells: Vec<f64> = line.split(',').map(|c| c.parse().unwrap()).collect();
        s.add(cells[8], cells[7]);
    }
    let stats: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/statistics.json")).unwrap())
            .unwrap();
    let want = |k: &str| stats["regression_metrics"][k]["value"].as_f64().unwrap();
    let m = s.metrics().unwrap();
    assert_eq!(s.n, stats["dataset"]["item_count"].as_u64().unwrap());
    assert_eq!(m.mae, want("mae"));
    assert_eq!(m.mse, want("mse"));
    assert_eq!(m.rmse, want("rmse"));
    assert!(
        (m.r2.unwrap() - want("r2")).abs() <= 1e-12,
        "{} vs {}",
        m.r2.unwrap(),
        want("r2")
    );
}

#[test]
fn binary_is_scikit_learns_with_an_exact_auc() {
    for case in golden()["binary"].as_array().unwrap() {
        let actual: Vec<bool> = floats(&case["actual"]).iter().map(|&x| x == 1.0).collect();
        let predicted: Vec<bool> = floats(&case["predicted"])
            .iter()
            .map(|&x| x == 1.0)
            .collect();
        let score = floats(&case["score"]);
        let mut whole = BinaryState::default();
        let (mut a, mut b) = (BinaryState::default(), BinaryState::default());
        for i in 0..actual.len() {
            whole.add(actual[i], predicted[i], Some(score[i]));
            let part = if i % 2 == 0 { &mut a } else { &mut b };
            part.add(actual[i], predicted[i], Some(score[i]));
        }
        a.merge(&b);
        assert_eq!(a, whole, "merged parts are the whole's state");
        let c = &case["confusion"];
        assert_eq!(
            [whole.tp, whole.fp, whole.tn, whole.fn_],
            ["tp", "fp", "tn", "fn"].map(|k| c[k].as_u64().unwrap())
        );
        let m = whole.metrics().unwrap();
        for (name, v) in [
            ("recall", m.recall),
            ("precision", m.precision),
            ("accuracy", m.accuracy),
            ("f0_5", m.f0_5),
            ("f1", m.f1),
            ("f2", m.f2),
            (
                "recall_best_constant_classifier",
                m.recall_best_constant_classifier,
            ),
            (
                "precision_best_constant_classifier",
                m.precision_best_constant_classifier,
            ),
            (
                "accuracy_best_constant_classifier",
                m.accuracy_best_constant_classifier,
            ),
            (
                "f0_5_best_constant_classifier",
                m.f0_5_best_constant_classifier,
            ),
            ("f1_best_constant_classifier", m.f1_best_constant_classifier),
            ("f2_best_constant_classifier", m.f2_best_constant_classifier),
        ] {
            close(v, &case[name], name);
        }
        match case.get("auc") {
            Some(auc) => {
                close(m.auc.unwrap(), auc, "auc");
                let roc = whole.roc().unwrap();
                let (fpr, tpr) = (floats(&case["roc"][0]), floats(&case["roc"][1]));
                // scikit-learn's first point is its (0, 0) above every score.
                assert_eq!(roc.len(), fpr.len());
                for (i, (x, y)) in roc.iter().enumerate() {
                    assert!(
                        (x - fpr[i]).abs() <= 1e-12 && (y - tpr[i]).abs() <= 1e-12,
                        "roc point {i}"
                    );
                }
            }
            None => assert_eq!(m.auc, None, "one class only: AUC undefined"),
        }
        let (p, n) = (m.true_positive_rate, m.false_negative_rate);
        assert!((p + n - 1.0).abs() < 1e-12 || whole.tp + whole.fn_ == 0);
    }
}

#[test]
fn multiclass_is_scikit_learns_weighted_average() {
    for case in golden()["multiclass"].as_array().unwrap() {
        let text = |k: &str| -> Vec<String> {
            case[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect()
        };
        let (y, p) = (text("actual"), text("predicted"));
        let mut whole = MulticlassState::default();
        let (mut a, mut b) = (MulticlassState::default(), MulticlassState::default());
        for (i, (t, q)) in y.iter().zip(&p).enumerate() {
            whole.add(t, q);
            if i < 5 { a.add(t, q) } else { b.add(t, q) }
        }
        a.merge(&b);
        assert_eq!(a, whole);
        let m = whole.metrics().unwrap();
        for (name, v) in [
            ("accuracy", m.accuracy),
            ("weighted_recall", m.weighted_recall),
            ("weighted_precision", m.weighted_precision),
            ("weighted_f0_5", m.weighted_f0_5),
            ("weighted_f1", m.weighted_f1),
            ("weighted_f2", m.weighted_f2),
            (
                "accuracy_best_constant_classifier",
                m.accuracy_best_constant_classifier,
            ),
            (
                "weighted_recall_best_constant_classifier",
                m.weighted_recall_best_constant_classifier,
            ),
            (
                "weighted_precision_best_constant_classifier",
                m.weighted_precision_best_constant_classifier,
            ),
            (
                "weighted_f0_5_best_constant_classifier",
                m.weighted_f0_5_best_constant_classifier,
            ),
            (
                "weighted_f1_best_constant_classifier",
                m.weighted_f1_best_constant_classifier,
            ),
            (
                "weighted_f2_best_constant_classifier",
                m.weighted_f2_best_constant_classifier,
            ),
        ] {
            close(v, &case[name], name);
        }
        let total: u64 = whole
            .confusion_matrix()
            .values()
            .flat_map(|r| r.values())
            .sum();
        assert_eq!(total, y.len() as u64);
    }
}
