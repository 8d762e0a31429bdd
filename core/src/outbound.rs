//! What Cocolu sends: text, reply buttons, list menus, approved templates and media, with
//! WhatsApp's limits checked before anything leaves. Each channel turns these into its own
//! wire format (the Graph API's JSON is in the server's `channel/meta/body.rs`).

use crate::fault::{self, Fault, Part};
use crate::media_types::{self, AttachmentKind};
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
    pub const FILE_NAME_CHARS: usize = 240;
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
        /// The name the customer sees on a document.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
    /// A file a person attached in the dashboard (`POST /api/uploads`): kept in the data
    /// folder and uploaded to the channel when it is sent, so a send that waits (Meta out of
    /// reach, a restart) still has it.
    Attachment {
        kind: AttachmentKind,
        /// Its name in the data folder's `media/`, as the upload answered.
        file: String,
        /// The name the customer sees on a document.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
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
            Outbound::Attachment { .. } => "attachment",
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
            Outbound::Attachment {
                kind,
                filename,
                caption,
                ..
            } => caption
                .clone()
                .or_else(|| filename.clone())
                .unwrap_or_else(|| format!("[{}]", kind.as_str())),
        }
    }
}

/// The limits a message breaks, said so a person can fix them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", fault::sentence(.0))]
pub struct LimitError(pub Vec<Fault>);

fn check_len(what: Part, text: &str, max: usize, problems: &mut Vec<Fault>) {
    let chars = text.chars().count();
    if chars > max {
        problems.push(Fault::TooLong { what, chars, max });
    }
}

fn check_required(what: Part, text: &str, max: usize, problems: &mut Vec<Fault>) {
    if text.trim().is_empty() {
        problems.push(Fault::Empty { what });
    }
    check_len(what, text, max, problems);
}

fn check_optional(what: Part, text: &Option<String>, max: usize, problems: &mut Vec<Fault>) {
    if let Some(text) = text {
        check_len(what, text, max, problems);
    }
}

/// The body, header and footer every interactive message has.
fn check_frame(
    body: &str,
    header: &Option<String>,
    footer: &Option<String>,
    problems: &mut Vec<Fault>,
) {
    check_required(
        Part::Message,
        body,
        limits::INTERACTIVE_BODY_CHARS,
        problems,
    );
    check_optional(Part::Header, header, limits::HEADER_CHARS, problems);
    check_optional(Part::Footer, footer, limits::FOOTER_CHARS, problems);
}

/// Checks WhatsApp's limits; every problem is listed.
pub fn check(message: &Outbound) -> Result<(), LimitError> {
    use limits::*;
    let mut problems = Vec::new();
    match message {
        Outbound::Text { body } => check_required(Part::Text, body, TEXT_CHARS, &mut problems),
        Outbound::Buttons {
            body,
            header,
            footer,
            buttons,
        } => {
            check_frame(body, header, footer, &mut problems);
            if buttons.is_empty() || buttons.len() > BUTTONS {
                problems.push(Fault::ButtonCount {
                    found: buttons.len(),
                    max: BUTTONS,
                });
            }
            for (i, b) in buttons.iter().enumerate() {
                check_required(
                    Part::ButtonTitle { button: i + 1 },
                    &b.title,
                    BUTTON_TITLE_CHARS,
                    &mut problems,
                );
                check_required(
                    Part::ButtonId { button: i + 1 },
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
            check_required(Part::ListButton, button, LIST_BUTTON_CHARS, &mut problems);
            let rows: usize = sections.iter().map(|s| s.rows.len()).sum();
            if sections.is_empty() || sections.len() > LIST_SECTIONS {
                problems.push(Fault::SectionCount {
                    found: sections.len(),
                    max: LIST_SECTIONS,
                });
            }
            if rows == 0 || rows > LIST_ROWS {
                problems.push(Fault::RowCount {
                    found: rows,
                    max: LIST_ROWS,
                });
            }
            for (s, section) in sections.iter().enumerate() {
                check_optional(
                    Part::SectionTitle { section: s + 1 },
                    &section.title,
                    SECTION_TITLE_CHARS,
                    &mut problems,
                );
                if sections.len() > 1 && section.title.is_none() {
                    problems.push(Fault::SectionNeedsTitle { section: s + 1 });
                }
                for (r, row) in section.rows.iter().enumerate() {
                    let (section, number) = (s + 1, r + 1);
                    check_required(
                        Part::RowTitle {
                            section,
                            row: number,
                        },
                        &row.title,
                        ROW_TITLE_CHARS,
                        &mut problems,
                    );
                    check_required(
                        Part::RowId {
                            section,
                            row: number,
                        },
                        &row.id,
                        ROW_ID_CHARS,
                        &mut problems,
                    );
                    check_optional(
                        Part::RowDescription {
                            section,
                            row: number,
                        },
                        &row.description,
                        ROW_DESCRIPTION_CHARS,
                        &mut problems,
                    );
                }
            }
        }
        Outbound::Template { name, language, .. } => {
            if name.trim().is_empty() || language.trim().is_empty() {
                problems.push(Fault::TemplateIncomplete);
            }
        }
        Outbound::Media {
            kind,
            source,
            caption,
            filename,
        } => {
            if !matches!(
                kind.as_str(),
                "image" | "audio" | "video" | "document" | "sticker"
            ) {
                problems.push(Fault::NotAMediaType { kind: kind.clone() });
            }
            if source.trim().is_empty() {
                problems.push(Fault::NoMediaSource);
            }
            check_optional(Part::Caption, caption, CAPTION_CHARS, &mut problems);
            check_optional(Part::FileName, filename, FILE_NAME_CHARS, &mut problems);
        }
        Outbound::Attachment {
            kind,
            file,
            filename,
            caption,
        } => {
            let stored = media_types::stored_type(file, media_types::UPLOADED)
                .or_else(|| media_types::stored_type(file, media_types::ATTACHED));
            if stored.and_then(|t| t.attach_as) != Some(*kind) {
                problems.push(Fault::NoSuchUpload);
            }
            check_optional(Part::Caption, caption, CAPTION_CHARS, &mut problems);
            check_optional(Part::FileName, filename, FILE_NAME_CHARS, &mut problems);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(LimitError(problems))
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
            error
                .to_string()
                .contains("4097 characters; WhatsApp allows 4096"),
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
        assert!(error.to_string().contains("4 buttons"), "{error}");

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
                .to_string()
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
            .to_string()
            .contains("11 rows"));
    }
}
