//! `driftwatch demo`, the README's main command: 48 hours of census traffic with drift in the
//! last 12, both schedules over it, deterministic for a seed.

mod common;

use std::path::Path;

use serde_json::Value;

fn demo(dir: &Path, seed: &str) -> common::Run {
    common::driftwatch(&[
        "demo",
        "--dir",
        dir.to_str().unwrap(),
        "--end",
        "2024-01-20T00:00:00Z",
        "--seed",
        seed,
    ])
}

fn record(dir: &Path, schedule: &str, folder: &str) -> Value {
    let p = dir
        .join("output/census-xgb")
        .join(schedule)
        .join(folder)
        .join("execution.json");
    serde_json::from_slice(&std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .unwrap()
}

#[test]
fn the_demo_finds_the_injected_drift_and_is_deterministic() {
    let root = tempfile::tempdir().unwrap();
    let a = root.path().join("a");
    let r = demo(&a, "42");
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("48 executions"), "{}", r.stdout);
    assert!(
        r.stdout.contains("8 executions, 2 with violations"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("drift injected from 2024-01-19T12:00:00Z")
    );

    // Bias: the hours after the drift starts violate; before it, hardly any do.
    let (mut before, mut after) = (0, 0);
    for h in 0..48i64 {
        let t = chrono::DateTime::parse_from_rfc3339("2024-01-18T01:00:00Z").unwrap()
            + chrono::TimeDelta::hours(h);
        let rec = record(&a, "census-bias", &t.format("%Y/%m/%d/%H").to_string());
        assert_ne!(rec["status"], "Failed", "{rec}");
        let violated = rec["status"] == "CompletedWithViolations";
        if h >= 36 {
            after += usize::from(violated);
        } else {
            before += usize::from(violated);
        }
        assert!(rec["counts"]["records_merged"].as_u64().unwrap() > 50);
    }
    eprintln!("violations: {before} of 36 clean hours, {after} of 12 drifted hours");
    // The demo judges with the significant check (bench/run_gated: 0.7 false alarms per 36
    // clean hours over 20 seeds, every drifted hour caught).
    assert_eq!(after, 12, "{after} of 12 drifted hours violate");
    assert!(before <= 3, "{before} of 36 clean hours violate");

    // Explainability: the two windows inside the drift fail the nDCG check.
    for (folder, status) in [
        ("2024/01/19/12", "Completed"),
        ("2024/01/19/18", "CompletedWithViolations"),
        ("2024/01/20/00", "CompletedWithViolations"),
    ] {
        assert_eq!(
            record(&a, "census-shap", folder)["status"],
            status,
            "{folder}"
        );
    }
    let v: Value = serde_json::from_slice(
        &std::fs::read(
            a.join("output/census-xgb/census-shap/2024/01/20/00/constraint_violations.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        v["violations"][0]["constraint_check_type"],
        "feature_attribution_drift_check"
    );

    // Reports: self-contained pages with the violations highlighted, and an index.
    let out = a.join("output/census-xgb");
    let bias = std::fs::read_to_string(out.join("census-bias/2024/01/20/00/report.html")).unwrap();
    let rec = record(&a, "census-bias", "2024/01/20/00");
    assert_eq!(
        bias.matches("<tr class=\"violation\">").count() as u64,
        rec["counts"]["violations"].as_u64().unwrap(),
        "one highlighted row per violation"
    );
    assert_eq!(
        rec["outputs"]["report"].as_str().unwrap(),
        out.join("census-bias/2024/01/20/00/report.html")
            .to_str()
            .unwrap()
    );
    let shap = std::fs::read_to_string(out.join("census-shap/2024/01/20/00/report.html")).unwrap();
    assert!(
        shap.contains("attribution drift violation") && shap.contains("<svg"),
        "{shap}"
    );
    let index = std::fs::read_to_string(out.join("census-bias/index.html")).unwrap();
    assert_eq!(index.matches(">report</a>").count(), 48);
    assert!(index.contains("href=\"2024/01/20/00/report.html\""));
    assert!(
        bias.contains("href=\"../../../../index.html\""),
        "a way back"
    );
    // The dashboard: the drift and when it started, from the whole history.
    assert!(
        index.contains("data-state=\"drifting\"")
            && index.contains("beyond baseline since 2024-01-19 13:00 UTC"),
        "{index}"
    );
    assert!(index.contains("href=\"../../index.html\""));
    let overview = std::fs::read_to_string(a.join("output/index.html")).unwrap();
    assert!(overview.contains("href=\"census-xgb/census-bias/index.html\""));
    assert!(overview.contains("href=\"census-xgb/census-shap/index.html\""));
    for page in [&bias, &shap, &index, &overview] {
        assert!(
            !page.contains("src=") && !page.contains("href=\"http") && !page.contains("@import")
        );
    }
    // Windows where metrics could not be computed say so: counted, never a bare "ok".
    let hour16 = record(&a, "census-bias", "2024/01/19/16");
    assert_eq!(hour16["counts"]["metrics_not_computed"], 13, "{hour16}");
    let report16 =
        std::fs::read_to_string(out.join("census-bias/2024/01/19/16/report.html")).unwrap();
    assert_eq!(report16.matches("<td>not computed: ").count(), 13);
    let metrics16 =
        std::fs::read_to_string(out.join("census-bias/2024/01/19/16/cloudwatch_metrics.jsonl"))
            .unwrap();
    assert!(
        metrics16
            .lines()
            .any(|l| l.contains("\"MetricsNotComputed\"") && l.contains("13.0")),
        "{metrics16}"
    );

    // The dashboard built execution by execution equals one rebuilt from the ledger.
    let history = out.join("census-bias/dashboard.json");
    let incremental = std::fs::read(&history).unwrap();
    std::fs::remove_file(&history).unwrap();
    let r = common::driftwatch(&[
        "dashboard",
        "--config",
        a.join("schedules.yaml").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("census-bias: 48 executions"),
        "{}",
        r.stdout
    );
    assert_eq!(std::fs::read(&history).unwrap(), incremental);

    // Files get the mode any new file gets here (0644 under the usual umask), not 0600.
    {
        use std::os::unix::fs::PermissionsExt;
        let probe = root.path().join("probe");
        std::fs::write(&probe, b"").unwrap();
        let want = std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
        for f in [
            out.join("census-bias/2024/01/20/00/analysis.json"),
            out.join("census-bias/2024/01/20/00/report.html"),
            out.join("census-bias/index.html"),
        ] {
            let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, want, "{}", f.display());
        }
    }

    // Same seed, same numbers; another seed, other traffic.
    let b = root.path().join("b");
    assert_eq!(demo(&b, "42").code, 0);
    let analysis = "output/census-xgb/census-bias/2024/01/19/20/analysis.json";
    assert_eq!(
        std::fs::read(a.join(analysis)).unwrap(),
        std::fs::read(b.join(analysis)).unwrap()
    );
    // Another seed, and an --end that is not on a 6-hour boundary: the explainability
    // schedule's fires follow --end, so its figures hold whatever the hour.
    let c = root.path().join("c");
    let r = common::driftwatch(&[
        "demo",
        "--dir",
        c.to_str().unwrap(),
        "--end",
        "2024-01-20T00:00:00Z",
        "--seed",
        "7",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d = root.path().join("d");
    let r = common::driftwatch(&[
        "demo",
        "--dir",
        d.to_str().unwrap(),
        "--end",
        "2024-01-20T13:00:00Z",
        "--seed",
        "7",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("8 executions, 2 with violations")
            && r.stdout
                .contains("2024-01-20T13:00:00Z   CompletedWithViolations"),
        "{}",
        r.stdout
    );
    assert_ne!(
        std::fs::read(a.join(analysis)).unwrap(),
        std::fs::read(c.join(analysis)).unwrap()
    );
    // The schedules file it leaves behind is valid for serve/backfill.
    let r = common::driftwatch(&[
        "validate",
        "--config",
        a.join("schedules.yaml").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}
