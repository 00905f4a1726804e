//! The demo's HTML reports and dashboards rendered by headless Chromium (Debian's `chromium`,
//! installed by `.ci/run`): they load offline without console errors, the rendered DOM shows
//! the violations and the drift's start, and a screenshot comes out at the window's size.
//! Skipped when Chromium is absent unless DRIFTWATCH_REQUIRE_CHROMIUM is set.

mod common;

use std::path::Path;
use std::process::Command;

fn chromium() -> Option<String> {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(c.to_string());
        }
    }
    assert!(
        std::env::var("DRIFTWATCH_REQUIRE_CHROMIUM").is_err(),
        "DRIFTWATCH_REQUIRE_CHROMIUM is set but no chromium on PATH"
    );
    eprintln!("skipped: no chromium on PATH");
    None
}

/// Runs headless Chromium on `page` with `extra` arguments; returns (stdout, stderr).
fn chromium_on(browser: &str, page: &Path, profile: &Path, extra: &[&str]) -> (String, String) {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-dev-shm-usage",
            &format!("--user-data-dir={}", profile.display()),
        ])
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Renders `page` and returns (DOM after load, browser log).
fn render(browser: &str, page: &Path, profile: &Path) -> (String, String) {
    chromium_on(
        browser,
        page,
        profile,
        &[
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=2000",
            "--dump-dom",
        ],
    )
}

/// Screenshots `page` at 1280×1600 and returns the PNG's size (from its IHDR chunk).
fn screenshot(browser: &str, page: &Path, profile: &Path, png: &Path) -> (u32, u32) {
    chromium_on(
        browser,
        page,
        profile,
        &[
            "--hide-scrollbars",
            "--window-size=1280,1600",
            &format!("--screenshot={}", png.display()),
        ],
    );
    let bytes = std::fs::read(png).expect("a screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let be = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    (be(16), be(20))
}

/// Renders `page`: it loads offline, without console errors, and its DOM holds each of
/// `must`.
fn renders(browser: &str, page: &Path, profile: &Path, must: &[&str]) {
    let (dom, log) = render(browser, page, profile);
    let name = page.display();
    assert!(dom.contains("</html>"), "{name}: nothing rendered\n{log}");
    for m in must {
        assert!(dom.contains(m), "{name}: no {m:?} in the rendered DOM");
    }
    for bad in ["CONSOLE", "Uncaught", "net::ERR", "Failed to load"] {
        assert!(
            !log.contains(bad),
            "{name}: {bad} in the browser log:\n{log}"
        );
    }
}

#[test]
fn the_demo_reports_render_offline_and_show_the_violations() {
    let Some(browser) = chromium() else { return };
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("demo");
    let r = common::driftwatch(&[
        "demo",
        "--dir",
        dir.to_str().unwrap(),
        "--end",
        "2024-01-20T00:00:00Z",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = dir.join("output/census-xgb");
    let profile = root.path().join("profile");
    for (page, must) in [
        (
            "census-bias/2024/01/20/00/report.html",
            vec![
                "<tr class=\"violation\">",
                "Post-training bias metrics",
                "Difference in Positive Proportions in Predicted Labels (DPPL)",
            ],
        ),
        (
            "census-shap/2024/01/20/00/report.html",
            vec!["attribution drift violation", "<svg", "class=\"current\""],
        ),
        (
            "census-bias/index.html",
            vec![
                "CompletedWithViolations",
                "2024/01/20/00/report.html",
                "data-state=\"drifting\"",
                "beyond baseline since 2024-01-19 13:00 UTC",
                "class=\"violation\"",
                "class=\"allowed\"",
            ],
        ),
        (
            "census-shap/index.html",
            vec!["nDCG against the baseline", "Largest global SHAP values"],
        ),
        (
            "../index.html",
            vec!["census-xgb/census-bias/index.html", "drifting"],
        ),
    ] {
        renders(&browser, &out.join(page), &profile, &must);
    }
    // The dashboard draws at the window's size.
    let png = root.path().join("dashboard.png");
    let size = screenshot(
        &browser,
        &out.join("census-bias/index.html"),
        &profile,
        &png,
    );
    assert_eq!(size, (1280, 1600));
    assert!(std::fs::metadata(&png).unwrap().len() > 20_000, "not blank");
}

#[test]
fn a_report_with_segments_renders_offline_with_its_segment_table() {
    let Some(browser) = chromium() else { return };
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    let r = common::driftwatch(&[
        "analyze",
        "--dataset",
        common::repo_path("tests/fixtures/sdk/census.csv")
            .to_str()
            .unwrap(),
        "--analysis-config",
        common::repo_path("tests/fixtures/sdk/processing/bias_segments.json")
            .to_str()
            .unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    renders(
        &browser,
        &out.join("report.html"),
        &root.path().join("profile"),
        &[
            "Bias metrics per segment",
            "<td>high school</td>",
            "<td>__default__</td>",
            "Pre-training bias metrics",
        ],
    );
}

/// A data-quality schedule's report and dashboard: two hours of a 0/1 feature drifting away
/// from its baseline; both pages render offline, the report lists the drift violation and the
/// dashboard charts drift and completeness per feature.
#[test]
fn a_data_quality_report_and_dashboard_render_offline() {
    let Some(browser) = chromium() else { return };
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let rows = |n: usize, ones: usize| -> Vec<String> {
        (0..n)
            .map(|i| format!("{},{}", u8::from(i % 10 < ones), ["a", "b"][i % 2]))
            .collect()
    };
    std::fs::write(dir.join("base.csv"), rows(2000, 1).join("\n") + "\n").unwrap();
    let r = common::driftwatch(&[
        "suggest-baseline",
        "--type",
        "data_quality",
        "--dataset",
        dir.join("base.csv").to_str().unwrap(),
        "--output",
        dir.join("baseline").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for (hour, ones) in [(10, 1), (11, 9)] {
        let folder = dir.join(format!("capture/ep/AllTraffic/2024/01/19/{hour}"));
        std::fs::create_dir_all(&folder).unwrap();
        let lines: String = rows(500, ones)
            .iter()
            .enumerate()
            .map(|(i, row)| {
                let (output, input) = row.split_once(',').unwrap();
                let at = format!("2024-01-19T{hour}:{:02}:00Z", i % 60);
                common::csv_capture_line(&format!("e{hour}-{i}"), &at, input, output) + "\n"
            })
            .collect();
        std::fs::write(folder.join("part.jsonl"), lines).unwrap();
    }
    let config = dir.join("schedules.yaml");
    std::fs::write(
        &config,
        "schedules:\n  - name: dq\n    type: data_quality\n    endpoint: ep\n    cadence: hourly\n    \
         data_capture: capture\n    output: out\n    baseline_constraints: baseline/constraints.json\n    \
         baseline_statistics: baseline/statistics.json\n    check:\n      drift_cdf: weighted\n",
    )
    .unwrap();
    for at in ["2024-01-19T11:00:00Z", "2024-01-19T12:00:00Z"] {
        let r = common::driftwatch(&common::run_args(&config, "dq", at));
        assert!(r.code == 0, "{}\n{}", r.stdout, r.stderr);
    }
    let profile = dir.join("profile");
    for (page, must) in [
        (
            "out/ep/dq/2024/01/19/12/report.html",
            vec!["Violations", "baseline_drift_check", "_c0"],
        ),
        (
            "out/ep/dq/index.html",
            vec![
                "CompletedWithViolations",
                "Baseline drift per feature",
                "data-metric=\"drift\"",
                "Completeness",
            ],
        ),
    ] {
        renders(&browser, &dir.join(page), &profile, &must);
    }
}

/// A model-quality schedule over two windows: the first before its labels arrived (estimated
/// only), the second measured and violating its constraint. The report shows the measured
/// metrics, the confusion matrix and the estimate under its own heading; the dashboard charts
/// each metric measured and estimated.
#[test]
fn a_model_quality_report_and_dashboard_render_offline() {
    let Some(browser) = chromium() else { return };
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let mut truth = String::new();
    for hour in [10, 11] {
        let folder = dir.join(format!("capture/ep/AllTraffic/2024/01/19/{hour}"));
        std::fs::create_dir_all(&folder).unwrap();
        let lines: String = (0..400)
            .map(|i| {
                let score = f64::from(i % 100) / 100.0;
                let id = format!("e{hour}-{i}");
                if hour == 11 {
                    let label = u8::from((i * 37) % 100 < i % 100);
                    truth.push_str(&format!(
                        "{{\"groundTruthData\": {{\"data\": \"{label}\", \"encoding\": \"CSV\"}}, \"eventMetadata\": {{\"eventId\": \"{id}\"}}, \"eventVersion\": \"0\"}}\n"
                    ));
                }
                let at = format!("2024-01-19T{hour}:{:02}:00Z", i % 60);
                common::csv_capture_line(&id, &at, "1,2", &score.to_string()) + "\n"
            })
            .collect();
        std::fs::write(folder.join("part.jsonl"), lines).unwrap();
    }
    let t = dir.join("truth/2024/01/19/11");
    std::fs::create_dir_all(&t).unwrap();
    std::fs::write(t.join("labels.jsonl"), truth).unwrap();
    std::fs::write(
        dir.join("constraints.json"),
        r#"{"version": 0.0, "binary_classification_constraints": {"accuracy": {"threshold": 0.95, "comparison_operator": "LessThanThreshold"}, "f1": {"threshold": 0.1, "comparison_operator": "LessThanThreshold"}}}"#,
    )
    .unwrap();
    let config = dir.join("schedules.yaml");
    std::fs::write(
        &config,
        "schedules:\n  - name: mq\n    type: model_quality\n    endpoint: ep\n    cadence: hourly\n    \
         problem_type: BinaryClassification\n    data_capture: capture\n    ground_truth: truth\n    \
         output: out\n    baseline_constraints: constraints.json\n",
    )
    .unwrap();
    for at in ["2024-01-19T11:00:00Z", "2024-01-19T12:00:00Z"] {
        let r = common::driftwatch(&common::run_args(&config, "mq", at));
        assert!(r.code == 0 || r.code == 1, "{}\n{}", r.stdout, r.stderr);
    }
    let profile = dir.join("profile");
    for (page, must) in [
        (
            "out/ep/mq/2024/01/19/12/report.html",
            vec![
                "Violations",
                "Metric accuracy with",
                "Confusion matrix",
                "an estimate, not a measurement",
            ],
        ),
        (
            "out/ep/mq/2024/01/19/11/report.html",
            vec!["Nothing measured", "an estimate, not a measurement"],
        ),
        (
            "out/ep/mq/index.html",
            vec![
                "CompletedWithViolations",
                "Model quality",
                "data-metric=\"quality\"",
                "estimated",
            ],
        ),
    ] {
        renders(&browser, &dir.join(page), &profile, &must);
    }
}

#[test]
fn a_time_series_report_renders_offline_with_its_heat_maps() {
    let Some(browser) = chromium() else { return };
    let server = common::forecaster::Forecaster::start();
    let dir = tempfile::tempdir().unwrap();
    let case = common::repo_path("tests/fixtures/time_series/cases/item_records_fine_grained_mean");
    let out = dir.path().join("out");
    let r = server.analyze(&case, &out);
    assert_eq!(r.code, 0, "{}", r.stderr);
    renders(
        &browser,
        &out.join("report.html"),
        &dir.path().join("profile"),
        &[
            "Item item_1",
            "Item item_2",
            "target_ts",
            "rts1",
            "static covariate",
            "<svg",
        ],
    );
}

#[test]
fn image_reports_render_offline_with_their_heat_maps() {
    let Some(browser) = chromium() else { return };
    let Some(py) = common::vision::python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (case, server_flags, must) in [
        (
            "png_exact",
            &[][..],
            &["astronaut.png", "Heat map of", "baseline score"][..],
        ),
        (
            "detection_exact",
            &["--detector"][..],
            &["box1: ", "detections, 2 explained"][..],
        ),
    ] {
        let server = common::vision::Vision::start(&py, server_flags);
        let src = common::repo_path(&format!("tests/fixtures/images/cases/{case}"));
        let out = dir.path().join(case);
        let r = server.analyze(&src.join("images"), &src.join("analysis_config.json"), &out);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let mut all = vec!["<img", "data:image/jpeg;base64,"];
        all.extend_from_slice(must);
        renders(
            &browser,
            &out.join("report.html"),
            &dir.path().join("profile"),
            &all,
        );
        let (w, h) = screenshot(
            &browser,
            &out.join("report.html"),
            &dir.path().join("profile"),
            &dir.path().join(format!("{case}.png")),
        );
        assert_eq!((w, h), (1280, 1600));
    }
}

#[test]
fn a_text_report_renders_offline_with_its_highlighted_units() {
    let Some(browser) = chromium() else { return };
    let (child, url) =
        common::start_model_server("python3", "tests/fixtures/text/text_server.py", "text", &[]);
    let mut child = child;
    let dir = tempfile::tempdir().unwrap();
    let case = common::repo_path("tests/fixtures/text/cases/sentence_german_stars");
    let out = dir.path().join("out");
    let r = common::analyze_with(
        &case.join("dataset.csv"),
        &common::repo_path("tests/fixtures/sdk/text/sentence_german_stars.json"),
        &out,
        &common::runtime_env(&url),
        &[],
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(r.code, 0, "{}", r.stderr);
    renders(
        &browser,
        &out.join("report.html"),
        &dir.path().join("profile"),
        &[
            "Top units",
            "Das ist gut.",
            "Nicht schlecht!",
            "raises the score of positive",
            "record 4",
        ],
    );
    let (w, h) = screenshot(
        &browser,
        &out.join("report.html"),
        &dir.path().join("profile"),
        &dir.path().join("text.png"),
    );
    assert_eq!((w, h), (1280, 1600));
    if let Ok(keep) = std::env::var("DRIFTWATCH_KEEP_SCREENSHOT") {
        std::fs::copy(dir.path().join("text.png"), keep).unwrap();
    }
}
