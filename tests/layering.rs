//! The layering rules of `docs/ARCHITECTURE.md`, checked on the sources: each module may use
//! only the modules listed for it, so a new dependency is a decision (made in the table below
//! and in the architecture document), never an accident.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module → the crate modules it may use. Keep in step with docs/ARCHITECTURE.md.
const ALLOWED: &[(&str, &[&str])] = &[
    // The wire formats: a leaf, so every layer can share them.
    ("sagemaker", &[]),
    ("aws", &[]),
    ("gzip", &["limits"]),
    // Input limits and reading a local file within them.
    ("limits", &[]),
    ("stats", &[]),
    // CSV cells as Spark splits them: datasets and captured payloads of the data-quality
    // monitor share the rule.
    ("spark_csv", &[]),
    // Loops compiled for AVX-512 and AVX2 and chosen at run time: a leaf the kernels share.
    ("wide", &[]),
    // The Ray Jobs REST client: plain HTTP, knows nothing of driftwatch.
    ("ray", &[]),
    ("schedule", &["config", "sagemaker"]),
    ("config", &["limits", "schedule", "sagemaker"]),
    ("store", &["aws", "config", "limits", "sagemaker"]),
    // The schedules file from a path or S3.
    ("load", &["aws", "config", "limits", "store"]),
    ("dataset", &["capture", "config", "gzip", "limits"]),
    // The frame it builds is the bias engine's input (its prediction column).
    (
        "capture",
        &[
            "bias",
            "config",
            "dataset",
            "gzip",
            "limits",
            "sagemaker",
            "schedule",
            "spark_csv",
            "store",
        ],
    ),
    ("bias", &["config", "sagemaker", "stats", "wide"]),
    // The data-quality engine: Deequ's profile and checks on the wire formats' types.
    (
        "data_quality",
        &["gzip", "limits", "sagemaker", "spark_csv"],
    ),
    // The model-quality engine: metrics from counts and sums, on the wire formats' types.
    ("model_quality", &["sagemaker", "spark_csv", "stats"]),
    // The endpoint predictor is an AWS client.
    (
        "explain",
        &["aws", "capture", "config", "sagemaker", "stats", "wide"],
    ),
    // The check knows each bias metric's range (a baseline outside it is meaningless).
    ("check", &["bias", "config", "explain", "sagemaker"]),
    ("publish", &["aws", "sagemaker", "store"]),
    // Reports are drawn from the wire formats only: never from executions or the daemon.
    ("report", &["sagemaker"]),
    // The dashboards: histories kept beside the ledger, drawn with the report's pieces.
    ("dashboard", &["report", "sagemaker", "store"]),
    // The monitors: inputs to outputs, for `analyze` and executions alike.
    (
        "monitor",
        &[
            "aws",
            "bias",
            "check",
            "config",
            "data_quality",
            "explain",
            "model_quality",
            "sagemaker",
            "stats",
            "store",
        ],
    ),
    (
        "analyze",
        &[
            "aws",
            "config",
            "dataset",
            "monitor",
            "report",
            "sagemaker",
            "store",
        ],
    ),
    // The only orchestrator of executions.
    (
        "execution",
        &[
            "aws",
            "bias",
            "capture",
            "config",
            "dashboard",
            "data_quality",
            "model_quality",
            "monitor",
            "publish",
            "ray",
            "report",
            "sagemaker",
            "schedule",
            "store",
        ],
    ),
    (
        "daemon",
        &[
            "aws",
            "config",
            "execution",
            "load",
            "publish",
            "sagemaker",
            "schedule",
            "store",
        ],
    ),
    ("model_server", &["explain"]),
    // `import`: SageMaker's describe answers into a schedules file it validates.
    ("migrate", &["config", "limits", "sagemaker"]),
    // The fuzz targets' entry points: one parser each.
    ("fuzzing", &["capture", "config", "limits"]),
    (
        "demo",
        &[
            "analyze",
            "aws",
            "config",
            "daemon",
            "execution",
            "explain",
            "sagemaker",
            "schedule",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`src/monitor/bias.rs` → `monitor`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_string_lossy();
    let name = first.trim_end_matches(".rs").to_string();
    (!matches!(name.as_str(), "lib" | "main" | "cli")).then_some(name)
}

/// Every `crate::name` the text mentions.
fn used_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let before = text[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `driftwatch_crate::` and the like
        }
        let name: String = text[i + 7..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

#[test]
fn modules_use_only_what_the_architecture_allows() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut broken = Vec::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let Some(ok) = allowed.get(module.as_str()) else {
            broken.push(format!(
                "{}: module {module} is not in the layering table",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("readable source");
        for used in used_modules(&text) {
            if used != module && !ok.contains(&used.as_str()) {
                broken.push(format!(
                    "{}: {module} must not use crate::{used}",
                    file.display()
                ));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "layering rules broken:\n{}",
        broken.join("\n")
    );
}

#[test]
fn only_execution_writes_execution_records() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        if rel.starts_with("execution") || rel.starts_with("sagemaker") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("readable source");
        let names_records = text.contains("RECORD_FILE");
        assert!(
            !(names_records && text.contains(".put(")),
            "{}: names the record file and writes objects; only src/execution writes records",
            file.display()
        );
    }
}

#[test]
fn the_checker_sees_uses() {
    let uses = used_modules(
        "use crate::sagemaker::{A, B};\nlet x = crate::store::fetch(); // my_crate::nope",
    );
    assert_eq!(
        uses.into_iter().collect::<Vec<_>>(),
        ["sagemaker".to_string(), "store".to_string()]
    );
}
