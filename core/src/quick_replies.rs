//! `quick_replies.json`: the owner's saved answers, typed with `/` in the inbox's composer
//! (`/horario`), with the same variables as the bot's templates (`{{nombre}}`, `{{negocio}}`,
//! the hours, captured fields), filled in for the customer before the person sends them.

use crate::document::{Context, HandEdited, Problem};
use crate::fault::{Fault, Part};
use crate::format::{check, valid_name};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Most saved answers a shop keeps.
pub const MAX_QUICK_REPLIES: usize = 500;
/// Longest shortcut, in bytes (lowercase letters, digits, `_` and `-`).
pub const SHORTCUT_MAX: usize = 32;

/// The contents of `quick_replies.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct QuickReplies {
    /// Lets editors find this file's JSON Schema.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Format version of this file.
    pub version: u32,
    /// The saved answers, in the order the composer offers them.
    #[serde(default)]
    pub replies: Vec<QuickReply>,
}

/// One saved answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct QuickReply {
    /// What follows `/` in the composer: lowercase letters, digits, `_` and `-`.
    pub shortcut: String,
    /// The text, with WhatsApp formatting and variables such as `{{nombre}}`.
    pub text: String,
}

impl QuickReplies {
    /// The answers whose shortcut or text contains `search` (any case), shortcuts that start
    /// with it first.
    pub fn matching<'a>(replies: &'a [QuickReply], search: &str) -> Vec<&'a QuickReply> {
        let search = search.trim().to_lowercase();
        let mut found: Vec<(bool, &QuickReply)> = replies
            .iter()
            .filter(|reply| {
                search.is_empty()
                    || reply.shortcut.contains(&search)
                    || reply.text.to_lowercase().contains(&search)
            })
            .map(|reply| (!reply.shortcut.starts_with(&search), reply))
            .collect();
        found.sort_by_key(|(later, _)| *later);
        found.into_iter().map(|(_, reply)| reply).collect()
    }
}

impl HandEdited for QuickReplies {
    const FILE: &'static str = "quick_replies.json";
    const VERSION: u32 = 1;

    fn defaults() -> QuickReplies {
        let reply = |shortcut: &str, text: &str| QuickReply {
            shortcut: shortcut.into(),
            text: text.into(),
        };
        QuickReplies {
            schema: None,
            version: Self::VERSION,
            replies: vec![
                reply(
                    "gracias",
                    "¡Gracias por escribirnos, {{nombre}}! Cualquier otra cosa, aquí estamos.",
                ),
                reply("horario", "Nuestro horario:\n{{horario_semana}}"),
                reply(
                    "un-momento",
                    "Un momento, {{nombre}}, enseguida lo reviso y te digo.",
                ),
            ],
        }
    }

    crate::stamped_by_fields!();

    fn validate(&self, _context: &Context) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.replies.len() > MAX_QUICK_REPLIES {
            problems.push(Problem::new(
                "/replies",
                Fault::TooManyQuickReplies {
                    max: MAX_QUICK_REPLIES,
                },
            ));
        }
        let mut seen = BTreeSet::new();
        for (index, reply) in self.replies.iter().enumerate() {
            let at = |field: &str| format!("/replies/{index}/{field}");
            if !valid_name(&reply.shortcut) || reply.shortcut.len() > SHORTCUT_MAX {
                problems.push(Problem::new(at("shortcut"), Fault::NotAShortcut));
            } else if !seen.insert(reply.shortcut.as_str()) {
                problems.push(Problem::new(
                    at("shortcut"),
                    Fault::ShortcutTwice {
                        shortcut: reply.shortcut.clone(),
                    },
                ));
            }
            problems.extend(check(&reply.text).into_iter().map(|(_, fault)| {
                // The template checks speak of "the template": here it is the text.
                let fault = match fault {
                    Fault::Empty { .. } => Fault::Empty { what: Part::Text },
                    Fault::TooLong { chars, max, .. } => Fault::TooLong {
                        what: Part::Text,
                        chars,
                        max,
                    },
                    other => other,
                };
                Problem::new(at("text"), fault)
            }));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(shortcut: &str, text: &str) -> QuickReply {
        QuickReply {
            shortcut: shortcut.into(),
            text: text.into(),
        }
    }

    #[test]
    fn the_defaults_are_valid() {
        assert!(QuickReplies::defaults()
            .validate(&Context::default())
            .is_empty());
    }

    #[test]
    fn each_problem_is_at_its_answer_and_field() {
        let replies = QuickReplies {
            replies: vec![
                reply("Horario", "x"),
                reply("precio", ""),
                reply("precio", "Hola {{nombre"),
            ],
            ..QuickReplies::defaults()
        };
        let found: Vec<(String, Fault)> = replies
            .validate(&Context::default())
            .into_iter()
            .map(|p| (p.pointer, p.fault))
            .collect();
        assert_eq!(
            found[0],
            ("/replies/0/shortcut".into(), Fault::NotAShortcut)
        );
        assert_eq!(found[1].0, "/replies/1/text");
        assert_eq!(
            found[2],
            (
                "/replies/2/shortcut".into(),
                Fault::ShortcutTwice {
                    shortcut: "precio".into()
                }
            )
        );
        assert_eq!(found[3].0, "/replies/2/text");
        assert_eq!(found.len(), 4, "{found:?}");
    }

    #[test]
    fn a_search_finds_shortcuts_first_then_texts() {
        let replies = vec![
            reply("gracias", "Gracias por tu compra"),
            reply("compra", "¿Confirmas la compra?"),
            reply("horario", "Abrimos a las 9"),
        ];
        let found: Vec<&str> = QuickReplies::matching(&replies, "COMPRA")
            .into_iter()
            .map(|r| r.shortcut.as_str())
            .collect();
        assert_eq!(found, vec!["compra", "gracias"]);
        assert_eq!(QuickReplies::matching(&replies, "").len(), 3);
    }
}
