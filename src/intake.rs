//! What happens to events a channel delivers, whichever channel delivered them (Meta's
//! webhooks, or the WhatsApp Web connection): each is written to the log once (messages are
//! deduplicated by the channel's id, however often it is delivered), counted, handed to the
//! bot when it is a customer's message to our number, and published to the dashboard. Only
//! once the write is durable does this answer, so the channel can acknowledge the delivery.
//!
//! Everything acknowledged is stored, even what is not acted on: a message for another
//! business number (an app subscribed to several) is kept but never answered, and a message
//! that cannot be read is kept as it came.
//!
//! Every value logged here came from outside: it goes into log lines with `?` (escaped).

use crate::bot::Incoming;
use crate::channel::{record, Inbound, InboundMessage, Unreadable};
use crate::metrics::Metrics;
use crate::state::AppState;
use cocolu_core::events::ServerEvent;
use std::sync::atomic::Ordering;

/// Whether a message sent to business number `to` is ours to answer, when ours is `ours`.
/// Without a configured number every message is ours (as before the number was checked); a
/// message that names no number (WhatsApp Web's, or an older payload) is ours too.
pub fn addressed_to_us(ours: Option<&str>, to: Option<&str>) -> bool {
    match (ours, to) {
        (Some(ours), Some(to)) => ours == to,
        _ => true,
    }
}

/// Messages sent before this time (ms) are too old, at `now`, to answer automatically.
pub fn stale_before(now: i64, stale_after: std::time::Duration) -> i64 {
    now.saturating_sub(i64::try_from(stale_after.as_millis()).unwrap_or(i64::MAX))
}

fn log_received(conversation: &str, m: &InboundMessage) {
    // Who and what kind, never the text: message bodies stay out of the journal.
    tracing::info!(conversation = ?conversation, kind = ?m.kind, id = ?m.id, "message received");
}

fn log_not_ours(conversation: &str, m: &InboundMessage, ours: Option<&str>) {
    tracing::warn!(
        conversation = ?conversation,
        id = ?m.id,
        to = ?m.phone_number_id,
        ours = ?ours,
        "a message for another business number was stored and will not be answered"
    );
}

fn log_unreadable(u: &Unreadable) {
    tracing::warn!(
        part = u.part,
        reason = u.reason,
        conversation = ?u.contact.key(),
        "a delivery that cannot be read was stored as it came and will not be answered"
    );
}

/// Takes in `events` delivered at `now` (ms). Returns the customers' messages to our number
/// that were new, for what a channel does after (Meta's media are fetched from the Graph
/// API): a message for another number is stored and published, nothing more.
pub async fn take_in(
    state: &AppState,
    events: Vec<Inbound>,
    now: i64,
) -> Result<Vec<InboundMessage>, String> {
    let stale_before = stale_before(now, state.runtime.stale_after);
    let events: Vec<Inbound> = events
        .into_iter()
        .map(|event| event.with_believable_time(now))
        .collect();
    let records = events
        .iter()
        .map(|event| {
            (
                record::dedupe_id(event).map(str::to_string),
                record::record_of(event, now, stale_before).to_line(),
            )
        })
        .collect();
    let stored = state
        .store
        .append_deduplicated(records)
        .await
        .map_err(|e| e.to_string())?;

    let metrics = &state.metrics;
    metrics.last_webhook_at.store(now, Ordering::Relaxed);
    let mut new_messages = Vec::new();
    for (event, stored) in events.into_iter().zip(stored) {
        if !stored {
            Metrics::bump(&metrics.webhook_duplicates, 1);
            continue;
        }
        let published = match event {
            Inbound::Message(m) => {
                Metrics::bump(&metrics.messages_in, 1);
                let conversation = m.contact.key().unwrap_or("unknown").to_string();
                let ours = state.meta.phone_number_id.as_deref();
                let answered = addressed_to_us(ours, m.phone_number_id.as_deref());
                if answered {
                    log_received(&conversation, &m);
                } else {
                    log_not_ours(&conversation, &m, ours);
                }
                let event = ServerEvent::MessageReceived {
                    conversation: conversation.clone(),
                    id: m.id.clone(),
                    kind: m.kind.clone(),
                    text: m.text.clone(),
                    at: m.sent_at_ms,
                };
                if !answered {
                    // Never to be decided: not kept for the next start to look at.
                    state.store.index.write().forget_undecided(&m.id);
                    state.store.publish(event);
                    continue;
                }
                state.bot.handle(Incoming {
                    conversation: conversation.clone(),
                    message_id: m.id.clone(),
                    kind: m.kind.clone(),
                    text: m.text.clone(),
                    choice_id: m.choice_id.clone(),
                    stale: m.sent_at_ms < stale_before,
                    contact: m.contact.clone(),
                });
                new_messages.push(m);
                event
            }
            Inbound::Status(s) => {
                Metrics::bump(&metrics.statuses_in, 1);
                ServerEvent::MessageStatus {
                    message_id: s.message_id,
                    status: s.status,
                    at: s.at_ms,
                }
            }
            Inbound::Error(e) => {
                tracing::warn!(code = ?e.code, title = ?e.title, "the channel reported an error");
                ServerEvent::ChannelError {
                    code: e.code,
                    message: e.message.or(e.title),
                }
            }
            Inbound::Unreadable(u) => {
                // Stored for a person to look at; the dashboard has no event for it.
                log_unreadable(&u);
                continue;
            }
        };
        state.store.publish(published);
    }
    Ok(new_messages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::tests::logged;
    use cocolu_core::contact::ContactRef;

    #[test]
    fn a_message_for_another_business_number_is_not_ours() {
        assert!(!addressed_to_us(Some("PNID"), Some("OTHER")));
        assert!(addressed_to_us(Some("PNID"), Some("PNID")));
    }

    #[test]
    fn without_a_configured_number_or_a_named_one_every_message_is_ours() {
        assert!(addressed_to_us(None, Some("OTHER")));
        assert!(addressed_to_us(Some("PNID"), None));
        assert!(addressed_to_us(None, None));
    }

    fn hostile_message() -> InboundMessage {
        InboundMessage {
            id: "wamid.1\nINFO forged\x1b[31m".into(),
            contact: ContactRef::default(),
            sent_at_ms: 0,
            kind: "text\r\n".into(),
            text: None,
            choice_id: None,
            phone_number_id: Some("OTHER\n\x1b[0m".into()),
            raw: serde_json::Value::Null,
        }
    }

    #[test]
    fn newlines_and_escape_sequences_from_a_webhook_do_not_reach_the_log_raw() {
        let m = hostile_message();
        let conversation = "58412\nINFO forged line \x1b[31m";

        let text = logged(|| {
            log_received(conversation, &m);
            log_not_ours(conversation, &m, Some("PNID"));
            log_unreadable(&Unreadable {
                part: "message",
                reason: "its id is not a string",
                contact: ContactRef {
                    wa_id: Some(conversation.into()),
                    ..ContactRef::default()
                },
                phone_number_id: None,
                raw: serde_json::Value::Null,
            });
        });

        assert_eq!(text.lines().count(), 3, "one line per event: {text}");
        assert!(!text.contains('\x1b'), "{text:?}");
        assert!(!text.contains('\r'), "{text:?}");
        assert!(
            text.contains(r#"conversation="58412\nINFO forged line \u{1b}[31m""#),
            "{text}"
        );
    }
}
