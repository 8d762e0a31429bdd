//! Work the log holds that is not done yet: messages to send without an outcome, and
//! customers' messages the bot has not decided. Both are almost always short lists; what a
//! crash or a refusing disk leaves in them is finished at the next start.

use super::seen::{DEDUPE_WINDOW_MS, PRUNE_EVERY_MS};
use super::Slot;
use cocolu_core::log::LogRecord;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Unfinished work, by id, with the record that holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// `message_out` records without a `message_out_sent` or `message_out_failed`: outbox id
    /// → its record.
    pub outbox: HashMap<Box<str>, Slot>,
    /// `message_in` records no `contact_state` names yet: message id → its record and when
    /// the customer sent it (so that a start lets the stale ones go without reading them).
    /// Those older than [`DEDUPE_WINDOW_MS`] (far past any staleness limit) are let go as the
    /// index's clock moves: a log whose messages were never decided (written before decisions
    /// named their message) does not keep them all.
    pub undecided: HashMap<Box<str>, (Slot, i64)>,
    /// The index's clock when old undecided messages were last let go.
    pruned_at: i64,
}

impl Pending {
    /// Lets go of undecided messages past the window, each time an hour of the index's clock
    /// has passed.
    pub fn tick(&mut self, now: i64) {
        if now - self.pruned_at >= PRUNE_EVERY_MS {
            let cutoff = now - DEDUPE_WINDOW_MS;
            self.undecided.retain(|_, (_, at)| *at >= cutoff);
            self.pruned_at = now;
        }
    }

    pub fn apply(&mut self, slot: Slot, record: &LogRecord) {
        match record {
            LogRecord::MessageOut(out) => {
                self.outbox.insert(Box::from(out.outbox.as_str()), slot);
            }
            LogRecord::MessageOutSent(sent) => {
                self.outbox.remove(sent.outbox.as_str());
            }
            LogRecord::MessageOutFailed(failed) => {
                self.outbox.remove(failed.outbox.as_str());
            }
            LogRecord::MessageIn(message) => {
                self.undecided
                    .insert(Box::from(message.id.as_str()), (slot, message.at));
            }
            LogRecord::ContactState(state) => {
                if let Some(id) = &state.message_id {
                    self.undecided.remove(id.as_str());
                }
            }
            _ => {}
        }
    }
}

/// Ids and what the index keeps of them, oldest (first in the log) first.
pub fn oldest_first<T: Copy + Ord>(entries: &HashMap<Box<str>, T>) -> Vec<(String, T)> {
    let mut list: Vec<(String, T)> = entries.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    list.sort_by_key(|(_, entry)| *entry);
    list
}
