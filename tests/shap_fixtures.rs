//! Kernel SHAP and nDCG against the shared fixtures (made with shap 0.49.1, sklearn and an
//! exact-enumeration oracle): in-process model predictions, expected values, local values
//! (full enumeration = exact Shapley values, to 1e-9), global values per `agg_method`, the
//! coalition design of shap for one row, and the nDCG table.

use driftwatch::explain::aggregate::{AggMethod, aggregate};
use driftwatch::explain::kernel_shap::{
    Background, Explainer, Link, Masks, Settings, design, exact_shapley,
};
use driftwatch::explain::model::InProcessModel;
use driftwatch::explain::ndcg::ndcg;
use driftwatch::explain::predictor::PredictError;
use driftwatch::explain::rng::Rng;
use driftwatch::explain::tree_coalitions::predict_coalitions;
use serde_json::Value;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn csv_rows(name: &str) -> Vec<Vec<f64>> {
    fixture(name)
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split(',')
                .map(|c| c.trim().parse::<f64>().unwrap())
                .collect()
        })
        .collect()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

fn check_case(expected: &str, model_file: &str, rows_file: &str, baseline_file: &str) {
    let want: Value = serde_json::from_str(&fixture(&format!("shap/{expected}"))).unwrap();
    let model =
        InProcessModel::from_json(&fixture(&format!("shap/{model_file}")), model_file).unwrap();
    let rows = csv_rows(&format!("shap/{rows_file}"));
    let baseline = csv_rows(&format!("shap/{baseline_file}"));
    assert_eq!(rows.len(), want["n_rows"].as_u64().unwrap() as usize);
    assert_eq!(
        baseline.len(),
        want["n_baseline_rows"].as_u64().unwrap() as usize
    );
    let link = match want["link"].as_str().unwrap() {
        "identity" => Link::Identity,
        "logit" => Link::Logit,
        other => panic!("link {other}"),
    };
    // Predictions: XGBoost's own to 1e-6 (it computes in f32), logistic exactly.
    let tol = if model_file.starts_with("xgb") {
        1e-6
    } else {
        1e-12
    };
    for (row, p) in rows.iter().zip(want["predictions"].as_array().unwrap()) {
        let got = model.predict_row(row);
        assert!(
            (got - p.as_f64().unwrap()).abs() <= tol,
            "{expected}: prediction {got} vs {p}"
        );
    }
    let predict = |r: &[f64]| -> Result<Vec<f64>, PredictError> { Ok(model.predict(r)) };
    let bg = Background::uniform(baseline);
    let settings = Settings {
        link,
        num_samples: None,
        seed: 0,
    };
    let explainer = Explainer::new(&predict, bg.clone(), settings).unwrap();
    assert!(
        close(
            explainer.expected_value(),
            want["expected_value"].as_f64().unwrap(),
            1e-9
        ),
        "{expected}: expected_value {}",
        explainer.expected_value()
    );
    // An XGBoost model's coalitions read off its trees: the same bits as predicting the rows.
    let xgboost = match &model {
        InProcessModel::Xgboost(x) => Some(x),
        _ => None,
    };
    let coalitions = |x: &[f64], b: &[f64], varying: &[usize], masks: &Masks| {
        xgboost.and_then(|m| predict_coalitions(m, x, b, varying, masks))
    };
    let shortcut = Explainer::new(&predict, bg.clone(), settings)
        .unwrap()
        .with_coalitions(&coalitions);
    let mut rng = Rng::seeded(0);
    let mut local = Vec::new();
    for (i, (row, exact_row)) in rows
        .iter()
        .zip(want["exact"]["local"].as_array().unwrap())
        .enumerate()
    {
        let out = explainer.explain(row, &mut rng).unwrap();
        let fast = shortcut.explain(row, &mut Rng::seeded(0)).unwrap();
        let again = explainer.explain(row, &mut Rng::seeded(0)).unwrap();
        assert_eq!(
            fast, again,
            "{expected} row {i}: with and without the tree shortcut"
        );
        let oracle = exact_shapley(&predict, &bg, row, link).unwrap();
        for (j, e) in exact_row.as_array().unwrap().iter().enumerate() {
            let e = e.as_f64().unwrap();
            assert!(
                (out.phi[0][j] - e).abs() <= 1e-9,
                "{expected} row {i} feature {j}: {} vs exact {e}",
                out.phi[0][j]
            );
            assert!(
                (oracle[j] - e).abs() <= 1e-9,
                "{expected} oracle row {i} feature {j}"
            );
        }
        let sum: f64 = out.phi[0].iter().sum();
        assert!(
            (sum - (out.prediction[0] - explainer.expected_value())).abs() <= 1e-9,
            "additivity"
        );
        local.push(out.phi[0].clone());
    }
    let names: Vec<String> = model.feature_names().to_vec();
    for (key, method) in [
        ("mean_abs", AggMethod::MeanAbs),
        ("median", AggMethod::Median),
        ("mean_sq", AggMethod::MeanSq),
    ] {
        let got = aggregate(&local, method);
        for (j, name) in names.iter().enumerate() {
            let w = want["exact"]["global"][key][name].as_f64().unwrap();
            assert!(
                (got[j] - w).abs() <= 1e-9,
                "{expected} {key} {name}: {} vs {w}",
                got[j]
            );
        }
    }
    // The analysis.json fragment shap's numbers give (mean_abs).
    let fragment = &want["analysis_json"]["explanations"]["kernel_shap"]["label0"];
    let got = aggregate(&local, AggMethod::MeanAbs);
    for (j, name) in names.iter().enumerate() {
        let w = fragment["global_shap_values"][name].as_f64().unwrap();
        assert!(
            (got[j] - w).abs() <= 1e-9,
            "{expected} analysis.json {name}"
        );
    }
    // shap's coalition design for row 0, where recorded.
    if let Some(d) = want["kernel"].get("design_row0") {
        let m = d["M"].as_u64().unwrap() as usize;
        let ours = design(m, None, &mut Rng::seeded(0));
        let masks: Vec<Vec<bool>> = d["masks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|b| b.as_i64() == Some(1) || b.as_bool() == Some(true))
                    .collect()
            })
            .collect();
        assert_eq!(ours.masks.to_bools(), masks, "{expected}: mask order");
        for (a, b) in ours
            .weights
            .iter()
            .zip(d["kernel_weights"].as_array().unwrap())
        {
            assert!((a - b.as_f64().unwrap()).abs() < 1e-15);
        }
    }
}

#[test]
fn logistic_model_identity_link() {
    check_case(
        "expected_logistic_identity.json",
        "logistic_model.json",
        "logistic_model_rows.csv",
        "baseline.csv",
    );
}

#[test]
fn logistic_model_logit_link() {
    check_case(
        "expected_logistic_logit.json",
        "logistic_model.json",
        "logistic_model_rows.csv",
        "baseline.csv",
    );
}

#[test]
fn logistic_model_single_baseline_row() {
    check_case(
        "expected_logistic_single_identity.json",
        "logistic_model.json",
        "logistic_model_rows.csv",
        "baseline_single.csv",
    );
    check_case(
        "expected_logistic_single_logit.json",
        "logistic_model.json",
        "logistic_model_rows.csv",
        "baseline_single.csv",
    );
}

#[test]
fn xgboost_model_both_links() {
    check_case(
        "expected_xgb_identity.json",
        "xgb_model.json",
        "xgb_rows.csv",
        "xgb_baseline.csv",
    );
    check_case(
        "expected_xgb_logit.json",
        "xgb_model.json",
        "xgb_rows.csv",
        "xgb_baseline.csv",
    );
}

#[test]
fn ndcg_reference_table() {
    let table: Value = serde_json::from_str(&fixture("ndcg/table.json")).unwrap();
    for case in table["cases"].as_array().unwrap() {
        let v = |k: &str| -> Vec<f64> {
            case[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        };
        let got = ndcg(&v("baseline"), &v("current")).unwrap();
        let want = case["ndcg"].as_f64().unwrap();
        assert!((got - want).abs() <= 1e-9, "{case}: {got}");
    }
}
