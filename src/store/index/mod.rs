//! The message index: what the server must know of the log without reading it, each concern
//! in its own part, each applying a [`LogRecord`] as it is appended:
//!
//! - [`places`]: where each conversation's records are, and what the inbox shows of it;
//! - [`seen`]: the message ids of the last days (to recognise redeliveries);
//! - [`pending`]: sends without an outcome and messages the bot has not decided;
//! - [`stats`]: counts per hour, response times and rules per day;
//! - [`states`]: the engine's latest memory of each contact;
//! - [`recent`]: the newest records of busy conversations, in memory.
//!
//! A line that is not a record this build can read whole (a kind from a newer Cocolu, or a
//! shape an older one wrote) is still placed in its conversation by its envelope
//! (`conversation`, `at`).
//!
//! Start-up does not replay the history: the index is checkpointed to `log/index.bin`
//! ([`checkpoint`], a derived file: when it is missing, unreadable or from another version it
//! is rebuilt from the log), and only the records after the checkpoint are read.

mod checkpoint;
pub mod pending;
pub mod places;
pub mod recent;
pub mod seen;
pub mod states;
pub mod stats;

use super::log::{Log, Position};
pub use checkpoint::{checkpoint_path, load, save, IndexLoad};
pub use cocolu_core::api::stats::HourCounts;
use cocolu_core::log::{Envelope, LogRecord};
use pending::{oldest_first, Pending};
pub use places::Conversation;
use places::Places;
use recent::Recent;
use seen::SeenIds;
use serde::{Deserialize, Serialize};
use states::ContactStates;
use stats::Stats;
pub use stats::{floor_to, DayFacts, RESPONSE_BUCKETS_MS};
use std::io;
use std::sync::Arc;

/// A record's place in compact form: 8 bytes per indexed record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Slot {
    pub segment: u32,
    pub offset: u32,
}

impl From<Position> for Slot {
    fn from(p: Position) -> Slot {
        // Segments are sealed at 32 MiB, so offsets fit 32 bits.
        Slot {
            segment: p.segment,
            offset: p.offset as u32,
        }
    }
}

/// Where a record is, whose it is and when (its `at`, else the index's clock).
#[derive(Clone, Debug)]
pub struct Stamp {
    pub slot: Slot,
    pub conversation: Option<String>,
    pub at: i64,
}

/// The index of the log's records.
#[derive(Default)]
pub struct MessageIndex {
    places: Places,
    seen: SeenIds,
    pending: Pending,
    stats: Stats,
    states: ContactStates,
    recent: Recent,
    /// The last record included.
    covered: Option<Position>,
    /// The index's clock: the newest `at` seen.
    newest_at: i64,
}

/// A line as the index reads it: the record when this build reads it whole, else only its
/// envelope. Reading is done before the index's lock is taken (see [`MessageIndex::apply_read`]).
#[derive(Clone, Debug)]
pub struct ReadLine {
    record: Option<LogRecord>,
    conversation: Option<String>,
    at: Option<i64>,
}

impl ReadLine {
    /// The conversation the line belongs to, if it names one.
    pub fn conversation(&self) -> Option<&str> {
        self.conversation.as_deref()
    }

    /// Reads a line; `None` when it is not a JSON object at all (it is then not indexed).
    pub fn of(line: &[u8]) -> Option<ReadLine> {
        match LogRecord::from_line(line).filter(|r| !matches!(r, LogRecord::Unknown)) {
            Some(record) => Some(ReadLine {
                conversation: record.conversation().map(str::to_string),
                at: record.at(),
                record: Some(record),
            }),
            None => Envelope::read(line).map(|envelope| ReadLine {
                record: None,
                conversation: envelope.conversation,
                at: envelope.at,
            }),
        }
    }
}

impl MessageIndex {
    /// Adds one record (its line as stored) at `position`.
    pub fn apply(&mut self, position: Position, line: &[u8]) {
        self.apply_read(position, line, ReadLine::of(line));
    }

    /// Adds one record already read with [`ReadLine::of`].
    pub fn apply_read(&mut self, position: Position, line: &[u8], read: Option<ReadLine>) {
        // Concurrent appenders may report their batches out of log order.
        self.covered = self.covered.max(Some(position));
        let Some(ReadLine {
            record,
            conversation,
            at,
        }) = read
        else {
            return;
        };
        let at = at.unwrap_or(self.newest_at);
        self.newest_at = self.newest_at.max(at);
        self.seen.tick(self.newest_at);
        self.pending.tick(self.newest_at);
        let stamp = Stamp {
            slot: position.into(),
            conversation,
            at,
        };
        if let Some(record) = &record {
            if let LogRecord::MessageIn(message) = record {
                // Remembered from when it was stored, not from when it was sent: a message
                // sent long ago is still recognised when Meta redelivers it.
                self.seen.remember(&message.id, self.newest_at);
            }
            self.pending.apply(stamp.slot, record);
            let last_in_at = stamp
                .conversation
                .as_deref()
                .and_then(|key| self.places.conversations.get(key))
                .map_or(0, |c| c.last_in_at);
            self.stats.apply(&stamp, record, last_in_at);
        }
        self.places.apply(&stamp, record.as_ref());
        let Some(key) = stamp.conversation.as_deref() else {
            return;
        };
        if let Some(LogRecord::ContactState(_)) = record {
            self.states.keep(key, line);
            return;
        }
        let places = &self.places;
        self.recent.remember(key, line, |k| {
            places.conversations.get(k).map_or(i64::MIN, |c| c.last_at)
        });
    }

    /// Hourly counts from `from` (inclusive) to `to` (exclusive), ms since the epoch.
    pub fn hours(&self, from: i64, to: i64) -> Vec<(i64, HourCounts)> {
        self.stats.hours(from, to)
    }

    /// Response times and rules of the days from `from` to `to` (ms since the epoch).
    pub fn days(&self, from: i64, to: i64) -> impl Iterator<Item = (&i64, &DayFacts)> {
        self.stats.days(from, to)
    }

    /// Every conversation: (key, what the index knows).
    pub fn conversations(&self) -> impl Iterator<Item = (&str, &Conversation)> {
        self.places.conversations.iter().map(|(k, c)| (&**k, c))
    }

    /// Forgets message ids older than the dedupe window (at start; while running, as the
    /// index's clock moves).
    pub fn prune_ids(&mut self) {
        self.seen.prune(self.newest_at);
    }

    /// Whether a message id was already stored (within the dedupe window).
    pub fn has_id(&self, id: &str) -> bool {
        self.seen.contains(id)
    }

    /// The last record included.
    pub fn covered(&self) -> Option<Position> {
        self.covered
    }

    /// Number of conversations.
    pub fn conversation_count(&self) -> usize {
        self.places.conversations.len()
    }

    /// Number of indexed records.
    pub fn record_count(&self) -> usize {
        self.places.record_count()
    }

    /// Outgoing messages not yet sent or failed, oldest first: (outbox id, record).
    pub fn pending_outbox(&self) -> Vec<(String, Slot)> {
        oldest_first(&self.pending.outbox)
    }

    /// Customers' messages the bot has not decided yet, oldest first: (message id, (record,
    /// when the customer sent it)).
    pub fn undecided(&self) -> Vec<(String, (Slot, i64))> {
        oldest_first(&self.pending.undecided)
    }

    /// Forgets an undecided message that will never be decided (too old to answer, or for
    /// another business number).
    pub fn forget_undecided(&mut self, id: &str) {
        self.pending.undecided.remove(id);
    }

    /// Whether an outgoing message still waits for its outcome (`false` once it has one, or
    /// once its customer was erased).
    pub fn awaits_outcome(&self, outbox: &str) -> bool {
        self.pending.outbox.contains_key(outbox)
    }

    /// Whether a customer's message still waits for the bot (`false` once decided, or once
    /// its customer was erased).
    pub fn awaits_decision(&self, id: &str) -> bool {
        self.pending.undecided.contains_key(id)
    }

    /// How many outgoing messages are not yet sent or failed.
    pub fn pending_outbox_count(&self) -> usize {
        self.pending.outbox.len()
    }

    /// The latest `contact_state` record of a conversation.
    pub fn contact_state(&self, key: &str) -> Option<Arc<[u8]>> {
        self.states.get(key)
    }

    /// Reads the record in `slot` (blocking).
    pub fn read(&self, log: &Log, slot: Slot) -> io::Result<Vec<u8>> {
        log.read_line(slot.segment, u64::from(slot.offset))
    }

    /// What the index knows about a conversation.
    pub fn conversation(&self, key: &str) -> Option<&Conversation> {
        self.places.conversations.get(key)
    }

    /// The newest records of a conversation, up to `limit`, oldest first: from memory when
    /// they are cached, else read from disk.
    pub fn latest(&self, log: &Log, key: &str, limit: usize) -> io::Result<Vec<Arc<[u8]>>> {
        if let Some(recent) = self.recent.of(key) {
            let total = self.conversation(key).map_or(0, |c| c.slots.len());
            if recent.len() >= limit.min(total) {
                return Ok(recent
                    .iter()
                    .skip(recent.len().saturating_sub(limit))
                    .cloned()
                    .collect());
            }
        }
        self.before(log, key, None, limit)
    }

    /// Up to `limit` records of a conversation older than `before` (all when `None`), oldest
    /// first, read from disk.
    pub fn before(
        &self,
        log: &Log,
        key: &str,
        before: Option<Slot>,
        limit: usize,
    ) -> io::Result<Vec<Arc<[u8]>>> {
        let Some(conversation) = self.conversation(key) else {
            return Ok(Vec::new());
        };
        let end = match before {
            Some(slot) => conversation.slots.partition_point(|s| *s < slot),
            None => conversation.slots.len(),
        };
        let start = end.saturating_sub(limit);
        conversation.slots[start..end]
            .iter()
            .map(|slot| {
                log.read_line(slot.segment, u64::from(slot.offset))
                    .map(Arc::from)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
