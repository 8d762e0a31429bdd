//! The REST API under `/api`. Every answer is JSON, including unknown routes.

use super::ApiError;
use crate::state::AppState;
use axum::extract::OriginalUri;
use axum::http::Method;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new().fallback(unknown_route)
}

async fn unknown_route(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound(format!("There is no API route {method} {}.", uri.path()))
}
