//! What Cocolu sends: text, reply buttons, list menus, approved templates and media, with
//! WhatsApp's limits checked before anything leaves. Each channel turns these into its own
//! wire format (the Graph API's JSON is in the server's `channel/meta/body.rs`).

use serde::{Deserialize, Serialize};

pub use crate::model::{Choice, Section};

/// WhatsApp's limits (Cloud API reference for interactive and text messages).
pub mod limits {
    pub const TEXT_CHARS: usize = 4096;
    pub const INTERACTIVE_BODY_CHARS: usize = 1024;
    pub const HEADER_CHARS: usize = 60;
    pub const FOOTER_CHARS: usize = 60;
    pub const BUTTONS: usize = 3;
    pub const BUTTON_TITLE_CHARS: usize = 20;
    pub const BUTTON_ID_CHARS: usize = 256;
    pub const LIST_BUTTON_CHARS: usize = 20;
    pub const LIST_SECTIONS: usize = 10;
    pub const LIST_ROWS: usize = 10;
    pub const SECTION_TITLE_CHARS: usize = 24;
    pub const ROW_TITLE_CHARS: usize = 24;
    pub const ROW_DESCRIPTION_CHARS: usize = 72;
    pub const ROW_ID_CHARS: usize = 200;
    pub const CAPTION_CHARS: usize = 1024;
}

/// A message to send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outbound {
    Text {
        body: String,
    },
    Buttons {
        body: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        header: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        footer: Option<String>,
        buttons: Vec<Choice>,
    },
    List {
        body: String,
        /// The label of the button that opens the list.
        button: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        header: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        footer: Option<String>,
        sections: Vec<Section>,
    },
    /// An approved message template, the only thing allowed outside the 24-hour window.
    Template {
        name: String,
        language: String,
        #[serde(default)]
        parameters: Vec<String>,
    },
    Media {
        /// `image`, `audio`, `video`, `document` or `sticker`.
        kind: String,
        /// A media id from an upload, or a public link.
        source: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
    },
}

impl Outbound {
    /// Whether WhatsApp allows it outside the 24-hour customer-service window.
    pub fn allowed_outside_window(&self) -> bool {
        matches!(self, Outbound::Template { .. })
    }

    /// Its `type` in JSON (`text`, `buttons`, `list`, `template`, `media`).
    pub fn kind(&self) -> &'static str {
        match self {
            Outbound::Text { .. } => "text",
            Outbound::Buttons { .. } => "buttons",
            Outbound::List { .. } => "list",
            Outbound::Template { .. } => "template",
            Outbound::Media { .. } => "media",
        }
    }

    /// The text a person reads, for the inbox and logs.
    pub fn summary(&self) -> String {
        match self {
            Outbound::Text { body }
            | Outbound::Buttons { body, .. }
            | Outbound::List { body, .. } => body.clone(),
            Outbound::Template { name, .. } => format!("[template {name}]"),
            Outbound::Media { kind, caption, .. } => {
                caption.clone().unwrap_or_else(|| format!("[{kind}]"))
            }
        }
    }
}

/// A limit a message breaks, said so a person can fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LimitError(pub String);

fn check_len(what: &str, text: &str, max: usize, problems: &mut Vec<String>) {
    let chars = text.chars().count();
    if chars > max {
        problems.push(format!(
            "{what} has {chars} characters; WhatsApp allows {max}"
        ));
    }
}

fn check_required(what: &str, text: &str, max: usize, problems: &mut Vec<String>) {
    if text.trim().is_empty() {
        problems.push(format!("{what} is empty"));
    }
    check_len(what, text, max, problems);
}

fn check_optional(what: &str, text: &Option<String>, max: usize, problems: &mut Vec<String>) {
    if let Some(text) = text {
        check_len(what, text, max, problems);
    }
}

/// The body, header and footer every interactive message has.
fn check_frame(
    body: &str,
    header: &Option<String>,
    footer: &Option<String>,
    problems: &mut Vec<String>,
) {
    check_required(
        "the message",
        body,
        limits::INTERACTIVE_BODY_CHARS,
        problems,
    );
    check_optional("the header", header, limits::HEADER_CHARS, problems);
    check_optional("the footer", footer, limits::FOOTER_CHARS, problems);
}

/// Checks WhatsApp's limits; every problem is listed.
pub fn check(message: &Outbound) -> Result<(), LimitError> {
    use limits::*;
    let mut problems = Vec::new();
    match message {
        Outbound::Text { body } => check_required("the text", body, TEXT_CHARS, &mut problems),
        Outbound::Buttons {
            body,
            header,
            footer,
            buttons,
        } => {
            check_frame(body, header, footer, &mut problems);
            if buttons.is_empty() || buttons.len() > BUTTONS {
                problems.push(format!(
                    "{} buttons; WhatsApp allows 1 to {BUTTONS}",
                    buttons.len()
                ));
            }
            for (i, b) in buttons.iter().enumerate() {
                check_required(
                    &format!("button {} title", i + 1),
                    &b.title,
                    BUTTON_TITLE_CHARS,
                    &mut problems,
                );
                check_required(
                    &format!("button {} id", i + 1),
                    &b.id,
                    BUTTON_ID_CHARS,
                    &mut problems,
                );
            }
        }
        Outbound::List {
            body,
            button,
            header,
            footer,
            sections,
        } => {
            check_frame(body, header, footer, &mut problems);
            check_required("the list button", button, LIST_BUTTON_CHARS, &mut problems);
            let rows: usize = sections.iter().map(|s| s.rows.len()).sum();
            if sections.is_empty() || sections.len() > LIST_SECTIONS {
                problems.push(format!(
                    "{} sections; WhatsApp allows 1 to {LIST_SECTIONS}",
                    sections.len()
                ));
            }
            if rows == 0 || rows > LIST_ROWS {
                problems.push(format!(
                    "{rows} rows in all; WhatsApp allows 1 to {LIST_ROWS}"
                ));
            }
            for (s, section) in sections.iter().enumerate() {
                check_optional(
                    &format!("section {} title", s + 1),
                    &section.title,
                    SECTION_TITLE_CHARS,
                    &mut problems,
                );
                if sections.len() > 1 && section.title.is_none() {
                    problems.push(format!(
                        "section {} needs a title when there are several",
                        s + 1
                    ));
                }
                for (r, row) in section.rows.iter().enumerate() {
                    let at = format!("row {} of section {}", r + 1, s + 1);
                    check_required(
                        &format!("{at}: title"),
                        &row.title,
                        ROW_TITLE_CHARS,
                        &mut problems,
                    );
                    check_required(&format!("{at}: id"), &row.id, ROW_ID_CHARS, &mut problems);
                    check_optional(
                        &format!("{at}: description"),
                        &row.description,
                        ROW_DESCRIPTION_CHARS,
                        &mut problems,
                    );
                }
            }
        }
        Outbound::Template { name, language, .. } => {
            if name.trim().is_empty() || language.trim().is_empty() {
                problems.push("a template needs its name and language".to_string());
            }
        }
        Outbound::Media {
            kind,
            source,
            caption,
        } => {
            if !matches!(
                kind.as_str(),
                "image" | "audio" | "video" | "document" | "sticker"
            ) {
                problems.push(format!("'{kind}' is not a media type WhatsApp sends"));
            }
            if source.trim().is_empty() {
                problems.push("the media has no id or link".to_string());
            }
            check_optional("the caption", caption, CAPTION_CHARS, &mut problems);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(LimitError(problems.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked_with_every_problem_named() {
        assert!(check(&Outbound::Text {
            body: "a".repeat(4096)
        })
        .is_ok());
        let error = check(&Outbound::Text {
            body: "a".repeat(4097),
        })
        .expect_err("too long");
        assert!(
            error.0.contains("4097 characters; WhatsApp allows 4096"),
            "{error}"
        );

        let four = (0..4).map(|i| Choice::new(i.to_string(), "ok")).collect();
        let error = check(&Outbound::Buttons {
            body: "x".into(),
            header: None,
            footer: None,
            buttons: four,
        })
        .expect_err("too many");
        assert!(error.0.contains("4 buttons"), "{error}");

        let long_title = vec![Choice::new("a", "un título demasiado largo")];
        let error = check(&Outbound::Buttons {
            body: "x".into(),
            header: None,
            footer: None,
            buttons: long_title,
        })
        .expect_err("long");
        assert!(
            error
                .0
                .contains("button 1 title has 25 characters; WhatsApp allows 20"),
            "{error}"
        );

        let rows = (0..11)
            .map(|i| Choice::new(i.to_string(), "fila"))
            .collect();
        let list = Outbound::List {
            body: "x".into(),
            button: "Ver".into(),
            header: None,
            footer: None,
            sections: vec![Section { title: None, rows }],
        };
        assert!(check(&list)
            .expect_err("too many rows")
            .0
            .contains("11 rows"));
    }
}
