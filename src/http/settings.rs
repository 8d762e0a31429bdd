//! `/api/settings`: read the settings with their revision, and save a new version based on a
//! revision (409 with the other version when the file changed meanwhile).

use super::error::{ApiError, ApiJson};
use crate::settings::Settings;
use crate::state::AppState;
use crate::store::document::Revision;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new().route("/settings", get(read).put(save))
}

/// The settings in force and the revision a save must be based on.
#[derive(Debug, Serialize, Deserialize)]
pub struct VersionedSettings {
    pub revision: Revision,
    pub settings: Settings,
}

async fn read(State(state): State<AppState>) -> ApiJson<VersionedSettings> {
    let current = state.store.settings.current();
    ApiJson(VersionedSettings {
        revision: current.revision,
        settings: (*current.value).clone(),
    })
}

async fn save(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<VersionedSettings>,
) -> Result<ApiJson<VersionedSettings>, ApiError> {
    let store = state.store.clone();
    let saved = tokio::task::spawn_blocking(move || {
        store
            .save_settings(&body.settings, &body.revision)
            .map(|revision| (revision, store))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let (revision, store) = saved?;
    Ok(ApiJson(VersionedSettings {
        revision,
        settings: (*store.settings.get()).clone(),
    }))
}
