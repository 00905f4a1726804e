//! `driftwatch suggest-baseline --type data_quality` end to end: the SDK's real baselining job
//! reproduced from its input, and bad datasets refused with the line and nothing written.

mod common;

use std::io::Write;

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/sagemaker_data_quality/sdk"
);

fn suggest(dataset: &std::path::Path, out: &std::path::Path, header: bool) -> common::Run {
    let mut args = vec![
        "suggest-baseline",
        "--type",
        "data_quality",
        "--dataset",
        dataset.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ];
    if header {
        args.push("--header");
    }
    common::driftwatch(&args)
}

#[test]
fn the_sdk_baselining_job_is_reproduced_from_its_input_even_gzipped() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = std::fs::read(format!("{DIR}/baseline_dataset.csv")).unwrap();
    let gz = tmp.path().join("baseline.csv.gz");
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&csv).unwrap();
    std::fs::write(&gz, z.finish().unwrap()).unwrap();
    for dataset in [
        std::path::PathBuf::from(format!("{DIR}/baseline_dataset.csv")),
        gz,
    ] {
        let out = tmp.path().join("out");
        let r = suggest(&dataset, &out, false);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("6 features, 100 items"), "{}", r.stdout);
        assert_eq!(
            std::fs::read_to_string(out.join("statistics.json")).unwrap(),
            std::fs::read_to_string(format!("{DIR}/statistics.json")).unwrap()
        );
        let c: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("constraints.json")).unwrap()).unwrap();
        assert_eq!(c["features"][5]["num_constraints"]["is_non_negative"], true);
        assert_eq!(
            c["monitoring_config"]["distribution_constraints"]["categorical_drift_method"],
            "LInfinity"
        );
    }
}

#[test]
fn a_header_names_the_features_and_a_bad_dataset_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good.csv");
    std::fs::write(&good, "age,city\n31,Paris\n40,Lyon\n,Paris\n").unwrap();
    let out = tmp.path().join("out");
    let r = suggest(&good, &out, true);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("statistics.json")).unwrap()).unwrap();
    assert_eq!(s["features"][0]["name"], "age");
    assert_eq!(s["features"][0]["inferred_type"], "Integral");
    assert_eq!(
        s["features"][0]["numerical_statistics"]["common"]["num_missing"],
        1
    );
    assert_eq!(s["features"][1]["inferred_type"], "String");

    for (name, bytes, says) in [
        (
            "ragged.csv",
            &b"a,b\n1,2\n3\n"[..],
            "ragged.csv:3: has 1 cells, the header has 2",
        ),
        // \xe9 is é in Latin-1: not UTF-8.
        (
            "latin1.csv",
            &b"a,b\n1,caf\xe9\n"[..],
            "latin1.csv:2: is not UTF-8",
        ),
        (
            "quote.csv",
            &b"a,b\n1,\"open\n"[..],
            "quote.csv:2: a quoted cell is not closed",
        ),
    ] {
        let path = tmp.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = tmp.path().join(format!("out-{name}"));
        let r = suggest(&path, &out, true);
        assert_eq!(r.code, 2, "{name}: {}", r.stdout);
        assert!(r.stderr.contains(says), "{name}: {}", r.stderr);
        assert!(!out.join("statistics.json").exists(), "{name}");
        assert!(!out.join("constraints.json").exists(), "{name}");
    }
    // Not a file; not a gzip stream although it starts like one.
    let r = suggest(tmp.path(), &tmp.path().join("out-dir"), true);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is a directory"), "{}", r.stderr);
    let broken = tmp.path().join("broken.csv.gz");
    std::fs::write(&broken, b"\x1f\x8b\x08\x00garbage").unwrap();
    let r = suggest(&broken, &tmp.path().join("out-gz"), true);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("broken.csv.gz:1: cannot be read"),
        "{}",
        r.stderr
    );
}

fn check_data(
    dataset: &str,
    constraints: &str,
    statistics: Option<&str>,
    out: &std::path::Path,
) -> common::Run {
    let mut args = vec![
        "check-data",
        "--dataset",
        dataset,
        "--baseline-constraints",
        constraints,
        "--output",
        out.to_str().unwrap(),
    ];
    if let Some(s) = statistics {
        args.extend(["--baseline-statistics", s]);
    }
    common::driftwatch(&args)
}

/// `check-data` on the SDK QualityCheckStep's data: the good baseline passes (no violations
/// file), the bad one fails `_c5`'s data type with the container's sentence and text; without
/// statistics, drift is said not checked; a broken baseline is named.
#[test]
fn check_data_passes_and_fails_the_sdk_quality_check_steps_baselines() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, stats) = (
        format!("{DIR}/baseline_dataset.csv"),
        format!("{DIR}/statistics.json"),
    );
    let out = tmp.path().join("out");
    let r = check_data(
        &data,
        &format!("{DIR}/good_cases/constraints.json"),
        Some(&stats),
        &out,
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("0 violations, 0 checks not made"),
        "{}",
        r.stdout
    );
    assert_eq!(
        std::fs::read_to_string(out.join("statistics.json")).unwrap(),
        std::fs::read_to_string(&stats).unwrap()
    );
    assert!(!out.join("constraint_violations.json").exists());

    let r = check_data(
        &data,
        &format!("{DIR}/bad_cases/constraints.json"),
        Some(&stats),
        &out,
    );
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        std::fs::read_to_string(out.join("constraint_violations.json")).unwrap(),
        "{\n  \"violations\" : [ {\n    \"feature_name\" : \"_c5\",\n    \"constraint_check_type\" : \"data_type_check\",\n    \"description\" : \"Data type match requirement is not met. Expected data type: String, Expected match: 100.0%. Observed: Only 0.0% of data is String.\"\n  } ]\n}"
    );
    // A clean check of the same folder leaves no stale violations behind.
    let r = check_data(
        &data,
        &format!("{DIR}/good_cases/constraints.json"),
        Some(&stats),
        &out,
    );
    assert_eq!(r.code, 0);
    assert!(!out.join("constraint_violations.json").exists());

    let r = check_data(
        &data,
        &format!("{DIR}/good_cases/constraints.json"),
        None,
        &out,
    );
    assert_eq!(r.code, 0);
    assert!(
        r.stdout
            .contains("not checked  _c0  baseline_drift_check: no baseline statistics"),
        "{}",
        r.stdout
    );

    let broken = tmp.path().join("constraints.json");
    std::fs::write(&broken, "{\"version\": 0.0}").unwrap();
    let r = check_data(&data, broken.to_str().unwrap(), None, &out);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("constraints.json: is not a data-quality baseline file"),
        "{}",
        r.stderr
    );
}

/// `check-data --drift-cdf weighted` sees a 0/1 column's shift that SageMaker's rank map
/// cannot, and `--check significant` keeps a shift far beyond noise (the gate itself is
/// tested in `data_quality::check`).
#[test]
fn check_data_takes_driftwatchs_drift_options() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = |n: usize, ones: usize| -> String {
        (0..n)
            .map(|i| {
                format!(
                    "{},{}\n",
                    u8::from(i % 10 < ones),
                    ["a", "b"][usize::from(i % 10 < 5 + ones / 3)]
                )
            })
            .collect()
    };
    let base = tmp.path().join("base.csv");
    std::fs::write(&base, rows(2000, 1)).unwrap();
    let baseline = tmp.path().join("baseline");
    let r = suggest(&base, &baseline, false);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (c, s) = (
        baseline.join("constraints.json"),
        baseline.join("statistics.json"),
    );
    let (c, s) = (c.to_str().unwrap(), s.to_str().unwrap());
    let now = tmp.path().join("now.csv");
    std::fs::write(&now, rows(1000, 9)).unwrap();
    let drifted = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "check-data",
            "--dataset",
            now.to_str().unwrap(),
            "--baseline-constraints",
            c,
            "--baseline-statistics",
            s,
            "--output",
        ];
        let out = tmp.path().join(out);
        let out_s = out.to_str().unwrap().to_string();
        args.push(&out_s);
        args.extend(extra);
        let r = common::driftwatch(&args);
        let v = std::fs::read_to_string(out.join("constraint_violations.json")).unwrap_or_default();
        (
            r.code,
            v.contains("\"_c0\"") && v.contains("baseline_drift_check"),
        )
    };
    assert!(
        !drifted("compat", &[]).1,
        "deequ#392: 0/1 columns look alike"
    );
    let (code, weighted) = drifted("weighted", &["--drift-cdf", "weighted"]);
    assert_eq!((code, weighted), (1, true));

    // A shift of 0.8 over 1,000 and 2,000 values is far beyond noise: still a violation.
    let (code, significant) = drifted(
        "significant",
        &["--drift-cdf", "weighted", "--check", "significant"],
    );
    assert_eq!((code, significant), (1, true));
}
