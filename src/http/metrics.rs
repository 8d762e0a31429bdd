//! `GET /metrics`: the Prometheus text format (version 0.0.4). Counters of webhooks, messages
//! in and out (the outgoing ones counted from the log, so they survive restarts), the outbox,
//! reload errors, sign-ins, WebSocket clients and request durations.
//!
//! Protected by a token: `Authorization: Bearer` with `COCOLU_METRICS_TOKEN`, or an admin API
//! token. The nginx example also refuses `/metrics` from outside.

use super::access::{bearer, principal_of};
use super::state::AppState;
use crate::auth::secret;
use crate::metrics::{Metrics, BUCKETS, ROUTES};
use crate::store::index::HourCounts;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::fmt::Write;
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
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&state),
    )
        .into_response()
}

/// One metric's `HELP` and `TYPE` lines and its samples (`labels`, value).
fn family(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(&str, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, value) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

/// Everything, as Prometheus reads it.
pub fn render(state: &AppState) -> String {
    let m = &state.metrics;
    let count = |c: &std::sync::atomic::AtomicU64| Metrics::read(c) as f64;
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
    let mut out = String::with_capacity(4096);
    family(
        &mut out,
        "cocolu_build_info",
        "gauge",
        "The running version.",
        &[(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION")), 1.0)],
    );
    family(
        &mut out,
        "cocolu_uptime_seconds",
        "gauge",
        "Seconds since the server started.",
        &[("", state.runtime.uptime().as_secs_f64())],
    );
    let counters: [(&str, &str, f64); 9] = [
        (
            "cocolu_webhooks_received_total",
            "Signed webhook deliveries accepted since start.",
            count(&m.webhooks_received),
        ),
        (
            "cocolu_webhooks_rejected_total",
            "Webhook deliveries refused (missing or wrong signature) since start.",
            count(&m.webhooks_rejected),
        ),
        (
            "cocolu_webhook_duplicates_total",
            "Messages Meta delivered again, stored once, since start.",
            count(&m.webhook_duplicates),
        ),
        (
            "cocolu_messages_received_total",
            "Customers' messages stored since start.",
            count(&m.messages_in),
        ),
        (
            "cocolu_statuses_received_total",
            "Delivery statuses stored since start.",
            count(&m.statuses_in),
        ),
        (
            "cocolu_send_retries_total",
            "Sends tried again after a failure since start.",
            state.outbox.retries() as f64,
        ),
        (
            "cocolu_reload_errors_total",
            "Hand edits rejected (the last good version kept) since start.",
            state.store.reload_errors() as f64,
        ),
        (
            "cocolu_logins_total",
            "Sign-ins since start.",
            state.auth.logins.load(Ordering::Relaxed) as f64,
        ),
        (
            "cocolu_login_failures_total",
            "Refused sign-ins since start.",
            state.auth.login_failures.load(Ordering::Relaxed) as f64,
        ),
    ];
    for (name, help, value) in counters {
        family(&mut out, name, "counter", help, &[("", value)]);
    }
    family(
        &mut out,
        "cocolu_messages_out_total",
        "counter",
        "Replies queued, by who asked for them, as the log holds them.",
        &[
            ("origin=\"bot\"", f64::from(totals.bot_replies)),
            ("origin=\"agent\"", f64::from(totals.agent_replies)),
        ],
    );
    family(
        &mut out,
        "cocolu_messages_sent_total",
        "counter",
        "Replies Meta accepted, as the log holds them.",
        &[("", f64::from(totals.sent))],
    );
    family(
        &mut out,
        "cocolu_messages_failed_total",
        "counter",
        "Replies given up on, as the log holds them.",
        &[("", f64::from(totals.failed))],
    );
    let gauges: [(&str, &str, f64); 4] = [
        (
            "cocolu_outbox_pending",
            "Replies waiting in the outbox.",
            pending as f64,
        ),
        (
            "cocolu_conversations",
            "Conversations in the message index.",
            conversations as f64,
        ),
        (
            "cocolu_websocket_clients",
            "Dashboards connected to /ws.",
            count(&m.ws_clients),
        ),
        (
            "cocolu_sessions",
            "Signed-in sessions held.",
            state.auth.sessions.len() as f64,
        ),
    ];
    for (name, help, value) in gauges {
        family(&mut out, name, "gauge", help, &[("", value)]);
    }
    let name = "cocolu_http_request_duration_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Time to answer a request, by kind of route."
    );
    let _ = writeln!(out, "# TYPE {name} histogram");
    for (route, histogram) in ROUTES.iter().zip(&m.requests) {
        let (cumulative, total, sum) = histogram.snapshot();
        for (upper, count) in BUCKETS.iter().zip(&cumulative) {
            let _ = writeln!(
                out,
                "{name}_bucket{{route=\"{route}\",le=\"{upper}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{route=\"{route}\",le=\"+Inf\"}} {total}"
        );
        let _ = writeln!(out, "{name}_sum{{route=\"{route}\"}} {sum}");
        let _ = writeln!(out, "{name}_count{{route=\"{route}\"}} {total}");
    }
    out
}
