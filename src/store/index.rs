//! The message index: for each conversation, where its records are in the log, plus the
//! message ids of the last days (to recognise redeliveries) and a small cache of the most
//! recent records. Older records are read from disk on demand.
//!
//! Every log record is a JSON object; the index reads only three envelope fields:
//! `conversation` (which conversation it belongs to), `id` (a message id, for duplicates) and
//! `at` (milliseconds since the Unix epoch). Records without `conversation` are not indexed.
//!
//! Start-up does not replay the history: the index is checkpointed to `log/index.bin` (a
//! derived file: when it is missing or unreadable it is rebuilt from the log), and only the
//! records after the checkpoint are read.

use super::atomic::write_atomic;
use super::log::{Log, Position};
pub use cocolu_core::api::stats::HourCounts;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Message ids are remembered this long (Meta redelivers for up to seven days).
pub const DEDUPE_WINDOW_MS: i64 = 8 * 24 * 3600 * 1000;
/// While running, ids past the window are forgotten each time the index's clock has moved this
/// far: the set stays within the window plus this much, and the pass over it costs nothing
/// noticeable once an hour.
const PRUNE_IDS_EVERY_MS: i64 = HOUR_MS;
/// Recent records kept in memory per conversation.
pub const RECENT_PER_CONVERSATION: usize = 20;
/// Total bytes of recent records kept in memory.
pub const RECENT_BUDGET_BYTES: usize = 4 * 1024 * 1024;
const CHECKPOINT_FILE: &str = "index.bin";
const MAGIC: &[u8; 8] = b"CCLIDX7\n";

/// The envelope fields the index reads.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    conversation: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(default)]
    at: Option<i64>,
    #[serde(borrow, default)]
    kind: Option<Cow<'a, str>>,
    /// The outbox id of an outgoing message and of its outcome.
    #[serde(borrow, default)]
    outbox: Option<Cow<'a, str>>,
    /// The customer's message a `contact_state` record decided.
    #[serde(borrow, default)]
    message_id: Option<Cow<'a, str>>,
    /// Who the customer is (on their messages).
    #[serde(borrow, default)]
    contact: Option<Lenient<ContactEnvelope<'a>>>,
    /// Who asked for an outgoing message.
    #[serde(borrow, default)]
    origin: Option<Lenient<OriginEnvelope<'a>>>,
    /// Why the bot acted (on `contact_state` records; a text on others).
    #[serde(borrow, default)]
    reason: Option<Lenient<ReasonEnvelope<'a>>>,
    /// Why a send failed (on `message_out_failed`).
    #[serde(borrow, default)]
    error: Option<Lenient<ErrorEnvelope<'a>>>,
}

#[derive(Deserialize)]
struct ErrorEnvelope<'a> {
    #[serde(borrow, default)]
    failure: Option<Cow<'a, str>>,
}

/// A field read when it has the expected shape and ignored otherwise: an unexpected field
/// never keeps a record out of the index.
#[derive(Deserialize)]
#[serde(untagged)]
enum Lenient<T> {
    Known(T),
    Other(serde::de::IgnoredAny),
}

impl<T> Lenient<T> {
    fn known(&self) -> Option<&T> {
        match self {
            Lenient::Known(value) => Some(value),
            Lenient::Other(_) => None,
        }
    }
}

#[derive(Deserialize)]
struct ReasonEnvelope<'a> {
    #[serde(borrow, default)]
    because: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
}

/// Upper bounds (ms) of the response-time buckets: 1 s, 2 s, 5 s ... 24 h.
pub const RESPONSE_BUCKETS_MS: [i64; 17] = [
    1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
    1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 86_400_000,
];

/// What happened on one day (UTC) beyond the hourly counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayFacts {
    /// First answers by the bot to a customer's message, by response-time bucket.
    pub bot_responses: [u32; RESPONSE_BUCKETS_MS.len()],
    /// First answers by a person, by response-time bucket.
    pub people_responses: [u32; RESPONSE_BUCKETS_MS.len()],
    /// Bot decisions made by each rule.
    pub rules: std::collections::BTreeMap<Box<str>, u32>,
}

const DAY_MS: i64 = 24 * HOUR_MS;

/// Adds a response time to its bucket; answers after a day are not first responses.
fn record_response(buckets: &mut [u32; RESPONSE_BUCKETS_MS.len()], elapsed: i64) {
    if let Some(i) = RESPONSE_BUCKETS_MS
        .iter()
        .position(|upper| elapsed <= *upper)
    {
        buckets[i] += 1;
    }
}

/// The customer's names and numbers, as their messages carry them.
#[derive(Deserialize, serde::Serialize)]
struct ContactEnvelope<'a> {
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    user_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    wa_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    username: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct OriginEnvelope<'a> {
    #[serde(borrow, default)]
    by: Option<Cow<'a, str>>,
}

const HOUR_MS: i64 = 3600 * 1000;

/// The start of the `step`-long bucket that holds `at` (ms); saturates at the ends of `i64`
/// instead of overflowing, since times read from records or requests can be anything.
pub fn floor_to(at: i64, step: i64) -> i64 {
    at.div_euclid(step).saturating_mul(step)
}

/// A record's place in compact form: 8 bytes per indexed record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
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

/// What the index knows about one conversation.
#[derive(Clone, Debug, Default)]
pub struct Conversation {
    /// Every record, oldest first.
    pub slots: Vec<Slot>,
    /// Time of the newest record (ms since the epoch).
    pub last_at: i64,
    /// Time of the customer's newest message: the 24-hour window runs from it (0: never).
    pub last_in_at: i64,
    /// When a person last read the conversation (0: never); newer customer messages are
    /// unread.
    pub last_read_at: i64,
    /// The customer as their latest message described them (JSON: `user_id`, `wa_id`,
    /// `name`, `username`).
    pub contact: Option<Box<str>>,
    /// The customer's oldest message not yet answered by the bot (0: none).
    pub awaiting_bot: i64,
    /// The customer's oldest message not yet answered by a person, within a day (0: none).
    pub awaiting_person: i64,
}

/// A stable 64-bit hash of a message id (the same across restarts and builds).
fn id_hash(id: &str) -> u64 {
    // FNV-1a: tiny and stable; ids come from Meta, not from an attacker choosing collisions
    // in a way that could do more than make one message look like a duplicate of another.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The index of the log's records.
#[derive(Default)]
pub struct MessageIndex {
    conversations: HashMap<Box<str>, Conversation>,
    /// Message id hashes → when they were stored (the index's clock then).
    ids: HashMap<u64, i64>,
    /// The index's clock (`newest_at`) when ids were last pruned.
    ids_pruned_at: i64,
    recent: HashMap<Box<str>, VecDeque<Arc<[u8]>>>,
    recent_bytes: usize,
    /// Outgoing messages logged but not yet sent or failed: outbox id → its record.
    pending_outbox: HashMap<Box<str>, Slot>,
    /// Customers' messages stored but not yet decided by the bot: message id → its record.
    /// Almost always empty: a message is decided within milliseconds of being stored; what a
    /// crash or a refusing disk leaves here is decided at the next start.
    undecided: HashMap<Box<str>, Slot>,
    /// The latest `contact_state` record of each conversation (the engine's memory).
    contact_states: HashMap<Box<str>, Arc<[u8]>>,
    /// The last record included.
    covered: Option<Position>,
    newest_at: i64,
    /// Counts per hour (start of the hour, ms since the epoch, UTC).
    hours: std::collections::BTreeMap<i64, HourCounts>,
    /// Response times and rules per day (start of the day, ms since the epoch, UTC).
    days: std::collections::BTreeMap<i64, DayFacts>,
}

impl MessageIndex {
    /// Adds one record (its bytes as stored) at `position`.
    pub fn apply(&mut self, position: Position, bytes: &[u8]) {
        // Concurrent appenders may report their batches out of log order.
        self.covered = self.covered.max(Some(position));
        let Ok(envelope) = serde_json::from_slice::<Envelope>(bytes) else {
            return;
        };
        let at = envelope.at.unwrap_or(self.newest_at);
        self.newest_at = self.newest_at.max(at);
        if let Some(id) = envelope.id.as_deref() {
            // Remembered from when it was stored, not from when it was sent: a message sent
            // long ago (or without a timestamp) is still recognised when Meta redelivers it.
            self.ids.insert(id_hash(id), self.newest_at);
        }
        if self.newest_at - self.ids_pruned_at >= PRUNE_IDS_EVERY_MS {
            self.prune_ids();
        }
        let kind = envelope.kind.as_deref().unwrap_or("");
        if let Some(outbox) = envelope.outbox.as_deref() {
            match kind {
                "message_out" => {
                    self.pending_outbox
                        .insert(Box::from(outbox), position.into());
                }
                "message_out_sent" | "message_out_failed" => {
                    self.pending_outbox.remove(outbox);
                }
                _ => {}
            }
        }
        match (kind, envelope.id.as_deref(), envelope.message_id.as_deref()) {
            ("message_in", Some(id), _) => {
                self.undecided.insert(Box::from(id), position.into());
            }
            ("contact_state", _, Some(id)) => {
                self.undecided.remove(id);
            }
            _ => {}
        }
        self.count(kind, at, &envelope);
        let Some(key) = envelope.conversation.as_deref() else {
            return;
        };
        let conversation = self.conversations.entry(Box::from(key)).or_default();
        let hour = floor_to(at, HOUR_MS);
        let day = floor_to(at, DAY_MS);
        match kind {
            "message_in" => {
                let first = conversation.last_in_at == 0;
                let counts = self.hours.entry(hour).or_default();
                if first {
                    counts.new_contacts += 1;
                }
                if first || floor_to(conversation.last_in_at, DAY_MS) != day {
                    counts.active_contacts += 1;
                }
                if conversation.awaiting_bot == 0 {
                    conversation.awaiting_bot = at;
                }
                if conversation.awaiting_person == 0
                    || at.saturating_sub(conversation.awaiting_person) > DAY_MS
                {
                    conversation.awaiting_person = at;
                }
            }
            "message_out" => {
                let by_person = envelope
                    .origin
                    .as_ref()
                    .and_then(Lenient::known)
                    .and_then(|o| o.by.as_deref())
                    == Some("agent");
                let waiting = if by_person {
                    &mut conversation.awaiting_person
                } else {
                    &mut conversation.awaiting_bot
                };
                if *waiting > 0 {
                    let since = *waiting;
                    let facts = self.days.entry(floor_to(since, DAY_MS)).or_default();
                    let buckets = if by_person {
                        &mut facts.people_responses
                    } else {
                        &mut facts.bot_responses
                    };
                    record_response(buckets, at.saturating_sub(since));
                    *waiting = 0;
                }
            }
            "contact_state" => {
                if let Some(ReasonEnvelope {
                    because: Some(because),
                    id: Some(rule),
                }) = envelope.reason.as_ref().and_then(Lenient::known)
                {
                    if because == "rule" {
                        *self
                            .days
                            .entry(day)
                            .or_default()
                            .rules
                            .entry(Box::from(rule.as_ref()))
                            .or_default() += 1;
                    }
                }
            }
            _ => {}
        }
        if kind == "message_in" {
            conversation.last_in_at = conversation.last_in_at.max(at);
            if let Some(contact) = envelope.contact.as_ref().and_then(Lenient::known) {
                conversation.contact = serde_json::to_string(contact).ok().map(Box::from);
            }
        }
        if kind == "conversation_read" {
            conversation.last_read_at = conversation.last_read_at.max(at);
        }
        if kind == "contact_state" {
            self.contact_states.insert(Box::from(key), Arc::from(bytes));
            return;
        }
        let slot = Slot::from(position);
        match conversation.slots.last() {
            Some(last) if *last > slot => {
                let at = conversation.slots.partition_point(|s| *s < slot);
                conversation.slots.insert(at, slot);
            }
            _ => conversation.slots.push(slot),
        }
        conversation.last_at = conversation.last_at.max(at);
        self.remember_recent(key, bytes);
    }

    /// Adds a record to the hourly counts.
    fn count(&mut self, kind: &str, at: i64, envelope: &Envelope) {
        let hour = floor_to(at, HOUR_MS);
        let counter = match kind {
            "message_in" => |c: &mut HourCounts| c.received += 1,
            "message_out" => {
                let by = envelope
                    .origin
                    .as_ref()
                    .and_then(Lenient::known)
                    .and_then(|o| o.by.as_deref());
                if by == Some("agent") {
                    |c: &mut HourCounts| c.agent_replies += 1
                } else {
                    |c: &mut HourCounts| c.bot_replies += 1
                }
            }
            "message_out_sent" => |c: &mut HourCounts| c.sent += 1,
            "message_out_failed" => {
                let failure = envelope
                    .error
                    .as_ref()
                    .and_then(Lenient::known)
                    .and_then(|e| e.failure.as_deref());
                if failure == Some("outside_window") {
                    |c: &mut HourCounts| {
                        c.failed += 1;
                        c.outside_window += 1;
                    }
                } else {
                    |c: &mut HourCounts| c.failed += 1
                }
            }
            _ => return,
        };
        counter(self.hours.entry(hour).or_default());
    }

    /// Hourly counts from `from` (inclusive) to `to` (exclusive), ms since the epoch.
    pub fn hours(&self, from: i64, to: i64) -> Vec<(i64, HourCounts)> {
        let from = floor_to(from, HOUR_MS);
        if from >= to {
            return Vec::new();
        }
        self.hours
            .range(from..to)
            .map(|(hour, counts)| (*hour, *counts))
            .collect()
    }

    /// Response times and rules of the days from `from` to `to` (ms since the epoch).
    pub fn days(&self, from: i64, to: i64) -> impl Iterator<Item = (&i64, &DayFacts)> {
        let from = floor_to(from, DAY_MS);
        // An empty range instead of one that starts after it ends (which would panic).
        self.days.range(from..to.max(from))
    }

    /// Every conversation: (key, what the index knows).
    pub fn conversations(&self) -> impl Iterator<Item = (&str, &Conversation)> {
        self.conversations.iter().map(|(k, c)| (&**k, c))
    }

    fn remember_recent(&mut self, key: &str, bytes: &[u8]) {
        let list = self.recent.entry(Box::from(key)).or_default();
        list.push_back(Arc::from(bytes));
        self.recent_bytes += bytes.len();
        if list.len() > RECENT_PER_CONVERSATION {
            if let Some(old) = list.pop_front() {
                self.recent_bytes -= old.len();
            }
        }
        if self.recent_bytes > RECENT_BUDGET_BYTES {
            self.evict_quietest();
        }
    }

    /// Drops the caches of the quietest conversations until a quarter of the budget is free
    /// (in one pass, so a long replay does not pay for an eviction per record).
    fn evict_quietest(&mut self) {
        let mut by_quiet: Vec<(i64, Box<str>)> = self
            .recent
            .keys()
            .map(|k| {
                (
                    self.conversations.get(k).map_or(i64::MIN, |c| c.last_at),
                    k.clone(),
                )
            })
            .collect();
        by_quiet.sort_unstable();
        for (_, key) in by_quiet {
            if self.recent_bytes <= RECENT_BUDGET_BYTES / 4 * 3 {
                break;
            }
            if let Some(list) = self.recent.remove(&key) {
                self.recent_bytes -= list.iter().map(|r| r.len()).sum::<usize>();
            }
        }
    }

    /// Forgets message ids older than the dedupe window (at start, and while running from
    /// [`MessageIndex::apply`]).
    pub fn prune_ids(&mut self) {
        let cutoff = self.newest_at - DEDUPE_WINDOW_MS;
        self.ids.retain(|_, at| *at >= cutoff);
        self.ids_pruned_at = self.newest_at;
    }

    /// Whether a message id was already stored (within the dedupe window).
    pub fn has_id(&self, id: &str) -> bool {
        self.ids.contains_key(&id_hash(id))
    }

    /// The last record included.
    pub fn covered(&self) -> Option<Position> {
        self.covered
    }

    /// Number of conversations.
    pub fn conversation_count(&self) -> usize {
        self.conversations.len()
    }

    /// Number of indexed records.
    pub fn record_count(&self) -> usize {
        self.conversations.values().map(|c| c.slots.len()).sum()
    }

    /// Outgoing messages not yet sent or failed, oldest first: (outbox id, record).
    pub fn pending_outbox(&self) -> Vec<(String, Slot)> {
        oldest_first(&self.pending_outbox)
    }

    /// Customers' messages the bot has not decided yet, oldest first: (message id, record).
    pub fn undecided(&self) -> Vec<(String, Slot)> {
        oldest_first(&self.undecided)
    }

    /// Forgets an undecided message that will never be decided (too old to answer, or for
    /// another business number).
    pub fn forget_undecided(&mut self, id: &str) {
        self.undecided.remove(id);
    }

    /// How many outgoing messages are not yet sent or failed.
    pub fn pending_outbox_count(&self) -> usize {
        self.pending_outbox.len()
    }

    /// The latest `contact_state` record of a conversation.
    pub fn contact_state(&self, key: &str) -> Option<Arc<[u8]>> {
        self.contact_states.get(key).cloned()
    }

    /// Reads the record in `slot` (blocking).
    pub fn read(&self, log: &Log, slot: Slot) -> io::Result<Vec<u8>> {
        log.read_line(slot.segment, u64::from(slot.offset))
    }

    /// What the index knows about a conversation.
    pub fn conversation(&self, key: &str) -> Option<&Conversation> {
        self.conversations.get(key)
    }

    /// The newest records of a conversation, up to `limit`, oldest first: from memory when
    /// they are cached, else read from disk.
    pub fn latest(&self, log: &Log, key: &str, limit: usize) -> io::Result<Vec<Arc<[u8]>>> {
        if let Some(recent) = self.recent.get(key) {
            let total = self.conversations.get(key).map_or(0, |c| c.slots.len());
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
        let Some(conversation) = self.conversations.get(key) else {
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

    /// Serializes the index for the checkpoint.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.record_count() * 8);
        out.extend_from_slice(MAGIC);
        let covered = self.covered.unwrap_or(Position {
            segment: 0,
            offset: 0,
            len: 0,
        });
        out.extend_from_slice(&covered.segment.to_le_bytes());
        out.extend_from_slice(&covered.offset.to_le_bytes());
        out.extend_from_slice(&covered.len.to_le_bytes());
        out.push(u8::from(self.covered.is_some()));
        out.extend_from_slice(&self.newest_at.to_le_bytes());
        out.extend_from_slice(&(self.conversations.len() as u64).to_le_bytes());
        for (key, conversation) in &self.conversations {
            out.extend_from_slice(&(key.len() as u32).to_le_bytes());
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(&conversation.last_at.to_le_bytes());
            out.extend_from_slice(&conversation.last_in_at.to_le_bytes());
            out.extend_from_slice(&conversation.last_read_at.to_le_bytes());
            out.extend_from_slice(&conversation.awaiting_bot.to_le_bytes());
            out.extend_from_slice(&conversation.awaiting_person.to_le_bytes());
            let contact = conversation.contact.as_deref().unwrap_or("");
            out.extend_from_slice(&(contact.len() as u32).to_le_bytes());
            out.extend_from_slice(contact.as_bytes());
            out.extend_from_slice(&(conversation.slots.len() as u64).to_le_bytes());
            for slot in &conversation.slots {
                out.extend_from_slice(&slot.segment.to_le_bytes());
                out.extend_from_slice(&slot.offset.to_le_bytes());
            }
        }
        out.extend_from_slice(&(self.ids.len() as u64).to_le_bytes());
        for (hash, at) in &self.ids {
            out.extend_from_slice(&hash.to_le_bytes());
            out.extend_from_slice(&at.to_le_bytes());
        }
        out.extend_from_slice(&(self.contact_states.len() as u64).to_le_bytes());
        for (key, bytes) in &self.contact_states {
            out.extend_from_slice(&(key.len() as u32).to_le_bytes());
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            out.extend_from_slice(bytes);
        }
        encode_slots(&self.pending_outbox, &mut out);
        encode_slots(&self.undecided, &mut out);
        out.extend_from_slice(&(self.hours.len() as u64).to_le_bytes());
        for (hour, c) in &self.hours {
            out.extend_from_slice(&hour.to_le_bytes());
            for n in [
                c.received,
                c.bot_replies,
                c.agent_replies,
                c.sent,
                c.failed,
                c.outside_window,
                c.new_contacts,
                c.active_contacts,
            ] {
                out.extend_from_slice(&n.to_le_bytes());
            }
        }
        out.extend_from_slice(&(self.days.len() as u64).to_le_bytes());
        for (day, facts) in &self.days {
            out.extend_from_slice(&day.to_le_bytes());
            for n in facts.bot_responses.iter().chain(&facts.people_responses) {
                out.extend_from_slice(&n.to_le_bytes());
            }
            out.extend_from_slice(&(facts.rules.len() as u32).to_le_bytes());
            for (rule, n) in &facts.rules {
                out.extend_from_slice(&(rule.len() as u32).to_le_bytes());
                out.extend_from_slice(rule.as_bytes());
                out.extend_from_slice(&n.to_le_bytes());
            }
        }
        out
    }

    /// Reads a checkpoint; `None` when it is not one this build wrote.
    fn decode(bytes: &[u8]) -> Option<MessageIndex> {
        let mut reader = Reader {
            bytes: bytes.strip_prefix(MAGIC.as_slice())?,
        };
        let covered = Position {
            segment: reader.u32()?,
            offset: reader.u64()?,
            len: reader.u32()?,
        };
        let has_covered = reader.u8()? == 1;
        let mut index = MessageIndex {
            covered: has_covered.then_some(covered),
            newest_at: reader.i64()?,
            ..MessageIndex::default()
        };
        for _ in 0..reader.u64()? {
            let len = reader.u32()? as usize;
            let key = std::str::from_utf8(reader.take(len)?).ok()?;
            let last_at = reader.i64()?;
            let last_in_at = reader.i64()?;
            let last_read_at = reader.i64()?;
            let awaiting_bot = reader.i64()?;
            let awaiting_person = reader.i64()?;
            let len = reader.u32()? as usize;
            let contact = std::str::from_utf8(reader.take(len)?).ok()?;
            let contact = (!contact.is_empty()).then(|| Box::from(contact));
            let count = reader.u64()? as usize;
            let mut slots = Vec::with_capacity(count.min(bytes.len() / 8));
            for _ in 0..count {
                slots.push(Slot {
                    segment: reader.u32()?,
                    offset: reader.u32()?,
                });
            }
            index.conversations.insert(
                Box::from(key),
                Conversation {
                    slots,
                    last_at,
                    last_in_at,
                    last_read_at,
                    contact,
                    awaiting_bot,
                    awaiting_person,
                },
            );
        }
        for _ in 0..reader.u64()? {
            let hash = reader.u64()?;
            let at = reader.i64()?;
            index.ids.insert(hash, at);
        }
        for _ in 0..reader.u64()? {
            let len = reader.u32()? as usize;
            let key = std::str::from_utf8(reader.take(len)?).ok()?;
            let len = reader.u32()? as usize;
            let bytes = reader.take(len)?;
            index
                .contact_states
                .insert(Box::from(key), Arc::from(bytes));
        }
        index.pending_outbox = reader.slots()?;
        index.undecided = reader.slots()?;
        for _ in 0..reader.u64()? {
            let hour = reader.i64()?;
            let counts = HourCounts {
                received: reader.u32()?,
                bot_replies: reader.u32()?,
                agent_replies: reader.u32()?,
                sent: reader.u32()?,
                failed: reader.u32()?,
                outside_window: reader.u32()?,
                new_contacts: reader.u32()?,
                active_contacts: reader.u32()?,
            };
            index.hours.insert(hour, counts);
        }
        for _ in 0..reader.u64()? {
            let day = reader.i64()?;
            let mut facts = DayFacts::default();
            for n in facts
                .bot_responses
                .iter_mut()
                .chain(facts.people_responses.iter_mut())
            {
                *n = reader.u32()?;
            }
            for _ in 0..reader.u32()? {
                let len = reader.u32()? as usize;
                let rule = std::str::from_utf8(reader.take(len)?).ok()?;
                facts.rules.insert(Box::from(rule), reader.u32()?);
            }
            index.days.insert(day, facts);
        }
        reader.bytes.is_empty().then_some(index)
    }
}

/// Ids and the records they name, oldest (first in the log) first.
fn oldest_first(slots: &HashMap<Box<str>, Slot>) -> Vec<(String, Slot)> {
    let mut list: Vec<(String, Slot)> = slots.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    list.sort_by_key(|(_, slot)| *slot);
    list
}

/// Writes ids and their records' places for the checkpoint ([`Reader::slots`] reads them).
fn encode_slots(slots: &HashMap<Box<str>, Slot>, out: &mut Vec<u8>) {
    out.extend_from_slice(&(slots.len() as u64).to_le_bytes());
    for (id, slot) in slots {
        out.extend_from_slice(&(id.len() as u32).to_le_bytes());
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&slot.segment.to_le_bytes());
        out.extend_from_slice(&slot.offset.to_le_bytes());
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.bytes.split_at_checked(n)?;
        self.bytes = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    /// Ids and their records' places, as [`encode_slots`] wrote them.
    fn slots(&mut self) -> Option<HashMap<Box<str>, Slot>> {
        let mut slots = HashMap::new();
        for _ in 0..self.u64()? {
            let len = self.u32()? as usize;
            let id = std::str::from_utf8(self.take(len)?).ok()?;
            let slot = Slot {
                segment: self.u32()?,
                offset: self.u32()?,
            };
            slots.insert(Box::from(id), slot);
        }
        Some(slots)
    }
}

/// Path of the checkpoint inside the log folder.
pub fn checkpoint_path(log_dir: &Path) -> PathBuf {
    log_dir.join(CHECKPOINT_FILE)
}

/// What loading the index did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct IndexLoad {
    /// Whether a checkpoint was used (otherwise the index was rebuilt from the whole log).
    pub from_checkpoint: bool,
    /// Records read from the log after the checkpoint.
    pub replayed: u64,
}

/// Loads the index: the checkpoint, then the records after it. A checkpoint that does not
/// match the log (missing, unreadable, or ahead of it) is ignored and the index rebuilt.
pub fn load(log: &Log, log_dir: &Path) -> io::Result<(MessageIndex, IndexLoad)> {
    let checkpoint = std::fs::read(checkpoint_path(log_dir))
        .ok()
        .and_then(|b| MessageIndex::decode(&b));
    let end = log.segments().last().map(|s| (s.id, s.len));
    let usable = checkpoint.filter(|index| match (index.covered, end) {
        (None, _) => true,
        (Some(p), Some((id, len))) => {
            p.segment < id || (p.segment == id && p.offset + u64::from(p.len) < len)
        }
        (Some(_), None) => false,
    });
    let mut load = IndexLoad {
        from_checkpoint: usable.is_some(),
        replayed: 0,
    };
    let mut index = usable.unwrap_or_default();
    let from = index.covered;
    log.scan(from, |position, bytes| {
        index.apply(position, bytes);
        load.replayed += 1;
    })?;
    index.prune_ids();
    Ok((index, load))
}

/// Writes the checkpoint atomically.
pub fn save(index: &MessageIndex, log_dir: &Path) -> io::Result<()> {
    write_atomic(&checkpoint_path(log_dir), &index.encode(), 0o600)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::log::LogOptions;

    fn record(conversation: &str, id: usize, at: i64) -> Vec<u8> {
        format!(
            r#"{{"conversation":"{conversation}","id":"wamid.{id}","at":{at},"text":"hola {id}"}}"#
        )
        .into_bytes()
    }

    fn fill(log: &Log, count: usize) {
        let records = (0..count)
            .map(|i| record(&format!("c{}", i % 7), i, 1_000 + i as i64))
            .collect();
        log.append_blocking(records).expect("stored");
    }

    #[test]
    fn records_are_indexed_by_conversation_and_read_back_oldest_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");
        fill(&log, 100);

        let (index, load) = load(&log, dir.path()).expect("index");

        assert!(!load.from_checkpoint);
        assert_eq!(index.conversation_count(), 7);
        assert_eq!(index.record_count(), 100);
        assert!(index.has_id("wamid.42") && !index.has_id("wamid.100"));
        let latest = index.latest(&log, "c3", 3).expect("read");
        let expected: Vec<Vec<u8>> = [80, 87, 94]
            .iter()
            .map(|i| record("c3", *i, 1_000 + *i as i64))
            .collect();
        assert_eq!(
            latest.iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
            expected
        );
        let older = index
            .before(
                &log,
                "c3",
                Some(index.conversation("c3").expect("c3").slots[12]),
                2,
            )
            .expect("read");
        assert_eq!(
            older.iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
            vec![record("c3", 73, 1_073), record("c3", 80, 1_080)]
        );
    }

    #[test]
    fn a_checkpoint_spares_replaying_the_history() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");
        fill(&log, 100);
        let (index, _) = load(&log, dir.path()).expect("index");
        save(&index, dir.path()).expect("checkpoint");
        log.append_blocking(vec![record("c1", 500, 5_000)])
            .expect("stored");

        let (index, load) = load(&log, dir.path()).expect("index");

        assert_eq!(
            load,
            IndexLoad {
                from_checkpoint: true,
                replayed: 1
            }
        );
        assert_eq!(index.record_count(), 101);
        assert!(index.has_id("wamid.500") && index.has_id("wamid.3"));
    }

    #[test]
    fn contacts_reads_and_hourly_counts_survive_a_checkpoint() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");
        let hour = 3_600_000;
        log.append_blocking(vec![
            br#"{"kind":"message_in","conversation":"c","id":"w1","at":3600000,"contact":{"wa_id":"58412","name":"Ana"}}"#.to_vec(),
            br#"{"kind":"message_out","conversation":"c","outbox":"o1","at":3600001,"origin":{"by":"bot","rule":null}}"#.to_vec(),
            br#"{"kind":"message_out","conversation":"c","outbox":"o2","at":3600002,"origin":{"by":"agent","user":"ana"}}"#.to_vec(),
            br#"{"kind":"message_out_sent","conversation":"c","outbox":"o1","at":3600003}"#.to_vec(),
            br#"{"kind":"conversation_read","conversation":"c","at":3600004}"#.to_vec(),
            br#"{"kind":"contact_state","conversation":"c","at":3600005,"reason":{"because":"rule","id":"precios","matched":"precio"},"state":{}}"#.to_vec(),
            br#"{"kind":"message_in","conversation":"c","id":"w2","at":3700000,"contact":{"wa_id":"58412","name":"Ana"}}"#.to_vec(),
            br#"{"kind":"message_out","conversation":"c","outbox":"o3","at":3740000,"origin":{"by":"agent","user":"ana"}}"#.to_vec(),
            br#"{"kind":"message_out_failed","conversation":"c","outbox":"o2","at":7200000}"#.to_vec(),
        ])
        .expect("stored");
        let (index, _) = load(&log, dir.path()).expect("index");
        save(&index, dir.path()).expect("checkpoint");

        let (index, load) = load(&log, dir.path()).expect("index");

        assert!(load.from_checkpoint);
        let conversation = index.conversation("c").expect("c");
        assert_eq!(conversation.last_read_at, 3_600_004);
        assert_eq!(
            conversation.contact.as_deref(),
            Some(r#"{"wa_id":"58412","name":"Ana"}"#)
        );
        assert_eq!(
            index.hours(0, 3 * hour),
            vec![
                (
                    hour,
                    HourCounts {
                        received: 2,
                        bot_replies: 1,
                        agent_replies: 2,
                        sent: 1,
                        failed: 0,
                        outside_window: 0,
                        new_contacts: 1,
                        active_contacts: 1,
                    }
                ),
                (
                    2 * hour,
                    HourCounts {
                        failed: 1,
                        ..HourCounts::default()
                    }
                ),
            ]
        );
        let days: Vec<_> = index.days(0, 3 * hour).collect();
        assert_eq!(days.len(), 1);
        let facts = days[0].1;
        assert_eq!(facts.bot_responses[0], 1, "the bot answered in 1 ms");
        assert_eq!(facts.people_responses[0], 1, "a person answered in 2 ms");
        // The second message waited 40 s for a person (the 60 s bucket); the bot had answered
        // nothing since, so nothing more is counted for it.
        assert_eq!(facts.people_responses[6], 1);
        assert_eq!(facts.bot_responses.iter().sum::<u32>(), 1);
        assert_eq!(facts.rules.get("precios"), Some(&1));
    }

    #[test]
    fn a_record_whose_optional_fields_have_other_shapes_is_still_indexed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");
        log.append_blocking(vec![
            br#"{"kind":"media_failed","conversation":"c","at":1,"reason":"too large","contact":"x","origin":7}"#.to_vec(),
        ])
        .expect("stored");
        let (index, _) = load(&log, dir.path()).expect("index");
        assert_eq!(index.conversation("c").map(|c| c.slots.len()), Some(1));
    }

    #[test]
    fn a_damaged_or_foreign_checkpoint_is_ignored_and_the_index_rebuilt() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");
        fill(&log, 10);
        let (index, _) = load(&log, dir.path()).expect("index");
        let mut bytes = index.encode();
        bytes.truncate(bytes.len() - 3);
        std::fs::write(checkpoint_path(dir.path()), bytes).expect("damage");

        let (index, load) = load(&log, dir.path()).expect("index");

        assert!(!load.from_checkpoint);
        assert_eq!(index.record_count(), 10);
    }

    #[test]
    fn a_checkpoint_ahead_of_a_truncated_log_is_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");
        fill(&log, 10);
        let (index, _) = load(&log, dir.path()).expect("index");
        save(&index, dir.path()).expect("checkpoint");
        let segment = dir.path().join(log.segments()[0].file_name());
        drop(log);
        let len = std::fs::metadata(&segment).expect("meta").len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&segment)
            .expect("open")
            .set_len(len / 2)
            .expect("cut");
        let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");

        let (index, load) = load(&log, dir.path()).expect("index");

        assert!(!load.from_checkpoint);
        assert!(index.record_count() < 10);
    }

    #[test]
    fn outgoing_messages_stay_pending_until_sent_or_failed_across_a_checkpoint() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");
        let out = |kind: &str, outbox: &str| {
            format!(r#"{{"kind":"{kind}","conversation":"c","outbox":"{outbox}","at":5}}"#)
                .into_bytes()
        };
        log.append_blocking(vec![
            record("c", 1, 3),
            out("message_out", "o1"),
            out("message_out", "o2"),
            out("message_out", "o3"),
        ])
        .expect("stored");
        log.append_blocking(vec![
            out("message_out_sent", "o1"),
            out("message_out_failed", "o3"),
        ])
        .expect("stored");
        let (index, _) = load(&log, dir.path()).expect("index");
        save(&index, dir.path()).expect("checkpoint");

        let (index, from) = load(&log, dir.path()).expect("index");

        assert!(from.from_checkpoint);
        let pending = index.pending_outbox();
        assert_eq!(
            pending
                .iter()
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>(),
            vec!["o2"]
        );
        assert_eq!(
            index.read(&log, pending[0].1).expect("read"),
            out("message_out", "o2")
        );
        assert_eq!(
            index.conversation("c").expect("c").last_in_at,
            0,
            "no customer message in this conversation"
        );
    }

    #[test]
    fn customers_messages_stay_undecided_until_a_decision_names_them_across_a_checkpoint() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (log, _) = Log::open(dir.path(), LogOptions::default()).expect("log");
        let message = |id: &str| {
            format!(r#"{{"kind":"message_in","conversation":"c","id":"{id}","at":5}}"#).into_bytes()
        };
        let decided = |id: &str| {
            format!(r#"{{"kind":"contact_state","conversation":"c","message_id":"{id}","at":6,"state":{{}}}}"#)
                .into_bytes()
        };
        let edited = br#"{"kind":"contact_state","conversation":"c","at":7,"state":{}}"#.to_vec();
        log.append_blocking(vec![message("m1"), message("m2"), message("m3")])
            .expect("stored");
        log.append_blocking(vec![decided("m2"), edited])
            .expect("stored");
        let (index, _) = load(&log, dir.path()).expect("index");
        save(&index, dir.path()).expect("checkpoint");
        log.append_blocking(vec![message("m4"), decided("m1")])
            .expect("stored");

        let (mut index, from) = load(&log, dir.path()).expect("index");

        assert!(from.from_checkpoint);
        let ids = |index: &MessageIndex| -> Vec<String> {
            index.undecided().into_iter().map(|(id, _)| id).collect()
        };
        assert_eq!(ids(&index), ["m3", "m4"], "oldest first");
        let (_, slot) = index.undecided()[0].clone();
        assert_eq!(index.read(&log, slot).expect("read"), message("m3"));
        index.forget_undecided("m3");
        assert_eq!(ids(&index), ["m4"]);
    }

    #[test]
    fn old_message_ids_are_forgotten_after_the_window() {
        let mut index = MessageIndex::default();
        let p = |offset| Position {
            segment: 1,
            offset,
            len: 1,
        };
        index.apply(p(0), &record("c", 1, 0));
        index.apply(p(100), &record("c", 2, DEDUPE_WINDOW_MS + 10));
        index.prune_ids();
        assert!(!index.has_id("wamid.1"));
        assert!(index.has_id("wamid.2"));
    }

    #[test]
    fn message_ids_past_the_window_are_forgotten_while_running() {
        let mut index = MessageIndex::default();
        let hours = 20 * 24;
        for i in 0..hours {
            index.apply(
                Position {
                    segment: 1,
                    offset: i as u64 * 100,
                    len: 1,
                },
                &record("c", i, i as i64 * HOUR_MS),
            );
        }
        assert!(!index.has_id("wamid.0"), "twenty days old");
        assert!(index.has_id(&format!("wamid.{}", hours - 1)));
        let bound = (DEDUPE_WINDOW_MS + PRUNE_IDS_EVERY_MS) / HOUR_MS + 1;
        assert!(
            index.ids.len() as i64 <= bound,
            "{} ids kept, at most {bound} expected",
            index.ids.len()
        );
    }

    #[test]
    fn a_message_sent_long_ago_is_remembered_from_when_it_was_stored() {
        let mut index = MessageIndex::default();
        let p = |offset| Position {
            segment: 1,
            offset,
            len: 1,
        };
        let now = 3 * DEDUPE_WINDOW_MS;
        index.apply(p(0), &record("c", 1, now));
        index.apply(p(100), &record("c", 2, 0));
        index.apply(p(200), &record("c", 3, now + 2 * HOUR_MS));
        assert!(
            index.has_id("wamid.2"),
            "redelivered within the window of its arrival"
        );
    }

    #[test]
    fn recent_records_stay_within_their_budget() {
        let mut index = MessageIndex::default();
        let big = "x".repeat(10_000);
        for i in 0..2_000u64 {
            let bytes = format!(
                r#"{{"conversation":"c{}","at":{i},"text":"{big}"}}"#,
                i % 500
            )
            .into_bytes();
            index.apply(
                Position {
                    segment: 1,
                    offset: i * 10_100,
                    len: bytes.len() as u32,
                },
                &bytes,
            );
        }
        assert!(index.recent_bytes <= RECENT_BUDGET_BYTES);
        assert_eq!(index.record_count(), 2_000);
    }
}
