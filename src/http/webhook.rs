//! `/webhook`: Meta's verification handshake (GET) and deliveries (POST).
//!
//! A delivery is checked against `X-Hub-Signature-256` on its raw bytes before anything is
//! parsed; then every event in it is written to the log (messages once per id, however often
//! Meta redelivers) and only when that is durable does Meta get its 200. A signed delivery is
//! answered 200 whatever it contains; a failed write is answered 503, so Meta redelivers.

use super::state::AppState;
use super::ApiError;
use crate::auth::secret;
use crate::channel::meta::{signature, webhook};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/webhook", get(verify).post(receive))
}

#[derive(Debug, Deserialize)]
struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

async fn verify(State(state): State<AppState>, Query(handshake): Query<Handshake>) -> Response {
    let accepted = match (&state.meta.current().verify_token, &handshake.verify_token) {
        (Some(expected), Some(given)) => {
            handshake.mode.as_deref() == Some("subscribe") && secret::same(expected, given)
        }
        _ => false,
    };
    match (accepted, handshake.challenge) {
        (true, Some(challenge)) => {
            tracing::info!("webhook verified by Meta");
            ([("content-type", "text/plain; charset=utf-8")], challenge).into_response()
        }
        _ => {
            tracing::warn!("webhook verification refused: wrong or missing verify token");
            (StatusCode::FORBIDDEN, "verification refused\n").into_response()
        }
    }
}

async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(secret) = state.meta.current().app_secret else {
        tracing::error!(
            "a webhook arrived but the app secret is not set (Settings, or META_APP_SECRET): \
             refusing it (Meta will redeliver)"
        );
        return Err(ApiError::NotConfigured(
            "The app secret is not configured (Settings, or META_APP_SECRET), so webhooks \
             cannot be verified."
                .into(),
        ));
    };
    let header = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if let Err(error) = signature::verify(secret.as_bytes(), &body, header) {
        state.metrics.webhooks_rejected.inc();
        tracing::warn!(%error, "webhook refused");
        return Err(ApiError::Unauthorized(format!("Webhook refused: {error}.")));
    }
    let events = webhook::parse(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    state
        .intake
        .take_in(events)
        .await
        .map_err(ApiError::Storage)?;
    state.metrics.webhooks_received.inc();
    Ok((StatusCode::OK, "EVENT_RECEIVED").into_response())
}
