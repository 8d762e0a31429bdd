//! `/api/channel`: the Meta connection in force, changed from the dashboard (tested against
//! Meta first, in force at once), its check and the approved templates, straight from the
//! Graph API, with the exact reason when Meta refuses.

use super::access::{Access, Caller, Signed};
use super::error::{ApiError, ApiJson};
use super::openapi::{Api, Doc};
use super::state::AppState;
use crate::auth::secret;
use crate::channel::meta::graph::GraphClient;
use crate::channel::meta::{MetaConfig, MetaLink};
use crate::store::document::SaveError;
use axum::extract::State;
use axum::http::Method;
use axum::http::{header, HeaderMap};
use axum::routing::{get, put};
use cocolu_core::api::channel::{
    ApprovedTemplate, Connection, ConnectionChange, ConnectionCheck, ConnectionSaved,
};
use cocolu_core::connection::{ConnectionField, SavedConnection};
use cocolu_core::document::{self, HandEdited};
use cocolu_core::fault::Fault;

pub fn routes(api: Api) -> Api {
    api.op(
        Method::GET,
        "/channel",
        Access::Admin,
        Doc::new(
            "channel",
            "The Meta connection in force: ids, masked secrets, the webhook URL and verify token",
        )
        .describe(
            "What to paste into Meta's app dashboard (the webhook URL and verify token) and \
             the connection in force. Secrets are never shown whole; the verify token is \
             shown, as Meta's form needs it. `set_by_server` lists the values the server's \
             environment (META_*) sets, which win over what is saved from the dashboard.",
        )
        .returns::<Connection>(),
        get(connection),
    )
    .op(
        Method::PUT,
        "/channel",
        Access::Admin,
        Doc::new(
            "channel",
            "Change the Meta connection: tested against Meta, then in force at once",
        )
        .describe(
            "A value left out keeps what it was; an empty text clears it. With an access \
             token and a phone number id, the new connection is tested against the Graph API \
             first (and the business account id, when given, by listing its templates): when \
             Meta refuses, nothing is saved and the answer is 422 `connection_refused` with \
             Meta's error in `details`. Saved to `whatsapp.json` (mode 0600) and in force \
             without a restart. A value the server's environment sets cannot be changed here \
             (422, fault `set_by_server`). With no verify token anywhere, one is made up.",
        )
        .body::<ConnectionChange>()
        .returns::<ConnectionSaved>(),
        put(change),
    )
    .op(
        Method::GET,
        "/channel/check",
        Access::Admin,
        Doc::new(
            "channel",
            "Test the Meta connection: the number's details, or Meta's exact error",
        )
        .returns::<ConnectionCheck>(),
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

/// The connection in force, as an administrator may see it.
fn shown(state: &AppState, caller: &Caller, headers: &HeaderMap) -> Connection {
    let meta = state.meta.current();
    let base = state.access.origins.first().cloned().unwrap_or_else(|| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let scheme = if caller.https { "https" } else { "http" };
        format!("{scheme}://{host}")
    });
    Connection {
        webhook_url: format!("{}/webhook", base.trim_end_matches('/')),
        verify_token: meta.verify_token.clone(),
        phone_number_id: meta.phone_number_id.clone(),
        waba_id: meta.waba_id.clone(),
        access_token: meta.access_token.as_deref().map(masked),
        app_secret_set: meta.app_secret.is_some(),
        graph_url: meta.graph_url.clone(),
        graph_version: meta.graph_version.clone(),
        set_by_server: state.meta.set_by_server(),
    }
}

async fn connection(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiJson<Connection> {
    ApiJson(shown(&state, &caller, &headers))
}

/// Tests a connection: the number's details, and the business account's templates when an
/// account id is set (a wrong one is a common slip). `None` when there is nothing to test.
async fn test(config: MetaConfig) -> Option<ConnectionCheck> {
    if config.access_token.is_none() || config.phone_number_id.is_none() {
        return None;
    }
    let has_account = config.waba_id.is_some();
    // Only asks; it never sends a file, so it needs no media folder.
    let graph = GraphClient::new(MetaLink::fixed(config), std::path::PathBuf::new());
    let mut outcome = graph.check_connection().await;
    if let (Ok(_), true) = (&outcome, has_account) {
        if let Err(error) = graph.approved_templates().await {
            outcome = Err(error);
        }
    }
    Some(ConnectionCheck::of(outcome))
}

/// `change` made to `saved`: the new values and the names of those that changed. The server's
/// own values cannot be changed here; a verify token is made up when there is none at all
/// (Meta's webhook form needs one).
fn applied(
    change: &ConnectionChange,
    mut saved: SavedConnection,
    meta: &MetaLink,
) -> Result<(SavedConnection, Vec<ConnectionField>), ApiError> {
    let set_by_server = meta.set_by_server();
    let mut changed = Vec::new();
    for field in ConnectionField::ALL {
        let Some(value) = change.field(field) else {
            continue;
        };
        if set_by_server.contains(&field) {
            return Err(ApiError::Faulty {
                code: "invalid",
                faults: vec![Fault::SetByServer],
            });
        }
        let value = Some(value.trim().to_string()).filter(|v| !v.is_empty());
        if saved.field(field) != value.as_deref() {
            changed.push(field);
        }
        saved.set(field, value);
    }
    if meta.with(&saved).verify_token.is_none() {
        saved.verify_token = Some(secret::new_token(""));
        if !changed.contains(&ConnectionField::VerifyToken) {
            changed.push(ConnectionField::VerifyToken);
        }
    }
    Ok((saved, changed))
}

async fn change(
    State(state): State<AppState>,
    Signed(by, client): Signed,
    headers: HeaderMap,
    caller: Caller,
    ApiJson(change): ApiJson<ConnectionChange>,
) -> Result<ApiJson<ConnectionSaved>, ApiError> {
    let (candidate, changed) = applied(&change, (*state.data.whatsapp.get()).clone(), &state.meta)?;
    // Checked before testing, so that Meta is not asked with a malformed value.
    let text = String::from_utf8_lossy(&document::render(&candidate)).into_owned();
    document::parse::<SavedConnection>(SavedConnection::FILE, &text, &Default::default())
        .map_err(ApiError::invalid)?;
    // Only what Meta can check is tested: a new app secret or verify token alone saves even
    // while Meta is out of reach.
    let testable = [
        ConnectionField::AccessToken,
        ConnectionField::PhoneNumberId,
        ConnectionField::WabaId,
    ];
    let check = if changed.iter().any(|field| testable.contains(field)) {
        test(state.meta.with(&candidate)).await
    } else {
        None
    };
    if let Some(ConnectionCheck {
        error: Some(error), ..
    }) = &check
    {
        return Err(ApiError::ConnectionRefused(error.clone()));
    }
    // Applied again to what is in force now, over what is on disk now: a hand edit made while
    // Meta was asked keeps its other values, and a broken one is replaced.
    let (data, meta) = (state.data.clone(), state.meta.clone());
    super::blocking(move || {
        let (latest, _) = applied(&change, (*data.whatsapp.get()).clone(), &meta)?;
        let base = data.whatsapp.disk_revision();
        match data.whatsapp.save(&latest, &base, &data.context()) {
            Ok(_) => Ok(()),
            // Never answered with the file's text: it holds secrets.
            Err(SaveError::Conflict { .. }) => Err(ApiError::Refused {
                code: "conflict",
                message: "whatsapp.json changed at the same time; try again.".into(),
            }),
            Err(other) => Err(ApiError::from(other)),
        }
    })
    .await??;
    // Replies paused by a refused token are tried again with the new one.
    state.outbox.resume();
    let auth = state.auth.clone();
    let names: Vec<&str> = changed.iter().map(|field| field.key()).collect();
    let detail = format!("changed: {}", names.join(", "));
    super::blocking(move || {
        auth.audit(
            &by.name,
            "connection_saved",
            SavedConnection::FILE,
            &client,
            &detail,
        )
    })
    .await?;
    Ok(ApiJson(ConnectionSaved {
        connection: shown(&state, &caller, &headers),
        check,
    }))
}

async fn check(State(state): State<AppState>) -> ApiJson<ConnectionCheck> {
    ApiJson(ConnectionCheck::of(state.graph.check_connection().await))
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
