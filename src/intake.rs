//! What happens to events a channel delivers, whichever channel delivered them (Meta's
//! webhooks, or the WhatsApp Web connection): each is written to the log once (messages are
//! deduplicated by the channel's id, however often it is delivered), counted, handed to the
//! bot when it is a customer's message, and published to the dashboard. Only once the write is
//! durable does this answer, so the channel can acknowledge the delivery.

use crate::bot::Incoming;
use crate::channel::{record, Inbound, InboundMessage};
use crate::metrics::Metrics;
use crate::state::AppState;
use app::events::ServerEvent;
use std::sync::atomic::Ordering;

/// Takes in `events` delivered at `now` (ms). Returns the customers' messages that were new,
/// for what a channel does after (Meta's media are fetched from the Graph API).
pub async fn take_in(
    state: &AppState,
    events: Vec<Inbound>,
    now: i64,
) -> Result<Vec<InboundMessage>, String> {
    let stale_before =
        now - i64::try_from(state.runtime.stale_after.as_millis()).unwrap_or(i64::MAX);
    let records = events
        .iter()
        .map(|event| {
            (
                record::dedupe_id(event).map(str::to_string),
                record::encode(event, now, stale_before),
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
                // Who and what kind, never the text: message bodies stay out of the journal.
                tracing::info!(conversation = ?conversation, kind = ?m.kind, id = ?m.id, "message received");
                state.bot.handle(Incoming {
                    conversation: conversation.clone(),
                    message_id: m.id.clone(),
                    kind: m.kind.clone(),
                    text: m.text.clone(),
                    choice_id: m.choice_id.clone(),
                    stale: m.sent_at_ms < stale_before,
                    contact: m.contact.clone(),
                });
                let event = ServerEvent::MessageReceived {
                    conversation,
                    id: m.id.clone(),
                    kind: m.kind.clone(),
                    text: m.text.clone(),
                    at: m.sent_at_ms,
                };
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
        };
        state.store.publish(published);
    }
    Ok(new_messages)
}
