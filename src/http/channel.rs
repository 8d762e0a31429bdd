//! `/api/channel`: the connection check and the approved templates, straight from the Graph
//! API, with the exact reason when Meta refuses.

use super::access::Access;
use super::access::Caller;
use super::error::{ApiError, ApiJson};
use super::openapi::{Api, Doc};
use super::state::AppState;
use crate::channel::meta::graph::PhoneNumberInfo;
use axum::extract::State;
use axum::http::Method;
use axum::http::{header, HeaderMap};
use axum::routing::get;
use cocolu_core::api::channel::ApprovedTemplate;
use cocolu_core::api::channel::Connection;
use cocolu_core::log::SendError;
use serde::Serialize;

pub fn routes(api: Api) -> Api {
    api.op(
        Method::GET,
        "/channel",
        Access::Admin,
        Doc::new(
            "channel",
            "The Meta connection as configured: ids, masked secrets, the webhook URL and verify token",
        )
        .describe(
            "What to paste into Meta's app dashboard (the webhook URL and verify token) and \
             what the server was started with. Secrets come from the environment \
             (/etc/cocolu/cocolu.env) and are never shown whole; the verify token is shown, \
             as Meta's form needs it.",
        )
        .returns::<Connection>(),
        get(connection),
    )
    .op(
        Method::GET,
        "/channel/check",
        Access::Admin,
        Doc::new(
            "channel",
            "Test the Meta connection: the number's details, or Meta's exact error",
        )
        .returns::<Check>(),
        get(check),
    )
    .op(
        Method::GET,
        "/channel/templates",
        Access::User,
        Doc::new(
            "channel",
            "The approved message templates (for replies outside the 24-hour window)",
        )
        .returns::<Vec<ApprovedTemplate>>(),
        get(templates),
    )
}

/// A secret as the dashboard may show it: its last four characters.
fn masked(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() <= 8 {
        "••••".into()
    } else {
        format!(
            "••••{}",
            chars[chars.len() - 4..].iter().collect::<String>()
        )
    }
}

async fn connection(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiJson<Connection> {
    let meta = &state.meta;
    let base = state.access.origins.first().cloned().unwrap_or_else(|| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let scheme = if caller.https { "https" } else { "http" };
        format!("{scheme}://{host}")
    });
    ApiJson(Connection {
        webhook_url: format!("{}/webhook", base.trim_end_matches('/')),
        verify_token: meta.verify_token.clone(),
        phone_number_id: meta.phone_number_id.clone(),
        waba_id: meta.waba_id.clone(),
        access_token: meta.access_token.as_deref().map(masked),
        app_secret_set: meta.app_secret.is_some(),
        graph_url: meta.graph_url.clone(),
        graph_version: meta.graph_version.clone(),
    })
}

/// The outcome of a connection check: the number's details, or why it failed.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct Check {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<PhoneNumberInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<SendError>,
}

async fn check(State(state): State<AppState>) -> ApiJson<Check> {
    ApiJson(match state.graph.check_connection().await {
        Ok(info) => Check {
            ok: true,
            phone_number: Some(info),
            error: None,
        },
        Err(error) => Check {
            ok: false,
            phone_number: None,
            error: Some(error),
        },
    })
}

async fn templates(
    State(state): State<AppState>,
) -> Result<ApiJson<Vec<ApprovedTemplate>>, ApiError> {
    state
        .graph
        .approved_templates()
        .await
        .map(ApiJson)
        .map_err(|e| ApiError::Upstream(e.message))
}

#[cfg(test)]
mod tests {
    use super::masked;

    #[test]
    fn secrets_show_only_their_end() {
        assert_eq!(masked("EAAGm0PX4ZCpsBAKZAbc1234"), "••••1234");
        assert_eq!(masked("short"), "••••");
    }
}
