//! Work the log holds that is not done yet: messages to send without an outcome, and
//! customers' messages the bot has not decided. Both are almost always short lists; what a
//! crash or a refusing disk leaves in them is finished at the next start.

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
    /// `message_in` records no `contact_state` names yet: message id → its record.
    pub undecided: HashMap<Box<str>, Slot>,
}

impl Pending {
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
                self.undecided.insert(Box::from(message.id.as_str()), slot);
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

/// Ids and the records they name, oldest (first in the log) first.
pub fn oldest_first(slots: &HashMap<Box<str>, Slot>) -> Vec<(String, Slot)> {
    let mut list: Vec<(String, Slot)> = slots.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    list.sort_by_key(|(_, slot)| *slot);
    list
}
