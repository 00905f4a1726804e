//! The Python image classifier (tests/fixtures/images/image_server.py, on NumPy and Pillow
//! from scripts/vision) that the image tests call through the SageMaker runtime API's path.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::{Run, analyze_with, repo_path};

/// The image model server, stopped on drop.
pub struct Vision {
    child: Child,
    pub url: String,
}

/// The Python with NumPy and Pillow: `DRIFTWATCH_VISION_PYTHON` (scripts/test sets it).
/// `None` skips the test, unless `DRIFTWATCH_REQUIRE_VISION` is set.
pub fn python() -> Option<String> {
    match std::env::var("DRIFTWATCH_VISION_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            assert!(
                std::env::var("DRIFTWATCH_REQUIRE_VISION").is_err(),
                "DRIFTWATCH_REQUIRE_VISION is set but DRIFTWATCH_VISION_PYTHON is not (scripts/vision python)"
            );
            eprintln!("skipped: no DRIFTWATCH_VISION_PYTHON (scripts/vision python)");
            None
        }
    }
}

impl Vision {
    pub fn start(python: &str, extra: &[&str]) -> Self {
        let script = repo_path("tests/fixtures/images/image_server.py");
        let mut child = Command::new(python)
            .arg(&script)
            .args(["0", "--endpoint", "vision"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the image server runs");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped");
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server prints its port");
        let port: u16 = line.trim().parse().expect("a port");
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    pub fn env(&self) -> [(&'static str, &str); 4] {
        [
            ("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", self.url.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
        ]
    }

    pub fn analyze(&self, dataset: &Path, config: &Path, out: &Path) -> Run {
        analyze_with(dataset, config, out, &self.env(), &[])
    }
}

impl Drop for Vision {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
