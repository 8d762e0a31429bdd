//! The simulator: what the bot would answer to a message, without sending anything. Used by
//! `cocolu simulate` and `POST /api/simulate`, with the rules, settings and templates in
//! force (or on disk, for the command) and, when a conversation is named, that contact's state.

use crate::engine::decide::{
    decide, CompiledRules, ContactState, Decision, Message, Reason, World,
};
use crate::engine::rules::Rules;
use crate::outbound::Outbound;
use crate::settings::Settings;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A message to simulate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Question {
    /// What the customer writes.
    #[serde(default)]
    pub text: Option<String>,
    /// The id of a tapped button or list row.
    #[serde(default)]
    pub button: Option<String>,
    /// The message type (`text` by default; `audio` for a voice note...).
    #[serde(default)]
    pub r#type: Option<String>,
    /// Simulate the contact's very first message (the welcome goes out).
    #[serde(default)]
    pub first_contact: bool,
    /// The customer's name, for `{{nombre}}`.
    #[serde(default)]
    pub name: Option<String>,
}

/// What the bot would do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Answer {
    pub reason: Reason,
    pub replies: Vec<Outbound>,
    /// The replies as WhatsApp would show them, as text.
    pub preview: Vec<String>,
}

/// Runs the engine on `question`. Without a known state, the contact is a returning one (no
/// welcome) unless `first_contact` is asked for.
pub fn simulate(
    rules: Arc<Rules>,
    settings: &Settings,
    templates: &dyn Fn(&str) -> Option<Arc<str>>,
    state: Option<ContactState>,
    question: &Question,
    now: Timestamp,
) -> Answer {
    let compiled = CompiledRules::new(rules);
    let time_zone = crate::settings::time_zone(settings);
    let world = World {
        rules: &compiled,
        settings,
        templates,
        time_zone: &time_zone,
    };
    let state = match (state, question.first_contact) {
        (_, true) => ContactState::default(),
        (Some(state), false) => state,
        (None, false) => ContactState {
            last_in_at: Some(now.as_millisecond() - 3_600_000),
            ..ContactState::default()
        },
    };
    let kind = question.r#type.clone().unwrap_or_else(|| {
        if question.button.is_some() {
            "interactive".into()
        } else {
            "text".into()
        }
    });
    let message = Message {
        kind: &kind,
        text: question.text.as_deref(),
        choice_id: question.button.as_deref(),
        stale: false,
        name: question.name.as_deref(),
    };
    let Decision {
        reason, replies, ..
    } = decide(&world, &state, &message, now);
    let preview = replies.iter().map(preview).collect();
    Answer {
        reason,
        replies,
        preview,
    }
}

/// A reply as WhatsApp shows it, in text.
pub fn preview(reply: &Outbound) -> String {
    match reply {
        Outbound::Text { body } => body.clone(),
        Outbound::Buttons {
            body,
            footer,
            buttons,
            ..
        } => {
            let buttons: Vec<String> = buttons.iter().map(|b| format!("[ {} ]", b.title)).collect();
            let footer = footer
                .as_ref()
                .map(|f| format!("\n_{f}_"))
                .unwrap_or_default();
            format!("{body}{footer}\n{}", buttons.join("  "))
        }
        Outbound::List {
            body,
            button,
            sections,
            ..
        } => {
            let rows: Vec<String> = sections
                .iter()
                .flat_map(|s| s.rows.iter())
                .map(|r| match &r.description {
                    Some(d) => format!("  • {} — {d}", r.title),
                    None => format!("  • {}", r.title),
                })
                .collect();
            format!("{body}\n[ ≡ {button} ]\n{}", rows.join("\n"))
        }
        Outbound::Template { name, .. } => format!("[template {name}]"),
        Outbound::Media { kind, caption, .. } => {
            format!("[{kind}] {}", caption.clone().unwrap_or_default())
        }
        Outbound::Attachment { .. } => format!("[{}] {}", reply.kind(), reply.summary()),
    }
}

/// Why no rule answered, with the greeting rule that gave way to a question.
fn no_rule(greeting_with_more: &Option<String>) -> String {
    match greeting_with_more {
        Some(greeting) => format!(
            "the greeting rule '{greeting}' matched, but the message says more than a greeting \
             and no rule answers that"
        ),
        None => "no rule matched".into(),
    }
}

/// One line saying why, for people.
pub fn explain(reason: &Reason) -> String {
    match reason {
        Reason::Rule {
            id,
            matched,
            over_greeting: None,
            ..
        } => format!("rule '{id}' answers: it matched {matched}"),
        Reason::Rule {
            id,
            matched,
            over_greeting: Some(greeting),
            ..
        } => format!(
            "rule '{id}' answers: it matched {matched}; the greeting rule '{greeting}' gives way to it"
        ),
        Reason::Welcome => "the welcome (first message)".into(),
        Reason::Away { greeting_with_more } => format!(
            "{}, and the shop is closed: the away message",
            no_rule(greeting_with_more)
        ),
        Reason::Fallback { greeting_with_more } => {
            format!("{}: the fallback", no_rule(greeting_with_more))
        }
        Reason::NeedsSetup {
            rule,
            template,
            fill_ins,
        } => format!(
            "rule '{rule}' would send template '{template}', which still needs: {}; a person \
             takes over",
            fill_ins.join("; ")
        ),
        Reason::Quiet => {
            "no rule matched, and the fallback or away message went out recently: nothing".into()
        }
        Reason::OptOut => "an opt-out word: the contact is opted out".into(),
        Reason::OptIn => "an opt-in word: the contact is back".into(),
        Reason::OptedOut => "the contact opted out: nothing".into(),
        Reason::Paused { .. } => "a person took this chat over: the bot is quiet".into(),
        Reason::Capped => "the hourly cap of automatic replies was reached: nothing".into(),
        Reason::Stale => "the message is too old to answer".into(),
        Reason::NotACustomerMessage => "not something a customer wrote: nothing".into(),
        Reason::Takeover { .. } => "a takeover change".into(),
        Reason::Edited => "a person edited the contact".into(),
        Reason::Captured { field } => format!("the answer to a question, kept as '{field}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_reads_as_one_line() {
        let cases = [
            (
                Reason::Rule {
                    id: "horario".into(),
                    matched: "\"horario\" (word)".into(),
                    trigger: None,
                    over_greeting: Some("menu".into()),
                },
                "rule 'horario' answers: it matched \"horario\" (word); the greeting rule 'menu' gives way to it",
            ),
            (
                Reason::Fallback {
                    greeting_with_more: Some("menu".into()),
                },
                "the greeting rule 'menu' matched, but the message says more than a greeting and no rule answers that: the fallback",
            ),
            (
                Reason::Away {
                    greeting_with_more: None,
                },
                "no rule matched, and the shop is closed: the away message",
            ),
            (
                Reason::NeedsSetup {
                    rule: "precios".into(),
                    template: "precios".into(),
                    fill_ins: vec!["tus productos y precios, uno por línea".into()],
                },
                "rule 'precios' would send template 'precios', which still needs: tus productos y precios, uno por línea; a person takes over",
            ),
        ];
        for (reason, line) in cases {
            assert_eq!(explain(&reason), line);
            assert!(!explain(&reason).contains('\n'));
        }
    }
}
