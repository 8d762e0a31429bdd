//! Accounts as the API shows them: who is signed in, users, invitations, API tokens and the
//! audit log. Never a password hash, an invitation code or a token after it was created.

use serde::{Deserialize, Serialize};

/// What a person or a token may do; an administrator can do what an agent can.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Inbox, contacts, replies and takeover; rules, templates and analytics read-only.
    #[default]
    Agent,
    /// Everything, including settings, users and tokens.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Admin => "admin",
        }
    }
}

/// A user as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub name: String,
    pub role: Role,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    pub disabled: bool,
}

/// How a request was authenticated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// A dashboard session (cookie).
    #[default]
    Session,
    /// An API token (`Authorization: Bearer`).
    Token,
}

/// `GET /api/auth/me`: who is signed in, and the shop's clock.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Me {
    /// The user (absent for an API token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserView>,
    pub role: Role,
    pub via: Credential,
    /// Send this as `X-CSRF-Token` with every request that changes something (sessions only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    /// The shop's IANA time zone (from the settings), in which the dashboard shows times.
    pub time_zone: String,
    /// Its offset from UTC now, in minutes.
    pub utc_offset_minutes: i32,
}

impl Me {
    /// An administrator is signed in.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// An invitation as the API shows it (never the code).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InvitationView {
    pub id: String,
    pub role: Role,
    pub note: String,
    /// The id of the account that made it.
    pub created_by: String,
    /// That account's name as the dashboard shows it; absent when the account is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_name: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    /// `true` once past `expires_at`.
    pub expired: bool,
}

/// `POST /api/invitations`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct InvitationRequest {
    pub role: Role,
    /// Who it is for (for the list of invitations).
    #[serde(default)]
    pub note: String,
    /// Hours until it expires (default 72, at most 720).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_hours: Option<u32>,
}

/// A new invitation, with its code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NewInvitation {
    /// Give this to the person; it is not shown again.
    pub code: String,
    pub invitation: InvitationView,
}

/// An API token as the API shows it (never the token).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// The id of the account that made it (empty: made with `cocolu token`).
    pub created_by: String,
    /// That account's name as the dashboard shows it; absent when made from the command line
    /// or the account is gone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by_name: Option<String>,
    pub created_at: i64,
}

/// `POST /api/tokens`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// What it is for, such as `backup script`.
    pub name: String,
    /// The role its requests have (default `agent`).
    #[serde(default)]
    pub role: Role,
}

/// A new API token, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NewToken {
    /// Send as `Authorization: Bearer <token>`; it is not shown again.
    pub token: String,
    pub record: TokenView,
}

/// One line of the audit log (`data/audit.jsonl`), as stored and as the API shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditEntry {
    /// Milliseconds since the epoch.
    pub at: i64,
    /// Who did it: a username, `token:NAME`, `cli`, or empty for an unknown person.
    pub actor: String,
    /// What happened, such as `login`, `login_failed`, `user_created`, `rules_saved`.
    pub action: String,
    /// What it was done to (a username, a token name, a file), if anything.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// The client's address.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ip: String,
    /// More about it, in words.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// `GET /api/audit`: a page of the audit log, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `cursor` for older entries; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
