//! The real `driftwatch serve` binary under test: a scenario's schedules file, traffic of the
//! last hours, and the daemon as a child process with its status endpoint.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};
use serde_json::{Value, json};

pub const SCHEDULE: &str = "census-hourly";

pub fn schedules_yaml(extra: &str) -> String {
    format!(
        r#"
schedules:
  - name: {SCHEDULE}
    type: model_bias
    endpoint: census-xgb
    cadence: hourly
    data_capture: capture
    ground_truth: truth
    output: output
    analysis_config: analysis.json
{extra}"#
    )
}

pub fn hour_of(now: DateTime<Utc>) -> DateTime<Utc> {
    now.with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap()
}

pub fn folder(t: DateTime<Utc>) -> String {
    format!(
        "{:04}/{:02}/{:02}/{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour()
    )
}

/// 60 labelled records in each of the three hours before `h0`.
pub fn write_traffic(root: &Path, h0: DateTime<Utc>) {
    let mut n = 0u32;
    for back in 1..=3 {
        let hour = h0 - TimeDelta::hours(back);
        let (mut capture, mut truth) = (String::new(), String::new());
        for i in 0..60u32 {
            n += 1;
            let sex = 1 + n % 2;
            let hga = n % 5;
            let score = f64::from((n * 37) % 100) / 100.0;
            let label = u32::from((n * 53) % 100 < 40 + 10 * sex);
            let time = hour + TimeDelta::seconds(i64::from(i) * 60);
            capture.push_str(
                &json!({
                    "captureData": {
                        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                            "data": format!("{},{sex},{hga},{}", 20 + n % 50, n % 60), "encoding": "CSV"},
                        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                            "data": score.to_string(), "encoding": "CSV"}
                    },
                    "eventMetadata": {"eventId": format!("ev-{n}"), "inferenceId": format!("inf-{n}"),
                        "inferenceTime": time.format("%Y-%m-%dT%H:%M:%SZ").to_string()},
                    "eventVersion": "0"
                })
                .to_string(),
            );
            capture.push('\n');
            truth.push_str(
                &json!({"groundTruthData": {"data": label.to_string(), "encoding": "CSV"},
                        "eventMetadata": {"eventId": format!("inf-{n}")}, "eventVersion": "0"})
                .to_string(),
            );
            truth.push('\n');
        }
        let c = root
            .join("capture/census-xgb/AllTraffic")
            .join(folder(hour))
            .join("00-00-000-a.jsonl");
        let g = root.join("truth").join(folder(hour)).join("3000.jsonl");
        for (p, text) in [(c, capture), (g, truth)] {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Daemon {
    pub child: Child,
    pub port: u16,
    pub stderr: PathBuf,
}

impl Daemon {
    pub fn start(config: &Path, extra: &[&str], env: &[(&str, String)]) -> Self {
        let port = free_port();
        let stderr = config.with_extension(format!("{port}.log"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_driftwatch"));
        cmd.args([
            "serve",
            "--config",
            config.to_str().unwrap(),
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args(extra)
        .env("DRIFTWATCH_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        Self {
            child,
            port,
            stderr,
        }
    }

    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut buf = String::new();
        s.read_to_string(&mut buf).ok()?;
        let code = buf.split_whitespace().nth(1)?.parse().ok()?;
        let body = buf.split_once("\r\n\r\n")?.1.to_string();
        Some((code, body))
    }

    pub fn json(&self, path: &str) -> Value {
        let (code, body) = self.get(path).unwrap();
        assert_eq!(code, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Polls until `f` holds (or panics with the log after `secs`).
    pub fn wait(&mut self, secs: u64, what: &str, mut f: impl FnMut(&Self) -> bool) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(secs) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "serve exited ({status}) waiting for {what}:\n{}",
                    self.log()
                );
            }
            if f(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("timed out waiting for {what}:\n{}", self.log());
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig}");
    }

    /// The directory of the schedules file (the scenario's root).
    pub fn root(&self) -> &Path {
        self.stderr.parent().unwrap()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// SIGTERM, then the exit code (within `secs`).
    pub fn stop(mut self, secs: u64) -> (i32, String) {
        self.signal("TERM");
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status.code().unwrap_or(-1), self.log());
            }
            if start.elapsed() > Duration::from_secs(secs) {
                let _ = self.child.kill();
                panic!("serve did not stop after SIGTERM:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn record_times(root: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![root.join("output")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "execution.json") {
                out.push((p.clone(), e.metadata().unwrap().modified().unwrap()));
            }
        }
    }
    out.sort();
    out
}

pub fn records(root: &Path) -> Vec<Value> {
    record_times(root)
        .into_iter()
        .map(|(p, _)| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .collect()
}

/// An endpoint that accepts connections and never answers (an S3 or a Ray cluster that
/// hangs); its URL. It holds at most 64 connections, then stops accepting.
pub fn silent_server() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
            if held.len() >= 64 {
                break;
            }
        }
        std::thread::sleep(Duration::from_secs(600));
    });
    url
}
