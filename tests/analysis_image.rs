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
    assert!(
        analysis.get("explanations").is_none(),
        "no SageMaker keys invented"
    );
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

/// Σ φ = prediction − expected value, per label, for every explained image in `out`.
fn assert_efficiency(out: &Path) -> usize {
    let analysis = read(&out.join("analysis.json"));
    let images = analysis["driftwatch"]["image_explanations"]["images"]
        .as_array()
        .unwrap()
        .clone();
    let mut n = 0;
    for img in images.iter().filter(|i| i["status"] == "explained") {
        let e = read(&out.join(img["explanation_path"].as_str().unwrap()));
        let m = img["segments"].as_u64().unwrap() as usize;
        for (label, phi) in e["attributions"].as_object().unwrap() {
            let phi = floats(phi);
            assert_eq!(phi.len(), m);
            let gap = e["prediction"][label].as_f64().unwrap()
                - e["expected_value"][label].as_f64().unwrap();
            let sum: f64 = phi.iter().sum();
            assert!(
                (sum - gap).abs() <= 1e-9,
                "{img} {label}: Σφ {sum} vs {gap}"
            );
        }
        n += 1;
    }
    n
}

fn sdk_config(name: &str) -> PathBuf {
    repo_path(&format!("tests/fixtures/sdk/image/{name}.json"))
}

#[test]
fn the_sdks_configs_run_unchanged() {
    let Some(py) = python() else { return };
    let server = Vision::start(&py, &[]);
    let images = case("png_exact").join("images");
    let tmp = tempfile::tempdir().unwrap();
    // One image for the defaults (20 segments, shap's default budget of 2M + 2048 coalitions,
    // one JPEG per request); the whole folder otherwise.
    let one = tmp.path().join("one");
    std::fs::create_dir(&one).unwrap();
    std::fs::copy(images.join("coffee.png"), one.join("coffee.png")).unwrap();
    for (config, dataset, explained) in [
        ("classification_jpeg", &images, 3),
        ("classification_npy", &images, 3),
        ("classification_defaults", &one, 1),
    ] {
        let out = tmp.path().join(config);
        let run = server.analyze(dataset, &sdk_config(config), &out);
        assert_eq!(run.code, 0, "{config}: {}\n{}", run.stdout, run.stderr);
        assert_eq!(assert_efficiency(&out), explained, "{config}");
    }
    // No baseline: noise seeded by the image's name, so a rerun gives the same values.
    let again = tmp.path().join("again");
    let run = server.analyze(&one, &sdk_config("classification_defaults"), &again);
    assert_eq!(run.code, 0);
    assert_eq!(
        std::fs::read(again.join("explanations_shap/coffee.json")).unwrap(),
        std::fs::read(
            tmp.path()
                .join("classification_defaults/explanations_shap/coffee.json")
        )
        .unwrap()
    );
}

/// A PNG header claiming `w`×`h` pixels (no image data follows).
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    out.extend(13u32.to_be_bytes());
    out.extend(&ihdr);
    let mut crc = flate2::Crc::new();
    crc.update(&ihdr);
    out.extend(crc.sum().to_be_bytes());
    // The start of the pixel data, so a reader has met the whole header.
    let mut idat = b"IDAT".to_vec();
    idat.extend([0x78, 0x01, 0, 0, 0, 0]);
    out.extend(6u32.to_be_bytes());
    out.extend(&idat);
    let mut crc = flate2::Crc::new();
    crc.update(&idat);
    out.extend(crc.sum().to_be_bytes());
    out
}

#[test]
fn bad_images_are_named_and_the_others_still_explained() {
    let Some(py) = python() else { return };
    let server = Vision::start(&py, &[]);
    let src = case("png_exact");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("images");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(src.join("images/coffee.png"), dir.join("coffee.png")).unwrap();
    let good = std::fs::read(src.join("images/chelsea.png")).unwrap();
    std::fs::write(dir.join("broken.png"), &good[..good.len() / 2]).unwrap();
    std::fs::write(dir.join("huge.png"), png_header(5000, 5000)).unwrap();
    std::fs::write(dir.join("notes.txt"), "not an image, not listed").unwrap();
    let config = src.join("analysis_config.json");
    let out = tmp.path().join("out");
    let run = server.analyze(&dir, &config, &out);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("warning: image not explained: broken.png: the image does not decode"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "warning: image not explained: huge.png: 5000×5000 pixels is more than driftwatch explains"
        ),
        "{}",
        run.stderr
    );
    let analysis = read(&out.join("analysis.json"));
    let block = &analysis["driftwatch"]["image_explanations"];
    assert_eq!(
        (block["explained"].as_u64(), block["failed"].as_u64()),
        (Some(1), Some(2))
    );
    assert!(out.join("explanations_shap/coffee.json").exists());
    assert!(!out.join("explanations_shap/broken.json").exists());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Not explained") && html.contains("huge.png"));

    // A manifest: a good line, a missing object, a line without source-ref, one not JSON.
    let manifest = tmp.path().join("images.manifest");
    std::fs::write(
        &manifest,
        "{\"source-ref\": \"images/coffee.png\"}\n{\"source-ref\": \"images/gone.png\"}\n{\"class\": 1}\nnot json\n",
    )
    .unwrap();
    let out = tmp.path().join("manifest_out");
    let run = server.analyze(&manifest, &config, &out);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for want in [
        "gone.png: no such object",
        "line 3: no \"source-ref\" naming the image",
        "line 4: not JSON",
    ] {
        assert!(run.stderr.contains(want), "{want}: {}", run.stderr);
    }
    let analysis = read(&out.join("analysis.json"));
    assert_eq!(analysis["driftwatch"]["image_explanations"]["failed"], 3);

    // Nothing explainable: exit 2, nothing written.
    let bad = tmp.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    std::fs::write(bad.join("broken.png"), &good[..100]).unwrap();
    let out = tmp.path().join("bad_out");
    let run = server.analyze(&bad, &config, &out);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("no image could be explained"),
        "{}",
        run.stderr
    );
    assert!(!out.join("analysis.json").exists());
}

#[test]
fn an_unreachable_endpoint_fails_the_analysis_and_writes_nothing() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{closed}");
    let src = case("png_exact");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let run = common::analyze_with(
        &src.join("images"),
        &src.join("analysis_config.json"),
        &out,
        &[
            ("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", url.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_MAX_ATTEMPTS", "1"),
        ],
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("InvokeEndpoint vision (request 1, 1 image)"),
        "{}",
        run.stderr
    );
    assert!(!out.join("analysis.json").exists());
}

#[test]
fn an_s3_prefix_and_an_s3_baseline_as_the_sdk_names_them() {
    let Some(url) = common::moto_url() else {
        return;
    };
    let Some(py) = python() else { return };
    let server = Vision::start(&py, &[]);
    let bucket = common::Bucket::new(&url, "images");
    let src = case("png_exact");
    for name in ["astronaut.png", "chelsea.png"] {
        bucket.put(
            &format!("dataset/{name}"),
            &std::fs::read(src.join("images").join(name)).unwrap(),
        );
    }
    bucket.put("dataset/readme.txt", b"not an image");
    bucket.put(
        "images/baseline.png",
        &std::fs::read(src.join("baseline.png")).unwrap(),
    );
    let text = std::fs::read_to_string(sdk_config("classification_baseline"))
        .unwrap()
        .replace("s3://sdk-fixtures/", &format!("s3://{}/", bucket.name));
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.json");
    std::fs::write(&config, text).unwrap();
    let mut env: Vec<(&str, String)> = bucket.env();
    for (k, v) in server.env() {
        if k == "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME" {
            env.push((k, v.to_string()));
        }
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = tmp.path().join("out");
    let dataset = format!("s3://{}/dataset/", bucket.name);
    let run = common::analyze_with(Path::new(&dataset), &config, &out, &env, &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(assert_efficiency(&out), 2);
}

#[test]
fn object_detection_gives_exact_shapley_values_per_object() {
    let Some(py) = python() else { return };
    let server = Vision::start(&py, &["--detector"]);
    let dir = case("detection_exact");
    let out = tempfile::tempdir().unwrap();
    let run = server.analyze(
        &dir.join("images"),
        &dir.join("analysis_config.json"),
        out.path(),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let golden = read(&dir.join("golden.json"));
    for (image, want) in golden.as_object().unwrap() {
        let stem = image.trim_end_matches(".png");
        let got = read(&out.path().join(format!("explanations_shap/{stem}.json")));
        assert_eq!(got["segments"], want["labels"], "{image}: label map");
        let objects = want["objects"].as_array().unwrap();
        assert_eq!(
            got["objects"].as_array().unwrap().len(),
            objects.len(),
            "{image}"
        );
        // The low-scoring detection (0.2 < probability_threshold 0.3) is reported, not explained.
        assert_eq!(got["detections"].as_array().unwrap().len(), 3, "{image}");
        for (k, o) in objects.iter().enumerate() {
            let g = &got["objects"][k];
            assert_eq!(g["label"], o["label"], "{image} box{}", k + 1);
            assert_close(
                &floats(&got["attributions"][format!("box{}", k + 1)]),
                &floats(&o["attributions"]),
                &format!("{image} box{}", k + 1),
            );
            for key in ["expected_value", "prediction", "score"] {
                let (a, b) = (g[key].as_f64().unwrap(), o[key].as_f64().unwrap());
                assert!(
                    (a - b).abs() <= 1e-9,
                    "{image} box{} {key}: {a} vs {b}",
                    k + 1
                );
            }
            assert!(
                out.path()
                    .join(format!("shap_{stem}_box{}_object.jpeg", k + 1))
                    .exists()
            );
        }
        assert!(out.path().join(format!("{stem}_objects.jpeg")).exists());
    }
    // The SDK's own object-detection config (context 1, noise baseline) on the same images.
    let sdk_out = out.path().join("sdk");
    let run = server.analyze(&dir.join("images"), &sdk_config("detection"), &sdk_out);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let analysis = read(&sdk_out.join("analysis.json"));
    for img in analysis["driftwatch"]["image_explanations"]["images"]
        .as_array()
        .unwrap()
    {
        let e = read(&sdk_out.join(img["explanation_path"].as_str().unwrap()));
        for (k, o) in e["objects"].as_array().unwrap().iter().enumerate() {
            let phi = floats(&e["attributions"][format!("box{}", k + 1)]);
            let gap = o["prediction"].as_f64().unwrap() - o["expected_value"].as_f64().unwrap();
            assert!(
                (phi.iter().sum::<f64>() - gap).abs() <= 1e-9,
                "{img} box{}",
                k + 1
            );
            // Context 1: nothing outside the box is masked, so the whole image is the original.
            assert!(
                (o["prediction"].as_f64().unwrap() - o["score"].as_f64().unwrap()).abs() <= 1e-12
            );
        }
    }
}
