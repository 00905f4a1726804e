//! `driftwatch backfill` on a local-directory scenario: every scheduled time in the range,
//! the ledger's completed ones skipped on a second pass (run again with --force), failures
//! reported, the same results with --parallel.

mod common;

use common::driftwatch;
use common::scenario::{self, ANALYSIS_CONFIG};

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let config = scenario::write_local(root.path(), ANALYSIS_CONFIG, "");
    (root, config)
}

fn backfill(config: &std::path::Path, extra: &[&str]) -> common::Run {
    let mut args = vec![
        "backfill",
        "--config",
        config.to_str().unwrap(),
        "--schedule",
        "census-bias",
        "--from",
        "2024-01-19T06:00:00Z",
        "--to",
        "2024-01-19T13:00:00Z",
    ];
    args.extend_from_slice(extra);
    driftwatch(&args)
}

fn line<'a>(out: &'a str, t: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(t))
        .unwrap_or_else(|| panic!("no line for {t}:\n{out}"))
}

#[test]
fn runs_each_time_then_skips_what_the_ledger_has() {
    let (root, config) = setup();
    let r = backfill(&config, &[]);
    assert_eq!(
        r.code, 1,
        "two windows have nothing to analyze:\n{}",
        r.stdout
    );
    assert!(line(&r.stdout, "2024-01-19T06:00:00Z").contains("Failed"));
    assert!(
        line(&r.stdout, "2024-01-19T09:00:00Z").contains("nothing to merge"),
        "{}",
        r.stdout
    );
    assert!(
        line(&r.stdout, "2024-01-19T12:00:00Z").contains(" Completed "),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("summary: 3 scheduled, 3 ran (1 Completed, 2 Failed), 0 skipped"),
        "{}",
        r.stdout
    );
    assert!(
        root.path()
            .join("output/census-xgb/census-bias/2024/01/19/12/analysis.json")
            .exists()
    );

    // Second pass: the completed time is skipped, the failed ones are tried again.
    let r = backfill(&config, &[]);
    assert!(
        line(&r.stdout, "2024-01-19T12:00:00Z").contains("skipped (Completed)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("summary: 3 scheduled, 2 ran (2 Failed), 1 skipped"),
        "{}",
        r.stdout
    );

    // --force runs everything again; --parallel gives the same results.
    let r = backfill(&config, &["--force", "--parallel", "3"]);
    assert!(
        r.stdout
            .contains("summary: 3 scheduled, 3 ran (1 Completed, 2 Failed), 0 skipped"),
        "{}",
        r.stdout
    );
}

#[test]
fn bad_arguments_exit_2() {
    let (_root, config) = setup();
    let r = driftwatch(&[
        "backfill",
        "--config",
        config.to_str().unwrap(),
        "--schedule",
        "census-bias",
        "--from",
        "2024-01-20T00:00:00Z",
        "--to",
        "2024-01-19T00:00:00Z",
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("must be before --to"), "{}", r.stderr);
}
