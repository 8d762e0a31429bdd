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
//! Every channel hands what it received to the one [`Intake`] through the small [`Receive`]
//! trait, and sees nothing else of the server. Downloading a message's media is a step of
//! intake, whatever the channel.
//!
//! Every value logged here came from outside: it goes into log lines with `?` (escaped).

use crate::bot::{Bot, Incoming};
use crate::channel::meta::MetaLink;
use crate::channel::{addressed_to_us, record, stale_before, Inbound, InboundMessage, Unreadable};
use crate::clock::Clock;
use crate::events::Events;
use crate::media::{self, Downloads};
use crate::metrics::Metrics;
use crate::store::Store;
use cocolu_core::events::ServerEvent;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Where a channel hands what it received. When it returns `Ok`, everything is stored
/// durably and the channel may acknowledge the delivery; on `Err` (the data folder refused the
/// write, said in words) it must not, so that the delivery comes again.
pub trait Receive: Send + Sync + 'static {
    fn receive(
        &self,
        events: Vec<Inbound>,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>>;

    /// Milliseconds since the epoch by the application's one clock, for what a channel stamps
    /// itself (such as when its link dropped).
    fn now_ms(&self) -> i64;
}

/// The one way in: stores what channels deliver, counts it, hands customers' messages to the
/// bot, starts their media downloads and tells the dashboards.
pub struct Intake {
    pub store: Arc<Store>,
    pub events: Events,
    pub metrics: Arc<Metrics>,
    pub bot: Bot,
    pub media: Downloads,
    /// The Meta connection in force: its phone number id is the business number this server
    /// answers for, when known.
    pub meta: MetaLink,
    /// Messages older than this when they arrive get no automatic reply.
    pub stale_after: Duration,
    pub clock: Clock,
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

impl Intake {
    /// Takes in `events`, delivered now: stored once each (durably when this returns), then
    /// counted, answered, downloaded and published. A message for another business number is
    /// stored and published, nothing more.
    pub async fn take_in(&self, events: Vec<Inbound>) -> Result<(), String> {
        let now = self.clock.now_ms();
        let stale_before = stale_before(now, self.stale_after);
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
        let stored = self
            .store
            .append_deduplicated(records)
            .await
            .map_err(|e| e.to_string())?;

        let metrics = &self.metrics;
        metrics.last_webhook_at.store(now, Ordering::Relaxed);
        for (event, stored) in events.into_iter().zip(stored) {
            if !stored {
                metrics.webhook_duplicates.inc();
                continue;
            }
            let published = match event {
                Inbound::Message(m) => {
                    metrics.messages_in.inc();
                    match self.message(m, stale_before) {
                        Some(event) => event,
                        None => continue,
                    }
                }
                Inbound::Status(s) => {
                    metrics.statuses_in.inc();
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
            self.events.publish(published);
        }
        Ok(())
    }

    /// A new customer's message, stored: to the bot and the downloads when it is to our
    /// number. Returns the event to publish.
    fn message(&self, m: InboundMessage, stale_before: i64) -> Option<ServerEvent> {
        let conversation = m.contact.key().unwrap_or("unknown").to_string();
        let ours = self.meta.current().phone_number_id;
        let ours = ours.as_deref();
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
            self.store.index.write().forget_undecided(&m.id);
            self.events.publish(event);
            return None;
        }
        self.bot.handle(Incoming {
            conversation: conversation.clone(),
            message_id: m.id.clone(),
            kind: m.kind.clone(),
            text: m.text.clone(),
            choice_id: m.choice_id.clone(),
            stale: m.sent_at_ms < stale_before,
            contact: m.contact.clone(),
        });
        if let Some(media_id) = media::media_id(&m.kind, &m.raw) {
            self.media.start(conversation, m.id, media_id);
        }
        Some(event)
    }
}

impl Receive for Intake {
    fn receive(
        &self,
        events: Vec<Inbound>,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(self.take_in(events))
    }

    fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::tests::logged;
    use cocolu_core::contact::ContactRef;

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
