//! `driftwatch analyze` of text datasets against a real HTTP text model
//! (tests/fixtures/text/text_server.py): the SDK's TextConfig configs run unchanged, the
//! units equal spaCy's, and the SHAP values equal exact Shapley values enumerated by an
//! independent Python reference (tests/fixtures/text/make_text_golden.py); bad text input is
//! named while the rest is explained.

mod common;

use std::path::{Path, PathBuf};
use std::process::Child;

use common::{analyze_with, repo_path, runtime_env};
use serde_json::Value;

struct TextServer {
    child: Child,
    url: String,
}

impl TextServer {
    fn start() -> Self {
        let (child, url) = common::start_model_server(
            "python3",
            "tests/fixtures/text/text_server.py",
            "text",
            &[],
        );
        Self { child, url }
    }

    fn analyze(&self, dataset: &Path, config: &Path, out: &Path) -> common::Run {
        analyze_with(dataset, config, out, &runtime_env(&self.url), &[])
    }
}

impl Drop for TextServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sdk(name: &str) -> PathBuf {
    repo_path(&format!("tests/fixtures/sdk/text/{name}.json"))
}

fn case(name: &str) -> PathBuf {
    repo_path(&format!("tests/fixtures/text/cases/{name}"))
}

fn read(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

fn lines(p: &Path) -> Vec<Value> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const LABELS: [&str; 2] = ["negative", "positive"];

/// Runs a golden case: every record's units and values, then the global values.
fn check_golden(name: &str) -> (Value, Vec<Value>) {
    let server = TextServer::start();
    let out = tempfile::tempdir().unwrap();
    let run = server.analyze(&case(name).join("dataset.csv"), &sdk(name), out.path());
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let golden = read(&case(name).join("expected.json"));
    let local = lines(&out.path().join("explanations_shap/out.jsonl"));
    let records = golden["records"].as_array().unwrap();
    assert_eq!(local.len(), records.len(), "one line per record");
    let features: Vec<&str> = golden["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for (i, (got, want)) in local.iter().zip(records).enumerate() {
        let ex = got["explanations"].as_array().unwrap();
        assert_eq!(
            ex.len(),
            features.len(),
            "record {i}: one entry per feature"
        );
        assert_eq!(ex[0]["feature_name"], features[0]);
        assert_eq!(ex[0]["data_type"], "free_text");
        let units = ex[0]["attributions"].as_array().unwrap();
        let want_units = want["units"].as_array().unwrap();
        let got_units: Vec<Value> = units
            .iter()
            .map(|u| {
                serde_json::json!([
                    u["description"]["partial_text"],
                    u["description"]["start_idx"]
                ])
            })
            .collect();
        assert_eq!(
            &got_units, want_units,
            "record {i}: units as spaCy makes them"
        );
        let mut players: Vec<&Value> = units.iter().collect();
        if let Some(stars) = ex.get(1) {
            assert_eq!(stars["data_type"], "numerical");
            players.extend(stars["attributions"].as_array().unwrap());
        }
        let phi = &want["phi"];
        for o in 0..2 {
            let got_phi: Vec<f64> = players
                .iter()
                .map(|p| p["attribution"][o].as_f64().unwrap())
                .collect();
            let sum: f64 = got_phi.iter().sum();
            let gap =
                want["prediction"][o].as_f64().unwrap() - want["expected"][o].as_f64().unwrap();
            assert!(
                (sum - gap).abs() <= 1e-9,
                "record {i} label {o}: Σφ {sum} vs {gap}"
            );
            if phi.is_null() {
                continue;
            }
            for (k, g) in got_phi.iter().enumerate() {
                let w = phi[o][k].as_f64().unwrap();
                assert!(
                    (g - w).abs() <= 1e-9,
                    "record {i} label {o} player {k}: {g} vs exact {w}"
                );
            }
        }
    }
    let analysis = read(&out.path().join("analysis.json"));
    for (o, label) in LABELS.iter().enumerate() {
        let l = &analysis["explanations"]["kernel_shap"][label];
        // The expected value: the mean of the records' all-absent scores.
        let expected: f64 = records
            .iter()
            .map(|r| r["expected"][o].as_f64().unwrap())
            .sum::<f64>()
            / records.len() as f64;
        assert!((l["expected_value"].as_f64().unwrap() - expected).abs() <= 1e-9);
        let top = l["global_top_shap_text"][features[0]].as_object().unwrap();
        assert!(!top.is_empty() && top.len() <= 50);
        let values: Vec<f64> = top.values().map(|v| v.as_f64().unwrap()).collect();
        assert!(
            values.windows(2).all(|w| w[0] >= w[1]),
            "best first: {values:?}"
        );
        assert!(l["global_shap_values"][features[0]].is_number());
    }
    let html = std::fs::read_to_string(out.path().join("report.html")).unwrap();
    assert!(
        html.contains("class=\"u\""),
        "units highlighted in the report"
    );
    (analysis, local)
}

#[test]
fn english_tokens_equal_exact_shapley_values() {
    let (analysis, local) = check_golden("token_english");
    // "love" twice in the last record, once in the first: one entry, aggregated.
    let top =
        &analysis["explanations"]["kernel_shap"]["positive"]["global_top_shap_text"]["Review Text"];
    assert!(
        top.get("love").is_some() && top.get("Love").is_some(),
        "case is kept: {top}"
    );
    // spaCy's exception splits "can't" into "ca" + "n't".
    let units: Vec<&str> = local[4]["explanations"][0]["attributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["description"]["partial_text"].as_str().unwrap())
        .collect();
    assert_eq!(units, ["I", "ca", "n't", "say", "it", "'s", "nice", "..."]);
}

#[test]
fn german_sentences_beside_a_number_with_two_baseline_rows_are_exact() {
    check_golden("sentence_german_stars");
}

#[test]
fn paragraphs_without_a_baseline_drop_the_absent_units_exactly() {
    check_golden("paragraph_multi");
}

#[test]
fn chinese_characters_are_units_and_exact() {
    check_golden("token_chinese");
}

#[test]
fn sampled_coalitions_still_add_up() {
    // 21 and 18 units with num_samples 200: Kernel SHAP's sampling path; efficiency holds.
    check_golden("token_french_sampled");
}

/// A dataset and config in a temporary directory.
fn write_case(dataset: &[u8], config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dataset.csv"), dataset).unwrap();
    std::fs::copy(sdk(config), dir.path().join("config.json")).unwrap();
    dir
}

#[test]
fn empty_and_overlong_texts_are_named_and_the_rest_explained() {
    let server = TextServer::start();
    let long = "word ".repeat(20_001);
    let data = format!("1,Great fun\n0,\"   \"\n1,\"{long}\"\n0,awful\n");
    let dir = write_case(data.as_bytes(), "token_english");
    let out = dir.path().join("out");
    let run = server.analyze(
        &dir.path().join("dataset.csv"),
        &dir.path().join("config.json"),
        &out,
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let local = lines(&out.join("explanations_shap/out.jsonl"));
    assert_eq!(local.len(), 4, "one line per record, failed ones too");
    assert_eq!(
        local[1]["driftwatch"]["error"],
        "record 2 (line 2): nothing to explain: the text of Review Text has no token (it is empty or only whitespace)"
    );
    assert_eq!(
        local[2]["driftwatch"]["error"],
        "record 3 (line 3): column Review Text: the text has 100005 characters, more than driftwatch explains (100000)"
    );
    assert!(local[0]["explanations"][0]["attributions"].is_array());
    let analysis = read(&out.join("analysis.json"));
    let warnings = analysis["driftwatch"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        run.stdout.contains("2 records explained, 2 not explained"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_dataset_that_is_not_utf8_is_refused_with_its_name() {
    let server = TextServer::start();
    let dir = write_case(b"1,caf\xe9 is nice\n0,bad\n", "token_english");
    let out = dir.path().join("out");
    let run = server.analyze(
        &dir.path().join("dataset.csv"),
        &dir.path().join("config.json"),
        &out,
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("dataset.csv"), "{}", run.stderr);
    assert!(!out.join("analysis.json").exists(), "nothing written");
}

#[test]
fn an_unreachable_endpoint_fails_the_analysis_and_writes_nothing() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{closed}");
    let dir = write_case(b"1,Great fun\n", "token_english");
    let out = dir.path().join("out");
    let mut env = runtime_env(&url).to_vec();
    env.push(("AWS_MAX_ATTEMPTS", "1"));
    let run = analyze_with(
        &dir.path().join("dataset.csv"),
        &dir.path().join("config.json"),
        &out,
        &env,
        &[],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("InvokeEndpoint text"), "{}", run.stderr);
    assert!(run.stderr.contains("dataset.csv"), "{}", run.stderr);
    assert!(
        !out.join("analysis.json").exists() && !out.join("explanations_shap/out.jsonl").exists()
    );
}

/// `analyze` with the English SDK config changed by `edit`: refused before any request.
fn refused(edit: impl Fn(&mut Value)) -> common::Run {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = read(&sdk("token_english"));
    edit(&mut cfg);
    let path = dir.path().join("c.json");
    std::fs::write(&path, cfg.to_string()).unwrap();
    std::fs::write(dir.path().join("d.csv"), "1,x\n").unwrap();
    let run = analyze_with(
        &dir.path().join("d.csv"),
        &path,
        &dir.path().join("o"),
        &[],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    run
}

#[test]
fn configs_that_cannot_run_say_which_key() {
    let run = refused(|cfg| cfg["methods"]["shap"]["text_config"]["language"] = "japanese".into());
    assert!(
        run.stderr.contains("methods.shap.text_config.language"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("SudachiPy"), "{}", run.stderr);
}

#[test]
fn a_baseline_checks_the_top_units_and_writes_the_violations() {
    let server = TextServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    let run = server.analyze(
        &case("token_english").join("dataset.csv"),
        &sdk("token_english"),
        &base,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::write(
        tmp.path().join("drift.csv"),
        "0,broken and broken\n0,hate it\n0,poor fabric\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let base_file = base.join("analysis.json");
    let run = analyze_with(
        &tmp.path().join("drift.csv"),
        &sdk("token_english"),
        &out,
        &runtime_env(&server.url),
        &["--baseline", base_file.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("violations (constraint_violations.json)"),
        "{}",
        run.stdout
    );
    let v = read(&out.join("constraint_violations.json"));
    assert_eq!(
        v["violations"][0]["constraint_check_type"],
        "feature_attribution_drift_check"
    );
    let same = tmp.path().join("same");
    let run = analyze_with(
        &case("token_english").join("dataset.csv"),
        &sdk("token_english"),
        &same,
        &runtime_env(&server.url),
        &["--baseline", base_file.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        read(&same.join("analysis.json"))["driftwatch"]["ndcg"]["positive"],
        1.0
    );
    assert!(!same.join("constraint_violations.json").exists());
}

#[test]
fn features_to_explain_with_text_is_refused_as_the_sdk_refuses_it() {
    let run = refused(|cfg| {
        cfg["methods"]["shap"]["features_to_explain"] = serde_json::json!(["Review Text"])
    });
    assert!(
        run.stderr.contains("methods.shap.features_to_explain: is not supported for datasets containing text features"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_baseline_file_of_json_rows_gives_the_same_values_as_rows_in_the_config() {
    let server = TextServer::start();
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = read(&sdk("token_english"));
    cfg["methods"]["shap"]["baseline"] = "baseline.jsonl".into();
    std::fs::write(tmp.path().join("baseline.jsonl"), "[\"[MASK]\"]\n").unwrap();
    let config = tmp.path().join("config.json");
    std::fs::write(&config, cfg.to_string()).unwrap();
    let dataset = case("token_english").join("dataset.csv");
    let from_file = tmp.path().join("file");
    let run = server.analyze(&dataset, &config, &from_file);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let in_config = tmp.path().join("config");
    let run = server.analyze(&dataset, &sdk("token_english"), &in_config);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        lines(&from_file.join("explanations_shap/out.jsonl")),
        lines(&in_config.join("explanations_shap/out.jsonl"))
    );
}

#[test]
fn a_csv_baseline_file_of_texts_says_how_to_write_one() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = read(&sdk("token_english"));
    cfg["methods"]["shap"]["baseline"] = "b.csv".into();
    std::fs::write(tmp.path().join("b.csv"), "x\n\"[MASK]\"\n").unwrap();
    let config = tmp.path().join("c.json");
    std::fs::write(&config, cfg.to_string()).unwrap();
    let run = analyze_with(
        &case("token_english").join("dataset.csv"),
        &config,
        &tmp.path().join("o"),
        &[],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("b.csv:2: not a row of numbers: \"[MASK]\" (a text model's baseline rows are JSON, one per line"),
        "{}",
        run.stderr
    );
    assert!(!tmp.path().join("o/analysis.json").exists());
}
