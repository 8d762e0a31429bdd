//! The log's records: one JSON object per line of `data/log/`, tagged by `kind`. Every writer
//! builds a [`LogRecord`] and every reader matches one, so this file is the log's schema (the
//! table in `data/README.md` describes the same fields for people).
//!
//! A record of a kind this build does not know (written by a newer Cocolu) reads as
//! [`LogRecord::Unknown`]: readers pass over it, and its envelope (`conversation`, `at`) still
//! places it. Meta's own objects (`message`, `raw`) are kept exactly as they came.

use crate::contact::ContactRef;
use crate::engine::decide::{ContactState, Reason};
use crate::outbound::Outbound;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LogRecord {
    /// A customer's message, of any type.
    MessageIn(MessageIn),
    /// A delivery status of one of our messages.
    Status(StatusRecord),
    /// An error the channel reported about the account or the webhook.
    ChannelError(ChannelErrorRecord),
    /// A message or status that could not be read, kept as it came because its delivery was
    /// acknowledged. It carries no `id`, so it is never mistaken for a message.
    Unreadable(Unreadable),
    /// A message to send, logged before the first attempt.
    MessageOut(MessageOut),
    /// The channel accepted a message and gave it this id (statuses refer to it).
    MessageOutSent(MessageOutSent),
    /// A message that cannot be sent and will not be retried.
    MessageOutFailed(MessageOutFailed),
    /// An inbound media file was downloaded.
    MediaStored(MediaStored),
    /// An inbound media file could not be downloaded.
    MediaFailed(MediaFailed),
    /// What the bot remembers of a contact after a message, a takeover or an edit, and why.
    ContactState(ContactStateRecord),
    /// A person read the conversation: newer customer messages are unread.
    ConversationRead(ConversationRead),
    /// A kind this build does not know.
    #[serde(other)]
    Unknown,
}

/// `message_in`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageIn {
    /// The customer's business-scoped id, else phone number.
    pub conversation: String,
    /// The channel's message id (`wamid...`).
    pub id: String,
    /// When the customer sent it (ms since the epoch).
    pub at: i64,
    /// When it arrived.
    #[serde(default)]
    pub received_at: i64,
    #[serde(default)]
    pub contact: ContactRef,
    /// `text`, `image`, `audio`, `button`, `interactive`...
    #[serde(rename = "type", default)]
    pub message_type: String,
    /// What a person reads, when there is any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The id of the reply button or list row tapped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice_id: Option<String>,
    /// Older than the staleness limit when it arrived: stored, never answered automatically.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
    /// The business number it was sent to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    /// The channel's message object exactly as it came.
    #[serde(default)]
    pub message: Value,
}

/// `status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    pub message_id: String,
    /// `sent`, `delivered`, `read`, `failed`...
    pub status: String,
    pub at: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Value>,
    /// For `failed`: why the message could not be delivered, classified as a failed send is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    #[serde(default)]
    pub raw: Value,
}

/// `channel_error`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelErrorRecord {
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    #[serde(default)]
    pub raw: Value,
}

/// `unreadable`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unreadable {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    /// When it arrived.
    pub at: i64,
    /// `message` or `status`.
    pub part: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_id: Option<String>,
    #[serde(default)]
    pub raw: Value,
}

/// Who asked for a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Origin {
    /// The reply engine, naming the rule.
    Bot { rule: Option<String> },
    /// A person in the dashboard (or a script through the API).
    Agent { user: Option<String> },
}

/// `message_out`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageOut {
    pub conversation: String,
    /// The outbox id: its outcome refers to it.
    pub outbox: String,
    pub at: i64,
    pub to: ContactRef,
    pub origin: Origin,
    /// What a person reads of it.
    pub text: String,
    pub message: Outbound,
}

/// `message_out_sent`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageOutSent {
    pub conversation: String,
    pub outbox: String,
    pub at: i64,
    /// The channel's id for it (`wamid...`).
    pub message_id: String,
}

/// `message_out_failed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageOutFailed {
    pub conversation: String,
    pub outbox: String,
    pub at: i64,
    pub error: SendError,
}

/// What to do about a failed request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// Network trouble, 5xx, 429 or 130429: try again later.
    Retry,
    /// 131056: too many messages to this one customer; wait before the next.
    RecipientThrottled,
    /// 131047: more than 24 hours since the customer's last message; only a template may go.
    OutsideWindow,
    /// 190: the access token is invalid or expired; stop sending until it is fixed.
    TokenInvalid,
    /// Anything else: retrying would fail the same way.
    Permanent,
}

/// A failed send, with the channel's own code and message when there is one (Meta's error
/// codes for the Cloud API).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[error("{message}")]
pub struct SendError {
    pub failure: Failure,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcode: Option<i64>,
    pub message: String,
}

impl SendError {
    /// An error found on this side, before or without an answer from the channel.
    pub fn local(failure: Failure, message: impl Into<String>) -> SendError {
        SendError {
            failure,
            status: None,
            code: None,
            subcode: None,
            message: message.into(),
        }
    }
}

/// `media_stored`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaStored {
    pub conversation: String,
    /// The customer's message that carried it.
    pub message_id: String,
    pub media_id: String,
    /// Its file in `media/`.
    pub file: String,
    pub mime_type: String,
    pub size: u64,
    pub at: i64,
}

/// `media_failed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaFailed {
    pub conversation: String,
    pub message_id: String,
    pub media_id: String,
    pub reason: String,
    pub at: i64,
}

/// `contact_state`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactStateRecord {
    pub conversation: String,
    pub at: i64,
    /// The customer's message this decided, if a message did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub reason: Reason,
    pub state: ContactState,
}

impl ContactStateRecord {
    /// The bot handed the conversation to a person with this decision about a customer's
    /// message (a rule asked for one, or a reply is not set up yet): it paused itself here,
    /// where a message that came while already paused only records the pause.
    pub fn handed_over(&self) -> bool {
        self.message_id.is_some()
            && !matches!(self.reason, Reason::Paused { .. })
            && self.state.paused_until.is_some_and(|until| until > self.at)
    }

    /// A person took the conversation over (`Some(true)`) or gave it back (`Some(false)`).
    pub fn takeover(&self) -> Option<bool> {
        match self.reason {
            Reason::Takeover { until } => Some(until.is_some()),
            _ => None,
        }
    }
}

/// `conversation_read`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationRead {
    pub conversation: String,
    pub at: i64,
    /// The username, or `token:NAME`.
    #[serde(default)]
    pub by: String,
}

/// The fields that place any line of the log, whatever its kind: read when the whole record
/// cannot be (a kind from a newer Cocolu, or a shape an older one wrote), so that the line
/// still lands in its conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub conversation: Option<String>,
    #[serde(default)]
    pub at: Option<i64>,
}

impl Envelope {
    /// The envelope of a line; `None` when it is not a JSON object with these fields.
    pub fn read(line: &[u8]) -> Option<Envelope> {
        serde_json::from_slice(line).ok()
    }
}

impl LogRecord {
    /// The conversation the record belongs to, if any.
    pub fn conversation(&self) -> Option<&str> {
        match self {
            LogRecord::MessageIn(r) => Some(&r.conversation),
            LogRecord::Status(r) => r.conversation.as_deref(),
            LogRecord::ChannelError(_) | LogRecord::Unknown => None,
            LogRecord::Unreadable(r) => r.conversation.as_deref(),
            LogRecord::MessageOut(r) => Some(&r.conversation),
            LogRecord::MessageOutSent(r) => Some(&r.conversation),
            LogRecord::MessageOutFailed(r) => Some(&r.conversation),
            LogRecord::MediaStored(r) => Some(&r.conversation),
            LogRecord::MediaFailed(r) => Some(&r.conversation),
            LogRecord::ContactState(r) => Some(&r.conversation),
            LogRecord::ConversationRead(r) => Some(&r.conversation),
        }
    }

    /// When it happened (ms since the epoch), if the record says.
    pub fn at(&self) -> Option<i64> {
        match self {
            LogRecord::MessageIn(r) => Some(r.at),
            LogRecord::Status(r) => Some(r.at),
            LogRecord::ChannelError(r) => Some(r.at),
            LogRecord::Unreadable(r) => Some(r.at),
            LogRecord::MessageOut(r) => Some(r.at),
            LogRecord::MessageOutSent(r) => Some(r.at),
            LogRecord::MessageOutFailed(r) => Some(r.at),
            LogRecord::MediaStored(r) => Some(r.at),
            LogRecord::MediaFailed(r) => Some(r.at),
            LogRecord::ContactState(r) => Some(r.at),
            LogRecord::ConversationRead(r) => Some(r.at),
            LogRecord::Unknown => None,
        }
    }

    /// The line as written to the log (JSON, without the newline).
    pub fn to_line(&self) -> Vec<u8> {
        // Plain data with string keys: serializing to JSON cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a line of the log; `None` when it is not a JSON object with a `kind` this build
    /// can read (a record of an unknown kind is `Some(Unknown)`).
    pub fn from_line(line: &[u8]) -> Option<LogRecord> {
        serde_json::from_slice(line).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn every_kind() -> Vec<LogRecord> {
        let contact = ContactRef {
            wa_id: Some("584121234567".into()),
            name: Some("Ana".into()),
            ..ContactRef::default()
        };
        vec![
            LogRecord::MessageIn(MessageIn {
                conversation: "584121234567".into(),
                id: "wamid.1".into(),
                at: 1,
                received_at: 2,
                contact: contact.clone(),
                message_type: "text".into(),
                text: Some("hola".into()),
                choice_id: None,
                stale: false,
                phone_number_id: Some("PNID".into()),
                message: serde_json::json!({"type": "text", "text": {"body": "hola"}}),
            }),
            LogRecord::Status(StatusRecord {
                conversation: Some("584121234567".into()),
                message_id: "wamid.2".into(),
                status: "read".into(),
                at: 3,
                errors: Vec::new(),
                failure: None,
                raw: serde_json::json!({"status": "read"}),
            }),
            LogRecord::ChannelError(ChannelErrorRecord {
                at: 4,
                code: Some(131_000),
                raw: serde_json::json!({"code": 131_000}),
            }),
            LogRecord::Unreadable(Unreadable {
                conversation: None,
                at: 5,
                part: "message".into(),
                reason: "its id is not a string".into(),
                phone_number_id: None,
                raw: serde_json::json!({"id": 7}),
            }),
            LogRecord::MessageOut(MessageOut {
                conversation: "584121234567".into(),
                outbox: "o1".into(),
                at: 6,
                to: contact,
                origin: Origin::Bot {
                    rule: Some("precios".into()),
                },
                text: "Nuestros precios".into(),
                message: Outbound::Text {
                    body: "Nuestros precios".into(),
                },
            }),
            LogRecord::MessageOutSent(MessageOutSent {
                conversation: "584121234567".into(),
                outbox: "o1".into(),
                at: 7,
                message_id: "wamid.3".into(),
            }),
            LogRecord::MessageOutFailed(MessageOutFailed {
                conversation: "584121234567".into(),
                outbox: "o2".into(),
                at: 8,
                error: SendError::local(Failure::OutsideWindow, "window closed"),
            }),
            LogRecord::MediaStored(MediaStored {
                conversation: "584121234567".into(),
                message_id: "wamid.4".into(),
                media_id: "M1".into(),
                file: "M1.jpg".into(),
                mime_type: "image/jpeg".into(),
                size: 10,
                at: 9,
            }),
            LogRecord::MediaFailed(MediaFailed {
                conversation: "584121234567".into(),
                message_id: "wamid.5".into(),
                media_id: "M2".into(),
                reason: "too large".into(),
                at: 10,
            }),
            LogRecord::ContactState(ContactStateRecord {
                conversation: "584121234567".into(),
                at: 11,
                message_id: Some("wamid.1".into()),
                reason: Reason::Welcome,
                state: ContactState::default(),
            }),
            LogRecord::ConversationRead(ConversationRead {
                conversation: "584121234567".into(),
                at: 12,
                by: "ana".into(),
            }),
        ]
    }

    #[test]
    fn every_kind_reads_back_as_written_with_its_envelope() {
        for record in every_kind() {
            let line = record.to_line();
            let json: Value = serde_json::from_slice(&line).expect("JSON");
            assert!(json["kind"].is_string(), "{json}");
            assert_eq!(
                json.get("at").and_then(Value::as_i64),
                record.at(),
                "{json}"
            );
            assert_eq!(
                json.get("conversation").and_then(Value::as_str),
                record.conversation(),
                "{json}"
            );
            assert_eq!(LogRecord::from_line(&line), Some(record));
        }
    }

    #[test]
    fn a_kind_from_a_newer_cocolu_reads_as_unknown() {
        let line = br#"{"kind":"order_placed","conversation":"c","at":5,"items":[1,2]}"#;
        assert_eq!(LogRecord::from_line(line), Some(LogRecord::Unknown));
        assert_eq!(LogRecord::from_line(b"not json"), None);
        assert_eq!(LogRecord::from_line(br#"{"conversation":"c"}"#), None);
    }

    #[test]
    fn any_line_of_another_shape_is_placed_by_its_envelope() {
        let line = br#"{"kind":"order_placed","conversation":"c","at":5,"items":[1,2]}"#;
        assert_eq!(
            Envelope::read(line),
            Some(Envelope {
                conversation: Some("c".into()),
                at: Some(5),
            })
        );
        assert_eq!(Envelope::read(br#"{"at":"now"}"#), None);
        assert_eq!(Envelope::read(b"[1]"), None);
    }

    #[test]
    fn the_fields_a_message_written_by_an_earlier_version_lacks_take_their_defaults() {
        let line = br#"{"kind":"message_in","conversation":"c","id":"w1","at":3600000,"contact":{"wa_id":"58412","name":"Ana"}}"#;
        let Some(LogRecord::MessageIn(message)) = LogRecord::from_line(line) else {
            panic!("a message");
        };
        assert_eq!(message.contact.name.as_deref(), Some("Ana"));
        assert_eq!(message.received_at, 0);
        assert!(message.message.is_null());
    }

    proptest! {
        #[test]
        fn any_line_is_read_or_refused_without_panicking(line in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = LogRecord::from_line(&line);
        }

        #[test]
        fn any_text_in_a_message_survives_the_log(text in ".{0,200}", id in "[a-zA-Z0-9._=-]{1,40}") {
            let record = LogRecord::MessageIn(MessageIn {
                conversation: "c".into(),
                id,
                at: 1,
                received_at: 1,
                contact: ContactRef::default(),
                message_type: "text".into(),
                text: Some(text),
                choice_id: None,
                stale: false,
                phone_number_id: None,
                message: Value::Null,
            });
            prop_assert_eq!(LogRecord::from_line(&record.to_line()), Some(record));
        }
    }
}
