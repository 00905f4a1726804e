//! The Python image classifier (tests/fixtures/images/image_server.py, on NumPy and Pillow
//! from scripts/vision) that the image tests call through the SageMaker runtime API's path.

use std::path::Path;
use std::process::Child;

use super::{Run, analyze_with};

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
        let (child, url) = super::start_model_server(
            python,
            "tests/fixtures/images/image_server.py",
            "vision",
            extra,
        );
        Self { child, url }
    }

    pub fn env(&self) -> [(&'static str, &str); 4] {
        super::runtime_env(&self.url)
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
