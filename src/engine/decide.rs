//! The decision: given the rules, the settings, the templates, a contact's state, one
//! inbound message and the time, what the bot does. No I/O: the caller carries out the
//! [`Decision`] (queue the replies, store the new contact state).
//!
//! Order of precedence: stale messages and non-customer events get nothing; opt-out and
//! opt-in words; an opted-out contact gets nothing; a paused (taken over) contact gets
//! nothing; the welcome on a first message; the first matching rule; otherwise the away
//! message outside hours, or the fallback, each throttled per contact. Every automatic reply
//! counts against a per-contact hourly cap.

use super::hours::{Hours, Schedule};
use super::rules::{Action, HoursCondition, Reply, Rule, Rules};
use super::text::{matches, normalize, MatchKind};
use crate::channel::outbound::Outbound;
use crate::settings::{ReplyPolicy, Settings};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use regex::RegexSet;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

const MINUTE_MS: i64 = 60 * 1000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// What the engine remembers about a contact between messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ContactState {
    /// When the contact's last message arrived (before this one), ms since the epoch.
    #[serde(default)]
    pub last_in_at: Option<i64>,
    #[serde(default)]
    pub labels: BTreeSet<String>,
    #[serde(default)]
    pub opted_out: bool,
    /// The bot stays quiet for this contact until then (a person took over).
    #[serde(default)]
    pub paused_until: Option<i64>,
    #[serde(default)]
    pub last_away_at: Option<i64>,
    #[serde(default)]
    pub last_fallback_at: Option<i64>,
    /// When each rule last answered this contact.
    #[serde(default)]
    pub rule_last_at: BTreeMap<String, i64>,
    /// When the automatic replies of the last hour went out.
    #[serde(default)]
    pub auto_reply_times: Vec<i64>,
    /// Notes the team keeps about the contact.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Answers kept by capture steps (`pedido`, `email`...), usable as `{{pedido}}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
    /// A capture step waiting for the contact's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capturing: Option<Capturing>,
}

/// A question asked by a rule's capture step, open until `until`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Capturing {
    pub rule: String,
    pub field: String,
    pub until: i64,
}

/// The part of a message the engine looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    /// `text`, `interactive`, `button`, `audio`, `image`, `reaction`, ...
    pub kind: &'a str,
    /// What the customer wrote, or the title of what they tapped.
    pub text: Option<&'a str>,
    /// The id of a tapped reply button or list row.
    pub choice_id: Option<&'a str>,
    /// Older than the staleness limit when it arrived.
    pub stale: bool,
    /// The customer's name, for `{{nombre}}`.
    pub name: Option<&'a str>,
}

/// Why the engine did what it did, for the log, the simulator and the dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "because", rename_all = "snake_case")]
pub enum Reason {
    Stale,
    NotACustomerMessage,
    OptedOut,
    OptOut,
    OptIn,
    Paused {
        until: i64,
    },
    Capped,
    Welcome,
    Rule {
        id: String,
        matched: String,
    },
    Away,
    Fallback,
    /// Nothing matched and the throttled answers were already sent recently.
    Quiet,
    /// A person took the chat over (until then) or gave it back to the bot (`None`).
    Takeover {
        until: Option<i64>,
    },
    /// A person edited the contact (labels, notes, opt-out).
    Edited,
    /// The answer to a capture step was kept.
    Captured {
        field: String,
    },
}

/// What to do.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub reason: Reason,
    /// Messages to send, rendered, in order.
    pub replies: Vec<Outbound>,
    /// The contact's state after this message.
    pub state: ContactState,
}

/// Rules prepared once per reload: regexes compiled (all of them in one set, so a message is
/// scanned once for every pattern), texts normalized.
#[derive(Debug)]
pub struct CompiledRules {
    pub rules: Arc<Rules>,
    /// Every valid pattern of every regex rule.
    regex_set: RegexSet,
    /// For each pattern of `regex_set`: its rule id and the pattern as written.
    regex_owner: Vec<(String, String)>,
    /// Each rule's `when.text`, normalized, in the same order.
    texts: HashMap<String, Vec<String>>,
}

impl CompiledRules {
    /// Prepares the rules; a rule whose regexes do not compile (validation refuses it) matches
    /// no text.
    pub fn new(rules: Arc<Rules>) -> CompiledRules {
        let regex_owner: Vec<(String, String)> = super::rules::regex_patterns(&rules)
            .into_iter()
            .map(|(r, _, pattern)| (rules.rules[r].id.clone(), pattern.to_string()))
            .collect();
        // Validation keeps the set within its budget; should it fail anyway, say so loudly.
        let regex_set = super::rules::regex_set(regex_owner.iter().map(|(_, p)| p.as_str()))
            .unwrap_or_else(|error| {
                tracing::error!(%error, "the regex rules cannot be compiled together; no regex rule will match");
                RegexSet::empty()
            });
        let texts = rules
            .rules
            .iter()
            .map(|rule| {
                (
                    rule.id.clone(),
                    rule.when.text.iter().map(|t| normalize(t)).collect(),
                )
            })
            .collect();
        CompiledRules {
            rules,
            regex_set,
            regex_owner,
            texts,
        }
    }

    /// For each regex rule that matches `raw`, the first of its patterns that does.
    fn regex_hits(&self, raw: &str) -> HashMap<&str, &str> {
        let mut hits = HashMap::new();
        for index in self.regex_set.matches(raw).iter() {
            let (rule, pattern) = &self.regex_owner[index];
            hits.entry(rule.as_str()).or_insert(pattern.as_str());
        }
        hits
    }
}

/// Everything a decision reads besides the message and the contact.
pub struct World<'a> {
    pub rules: &'a CompiledRules,
    pub settings: &'a Settings,
    /// Template texts by name.
    pub templates: &'a dyn Fn(&str) -> Option<Arc<str>>,
    pub time_zone: &'a TimeZone,
}

pub use app::whatsapp::render;

fn is_customer_message(kind: &str) -> bool {
    !matches!(
        kind,
        "reaction" | "system" | "unsupported" | "ephemeral" | "status"
    )
}

fn word_listed(normalized: &str, words: &[String]) -> bool {
    words.iter().any(|w| {
        let w = normalize(w);
        !w.is_empty() && normalized == w
    })
}

/// Which trigger of a rule the message meets, if any (conditions aside).
fn trigger(
    rule: &Rule,
    compiled: &CompiledRules,
    message: &Message<'_>,
    normalized: &str,
    regex_hits: &HashMap<&str, &str>,
) -> Option<String> {
    let when = &rule.when;
    if let Some(id) = message.choice_id {
        if when.button.iter().any(|b| b == id) {
            return Some(format!("option '{id}'"));
        }
    }
    if when.message_type.iter().any(|t| t == message.kind) {
        return Some(format!("a message of type {}", message.kind));
    }
    message.text?;
    if when.match_kind == MatchKind::Regex {
        return regex_hits
            .get(rule.id.as_str())
            .map(|p| format!("the pattern /{p}/"));
    }
    let texts = compiled.texts.get(&rule.id)?;
    texts
        .iter()
        .position(|t| matches(when.match_kind, normalized, t))
        .map(|i| format!("\"{}\" ({:?})", when.text[i], when.match_kind).to_lowercase())
}

fn conditions_hold(rule: &Rule, state: &ContactState, open: bool, first_contact: bool) -> bool {
    let when = &rule.when;
    let hours_ok = match when.hours {
        Some(HoursCondition::Open) => open,
        Some(HoursCondition::Closed) => !open,
        None => true,
    };
    let first_ok = when
        .first_contact
        .is_none_or(|wanted| wanted == first_contact);
    let any_ok =
        when.labels_any.is_empty() || when.labels_any.iter().any(|l| state.labels.contains(l));
    let none_ok = !when.labels_none.iter().any(|l| state.labels.contains(l));
    hours_ok && first_ok && any_ok && none_ok
}

struct Renderer<'a> {
    world: &'a World<'a>,
    name: &'a str,
    now: Timestamp,
    fields: BTreeMap<String, String>,
}

impl Renderer<'_> {
    fn text(&self, template_or_text: &str, is_template: bool) -> String {
        let source = if is_template {
            (self.world.templates)(template_or_text)
                .map(|t| t.to_string())
                .unwrap_or_default()
        } else {
            template_or_text.to_string()
        };
        // Today's hours cost a time-zone conversion: only when a text asks for them.
        let today = if source.contains("horario_hoy") {
            self.world
                .settings
                .hours
                .today_text(self.world.time_zone, self.now, "y", "cerrado")
        } else {
            String::new()
        };
        let name = self.fields.get("nombre").map_or(self.name, String::as_str);
        let mut variables = vec![
            ("nombre", name),
            ("negocio", self.world.settings.business.name.as_str()),
            ("horario_hoy", today.as_str()),
        ];
        variables.extend(self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        render(&source, &variables).trim_end().to_string()
    }

    fn template(&self, name: &str) -> Outbound {
        Outbound::Text {
            body: self.text(name, true),
        }
    }

    fn reply(&self, reply: &Reply) -> Outbound {
        let body = |template: &Option<String>, text: &Option<String>| match (template, text) {
            (Some(name), _) => self.text(name, true),
            (None, Some(text)) => self.text(text, false),
            (None, None) => String::new(),
        };
        match reply {
            Reply::Template(name) => self.template(name),
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

fn within(last: Option<i64>, now: i64, window_ms: i64) -> bool {
    last.is_some_and(|at| now - at < window_ms)
}

/// Decides what the bot does about one message.
pub fn decide(
    world: &World<'_>,
    state: &ContactState,
    message: &Message<'_>,
    now: Timestamp,
) -> Decision {
    let now_ms = now.as_millisecond();
    let policy: &ReplyPolicy = &world.settings.replies;
    let mut next = state.clone();
    next.auto_reply_times.retain(|at| now_ms - at < HOUR_MS);
    let previous_in = state.last_in_at;
    next.last_in_at = Some(now_ms);
    let done = |reason: Reason, replies: Vec<Outbound>, state: ContactState| Decision {
        reason,
        replies,
        state,
    };

    if message.stale {
        return done(Reason::Stale, Vec::new(), next);
    }
    if !is_customer_message(message.kind) {
        return done(Reason::NotACustomerMessage, Vec::new(), next);
    }

    let hours: &Hours = &world.settings.hours;
    let mut renderer = Renderer {
        world,
        name: message.name.unwrap_or(""),
        now,
        fields: state.fields.clone(),
    };
    let normalized = message.text.map(normalize).unwrap_or_default();

    if word_listed(&normalized, &policy.opt_out_keywords) {
        let first_time = !state.opted_out;
        next.opted_out = true;
        let replies = if first_time {
            vec![renderer.template(&policy.opt_out_template)]
        } else {
            Vec::new()
        };
        return done(Reason::OptOut, replies, next);
    }
    if word_listed(&normalized, &policy.opt_in_keywords) && state.opted_out {
        next.opted_out = false;
        return done(
            Reason::OptIn,
            vec![renderer.template(&policy.opt_in_template)],
            next,
        );
    }
    if state.opted_out {
        return done(Reason::OptedOut, Vec::new(), next);
    }
    if let Some(until) = state.paused_until.filter(|until| *until > now_ms) {
        return done(Reason::Paused { until }, Vec::new(), next);
    }
    if next.auto_reply_times.len() as u32 >= policy.max_auto_replies_per_hour {
        return done(Reason::Capped, Vec::new(), next);
    }

    // An open capture step takes the next text as its answer.
    if let Some(capturing) = next.capturing.take() {
        let answer = message.text.map(str::trim).filter(|t| !t.is_empty());
        if let (true, Some(answer), "text") = (capturing.until > now_ms, answer, message.kind) {
            next.fields
                .insert(capturing.field.clone(), answer.to_string());
            renderer.fields = next.fields.clone();
            let then = world
                .rules
                .rules
                .rules
                .iter()
                .find(|r| r.id == capturing.rule)
                .and_then(|r| r.capture.as_ref());
            let replies: Vec<Outbound> = then
                .map(|c| c.then.iter().map(|r| renderer.reply(r)).collect())
                .unwrap_or_default();
            if !replies.is_empty() {
                next.auto_reply_times.push(now_ms);
            }
            return done(
                Reason::Captured {
                    field: capturing.field,
                },
                replies,
                next,
            );
        }
    }

    let first_contact = previous_in.is_none();
    let welcome_again = policy.welcome_again_after_days > 0
        && previous_in
            .is_some_and(|at| now_ms - at >= i64::from(policy.welcome_again_after_days) * DAY_MS);
    let mut replies = Vec::new();
    let mut reason = None;
    if first_contact || welcome_again {
        replies.push(renderer.template(&policy.welcome_template));
        reason = Some(Reason::Welcome);
    }

    let open = hours.is_open(world.time_zone, now);
    let regex_hits = message
        .text
        .map(|raw| world.rules.regex_hits(raw))
        .unwrap_or_default();
    let matched = world
        .rules
        .rules
        .rules
        .iter()
        .filter(|r| r.enabled)
        .find_map(|rule| {
            let why = trigger(rule, world.rules, message, &normalized, &regex_hits)?;
            if !conditions_hold(rule, state, open, first_contact) {
                return None;
            }
            let cooling = rule.cooldown_minutes > 0
                && within(
                    state.rule_last_at.get(&rule.id).copied(),
                    now_ms,
                    i64::from(rule.cooldown_minutes) * MINUTE_MS,
                );
            (!cooling).then_some((rule, why))
        });

    if let Some((rule, why)) = matched {
        replies.extend(rule.reply.iter().map(|r| renderer.reply(r)));
        next.rule_last_at.insert(rule.id.clone(), now_ms);
        if let Some(capture) = &rule.capture {
            next.capturing = Some(Capturing {
                rule: rule.id.clone(),
                field: capture.field.clone(),
                until: now_ms + i64::from(capture.minutes) * MINUTE_MS,
            });
        }
        for action in &rule.actions {
            match action {
                Action::AddLabel(label) => {
                    next.labels.insert(label.clone());
                }
                Action::RemoveLabel(label) => {
                    next.labels.remove(label);
                }
                Action::Handover => {
                    next.paused_until =
                        Some(now_ms + i64::from(policy.takeover_quiet_hours) * HOUR_MS)
                }
                Action::OptOut => next.opted_out = true,
            }
        }
        reason = Some(Reason::Rule {
            id: rule.id.clone(),
            matched: why,
        });
    } else if reason.is_none() {
        if !open {
            if !within(
                state.last_away_at,
                now_ms,
                i64::from(policy.away_every_hours) * HOUR_MS,
            ) {
                replies.push(renderer.template(&policy.away_template));
                next.last_away_at = Some(now_ms);
                reason = Some(Reason::Away);
            }
        } else if !within(
            state.last_fallback_at,
            now_ms,
            i64::from(policy.fallback_every_minutes) * MINUTE_MS,
        ) {
            replies.push(renderer.template(&policy.fallback_template));
            next.last_fallback_at = Some(now_ms);
            reason = Some(Reason::Fallback);
        }
    }
    next.auto_reply_times
        .extend(std::iter::repeat_n(now_ms, replies.len().min(1)));
    done(reason.unwrap_or(Reason::Quiet), replies, next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rules::default_rules;
    use crate::store::document::HandEdited;
    use crate::templates::BUILTIN;
    use proptest::prelude::*;

    fn builtin(name: &str) -> Option<Arc<str>> {
        BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| Arc::from(*t))
    }

    struct Fixture {
        rules: CompiledRules,
        settings: Settings,
        tz: TimeZone,
    }

    impl Fixture {
        fn new() -> Fixture {
            Fixture::with_rules(default_rules())
        }

        fn with_rules(rules: Rules) -> Fixture {
            Fixture {
                rules: CompiledRules::new(Arc::new(rules)),
                settings: Settings::defaults(),
                tz: TimeZone::get("America/Caracas").expect("tz"),
            }
        }

        fn decide(&self, state: &ContactState, message: &Message<'_>, now: Timestamp) -> Decision {
            let world = World {
                rules: &self.rules,
                settings: &self.settings,
                templates: &builtin,
                time_zone: &self.tz,
            };
            decide(&world, state, message, now)
        }
    }

    /// Monday 2026-11-30 at `hh:mm` in Caracas (open 09:00-18:00).
    fn monday(time: &str) -> Timestamp {
        format!("2026-11-30T{time}:00-04:00[America/Caracas]")
            .parse::<jiff::ZonedDateTime>()
            .expect("time")
            .timestamp()
    }

    fn sunday(time: &str) -> Timestamp {
        format!("2026-11-29T{time}:00-04:00[America/Caracas]")
            .parse::<jiff::ZonedDateTime>()
            .expect("time")
            .timestamp()
    }

    fn text(text: &str) -> Message<'_> {
        Message {
            kind: "text",
            text: Some(text),
            choice_id: None,
            stale: false,
            name: Some("Ana"),
        }
    }

    fn known() -> ContactState {
        ContactState {
            last_in_at: Some(monday("08:00").as_millisecond()),
            ..ContactState::default()
        }
    }

    fn body(reply: &Outbound) -> &str {
        match reply {
            Outbound::Text { body }
            | Outbound::Buttons { body, .. }
            | Outbound::List { body, .. } => body,
            _ => "",
        }
    }

    fn rule_id(decision: &Decision) -> Option<&str> {
        match &decision.reason {
            Reason::Rule { id, .. } => Some(id),
            _ => None,
        }
    }

    #[test]
    fn a_first_hello_gets_the_welcome_and_the_menu() {
        let decision =
            Fixture::new().decide(&ContactState::default(), &text("Hola!!"), monday("10:00"));
        assert_eq!(rule_id(&decision), Some("menu"));
        assert_eq!(decision.replies.len(), 2);
        assert!(
            body(&decision.replies[0]).contains("¡Hola, Ana!"),
            "{}",
            body(&decision.replies[0])
        );
        assert!(body(&decision.replies[0]).contains("*Mi Tienda*"));
        assert!(
            matches!(&decision.replies[1], Outbound::List { sections, .. } if sections[0].rows.len() == 4)
        );
    }

    #[test]
    fn case_accents_punctuation_and_emoji_do_not_matter_to_the_rules() {
        let fixture = Fixture::new();
        for written in ["PRECIO", "precio?", "précio", "¿Cuál es el précio? 😀"] {
            assert_eq!(
                rule_id(&fixture.decide(&known(), &text(written), monday("10:00"))),
                Some("precios"),
                "{written}"
            );
        }
    }

    #[test]
    fn a_tapped_option_leads_to_its_rule_with_variables_filled() {
        let message = Message {
            kind: "interactive",
            text: Some("Horario"),
            choice_id: Some("horario"),
            stale: false,
            name: None,
        };
        let decision = Fixture::new().decide(&known(), &message, monday("10:00"));
        assert_eq!(rule_id(&decision), Some("horario"));
        assert!(
            body(&decision.replies[0]).contains("9:00–18:00"),
            "{}",
            body(&decision.replies[0])
        );
    }

    #[test]
    fn a_voice_note_gets_the_text_only_answer() {
        let message = Message {
            kind: "audio",
            text: None,
            choice_id: None,
            stale: false,
            name: None,
        };
        assert_eq!(
            rule_id(&Fixture::new().decide(&known(), &message, monday("10:00"))),
            Some("nota_de_voz")
        );
    }

    #[test]
    fn the_fallback_goes_out_at_most_once_per_period() {
        let fixture = Fixture::new();
        let first = fixture.decide(&known(), &text("quiero un unicornio"), monday("10:00"));
        assert_eq!(first.reason, Reason::Fallback);
        let again = fixture.decide(&first.state, &text("¿me oyes?"), monday("10:05"));
        assert_eq!(again.reason, Reason::Quiet);
        assert!(again.replies.is_empty());
        let later = fixture.decide(&again.state, &text("¿hola?"), monday("10:31"));
        assert_eq!(rule_id(&later), Some("menu"), "a greeting still answers");
        let later = fixture.decide(&again.state, &text("nada"), monday("10:31"));
        assert_eq!(later.reason, Reason::Fallback);
    }

    #[test]
    fn outside_hours_the_away_message_goes_out_once_per_period() {
        let fixture = Fixture::new();
        let sunday_state = ContactState {
            last_in_at: Some(sunday("08:00").as_millisecond()),
            ..ContactState::default()
        };
        let first = fixture.decide(&sunday_state, &text("necesito algo"), sunday("10:00"));
        assert_eq!(first.reason, Reason::Away);
        assert!(
            body(&first.replies[0]).contains("cerrado"),
            "{}",
            body(&first.replies[0])
        );
        let again = fixture.decide(&first.state, &text("hola?? necesito algo"), sunday("11:00"));
        assert_ne!(again.reason, Reason::Away);
        let rule = fixture.decide(&first.state, &text("precio"), sunday("11:00"));
        assert_eq!(
            rule_id(&rule),
            Some("precios"),
            "rules still answer outside hours"
        );
    }

    #[test]
    fn asking_for_a_person_pauses_the_bot_until_the_quiet_time_passes() {
        let fixture = Fixture::new();
        let handed = fixture.decide(
            &known(),
            &text("quiero hablar con una persona"),
            monday("10:00"),
        );
        assert_eq!(rule_id(&handed), Some("persona"));
        let paused_until = handed.state.paused_until.expect("paused");
        assert_eq!(
            paused_until - monday("10:00").as_millisecond(),
            12 * HOUR_MS
        );
        let quiet = fixture.decide(&handed.state, &text("precio"), monday("11:00"));
        assert!(matches!(quiet.reason, Reason::Paused { .. }) && quiet.replies.is_empty());
        let resumed = fixture.decide(&handed.state, &text("precio"), monday("23:00"));
        assert_eq!(rule_id(&resumed), Some("precios"));
    }

    #[test]
    fn opt_out_is_confirmed_once_silences_everything_and_opt_in_restores() {
        let fixture = Fixture::new();
        let out = fixture.decide(&known(), &text("BAJA"), monday("10:00"));
        assert_eq!(out.reason, Reason::OptOut);
        assert_eq!(out.replies.len(), 1);
        let silent = fixture.decide(&out.state, &text("precio"), monday("10:01"));
        assert_eq!(silent.reason, Reason::OptedOut);
        assert!(silent.replies.is_empty());
        let twice = fixture.decide(&silent.state, &text("stop"), monday("10:02"));
        assert!(twice.replies.is_empty(), "confirmed only once");
        let back = fixture.decide(&twice.state, &text("alta"), monday("10:03"));
        assert_eq!(back.reason, Reason::OptIn);
        assert_eq!(
            rule_id(&fixture.decide(&back.state, &text("precio"), monday("10:04"))),
            Some("precios")
        );
    }

    #[test]
    fn stale_messages_and_reactions_get_nothing() {
        let fixture = Fixture::new();
        let stale = Message {
            stale: true,
            ..text("precio")
        };
        assert_eq!(
            fixture.decide(&known(), &stale, monday("10:00")).reason,
            Reason::Stale
        );
        let reaction = Message {
            kind: "reaction",
            text: Some("👍"),
            choice_id: None,
            stale: false,
            name: None,
        };
        assert_eq!(
            fixture.decide(&known(), &reaction, monday("10:00")).reason,
            Reason::NotACustomerMessage
        );
    }

    #[test]
    fn automatic_replies_are_capped_per_hour() {
        let mut fixture = Fixture::new();
        fixture.settings.replies.max_auto_replies_per_hour = 2;
        let mut state = known();
        let mut reasons = Vec::new();
        for minute in ["10:00", "10:01", "10:02"] {
            let decision = fixture.decide(&state, &text("precio"), monday(minute));
            reasons.push(decision.reason.clone());
            state = decision.state;
        }
        assert_eq!(reasons[2], Reason::Capped);
        assert_eq!(
            fixture
                .decide(&state, &text("precio"), monday("11:05"))
                .reason,
            Reason::Rule {
                id: "precios".into(),
                matched: "\"precio\" (contains)".into()
            }
        );
    }

    #[test]
    fn regexes_labels_and_cooldowns_work_together() {
        let rules: Rules = serde_json::from_value(serde_json::json!({"version": 1, "rules": [
            {"id": "pedido", "when": {"match": "regex", "text": ["pedido\\s*#?\\d{4}"], "labels_none": ["vip"]},
             "reply": [{"text": "Buscando tu pedido, {{nombre}}"}], "actions": [{"add_label": "con_pedido"}], "cooldown_minutes": 60},
            {"id": "vip", "when": {"text": ["pedido"], "labels_any": ["vip"]}, "reply": [{"text": "Te atiende tu asesora"}]}
        ]}))
        .expect("rules");
        let fixture = Fixture::with_rules(rules);
        let first = fixture.decide(&known(), &text("Mi PEDIDO #1234"), monday("10:00"));
        assert_eq!(rule_id(&first), Some("pedido"));
        assert_eq!(body(&first.replies[0]), "Buscando tu pedido, Ana");
        assert!(first.state.labels.contains("con_pedido"));
        let cooling = fixture.decide(&first.state, &text("pedido 1234"), monday("10:10"));
        assert_ne!(
            rule_id(&cooling),
            Some("pedido"),
            "cooling down for an hour"
        );
        let vip = ContactState {
            labels: ["vip".to_string()].into(),
            ..known()
        };
        assert_eq!(
            rule_id(&fixture.decide(&vip, &text("pedido 1234"), monday("10:00"))),
            Some("vip")
        );
    }

    #[test]
    fn a_capture_step_keeps_the_next_answer_and_uses_it() {
        let rules: Rules = serde_json::from_value(serde_json::json!({"version": 1, "rules": [
            {"id": "pedido", "when": {"text": ["estado de mi pedido"]},
             "reply": [{"text": "¿Cuál es tu número de pedido?"}],
             "capture": {"field": "pedido", "minutes": 10, "then": [{"text": "Gracias {{nombre}}, buscamos el pedido {{pedido}}."}]}}
        ]}))
        .expect("rules");
        let fixture = Fixture::with_rules(rules);
        let asked = fixture.decide(&known(), &text("¿Estado de mi pedido?"), monday("10:00"));
        assert_eq!(rule_id(&asked), Some("pedido"));
        assert!(asked.state.capturing.is_some());

        let answered = fixture.decide(&asked.state, &text("  A-1234 "), monday("10:03"));
        assert_eq!(
            answered.reason,
            Reason::Captured {
                field: "pedido".into()
            }
        );
        assert_eq!(answered.state.fields["pedido"], "A-1234");
        assert_eq!(
            body(&answered.replies[0]),
            "Gracias Ana, buscamos el pedido A-1234."
        );
        assert!(answered.state.capturing.is_none());

        let late = fixture.decide(&asked.state, &text("A-1234"), monday("10:11"));
        assert_eq!(
            late.reason,
            Reason::Fallback,
            "after the timeout the answer is an ordinary message"
        );
        assert!(late.state.capturing.is_none());
    }

    #[test]
    fn templates_render_their_variables() {
        assert_eq!(
            render(
                "Hola {{nombre}}, soy {{ negocio }}.",
                &[("nombre", "Ana"), ("negocio", "Mi Tienda")]
            ),
            "Hola Ana, soy Mi Tienda."
        );
        assert_eq!(render("¡Hola, {{nombre}}!", &[("nombre", "")]), "¡Hola!");
        assert_eq!(
            render("¿Te ayudo, {{nombre}}? Dime.", &[]),
            "¿Te ayudo? Dime."
        );
        assert_eq!(render("sin {{cerrar", &[]), "sin {{cerrar");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn the_engine_never_panics_whatever_the_text(written in "\\PC{0,400}", kind in "[a-z]{0,12}", choice in proptest::option::of("\\PC{0,40}")) {
            let fixture = Fixture::new();
            let message = Message { kind: &kind, text: Some(&written), choice_id: choice.as_deref(), stale: false, name: Some(&written) };
            let _ = fixture.decide(&ContactState::default(), &message, monday("10:00"));
            let _ = fixture.decide(&known(), &message, sunday("03:00"));
        }

        #[test]
        fn very_long_texts_are_handled(written in "[a-zá-ú ]{5000,6000}") {
            let _ = Fixture::new().decide(&known(), &text(&written), monday("10:00"));
        }
    }
}
