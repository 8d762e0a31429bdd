//! `/api/channel`: the Meta connection as configured, and the approved message templates.

use serde::{Deserialize, Serialize};

/// `GET /api/channel`: the connection as configured (secrets masked or only said to be set).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Connection {
    /// Where Meta must send webhooks (from `COCOLU_ORIGINS`, else this request's host).
    pub webhook_url: String,
    /// `META_VERIFY_TOKEN`, for Meta's webhook form.
    pub verify_token: Option<String>,
    pub phone_number_id: Option<String>,
    pub waba_id: Option<String>,
    /// `META_ACCESS_TOKEN`, masked (its last four characters).
    pub access_token: Option<String>,
    /// Whether `META_APP_SECRET` is set (webhooks are refused without it).
    pub app_secret_set: bool,
    pub graph_url: String,
    pub graph_version: String,
}

/// An approved message template, for the out-of-window picker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ApprovedTemplate {
    pub name: String,
    pub language: String,
    pub category: Option<String>,
    /// The body text, with `{{1}}`-style placeholders.
    pub body: Option<String>,
}
