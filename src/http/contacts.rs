//! `/api/contacts/{conversation}`: a customer's data exported or erased, for administrators
//! (see [`crate::contacts`]).

use super::access::{Access, Signed};
use super::error::{ApiError, ApiJson};
use super::openapi::{Api, Doc};
use super::state::AppState;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::routing::{get, post};
use cocolu_core::api::contacts::{ContactErased, ContactExport};
use cocolu_core::events::ServerEvent;

pub fn routes(api: Api) -> Api {
    const TAG: &str = "contacts";
    api.op(
        Method::GET,
        "/contacts/{conversation}/export",
        Access::Admin,
        Doc::new(TAG, "Everything held about one customer")
            .describe(
                "Their conversation's records exactly as the log holds them, and the media they \
                 sent in base64: for their right of access and portability.",
            )
            .returns::<ContactExport>(),
        get(export),
    )
    .op(
        Method::POST,
        "/contacts/{conversation}/erase",
        Access::Admin,
        Doc::new(TAG, "Erase one customer")
            .describe(
                "Every record of their conversation is blanked in the log, their media deleted \
                 and the index rebuilt without them; the audit log keeps only a hash of who. \
                 Cannot be undone.",
            )
            .returns::<ContactErased>(),
        post(erase),
    )
}

fn unknown(conversation: &str) -> ApiError {
    ApiError::NotFound(format!("Nothing is stored about `{conversation}`."))
}

async fn export(
    State(state): State<AppState>,
    Path(conversation): Path<String>,
) -> Result<ApiJson<ContactExport>, ApiError> {
    let store = state.store.clone();
    let now = state.clock.now_ms();
    let key = conversation.clone();
    let export = super::blocking(move || crate::contacts::export(&store, &key, now))
        .await?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if export.records.is_empty() {
        return Err(unknown(&conversation));
    }
    Ok(ApiJson(export))
}

async fn erase(
    State(state): State<AppState>,
    Signed(by, client): Signed,
    Path(conversation): Path<String>,
) -> Result<ApiJson<ContactErased>, ApiError> {
    let store = state.store.clone();
    let key = conversation.clone();
    let erased = super::blocking(move || store.erase(&key))
        .await?
        .map_err(|e| ApiError::Storage(e.to_string()))?;
    if erased.records == 0 {
        return Err(unknown(&conversation));
    }
    state.auth.audit(
        &by.name,
        "contact_erased",
        &crate::contacts::audit_name(&conversation),
        &client,
        &format!("{} records, {} media files", erased.records, erased.media),
    );
    state
        .events
        .publish(ServerEvent::ConversationUpdated { conversation });
    Ok(ApiJson(ContactErased {
        records: erased.records as u64,
        media: erased.media as u64,
    }))
}
