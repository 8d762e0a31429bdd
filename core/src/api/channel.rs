//! `/api/channel`: the Meta connection as configured (and as the owner changes it), its
//! test, and the approved message templates.

use crate::connection::ConnectionField;
use crate::log::SendError;
use serde::{Deserialize, Serialize};

/// `GET /api/channel`: the connection in force (secrets masked or only said to be set).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Connection {
    /// Where Meta must send webhooks (from `COCOLU_ORIGINS`, else this request's host).
    pub webhook_url: String,
    /// The verify token, for Meta's webhook form.
    pub verify_token: Option<String>,
    pub phone_number_id: Option<String>,
    pub waba_id: Option<String>,
    /// The access token, masked (its last four characters).
    pub access_token: Option<String>,
    /// Whether the app secret is set (webhooks are refused without it).
    pub app_secret_set: bool,
    pub graph_url: String,
    pub graph_version: String,
    /// The values the server's environment (`META_*`) sets: they win over what is saved from
    /// the dashboard, and cannot be changed there.
    #[serde(default)]
    pub set_by_server: Vec<ConnectionField>,
}

/// `PUT /api/channel`: new values for the connection. A field left out keeps its value; an
/// empty text clears it. When the result has an access token and a phone number id, they are
/// tested against Meta first, and nothing is saved if Meta refuses them.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ConnectionChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waba_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_secret: Option<String>,
    /// Left empty while none is set, the server makes one up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_token: Option<String>,
}

impl std::fmt::Debug for ConnectionChange {
    /// Secrets are never printed, only whether they are given.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = |v: &Option<String>| if v.is_some() { "given" } else { "kept" };
        f.debug_struct("ConnectionChange")
            .field("phone_number_id", &self.phone_number_id)
            .field("waba_id", &self.waba_id)
            .field("access_token", &given(&self.access_token))
            .field("app_secret", &given(&self.app_secret))
            .field("verify_token", &given(&self.verify_token))
            .finish()
    }
}

impl ConnectionChange {
    /// The new value of one field: `None` keeps it, `Some("")` clears it.
    pub fn field(&self, field: ConnectionField) -> Option<&str> {
        field.among([
            &self.phone_number_id,
            &self.waba_id,
            &self.access_token,
            &self.app_secret,
            &self.verify_token,
        ])
    }
}

/// The business number as Meta describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PhoneNumberInfo {
    pub verified_name: Option<String>,
    pub display_phone_number: Option<String>,
    pub quality_rating: Option<String>,
}

/// `GET /api/channel/check`, and the test a change goes through: the number's details, or
/// Meta's exact reason (its error code) for refusing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConnectionCheck {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<PhoneNumberInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<SendError>,
}

impl ConnectionCheck {
    /// What a test found.
    pub fn of(outcome: Result<PhoneNumberInfo, SendError>) -> ConnectionCheck {
        match outcome {
            Ok(info) => ConnectionCheck {
                ok: true,
                phone_number: Some(info),
                error: None,
            },
            Err(error) => ConnectionCheck {
                ok: false,
                phone_number: None,
                error: Some(error),
            },
        }
    }
}

/// `PUT /api/channel`'s answer: the connection now in force, and the test it passed (none when
/// it lacks a token or a number id to test).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConnectionSaved {
    pub connection: Connection,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<ConnectionCheck>,
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
