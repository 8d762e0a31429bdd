//! `/api/settings`, `/api/rules` and `/api/quick-replies`: read a hand-editable document with its revision, and
//! save a new version based on a revision (409 with the other version when the file changed
//! meanwhile, 422 with located problems when it does not validate).

use super::access::{Access, Signed};
use super::error::{ApiError, ApiJson};
use super::openapi::{Api, Doc};
use super::state::AppState;
use crate::data::Data;
use crate::store::document::Document;
use axum::extract::State;
use axum::http::Method;
use axum::routing::{get, post, put};
use cocolu_core::api::documents::{Checked, RuleName, Versioned};
use cocolu_core::document::HandEdited;
use cocolu_core::document::Revision;
use cocolu_core::engine::rules::Rules;
use cocolu_core::fault::{self, Fault};
use cocolu_core::quick_replies::QuickReplies;
use cocolu_core::settings::Settings;

/// A document the API serves.
pub trait ApiDocument: HandEdited {
    /// The field name in request and response bodies.
    const FIELD: &'static str;
    /// Whether checking it is heavy work (rules compile regular expressions; settings do
    /// not), admitted one at a time.
    const HEAVY: bool;
    fn document(data: &Data) -> &Document<Self>;
}

impl ApiDocument for Settings {
    const FIELD: &'static str = "settings";
    const HEAVY: bool = false;
    fn document(data: &Data) -> &Document<Self> {
        &data.settings
    }
}

impl ApiDocument for Rules {
    const FIELD: &'static str = "rules";
    const HEAVY: bool = true;
    fn document(data: &Data) -> &Document<Self> {
        &data.rules
    }
}

impl ApiDocument for QuickReplies {
    const FIELD: &'static str = "quick_replies";
    const HEAVY: bool = false;
    fn document(data: &Data) -> &Document<Self> {
        &data.quick_replies
    }
}

pub fn routes(api: Api) -> Api {
    api.op(
        Method::GET,
        "/settings",
        Access::User,
        Doc::new("settings", "The settings in force and their revision")
            .describe("`settings` follows the JSON Schema in the data folder's `schema/`.")
            .returns::<Versioned>(),
        get(read::<Settings>),
    )
    .op(
        Method::PUT,
        "/settings",
        Access::Admin,
        Doc::new("settings", "Save new settings based on a revision")
            .describe(
                "409 with the other version when the file changed since `revision` (a hand \
                 edit); 422 with located problems when it does not validate.",
            )
            .body::<Versioned>()
            .returns::<Versioned>(),
        put(save::<Settings>),
    )
    .op(
        Method::POST,
        "/settings/check",
        Access::Admin,
        Doc::new("settings", "Check settings without saving them")
            .describe("The problems a save would refuse, located; an empty list when none.")
            .body::<Versioned>()
            .returns::<Checked>(),
        post(check::<Settings>),
    )
    .op(
        Method::GET,
        "/rules",
        Access::User,
        Doc::new("rules", "The reply rules in force and their revision").returns::<Versioned>(),
        get(read::<Rules>),
    )
    .op(
        Method::GET,
        "/rules/names",
        Access::User,
        Doc::new("rules", "Each rule's name as people read it")
            .describe(
                "Its description, or its id when it has none, in the order of the rules: what \
                 the inbox shows beside a reply the bot sent.",
            )
            .returns::<Vec<RuleName>>(),
        get(rule_names),
    )
    .op(
        Method::PUT,
        "/rules",
        Access::Admin,
        Doc::new("rules", "Save new rules based on a revision")
            .describe("409 on a conflict with a hand edit; 422 with located problems.")
            .body::<Versioned>()
            .returns::<Versioned>(),
        put(save::<Rules>),
    )
    .op(
        Method::POST,
        "/rules/check",
        Access::User,
        Doc::new("rules", "Check rules without saving them")
            .describe(
                "The problems a save would refuse (pointer, line and column in the file as it \
                 would be written); an empty list when none. `revision` may be empty.",
            )
            .body::<Versioned>()
            .returns::<Checked>(),
        post(check::<Rules>),
    )
    .op(
        Method::GET,
        "/quick-replies",
        Access::User,
        Doc::new(
            "quick replies",
            "The saved answers people type with / in the inbox, and their revision",
        )
        .describe(
            "`quick_replies.replies` is a list of `{shortcut, text}`; texts use the templates' \
             variables. For one conversation, filled in: \
             `GET /api/conversations/{conversation}/quick-replies`.",
        )
        .returns::<Versioned>(),
        get(read::<QuickReplies>),
    )
    .op(
        Method::PUT,
        "/quick-replies",
        Access::Admin,
        Doc::new(
            "quick replies",
            "Save the saved answers based on a revision",
        )
        .describe("409 on a conflict with a hand edit; 422 with located problems.")
        .body::<Versioned>()
        .returns::<Versioned>(),
        put(save::<QuickReplies>),
    )
    .op(
        Method::POST,
        "/quick-replies/check",
        Access::Admin,
        Doc::new("quick replies", "Check saved answers without saving them")
            .describe("The problems a save would refuse, located; an empty list when none.")
            .body::<Versioned>()
            .returns::<Checked>(),
        post(check::<QuickReplies>),
    )
}

/// The document in a request body (`settings` or `rules`).
fn body_value<T: ApiDocument>(request: &Versioned) -> Result<T, ApiError> {
    let value = request
        .body
        .get(T::FIELD)
        .cloned()
        .ok_or_else(|| ApiError::BadBody {
            message: format!("The body needs `revision` and `{}`.", T::FIELD),
            fault: Fault::MissingField {
                field: T::FIELD.to_string(),
            },
        })?;
    serde_json::from_value(value).map_err(|e| ApiError::BadBody {
        message: format!("`{}`: {e}", T::FIELD),
        fault: fault::of_json_error(&e),
    })
}

/// Checks a document as a save would, without saving: its problems, located in the text it
/// would be written as.
pub fn check_value<T: HandEdited>(
    data: &Data,
    value: &T,
) -> Vec<cocolu_core::document::FileProblem> {
    let text = cocolu_core::document::render(value);
    let text = String::from_utf8_lossy(&text);
    match cocolu_core::document::parse::<T>(T::FILE, &text, &data.context()) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    }
}

/// Runs a check or save of `T` off the async workers: heavy documents one at a time.
async fn checked_off_runtime<T: ApiDocument, R: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> R + Send + 'static,
) -> Result<R, ApiError> {
    if T::HEAVY {
        super::heavy(&state.runtime, work).await
    } else {
        super::blocking(work).await
    }
}

async fn check<T: ApiDocument>(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<Versioned>,
) -> Result<ApiJson<Checked>, ApiError> {
    let value = body_value::<T>(&request)?;
    let data = state.data.clone();
    let problems = checked_off_runtime::<T, _>(&state, move || check_value(&data, &value)).await?;
    Ok(ApiJson(Checked { problems }))
}

fn versioned<T: ApiDocument>(revision: Revision, value: &T) -> Result<Versioned, ApiError> {
    let value = serde_json::to_value(value).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut body = serde_json::Map::new();
    body.insert(T::FIELD.into(), value);
    Ok(Versioned { revision, body })
}

async fn read<T: ApiDocument>(
    State(state): State<AppState>,
) -> Result<ApiJson<Versioned>, ApiError> {
    let current = T::document(&state.data).current();
    versioned(current.revision, &*current.value).map(ApiJson)
}

/// `GET /api/rules/names`.
async fn rule_names(State(state): State<AppState>) -> ApiJson<Vec<RuleName>> {
    let rules = state.data.rules.get();
    ApiJson(
        rules
            .rules
            .iter()
            .map(|rule| RuleName {
                id: rule.id.clone(),
                name: match rule.description.trim() {
                    "" => rule.id.clone(),
                    described => described.to_string(),
                },
            })
            .collect(),
    )
}

async fn save<T: ApiDocument>(
    State(state): State<AppState>,
    Signed(by, client): Signed,
    ApiJson(request): ApiJson<Versioned>,
) -> Result<ApiJson<Versioned>, ApiError> {
    let value = body_value::<T>(&request)?;
    let data = state.data.clone();
    let base = request.revision;
    // Validating rules compiles their regexes: heavy work, admitted like a simulation.
    let saved = checked_off_runtime::<T, _>(&state, move || {
        let document = T::document(&data);
        document
            .save(&value, &base, &data.context())
            .map(|revision| (revision, document.get()))
    })
    .await?;
    let (revision, value) = saved?;
    let auth = state.auth.clone();
    let action = format!("{}_saved", T::FIELD);
    let detail = format!("revision {revision}");
    super::blocking(move || auth.audit(&by.name, &action, T::FILE, &client, &detail)).await?;
    versioned(revision, &*value).map(ApiJson)
}
