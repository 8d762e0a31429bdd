//! The REST API under `/api`. Every answer is JSON, including unknown routes.

use super::ApiError;
use crate::metrics::Metrics;
use crate::state::AppState;
use app::events::FileProblem;
use axum::extract::{OriginalUri, State};
use axum::http::Method;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::sync::atomic::Ordering;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/status", get(status))
        .merge(super::documents::router())
        .merge(super::conversations::router())
        .merge(super::channel::router())
        .merge(super::simulate::router())
        .fallback(unknown_route)
}

/// `GET /api/status`: how the server is doing.
#[derive(Debug, Serialize)]
struct Status {
    version: &'static str,
    uptime_secs: u64,
    /// Problems of hand-edited files; the last good versions are in force meanwhile.
    file_problems: Vec<FileProblem>,
    channel: ChannelStatus,
}

/// The WhatsApp channel: what is configured (never the secrets) and what arrived.
#[derive(Debug, Serialize)]
struct ChannelStatus {
    app_secret_set: bool,
    verify_token_set: bool,
    access_token_set: bool,
    phone_number_id: Option<String>,
    /// When the last accepted webhook arrived (ms since the epoch), if ever.
    last_webhook_at: Option<i64>,
    webhooks_received: u64,
    webhooks_rejected: u64,
    duplicates: u64,
    messages_in: u64,
    statuses_in: u64,
}

async fn status(State(state): State<AppState>) -> Json<Status> {
    let m = &state.metrics;
    Json(Status {
        version: env!("CARGO_PKG_VERSION"),
        uptime_secs: state.runtime.uptime().as_secs(),
        file_problems: state.store.problems(),
        channel: ChannelStatus {
            app_secret_set: state.meta.app_secret.is_some(),
            verify_token_set: state.meta.verify_token.is_some(),
            access_token_set: state.meta.access_token.is_some(),
            phone_number_id: state.meta.phone_number_id.clone(),
            last_webhook_at: Some(m.last_webhook_at.load(Ordering::Relaxed)).filter(|at| *at > 0),
            webhooks_received: Metrics::read(&m.webhooks_received),
            webhooks_rejected: Metrics::read(&m.webhooks_rejected),
            duplicates: Metrics::read(&m.webhook_duplicates),
            messages_in: Metrics::read(&m.messages_in),
            statuses_in: Metrics::read(&m.statuses_in),
        },
    })
}

async fn unknown_route(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound(format!("There is no API route {method} {}.", uri.path()))
}
