//! `driftwatch model-server`: an in-process model behind SageMaker's container contract
//! (`GET /ping`, `POST /invocations`) and the runtime API's path
//! (`POST /endpoints/{name}/invocations`), so the endpoint predictor — and the AWS SDK client
//! inside it — can be exercised, and a model can be served without SageMaker.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::explain::codec::{Format, decode_rows, encode_scores};
use crate::explain::model::InProcessModel;

/// Largest request body accepted (SageMaker's InvokeEndpoint limit is 6 MB; this leaves room).
pub const MAX_BODY: usize = 8 * 1024 * 1024;

fn error(status: StatusCode, message: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain")], message).into_response()
}

/// The model, and the endpoint names it answers to on the runtime API's path (`None`: any).
struct Served {
    model: InProcessModel,
    endpoints: Option<Vec<String>>,
}

/// `POST /endpoints/{name}/invocations`: refused, as SageMaker refuses it, for a name the
/// server was not told to serve — so a test can prove which endpoint a caller reached
/// (synthetic rows must reach the shadow endpoint, never the production one).
async fn endpoint_invocations(
    State(served): State<Arc<Served>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(names) = &served.endpoints
        && !names.contains(&name)
    {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "Endpoint {name} not found (this server answers {})",
                names.join(", ")
            ),
        );
    }
    invocations(State(served), headers, body).await
}

async fn invocations(
    State(served): State<Arc<Served>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let model = &served.model;
    let header_text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header_text(header::CONTENT_TYPE).unwrap_or_else(|| "text/csv".into());
    let input = match Format::parse(&content_type) {
        Ok(f) => f,
        Err(e) => return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, e),
    };
    let output =
        match header_text(header::ACCEPT).filter(|a| !a.trim().is_empty() && !a.contains("*/*")) {
            None => input,
            Some(a) => match Format::parse(a.split(',').next().unwrap_or_default()) {
                Ok(f) => f,
                Err(e) => return error(StatusCode::NOT_ACCEPTABLE, e),
            },
        };
    let Ok(text) = std::str::from_utf8(&body) else {
        return error(StatusCode::BAD_REQUEST, "the body is not UTF-8 text".into());
    };
    let rows = match decode_rows(input, text) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, e),
    };
    let width = model.num_features();
    if let Some(bad) = rows.iter().position(|r| r.len() != width) {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "record {} has {} features, the model takes {width}",
                bad + 1,
                rows[bad].len()
            ),
        );
    }
    let scores: Vec<f64> = rows.iter().map(|r| model.predict_row(r)).collect();
    (
        [(header::CONTENT_TYPE, output.mime())],
        encode_scores(output, &scores),
    )
        .into_response()
}

/// The routes, for a listener of the caller's choosing; `endpoints` limits the names served
/// on the runtime API's path (`None`: any name).
pub fn router(model: InProcessModel, endpoints: Option<Vec<String>>) -> Router {
    Router::new()
        .route("/ping", get(|| async { "" }))
        .route("/invocations", post(invocations))
        .route("/endpoints/{name}/invocations", post(endpoint_invocations))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(Arc::new(Served { model, endpoints }))
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    model: InProcessModel,
    endpoints: Option<Vec<String>>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(model, endpoints))
        .with_graceful_shutdown(shutdown)
        .await
}
