//! `driftwatch analyze`: outputs, the bias drift check against a baseline, and bad input.

mod common;
use common::{driftwatch, repo_path};
use serde_json::Value;
use std::path::Path;

fn analyze(dataset: &Path, config: &Path, out: &Path, baseline: Option<&Path>) -> common::Run {
    let mut args = vec![
        "analyze".to_string(),
        "--dataset".into(),
        dataset.display().to_string(),
        "--analysis-config".into(),
        config.display().to_string(),
        "--output".into(),
        out.display().to_string(),
    ];
    if let Some(b) = baseline {
        args.push("--baseline".into());
        args.push(b.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    driftwatch(&args)
}

fn read(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The golden mixed-facets data with labels of facet F flipped towards 0 (more bias).
fn drifted_copy(dir: &Path) -> std::path::PathBuf {
    let src = std::fs::read_to_string(repo_path("tests/fixtures/golden/mixed_facets.csv")).unwrap();
    let mut lines = src.lines();
    let header = lines.next().unwrap();
    let cols: Vec<&str> = header.split(',').collect();
    let (sex, label) = (
        cols.iter().position(|c| *c == "sex").unwrap(),
        cols.iter().position(|c| *c == "label").unwrap(),
    );
    let mut out = vec![header.to_string()];
    for (i, l) in lines.enumerate() {
        let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
        if f[sex] == "F" && i % 3 == 0 {
            f[label] = "0".into();
        }
        out.push(f.join(","));
    }
    let p = dir.join("drifted.csv");
    std::fs::write(&p, out.join("\n") + "\n").unwrap();
    p
}

#[test]
fn baseline_check_writes_violations_only_when_something_drifts() {
    let tmp = tempfile::tempdir().unwrap();
    let data = repo_path("tests/fixtures/golden/mixed_facets.csv");
    let cfg = repo_path("tests/fixtures/golden/mixed_facets.config.json");
    let base_dir = tmp.path().join("baseline");
    let run = analyze(&data, &cfg, &base_dir, None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("no violations"), "{}", run.stdout);
    let baseline = base_dir.join("analysis.json");

    // The same data against its own baseline: equal values never violate.
    let same = tmp.path().join("same");
    let run = analyze(&data, &cfg, &same, Some(&baseline));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!same.join("constraint_violations.json").exists());

    // Drifted data: violations, in SageMaker's format.
    let drifted = drifted_copy(tmp.path());
    let cur = tmp.path().join("current");
    let run = analyze(&drifted, &cfg, &cur, Some(&baseline));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = read(&cur.join("constraint_violations.json"));
    assert_eq!(v["version"], "1.0");
    let list = v["violations"].as_array().unwrap();
    assert!(!list.is_empty());
    let sex_dpl = list
        .iter()
        .find(|x| x["facet"] == "sex" && x["metric_name"] == "DPL")
        .expect("DPL for sex=F drifts");
    assert_eq!(sex_dpl["facet_value"], "F");
    assert_eq!(sex_dpl["constraint_check_type"], "bias_drift_check");
    let desc = sex_dpl["description"].as_str().unwrap();
    assert!(
        desc.starts_with("Metric value ")
            && desc.contains(" doesn't meet the baseline constraint requirement "),
        "{desc}"
    );
    let keys: Vec<&String> = sex_dpl.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "constraint_check_type",
            "description",
            "facet",
            "facet_value",
            "metric_name"
        ]
    );
    assert!(
        run.stdout
            .contains("violations (constraint_violations.json)"),
        "{}",
        run.stdout
    );
    // Every violation really is farther from neutral than the baseline.
    let (base, now) = (read(&baseline), read(&cur.join("analysis.json")));
    for x in list {
        let find = |a: &Value| -> f64 {
            for stage in ["pre_training_bias_metrics", "post_training_bias_metrics"] {
                for e in a[stage]["facets"][x["facet"].as_str().unwrap()]
                    .as_array()
                    .unwrap()
                {
                    if e["value_or_threshold"] == x["facet_value"] {
                        for m in e["metrics"].as_array().unwrap() {
                            if m["name"] == x["metric_name"] {
                                return m["value"].as_f64().unwrap();
                            }
                        }
                    }
                }
            }
            panic!("metric not found")
        };
        // SageMaker's rule: every metric, DI included, measured from 0.
        let neutral = 0.0;
        assert!(
            (find(&now) - neutral).abs() > (find(&base) - neutral).abs(),
            "{x}"
        );
    }

    // Re-running into the same directory without drift removes the stale violations file.
    let run = analyze(&data, &cfg, &cur, Some(&baseline));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!cur.join("constraint_violations.json").exists());
}

#[test]
fn bad_input_exits_2_with_a_precise_message() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let write = |name: &str, text: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let data = write("d.csv", "sex,label,x\nF,1,0.5\nM,0,1.5\nF,0,2.5\n");
    let cfg = |facet: &str, values: &str| {
        write(
            &format!("c-{facet}-{}.json", values.len()),
            &format!(
                r#"{{"label": "label", "label_values_or_threshold": {values}, "facet": [{{"name_or_index": "{facet}", "value_or_threshold": ["F"]}}],
                "methods": {{"pre_training_bias": {{"methods": "all"}}}}}}"#
            ),
        )
    };
    let cases: Vec<(std::path::PathBuf, std::path::PathBuf, &str)> = vec![
        (
            data.clone(),
            cfg("sexx", "[1]"),
            "facet[0] column \"sexx\" is not in the dataset (did you mean \"sex\"?); columns: sex, label, x",
        ),
        (
            write("yn.csv", "sex,label,x\nF,y,0.5\nM,n,1.5\nF,n,2.5\n"),
            cfg("sex", "[\"yes\"]"),
            "label_values_or_threshold yes matches no row of label column \"label\" (its values include: y, n)",
        ),
        (
            write("ragged.csv", "sex,label,x\nF,1,0.5\nM,0\n"),
            cfg("sex", "[1]"),
            "malformed row 3: expected 3 fields, found 2",
        ),
        (
            tmp.path().join("missing.csv"),
            cfg("sex", "[1]"),
            "cannot read dataset",
        ),
        (
            data.clone(),
            write(
                "bad.json",
                r#"{"label": "label", "facet": [], "methods": {"pre_training_bias": {"methods": "all"}}}"#,
            ),
            "label_values_or_threshold: missing",
        ),
        (
            data.clone(),
            write("notjson.json", "{"),
            "is not valid JSON",
        ),
    ];
    for (d, c, needle) in cases {
        let run = analyze(&d, &c, &out, None);
        assert_eq!(run.code, 2, "{needle}: {}", run.stderr);
        assert!(
            run.stderr.contains(needle),
            "expected {needle:?} in:\n{}",
            run.stderr
        );
        assert!(
            !out.join("analysis.json").exists(),
            "no output on bad input"
        );
    }
    let baseline = write("baseline.json", "[1, 2]");
    let run = analyze(&data, &cfg("sex", "[1]"), &out, Some(&baseline));
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("is not an analysis.json object"),
        "{}",
        run.stderr
    );
}

#[test]
fn one_sided_windows_still_complete() {
    // No row of d, no positive prediction: every metric that cannot be computed is an error
    // entry with smclarify's message, and the analysis completes.
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("d.csv");
    std::fs::write(&data, "sex,label,pred,x\nM,1,0,0.5\nM,0,0,1.5\nM,1,0,2.5\n").unwrap();
    let cfg = tmp.path().join("c.json");
    std::fs::write(
        &cfg,
        r#"{"label": "label", "label_values_or_threshold": [1], "predicted_label": "pred",
            "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}],
            "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
            "driftwatch": {"label_type": "categorical"}}"#,
    )
    .unwrap();
    let out = tmp.path().join("out");
    let run = analyze(&data, &cfg, &out, None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let a = read(&out.join("analysis.json"));
    let pre = &a["pre_training_bias_metrics"]["facets"]["sex"][0]["metrics"];
    let ci = pre
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "CI")
        .unwrap();
    assert!(ci["value"].is_null());
    assert_eq!(
        ci["error"],
        "CI: facet set is empty. Check that x[facet] has non-zero length."
    );
    let post = a["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]
        .as_array()
        .unwrap();
    assert_eq!(post.len(), 13);
    assert!(post.iter().all(|m| m["error"]
        == "No Label values are present in the predicted Label Column,Positive Predicted Index Series contains all False values"));
    assert!(run.stderr.contains("selects no row"), "{}", run.stderr);
}

/// `analyze` reads only the bias engine's columns of a CSV with its own header row (and
/// parses plain numbers while it scans). The same data must give the same analysis.json,
/// byte for byte, when every column is read: with a quoted header (a file with quotes is
/// read whole by polars), and with columns named by position instead of by name.
#[test]
fn reading_only_the_bias_columns_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "tests/fixtures/golden/continuous_facet_scores.csv",
            "tests/fixtures/golden/continuous_facet_scores.config.json",
        ),
        (
            "tests/fixtures/golden/continuous_label_small.csv",
            "tests/fixtures/golden/continuous_label_small.config.json",
        ),
        (
            "tests/fixtures/golden/multiclass_label_subset.csv",
            "tests/fixtures/golden/multiclass_label_subset.config.json",
        ),
        (
            "tests/fixtures/golden/mixed_facets.csv",
            "tests/fixtures/golden/mixed_facets.config.json",
        ),
    ];
    for (k, (data, cfg)) in cases.iter().enumerate() {
        let text = std::fs::read_to_string(repo_path(data)).unwrap();
        let header: Vec<String> = text
            .lines()
            .next()
            .unwrap()
            .split(',')
            .map(String::from)
            .collect();
        let mut config = read(&repo_path(cfg));
        // FT reads every column: leave it out so that the projection applies.
        if let Some(post) = config
            .pointer_mut("/methods/post_training_bias/methods")
            .filter(|m| *m == "all")
        {
            *post = serde_json::json!([
                "AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "GE", "RD", "SD", "TE"
            ]);
        }
        let dir = tmp.path().join(k.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let plain = dir.join("plain.csv");
        std::fs::write(&plain, &text).unwrap();
        let quoted = dir.join("quoted.csv");
        let quoted_header = header
            .iter()
            .map(|h| format!("\"{h}\""))
            .collect::<Vec<_>>()
            .join(",");
        let body = text.split_once('\n').unwrap().1;
        std::fs::write(&quoted, format!("{quoted_header}\n{body}")).unwrap();
        let by_name = dir.join("by_name.json");
        std::fs::write(&by_name, config.to_string()).unwrap();
        // Every column reference by position.
        let position = |v: &mut Value| {
            if let Some(name) = v.as_str()
                && let Some(i) = header.iter().position(|h| h == name)
            {
                *v = serde_json::json!(i);
            }
        };
        for key in ["label", "predicted_label", "group_variable"] {
            if let Some(v) = config.get_mut(key) {
                position(v);
            }
        }
        for f in config["facet"].as_array_mut().unwrap() {
            position(&mut f["name_or_index"]);
        }
        let by_position = dir.join("by_position.json");
        std::fs::write(&by_position, config.to_string()).unwrap();

        let mut outputs = Vec::new();
        for (name, d, c) in [
            ("projected", &plain, &by_name),
            ("whole", &quoted, &by_name),
            ("positions", &plain, &by_position),
        ] {
            let out = dir.join(name);
            let run = analyze(d, c, &out, None);
            assert_eq!(run.code, 0, "{data} {name}: {}", run.stderr);
            outputs.push((name, std::fs::read(out.join("analysis.json")).unwrap()));
        }
        for (name, bytes) in &outputs[1..] {
            assert!(
                bytes == &outputs[0].1,
                "{data}: {name} differs from projected:\n{}\n{}",
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&outputs[0].1)
            );
        }
    }
}
