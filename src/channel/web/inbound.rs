//! A customer's message as the WhatsApp Web library delivers it, turned into the channel-neutral
//! [`InboundMessage`] that the log, the engine and the inbox read — the same shape Meta's
//! webhooks produce, so the rest of Cocolu does not know which channel a message came by.
//!
//! Only one-to-one chats with customers are taken: our own messages (echoed from the phone or
//! another linked device), groups, broadcasts and status updates are left out.

use crate::channel::{InboundMessage, StatusUpdate};
use cocolu_core::contact::ContactRef;
use serde_json::{json, Value};
use whatsapp_rust::wacore::proto_helpers::MessageExt;
use whatsapp_rust::wacore::types::events::Receipt;
use whatsapp_rust::wacore::types::message::MessageInfo;
use whatsapp_rust::wacore::types::message::MessageSource;
use whatsapp_rust::wacore::types::presence::ReceiptType;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::Jid;

/// Who wrote: the phone number when WhatsApp tells it (a phone-number JID, or the sender's
/// alternative when the chat is addressed by a LID), so a customer keeps one conversation
/// whichever channel the shop uses; else the LID as a business-scoped id.
pub fn contact_of(info: &MessageInfo) -> ContactRef {
    ContactRef {
        name: Some(info.push_name.trim())
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        ..contact_from(&info.source)
    }
}

/// Who the other side of a one-to-one exchange is, from where it came.
fn contact_from(source: &MessageSource) -> ContactRef {
    let phone = [Some(&source.sender), source.sender_alt.as_ref()]
        .into_iter()
        .flatten()
        .find(|jid| jid.is_pn())
        .map(|jid| jid.user.to_string());
    let lid = [Some(&source.sender), source.sender_alt.as_ref()]
        .into_iter()
        .flatten()
        .find(|jid| jid.is_lid())
        .map(|jid| format!("lid:{}", jid.user));
    ContactRef {
        // The phone number is the key when there is one; otherwise the LID is.
        user_id: if phone.is_some() { None } else { lid },
        wa_id: phone,
        name: None,
        username: None,
    }
}

/// Whether a message is one the bot should take: a customer writing to the shop one-to-one.
pub fn is_customers(info: &MessageInfo) -> bool {
    is_customers_chat(&info.source)
}

/// Whether it comes from a customer's side of a one-to-one chat with the shop.
fn is_customers_chat(source: &MessageSource) -> bool {
    !source.is_from_me
        && !source.is_group
        && source.broadcast_list_owner.is_none()
        && (source.chat.is_pn() || source.chat.is_lid())
}

/// The message's kind, in the names Meta's webhooks use, and what a person would read of it.
pub fn kind_and_text(message: &wa::Message) -> (&'static str, Option<String>) {
    let base = message.get_base_message();
    let text = |t: Option<&str>| t.filter(|t| !t.is_empty()).map(str::to_string);
    if let Some(body) = message.text_content() {
        return ("text", text(Some(body)));
    }
    if base.image_message.as_option().is_some() {
        return ("image", text(message.get_caption()));
    }
    if base.video_message.as_option().is_some() {
        return ("video", text(message.get_caption()));
    }
    if base.document_message.as_option().is_some() {
        return ("document", text(message.get_caption()));
    }
    if base.audio_message.as_option().is_some() {
        return ("audio", None);
    }
    if base.sticker_message.as_option().is_some() {
        return ("sticker", None);
    }
    if let Some(reaction) = base.reaction_message.as_option() {
        return ("reaction", text(reaction.text.as_deref()));
    }
    if let Some(place) = base.location_message.as_option() {
        return ("location", text(place.name.as_deref()));
    }
    if base.contact_message.as_option().is_some() {
        return ("contacts", None);
    }
    ("unsupported", None)
}

/// The neutral message, or `None` when it is not a customer's.
pub fn message_of(info: &MessageInfo, message: &wa::Message) -> Option<InboundMessage> {
    if !is_customers(info) {
        return None;
    }
    let contact = contact_of(info);
    contact.key()?;
    let (kind, text) = kind_and_text(message);
    let raw = raw_of(info, message, kind, text.as_deref());
    Some(InboundMessage {
        id: info.id.clone(),
        contact,
        sent_at_ms: info.timestamp.timestamp_millis(),
        kind: kind.to_string(),
        text,
        choice_id: None,
        phone_number_id: None,
        raw,
    })
}

/// What is kept of the message in the log: its id, sender, time and kind, with the place of a
/// location (the inbox shows it on a map) — the shape of Meta's message objects where they
/// overlap, so the inbox reads both alike.
fn raw_of(info: &MessageInfo, message: &wa::Message, kind: &str, text: Option<&str>) -> Value {
    let mut raw = json!({
        "id": info.id,
        "from": info.source.sender.to_string(),
        "timestamp": info.timestamp.timestamp().to_string(),
        "type": kind,
        "channel": "whatsapp_web",
    });
    if kind == "text" {
        raw["text"] = json!({ "body": text });
    }
    if let Some(place) = message.get_base_message().location_message.as_option() {
        raw["location"] = json!({
            "latitude": place.degrees_latitude,
            "longitude": place.degrees_longitude,
            "name": place.name,
            "address": place.address,
        });
    }
    raw
}

/// What a customer's receipt says of our messages, in the status names Meta's webhooks use
/// (`delivered`, `read`); receipts of other kinds, from our own devices or from groups, say
/// nothing the inbox shows.
pub fn status_of(receipt: &Receipt) -> Vec<StatusUpdate> {
    let status = match receipt.r#type {
        ReceiptType::Delivered => "delivered",
        ReceiptType::Read | ReceiptType::Played => "read",
        _ => return Vec::new(),
    };
    if !is_customers_chat(&receipt.source) {
        return Vec::new();
    }
    let recipient = contact_from(&receipt.source);
    let at_ms = receipt.timestamp.timestamp_millis();
    receipt
        .message_ids
        .iter()
        .map(|id| StatusUpdate {
            message_id: id.to_string(),
            status: status.into(),
            recipient: recipient.clone(),
            at_ms,
            errors: Vec::new(),
            failure: None,
            raw: json!({
                "id": id.to_string(),
                "status": status,
                "timestamp": receipt.timestamp.timestamp().to_string(),
                "recipient_id": receipt.source.sender.to_string(),
                "channel": "whatsapp_web",
            }),
        })
        .collect()
}

/// The JID a reply to `contact` goes to: the phone number's, else the LID's.
pub fn jid_of(contact: &ContactRef) -> Option<Jid> {
    if let Some(phone) = contact.wa_id.as_deref() {
        return format!("{phone}@s.whatsapp.net").parse().ok();
    }
    let lid = contact.user_id.as_deref()?.strip_prefix("lid:")?;
    format!("{lid}@lid").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use whatsapp_rust::chrono::{TimeZone, Utc};

    fn jid(s: &str) -> Jid {
        s.parse().expect("jid")
    }

    fn info(sender: &str) -> MessageInfo {
        let mut info = MessageInfo {
            id: "3EB0ABC".into(),
            push_name: "Ana ".into(),
            timestamp: Utc.timestamp_opt(1_764_000_000, 0).single().expect("time"),
            ..Default::default()
        };
        info.source.chat = jid(sender);
        info.source.sender = jid(sender);
        info
    }

    fn text(body: &str) -> wa::Message {
        wa::Message {
            conversation: Some(body.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_customers_text_becomes_the_neutral_message() {
        let message = message_of(
            &info("584121234567@s.whatsapp.net"),
            &text("Hola, ¿el menú?"),
        )
        .expect("a customer's message");
        assert_eq!(message.id, "3EB0ABC");
        assert_eq!(message.kind, "text");
        assert_eq!(message.text.as_deref(), Some("Hola, ¿el menú?"));
        assert_eq!(message.sent_at_ms, 1_764_000_000_000);
        assert_eq!(message.contact.key(), Some("584121234567"));
        assert_eq!(message.contact.name.as_deref(), Some("Ana"));
        assert_eq!(message.raw["text"]["body"], "Hola, ¿el menú?");
        assert_eq!(
            jid_of(&message.contact).map(|j| j.to_string()).as_deref(),
            Some("584121234567@s.whatsapp.net")
        );
    }

    #[test]
    fn a_lid_sender_keys_by_the_phone_when_its_alternative_tells_it() {
        let mut with_alt = info("123456789@lid");
        with_alt.source.sender_alt = Some(jid("584129998877@s.whatsapp.net"));
        assert_eq!(contact_of(&with_alt).key(), Some("584129998877"));
        let only_lid = info("123456789@lid");
        let contact = contact_of(&only_lid);
        assert_eq!(contact.key(), Some("lid:123456789"));
        assert_eq!(
            jid_of(&contact).map(|j| j.to_string()).as_deref(),
            Some("123456789@lid")
        );
    }

    #[test]
    fn our_own_group_and_broadcast_messages_are_left_out() {
        let mut mine = info("584121234567@s.whatsapp.net");
        mine.source.is_from_me = true;
        assert!(message_of(&mine, &text("x")).is_none());
        let mut group = info("120363000000000001@g.us");
        group.source.is_group = true;
        assert!(message_of(&group, &text("x")).is_none());
        let status = info("status@broadcast");
        assert!(message_of(&status, &text("x")).is_none());
    }

    #[test]
    fn media_and_places_keep_their_kind_and_caption() {
        let image = wa::Message {
            image_message: wa::message::ImageMessage {
                caption: Some("la torta".into()),
                ..Default::default()
            }
            .into(),
            ..Default::default()
        };
        assert_eq!(kind_and_text(&image), ("image", Some("la torta".into())));
        let place = wa::Message {
            location_message: wa::message::LocationMessage {
                degrees_latitude: Some(10.5),
                degrees_longitude: Some(-66.9),
                name: Some("Plaza".into()),
                ..Default::default()
            }
            .into(),
            ..Default::default()
        };
        let message = message_of(&info("584121234567@s.whatsapp.net"), &place).expect("place");
        assert_eq!(message.kind, "location");
        assert_eq!(message.raw["location"]["latitude"], 10.5);
        assert_eq!(
            kind_and_text(&wa::Message::default()),
            ("unsupported", None)
        );
    }

    #[test]
    fn a_customers_receipts_become_delivered_and_read_statuses() {
        let receipt = |kind: ReceiptType, from_me: bool| {
            let mut source = info("584121234567@s.whatsapp.net").source;
            source.is_from_me = from_me;
            Receipt::builder()
                .source(source)
                .message_ids(vec!["3EB0A".into(), "3EB0B".into()])
                .timestamp(Utc.timestamp_opt(1_764_000_100, 0).single().expect("time"))
                .r#type(kind)
                .offline(false)
                .build()
        };
        let delivered = status_of(&receipt(ReceiptType::Delivered, false));
        assert_eq!(delivered.len(), 2, "one status per message");
        assert_eq!(delivered[0].message_id, "3EB0A");
        assert_eq!(delivered[0].status, "delivered");
        assert_eq!(delivered[0].at_ms, 1_764_000_100_000);
        assert_eq!(
            delivered[0].recipient.wa_id.as_deref(),
            Some("584121234567")
        );
        assert_eq!(
            status_of(&receipt(ReceiptType::Read, false))[1].status,
            "read"
        );
        assert_eq!(
            status_of(&receipt(ReceiptType::Played, false))[0].status,
            "read"
        );
        assert!(
            status_of(&receipt(ReceiptType::ReadSelf, false)).is_empty(),
            "our own devices' receipts say nothing about the customer"
        );
        assert!(status_of(&receipt(ReceiptType::Read, true)).is_empty());
        assert!(status_of(&receipt(ReceiptType::Retry, false)).is_empty());
    }
}
