//! What a channel delivered, as the log records it ([`LogRecord`] from the core): a customer's
//! message, a status, an error about the account, or something unreadable kept as it came.

use super::Inbound;
use cocolu_core::log::{ChannelErrorRecord, LogRecord, MessageIn, StatusRecord, Unreadable};

/// The message id a record must not be stored twice under, if any.
pub fn dedupe_id(event: &Inbound) -> Option<&str> {
    match event {
        Inbound::Message(message) => Some(&message.id),
        _ => None,
    }
}

/// The log record of an inbound event. `now_ms` is the receipt time; messages sent before
/// `stale_before_ms` are marked stale.
pub fn record_of(event: &Inbound, now_ms: i64, stale_before_ms: i64) -> LogRecord {
    match event {
        Inbound::Message(m) => LogRecord::MessageIn(MessageIn {
            conversation: m.contact.key().unwrap_or("unknown").to_string(),
            id: m.id.clone(),
            at: m.sent_at_ms,
            received_at: now_ms,
            contact: m.contact.clone(),
            message_type: m.kind.clone(),
            text: m.text.clone(),
            choice_id: m.choice_id.clone(),
            stale: m.sent_at_ms < stale_before_ms,
            phone_number_id: m.phone_number_id.clone(),
            message: m.raw.clone(),
        }),
        Inbound::Status(s) => LogRecord::Status(StatusRecord {
            conversation: s.recipient.key().map(str::to_string),
            message_id: s.message_id.clone(),
            status: s.status.clone(),
            at: s.at_ms,
            errors: s.errors.clone(),
            failure: s.failure,
            raw: s.raw.clone(),
        }),
        Inbound::Error(e) => LogRecord::ChannelError(ChannelErrorRecord {
            at: now_ms,
            code: e.code,
            raw: e.raw.clone(),
        }),
        Inbound::Unreadable(u) => LogRecord::Unreadable(Unreadable {
            conversation: u.contact.key().map(str::to_string),
            at: now_ms,
            part: u.part.to_string(),
            reason: u.reason.to_string(),
            phone_number_id: u.phone_number_id.clone(),
            raw: u.raw.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Unreadable;
    use cocolu_core::contact::ContactRef;
    use serde_json::json;
    use serde_json::Value;

    #[test]
    fn an_unreadable_message_is_stored_whole_in_its_conversation_without_an_id() {
        let raw = json!({"from": "58412", "id": 7, "type": "text", "text": {"body": "hola"}});
        let event = Inbound::Unreadable(Unreadable {
            part: "message",
            reason: "its id is not a string",
            contact: ContactRef {
                wa_id: Some("58412".into()),
                ..ContactRef::default()
            },
            phone_number_id: Some("PNID".into()),
            raw: raw.clone(),
        });

        let record: Value =
            serde_json::from_slice(&record_of(&event, 1_000, 0).to_line()).expect("JSON");

        assert_eq!(record["kind"], "unreadable");
        assert_eq!(record["conversation"], "58412");
        assert_eq!(record["at"], 1_000);
        assert_eq!(record["raw"], raw);
        assert!(record.get("id").is_none(), "nothing for the dedupe index");
        assert_eq!(dedupe_id(&event), None);
    }
}
