//! The REST API under `/api`. Every answer is JSON, including unknown routes.

use super::ApiError;
use crate::state::AppState;
use app::events::FileProblem;
use axum::extract::{OriginalUri, State};
use axum::http::Method;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/status", get(status))
        .merge(super::settings::router())
        .fallback(unknown_route)
}

/// `GET /api/status`: how the server is doing.
#[derive(Debug, Serialize)]
struct Status {
    version: &'static str,
    uptime_secs: u64,
    /// Problems of hand-edited files; the last good versions are in force meanwhile.
    file_problems: Vec<FileProblem>,
}

async fn status(State(state): State<AppState>) -> Json<Status> {
    Json(Status {
        version: env!("CARGO_PKG_VERSION"),
        uptime_secs: state.runtime.uptime().as_secs(),
        file_problems: state.store.problems(),
    })
}

async fn unknown_route(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound(format!("There is no API route {method} {}.", uri.path()))
}
