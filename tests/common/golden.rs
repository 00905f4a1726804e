//! Comparing an analysis.json with a golden file made by smclarify (`tests/golden/`): every
//! metric to 1e-9, descriptions, errors and value strings exactly; ±∞ as the fixtures note it.

use serde_json::Value;

fn close(a: f64, b: f64) -> bool {
    let scale = a.abs().max(b.abs());
    (a - b).abs() <= 1e-9 * scale.max(1.0)
}

/// The expected value in fixture notation: numbers, or null with a `note` for ±∞.
fn expected_value(m: &Value) -> Option<f64> {
    match (m.get("value"), m.get("note").and_then(Value::as_str)) {
        (Some(Value::Number(n)), _) => n.as_f64(),
        (_, Some("Infinity")) => Some(f64::INFINITY),
        (_, Some("-Infinity")) => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

fn actual_value(m: &Value) -> Option<f64> {
    match m.get("value") {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) if s == "Infinity" => Some(f64::INFINITY),
        Some(Value::String(s)) if s == "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

pub fn assert_same_analysis(case: &str, actual: &Value, expected: &Value) {
    for stage in ["pre_training_bias_metrics", "post_training_bias_metrics"] {
        let (Some(a), Some(e)) = (actual.get(stage), expected.get(stage)) else {
            assert_eq!(
                actual.get(stage).is_some(),
                expected.get(stage).is_some(),
                "{case}: {stage} presence"
            );
            continue;
        };
        assert_eq!(a["label"], e["label"], "{case}: {stage}.label");
        assert_eq!(
            a["label_value_or_threshold"], e["label_value_or_threshold"],
            "{case}: {stage}.label_value_or_threshold"
        );
        let (af, ef) = (
            a["facets"].as_object().unwrap(),
            e["facets"].as_object().unwrap(),
        );
        assert_eq!(
            af.keys().collect::<Vec<_>>(),
            ef.keys().collect::<Vec<_>>(),
            "{case}: facets"
        );
        for (facet, e_entries) in ef {
            let a_entries = af[facet].as_array().unwrap();
            let e_entries = e_entries.as_array().unwrap();
            assert_eq!(a_entries.len(), e_entries.len(), "{case}: {facet} entries");
            for (ae, ee) in a_entries.iter().zip(e_entries) {
                let fv = ee["value_or_threshold"].as_str().unwrap();
                assert_eq!(
                    ae["value_or_threshold"], ee["value_or_threshold"],
                    "{case}: {facet}"
                );
                let (am, em) = (
                    ae["metrics"].as_array().unwrap(),
                    ee["metrics"].as_array().unwrap(),
                );
                let names = |v: &Vec<Value>| {
                    v.iter()
                        .map(|m| m["name"].as_str().unwrap().to_string())
                        .collect::<Vec<_>>()
                };
                assert_eq!(names(am), names(em), "{case}: {facet}={fv} metric order");
                for (a, e) in am.iter().zip(em) {
                    let what = format!("{case}: {stage} {facet}={fv} {}", e["name"]);
                    assert_eq!(a["description"], e["description"], "{what}");
                    assert_eq!(a.get("error"), e.get("error"), "{what}: error");
                    match (actual_value(a), expected_value(e)) {
                        (Some(x), Some(y)) if x.is_infinite() || y.is_infinite() => {
                            assert_eq!(x, y, "{what}")
                        }
                        (Some(x), Some(y)) => assert!(close(x, y), "{what}: {x} vs {y}"),
                        (None, None) => assert!(a["value"].is_null(), "{what}"),
                        (x, y) => panic!("{what}: {x:?} vs {y:?}"),
                    }
                }
            }
        }
    }
}
