//! `GET /api/status`: how the server and the shop's WhatsApp are doing, what needs a person's
//! attention, and today's counts.

use super::stats::HourCounts;
use crate::document::FileProblem;
use crate::model::LinkState;
use serde::{Deserialize, Serialize};

/// `GET /api/status`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Status {
    pub version: String,
    pub uptime_secs: u64,
    /// Problems of hand-edited files; the last good versions are in force meanwhile.
    pub file_problems: Vec<FileProblem>,
    pub channel: ChannelStatus,
    pub whatsapp_web: WebStatus,
    pub counts: Counts,
    /// What needs a person's attention now, most serious first.
    pub alerts: Vec<Alert>,
    /// Since midnight in the shop's time zone.
    pub today: HourCounts,
}

/// What an alert is about: stable, for the dashboard to explain it in its language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Meta refused the access token: replies are paused.
    TokenRefused,
    /// The Meta connection lacks a secret, the token or the phone number id.
    NotConfigured,
    /// WhatsApp Web waits for the phone to scan the QR code.
    WebNotLinked,
    /// WhatsApp Web dropped and is reconnecting.
    WebDisconnected,
    /// WhatsApp Web is not linked any more.
    WebLoggedOut,
    /// A hand-edited file was refused; its last good version is in force.
    FileProblem,
    /// A template the bot uses still has `[[...]]` marks to fill in.
    TemplateToFill,
    /// Replies refused because the customer's last message was over 24 hours old.
    OutsideWindow,
    /// Replies that could not be sent for another reason.
    FailedSends,
}

impl AlertKind {
    /// The name in JSON (`token_refused`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::TokenRefused => "token_refused",
            AlertKind::NotConfigured => "not_configured",
            AlertKind::WebNotLinked => "web_not_linked",
            AlertKind::WebDisconnected => "web_disconnected",
            AlertKind::WebLoggedOut => "web_logged_out",
            AlertKind::FileProblem => "file_problem",
            AlertKind::TemplateToFill => "template_to_fill",
            AlertKind::OutsideWindow => "outside_window",
            AlertKind::FailedSends => "failed_sends",
        }
    }

    /// About the WhatsApp Web link.
    pub fn is_link(self) -> bool {
        matches!(
            self,
            AlertKind::WebNotLinked | AlertKind::WebDisconnected | AlertKind::WebLoggedOut
        )
    }
}

/// Something that needs attention. `message` says it in English, for scripts and logs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Alert {
    pub kind: AlertKind,
    pub message: String,
    /// How many, for counted alerts (the last 24 hours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// When, for dated alerts (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<i64>,
    /// The file, for file problems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The template, for `template_to_fill`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// What the owner still has to write in it (its `[[...]]` marks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fill_ins: Vec<String>,
}

impl Alert {
    /// An alert with its kind and message only.
    pub fn new(kind: AlertKind, message: String) -> Alert {
        Alert {
            kind,
            message,
            count: None,
            at: None,
            file: None,
            template: None,
            fill_ins: Vec::new(),
        }
    }
}

/// The WhatsApp Web channel.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WebStatus {
    /// Whether this Cocolu was built with it (the `whatsapp-web` feature).
    pub built_in: bool,
    /// The link with the shop's phone; null while another channel is chosen.
    pub link: Option<LinkState>,
}

/// What the server holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Counts {
    pub conversations: u64,
    /// Records in the message log (messages in and out, statuses, decisions).
    pub records: u64,
    /// Replies waiting in the outbox.
    pub outbox_pending: u64,
    /// Dashboards connected to `/ws` right now.
    pub websocket_clients: u64,
}

/// The Meta connection: what is configured (never the secrets) and what arrived.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChannelStatus {
    pub app_secret_set: bool,
    pub verify_token_set: bool,
    pub access_token_set: bool,
    pub phone_number_id: Option<String>,
    /// When Meta last refused the access token, unless a send has worked since.
    pub token_refused_at: Option<i64>,
    /// `last_webhook_at` as the shop reads it (`2026-11-28 10:15`, the shop's time zone).
    pub last_webhook_local: Option<String>,
    /// When the last accepted webhook arrived (ms since the epoch), if ever.
    pub last_webhook_at: Option<i64>,
    pub webhooks_received: u64,
    pub webhooks_rejected: u64,
    pub duplicates: u64,
    pub messages_in: u64,
    pub statuses_in: u64,
}

impl ChannelStatus {
    /// Everything needed to receive and send is set.
    pub fn configured(&self) -> bool {
        self.app_secret_set && self.access_token_set && self.phone_number_id.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_kind_s_name_is_its_json_name() {
        for kind in [
            AlertKind::TokenRefused,
            AlertKind::NotConfigured,
            AlertKind::WebNotLinked,
            AlertKind::WebDisconnected,
            AlertKind::WebLoggedOut,
            AlertKind::FileProblem,
            AlertKind::TemplateToFill,
            AlertKind::OutsideWindow,
            AlertKind::FailedSends,
        ] {
            let json = serde_json::to_value(kind).expect("serializes");
            assert_eq!(json.as_str(), Some(kind.as_str()));
            assert_eq!(kind.is_link(), kind.as_str().starts_with("web_"));
        }
    }
}
