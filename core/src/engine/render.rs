//! Filling in the replies: templates and texts with their variables (`{{nombre}}`,
//! `{{negocio}}`, the hours, captured fields), and the check that a template is ready to
//! send (no `[[fill-in]]` mark left by the shop's setup). Pure, like the decision.

use super::decide::World;
use super::hours::Schedule;
use super::rules::Reply;
use crate::format::{fill_ins, render};
use crate::model::Settings;
use crate::outbound::{limits, Outbound};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::collections::BTreeMap;

/// The variables a template can use besides captured fields, all computed here.
pub const VARIABLES: [&str; 5] = [
    "nombre",
    "negocio",
    "horario_hoy",
    "horario_del_dia",
    "horario_semana",
];

/// What a text's variables are filled with: the shop, the customer, the moment.
pub struct Filling<'a> {
    pub settings: &'a Settings,
    pub time_zone: &'a TimeZone,
    /// The customer's name, for `{{nombre}}` (a captured `nombre` field wins).
    pub name: &'a str,
    /// What the customer wrote: `{{horario_del_dia}}` answers for the day it names.
    pub message: &'a str,
    pub now: Timestamp,
    /// Captured fields, as variables.
    pub fields: &'a BTreeMap<String, String>,
}

/// `source` with its variables filled in (the bot's replies, and the saved answers a person
/// picks). The hours cost a time-zone conversion each: computed only when the text uses them.
pub fn fill(source: &str, with: &Filling) -> String {
    let (hours, zone, now) = (&with.settings.hours, with.time_zone, with.now);
    let when_used = |name: &str, value: &dyn Fn() -> String| {
        if source.contains(name) {
            value()
        } else {
            String::new()
        }
    };
    let today = when_used("horario_hoy", &|| {
        hours.today_text(zone, now, "y", "cerrado")
    });
    let day = when_used("horario_del_dia", &|| {
        hours.day_text(zone, now, with.message)
    });
    let week = when_used("horario_semana", &|| hours.week_text(zone, now));
    let name = with.fields.get("nombre").map_or(with.name, String::as_str);
    let mut variables = vec![
        ("nombre", name),
        ("negocio", with.settings.business.name.as_str()),
        ("horario_hoy", today.as_str()),
        ("horario_del_dia", day.as_str()),
        ("horario_semana", week.as_str()),
    ];
    variables.extend(with.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    render(source, &variables).trim_end().to_string()
}

/// A template that still has fill-in marks: it is never sent as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unfinished {
    pub template: String,
    /// What the owner still has to write, from the marks (`[[...]]`), in order.
    pub fill_ins: Vec<String>,
}

/// Fills replies for one message.
pub struct Renderer<'a> {
    pub world: &'a World<'a>,
    /// The customer's name, for `{{nombre}}` (a captured `nombre` field wins).
    pub name: &'a str,
    /// What the customer wrote: `{{horario_del_dia}}` answers for the day it names.
    pub message: &'a str,
    pub now: Timestamp,
    /// Captured fields, as variables.
    pub fields: BTreeMap<String, String>,
}

impl Renderer<'_> {
    fn source(&self, template: &str) -> String {
        (self.world.templates)(template)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }

    /// `Some` when template `name` still has fill-in marks. Found at decision time: finding
    /// them costs one scan of a short text.
    pub fn unfinished(&self, name: &str) -> Option<Unfinished> {
        let text = (self.world.templates)(name)?;
        let fill_ins = fill_ins(&text);
        (!fill_ins.is_empty()).then(|| Unfinished {
            template: name.to_string(),
            fill_ins,
        })
    }

    /// The first template of `reply` that still has fill-in marks.
    pub fn unfinished_reply(&self, reply: &Reply) -> Option<Unfinished> {
        let template = match reply {
            Reply::Template(name) => Some(name),
            Reply::Buttons(b) => b.template.as_ref(),
            Reply::List(l) => l.template.as_ref(),
            Reply::Text(_) => None,
        };
        self.unfinished(template?)
    }

    /// A template's (or a literal text's) text with its variables filled in. The hours cost a
    /// time-zone conversion each: computed only when the text uses them.
    pub fn text(&self, template_or_text: &str, is_template: bool) -> String {
        let source = if is_template {
            self.source(template_or_text)
        } else {
            template_or_text.to_string()
        };
        fill(
            &source,
            &Filling {
                settings: self.world.settings,
                time_zone: self.world.time_zone,
                name: self.name,
                message: self.message,
                now: self.now,
                fields: &self.fields,
            },
        )
    }

    /// A template as a text message; `None` when it still needs filling in (then nothing is
    /// sent in its place).
    pub fn template(&self, name: &str) -> Option<Outbound> {
        if self.unfinished(name).is_some() {
            return None;
        }
        Some(Outbound::Text {
            body: self.text(name, true),
        })
    }

    /// One of a rule's replies, filled in (the caller checks [`Renderer::unfinished_reply`]
    /// first).
    pub fn reply(&self, reply: &Reply) -> Outbound {
        let body = |template: &Option<String>, text: &Option<String>| match (template, text) {
            (Some(name), _) => self.text(name, true),
            (None, Some(text)) => self.text(text, false),
            (None, None) => String::new(),
        };
        match reply {
            Reply::Template(name) => Outbound::Text {
                body: self.text(name, true),
            },
            Reply::Text(text) => Outbound::Text {
                body: self.text(text, false),
            },
            Reply::Buttons(b) => Outbound::Buttons {
                body: body(&b.template, &b.text),
                header: None,
                footer: b.footer.clone(),
                buttons: b.options.clone(),
            },
            Reply::List(l) => Outbound::List {
                body: body(&l.template, &l.text),
                button: l.button.clone(),
                header: None,
                footer: l.footer.clone(),
                sections: l.sections.clone(),
            },
        }
    }
}

/// The welcome and the message after it as one message, when WhatsApp allows it: a text
/// after a text (up to 4,096 characters), or the welcome on top of a buttons or list body
/// (up to 1,024). `None` when they must stay apart (a template, a medium, too long).
pub fn merge_welcome(welcome: &Outbound, next: &Outbound) -> Option<Outbound> {
    let Outbound::Text { body: greeting } = welcome else {
        return None;
    };
    let joined = |body: &str, limit: usize| {
        let text = [greeting.trim_end(), body.trim_start()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        (text.chars().count() <= limit).then_some(text)
    };
    let mut merged = next.clone();
    match &mut merged {
        Outbound::Text { body } => *body = joined(body, limits::TEXT_CHARS)?,
        Outbound::Buttons { body, .. } | Outbound::List { body, .. } => {
            *body = joined(body, limits::INTERACTIVE_BODY_CHARS)?
        }
        Outbound::Template { .. } | Outbound::Media { .. } | Outbound::Attachment { .. } => {
            return None
        }
    }
    Some(merged)
}
