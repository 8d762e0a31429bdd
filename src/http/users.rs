//! Administration of accounts: `/api/users`, `/api/invitations`, `/api/tokens` and
//! `/api/audit`. Admins only.

use super::access::{Access, Signed};
use super::error::{ApiError, ApiJson};
use super::openapi::{Api, Doc};
use super::state::AppState;
use crate::auth::users::{ApiToken, Invitation, Users};
use crate::auth::UserChange;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::routing::{delete, get, patch, post};
use cocolu_core::api::accounts::Role;
use cocolu_core::api::accounts::{
    AuditPage, InvitationRequest, InvitationView, NewInvitation, NewToken, TokenRequest, TokenView,
    UserView,
};
use serde::Deserialize;
use std::time::Duration;

pub fn routes(api: Api) -> Api {
    api.op(
        Method::GET,
        "/users",
        Access::Admin,
        Doc::new("users", "Everyone with an account").returns::<Vec<UserView>>(),
        get(list_users),
    )
    .op(
        Method::PATCH,
        "/users/{id}",
        Access::Admin,
        Doc::new("users", "Change a user's name, role or disabled flag")
            .describe("The last active administrator cannot be demoted or disabled.")
            .body::<UserPatch>()
            .returns::<UserView>(),
        patch(update_user),
    )
    .op(
        Method::DELETE,
        "/users/{id}",
        Access::Admin,
        Doc::new("users", "Delete a user; their sessions end").status(204),
        delete(delete_user),
    )
    .op(
        Method::GET,
        "/invitations",
        Access::Admin,
        Doc::new("users", "Invitations not yet used").returns::<Vec<InvitationView>>(),
        get(list_invitations),
    )
    .op(
        Method::POST,
        "/invitations",
        Access::Admin,
        Doc::new(
            "users",
            "Invite someone: the code is shown only in this answer",
        )
        .body::<InvitationRequest>()
        .returns::<NewInvitation>()
        .status(201),
        post(create_invitation),
    )
    .op(
        Method::DELETE,
        "/invitations/{id}",
        Access::Admin,
        Doc::new("users", "Withdraw an invitation").status(204),
        delete(revoke_invitation),
    )
    .op(
        Method::GET,
        "/tokens",
        Access::Admin,
        Doc::new(
            "users",
            "API tokens (names and roles; the tokens themselves are not kept)",
        )
        .returns::<Vec<TokenView>>(),
        get(list_tokens),
    )
    .op(
        Method::POST,
        "/tokens",
        Access::Admin,
        Doc::new(
            "users",
            "Make an API token: it is shown only in this answer",
        )
        .body::<TokenRequest>()
        .returns::<NewToken>()
        .status(201),
        post(create_token),
    )
    .op(
        Method::DELETE,
        "/tokens/{id}",
        Access::Admin,
        Doc::new("users", "Delete an API token; scripts using it are refused").status(204),
        delete(delete_token),
    )
    .op(
        Method::GET,
        "/audit",
        Access::Admin,
        Doc::new("users", "The audit log, newest first")
            .query::<PageQuery>()
            .returns::<AuditPage>(),
        get(audit),
    )
}

async fn list_users(State(state): State<AppState>) -> ApiJson<Vec<UserView>> {
    let users = state.data.users.get();
    ApiJson(users.users.iter().map(UserView::from).collect())
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
struct UserPatch {
    name: Option<String>,
    role: Option<Role>,
    disabled: Option<bool>,
}

async fn update_user(
    State(state): State<AppState>,
    Signed(by, client): Signed,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> Result<ApiJson<UserView>, ApiError> {
    let change = UserChange {
        name: patch.name,
        role: patch.role,
        disabled: patch.disabled,
    };
    let auth = state.auth.clone();
    let user = super::blocking(move || auth.update_user(&by, &id, &change, &client)).await??;
    Ok(ApiJson(UserView::from(&user)))
}

async fn delete_user(
    State(state): State<AppState>,
    Signed(by, client): Signed,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if by.id == id {
        return Err(ApiError::Refused {
            code: "own_account",
            message: "You cannot delete your own account; ask another administrator.".into(),
        });
    }
    let auth = state.auth.clone();
    super::blocking(move || auth.delete_user(&by, &id, &client)).await??;
    Ok(StatusCode::NO_CONTENT)
}

/// How the dashboard names the account `id`: its name, else its username.
fn name_of(users: &Users, id: &str) -> Option<String> {
    users.by_id(id).map(|user| {
        if user.name.is_empty() {
            user.username.clone()
        } else {
            user.name.clone()
        }
    })
}

/// An invitation as the API shows it at `now` (never the code).
fn invitation_view(invitation: &Invitation, users: &Users, now: i64) -> InvitationView {
    InvitationView {
        id: invitation.id.clone(),
        role: invitation.role,
        note: invitation.note.clone(),
        created_by: invitation.created_by.clone(),
        created_by_name: name_of(users, &invitation.created_by),
        created_at: invitation.created_at,
        expires_at: invitation.expires_at,
        expired: invitation.expires_at <= now,
    }
}

async fn list_invitations(State(state): State<AppState>) -> ApiJson<Vec<InvitationView>> {
    let users = state.data.users.get();
    let now = state.clock.now_ms();
    ApiJson(
        users
            .invitations
            .iter()
            .map(|i| invitation_view(i, &users, now))
            .collect(),
    )
}

async fn create_invitation(
    State(state): State<AppState>,
    Signed(by, client): Signed,
    ApiJson(request): ApiJson<InvitationRequest>,
) -> Result<(StatusCode, ApiJson<NewInvitation>), ApiError> {
    let hours = request.valid_hours.unwrap_or(72);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::BadRequest(
            "`valid_hours` must be between 1 and 720.".into(),
        ));
    }
    let auth = state.auth.clone();
    let (code, invitation) = super::blocking(move || {
        auth.invite(
            &by,
            request.role,
            &request.note,
            Duration::from_secs(u64::from(hours) * 3600),
            &client,
        )
    })
    .await??;
    Ok((
        StatusCode::CREATED,
        ApiJson(NewInvitation {
            code,
            invitation: invitation_view(&invitation, &state.data.users.get(), state.clock.now_ms()),
        }),
    ))
}

async fn revoke_invitation(
    State(state): State<AppState>,
    Signed(by, client): Signed,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let auth = state.auth.clone();
    super::blocking(move || auth.revoke_invitation(&by, &id, &client)).await??;
    Ok(StatusCode::NO_CONTENT)
}

/// A token as the API shows it (never the token itself).
fn token_view(token: &ApiToken, users: &Users) -> TokenView {
    TokenView {
        id: token.id.clone(),
        name: token.name.clone(),
        role: token.role,
        created_by: token.created_by.clone(),
        created_by_name: name_of(users, &token.created_by),
        created_at: token.created_at,
    }
}

async fn list_tokens(State(state): State<AppState>) -> ApiJson<Vec<TokenView>> {
    let users = state.data.users.get();
    ApiJson(users.tokens.iter().map(|t| token_view(t, &users)).collect())
}

async fn create_token(
    State(state): State<AppState>,
    Signed(by, client): Signed,
    ApiJson(request): ApiJson<TokenRequest>,
) -> Result<(StatusCode, ApiJson<NewToken>), ApiError> {
    let auth = state.auth.clone();
    let (token, record) =
        super::blocking(move || auth.create_token(&by, &request.name, request.role, &client))
            .await??;
    Ok((
        StatusCode::CREATED,
        ApiJson(NewToken {
            token,
            record: token_view(&record, &state.data.users.get()),
        }),
    ))
}

async fn delete_token(
    State(state): State<AppState>,
    Signed(by, client): Signed,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let auth = state.auth.clone();
    super::blocking(move || auth.delete_token(&by, &id, &client)).await??;
    Ok(StatusCode::NO_CONTENT)
}

/// A page of a list: pass the `cursor` of the previous page to get the next.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PageQuery {
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// How many (default 50, at most 500).
    pub limit: Option<usize>,
}

async fn audit(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> Result<ApiJson<AuditPage>, ApiError> {
    let before = match query.cursor.as_deref() {
        Some(cursor) => Some(
            cursor
                .parse::<u64>()
                .map_err(|_| ApiError::BadRequest("`cursor` is not one this API gave.".into()))?,
        ),
        None => None,
    };
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let auth = state.auth.clone();
    let (entries, next) = super::blocking(move || auth.audit_page(before, limit)).await??;
    Ok(ApiJson(AuditPage {
        entries,
        next_cursor: next.map(|n| n.to_string()),
    }))
}
