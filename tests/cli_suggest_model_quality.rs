//! `driftwatch suggest-baseline --type model_quality` end to end: the SDK's real baselining
//! job output reproduced byte for byte from its input (with the attributes as the SDK's test
//! names them), a binary baseline with its curves and deviations, and bad input named.

mod common;

use serde_json::Value;

const SDK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/sagemaker_model_quality/sdk"
);

fn suggest(dataset: &str, out: &std::path::Path, extra: &[&str]) -> common::Run {
    let mut args = vec![
        "suggest-baseline",
        "--type",
        "model_quality",
        "--dataset",
        dataset,
        "--header",
        "--output",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    common::driftwatch(&args)
}

#[test]
fn the_sdk_regression_baseline_is_reproduced_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let r = suggest(
        &format!("{SDK}/baseline_dataset.csv"),
        tmp.path(),
        &[
            "--problem-type",
            "Regression",
            "--inference-attribute",
            "Label",
            "--ground-truth-attribute",
            "Prediction",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ours = std::fs::read_to_string(tmp.path().join("statistics.json")).unwrap();
    let theirs = std::fs::read_to_string(format!("{SDK}/statistics.json")).unwrap();
    assert_eq!(ours, theirs);
    // The suggested thresholds are the values: the SDK's bad case is this file with mse lowered.
    let c: Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("constraints.json")).unwrap(),
    )
    .unwrap();
    let rc = &c["regression_constraints"];
    assert_eq!(rc["mse"]["threshold"], 0.33364933609800973);
    assert_eq!(rc["mae"]["comparison_operator"], "GreaterThanThreshold");
    assert_eq!(rc["r2"]["comparison_operator"], "LessThanThreshold");
    assert_eq!(rc["r2"]["threshold"], -3.208758170289026);
}

#[test]
fn a_binary_baseline_has_its_curves_and_deviations_from_200_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("binary.csv");
    let mut text = String::from("label,prob\n");
    for i in 0..400u32 {
        let label = u32::from(i % 3 == 0);
        let prob = f64::from((i * 37) % 100) / 100.0 * 0.6 + 0.4 * f64::from(label);
        text.push_str(&format!("{label},{prob}\n"));
    }
    std::fs::write(&data, text).unwrap();
    let out = tmp.path().join("out");
    let r = suggest(
        data.to_str().unwrap(),
        &out,
        &[
            "--problem-type",
            "BinaryClassification",
            "--probability-attribute",
            "prob",
            "--probability-threshold-attribute",
            "0.5",
            "--ground-truth-attribute",
            "label",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("statistics.json")).unwrap())
            .unwrap();
    let b = &s["binary_classification_metrics"];
    let cm = &b["confusion_matrix"];
    let total: u64 = ["0", "1"]
        .iter()
        .flat_map(|a| ["0", "1"].map(|p| cm[a][p].as_u64().unwrap()))
        .sum();
    assert_eq!(total, 400);
    assert!(b["auc"]["value"].as_f64().unwrap() > 0.5);
    assert!(b["auc"]["standard_deviation"].is_f64(), "{}", b["auc"]);
    let roc = &b["receiver_operating_characteristic_curve"];
    assert_eq!(roc["false_positive_rates"][0], 0.0);
    assert_eq!(b["precision_recall_curve"]["recalls"][0], 0.0);
    let c: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("constraints.json")).unwrap())
            .unwrap();
    assert_eq!(
        c["binary_classification_constraints"]["f2"]["comparison_operator"],
        "LessThanThreshold"
    );
    // The same file twice: the same bytes (seeded deviations).
    let again = tmp.path().join("again");
    suggest(
        data.to_str().unwrap(),
        &again,
        &[
            "--problem-type",
            "BinaryClassification",
            "--probability-attribute",
            "prob",
            "--ground-truth-attribute",
            "label",
        ],
    );
    assert_eq!(
        std::fs::read(out.join("statistics.json")).unwrap(),
        std::fs::read(again.join("statistics.json")).unwrap()
    );
}

#[test]
fn bad_input_is_named_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("multi.csv");
    std::fs::write(&data, "label,pred\n1,1\n2,1\n").unwrap();
    for (extra, needle) in [
        (
            vec![
                "--problem-type",
                "BinaryClassification",
                "--inference-attribute",
                "pred",
                "--ground-truth-attribute",
                "label",
            ],
            "multi.csv:3: the ground truth \"2\" is not a binary label",
        ),
        (
            vec![
                "--problem-type",
                "Regression",
                "--inference-attribute",
                "nope",
                "--ground-truth-attribute",
                "label",
            ],
            "inference_attribute \"nope\" is neither a column of the header (label, pred) nor an index",
        ),
        (
            vec![
                "--problem-type",
                "Regression",
                "--inference-attribute",
                "pred",
            ],
            "--ground-truth-attribute",
        ),
    ] {
        let out = tmp.path().join("out");
        let r = suggest(data.to_str().unwrap(), &out, &extra);
        assert_eq!(r.code, 2, "{extra:?}: {}", r.stdout);
        assert!(r.stderr.contains(needle), "{needle}\n{}", r.stderr);
        assert!(!out.join("statistics.json").exists());
    } // A data-quality baseline takes no model-quality attribute: refused, not ignored.
    let out = tmp.path().join("dq");
    let r = common::driftwatch(&[
        "suggest-baseline",
        "--type",
        "data_quality",
        "--dataset",
        data.to_str().unwrap(),
        "--ground-truth-attribute",
        "label",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("are for --type model_quality"),
        "{}",
        r.stderr
    );
    assert!(!out.join("statistics.json").exists());
}
