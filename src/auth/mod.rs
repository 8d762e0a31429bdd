//! Accounts: who may use the dashboard and the API, and how they prove it.
//!
//! - [`users`]: `users.json` (people, invitations, API tokens), a hand-editable document.
//! - [`password`]: Argon2id hashing with bounded memory.
//! - [`sessions`]: signed-in sessions that survive restarts.
//! - [`throttle`]: growing waits after failed sign-ins.
//! - [`audit`]: who did what, append-only.
//!
//! [`Auth`] ties them together; the HTTP layer only translates requests and errors.

pub mod audit;
mod manage;
pub mod password;
pub mod secret;
pub mod sessions;
mod signin;
pub mod throttle;
pub mod users;

use crate::clock::Clock;
use crate::data::Data;
use crate::store::document::{Document, SaveError};
use audit::AuditLog;
use cocolu_core::api::accounts::AuditEntry;
use cocolu_core::api::accounts::Role;
use cocolu_core::document::Context;
use cocolu_core::fault::Fault;
use parking_lot::Mutex;
use password::Hasher;
use sessions::{Session, Sessions, Timeouts};
use std::sync::Arc;
use std::time::Duration;
use throttle::Throttle;
use users::{ApiToken, Invitation, User, Users};

/// How long a sign-in attempt waits for those in flight before it is told to try again.
const ADMISSION_WAIT: Duration = Duration::from_secs(30);

/// Prefix of API tokens, so that a leaked one is recognisable (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "ccl_";

/// Why an account operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Wrong username or password.")]
    WrongCredentials,
    #[error("Too many failed attempts; try again in {} seconds.", .0.as_secs().max(1))]
    Throttled(Duration),
    #[error("The administrator already exists; sign in instead.")]
    AlreadySetUp,
    #[error("Wrong setup code; the current code is printed in the server log.")]
    WrongSetupCode,
    #[error("This invitation does not exist, was already used, or has expired.")]
    BadInvitation,
    #[error("The current password is wrong.")]
    WrongPassword,
    #[error("{}", cocolu_core::fault::sentence(.0))]
    Invalid(Vec<Fault>),
    #[error("The username `{0}` is taken.")]
    UsernameTaken(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("users.json changed on disk at the same time; try again")]
    Busy,
    #[error("storage: {0}")]
    Storage(String),
}

impl AuthError {
    /// Refused for one fault.
    pub fn invalid(fault: Fault) -> AuthError {
        AuthError::Invalid(vec![fault])
    }
}

impl From<std::io::Error> for AuthError {
    fn from(error: std::io::Error) -> AuthError {
        AuthError::Storage(error.to_string())
    }
}

impl From<password::HashError> for AuthError {
    fn from(error: password::HashError) -> AuthError {
        AuthError::Storage(error.to_string())
    }
}

/// Who is making a request.
#[derive(Clone, Debug)]
pub struct Principal {
    /// The user's id, or the token's id for a token.
    pub id: String,
    /// A username, or `token:NAME`.
    pub name: String,
    pub role: Role,
    pub via: Via,
}

/// How the request proved who it is.
#[derive(Clone, Debug)]
pub enum Via {
    Session { id_hash: String, csrf: String },
    Token,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// Where a request comes from, for throttling and the audit log.
#[derive(Clone, Debug, Default)]
pub struct Client {
    pub ip: String,
    pub user_agent: String,
}

/// What a person fills in to get an account.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub name: String,
    pub password: String,
}

/// A new session: the cookie value and what it stands for.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub cookie: String,
    pub session: Session,
    pub user: User,
}

/// Changes an admin may make to a user.
#[derive(Clone, Debug, Default)]
pub struct UserChange {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

/// Runs file writes (and their fsyncs) without holding up other requests: on the server's
/// multi-threaded runtime the worker hands its other tasks over first; elsewhere (tests on a
/// single thread, the command line) it simply runs.
fn off_runtime<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// The longest username a sign-in form may send, in bytes (valid ones have at most 64
/// characters; anything longer is refused before it reaches a throttle key, a hash or a log).
pub const MAX_USERNAME_BYTES: usize = 256;
/// The longest password accepted, in bytes (new passwords have at most 256 characters).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// The longest setup or invitation code looked at.
pub const MAX_CODE_BYTES: usize = 256;

fn credentials_too_long() -> Fault {
    Fault::CredentialsTooLong {
        username_max: MAX_USERNAME_BYTES,
        password_max: MAX_PASSWORD_BYTES,
    }
}

/// Refuses a username or password longer than any account can have.
fn check_credential_sizes(username: &str, password: &str) -> Result<(), AuthError> {
    if username.len() > MAX_USERNAME_BYTES || password.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::invalid(credentials_too_long()));
    }
    Ok(())
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", secret::hex(&secret::random_bytes::<8>()))
}

/// Applies `change` to the users document and saves it, retrying once when a hand edit
/// landed in between (blocking). Used by the server and by `cocolu user`.
pub fn edit_users<R>(
    document: &Document<Users>,
    context: &Context,
    mut change: impl FnMut(&mut Users) -> Result<R, AuthError>,
) -> Result<R, AuthError> {
    for _ in 0..3 {
        let current = document.current();
        let mut users = (*current.value).clone();
        let result = change(&mut users)?;
        match document.save(&users, &current.revision, context) {
            Ok(_) => return Ok(result),
            Err(SaveError::Conflict { .. }) => {
                // Pick up the edit that won, then apply the change to it.
                document.reload(context);
            }
            Err(SaveError::Invalid(problems)) => {
                return Err(AuthError::Invalid(
                    problems
                        .into_iter()
                        .map(|p| p.fault.map_or(Fault::Other, |f| f.read()))
                        .collect(),
                ))
            }
            Err(SaveError::Io(error)) => return Err(error.into()),
        }
    }
    Err(AuthError::Busy)
}

/// A new user record with a hashed password; checks the username and password first.
fn user_record(new: &NewUser, role: Role, password_hash: String, now: i64) -> User {
    User {
        id: new_id("u_"),
        username: users::normalize_username(&new.username),
        name: new.name.trim().to_string(),
        role,
        password_hash,
        created_at: now,
        password_changed_at: now,
        disabled: false,
    }
}

/// Checks what a person typed for a new account.
pub fn check_new_user(new: &NewUser) -> Result<(), AuthError> {
    let username = users::normalize_username(&new.username);
    users::check_username(&username).map_err(AuthError::invalid)?;
    users::check_password(&new.password, &username).map_err(AuthError::invalid)?;
    if new.name.chars().count() > 100 {
        return Err(AuthError::invalid(Fault::NameTooLong { max: 100 }));
    }
    Ok(())
}

/// Adds `user` unless the username is taken.
fn insert_user(users: &mut Users, user: User) -> Result<(), AuthError> {
    if users.by_username(&user.username).is_some() {
        return Err(AuthError::UsernameTaken(user.username));
    }
    users.users.push(user);
    Ok(())
}

/// Accounts, sessions, tokens and the audit log.
pub struct Auth {
    data: Arc<Data>,
    /// What "now" is, for sessions, throttles, invitations and the audit.
    clock: Clock,
    hasher: Hasher,
    pub sessions: Sessions,
    accounts: Mutex<Throttle>,
    addresses: Mutex<Throttle>,
    audit: AuditLog,
    /// The one-time code that protects the creation of the first administrator.
    setup_code: Mutex<Option<String>>,
    /// Serializes the server's own changes to `users.json`.
    editing: Mutex<()>,
    /// Wakes sign-in attempts waiting for those in flight to be decided.
    decided: tokio::sync::Notify,
    /// Sign-ins since start, and refused ones.
    pub logins: std::sync::atomic::AtomicU64,
    pub login_failures: std::sync::atomic::AtomicU64,
}

impl Auth {
    /// Loads sessions and, when nobody has an account yet, prints a setup code.
    pub fn open(
        data: Arc<Data>,
        clock: Clock,
        timeouts: Timeouts,
        hashing_concurrency: usize,
    ) -> Auth {
        let auth = Auth {
            clock,
            sessions: Sessions::open(data.dir(), timeouts),
            audit: AuditLog::new(data.dir()),
            data,
            hasher: Hasher::new(hashing_concurrency),
            accounts: Mutex::new(Throttle::new(throttle::ACCOUNT)),
            addresses: Mutex::new(Throttle::new(throttle::ADDRESS)),
            setup_code: Mutex::new(None),
            editing: Mutex::new(()),
            decided: tokio::sync::Notify::new(),
            logins: Default::default(),
            login_failures: Default::default(),
        };
        auth.setup_code();
        auth
    }

    fn users(&self) -> Arc<Users> {
        self.data.users.get()
    }

    /// Whether nobody has an account yet (the dashboard offers the first-run set-up).
    pub fn needs_setup(&self) -> bool {
        self.users().users.is_empty()
    }

    /// The current setup code while set-up is needed; made (and logged) on first use.
    pub fn setup_code(&self) -> Option<String> {
        if !self.needs_setup() {
            *self.setup_code.lock() = None;
            return None;
        }
        let mut code = self.setup_code.lock();
        if code.is_none() {
            let new = secret::new_code();
            tracing::warn!(
                setup_code = %new,
                "no administrator yet: open the dashboard and create one with this setup code"
            );
            *code = Some(new);
        }
        code.clone()
    }

    /// Records an entry in the audit log; a failure is logged, not fatal to the action.
    pub fn audit(&self, actor: &str, action: &str, target: &str, client: &Client, detail: &str) {
        let entry = AuditEntry {
            at: self.clock.now_ms(),
            actor: actor.to_string(),
            action: action.to_string(),
            target: target.to_string(),
            ip: client.ip.clone(),
            detail: detail.to_string(),
        };
        if let Err(error) = self.audit.append(&entry) {
            tracing::error!(%error, action, "cannot write the audit log");
        }
        tracing::info!(actor, action, target, ip = ?client.ip, "audit");
    }

    /// A page of the audit log, newest first (blocking).
    pub fn audit_page(
        &self,
        before: Option<u64>,
        limit: usize,
    ) -> Result<(Vec<AuditEntry>, Option<u64>), AuthError> {
        Ok(self.audit.page(before, limit)?)
    }

    fn edit<R>(
        &self,
        change: impl FnMut(&mut Users) -> Result<R, AuthError>,
    ) -> Result<R, AuthError> {
        let _guard = self.editing.lock();
        edit_users(&self.data.users, &self.data.context(), change)
    }

    /// The principal behind a session cookie, if the session is live.
    pub fn authenticate_session(&self, cookie: &str) -> Option<Principal> {
        self.session_principal(cookie, true)
    }

    /// Like [`Auth::authenticate_session`], without counting as use of the session (for
    /// re-checking a live connection's rights, which must not keep an idle session alive).
    pub fn recheck_session(&self, cookie: &str) -> Option<Principal> {
        self.session_principal(cookie, false)
    }

    fn session_principal(&self, cookie: &str, touch: bool) -> Option<Principal> {
        let session = if touch {
            self.sessions.find(cookie, self.clock.now_ms())?
        } else {
            self.sessions.peek(cookie, self.clock.now_ms())?
        };
        let users = self.users();
        let user = users.by_id(&session.user_id)?;
        if user.disabled || user.password_changed_at != session.password_stamp {
            return None;
        }
        Some(Principal {
            id: user.id.clone(),
            name: user.username.clone(),
            role: user.role,
            via: Via::Session {
                id_hash: session.id_hash,
                csrf: session.csrf,
            },
        })
    }

    /// The principal behind an API token. A token acts with at most its owner's current
    /// role: demoting the person demotes their tokens, and removing or disabling them stops
    /// the tokens (tokens made with `cocolu token` on the server belong to nobody).
    pub fn authenticate_token(&self, token: &str) -> Option<Principal> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 256 {
            return None;
        }
        let hash = secret::digest(token);
        let users = self.users();
        let found = users
            .tokens
            .iter()
            .find(|t| secret::same(&t.token_hash, &hash))?;
        let role = if found.created_by.is_empty() {
            found.role
        } else {
            let owner = users.by_id(&found.created_by)?;
            if owner.disabled {
                return None;
            }
            found.role.min(owner.role)
        };
        Some(Principal {
            id: found.id.clone(),
            name: format!("token:{}", found.name),
            role,
            via: Via::Token,
        })
    }

    /// Wakes whenever something that decides who may do what changed: `users.json` (saved or
    /// edited by hand) or the set of live sessions. Live connections re-check their
    /// credential then.
    pub fn rights_changed(&self) -> [tokio::sync::watch::Receiver<u64>; 2] {
        [self.data.users.changes(), self.sessions.changes()]
    }

    /// The user record of a principal (none for tokens).
    pub fn user_of(&self, principal: &Principal) -> Option<User> {
        match principal.via {
            Via::Session { .. } => self.users().by_id(&principal.id).cloned(),
            Via::Token => None,
        }
    }

    /// Ends the session a request came with (blocking).
    pub fn logout(&self, principal: &Principal, client: &Client) -> Result<(), AuthError> {
        if let Via::Session { id_hash, .. } = &principal.via {
            self.sessions.end_where(|s| &s.id_hash == id_hash)?;
            self.audit(&principal.name, "logout", &principal.name, client, "");
        }
        Ok(())
    }

    /// Changes the signed-in user's password; every other session of theirs ends.
    pub async fn change_password(
        &self,
        principal: &Principal,
        current: String,
        new: String,
        client: &Client,
    ) -> Result<(), AuthError> {
        let Via::Session { id_hash, .. } = &principal.via else {
            return Err(AuthError::Forbidden("API tokens have no password.".into()));
        };
        let user = self
            .user_of(principal)
            .ok_or_else(|| AuthError::NotFound("The user no longer exists.".into()))?;
        if current.len() > MAX_PASSWORD_BYTES || new.len() > MAX_PASSWORD_BYTES {
            return Err(AuthError::invalid(credentials_too_long()));
        }
        let account_key = format!("user:{}", user.username);
        self.admit(&self.accounts, &account_key).await?;
        let right = self
            .hasher
            .verify(current, Some(user.password_hash.clone()))
            .await;
        self.settle(&self.accounts, &account_key, !right, true);
        if !right {
            return Err(AuthError::WrongPassword);
        }
        users::check_password(&new, &user.username).map_err(AuthError::invalid)?;
        let hash = self.hasher.hash(new).await?;
        off_runtime(|| {
            let stamp = self.set_password(&user.id, &hash)?;
            self.sessions.restamp(id_hash, stamp)?;
            self.sessions
                .end_where(|s| s.user_id == user.id && &s.id_hash != id_hash)?;
            self.audit(
                &user.username,
                "password_changed",
                &user.username,
                client,
                "",
            );
            Ok(())
        })
    }

    /// Stores a new password hash for a user; returns the new password stamp (blocking).
    fn set_password(&self, user_id: &str, hash: &str) -> Result<i64, AuthError> {
        let stamp = self.clock.now_ms();
        self.edit(|users| {
            let user = users
                .users
                .iter_mut()
                .find(|u| u.id == user_id)
                .ok_or_else(|| AuthError::NotFound("The user no longer exists.".into()))?;
            user.password_hash = hash.to_string();
            // Strictly later than the old stamp, even within one millisecond.
            user.password_changed_at = stamp.max(user.password_changed_at.saturating_add(1));
            Ok(user.password_changed_at)
        })
    }

    /// Ends timed-out sessions and writes last-seen times (periodically and at shutdown;
    /// blocking).
    pub fn flush(&self) {
        match self.sessions.end_expired(self.clock.now_ms()) {
            Ok(0) => {}
            Ok(ended) => tracing::info!(ended, "timed-out sessions removed"),
            Err(error) => tracing::warn!(%error, "cannot write sessions.json"),
        }
        if let Err(error) = self.sessions.flush() {
            tracing::warn!(%error, "cannot write sessions.json");
        }
    }
}

/// A new API token and its stored record.
pub fn new_token_record(name: &str, role: Role, created_by: &str) -> (String, ApiToken) {
    let token = secret::new_token(TOKEN_PREFIX);
    let record = ApiToken {
        id: new_id("t_"),
        name: name.to_string(),
        token_hash: secret::digest(&token),
        role,
        created_by: created_by.to_string(),
        created_at: Clock::system().now_ms(),
    };
    (token, record)
}

/// For `cocolu user add`: a new user record with a hashed password (blocking).
pub fn cli_user(new: &NewUser, role: Role) -> Result<User, AuthError> {
    check_new_user(new)?;
    let hash = Hasher::new(1).hash_blocking(&new.password)?;
    Ok(user_record(new, role, hash, Clock::system().now_ms()))
}

/// For `cocolu user reset-password`: gives a user a new password hash.
pub fn cli_reset_password(users: &mut Users, username: &str, hash: &str) -> Result<(), AuthError> {
    let username = users::normalize_username(username);
    let user = users
        .users
        .iter_mut()
        .find(|u| u.username == username)
        .ok_or_else(|| AuthError::NotFound(format!("There is no user `{username}`.")))?;
    user.password_hash = hash.to_string();
    user.password_changed_at = Clock::system()
        .now_ms()
        .max(user.password_changed_at.saturating_add(1));
    Ok(())
}

/// For `cocolu user reset-password`: checks a new password and hashes it, once, before the
/// file is edited (an edit retried after a concurrent change does not hash again).
pub fn cli_password_hash(username: &str, password: &str) -> Result<String, AuthError> {
    users::check_password(password, &users::normalize_username(username))
        .map_err(AuthError::invalid)?;
    Ok(Hasher::new(1).hash_blocking(password)?)
}

/// For `cocolu user add`.
pub fn cli_insert_user(users: &mut Users, user: User) -> Result<(), AuthError> {
    insert_user(users, user)
}
