//! The data-quality profile against real outputs of SageMaker's analyzer container:
//! - the SDK repository's baselining job (`tests/fixtures/sagemaker_data_quality/sdk/`: its
//!   input CSV and the statistics.json and constraints.json the container wrote), byte for
//!   byte;
//! - ten-feature-hundreds windows profiled by a real monitoring schedule
//!   (`black_belt/`, from aws-samples/aws-ml-jp): each numeric feature's sketch holds its
//!   values in input order, so profiling them again must give every statistic the container
//!   printed, bit for bit.

use driftwatch::data_quality::csv::profile_csv;
use driftwatch::data_quality::profile::ColumnProfile;
use driftwatch::data_quality::suggest::suggest;
use driftwatch::sagemaker::data_quality::{Constraints, Statistics};
use driftwatch::sagemaker::jackson::{jackson_bytes, java_double};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/sagemaker_data_quality"
);

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}/{rel}")).unwrap()
}

#[test]
fn the_sdk_baselining_jobs_statistics_are_reproduced_byte_for_byte() {
    let profile = profile_csv(
        &read("sdk/baseline_dataset.csv"),
        false,
        "baseline_dataset.csv",
    )
    .unwrap();
    let ours = String::from_utf8(jackson_bytes(&profile.statistics())).unwrap();
    let theirs = String::from_utf8(read("sdk/statistics.json")).unwrap();
    assert_eq!(ours, theirs);
}

#[test]
fn the_sdk_baselining_jobs_constraints_are_reproduced() {
    let profile = profile_csv(
        &read("sdk/baseline_dataset.csv"),
        false,
        "baseline_dataset.csv",
    )
    .unwrap();
    let mut ours = suggest(&profile);
    // Containers since 2023 add the categorical keys (the SDK's integration test asserts
    // them); the 2021 file predates them. Everything else is the file, byte for byte.
    let d = &mut ours.monitoring_config.distribution_constraints;
    assert_eq!(d.categorical_comparison_threshold, Some(0.1));
    assert_eq!(d.categorical_drift_method.as_deref(), Some("LInfinity"));
    d.categorical_comparison_threshold = None;
    d.categorical_drift_method = None;
    let theirs = String::from_utf8(read("sdk/good_cases/constraints.json")).unwrap();
    assert_eq!(String::from_utf8(jackson_bytes(&ours)).unwrap(), theirs);
    // And the file reads back as the same constraints.
    let back: Constraints = serde_json::from_str(&theirs).unwrap();
    assert_eq!(back, ours);
}

#[test]
fn the_sdk_integration_tests_dataset_has_418_items() {
    let profile = profile_csv(&read("sdk/monitor_baseline_dataset.csv"), false, "d.csv").unwrap();
    assert_eq!(profile.statistics().dataset.item_count, 418);
    assert_eq!(profile.names.len(), 10);
}

#[test]
fn a_real_monitoring_windows_numeric_statistics_are_reproduced_from_its_sketches() {
    let mut checked = 0;
    for window in ["2020/02/03/01", "2020/04/06/01"] {
        let bytes = read(&format!("black_belt/{window}/statistics.json"));
        let theirs: Statistics = serde_json::from_slice(&bytes).unwrap();
        for f in &theirs.features {
            let Some(ns) = &f.numerical_statistics else {
                continue;
            };
            let data = &ns.distribution.kll.sketch.data;
            // One level: every value, in the order the window held them.
            assert_eq!(data.len(), 1, "{}", f.name);
            let mut c = ColumnProfile::new();
            for x in &data[0] {
                c.add(Some(&java_double(*x)));
            }
            for _ in 0..ns.common.num_missing {
                c.add(None);
            }
            let ours = c.statistics(&f.name);
            let ours = ours.numerical_statistics.unwrap();
            assert_eq!(ours.common, ns.common, "{window} {}", f.name);
            for (what, a, b) in [
                ("mean", ours.mean, ns.mean),
                ("sum", ours.sum, ns.sum),
                ("std_dev", ours.std_dev, ns.std_dev),
                ("min", ours.min, ns.min),
                ("max", ours.max, ns.max),
            ] {
                assert_eq!(
                    a.to_bits(),
                    b.to_bits(),
                    "{window} {} {what}: {a} vs {b}",
                    f.name
                );
            }
            assert_eq!(ours.distribution, ns.distribution, "{window} {}", f.name);
            checked += 1;
        }
        // The whole file, re-serialised, is the container's text.
        assert_eq!(
            String::from_utf8(jackson_bytes(&theirs)).unwrap(),
            String::from_utf8(bytes).unwrap()
        );
    }
    assert_eq!(checked, 286);
}

/// The SDK's `tests/data/monitor/statistics.json`: a real execution whose pre-processor
/// turned every one of 418 records into one String cell (its file was re-indented by the SDK,
/// so it is compared as JSON).
#[test]
fn a_string_columns_statistics_are_the_containers() {
    let value = "preproc-not-YET-supported-for-csv-json";
    let csv = format!("message\n{}", format!("{value}\n").repeat(418));
    let profile = profile_csv(csv.as_bytes(), true, "d.csv").unwrap();
    let ours: serde_json::Value =
        serde_json::from_slice(&jackson_bytes(&profile.statistics())).unwrap();
    let theirs: serde_json::Value =
        serde_json::from_slice(&read("sdk/monitor_statistics.json")).unwrap();
    assert_eq!(ours, theirs);
}

/// A real monitoring schedule's violations (aws-ml-jp's black-belt reports): the window's
/// profile rebuilt from its statistics.json, checked against the baseline's constraints, gives
/// the container's data-type violations, sentence for sentence. (Its drift violations need the
/// baseline's statistics, which that repository lost: drift is reported not checked.)
#[test]
fn a_real_windows_data_type_violations_are_the_containers() {
    use driftwatch::data_quality::check::{DriftOptions, check};
    use driftwatch::data_quality::profile::Profile;
    use std::collections::BTreeSet;

    let constraints: Constraints =
        serde_json::from_slice(&read("black_belt/baseline_constraints.json")).unwrap();
    for window in ["2020/02/03/01", "2020/04/06/01"] {
        let stats: Statistics =
            serde_json::from_slice(&read(&format!("black_belt/{window}/statistics.json"))).unwrap();
        let mut profile = Profile::new(stats.features.iter().map(|f| f.name.clone()).collect());
        profile.rows = stats.dataset.item_count;
        for (c, f) in profile.columns.iter_mut().zip(&stats.features) {
            let ns = f.numerical_statistics.as_ref().unwrap();
            // The values as the window wrote them: integers for a feature it typed Integral.
            for x in &ns.distribution.kll.sketch.data[0] {
                let text = match f.inferred_type.as_str() {
                    "Integral" => format!("{}", *x as i64),
                    _ => java_double(*x),
                };
                c.add(Some(&text));
            }
            for _ in 0..ns.common.num_missing {
                c.add(None);
            }
        }
        let outcome = check(&constraints, None, &profile, DriftOptions::default());
        let ours: BTreeSet<(String, String, String)> = outcome
            .violations
            .iter()
            .map(|v| {
                (
                    v.feature_name.clone(),
                    v.constraint_check_type.to_string(),
                    v.description.clone(),
                )
            })
            .collect();
        let file: serde_json::Value = serde_json::from_slice(&read(&format!(
            "black_belt/{window}/constraint_violations.json"
        )))
        .unwrap();
        let theirs: BTreeSet<(String, String, String)> = file["violations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["constraint_check_type"] != "baseline_drift_check")
            .map(|v| {
                let s = |k: &str| v[k].as_str().unwrap().to_string();
                (
                    s("feature_name"),
                    s("constraint_check_type"),
                    s("description"),
                )
            })
            .collect();
        assert!(!theirs.is_empty());
        assert_eq!(ours, theirs, "{window}");
        assert_eq!(
            outcome
                .not_checked
                .iter()
                .filter(|n| n.check == "baseline_drift_check")
                .count(),
            143
        );
    }
}

/// The SDK's QualityCheckStep cases: its dataset against its own statistics and the good
/// constraints passes every check (drift 0 against itself); the bad constraints (`_c5`
/// expected String) fail exactly the data-type check of `_c5`.
#[test]
fn the_sdk_quality_check_steps_good_and_bad_baselines() {
    use driftwatch::data_quality::check::{DriftOptions, check};
    let profile = profile_csv(&read("sdk/baseline_dataset.csv"), false, "d.csv").unwrap();
    let stats: Statistics = serde_json::from_slice(&read("sdk/statistics.json")).unwrap();
    let good: Constraints =
        serde_json::from_slice(&read("sdk/good_cases/constraints.json")).unwrap();
    let bad: Constraints = serde_json::from_slice(&read("sdk/bad_cases/constraints.json")).unwrap();
    let g = check(&good, Some(&stats), &profile, DriftOptions::default());
    assert_eq!(g.violations, vec![]);
    assert_eq!(g.not_checked, vec![]);
    let b = check(&bad, Some(&stats), &profile, DriftOptions::default());
    assert_eq!(b.violations.len(), 1, "{:?}", b.violations);
    assert_eq!(b.violations[0].feature_name, "_c5");
    assert_eq!(
        b.violations[0].description,
        "Data type match requirement is not met. Expected data type: String, Expected match: 100.0%. Observed: Only 0.0% of data is String."
    );
}
