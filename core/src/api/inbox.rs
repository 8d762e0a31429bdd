//! `/api/conversations`: the inbox list, a conversation's contact, takeover, reading and
//! manual replies.

use crate::contact::ContactRef;
use crate::engine::decide::ContactState;
use crate::outbound::Outbound;
use serde::{Deserialize, Serialize};

/// WhatsApp's customer service window: free-form replies within 24 hours of the customer's
/// last message.
pub const WINDOW_MS: i64 = 24 * 3600 * 1000;

/// Which conversations a list shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Filter {
    /// Every conversation.
    #[default]
    All,
    /// The customer wrote since a person last read the conversation.
    Unread,
    /// A person took over: the bot is paused.
    Paused,
    /// The customer asked for no automatic messages.
    OptedOut,
}

/// Who wrote a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The customer.
    #[default]
    In,
    /// The bot or a person.
    Out,
}

/// The newest message of a conversation, as a line of text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LastMessage {
    pub direction: Direction,
    /// `text`, `image`, `audio`, `buttons`...
    pub kind: String,
    /// The text, or the message type in brackets (`[image]`).
    pub text: String,
    pub at: i64,
}

/// One conversation in the inbox list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Summary {
    pub conversation: String,
    /// Who the customer is, as their latest message said.
    pub contact: Option<ContactRef>,
    /// Newest record (ms since the epoch).
    pub last_at: i64,
    /// The customer's newest message (ms), if any.
    pub last_in_at: Option<i64>,
    /// The customer wrote since a person last read the conversation.
    pub unread: bool,
    /// Within 24 hours of the customer's last message: free-form replies are allowed.
    pub window_open: bool,
    /// The bot is paused for this customer until then (a person took over).
    pub paused_until: Option<i64>,
    pub opted_out: bool,
    pub labels: Vec<String>,
    pub last_message: Option<LastMessage>,
    /// With a search: the newest message of this conversation whose text has every word
    /// (at most 160 characters of it), when the match was in the messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

impl Summary {
    /// The name to show: the customer's, else their number or username, else the id.
    pub fn title(&self) -> String {
        self.contact
            .as_ref()
            .and_then(ContactRef::shown_name)
            .unwrap_or_else(|| self.conversation.clone())
    }
}

/// A page of conversations, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ConversationPage {
    pub conversations: Vec<Summary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// `POST .../takeover`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TakeoverRequest {
    /// `true`: a person takes over for the quiet time; `false`: the bot answers again.
    pub paused: bool,
}

/// Where the takeover stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TakeoverState {
    pub paused_until: Option<i64>,
}

/// `GET .../state`: the contact's state, and whether the channel in use lets people write at
/// any time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ContactView {
    #[serde(flatten)]
    pub state: ContactState,
    /// The channel in use has no 24-hour window (WhatsApp Web): free-form replies are
    /// allowed however long ago the customer wrote.
    #[serde(default)]
    pub always_open: bool,
    /// The channel in use sends files attached in the dashboard (Meta's Cloud API, which
    /// takes the upload; WhatsApp Web does not).
    #[serde(default)]
    pub sends_files: bool,
}

impl ContactView {
    /// Free-form replies are allowed at `now` (the customer wrote in the last 24 hours, or
    /// the channel has no such limit).
    pub fn window_open(&self, now: i64) -> bool {
        self.always_open || self.state.last_in_at.is_some_and(|at| now - at < WINDOW_MS)
    }

    /// The bot is paused for this contact at `now`.
    pub fn paused(&self, now: i64) -> bool {
        self.state.paused_until.is_some_and(|until| until > now)
    }
}

/// `POST .../read[?typing=true]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReadRequest {
    /// Also show the customer that a reply is being typed (until it is sent, or 25 s).
    #[serde(default)]
    pub typing: bool,
}

/// The message marked read on WhatsApp.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MarkedRead {
    pub message_id: String,
}

/// `POST .../messages`: a manual reply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ReplyRequest {
    pub message: Outbound,
}

/// A reply logged durably, to be sent as the limits allow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Queued {
    pub outbox: String,
}

/// A file attached in the dashboard, stored and ready to send as an
/// [`Outbound::Attachment`] (its `kind`, `file` and `filename` go into the message).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Uploaded {
    /// Its name in the data folder's `media/` (also `GET /api/media/{file without extension}`).
    pub file: String,
    pub kind: crate::media_types::AttachmentKind,
    pub mime_type: String,
    /// In bytes.
    pub size: u64,
    /// The name the customer sees on a document, as it was attached.
    pub filename: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_24_hours_from_the_customers_last_message() {
        let view = |last_in_at, always_open| ContactView {
            state: ContactState {
                last_in_at,
                ..ContactState::default()
            },
            always_open,
            sends_files: !always_open,
        };
        assert!(view(Some(1_000), false).window_open(1_000 + WINDOW_MS - 1));
        assert!(!view(Some(1_000), false).window_open(1_000 + WINDOW_MS));
        assert!(!ContactView::default().window_open(0));
        assert!(
            view(None, true).window_open(1_000 + 10 * WINDOW_MS),
            "WhatsApp Web"
        );
    }
}
