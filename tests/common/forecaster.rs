//! The Python forecasting model server (tests/fixtures/time_series/forecast_server.py) that
//! the time-series tests call through the SageMaker runtime API's path.

use std::process::Child;

use serde_json::Value;

use std::path::Path;

use super::{Run, analyze_with};

/// The Python forecasting server, stopped on drop.
pub struct Forecaster {
    child: Child,
    pub url: String,
}

impl Forecaster {
    pub fn start() -> Self {
        Self::with(&[])
    }

    pub fn with(extra: &[&str]) -> Self {
        let (child, url) = super::start_model_server(
            "python3",
            "tests/fixtures/time_series/forecast_server.py",
            "forecaster",
            extra,
        );
        Self { child, url }
    }

    pub fn env(&self) -> [(&'static str, &str); 4] {
        super::runtime_env(&self.url)
    }

    /// `driftwatch analyze` of a dataset and a config against this server.
    pub fn analyze_files(&self, dataset: &Path, config: &Path, out: &Path) -> Run {
        analyze_with(dataset, config, out, &self.env(), &[])
    }

    /// `analyze` of a golden case's folder (dataset.json, analysis_config.json).
    pub fn analyze(&self, case: &Path, out: &Path) -> Run {
        self.analyze_files(
            &case.join("dataset.json"),
            &case.join("analysis_config.json"),
            out,
        )
    }

    /// Requests and records served so far.
    pub fn stats(&self) -> (u64, u64) {
        let v: Value = http_get(&format!("{}/stats", self.url));
        (
            v["requests"].as_u64().unwrap_or(0),
            v["records"].as_u64().unwrap_or(0),
        )
    }
}

impl Drop for Forecaster {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET over a plain TCP socket (the test needs no HTTP client crate).
fn http_get(url: &str) -> Value {
    use std::io::{Read, Write};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("{}");
    serde_json::from_str(body).unwrap()
}
