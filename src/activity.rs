//! What happened lately across conversations (the overview's feed), read from the log: the
//! conversations that moved last, their newest records, and the bot's memory of each.

use crate::store::Store;
use cocolu_core::api::activity::{ActivityItem, ActivityKind};
use cocolu_core::contact::ContactRef;
use cocolu_core::log::{LogRecord, Origin};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Records read per conversation: receipts, reads and media records come between messages,
/// so enough for the few lines one conversation gives a short feed.
const RECORDS_EACH: usize = 24;
/// Characters of a message shown.
const TEXT_CHARS: usize = 80;

/// The `limit` newest lines, newest first (blocking: reads the log).
pub fn recent(store: &Store, limit: usize, now: i64) -> Vec<ActivityItem> {
    // The conversations that moved last, without sorting them all.
    let keys: Vec<(String, Option<Box<str>>)> = {
        let index = store.index.read();
        let mut newest = BinaryHeap::with_capacity(limit + 1);
        for (key, conversation) in index.conversations() {
            newest.push(Reverse((conversation.activity_at, key)));
            if newest.len() > limit {
                newest.pop();
            }
        }
        newest
            .into_iter()
            .map(|Reverse((_, key))| {
                let contact = index.conversation(key).and_then(|c| c.contact.clone());
                (key.to_string(), contact)
            })
            .collect()
    };
    let mut items = Vec::new();
    for (key, contact) in keys {
        let who = contact
            .as_deref()
            .and_then(|json| serde_json::from_str::<ContactRef>(json).ok())
            .and_then(|c| c.shown_name())
            .unwrap_or_else(|| key.clone());
        // One conversation that cannot be read leaves out its lines, not the whole feed.
        match lines(store, &key, &who, now) {
            Ok(lines) => items.extend(lines),
            Err(error) => tracing::warn!(%error, "a conversation's activity cannot be read"),
        }
    }
    items.sort_by_key(|item| Reverse(item.at));
    items.truncate(limit);
    items
}

/// A message's first words, with `…` when there is more.
fn shortened(text: &str) -> String {
    match text.char_indices().nth(TEXT_CHARS) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text.to_string(),
    }
}

/// The lines of one conversation.
fn lines(store: &Store, key: &str, who: &str, now: i64) -> std::io::Result<Vec<ActivityItem>> {
    let item = |id: String, at, kind, text: Option<&str>, by: Option<&str>| ActivityItem {
        key: id,
        at,
        kind,
        conversation: key.to_string(),
        who: who.to_string(),
        text: text.filter(|t| !t.is_empty()).map(shortened),
        by: by.map(str::to_string),
    };
    let records = crate::conversations::latest(store, key, RECORDS_EACH)?;
    let mut out: Vec<ActivityItem> = records
        .iter()
        .filter_map(|record| match record {
            LogRecord::MessageIn(m) => Some(item(
                m.id.clone(),
                m.at,
                ActivityKind::Received,
                Some(m.text.as_deref().unwrap_or(&m.message_type)),
                None,
            )),
            LogRecord::MessageOut(m) => {
                let by = match &m.origin {
                    Origin::Agent { user } => user.as_deref(),
                    Origin::Bot { .. } => None,
                };
                Some(item(
                    format!("q-{}", m.outbox),
                    m.at,
                    ActivityKind::Replied,
                    Some(&m.text),
                    by,
                ))
            }
            LogRecord::MessageOutFailed(m) => Some(item(
                format!("f-{}", m.outbox),
                m.at,
                ActivityKind::Failed,
                None,
                None,
            )),
            _ => None,
        })
        .collect();
    // The bot's memory says whether a person has the conversation, and since when.
    let memory = store.index.read().contact_state(key);
    if let Some(LogRecord::ContactState(record)) =
        memory.and_then(|bytes| LogRecord::from_line(&bytes))
    {
        let paused = record.state.paused_until.is_some_and(|until| until > now);
        let kind = match record.takeover() {
            Some(true) if paused => Some(ActivityKind::TakenOver),
            Some(false) => Some(ActivityKind::GivenBack),
            _ if paused && record.handed_over() => Some(ActivityKind::NeedsPerson),
            _ => None,
        };
        if let Some(kind) = kind {
            out.push(item(
                format!("s-{key}-{}", record.at),
                record.at,
                kind,
                None,
                None,
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_are_cut_on_a_character_with_an_ellipsis() {
        assert_eq!(shortened("hola"), "hola");
        let long = "ñ".repeat(TEXT_CHARS + 5);
        let cut = shortened(&long);
        assert_eq!(cut.chars().count(), TEXT_CHARS + 1);
        assert!(cut.ends_with('…'));
    }
}
