//! `/api/activity`: what happened lately, newest first, naming the customer (the overview's
//! feed). Read from the log, so it is the same after a reload or a restart.

use serde::{Deserialize, Serialize};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    /// The customer wrote.
    Received,
    /// The bot or a person answered (the message is queued or sent).
    Replied,
    /// A message could not be sent.
    Failed,
    /// A person took the conversation over: the bot is paused.
    TakenOver,
    /// The conversation went back to the bot.
    GivenBack,
    /// The bot handed the conversation to a person (the customer asked for one, or a reply
    /// is not set up yet) and is paused until someone answers.
    NeedsPerson,
}

/// One line of the feed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ActivityItem {
    /// Stable across reads (a message's or outbox's id, or the conversation and time).
    pub key: String,
    /// When (ms since the epoch).
    pub at: i64,
    pub kind: ActivityKind,
    pub conversation: String,
    /// The customer: their name, else their number or username.
    pub who: String,
    /// What was said, shortened, when it was a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The person who answered or took over (none for the bot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// `GET /api/activity?limit=N`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ActivityQuery {
    /// How many lines (default 20, at most 100).
    pub limit: Option<usize>,
}

/// `GET /api/unread`: how many conversations have customer messages no person has read (the
/// tab's title shows it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Unread {
    pub conversations: usize,
}
