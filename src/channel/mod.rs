//! Channels bring customers' messages in and take replies out: the Meta WhatsApp Cloud API
//! ([`meta`]), or WhatsApp Web ([`web`], behind the `whatsapp-web` feature), the one the
//! settings choose ([`chosen`]).
//!
//! What a channel delivers is plain data ([`Inbound`]); what it stores is a [`record`] in the
//! log, whose envelope (`conversation`, `id`, `at`) the message index reads.

pub mod chosen;
pub mod meta;
pub mod record;
#[cfg(feature = "whatsapp-web")]
pub mod web;

use cocolu_core::contact::ContactRef;
use cocolu_core::log::{Failure, SendError};
use cocolu_core::outbound::Outbound;
use std::future::Future;
use std::pin::Pin;

/// A message a customer sent, of any type, as the channel delivered it.
#[derive(Clone, Debug, PartialEq)]
pub struct InboundMessage {
    /// The channel's message id (`wamid...`), unique per message.
    pub id: String,
    pub contact: ContactRef,
    /// When the customer sent it, in milliseconds since the epoch.
    pub sent_at_ms: i64,
    /// `text`, `image`, `audio`, `interactive`, ..., or any type Meta adds later.
    pub kind: String,
    /// The text a person would read: the body, a caption, the title of a tapped button.
    pub text: Option<String>,
    /// The id of a tapped reply button or list row (or a template button's payload).
    pub choice_id: Option<String>,
    /// The business number that received it.
    pub phone_number_id: Option<String>,
    /// The message object exactly as it came.
    pub raw: serde_json::Value,
}

/// A delivery status of a message we sent.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusUpdate {
    /// The id of our message.
    pub message_id: String,
    /// `sent`, `delivered`, `read`, `failed`, or a status Meta adds later.
    pub status: String,
    pub recipient: ContactRef,
    pub at_ms: i64,
    /// For `failed`: Meta's error objects (code, title, message, details).
    pub errors: Vec<serde_json::Value>,
    /// For `failed`: why, as the outbox classifies failures (a message that could not be
    /// delivered after it was sent).
    pub failure: Option<Failure>,
    pub raw: serde_json::Value,
}

/// An error Meta reports about the account or the webhook itself (`value.errors`).
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelError {
    pub code: Option<i64>,
    pub title: Option<String>,
    pub message: Option<String>,
    pub raw: serde_json::Value,
}

/// Part of a delivery that cannot be read as what it claims to be (a message whose `id` is
/// missing or not a string). The delivery is acknowledged, so it is kept as it came.
#[derive(Clone, Debug, PartialEq)]
pub struct Unreadable {
    /// What it was meant to be: `message` or `status`.
    pub part: &'static str,
    /// Why it cannot be read, for a person looking at the log.
    pub reason: &'static str,
    /// Whose conversation it seems to belong to, when that can be told.
    pub contact: ContactRef,
    /// The business number that received it.
    pub phone_number_id: Option<String>,
    pub raw: serde_json::Value,
}

/// Everything one webhook delivery can carry.
#[derive(Clone, Debug, PartialEq)]
pub enum Inbound {
    Message(InboundMessage),
    Status(StatusUpdate),
    Error(ChannelError),
    Unreadable(Unreadable),
}

/// How far ahead of our clock a channel's timestamp may be and still be believed.
const CLOCK_SKEW_MS: i64 = 24 * 3600 * 1000;

impl Inbound {
    /// Replaces a timestamp the channel could not have meant (before 1970, or more than a day
    /// ahead of `now`) with `now`: a message "sent" next year would keep its customer's
    /// 24-hour window open for a year and skew every count.
    pub fn with_believable_time(mut self, now: i64) -> Inbound {
        let believable = |at: i64| (0..=now.saturating_add(CLOCK_SKEW_MS)).contains(&at);
        match &mut self {
            Inbound::Message(m) if !believable(m.sent_at_ms) => m.sent_at_ms = now,
            Inbound::Status(s) if !believable(s.at_ms) => s.at_ms = now,
            _ => {}
        }
        self
    }
}

/// Whether a message sent to business number `to` is ours to answer, when ours is `ours`.
/// Without a configured number every message is ours (as before the number was checked); a
/// message that names no number (WhatsApp Web's, or an older payload) is ours too.
pub fn addressed_to_us(ours: Option<&str>, to: Option<&str>) -> bool {
    match (ours, to) {
        (Some(ours), Some(to)) => ours == to,
        _ => true,
    }
}

/// Messages sent before this time (ms) are too old, at `now`, to answer automatically.
pub fn stale_before(now: i64, stale_after: std::time::Duration) -> i64 {
    now.saturating_sub(i64::try_from(stale_after.as_millis()).unwrap_or(i64::MAX))
}

/// What the outbox (and the reply engine) need from a channel. Meta's Cloud API
/// ([`meta::graph::GraphClient`]) is one; a WhatsApp Web channel can be another, without
/// touching the engine.
pub trait Channel: Send + Sync + 'static {
    /// Sends a message; returns the channel's id for it.
    fn send<'a>(
        &'a self,
        to: &'a ContactRef,
        message: &'a Outbound,
    ) -> Pin<Box<dyn Future<Output = Result<String, SendError>> + Send + 'a>>;

    /// Marks a customer's message as read, optionally showing that a reply is being typed.
    fn mark_read<'a>(
        &'a self,
        message_id: &'a str,
        typing: bool,
    ) -> Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(sent_at_ms: i64) -> Inbound {
        Inbound::Message(InboundMessage {
            id: "wamid.1".into(),
            contact: ContactRef::default(),
            sent_at_ms,
            kind: "text".into(),
            text: None,
            choice_id: None,
            phone_number_id: None,
            raw: serde_json::Value::Null,
        })
    }

    fn sent_at(event: Inbound) -> i64 {
        match event {
            Inbound::Message(m) => m.sent_at_ms,
            _ => unreachable!("a message"),
        }
    }

    #[test]
    fn a_time_the_channel_cannot_have_meant_becomes_the_arrival_time() {
        let now = 1_764_000_000_000;
        assert_eq!(
            sent_at(message(now - 5000).with_believable_time(now)),
            now - 5000
        );
        assert_eq!(
            sent_at(message(now + 60_000).with_believable_time(now)),
            now + 60_000
        );
        assert_eq!(sent_at(message(now * 3).with_believable_time(now)), now);
        assert_eq!(sent_at(message(i64::MIN).with_believable_time(now)), now);
        assert_eq!(sent_at(message(i64::MAX).with_believable_time(now)), now);
    }

    #[test]
    fn a_message_for_another_business_number_is_not_ours() {
        assert!(!addressed_to_us(Some("PNID"), Some("OTHER")));
        assert!(addressed_to_us(Some("PNID"), Some("PNID")));
    }

    #[test]
    fn without_a_configured_number_or_a_named_one_every_message_is_ours() {
        assert!(addressed_to_us(None, Some("OTHER")));
        assert!(addressed_to_us(Some("PNID"), None));
        assert!(addressed_to_us(None, None));
    }
}
