//! What the WhatsApp Web channel sends for each kind of [`Outbound`]. An ordinary WhatsApp
//! account has no reply buttons or list menus (those are Meta's Cloud API), so menus go out as
//! text with numbered options — the customer answers with the number or the option's title,
//! and [`choice_for`] finds which option that was. Media given as a public link go as the
//! link (WhatsApp shows its preview) under the caption. Approved templates and media uploaded
//! to Meta exist only on Meta's platform: the channel refuses them with the reason.

use cocolu_core::log::{Failure, SendError};
use cocolu_core::outbound::{Choice, Outbound};

/// The options of a menu, in the order they are numbered.
pub fn choices_of(message: &Outbound) -> Vec<&Choice> {
    match message {
        Outbound::Buttons { buttons, .. } => buttons.iter().collect(),
        Outbound::List { sections, .. } => sections.iter().flat_map(|s| &s.rows).collect(),
        _ => Vec::new(),
    }
}

/// The text WhatsApp Web sends for a text, a menu or a linked medium; `None` for what it
/// refuses (see [`refusal`]).
pub fn text_of(message: &Outbound) -> Option<String> {
    let framed = |header: &Option<String>, body: &str, options: String, footer: &Option<String>| {
        let mut parts = Vec::new();
        if let Some(header) = header.as_deref().filter(|h| !h.is_empty()) {
            parts.push(format!("*{header}*"));
        }
        parts.push(body.to_string());
        parts.push(options);
        if let Some(footer) = footer.as_deref().filter(|f| !f.is_empty()) {
            parts.push(format!("_{footer}_"));
        }
        parts.join("\n\n")
    };
    match message {
        Outbound::Text { body } => Some(body.clone()),
        Outbound::Buttons {
            body,
            header,
            footer,
            buttons,
        } => {
            let options = numbered(buttons.iter(), 1);
            Some(framed(header, body, options, footer))
        }
        Outbound::List {
            body,
            header,
            footer,
            sections,
            ..
        } => {
            let mut blocks = Vec::new();
            let mut next = 1;
            for section in sections {
                let lines = numbered(section.rows.iter(), next);
                next += section.rows.len();
                blocks.push(match section.title.as_deref().filter(|t| !t.is_empty()) {
                    Some(title) => format!("*{title}*\n{lines}"),
                    None => lines,
                });
            }
            Some(framed(header, body, blocks.join("\n\n"), footer))
        }
        Outbound::Media {
            source, caption, ..
        } if is_link(source) => Some(match caption.as_deref().filter(|c| !c.is_empty()) {
            Some(caption) => format!("{caption}\n{source}"),
            None => source.clone(),
        }),
        Outbound::Template { .. } | Outbound::Media { .. } | Outbound::Attachment { .. } => None,
    }
}

fn is_link(source: &str) -> bool {
    source.starts_with("https://") || source.starts_with("http://")
}

/// Why the channel cannot send `message`, when it cannot.
pub fn refusal(message: &Outbound) -> Option<SendError> {
    let reason = match message {
        Outbound::Template { .. } => {
            "approved templates exist only on Meta's Cloud API; the WhatsApp Web channel sends \
             text, menus as numbered options, and media given as links"
        }
        Outbound::Media { source, .. } if !is_link(source) => {
            "this medium was uploaded to Meta and only Meta's Cloud API can send it; give it \
             as a public link for the WhatsApp Web channel"
        }
        Outbound::Attachment { .. } => {
            "files attached in the dashboard are sent through Meta's Cloud API only; the \
             WhatsApp Web channel sends text, menus as numbered options, and media given as \
             links"
        }
        _ => return None,
    };
    Some(SendError::local(Failure::Permanent, reason))
}

/// What to do about a send the library refused: a request it calls invalid fails the same way
/// again; anything else (not linked right now, a dropped connection, a server error) is tried
/// again later by the outbox.
pub fn failure_of(error: &whatsapp_rust::SendError) -> SendError {
    let failure = match error {
        whatsapp_rust::SendError::InvalidRequest(_) => Failure::Permanent,
        _ => Failure::Retry,
    };
    SendError::local(failure, format!("WhatsApp Web: {error}"))
}

fn numbered<'a>(choices: impl Iterator<Item = &'a Choice>, first: usize) -> String {
    choices
        .enumerate()
        .map(
            |(i, c)| match c.description.as_deref().filter(|d| !d.is_empty()) {
                Some(description) => format!("{}. {} — {}", first + i, c.title, description),
                None => format!("{}. {}", first + i, c.title),
            },
        )
        .collect::<Vec<_>>()
        .join("\n")
}

/// Which option of the menu `sent` the customer's `reply` picks: its number, or its title
/// (letters and accents as the engine compares them).
pub fn choice_for<'a>(sent: &'a Outbound, reply: &str) -> Option<&'a Choice> {
    let choices = choices_of(sent);
    let reply = reply.trim().trim_end_matches(['.', ')']);
    if let Ok(n) = reply.parse::<usize>() {
        return n.checked_sub(1).and_then(|i| choices.get(i).copied());
    }
    let wanted = cocolu_core::engine::text::normalize(reply);
    choices
        .into_iter()
        .find(|c| cocolu_core::engine::text::normalize(&c.title) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cocolu_core::outbound::Section;

    fn choice(id: &str, title: &str, description: Option<&str>) -> Choice {
        Choice {
            id: id.into(),
            title: title.into(),
            description: description.map(str::to_string),
        }
    }

    fn menu() -> Outbound {
        Outbound::List {
            body: "¿Qué desea pedir?".into(),
            button: "Ver menú".into(),
            header: Some("Menú".into()),
            footer: Some("Precios en USD".into()),
            sections: vec![
                Section {
                    title: Some("Tortas".into()),
                    rows: vec![
                        choice("torta-chocolate", "Chocolate", Some("8 porciones")),
                        choice("torta-tres-leches", "Tres leches", None),
                    ],
                },
                Section {
                    title: None,
                    rows: vec![choice("cafe", "Café", None)],
                },
            ],
        }
    }

    #[test]
    fn a_list_goes_out_as_numbered_text_and_answers_find_their_option() {
        let text = text_of(&menu()).expect("text");
        assert_eq!(
            text,
            "*Menú*\n\n¿Qué desea pedir?\n\n*Tortas*\n1. Chocolate — 8 porciones\n2. Tres leches\n\n3. Café\n\n_Precios en USD_"
        );
        let sent = menu();
        assert_eq!(
            choice_for(&sent, "2").map(|c| c.id.as_str()),
            Some("torta-tres-leches")
        );
        assert_eq!(
            choice_for(&sent, " 3. ").map(|c| c.id.as_str()),
            Some("cafe")
        );
        assert_eq!(
            choice_for(&sent, "cafe").map(|c| c.id.as_str()),
            Some("cafe")
        );
        assert_eq!(choice_for(&sent, "4"), None);
        assert_eq!(choice_for(&sent, "0"), None);
        assert_eq!(choice_for(&sent, "otra cosa"), None);
    }

    #[test]
    fn buttons_text_and_templates() {
        let buttons = Outbound::Buttons {
            body: "¿Confirmamos?".into(),
            header: None,
            footer: None,
            buttons: vec![choice("si", "Sí", None), choice("no", "No", None)],
        };
        assert_eq!(
            text_of(&buttons).as_deref(),
            Some("¿Confirmamos?\n\n1. Sí\n2. No")
        );
        assert_eq!(
            choice_for(&buttons, "sí").map(|c| c.id.as_str()),
            Some("si")
        );
        let text = Outbound::Text {
            body: "Hola".into(),
        };
        assert_eq!(text_of(&text).as_deref(), Some("Hola"));
        assert!(refusal(&text).is_none());
        let template = Outbound::Template {
            name: "bienvenida".into(),
            language: "es".into(),
            parameters: Vec::new(),
        };
        assert_eq!(text_of(&template), None);
        let refused = refusal(&template).expect("refused");
        assert_eq!(refused.failure, Failure::Permanent);
        assert!(refused.message.contains("Meta"), "{}", refused.message);
    }

    #[test]
    fn media_go_as_their_link_and_meta_uploads_are_refused() {
        let linked = Outbound::Media {
            kind: "image".into(),
            source: "https://tienda.example/menu.jpg".into(),
            caption: Some("Nuestro menú".into()),
            filename: None,
        };
        assert_eq!(
            text_of(&linked).as_deref(),
            Some("Nuestro menú\nhttps://tienda.example/menu.jpg")
        );
        assert!(refusal(&linked).is_none());
        let uploaded = Outbound::Media {
            kind: "image".into(),
            source: "1234567890".into(),
            caption: None,
            filename: None,
        };
        assert_eq!(text_of(&uploaded), None);
        let refused = refusal(&uploaded).expect("refused");
        assert_eq!(refused.failure, Failure::Permanent);
        assert!(refused.message.contains("link"), "{}", refused.message);
    }

    #[test]
    fn refused_sends_are_retried_unless_the_request_itself_is_wrong() {
        let not_linked = failure_of(&whatsapp_rust::SendError::NotLoggedIn);
        assert_eq!(not_linked.failure, Failure::Retry);
        assert!(
            not_linked.message.contains("not logged in"),
            "{}",
            not_linked.message
        );
        let invalid = failure_of(&whatsapp_rust::SendError::InvalidRequest(
            "empty message".into(),
        ));
        assert_eq!(invalid.failure, Failure::Permanent);
        assert!(
            invalid.message.contains("empty message"),
            "{}",
            invalid.message
        );
    }
}
