use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use driftwatch::explain::model::InProcessModel;

/// `driftwatch model-server`: serves until SIGINT/SIGTERM.
pub fn model_server_command(
    model: &Path,
    host: &str,
    port: u16,
    endpoints: Vec<String>,
) -> anyhow::Result<ExitCode> {
    let endpoints = (!endpoints.is_empty()).then_some(endpoints);
    let text =
        std::fs::read_to_string(model).with_context(|| format!("--model {}", model.display()))?;
    let model = InProcessModel::from_json(&text, &model.display().to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind((host, port))
            .await
            .with_context(|| format!("cannot listen on {host}:{port}"))?;
        let addr = listener.local_addr()?;
        eprintln!("model-server listening on http://{addr} ({} features)", model.num_features());
        let shutdown = async {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending::<()>().await } } => {}
            }
        };
        driftwatch::model_server::serve(model, endpoints, listener, shutdown).await?;
        Ok(ExitCode::SUCCESS)
    })
}
