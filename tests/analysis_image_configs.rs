//! Image analysis configs as the SageMaker Python SDK writes them
//! (`tests/fixtures/sdk/image/`, made by `make_image_configs.py` with the SDK's own classes):
//! each is read as valid for `analyze`, refused for a schedule in one sentence, and the SDK's
//! rules on `image_config` are named by their keys.

mod common;

use driftwatch::config::{AnalysisConfig, Problems, Purpose};
use serde_json::{Value, json};

fn configs() -> Vec<(String, Value)> {
    common::json_files("tests/fixtures/sdk/image")
}

fn problems(v: &Value, purpose: Purpose) -> Vec<String> {
    let mut p = Problems::new();
    let _ = AnalysisConfig::from_value(v, purpose, &mut p);
    p.into_vec().iter().map(|x| x.to_string()).collect()
}

#[test]
fn every_sdk_image_config_is_read_for_analyze_and_refused_for_schedules() {
    let all = configs();
    assert_eq!(all.len(), 5);
    for (name, v) in all {
        let mut p = Problems::new();
        let cfg = AnalysisConfig::from_value(&v, Purpose::Analyze, &mut p);
        let text: Vec<String> = p.into_vec().iter().map(|x| x.to_string()).collect();
        let cfg = cfg.unwrap_or_else(|| panic!("{name}: {text:?}"));
        let image = cfg
            .image
            .unwrap_or_else(|| panic!("{name}: not an image analysis"));
        assert_eq!(image.labels, ["cat", "dog", "other"], "{name}");
        let text = problems(&v, Purpose::ExplainabilityMonitor).join("\n");
        assert!(
            text.contains("dataset_type: image explanations run with `driftwatch analyze` only"),
            "{name}: {text}"
        );
    }
}

/// A change to a config.
type Edit = Box<dyn Fn(&mut Value)>;

#[test]
fn the_sdk_rules_are_named_by_their_keys() {
    let base = configs()
        .into_iter()
        .find(|(n, _)| n == "classification_jpeg.json")
        .unwrap()
        .1;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|v| {
                v["methods"]["shap"]["image_config"]["model_type"] = json!("SEGMENTATION")
            }),
            "methods.shap.image_config.model_type: must be IMAGE_CLASSIFICATION or OBJECT_DETECTION",
        ),
        (
            Box::new(|v| v["methods"]["shap"]["image_config"]["iou_threshold"] = json!(1.5)),
            "methods.shap.image_config.iou_threshold: must be in [0, 1], got 1.5",
        ),
        (
            Box::new(|v| v["methods"]["shap"]["image_config"]["segment_compactness"] = json!(-1)),
            "methods.shap.image_config.segment_compactness: must be a positive number, got -1",
        ),
        (
            Box::new(|v| v["predictor"]["content_type"] = json!("text/csv")),
            "predictor.content_type: must be one of image/jpeg, image/jpg, image/png, application/x-npy for images, got \"text/csv\"",
        ),
        (
            Box::new(|v| {
                v["predictor"]
                    .as_object_mut()
                    .unwrap()
                    .remove("label_headers");
            }),
            "predictor.label_headers: missing",
        ),
        (
            Box::new(|v| v["methods"]["shap"]["features_to_explain"] = json!(["a"])),
            "methods.shap.features_to_explain: does not apply to images",
        ),
        (Box::new(|v| v["label"] = json!("y")), ""),
        (
            Box::new(|v| v["facet"] = json!([{"name_or_index": "x"}])),
            "facet: does not apply to an image explanation",
        ),
        (
            Box::new(|v| v["methods"]["shap"]["image_config"]["num_segmnts"] = json!(3)),
            "methods.shap.image_config.num_segmnts: unknown key",
        ),
    ];
    for (edit, want) in cases {
        let mut v = base.clone();
        edit(&mut v);
        let got = problems(&v, Purpose::Analyze);
        if want.is_empty() {
            assert!(got.is_empty(), "{got:?}");
        } else {
            assert!(
                got.iter().any(|p| p.starts_with(want)),
                "want {want:?}, got {got:?}"
            );
        }
    }
}
