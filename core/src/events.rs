//! The events the server pushes over `/ws`, shared by the server (which sends them) and the
//! dashboard (which reads them). JSON, tagged by `type`.

use crate::document::FileProblem;
use crate::model::LinkState;
use serde::{Deserialize, Serialize};

/// Declares [`ServerEvent`] and, from the same list, a reader of each event's fields: the
/// browser reads the `type` first and then only that event's fields, which keeps serde's
/// buffering of internally tagged enums (a third of the live view's code) out of the bundle.
macro_rules! events {
    ($($(#[$meta:meta])* $variant:ident { $($(#[$field_meta:meta])* $field:ident: $ty:ty),* $(,)? }),* $(,)?) => {
        /// One event on the dashboard's WebSocket.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        pub enum ServerEvent {
            $($(#[$meta])* $variant { $($(#[$field_meta])* $field: $ty),* }),*
        }

        /// Each event's `type`.
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Kind {
            $($variant),*
        }

        /// Each event's fields, read once its `type` is known (other keys are skipped).
        #[allow(non_snake_case)]
        mod fields {
            use super::*;
            $(
                #[derive(Deserialize)]
                pub(super) struct $variant {
                    $(pub(super) $field: $ty),*
                }
            )*
        }

        impl ServerEvent {
            /// Reads an event as the derived `Deserialize` does (same names, same errors), in
            /// two passes: the `type`, then that event's fields.
            pub fn from_json(text: &str) -> Result<ServerEvent, serde_json::Error> {
                #[derive(Deserialize)]
                struct Tagged {
                    #[serde(rename = "type")]
                    kind: Kind,
                }
                let Tagged { kind } = serde_json::from_str(text)?;
                Ok(match kind {
                    $(Kind::$variant => {
                        let fields::$variant { $($field),* } = serde_json::from_str(text)?;
                        ServerEvent::$variant { $($field),* }
                    })*
                })
            }
        }
    };
}

events! {
    /// First event of every connection.
    Hello {
        /// The server's version.
        version: String,
        /// Seconds between heartbeats, so a client can tell a dead connection.
        heartbeat_secs: u64,
    },
    /// Sent every `heartbeat_secs`.
    Heartbeat {
        /// Seconds since the server started.
        uptime_secs: u64,
    },
    /// A hand-edited file (`settings.json`, `rules.json`, a template) was reloaded and its new
    /// version is in force; also sent when a broken or deleted file is back to a good state.
    FileReloaded {
        /// The file, relative to its folder (`settings.json`, `templates/bienvenida.txt`).
        file: String,
    },
    /// A hand edit was rejected; the last good version stays in force.
    FileError {
        file: String,
        problems: Vec<FileProblem>,
    },
    /// A hand-editable file was deleted; the last good version stays in force until it is
    /// saved again.
    FileMissing { file: String },
    /// A customer's message was stored.
    MessageReceived {
        /// The conversation (the customer's business-scoped id, else phone number).
        conversation: String,
        /// The channel's message id.
        id: String,
        /// `text`, `image`, `audio`, ...
        kind: String,
        /// What a person would read, when the message has text.
        text: Option<String>,
        /// When the customer sent it (ms since the epoch).
        at: i64,
    },
    /// A message we sent changed status (`sent`, `delivered`, `read`, `failed`).
    MessageStatus {
        message_id: String,
        status: String,
        at: i64,
    },
    /// A reply was queued in the outbox (durably); it goes out as the limits allow.
    MessageQueued {
        conversation: String,
        outbox: String,
        text: String,
    },
    /// A reply reached Meta, which gave it this id (statuses attach to it).
    MessageSent {
        conversation: String,
        outbox: String,
        message_id: String,
    },
    /// A reply could not be sent and will not be retried.
    MessageFailed {
        conversation: String,
        outbox: String,
        code: Option<i64>,
        reason: String,
        /// Outside the 24-hour window: only an approved template can reach the customer.
        needs_template: bool,
    },
    /// A conversation changed other than by a message: read by a person, contact edited.
    ConversationUpdated { conversation: String },
    /// A person took a conversation over (the bot pauses until `paused_until`) or gave it back
    /// (`None`).
    TakeoverChanged {
        conversation: String,
        paused_until: Option<i64>,
    },
    /// The bot handed a conversation to a person (the customer asked for one, or a reply is
    /// not set up yet) and stays quiet until `paused_until` or until someone answers.
    NeedsPerson {
        conversation: String,
        paused_until: i64,
    },
    /// Today's counts, sent when they change (at most every few seconds).
    StatsTick {
        /// Customers' messages stored since midnight (the shop's time zone).
        received: u64,
        /// Replies queued by the bot and by people since midnight.
        bot_replies: u64,
        agent_replies: u64,
        /// Messages given up on since midnight.
        failed: u64,
        /// Replies waiting in the outbox now.
        pending: u64,
    },
    /// The WhatsApp Web channel's link changed: pairing (with the QR code to show), connected,
    /// dropped, logged out.
    LinkChanged { link: LinkState },
    /// Meta reported an error about the account or the webhook.
    ChannelError {
        code: Option<i64>,
        message: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_event() -> Vec<ServerEvent> {
        let problem = FileProblem {
            file: "rules.json".into(),
            line: 3,
            column: 7,
            message: "expected `,`".into(),
            fault: Some(
                crate::fault::Fault::Syntax {
                    problem: crate::fault::Syntax::ExpectedComma,
                    detail: "expected `,`".into(),
                }
                .into(),
            ),
            pointer: Some("/rules/0".into()),
        };
        vec![
            ServerEvent::Hello {
                version: "1.0".into(),
                heartbeat_secs: 30,
            },
            ServerEvent::Heartbeat { uptime_secs: 9 },
            ServerEvent::FileReloaded {
                file: "settings.json".into(),
            },
            ServerEvent::FileError {
                file: "rules.json".into(),
                problems: vec![problem],
            },
            ServerEvent::FileMissing {
                file: "templates/menu.txt".into(),
            },
            ServerEvent::MessageReceived {
                conversation: "c".into(),
                id: "wamid.1".into(),
                kind: "text".into(),
                text: Some("hola".into()),
                at: 1,
            },
            ServerEvent::MessageReceived {
                conversation: "c".into(),
                id: "wamid.2".into(),
                kind: "image".into(),
                text: None,
                at: 2,
            },
            ServerEvent::MessageStatus {
                message_id: "wamid.3".into(),
                status: "read".into(),
                at: 3,
            },
            ServerEvent::MessageQueued {
                conversation: "c".into(),
                outbox: "o1".into(),
                text: "¡Hola!".into(),
            },
            ServerEvent::MessageSent {
                conversation: "c".into(),
                outbox: "o1".into(),
                message_id: "wamid.4".into(),
            },
            ServerEvent::MessageFailed {
                conversation: "c".into(),
                outbox: "o2".into(),
                code: Some(131047),
                reason: "window".into(),
                needs_template: true,
            },
            ServerEvent::ConversationUpdated {
                conversation: "c".into(),
            },
            ServerEvent::TakeoverChanged {
                conversation: "c".into(),
                paused_until: Some(5),
            },
            ServerEvent::TakeoverChanged {
                conversation: "c".into(),
                paused_until: None,
            },
            ServerEvent::StatsTick {
                received: 1,
                bot_replies: 2,
                agent_replies: 3,
                failed: 4,
                pending: 5,
            },
            ServerEvent::ChannelError {
                code: None,
                message: Some("token expired".into()),
            },
            ServerEvent::LinkChanged {
                link: LinkState::Pairing {
                    qr: Some("2@abc,def".into()),
                    code: None,
                    expires_at: 60_000,
                },
            },
            ServerEvent::LinkChanged {
                link: LinkState::Connected {
                    number: Some("584121234567".into()),
                },
            },
            ServerEvent::LinkChanged {
                link: LinkState::Disconnected {
                    reason: "stream ended".into(),
                    since: 5,
                },
            },
            ServerEvent::LinkChanged {
                link: LinkState::Connecting,
            },
            ServerEvent::NeedsPerson {
                conversation: "c".into(),
                paused_until: 5,
            },
            ServerEvent::LinkChanged {
                link: LinkState::LoggedOut {
                    reason: "unlinked from the phone".into(),
                },
            },
        ]
    }

    #[test]
    fn every_event_reads_back_as_written() {
        for event in every_event() {
            let json = serde_json::to_string(&event).expect("serializes");
            let back: ServerEvent = serde_json::from_str(&json).expect(&json);
            assert_eq!(back, event, "{json}");
            assert_eq!(ServerEvent::from_json(&json).expect(&json), event, "{json}");
        }
    }

    #[test]
    fn a_missing_field_or_an_unknown_type_is_refused_by_name() {
        let derived = |text: &str| serde_json::from_str::<ServerEvent>(text);
        for read in [derived, ServerEvent::from_json] {
            let missing = read(r#"{"type":"message_sent","conversation":"c","outbox":"o"}"#)
                .expect_err("message_id is required");
            assert!(missing.to_string().contains("message_id"), "{missing}");
            let unknown = read(r#"{"type":"party"}"#).expect_err("unknown type");
            assert!(unknown.to_string().contains("party"), "{unknown}");
            let untyped = read(r#"{"file":"x"}"#).expect_err("no type");
            assert!(untyped.to_string().contains("type"), "{untyped}");
            let mistyped =
                read(r#"{"type":"message_status","message_id":"m","status":"read","at":"now"}"#)
                    .expect_err("at is a number");
            assert!(mistyped.to_string().contains("invalid type"), "{mistyped}");
            // Optional fields may be null or absent alike.
            let null =
                read(r#"{"type":"takeover_changed","conversation":"c","paused_until":null}"#)
                    .expect("null is none");
            assert_eq!(
                null,
                ServerEvent::TakeoverChanged {
                    conversation: "c".into(),
                    paused_until: None
                }
            );
        }
    }
}
