//! `/api/channel`: the connection check and the approved templates, straight from the Graph
//! API, with the exact reason when Meta refuses.

use super::access::Access;
use super::error::{ApiError, ApiJson};
use super::openapi::{Api, Doc};
use crate::channel::meta::graph::{ApprovedTemplate, PhoneNumberInfo};
use crate::channel::SendError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::Method;
use axum::routing::get;
use serde::Serialize;

pub fn routes(api: Api) -> Api {
    api.op(
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

/// The outcome of a connection check: the number's details, or why it failed.
#[derive(Debug, Serialize, schemars::JsonSchema)]
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
