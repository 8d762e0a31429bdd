//! The REST API under `/api`. Every answer is JSON, including unknown routes.

use super::access::Access;
use super::openapi::{Api, Doc};
use super::state::AppState;
use super::ApiError;
use axum::extract::{OriginalUri, State};
use axum::http::Method;
use axum::routing::get;
use axum::{Json, Router};
use cocolu_core::api::status::{Alert, AlertKind, ChannelStatus, Counts, Status, WebStatus};
use cocolu_core::document::FileProblem;
use cocolu_core::model::{ChannelKind, LinkState};
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
    let api = super::uploads::routes(api);
    let api = super::contacts::routes(api);
    let api = super::channel::routes(api);
    let api = super::simulate::routes(api);
    let api = super::stats::routes(api);
    let api = super::activity::routes(api);
    let api = super::templates::routes(api);
    #[cfg(feature = "whatsapp-web")]
    let api = super::whatsapp_web::routes(api);
    let (router, openapi) = api.finish();
    let _ = document.set(openapi);
    router.fallback(unknown_route)
}

/// A template the enabled rules or the reply settings use that still has `[[...]]` marks:
/// the bot never sends it (it hands the chat to a person instead) until the owner fills it in.
fn templates_to_fill(state: &AppState) -> Vec<Alert> {
    let rules = state.data.rules.get();
    let settings = state.data.settings.get();
    let mut used: std::collections::BTreeSet<&str> = rules
        .rules
        .iter()
        .filter(|r| r.enabled)
        .flat_map(cocolu_core::engine::rules::rule_templates)
        .collect();
    used.extend(
        cocolu_core::settings::policy_templates(&settings.replies)
            .into_iter()
            .map(|(_, name)| name.as_str()),
    );
    used.into_iter()
        .filter_map(|name| {
            let text = state.data.templates.get(name)?;
            let fill_ins = cocolu_core::format::fill_ins(&text);
            (!fill_ins.is_empty()).then(|| Alert {
                message: format!(
                    "templates/{name}.txt still needs: {}. Until it is filled in, the bot does \
                     not send it and hands the chat to a person.",
                    fill_ins.join("; ")
                ),
                template: Some(name.to_string()),
                fill_ins,
                ..Alert::new(AlertKind::TemplateToFill, String::new())
            })
        })
        .collect()
}

/// The alerts of the moment, from the channel, the outbox, the files and the last day's sends.
fn alerts(state: &AppState, file_problems: &[FileProblem], web: &WebStatus) -> Vec<Alert> {
    let mut alerts = Vec::new();
    if let Some(at) = state.outbox.token_refused_at() {
        alerts.push(Alert {
            at: Some(at),
            ..Alert::new(
                AlertKind::TokenRefused,
                "Meta refused the access token (error 190): replies are paused until \
                 META_ACCESS_TOKEN is replaced."
                    .into(),
            )
        });
    }
    let meta = state.meta.current();
    if let Some(alert) = web.link.as_ref().and_then(link_alert) {
        alerts.push(alert);
    }
    let uses_meta = state.data.settings.get().channel == ChannelKind::Meta;
    if uses_meta
        && (meta.app_secret.is_none()
            || meta.access_token.is_none()
            || meta.phone_number_id.is_none())
    {
        alerts.push(Alert::new(
            AlertKind::NotConfigured,
            "The WhatsApp connection is not fully configured: enter the phone number id, \
             the access token and the app secret in Settings (or META_* in the server's \
             environment)."
                .into(),
        ));
    }
    for problem in file_problems {
        alerts.push(Alert {
            file: Some(problem.file.clone()),
            ..Alert::new(AlertKind::FileProblem, problem.to_string())
        });
    }
    alerts.extend(templates_to_fill(state));
    let now = state.clock.now_ms();
    let (mut outside, mut failed) = (0, 0);
    for (_, counts) in state
        .store
        .index
        .read()
        .hours(now - 24 * 3600 * 1000, now + 1)
    {
        outside += counts.outside_window;
        failed += counts.failed;
    }
    if outside > 0 {
        alerts.push(Alert {
            count: Some(outside),
            ..Alert::new(
                AlertKind::OutsideWindow,
                format!(
                    "{outside} replies in the last 24 hours were refused because the customer's \
                     last message was over 24 hours old; only an approved template reaches them."
                ),
            )
        });
    }
    if failed > outside {
        let other = failed - outside;
        alerts.push(Alert {
            count: Some(other),
            ..Alert::new(
                AlertKind::FailedSends,
                format!(
                    "{other} replies in the last 24 hours could not be sent or did not arrive."
                ),
            )
        });
    }
    alerts
}

/// The WhatsApp Web channel's part of the status.
fn web_status(state: &AppState) -> WebStatus {
    #[cfg(feature = "whatsapp-web")]
    let link = state.web.state();
    #[cfg(not(feature = "whatsapp-web"))]
    let link = {
        let _ = state;
        None
    };
    WebStatus {
        built_in: cfg!(feature = "whatsapp-web"),
        link,
    }
}

/// The alert for a WhatsApp Web link that needs attention, if it does.
fn link_alert(link: &LinkState) -> Option<Alert> {
    match link {
        LinkState::Connecting | LinkState::Connected { .. } => None,
        LinkState::Pairing { .. } => Some(Alert::new(
            AlertKind::WebNotLinked,
            "WhatsApp Web is waiting for the phone: scan the QR code in Settings.".into(),
        )),
        LinkState::Disconnected { reason, since } => Some(Alert {
            at: Some(*since),
            ..Alert::new(
                AlertKind::WebDisconnected,
                format!("WhatsApp Web is disconnected ({reason}); it keeps reconnecting."),
            )
        }),
        LinkState::LoggedOut { reason } => Some(Alert::new(
            AlertKind::WebLoggedOut,
            format!("WhatsApp Web is not linked ({reason}): link the phone again in Settings."),
        )),
    }
}

async fn status(State(state): State<AppState>) -> Json<Status> {
    let m = &state.metrics;
    let counts = {
        let index = state.store.index.read();
        Counts {
            conversations: index.conversation_count() as u64,
            records: index.record_count() as u64,
            outbox_pending: index.pending_outbox_count() as u64,
            websocket_clients: u64::try_from(m.ws_clients.get()).unwrap_or(0),
        }
    };
    let file_problems = state.data.problems();
    let time_zone = cocolu_core::settings::time_zone(&state.data.settings.get());
    let last_webhook_at = Some(m.last_webhook_at.load(Ordering::Relaxed)).filter(|at| *at > 0);
    // Read once: the alerts and the answer show the same link.
    let whatsapp_web = web_status(&state);
    let meta = state.meta.current();
    Json(Status {
        today: super::stats::today(&state),
        alerts: alerts(&state, &file_problems, &whatsapp_web),
        whatsapp_web,
        counts,
        version: env!("CARGO_PKG_VERSION").into(),
        uptime_secs: state.runtime.uptime().as_secs(),
        file_problems,
        channel: ChannelStatus {
            app_secret_set: meta.app_secret.is_some(),
            verify_token_set: meta.verify_token.is_some(),
            access_token_set: meta.access_token.is_some(),
            phone_number_id: meta.phone_number_id.clone(),
            token_refused_at: state.outbox.token_refused_at(),
            last_webhook_at,
            last_webhook_local: last_webhook_at
                .and_then(|at| jiff::Timestamp::from_millisecond(at).ok())
                .map(|t| {
                    t.to_zoned_datetime(time_zone.clone())
                        .strftime("%Y-%m-%d %H:%M")
                        .to_string()
                }),
            webhooks_received: m.webhooks_received.get(),
            webhooks_rejected: m.webhooks_rejected.get(),
            duplicates: m.webhook_duplicates.get(),
            messages_in: m.messages_in.get(),
            statuses_in: m.statuses_in.get(),
        },
    })
}

async fn unknown_route(method: Method, OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::NotFound(format!("There is no API route {method} {}.", uri.path()))
}
