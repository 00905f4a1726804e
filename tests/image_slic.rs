//! SLIC label maps against scikit-image itself: photographs from scikit-image's wheel
//! (tests/fixtures/images/photos/, lossless crops) and the label maps
//! `skimage.segmentation.slic(image, n_segments, compactness)` returned for them
//! (tests/fixtures/images/make_slic_golden.py). Every label of every pixel must agree.

use std::io::Read;
use std::path::Path;

use driftwatch::explain::image::decode::decode;
use driftwatch::explain::image::slic::slic;
use serde_json::Value;

fn golden() -> Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/images");
    let file = std::fs::File::open(dir.join("slic_golden.json.gz")).unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn label_maps_equal_scikit_images_on_photographs() {
    let doc = golden();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/images");
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 18);
    let mut failures = Vec::new();
    for case in cases {
        let name = case["image"].as_str().unwrap();
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let img = decode(&bytes, name).unwrap();
        let (h, w) = (img.height, img.width);
        assert_eq!(
            (h as u64, w as u64),
            (
                case["height"].as_u64().unwrap(),
                case["width"].as_u64().unwrap()
            )
        );
        let n = case["n_segments"].as_u64().unwrap() as usize;
        let c = case["compactness"].as_f64().unwrap();
        let s = slic(&img.pixels, h, w, n, c);
        let want: Vec<u32> = case["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        let differ = s.labels.iter().zip(&want).filter(|(a, b)| a != b).count();
        if differ > 0 || s.segments as u64 != case["segments"].as_u64().unwrap() {
            failures.push(format!(
                "{name} n={n} c={c}: {differ} of {} pixels differ, {} segments vs {}",
                want.len(),
                s.segments,
                case["segments"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
