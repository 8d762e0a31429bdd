//! HTTP: one router per module, merged here once, with the layers every response gets.

mod access;
mod activity;
mod api;
mod assets;
mod auth;
mod channel;
mod conflict;
mod contacts;
mod conversations;
mod dashboard;
mod documents;
mod error;
mod health;
pub mod listen;
mod metrics;
mod openapi;
mod security;
mod signin;
mod simulate;
pub mod state;
mod stats;
mod templates;
mod uploads;
mod users;
mod webhook;
#[cfg(feature = "whatsapp-web")]
mod whatsapp_web;
mod ws;

pub use access::{AccessConfig, IpRange};
pub use error::{ApiError, ApiJson};
pub use stats::tick_forever as stats_ticks;
pub use uploads::UPLOADS_AT_ONCE;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use state::AppState;
use tower_http::trace::TraceLayer;

/// Runs blocking work (file reads, fsyncs) off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))
}

const BUSY_WITH_HEAVY_WORK: &str =
    "The server is busy with other heavy work (checking rules, a simulation, a message search); try again in a few seconds.";

/// How long CPU-heavy work waits for its turn before the request is answered 503.
const HEAVY_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// Runs CPU-heavy work of a request (compiling rules, simulating a draft, rendering large
/// JSON) on a blocking thread, at most as many at once as the runtime admits: the async
/// workers stay free for webhooks and the dashboard, whatever agents send.
pub(crate) async fn heavy<T: Send + 'static>(
    runtime: &crate::http::state::Runtime,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let permit = tokio::time::timeout(HEAVY_WAIT, runtime.heavy.clone().acquire_owned())
        .await
        .map_err(|_| ApiError::Busy(BUSY_WITH_HEAVY_WORK))?
        .map_err(|_| ApiError::Busy(BUSY_WITH_HEAVY_WORK))?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Times every request into the histogram of its kind of route (see `/metrics`).
async fn time_requests(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path().to_string();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .time_request(&path, started.elapsed().as_secs_f64());
    response
}

/// The largest request body accepted anywhere (Meta's webhook batches stay well below).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A body refused for its size is answered before it is read, and the connection cannot be
/// used again (what is left of the body would be read as the next request): the answer says
/// so, or a client that sent the whole body into the socket's buffer would send its next
/// request on a connection the server has closed.
async fn close_after_unread_body(
    mut response: axum::response::Response,
) -> axum::response::Response {
    if response.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
    }
    response
}

/// The whole application: API, WebSocket, assets, health check and dashboard.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(health::router())
        .merge(metrics::router())
        .nest("/api", api::router(&state))
        .merge(ws::router())
        .merge(webhook::router())
        .merge(assets::router())
        .merge(signin::router())
        .merge(
            dashboard::router(&state)
                .layer(axum::middleware::from_fn(dashboard::render_whole))
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    signin::page_guard,
                )),
        )
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(close_after_unread_body));
    security::with_headers(routes)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            time_requests,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
