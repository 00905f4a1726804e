//! Helpers shared by the integration tests: run the real `driftwatch` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn driftwatch(args: &[&str]) -> Run {
    let out: Output = std::process::Command::new(env!("CARGO_BIN_EXE_driftwatch"))
        .args(args)
        .env("DRIFTWATCH_LOG", "warn")
        .output()
        .expect("the driftwatch binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A temporary directory holding the example analysis configs and `files`.
pub fn config_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for name in [
        "census-bias-analysis.json",
        "census-explainability-analysis.json",
    ] {
        std::fs::copy(repo_path(&format!("config/{name}")), dir.path().join(name)).expect("copy");
    }
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}
