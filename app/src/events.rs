//! The events the server pushes over `/ws`, shared by the server (which sends them) and the
//! dashboard (which reads them). JSON, tagged by `type`.

use serde::{Deserialize, Serialize};

/// One event on the dashboard's WebSocket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
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
    /// Meta reported an error about the account or the webhook.
    ChannelError {
        code: Option<i64>,
        message: Option<String>,
    },
}

/// A problem in a hand-edited file, placed where the person editing it can find it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileProblem {
    /// The file, relative to its folder (`settings.json`, `templates/bienvenida.txt`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong, for a person.
    pub message: String,
    /// The JSON pointer of the value at fault (`/rules/2/when/text`), when a check of the
    /// document's meaning found it (forms put the message beside that field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}
