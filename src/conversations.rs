//! Reading conversations back from the log: who the customer is, their latest records, and
//! the inbox list (newest first, searchable, filtered, paged).

use crate::store::Store;
use cocolu_core::api::inbox::{
    ConversationPage, Direction, Filter, LastMessage, Summary, WINDOW_MS,
};
use cocolu_core::contact::ContactRef;
use cocolu_core::engine::decide::ContactState;
use cocolu_core::engine::text::normalize;
use cocolu_core::log::{ConversationRead, LogRecord, MessageIn};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;

/// How many recent records are searched for the customer's details.
const LOOKBACK: usize = 50;

/// The customer's latest message in a conversation, among the recent records (blocking).
fn latest_inbound(store: &Store, conversation: &str) -> Option<MessageIn> {
    let records = store
        .index
        .read()
        .latest(&store.log, conversation, LOOKBACK)
        .ok()?;
    records
        .iter()
        .rev()
        .find_map(|bytes| match LogRecord::from_line(bytes)? {
            LogRecord::MessageIn(message) => Some(message),
            _ => None,
        })
}

/// The customer of a conversation, as their latest message described them (blocking).
pub fn contact(store: &Store, conversation: &str) -> Option<ContactRef> {
    latest_inbound(store, conversation).map(|message| message.contact)
}

/// The id of the customer's latest message in a conversation (blocking).
pub fn latest_inbound_id(store: &Store, conversation: &str) -> Option<String> {
    latest_inbound(store, conversation).map(|message| message.id)
}

/// A page of a conversation's history: records oldest first, exactly as stored (a kind from a
/// newer build included), and the cursor of the older page when there is one (blocking).
pub fn history(
    store: &Store,
    conversation: &str,
    before: Option<&str>,
    limit: usize,
) -> Result<(Vec<Box<RawValue>>, Option<String>), String> {
    let before = match before {
        Some(cursor) => Some(parse_slot(cursor).ok_or("`before` is not a cursor this API gave")?),
        None => None,
    };
    let index = store.index.read();
    let Some(known) = index.conversation(conversation) else {
        return Ok((Vec::new(), None));
    };
    let end = before.map_or(known.slots.len(), |slot| {
        known.slots.partition_point(|s| *s < slot)
    });
    let records = match before {
        None => index.latest(&store.log, conversation, limit),
        Some(slot) => index.before(&store.log, conversation, Some(slot), limit),
    }
    .map_err(|e| e.to_string())?;
    let start = end.saturating_sub(records.len());
    let next = (start > 0).then(|| {
        let oldest = known.slots[start];
        format!("{}.{}", oldest.segment, oldest.offset)
    });
    drop(index);
    Ok((
        records
            .into_iter()
            .filter_map(|bytes| RawValue::from_string(String::from_utf8(bytes.to_vec()).ok()?).ok())
            .collect(),
        next,
    ))
}

fn parse_slot(cursor: &str) -> Option<crate::store::index::Slot> {
    let (segment, offset) = cursor.split_once('.')?;
    Some(crate::store::index::Slot {
        segment: segment.parse().ok()?,
        offset: offset.parse().ok()?,
    })
}

/// The latest `limit` records of a conversation, oldest first (blocking).
pub fn latest(store: &Store, conversation: &str, limit: usize) -> std::io::Result<Vec<LogRecord>> {
    let records = store.index.read().latest(&store.log, conversation, limit)?;
    Ok(records
        .iter()
        .filter_map(|bytes| LogRecord::from_line(bytes))
        .collect())
}

/// A page request: newest conversations first.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    /// Words that the customer's name, phone number, username or id contain.
    pub search: Option<String>,
    pub filter: Filter,
    /// Only contacts with this label.
    pub label: Option<String>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    pub limit: usize,
}

/// The cursor after `(last_at, key)`.
fn cursor_of(last_at: i64, key: &str) -> String {
    format!("{last_at}:{key}")
}

/// A cursor's position, or `None` when it is not one this API gave.
pub fn parse_cursor(cursor: &str) -> Option<(i64, String)> {
    let (at, key) = cursor.split_once(':')?;
    Some((at.parse().ok()?, key.to_string()))
}

struct Candidate {
    key: String,
    last_at: i64,
    last_in_at: i64,
    last_read_at: i64,
    /// As the index keeps it (JSON), parsed only for a search or a listed conversation.
    contact_json: Option<String>,
    state: ContactState,
}

impl Candidate {
    /// A conversation of the index, before its contact state is read.
    fn of(key: &str, c: &crate::store::index::Conversation) -> Candidate {
        Candidate {
            key: key.to_string(),
            last_at: c.last_at,
            last_in_at: c.last_in_at,
            last_read_at: c.last_read_at,
            contact_json: c.contact.as_deref().map(str::to_string),
            state: ContactState::default(),
        }
    }

    fn contact(&self) -> Option<ContactRef> {
        self.contact_json
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
    }
}

fn matches_search(candidate: &Candidate, words: &[String]) -> bool {
    let contact = candidate.contact().unwrap_or_default();
    let haystack = normalize(
        &[
            Some(candidate.key.as_str()),
            contact.name.as_deref(),
            contact.wa_id.as_deref(),
            contact.username.as_deref(),
            contact.user_id.as_deref(),
        ]
        .iter()
        .flatten()
        .copied()
        .collect::<Vec<_>>()
        .join(" "),
    );
    words.iter().all(|word| haystack.contains(word.as_str()))
}

fn passes(candidate: &Candidate, filter: Filter, now: i64) -> bool {
    match filter {
        Filter::All => true,
        Filter::Unread => candidate.last_in_at > candidate.last_read_at,
        Filter::Paused => candidate
            .state
            .paused_until
            .is_some_and(|until| until > now),
        Filter::OptedOut => candidate.state.opted_out,
    }
}

/// The newest message in or out among a conversation's latest records (blocking).
fn last_message(store: &Store, key: &str) -> Option<LastMessage> {
    let records = store.index.read().latest(&store.log, key, 8).ok()?;
    records.iter().rev().find_map(|bytes| {
        let (direction, kind, text, at) = match LogRecord::from_line(bytes)? {
            LogRecord::MessageIn(m) => (Direction::In, m.message_type, m.text, m.at),
            LogRecord::MessageOut(m) => (
                Direction::Out,
                m.message.kind().to_string(),
                Some(m.text),
                m.at,
            ),
            _ => return None,
        };
        let kind = if kind.is_empty() { "text".into() } else { kind };
        let text = text
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| format!("[{kind}]"));
        Some(LastMessage {
            direction,
            kind,
            text,
            at,
        })
    })
}

/// A page of conversations, newest first (blocking: reads the log for the last messages).
/// `windowed`: the channel in use limits free-form replies to 24 hours (Meta's does).
pub fn list(
    store: &Store,
    query: &ListQuery,
    now: i64,
    windowed: bool,
) -> Result<ConversationPage, String> {
    let after = match query.cursor.as_deref() {
        Some(cursor) => Some(
            parse_cursor(cursor).ok_or_else(|| "`cursor` is not one this API gave".to_string())?,
        ),
        None => None,
    };
    let words: Vec<String> = query
        .search
        .as_deref()
        .map(|s| {
            normalize(s)
                .split_whitespace()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut candidates: Vec<Candidate> = {
        let index = store.index.read();
        index
            .conversations()
            .filter(|(_, c)| !c.slots.is_empty())
            .map(|(key, c)| Candidate::of(key, c))
            .collect()
    };
    let mut found = if words.is_empty() {
        HashMap::new()
    } else {
        texts_with(store, &words)
    };
    if !words.is_empty() {
        // Found by name: shown as usual, not by one of its messages.
        candidates.retain(|c| {
            if matches_search(c, &words) {
                found.remove(&c.key);
                true
            } else {
                found.contains_key(&c.key)
            }
        });
    }
    candidates.sort_by(|a, b| b.last_at.cmp(&a.last_at).then_with(|| a.key.cmp(&b.key)));
    if let Some((at, key)) = &after {
        let start = candidates.partition_point(|c| {
            (std::cmp::Reverse(c.last_at), &c.key) <= (std::cmp::Reverse(*at), key)
        });
        candidates.drain(..start);
    }
    let limit = query.limit.max(1);
    let mut page = Vec::with_capacity(limit);
    let mut more = false;
    for mut candidate in candidates {
        candidate.state = crate::bot::contact_state(store, &candidate.key);
        if !passes(&candidate, query.filter, now)
            || query
                .label
                .as_ref()
                .is_some_and(|label| !candidate.state.labels.contains(label))
        {
            continue;
        }
        if page.len() == limit {
            more = true;
            break;
        }
        page.push(candidate);
    }
    let next_cursor = more
        .then(|| page.last().map(|c| cursor_of(c.last_at, &c.key)))
        .flatten();
    let conversations = page
        .into_iter()
        .map(|c| {
            let text = found.get(&c.key).cloned();
            Summary {
                found: text,
                ..summarize(store, c, now, windowed)
            }
        })
        .collect();
    Ok(ConversationPage {
        conversations,
        next_cursor,
    })
}

fn summarize(store: &Store, c: Candidate, now: i64, windowed: bool) -> Summary {
    Summary {
        last_message: last_message(store, &c.key),
        unread: c.last_in_at > c.last_read_at,
        window_open: !windowed || (c.last_in_at > 0 && now - c.last_in_at < WINDOW_MS),
        last_in_at: (c.last_in_at > 0).then_some(c.last_in_at),
        paused_until: c.state.paused_until.filter(|until| *until > now),
        opted_out: c.state.opted_out,
        labels: c.state.labels.iter().cloned().collect(),
        contact: c.contact(),
        conversation: c.key,
        last_at: c.last_at,
        found: None,
    }
}

/// What the search reads of a message line (`message_in` and `message_out` alike).
#[derive(serde::Deserialize)]
struct MessageText<'a> {
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    conversation: Cow<'a, str>,
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
}

/// Longest part of a found message a summary carries.
const FOUND_CHARS: usize = 160;

/// The newest message text of each conversation that has every word (normalized as the
/// search is), read from the whole log in one pass (blocking). Only the lines of messages in
/// and out are parsed.
fn texts_with(store: &Store, words: &[String]) -> HashMap<String, String> {
    let mut found = HashMap::new();
    let finder_in = memchr::memmem::Finder::new(b"\"message_in\"");
    let finder_out = memchr::memmem::Finder::new(b"\"message_out\"");
    let scanned = store.log.scan(None, |_, line| {
        if finder_in.find(line).is_none() && finder_out.find(line).is_none() {
            return;
        }
        // Only the two fields the search needs, borrowed from the line where JSON allows.
        let Ok(message) = serde_json::from_slice::<MessageText>(line) else {
            return;
        };
        if message.kind != "message_in" && message.kind != "message_out" {
            return;
        }
        let Some(text) = message.text.filter(|t| !t.is_empty()) else {
            return;
        };
        let normalized = normalize(&text);
        if words.iter().all(|word| normalized.contains(word.as_str())) {
            found.insert(
                message.conversation.into_owned(),
                text.chars().take(FOUND_CHARS).collect(),
            );
        }
    });
    if let Err(error) = scanned {
        tracing::warn!(%error, "the message search could not read the whole log");
    }
    found
}

/// One conversation as the inbox lists it, if it exists.
pub fn summary(store: &Store, key: &str, now: i64, windowed: bool) -> Option<Summary> {
    let candidate = {
        let index = store.index.read();
        let c = index.conversation(key).filter(|c| !c.slots.is_empty())?;
        Candidate::of(key, c)
    };
    let candidate = Candidate {
        state: crate::bot::contact_state(store, key),
        ..candidate
    };
    Some(summarize(store, candidate, now, windowed))
}

/// Marks a conversation read by a person: logs a `conversation_read` record (durable when
/// it returns).
pub async fn mark_read(
    store: &Store,
    conversation: &str,
    by: &str,
    now: i64,
) -> Result<(), String> {
    let record = LogRecord::ConversationRead(ConversationRead {
        conversation: conversation.to_string(),
        at: now,
        by: by.to_string(),
    });
    store
        .append(vec![record.to_line()])
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}
