//! The dashboard's account pages and the sign-in wall in front of every other page.
//!
//! - `POST /login`, `/setup`, `/register` and `/logout` take the plain HTML forms of those
//!   pages (they work before hydration and without JavaScript) and answer with a redirect:
//!   to the dashboard on success, back to the form with an `error` code otherwise.
//! - Every page needs a session: visitors go to `/login`, or to `/setup` while nobody has an
//!   account. Agents open every page; those only an administrator may change (Settings,
//!   Users) show them so, read-only.

use super::access::{check_origin, client_of, session_cookie, session_of};
use super::state::AppState;
use crate::auth::{AuthError, Client, NewUser, SignedIn};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", post(login))
        .route("/setup", post(setup))
        .route("/register", post(register))
        .route("/logout", post(logout))
        .layer(DefaultBodyLimit::max(super::auth::SIGN_IN_BODY_BYTES))
}

/// Pages anyone may see.
const OPEN_PAGES: [&str; 3] = ["/login", "/setup", "/register"];

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The sign-in wall in front of the dashboard's pages.
pub async fn page_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return next.run(request).await;
    }
    let path = request.uri().path().to_string();
    let principal = session_of(&state, request.headers());
    let needs_setup = state.auth.needs_setup();
    match (&principal, path.as_str()) {
        (Some(_), "/login" | "/setup") => see_other("/"),
        (None, "/setup") if !needs_setup => see_other("/login"),
        (None, "/login" | "/register") if needs_setup => see_other("/setup"),
        (None, p) if OPEN_PAGES.contains(&p) => next.run(request).await,
        (None, _) => see_other(if needs_setup { "/setup" } else { "/login" }),
        (Some(_), _) => next.run(request).await,
    }
}

fn caller(state: &AppState, peer: Option<SocketAddr>, headers: &HeaderMap) -> (Client, bool) {
    client_of(&state.access, peer.map(|p| p.ip()), headers)
}

/// The form page again, with an error code (and the username, so it need not be retyped).
fn back_to(page: &str, error: &str, form: &AccountForm) -> Response {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if !form.invitation.is_empty() {
        // The registration page keeps its invitation code.
        query.append_pair("code", &form.invitation);
    }
    let query = query
        .append_pair("error", error)
        .append_pair("user", &form.username)
        .finish();
    see_other(&format!("{page}?{query}"))
}

fn error_code(error: &AuthError) -> &'static str {
    match error {
        AuthError::WrongCredentials | AuthError::WrongPassword => "wrong",
        AuthError::Throttled(_) => "throttled",
        AuthError::WrongSetupCode => "setup_code",
        AuthError::Invalid(_) => "invalid",
        AuthError::UsernameTaken(_) => "taken",
        AuthError::BadInvitation => "invitation",
        AuthError::AlreadySetUp => "set_up",
        _ => "server",
    }
}

/// A signed-in answer: the session cookie and the dashboard.
fn welcome(state: &AppState, https: bool, signed: SignedIn) -> Response {
    let cookie = session_cookie(
        Some(&signed.cookie),
        https,
        state.auth.sessions.timeouts.absolute,
    );
    let mut response = see_other("/");
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

/// What the form pages post.
#[derive(Debug, Deserialize)]
struct AccountForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    invitation: String,
}

impl AccountForm {
    fn new_user(&self) -> NewUser {
        NewUser {
            username: self.username.clone(),
            name: self.name.clone(),
            password: self.password.clone(),
        }
    }
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<AccountForm>,
) -> Response {
    if check_origin(&state.access, &headers).is_err() {
        return back_to("/login", "csrf", &form);
    }
    let (client, https) = caller(&state, Some(peer), &headers);
    match state
        .auth
        .login(&form.username, form.password.clone(), &client)
        .await
    {
        Ok(signed) => welcome(&state, https, signed),
        Err(error) => back_to("/login", error_code(&error), &form),
    }
}

async fn setup(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<AccountForm>,
) -> Response {
    if check_origin(&state.access, &headers).is_err() {
        return back_to("/setup", "csrf", &form);
    }
    let (client, https) = caller(&state, Some(peer), &headers);
    match state.auth.setup(&form.code, form.new_user(), &client).await {
        Ok(signed) => welcome(&state, https, signed),
        Err(AuthError::AlreadySetUp) => back_to("/login", "set_up", &form),
        Err(error) => back_to("/setup", error_code(&error), &form),
    }
}

async fn register(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<AccountForm>,
) -> Response {
    if check_origin(&state.access, &headers).is_err() {
        return back_to("/register", "csrf", &form);
    }
    let (client, https) = caller(&state, Some(peer), &headers);
    match state
        .auth
        .register(&form.invitation, form.new_user(), &client)
        .await
    {
        Ok(signed) => welcome(&state, https, signed),
        Err(error) => back_to("/register", error_code(&error), &form),
    }
}

async fn logout(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if check_origin(&state.access, &headers).is_err() {
        return see_other("/");
    }
    let (client, https) = caller(&state, Some(peer), &headers);
    if let Some(principal) = session_of(&state, &headers) {
        let auth = state.auth.clone();
        let ended = super::blocking(move || auth.logout(&principal, &client)).await;
        if !matches!(ended, Ok(Ok(()))) {
            tracing::warn!("a session could not be ended on logout");
        }
    }
    let mut response = see_other("/login");
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(None, https, state.auth.sessions.timeouts.absolute),
    );
    response
}
