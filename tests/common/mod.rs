//! Helpers shared by the integration tests: run the real `driftwatch` binary.
#![allow(dead_code)]

pub mod forecaster;

use std::path::{Path, PathBuf};
use std::process::Output;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn driftwatch(args: &[&str]) -> Run {
    driftwatch_env(args, &[])
}

/// Runs a prepared command of the binary to completion.
fn finish(cmd: &mut std::process::Command) -> Run {
    let out: Output = cmd.output().expect("the driftwatch binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `driftwatch analyze` of a dataset and a config into `out`, with `extra` flags.
pub fn analyze_with(
    dataset: &Path,
    config: &Path,
    out: &Path,
    env: &[(&str, &str)],
    extra: &[&str],
) -> Run {
    let mut args = vec![
        "analyze",
        "--dataset",
        dataset.to_str().unwrap(),
        "--analysis-config",
        config.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    driftwatch_env(&args, env)
}

/// A JSON list of numbers.
pub fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Starts a Python model server (`python script 0 --endpoint NAME extra…`), which prints its
/// port on its first line: the child and its URL (127.0.0.1).
pub fn start_model_server(
    python: &str,
    script: &str,
    endpoint: &str,
    extra: &[&str],
) -> (std::process::Child, String) {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let mut child = Command::new(python)
        .arg(repo_path(script))
        .args(["0", "--endpoint", endpoint])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{python} runs {script}: {e}"));
    let mut line = String::new();
    let stdout = child.stdout.take().expect("piped");
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the server prints its port");
    let port: u16 = line.trim().parse().expect("a port");
    (child, format!("http://127.0.0.1:{port}"))
}

/// The environment that points the binary's SageMaker runtime client at `url`.
pub fn runtime_env(url: &str) -> [(&'static str, &str); 4] {
    [
        ("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", url),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
    ]
}

/// The JSON files of a fixture folder, by name, parsed.
pub fn json_files(rel: &str) -> Vec<(String, serde_json::Value)> {
    let dir = repo_path(rel);
    let mut out: Vec<(String, serde_json::Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
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

pub mod golden;
pub mod scenario;
pub mod serve;
pub mod vision;

/// Writes `root/schedules.yaml`: an hourly bias schedule `s` of endpoint `ep` over the local
/// folders `capture/` and `truth/` with `analysis.json`, writing to `out/`.
pub fn write_local_bias_schedule(root: &Path) -> PathBuf {
    let path = root.join("schedules.yaml");
    std::fs::write(
        &path,
        "schedules:\n  - name: s\n    type: model_bias\n    endpoint: ep\n    cadence: hourly\n    \
         data_capture: capture\n    ground_truth: truth\n    output: out\n    analysis_config: analysis.json\n",
    )
    .expect("write schedules");
    path
}

/// One capture line of a CSV endpoint: `input` the request, `output` the response.
pub fn csv_capture_line(event_id: &str, inference_time: &str, input: &str, output: &str) -> String {
    serde_json::json!({
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": input, "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": output, "encoding": "CSV"}
        },
        "eventMetadata": {"eventId": event_id, "inferenceTime": inference_time},
        "eventVersion": "0"
    })
    .to_string()
}

/// The arguments of `driftwatch run` of `schedule` in `config` at `at`.
pub fn run_args<'a>(config: &'a Path, schedule: &'a str, at: &'a str) -> [&'a str; 7] {
    [
        "run",
        "--config",
        config.to_str().expect("a UTF-8 path"),
        "--schedule",
        schedule,
        "--at",
        at,
    ]
}

/// Runs the binary with extra environment variables.
pub fn driftwatch_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    finish(
        std::process::Command::new(env!("CARGO_BIN_EXE_driftwatch"))
            .args(args)
            .env("DRIFTWATCH_LOG", "warn")
            .envs(env.iter().copied()),
    )
}

/// Runs the binary with a bare environment (no AWS credentials, profile or region from the
/// test's own environment): `env` only, plus PATH and an empty HOME.
pub fn driftwatch_bare(args: &[&str], env: &[(&str, &str)]) -> Run {
    let home = tempfile::tempdir().expect("temp dir");
    finish(
        std::process::Command::new(env!("CARGO_BIN_EXE_driftwatch"))
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("DRIFTWATCH_LOG", "warn")
            .envs(env.iter().copied()),
    )
}

/// The moto server started by `scripts/test`. Without it a test that needs it is skipped
/// with a message — unless `DRIFTWATCH_REQUIRE_MOTO` is set (as `scripts/test` and CI do),
/// then it fails.
pub fn moto_url() -> Option<String> {
    match std::env::var("DRIFTWATCH_MOTO_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var("DRIFTWATCH_REQUIRE_MOTO").is_ok() => {
            panic!("DRIFTWATCH_MOTO_URL is not set but DRIFTWATCH_REQUIRE_MOTO is")
        }
        _ => {
            eprintln!("skipped: no AWS emulator (run the tests with ./scripts/test)");
            None
        }
    }
}

/// `driftwatch run` of `schedule` in `config` at `at` with extra environment: the exit code,
/// the execution record it printed, and stderr.
pub fn run_record(
    config: &Path,
    schedule: &str,
    at: &str,
    env: &[(&'static str, String)],
) -> (i32, serde_json::Value, String) {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = driftwatch_env(&run_args(config, schedule, at), &env);
    let record = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("record on stdout ({e}): {}\n{}", r.stdout, r.stderr));
    (r.code, record, r.stderr)
}

/// The local Ray cluster's Jobs API (`scripts/ray`, started by the test command); like the
/// emulator, required under the test command and skipped without it.
pub fn ray_url() -> Option<String> {
    match std::env::var("DRIFTWATCH_RAY_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var("DRIFTWATCH_REQUIRE_RAY").is_ok() => {
            panic!("DRIFTWATCH_RAY_URL is not set but DRIFTWATCH_REQUIRE_RAY is")
        }
        _ => {
            eprintln!("skipped: no Ray cluster (run the tests with ./scripts/test)");
            None
        }
    }
}

/// Environment that points the binary's AWS clients at `url` with dummy credentials.
pub fn aws_env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL_S3", url.to_string()),
        ("AWS_ENDPOINT_URL_CLOUDWATCH", url.to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
    ]
}

/// An S3 client for the test itself (to lay out inputs and read outputs), pointed at `url`.
pub fn s3_client(url: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(url)
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// A new bucket on the S3 emulator, and the test's own client to it.
pub struct Bucket {
    pub name: String,
    pub url: String,
    pub client: aws_sdk_s3::Client,
    pub rt: tokio::runtime::Runtime,
}

impl Bucket {
    /// A bucket named after `tag`, unique to this run.
    pub fn new(url: &str, tag: &str) -> Self {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let client = s3_client(url);
        let name = unique_bucket(tag);
        rt.block_on(client.create_bucket().bucket(&name).send())
            .expect("create bucket on the emulator");
        Self {
            name,
            url: url.to_string(),
            client,
            rt,
        }
    }

    pub fn put(&self, key: &str, bytes: &[u8]) {
        self.rt
            .block_on(
                self.client
                    .put_object()
                    .bucket(&self.name)
                    .key(key)
                    .body(bytes.to_vec().into())
                    .send(),
            )
            .expect("put object");
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.rt.block_on(async {
            let o = self
                .client
                .get_object()
                .bucket(&self.name)
                .key(key)
                .send()
                .await
                .ok()?;
            Some(o.body.collect().await.ok()?.into_bytes().to_vec())
        })
    }

    pub fn keys(&self, prefix: &str) -> Vec<String> {
        self.rt.block_on(async {
            let r = self
                .client
                .list_objects_v2()
                .bucket(&self.name)
                .prefix(prefix)
                .send()
                .await
                .expect("list");
            r.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string))
                .collect()
        })
    }

    /// Environment pointing the binary at this emulator.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        aws_env(&self.url)
    }
}

/// A bucket name unique to this test run.
pub fn unique_bucket(tag: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "dw-{tag}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// `driftwatch model-server` on a free port, stopped on drop.
pub struct ModelServer {
    child: std::process::Child,
    pub url: String,
}

impl ModelServer {
    pub fn start(model: &std::path::Path) -> Self {
        Self::serving(model, &[])
    }

    /// The environment that sends the binary's runtime-API calls to this server.
    pub fn env(&self) -> [(&'static str, &str); 4] {
        [
            ("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", self.url.as_str()),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
        ]
    }

    /// A server that answers only `endpoints` on the runtime API's path.
    pub fn serving(model: &std::path::Path, endpoints: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_driftwatch"))
            .args([
                "model-server",
                "--model",
                model.to_str().unwrap(),
                "--port",
                &port.to_string(),
            ])
            .args(endpoints.iter().flat_map(|e| ["--endpoint", e]))
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self { child, url };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("model-server did not start");
    }
}

impl Drop for ModelServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every file under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}
