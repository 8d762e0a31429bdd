//! The Graph API's JSON for what the shop sends: the body of
//! `POST /{version}/{phone_number_id}/messages` for each kind of [`Outbound`] message, and the
//! read receipt.

use cocolu_core::contact::ContactRef;
use cocolu_core::outbound::{Choice, Outbound};
use serde_json::{json, Value};

/// The recipient fields: the phone number when known (Meta's advice), else the
/// business-scoped user id.
fn recipient(to: &ContactRef) -> Value {
    match (&to.wa_id, &to.user_id) {
        (Some(phone), _) => json!({ "to": phone }),
        (None, Some(user_id)) => json!({ "recipient": user_id }),
        (None, None) => json!({}),
    }
}

fn choice_rows(rows: &[Choice]) -> Vec<Value> {
    rows.iter()
        .map(|r| {
            let mut row = json!({ "id": r.id, "title": r.title });
            if let Some(d) = &r.description {
                row["description"] = json!(d);
            }
            row
        })
        .collect()
}

fn decorate(interactive: &mut Value, header: &Option<String>, footer: &Option<String>) {
    if let Some(h) = header {
        interactive["header"] = json!({ "type": "text", "text": h });
    }
    if let Some(f) = footer {
        interactive["footer"] = json!({ "text": f });
    }
}

/// The body of `POST /{version}/{phone_number_id}/messages`.
pub fn graph_body(to: &ContactRef, message: &Outbound) -> Value {
    let mut body = json!({ "messaging_product": "whatsapp", "recipient_type": "individual" });
    if let (Some(target), Some(fields)) = (body.as_object_mut(), recipient(to).as_object()) {
        target.extend(fields.clone());
    }
    let (kind, content) = match message {
        Outbound::Text { body } => ("text", json!({ "body": body, "preview_url": false })),
        Outbound::Buttons {
            body,
            header,
            footer,
            buttons,
        } => {
            let buttons: Vec<Value> = buttons
                .iter()
                .map(|b| json!({ "type": "reply", "reply": { "id": b.id, "title": b.title } }))
                .collect();
            let mut interactive = json!({ "type": "button", "body": { "text": body }, "action": { "buttons": buttons } });
            decorate(&mut interactive, header, footer);
            ("interactive", interactive)
        }
        Outbound::List {
            body,
            button,
            header,
            footer,
            sections,
        } => {
            let sections: Vec<Value> = sections
                .iter()
                .map(|s| {
                    let mut section = json!({ "rows": choice_rows(&s.rows) });
                    if let Some(t) = &s.title {
                        section["title"] = json!(t);
                    }
                    section
                })
                .collect();
            let mut interactive = json!({ "type": "list", "body": { "text": body }, "action": { "button": button, "sections": sections } });
            decorate(&mut interactive, header, footer);
            ("interactive", interactive)
        }
        Outbound::Template {
            name,
            language,
            parameters,
        } => {
            let mut template = json!({ "name": name, "language": { "code": language } });
            if !parameters.is_empty() {
                let parameters: Vec<Value> = parameters
                    .iter()
                    .map(|p| json!({ "type": "text", "text": p }))
                    .collect();
                template["components"] = json!([{ "type": "body", "parameters": parameters }]);
            }
            ("template", template)
        }
        Outbound::Media {
            kind,
            source,
            caption,
            filename,
        } => {
            let mut media = if source.starts_with("http://") || source.starts_with("https://") {
                json!({ "link": source })
            } else {
                json!({ "id": source })
            };
            if let Some(c) = caption
                .as_ref()
                .filter(|_| kind != "audio" && kind != "sticker")
            {
                media["caption"] = json!(c);
            }
            if let Some(name) = filename.as_ref().filter(|_| kind == "document") {
                media["filename"] = json!(name);
            }
            (kind.as_str(), media)
        }
        // Uploaded first (`GraphClient::send`), then sent as the medium it became; without
        // its media id there is nothing to send.
        Outbound::Attachment { kind, .. } => (kind.as_str(), json!({})),
    };
    body["type"] = json!(kind);
    body[kind] = content;
    body
}

/// The body that marks a customer's message as read and shows the typing indicator.
pub fn read_receipt_body(message_id: &str, typing: bool) -> Value {
    let mut body =
        json!({ "messaging_product": "whatsapp", "status": "read", "message_id": message_id });
    if typing {
        body["typing_indicator"] = json!({ "type": "text" });
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use cocolu_core::outbound::Section;

    fn phone() -> ContactRef {
        ContactRef {
            wa_id: Some("584121234567".into()),
            user_id: Some("VE.1".into()),
            ..ContactRef::default()
        }
    }

    #[test]
    fn a_text_goes_to_the_phone_number_when_known() {
        let body = graph_body(
            &phone(),
            &Outbound::Text {
                body: "Hola".into(),
            },
        );
        assert_eq!(body["to"], "584121234567");
        assert!(body.get("recipient").is_none());
        assert_eq!(body["type"], "text");
        assert_eq!(body["text"]["body"], "Hola");
    }

    #[test]
    fn without_a_phone_number_the_business_scoped_id_is_the_recipient() {
        let to = ContactRef {
            user_id: Some("VE.9".into()),
            ..ContactRef::default()
        };
        let body = graph_body(
            &to,
            &Outbound::Text {
                body: "Hola".into(),
            },
        );
        assert_eq!(body["recipient"], "VE.9");
        assert!(body.get("to").is_none());
    }

    #[test]
    fn buttons_and_lists_have_meta_s_shape() {
        let buttons = Outbound::Buttons {
            body: "¿Qué necesitas?".into(),
            header: None,
            footer: Some("Mi Tienda".into()),
            buttons: vec![
                Choice::new("precios", "Precios"),
                Choice::new("horario", "Horario"),
            ],
        };
        let body = graph_body(&phone(), &buttons);
        assert_eq!(body["interactive"]["type"], "button");
        assert_eq!(
            body["interactive"]["action"]["buttons"][1]["reply"]["id"],
            "horario"
        );
        assert_eq!(body["interactive"]["footer"]["text"], "Mi Tienda");

        let list = Outbound::List {
            body: "Menú".into(),
            button: "Ver opciones".into(),
            header: None,
            footer: None,
            sections: vec![Section {
                title: None,
                rows: vec![Choice::new("a", "Catálogo")],
            }],
        };
        let body = graph_body(&phone(), &list);
        assert_eq!(
            body["interactive"]["action"]["sections"][0]["rows"][0]["title"],
            "Catálogo"
        );
    }

    #[test]
    fn a_template_carries_its_parameters() {
        let message = Outbound::Template {
            name: "seguimiento".into(),
            language: "es".into(),
            parameters: vec!["Ana".into()],
        };
        let body = graph_body(&phone(), &message);
        assert_eq!(body["template"]["language"]["code"], "es");
        assert_eq!(
            body["template"]["components"][0]["parameters"][0]["text"],
            "Ana"
        );
        assert!(message.allowed_outside_window());
    }

    #[test]
    fn a_read_receipt_can_show_typing() {
        let body = read_receipt_body("wamid.X", true);
        assert_eq!(body["status"], "read");
        assert_eq!(body["typing_indicator"]["type"], "text");
    }
}
