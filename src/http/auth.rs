//! `/api/auth`: set-up of the first administrator, sign-in, registration with an
//! invitation, the signed-in user, password change and sign-out.

use super::access::{session_cookie, Access, Caller, Signed};
use super::error::{ApiError, ApiJson};
use super::openapi::{Api, Doc};
use super::state::AppState;
use crate::auth::users::User;
use crate::auth::{NewUser, SignedIn, Via};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cocolu_core::api::accounts::Role;
use cocolu_core::api::accounts::{Credential, Me, UserView};
use serde::{Deserialize, Serialize};

/// The largest body a sign-in, set-up, registration or password change accepts: the fields
/// are bounded anyway, and a visitor should not make the server hold a megabyte per request.
pub const SIGN_IN_BODY_BYTES: usize = 8 * 1024;

pub fn routes(api: Api) -> Api {
    const TAG: &str = "auth";
    api.op(
        Method::GET,
        "/auth/setup",
        Access::Public,
        Doc::new(
            TAG,
            "Whether the first administrator still has to be created",
        )
        .returns::<SetupState>(),
        get(setup_state),
    )
    .op(
        Method::POST,
        "/auth/setup",
        Access::Public,
        Doc::new(
            TAG,
            "Create the first administrator with the setup code from the server log",
        )
        .describe("Works once, while nobody has an account. Signs the new admin in.")
        .body::<SetupRequest>()
        .returns::<Me>()
        .status(201),
        post(setup).layer(DefaultBodyLimit::max(SIGN_IN_BODY_BYTES)),
    )
    .op(
        Method::POST,
        "/auth/login",
        Access::Public,
        Doc::new(TAG, "Sign in; sets the session cookie")
            .describe(
                "Failed attempts make the next ones wait, per account and per address \
                 (429 with Retry-After).",
            )
            .body::<LoginRequest>()
            .returns::<Me>(),
        post(login).layer(DefaultBodyLimit::max(SIGN_IN_BODY_BYTES)),
    )
    .op(
        Method::POST,
        "/auth/register",
        Access::Public,
        Doc::new(TAG, "Create an account with an invitation code")
            .body::<RegisterRequest>()
            .returns::<Me>()
            .status(201),
        post(register).layer(DefaultBodyLimit::max(SIGN_IN_BODY_BYTES)),
    )
    .op(
        Method::GET,
        "/auth/me",
        Access::User,
        Doc::new(
            TAG,
            "The signed-in user or token, and the CSRF token of the session",
        )
        .returns::<Me>(),
        get(me),
    )
    .op(
        Method::POST,
        "/auth/logout",
        Access::User,
        Doc::new(TAG, "Sign out: the session ends").status(204),
        post(logout),
    )
    .op(
        Method::POST,
        "/auth/password",
        Access::User,
        Doc::new(TAG, "Change your password; your other sessions end")
            .body::<PasswordRequest>()
            .status(204),
        post(change_password).layer(DefaultBodyLimit::max(SIGN_IN_BODY_BYTES)),
    )
}

impl From<&User> for UserView {
    fn from(user: &User) -> UserView {
        UserView {
            id: user.id.clone(),
            username: user.username.clone(),
            name: user.name.clone(),
            role: user.role,
            created_at: user.created_at,
            disabled: user.disabled,
        }
    }
}

fn me_of(
    state: &AppState,
    user: Option<UserView>,
    role: Role,
    via: Credential,
    csrf_token: Option<String>,
) -> Me {
    let settings = state.data.settings.get();
    let offset = cocolu_core::settings::time_zone(&settings).to_offset(state.clock.now());
    Me {
        user,
        role,
        via,
        csrf_token,
        time_zone: settings.time_zone.clone(),
        utc_offset_minutes: offset.seconds() / 60,
    }
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct SetupState {
    /// `true` while nobody has an account: the dashboard offers to create the administrator.
    needed: bool,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct SetupRequest {
    /// The code printed in the server log (`journalctl -u cocolu`).
    code: String,
    #[serde(flatten)]
    account: Account,
}

/// A new account.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct Account {
    /// Lower case letters, digits and `.` `_` `-` `@` `+`.
    username: String,
    /// How the dashboard names the person.
    #[serde(default)]
    name: String,
    /// At least 10 characters.
    password: String,
}

impl From<Account> for NewUser {
    fn from(account: Account) -> NewUser {
        NewUser {
            username: account.username,
            name: account.name,
            password: account.password,
        }
    }
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct RegisterRequest {
    /// The invitation code an administrator gave.
    invitation: String,
    #[serde(flatten)]
    account: Account,
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct PasswordRequest {
    current: String,
    new: String,
}

async fn setup_state(State(state): State<AppState>) -> ApiJson<SetupState> {
    ApiJson(SetupState {
        needed: state.auth.needs_setup(),
    })
}

/// Answers a new session: the cookie and who is now signed in.
fn signed_in(state: &AppState, caller: &Caller, status: StatusCode, signed: SignedIn) -> Response {
    let cookie = session_cookie(
        Some(&signed.cookie),
        caller.https,
        state.auth.sessions.timeouts.absolute,
    );
    let me = me_of(
        state,
        Some(UserView::from(&signed.user)),
        signed.user.role,
        Credential::Session,
        Some(signed.session.csrf),
    );
    (status, [(header::SET_COOKIE, cookie)], ApiJson(me)).into_response()
}

async fn setup(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<SetupRequest>,
) -> Result<Response, ApiError> {
    let signed = state
        .auth
        .setup(&request.code, request.account.into(), &caller.client)
        .await?;
    Ok(signed_in(&state, &caller, StatusCode::CREATED, signed))
}

async fn login(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let signed = state
        .auth
        .login(&request.username, request.password, &caller.client)
        .await?;
    Ok(signed_in(&state, &caller, StatusCode::OK, signed))
}

async fn register(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<RegisterRequest>,
) -> Result<Response, ApiError> {
    let signed = state
        .auth
        .register(&request.invitation, request.account.into(), &caller.client)
        .await?;
    Ok(signed_in(&state, &caller, StatusCode::CREATED, signed))
}

async fn me(State(state): State<AppState>, Signed(principal, _): Signed) -> ApiJson<Me> {
    let user = state.auth.user_of(&principal);
    let (via, csrf) = match principal.via {
        Via::Session { csrf, .. } => (Credential::Session, Some(csrf)),
        Via::Token => (Credential::Token, None),
    };
    ApiJson(me_of(
        &state,
        user.as_ref().map(UserView::from),
        principal.role,
        via,
        csrf,
    ))
}

async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    Signed(principal, client): Signed,
) -> Result<Response, ApiError> {
    let auth = state.auth.clone();
    super::blocking(move || auth.logout(&principal, &client)).await??;
    let cookie = session_cookie(None, caller.https, state.auth.sessions.timeouts.absolute);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

async fn change_password(
    State(state): State<AppState>,
    Signed(principal, client): Signed,
    ApiJson(request): ApiJson<PasswordRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .auth
        .change_password(&principal, request.current, request.new, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
