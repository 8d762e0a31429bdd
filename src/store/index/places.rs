//! Where each conversation's records are in the log, and what the inbox shows of it without
//! reading them: when the newest message and the customer's newest message came, when a person
//! last read it, and who the customer is.

use super::{Slot, Stamp};
use cocolu_core::contact::ContactRef;
use cocolu_core::log::LogRecord;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What the index knows about one conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// Every record, oldest first.
    pub slots: Vec<Slot>,
    /// Time of the newest message, the customer's or the shop's (ms since the epoch): the
    /// inbox's order. Reads, delivery receipts and the like do not move it; a conversation
    /// with no message yet takes the time of its first record.
    pub last_at: i64,
    /// Time of the customer's newest message: the 24-hour window runs from it (0: never).
    pub last_in_at: i64,
    /// When a person last read the conversation (0: never); newer customer messages are
    /// unread.
    pub last_read_at: i64,
    /// Time of the newest message, failure or decision of the bot (a takeover, a handover):
    /// the activity feed's order.
    pub activity_at: i64,
    /// The customer as their latest message described them (JSON: `user_id`, `wa_id`,
    /// `name`, `username`): kept as text, which is smaller than the fields apart.
    pub contact: Option<Box<str>>,
}

/// The conversations, by key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Places {
    pub conversations: HashMap<Box<str>, Conversation>,
}

impl Places {
    /// Places a record in its conversation. A `contact_state` is not placed: it is the
    /// engine's memory, kept apart ([`super::states`]), not a message of the conversation.
    pub fn apply(&mut self, stamp: &Stamp, record: Option<&LogRecord>) {
        let Some(key) = stamp.conversation.as_deref() else {
            return;
        };
        let conversation = self.conversations.entry(Box::from(key)).or_default();
        match record {
            Some(LogRecord::MessageIn(message)) => {
                conversation.last_in_at = conversation.last_in_at.max(stamp.at);
                if message.contact != ContactRef::default() {
                    conversation.contact =
                        serde_json::to_string(&message.contact).ok().map(Box::from);
                }
            }
            Some(LogRecord::ConversationRead(_)) => {
                conversation.last_read_at = conversation.last_read_at.max(stamp.at);
            }
            Some(LogRecord::ContactState(state)) => {
                // Only what the feed shows moves it: a takeover or a handover.
                if state.takeover().is_some() || state.handed_over() {
                    conversation.activity_at = conversation.activity_at.max(stamp.at);
                }
                return;
            }
            _ => {}
        }
        let slot = stamp.slot;
        match conversation.slots.last() {
            // Concurrent appenders may report their batches out of log order.
            Some(last) if *last > slot => {
                let at = conversation.slots.partition_point(|s| *s < slot);
                conversation.slots.insert(at, slot);
            }
            _ => conversation.slots.push(slot),
        }
        let message = matches!(
            record,
            Some(LogRecord::MessageIn(_) | LogRecord::MessageOut(_))
        );
        if message || conversation.last_at == 0 {
            conversation.last_at = conversation.last_at.max(stamp.at);
        }
        if message || matches!(record, Some(LogRecord::MessageOutFailed(_))) {
            conversation.activity_at = conversation.activity_at.max(stamp.at);
        }
    }

    /// Number of placed records.
    pub fn record_count(&self) -> usize {
        self.conversations.values().map(|c| c.slots.len()).sum()
    }
}
