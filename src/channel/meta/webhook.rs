//! Meta's webhook payload, read tolerantly: every entry, every change, every message,
//! status and error; any message type, including ones Meta adds later (kept as they came);
//! unknown fields ignored. Pure: bytes in, [`Inbound`] events out.

use crate::channel::{ChannelError, Inbound, InboundMessage, StatusUpdate, Unreadable};
use cocolu_core::contact::ContactRef;
use cocolu_core::log::Failure;
use serde_json::Value;

/// Why a body is not a webhook payload at all.
#[derive(Debug, thiserror::Error)]
#[error("the webhook body is not JSON: {0}")]
pub struct NotJson(#[from] serde_json::Error);

fn str_at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))?
        .as_str()
        .filter(|s| !s.is_empty())
}

fn owned(value: &Value, path: &[&str]) -> Option<String> {
    str_at(value, path).map(str::to_string)
}

/// Meta's timestamps are Unix seconds, as a string (or a number).
fn timestamp_ms(value: &Value) -> Option<i64> {
    let field = value.get("timestamp")?;
    let seconds = match field {
        Value::String(s) => s.parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    seconds.checked_mul(1000)
}

/// The text a person would read in a message of any type.
fn readable_text(message: &Value, kind: &str) -> Option<String> {
    let candidates: &[&[&str]] = match kind {
        "text" => &[&["text", "body"]],
        "image" | "video" | "document" | "sticker" => {
            &[&[kind, "caption"], &["document", "filename"]]
        }
        "interactive" => &[
            &["interactive", "button_reply", "title"],
            &["interactive", "list_reply", "title"],
            &["interactive", "nfm_reply", "body"],
        ],
        "button" => &[&["button", "text"]],
        "reaction" => &[&["reaction", "emoji"]],
        "location" => &[&["location", "name"], &["location", "address"]],
        "order" => &[&["order", "text"]],
        "system" => &[&["system", "body"]],
        _ => &[],
    };
    candidates.iter().find_map(|path| owned(message, path))
}

fn contact_from(value: &Value) -> ContactRef {
    ContactRef {
        user_id: owned(value, &["user_id"]),
        wa_id: owned(value, &["wa_id"]),
        name: owned(value, &["profile", "name"]),
        username: owned(value, &["profile", "username"]),
    }
}

/// Finds who sent `message` among the change's contacts: by business-scoped id, then by
/// phone number, then the only contact; what the message itself says fills the gaps.
fn sender(message: &Value, contacts: &[ContactRef]) -> ContactRef {
    let user_id = owned(message, &["from_user_id"]).or_else(|| owned(message, &["user_id"]));
    let from = owned(message, &["from"]);
    let found = contacts
        .iter()
        .find(|c| user_id.is_some() && c.user_id == user_id)
        .or_else(|| contacts.iter().find(|c| from.is_some() && c.wa_id == from))
        .or_else(|| (contacts.len() == 1).then(|| &contacts[0]));
    let mut contact = found.cloned().unwrap_or_default();
    if contact.user_id.is_none() {
        contact.user_id = user_id;
    }
    if contact.wa_id.is_none() {
        contact.wa_id = from;
    }
    contact
}

/// Why an object's `id` cannot be used, if it cannot: ids are how deliveries are deduplicated
/// and how replies and statuses refer to a message.
fn unusable_id(object: &Value) -> Option<&'static str> {
    match object.get("id") {
        Some(Value::String(id)) if !id.is_empty() => None,
        Some(Value::String(_)) => Some("its id is empty"),
        Some(_) => Some("its id is not a string"),
        None => Some("it has no id"),
    }
}

/// Reads one change's `value`.
fn read_value(value: &Value, events: &mut Vec<Inbound>) {
    let phone_number_id = owned(value, &["metadata", "phone_number_id"]);
    let list = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let contacts: Vec<ContactRef> = list("contacts").iter().map(contact_from).collect();
    for message in list("messages") {
        let id = match (unusable_id(&message), owned(&message, &["id"])) {
            (None, Some(id)) => id,
            (reason, _) => {
                events.push(Inbound::Unreadable(Unreadable {
                    part: "message",
                    reason: reason.unwrap_or("its id is not usable"),
                    contact: sender(&message, &contacts),
                    phone_number_id: phone_number_id.clone(),
                    raw: message,
                }));
                continue;
            }
        };
        let kind = owned(&message, &["type"]).unwrap_or_else(|| "unknown".into());
        let choice_id = [
            &["interactive", "button_reply", "id"][..],
            &["interactive", "list_reply", "id"],
            &["button", "payload"],
        ]
        .iter()
        .find_map(|path| owned(&message, path));
        events.push(Inbound::Message(InboundMessage {
            id,
            contact: sender(&message, &contacts),
            sent_at_ms: timestamp_ms(&message).unwrap_or(0),
            text: readable_text(&message, &kind),
            choice_id,
            kind,
            phone_number_id: phone_number_id.clone(),
            raw: message,
        }));
    }
    for status in list("statuses") {
        let message_id = match (unusable_id(&status), owned(&status, &["id"])) {
            (None, Some(id)) => id,
            (reason, _) => {
                events.push(Inbound::Unreadable(Unreadable {
                    part: "status",
                    reason: reason.unwrap_or("its id is not usable"),
                    contact: ContactRef {
                        user_id: owned(&status, &["recipient_user_id"]),
                        wa_id: owned(&status, &["recipient_id"]),
                        ..ContactRef::default()
                    },
                    phone_number_id: phone_number_id.clone(),
                    raw: status,
                }));
                continue;
            }
        };
        let errors: Vec<Value> = status
            .get("errors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        // A message Meta took but could not deliver: classified by its first error's code.
        let failure = (status.get("status").and_then(Value::as_str) == Some("failed")).then(|| {
            errors
                .iter()
                .find_map(|e| e.get("code").and_then(Value::as_i64))
                .and_then(super::graph::failure_of_code)
                .unwrap_or(Failure::Permanent)
        });
        events.push(Inbound::Status(StatusUpdate {
            message_id,
            status: owned(&status, &["status"]).unwrap_or_else(|| "unknown".into()),
            recipient: ContactRef {
                user_id: owned(&status, &["recipient_user_id"]),
                wa_id: owned(&status, &["recipient_id"]),
                ..ContactRef::default()
            },
            at_ms: timestamp_ms(&status).unwrap_or(0),
            errors,
            failure,
            raw: status,
        }));
    }
    for error in list("errors") {
        events.push(Inbound::Error(ChannelError {
            code: error.get("code").and_then(Value::as_i64),
            title: owned(&error, &["title"]),
            message: owned(&error, &["message"]),
            raw: error,
        }));
    }
}

/// Every event of a webhook body, in order.
pub fn parse(body: &[u8]) -> Result<Vec<Inbound>, NotJson> {
    let payload: Value = serde_json::from_slice(body)?;
    let mut events = Vec::new();
    for entry in payload
        .get("entry")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for change in entry
            .get("changes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(value) = change.get("value") {
                read_value(value, &mut events);
            }
        }
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(value: Value) -> Vec<u8> {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}]})
            .to_string()
            .into_bytes()
    }

    fn message(kind: &str, body: Value) -> Value {
        let mut m = json!({"from": "584121234567", "id": format!("wamid.{kind}"), "timestamp": "1764300000", "type": kind});
        if let (Some(m), Some(b)) = (m.as_object_mut(), body.as_object()) {
            m.extend(b.clone());
        }
        m
    }

    #[test]
    fn every_message_type_is_read_with_its_readable_text() {
        let cases = [
            (
                "text",
                json!({"text": {"body": "¿Precio? 😀"}}),
                Some("¿Precio? 😀"),
            ),
            (
                "image",
                json!({"image": {"id": "M1", "caption": "esta"}}),
                Some("esta"),
            ),
            ("audio", json!({"audio": {"id": "M2", "voice": true}}), None),
            ("video", json!({"video": {"id": "M3"}}), None),
            (
                "document",
                json!({"document": {"id": "M4", "filename": "pedido.pdf"}}),
                Some("pedido.pdf"),
            ),
            ("sticker", json!({"sticker": {"id": "M5"}}), None),
            (
                "location",
                json!({"location": {"latitude": 10.5, "longitude": -66.9, "name": "Tienda"}}),
                Some("Tienda"),
            ),
            (
                "contacts",
                json!({"contacts": [{"name": {"formatted_name": "Ana"}}]}),
                None,
            ),
            (
                "interactive",
                json!({"interactive": {"type": "button_reply", "button_reply": {"id": "precios", "title": "Precios"}}}),
                Some("Precios"),
            ),
            (
                "button",
                json!({"button": {"payload": "P", "text": "Sí"}}),
                Some("Sí"),
            ),
            (
                "reaction",
                json!({"reaction": {"message_id": "wamid.X", "emoji": "👍"}}),
                Some("👍"),
            ),
            (
                "order",
                json!({"order": {"catalog_id": "C", "text": "para hoy", "product_items": []}}),
                Some("para hoy"),
            ),
            (
                "system",
                json!({"system": {"body": "cambió de número"}}),
                Some("cambió de número"),
            ),
            ("unsupported", json!({"errors": [{"code": 131051}]}), None),
            ("hologram", json!({"hologram": {"anything": 1}}), None),
        ];
        for (kind, body, text) in cases {
            let raw = message(kind, body);
            let events = parse(&payload(json!({"messages": [raw.clone()]}))).expect("parsed");
            let Inbound::Message(m) = &events[0] else {
                panic!("{kind}: not a message")
            };
            assert_eq!(m.kind, kind);
            assert_eq!(m.text.as_deref(), text, "{kind}");
            assert_eq!(m.raw, raw, "{kind} is kept as it came");
            assert_eq!(m.sent_at_ms, 1_764_300_000_000);
            let expected_choice = match kind {
                "interactive" => Some("precios"),
                "button" => Some("P"),
                _ => None,
            };
            assert_eq!(m.choice_id.as_deref(), expected_choice, "{kind}");
        }
    }

    #[test]
    fn every_entry_change_and_message_of_a_batch_is_read() {
        let body = json!({"entry": [
            {"changes": [{"value": {"messages": [message("text", json!({})), {"id": "wamid.2", "type": "text"}]}},
                         {"value": {"statuses": [{"id": "wamid.out", "status": "read", "timestamp": "1764300001", "recipient_id": "58412"}]}}]},
            {"changes": [{"value": {"messages": [{"id": "wamid.3", "type": "text"}], "errors": [{"code": 131000, "title": "Something went wrong"}]}}]}
        ]});
        let events = parse(body.to_string().as_bytes()).expect("parsed");
        assert_eq!(events.len(), 5);
        assert!(
            matches!(&events[2], Inbound::Status(s) if s.status == "read" && s.recipient.wa_id.as_deref() == Some("58412"))
        );
        assert!(matches!(&events[4], Inbound::Error(e) if e.code == Some(131000)));
    }

    #[test]
    fn the_sender_is_keyed_by_business_scoped_id_and_keeps_the_phone() {
        let value = json!({
            "contacts": [{"profile": {"name": "Ana", "username": "@ana"}, "user_id": "VE.123", "wa_id": "58412"},
                         {"profile": {"name": "Luis"}, "user_id": "VE.456"}],
            "messages": [{"from": "58412", "id": "wamid.A", "type": "text", "text": {"body": "hola"}},
                         {"from_user_id": "VE.456", "id": "wamid.B", "type": "text", "text": {"body": "hola"}}]
        });
        let events = parse(&payload(value)).expect("parsed");
        let Inbound::Message(ana) = &events[0] else {
            panic!()
        };
        assert_eq!(ana.contact.key(), Some("VE.123"));
        assert_eq!(ana.contact.wa_id.as_deref(), Some("58412"));
        assert_eq!(ana.contact.username.as_deref(), Some("@ana"));
        let Inbound::Message(luis) = &events[1] else {
            panic!()
        };
        assert_eq!(luis.contact.key(), Some("VE.456"));
        assert_eq!(
            luis.contact.wa_id, None,
            "a user with a username may have no phone number"
        );
    }

    #[test]
    fn a_failed_status_carries_its_error_codes() {
        let value = json!({"statuses": [{"id": "wamid.out", "status": "failed", "timestamp": "1", "recipient_id": "58412",
            "errors": [{"code": 131047, "title": "Re-engagement message"}]}]});
        let events = parse(&payload(value)).expect("parsed");
        let Inbound::Status(status) = &events[0] else {
            panic!()
        };
        assert_eq!(status.errors[0]["code"], 131047);
        assert_eq!(status.failure, Some(Failure::OutsideWindow));

        let value = json!({"statuses": [
            {"id": "wamid.a", "status": "failed", "timestamp": "1", "recipient_id": "58412",
                "errors": [{"code": 131026, "title": "Message undeliverable"}]},
            {"id": "wamid.b", "status": "failed", "timestamp": "1", "recipient_id": "58412"},
            {"id": "wamid.c", "status": "delivered", "timestamp": "1", "recipient_id": "58412"}]});
        let failures: Vec<_> = parse(&payload(value))
            .expect("parsed")
            .into_iter()
            .map(|event| match event {
                Inbound::Status(status) => status.failure,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            failures,
            [Some(Failure::Permanent), Some(Failure::Permanent), None]
        );
    }

    #[test]
    fn a_message_whose_id_is_not_a_string_is_kept_as_unreadable() {
        let cases = [
            (
                json!({"from": "58412", "id": 12345, "type": "text"}),
                "its id is not a string",
            ),
            (json!({"from": "58412", "type": "text"}), "it has no id"),
            (
                json!({"from": "58412", "id": "", "type": "text"}),
                "its id is empty",
            ),
        ];
        for (raw, reason) in cases {
            let value = json!({"metadata": {"phone_number_id": "PNID"}, "messages": [raw.clone()]});
            let events = parse(&payload(value)).expect("parsed");
            let [Inbound::Unreadable(unreadable)] = events.as_slice() else {
                panic!("{raw}: {events:?}")
            };
            assert_eq!(unreadable.part, "message");
            assert_eq!(unreadable.reason, reason);
            assert_eq!(unreadable.raw, raw, "kept as it came");
            assert_eq!(unreadable.contact.key(), Some("58412"));
            assert_eq!(unreadable.phone_number_id.as_deref(), Some("PNID"));
        }
    }

    #[test]
    fn a_status_without_an_id_is_kept_as_unreadable() {
        let raw = json!({"status": "read", "recipient_id": "58412", "id": ["x"]});
        let events = parse(&payload(json!({"statuses": [raw.clone()]}))).expect("parsed");
        let [Inbound::Unreadable(unreadable)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(unreadable.part, "status");
        assert_eq!(unreadable.raw, raw);
    }

    #[test]
    fn unknown_shapes_are_ignored_and_non_json_is_an_error() {
        assert!(
            parse(br#"{"object":"page","entry":[{"changes":[{"value":"x"}]}],"new":1}"#)
                .expect("parsed")
                .is_empty()
        );
        assert!(parse(b"{}").expect("parsed").is_empty());
        assert!(parse(b"not json").is_err());
    }
}
