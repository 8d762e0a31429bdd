//! The REST API under `/api`. Every answer is JSON, including unknown routes.

use super::access::Access;
use super::openapi::{Api, Doc};
use super::ApiError;
use crate::metrics::Metrics;
use crate::state::AppState;
use app::events::FileProblem;
use axum::extract::{OriginalUri, State};
use axum::http::Method;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

/// Every API route, with its access check, and the OpenAPI document describing them.
pub fn router(state: &AppState) -> Router<AppState> {
    let document: Arc<OnceLock<Value>> = Arc::default();
    let served = document.clone();
    let api = Api::new(state)
        .op(
            Method::GET,
            "/openapi.json",
            Access::Public,
            Doc::new("meta", "This OpenAPI 3.1 document"),
            get(move || {
                let served = served.clone();
                async move { Json(served.get().cloned().unwrap_or(Value::Null)) }
            }),
        )
        .op(
            Method::GET,
            "/status",
            Access::User,
            Doc::new("meta", "How the server and the WhatsApp channel are doing")
                .returns::<Status>(),
            get(status),
        );
    let api = super::auth::routes(api);
    let api = super::users::routes(api);
    let api = super::documents::routes(api);
    let api = super::conversations::routes(api);
    let api = super::channel::routes(api);
    let api = super::simulate::routes(api);
    let api = super::stats::routes(api);
    let api = super::templates::routes(api);
    let (router, openapi) = api.finish();
    let _ = document.set(openapi);
    router.fallback(unknown_route)
}

/// `GET /api/status`: how the server is doing.
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct Status {
    version: &'static str,
    uptime_secs: u64,
    /// Problems of hand-edited files; the last good versions are in force meanwhile.
    #[schemars(with = "Vec<serde_json::Value>")]
    file_problems: Vec<FileProblem>,
    channel: ChannelStatus,
    counts: Counts,
}

/// What the server holds.
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct Counts {
    conversations: usize,
    /// Records in the message log (messages in and out, statuses, decisions).
    records: usize,
    /// Replies waiting in the outbox.
    outbox_pending: usize,
    /// Dashboards connected to `/ws` right now.
    websocket_clients: usize,
}

/// The WhatsApp channel: what is configured (never the secrets) and what arrived.
#[derive(Debug, Serialize, schemars::JsonSchema)]
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
    let counts = {
        let index = state.store.index.read();
        Counts {
            conversations: index.conversation_count(),
            records: index.record_count(),
            outbox_pending: index.pending_outbox_count(),
            websocket_clients: Metrics::read(&m.ws_clients) as usize,
        }
    };
    Json(Status {
        counts,
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
