//! `GET /metrics`: the Prometheus text format (version 0.0.4), written by `prometheus-client`. Counters of webhooks, messages
//! in and out (the outgoing ones counted from the log, so they survive restarts), the outbox,
//! reload errors, sign-ins, WebSocket clients and request durations.
//!
//! Protected by a token: `Authorization: Bearer` with `COCOLU_METRICS_TOKEN`, or an admin API
//! token. The nginx example also refuses `/metrics` from outside.

use super::access::{bearer, principal_of};
use super::state::AppState;
use crate::auth::secret;
use crate::store::index::HourCounts;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;
use std::sync::atomic::Ordering;

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

fn allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let by_metrics_token = match (&state.access.metrics_token, bearer(headers)) {
        (Some(expected), Some(sent)) => secret::same(sent, expected),
        _ => false,
    };
    by_metrics_token || principal_of(state, headers).is_some_and(|p| p.is_admin())
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !allowed(&state, &headers) {
        return (
            StatusCode::UNAUTHORIZED,
            "send Authorization: Bearer with COCOLU_METRICS_TOKEN or an admin API token\n",
        )
            .into_response();
    }
    (
        [(header::CONTENT_TYPE, prometheus_text::CONTENT_TYPE)],
        render(&state),
    )
        .into_response()
}

/// Everything, as Prometheus reads it: the live metrics, and what the log, the outbox and the
/// accounts say now (read once per scrape).
pub fn render(state: &AppState) -> String {
    let m = &state.metrics;
    let (totals, pending, conversations) = {
        let index = state.store.index.read();
        let mut totals = HourCounts::default();
        for (_, c) in index.hours(i64::MIN / 2, i64::MAX) {
            totals += &c;
        }
        (
            totals,
            index.pending_outbox_count(),
            index.conversation_count(),
        )
    };
    let mut registry = Registry::default();
    let build: Family<[(&'static str, &'static str); 1], Gauge> = Family::default();
    build
        .get_or_create(&[("version", env!("CARGO_PKG_VERSION"))])
        .set(1);
    registry.register("cocolu_build_info", "The running version", build);
    registry.register(
        "cocolu_uptime_seconds",
        "Seconds since the server started",
        ConstGauge::new(state.runtime.uptime().as_secs_f64()),
    );
    for (name, help, counter) in [
        (
            "cocolu_webhooks_received",
            "Signed webhook deliveries accepted since start",
            &m.webhooks_received,
        ),
        (
            "cocolu_webhooks_rejected",
            "Webhook deliveries refused (missing or wrong signature) since start",
            &m.webhooks_rejected,
        ),
        (
            "cocolu_webhook_duplicates",
            "Messages Meta delivered again, stored once, since start",
            &m.webhook_duplicates,
        ),
        (
            "cocolu_messages_received",
            "Customers' messages stored since start",
            &m.messages_in,
        ),
        (
            "cocolu_statuses_received",
            "Delivery statuses stored since start",
            &m.statuses_in,
        ),
    ] {
        registry.register(name, help, counter.clone());
    }
    for (name, help, value) in [
        (
            "cocolu_send_retries",
            "Sends tried again after a failure since start",
            state.outbox.retries(),
        ),
        (
            "cocolu_reload_errors",
            "Hand edits rejected (the last good version kept) since start",
            state.data.reload_errors(),
        ),
        (
            "cocolu_logins",
            "Sign-ins since start",
            state.auth.logins.load(Ordering::Relaxed),
        ),
        (
            "cocolu_login_failures",
            "Refused sign-ins since start",
            state.auth.login_failures.load(Ordering::Relaxed),
        ),
        (
            "cocolu_messages_sent",
            "Replies Meta accepted, as the log holds them",
            u64::from(totals.sent),
        ),
        (
            "cocolu_messages_failed",
            "Replies given up on, as the log holds them",
            u64::from(totals.failed),
        ),
    ] {
        registry.register(name, help, ConstCounter::new(value));
    }
    let out: Family<[(&'static str, &'static str); 1], Counter> = Family::default();
    out.get_or_create(&[("origin", "bot")])
        .inc_by(u64::from(totals.bot_replies));
    out.get_or_create(&[("origin", "agent")])
        .inc_by(u64::from(totals.agent_replies));
    registry.register(
        "cocolu_messages_out",
        "Replies queued, by who asked for them, as the log holds them",
        out,
    );
    for (name, help, value) in [
        (
            "cocolu_outbox_pending",
            "Replies waiting in the outbox",
            pending as i64,
        ),
        (
            "cocolu_conversations",
            "Conversations in the message index",
            conversations as i64,
        ),
        (
            "cocolu_websocket_clients",
            "Dashboards connected to /ws",
            m.ws_clients.get(),
        ),
        (
            "cocolu_sessions",
            "Signed-in sessions held",
            state.auth.sessions.len() as i64,
        ),
    ] {
        registry.register(name, help, ConstGauge::new(value));
    }
    registry.register(
        "cocolu_http_request_duration_seconds",
        "Time to answer a request, by kind of route",
        m.requests.clone(),
    );
    let mut text = String::with_capacity(8192);
    // Writing into a String cannot fail.
    let _ = prometheus_text::encode(&mut text, &registry);
    text
}
