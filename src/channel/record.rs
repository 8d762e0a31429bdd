//! The log records a channel writes: one JSON object per line, with the envelope the message
//! index reads (`conversation`, `id`, `at` in milliseconds) and `kind` saying what it is.

use super::Inbound;
use cocolu_core::contact::ContactRef;
use serde::Serialize;
use serde_json::Value;

/// One line of the log.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record<'a> {
    /// A customer's message.
    MessageIn {
        conversation: &'a str,
        id: &'a str,
        at: i64,
        received_at: i64,
        contact: &'a ContactRef,
        #[serde(rename = "type")]
        kind: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<&'a str>,
        /// The id of the reply button or list row tapped.
        #[serde(skip_serializing_if = "Option::is_none")]
        choice_id: Option<&'a str>,
        /// Older than the staleness limit when it arrived (after an outage): stored, never
        /// answered automatically.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        stale: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        phone_number_id: Option<&'a str>,
        message: &'a Value,
    },
    /// A delivery status of one of our messages.
    Status {
        #[serde(skip_serializing_if = "Option::is_none")]
        conversation: Option<&'a str>,
        message_id: &'a str,
        status: &'a str,
        at: i64,
        #[serde(skip_serializing_if = "<[Value]>::is_empty")]
        errors: &'a [Value],
        raw: &'a Value,
    },
    /// An error Meta reported about the account or the webhook.
    ChannelError {
        at: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        code: Option<i64>,
        raw: &'a Value,
    },
    /// A message or status that cannot be read (its `id` is missing or not a string), kept
    /// as it came because its delivery was acknowledged. Readers that do not know it pass
    /// over it; it carries no `id`, so the index never mistakes it for a message.
    Unreadable {
        #[serde(skip_serializing_if = "Option::is_none")]
        conversation: Option<&'a str>,
        /// When it arrived.
        at: i64,
        /// `message` or `status`.
        part: &'a str,
        reason: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        phone_number_id: Option<&'a str>,
        raw: &'a Value,
    },
}

/// The message id a record must not be stored twice under, if any.
pub fn dedupe_id(event: &Inbound) -> Option<&str> {
    match event {
        Inbound::Message(message) => Some(&message.id),
        _ => None,
    }
}

/// Serializes an inbound event as a log line. `now_ms` is the receipt time; messages sent
/// before `stale_before_ms` are marked stale.
pub fn encode(event: &Inbound, now_ms: i64, stale_before_ms: i64) -> Vec<u8> {
    let record = match event {
        Inbound::Message(m) => Record::MessageIn {
            conversation: m.contact.key().unwrap_or("unknown"),
            id: &m.id,
            at: m.sent_at_ms,
            received_at: now_ms,
            contact: &m.contact,
            kind: &m.kind,
            text: m.text.as_deref(),
            choice_id: m.choice_id.as_deref(),
            stale: m.sent_at_ms < stale_before_ms,
            phone_number_id: m.phone_number_id.as_deref(),
            message: &m.raw,
        },
        Inbound::Status(s) => Record::Status {
            conversation: s.recipient.key(),
            message_id: &s.message_id,
            status: &s.status,
            at: s.at_ms,
            errors: &s.errors,
            raw: &s.raw,
        },
        Inbound::Error(e) => Record::ChannelError {
            at: now_ms,
            code: e.code,
            raw: &e.raw,
        },
        Inbound::Unreadable(u) => Record::Unreadable {
            conversation: u.contact.key(),
            at: now_ms,
            part: u.part,
            reason: u.reason,
            phone_number_id: u.phone_number_id.as_deref(),
            raw: &u.raw,
        },
    };
    // Serializing these plain types to JSON cannot fail.
    serde_json::to_vec(&record).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Unreadable;
    use serde_json::json;

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

        let record: Value = serde_json::from_slice(&encode(&event, 1_000, 0)).expect("JSON");

        assert_eq!(record["kind"], "unreadable");
        assert_eq!(record["conversation"], "58412");
        assert_eq!(record["at"], 1_000);
        assert_eq!(record["raw"], raw);
        assert!(record.get("id").is_none(), "nothing for the dedupe index");
        assert_eq!(dedupe_id(&event), None);
    }
}
