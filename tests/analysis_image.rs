//! `driftwatch analyze` of image datasets against a real HTTP image classifier
//! (tests/fixtures/images/image_server.py): SHAP values per SLIC segment equal to exact
//! Shapley values enumerated by an independent NumPy reference on scikit-image's own label
//! maps (tests/fixtures/images/make_image_golden.py), the SDK's configs run unchanged, and
//! bad images named while the rest are explained.

mod common;

use std::path::{Path, PathBuf};

use common::vision::{Vision, python};
use common::{floats, repo_path};
use serde_json::Value;

fn case(name: &str) -> PathBuf {
    repo_path(&format!("tests/fixtures/images/cases/{name}"))
}

fn read(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-9, "{what}[{i}]: {g} vs {w}");
    }
}

/// Every image of a golden case: label map, attributions, expected value and prediction.
fn check_golden(name: &str) {
    let Some(py) = python() else { return };
    let server = Vision::start(&py, &[]);
    let dir = case(name);
    let out = tempfile::tempdir().unwrap();
    let run = server.analyze(
        &dir.join("images"),
        &dir.join("analysis_config.json"),
        out.path(),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let golden = read(&dir.join("golden.json"));
    let analysis = read(&out.path().join("analysis.json"));
    let block = &analysis["driftwatch"]["image_explanations"];
    assert_eq!(block["explained"], golden.as_object().unwrap().len());
    assert_eq!(block["failed"], 0);
    assert!(analysis.get("explanations").is_none(), "no SageMaker keys invented");
    for (image, want) in golden.as_object().unwrap() {
        let stem = image.trim_end_matches(".png");
        let got = read(&out.path().join(format!("explanations_shap/{stem}.json")));
        assert_eq!(got["segments"], want["labels"], "{image}: label map");
        for label in ["cat", "dog", "other"] {
            assert_close(
                &floats(&got["attributions"][label]),
                &floats(&want["attributions"][label]),
                &format!("{image} {label}"),
            );
            for key in ["expected_value", "prediction"] {
                let (g, w) = (
                    got[key][label].as_f64().unwrap(),
                    want[key][label].as_f64().unwrap(),
                );
                assert!((g - w).abs() <= 1e-9, "{image} {key} {label}: {g} vs {w}");
            }
        }
        let heat = std::fs::read(out.path().join(format!("shap_{stem}.jpeg"))).unwrap();
        assert_eq!(&heat[..2], &[0xFF, 0xD8], "{image}: the heat map is a JPEG");
    }
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(html.contains("data:image/jpeg;base64,"));
}

#[test]
fn png_requests_give_exact_shapley_values() {
    check_golden("png_exact");
}

#[test]
fn npy_batches_give_exact_shapley_values() {
    check_golden("npy_exact");
}
