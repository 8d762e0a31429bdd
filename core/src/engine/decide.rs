//! The decision: given the rules, the settings, the templates, a contact's state, one
//! inbound message and the time, what the bot does. No I/O: the caller carries out the
//! [`Decision`] (queue the replies, store the new contact state).
//!
//! Order of precedence: stale messages and non-customer events get nothing; opt-out and
//! opt-in words; an opted-out contact gets nothing; a paused (taken over) contact gets
//! nothing; the welcome on a first message; the first matching rule that is not a greeting,
//! else a greeting rule when the message is only a greeting; otherwise the away message
//! outside hours, or the fallback, each throttled per contact. Every automatic reply counts
//! against a per-contact hourly cap. The welcome and the message after it go as one when
//! WhatsApp allows it. A template that still has the owner's fill-in marks (`[[...]]`) is
//! never sent: a rule that would send one hands the chat to a person instead.

mod find;

use super::hours::{Hours, Schedule};
use super::render::{merge_welcome, Renderer, Unfinished};
use super::rules::{Action, Reply, Rules};
use super::text::{normalize, MatchKind};
use crate::model::{ReplyPolicy, Settings};
use crate::outbound::Outbound;
use aho_corasick::AhoCorasick;
use find::{find_rule, Found};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use regex::{Regex, RegexSet};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const MINUTE_MS: i64 = 60 * 1000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

/// What the engine remembers about a contact between messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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

/// What in the message made a rule answer, for the owner to read in their language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Matched {
    /// One of the rule's texts, compared the rule's way.
    Text { text: String, how: MatchKind },
    /// The rule's regular expression.
    Pattern { pattern: String },
    /// A tapped button or list row with this id.
    Option { id: String },
    /// A message of this type (an image, a voice note...).
    Type { kind: String },
}

impl std::fmt::Display for Matched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Matched::Text { text, how } => {
                write!(f, "\"{}\" ({})", text.to_lowercase(), how.name())
            }
            Matched::Pattern { pattern } => write!(f, "the pattern /{pattern}/"),
            Matched::Option { id } => write!(f, "option '{id}'"),
            Matched::Type { kind } => write!(f, "a message of type {kind}"),
        }
    }
}

/// Why the engine did what it did, for the log, the simulator and the dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
        /// What matched, in English (for the journal and `cocolu simulate`).
        matched: String,
        /// What matched, for a client to word (absent in records of older versions).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trigger: Option<Matched>,
        /// The greeting rule that also matched and gave way: the message greeted, and asked
        /// something this rule answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        over_greeting: Option<String>,
    },
    /// No rule answers, and the shop is closed: the away message.
    Away {
        /// The greeting rule that matched, though the message said more than a greeting.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        greeting_with_more: Option<String>,
    },
    /// No rule answers: the fallback.
    Fallback {
        /// The greeting rule that matched, though the message said more than a greeting.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        greeting_with_more: Option<String>,
    },
    /// The rule that matched would send a template that still has fill-in marks (the
    /// owner's setup is not finished): a person takes over instead (the handover template,
    /// and the bot pauses).
    NeedsSetup {
        rule: String,
        template: String,
        /// What the template still needs, from its marks.
        fill_ins: Vec<String>,
    },
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

impl Reason {
    /// The name in JSON (its `because`).
    pub fn because(&self) -> &'static str {
        match self {
            Reason::Stale => "stale",
            Reason::NotACustomerMessage => "not_a_customer_message",
            Reason::OptedOut => "opted_out",
            Reason::OptOut => "opt_out",
            Reason::OptIn => "opt_in",
            Reason::Paused { .. } => "paused",
            Reason::Capped => "capped",
            Reason::Welcome => "welcome",
            Reason::Rule { .. } => "rule",
            Reason::Away { .. } => "away",
            Reason::Fallback { .. } => "fallback",
            Reason::NeedsSetup { .. } => "needs_setup",
            Reason::Quiet => "quiet",
            Reason::Takeover { .. } => "takeover",
            Reason::Edited => "edited",
            Reason::Captured { .. } => "captured",
        }
    }
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
/// scanned once for every pattern), texts normalized and put in one automaton (a message is
/// scanned once to find which texts occur in it at all; only those are matched by kind).
#[derive(Debug)]
pub struct CompiledRules {
    pub rules: Arc<Rules>,
    /// Every valid pattern of every regex rule.
    regex_set: RegexSet,
    /// For each pattern of `regex_set`: its rule (by position) and the pattern as written.
    regex_owner: Vec<(usize, String)>,
    /// Each rule's `when.text`, normalized, by the rule's position (no lookup by id per
    /// message: a decision tries every rule).
    texts: Vec<Vec<String>>,
    /// Every non-empty text of every rule that is not a regex rule, in one automaton; `None`
    /// if it could not be built (then every text is tried, as [`text::matches`] does).
    literals: Option<AhoCorasick>,
    /// For each pattern of `literals`: its rule and text positions. A rule's patterns are
    /// consecutive, in the order of its texts.
    literal_owner: Vec<(usize, usize)>,
    /// The regexes of greeting rules, each compiled alone, by the rule's position (empty for
    /// the others): what a greeting matched is taken out of the message to see what else it
    /// says.
    greeting_regexes: Vec<Vec<Regex>>,
}

impl CompiledRules {
    /// Prepares the rules; a rule whose regexes do not compile (validation refuses it) matches
    /// no text.
    pub fn new(rules: Arc<Rules>) -> CompiledRules {
        let regex_owner: Vec<(usize, String)> = super::rules::regex_patterns(&rules)
            .into_iter()
            .map(|(r, _, pattern)| (r, pattern.to_string()))
            .collect();
        // Validation keeps the set within its budget; should it fail anyway, say so loudly.
        let regex_set = super::rules::regex_set(regex_owner.iter().map(|(_, p)| p.as_str()))
            .unwrap_or_else(|error| {
                tracing::error!(%error, "the regex rules cannot be compiled together; no regex rule will match");
                RegexSet::empty()
            });
        let texts: Vec<Vec<String>> = rules
            .rules
            .iter()
            .map(|rule| rule.when.text.iter().map(|t| normalize(t)).collect())
            .collect();
        let greeting_regexes = rules
            .rules
            .iter()
            .map(|rule| {
                if rule.greeting && rule.when.match_kind == MatchKind::Regex {
                    super::rules::compile_regexes(rule).unwrap_or_default()
                } else {
                    Vec::new()
                }
            })
            .collect();
        let mut literal_owner = Vec::new();
        let mut patterns: Vec<&str> = Vec::new();
        for (r, rule) in rules.rules.iter().enumerate() {
            if rule.when.match_kind == MatchKind::Regex {
                continue;
            }
            for (i, text) in texts[r].iter().enumerate() {
                if !text.is_empty() {
                    patterns.push(text);
                    literal_owner.push((r, i));
                }
            }
        }
        let literals = AhoCorasick::new(&patterns)
            .inspect_err(|error| tracing::warn!(%error, "rule texts not in one automaton; each is searched alone"))
            .ok();
        CompiledRules {
            rules,
            regex_set,
            regex_owner,
            texts,
            greeting_regexes,
            literals,
            literal_owner,
        }
    }

    /// For each rule (by position), the first of its texts that the normalized message
    /// matches by the rule's kind ([`text::matches`]), looked for only among the texts that
    /// occur in it at all; `None` when there is no automaton (every text is then tried).
    fn literal_hits(&self, normalized: &str) -> Option<Vec<Option<usize>>> {
        let literals = self.literals.as_ref()?;
        let mut occurs = vec![false; self.literal_owner.len()];
        for hit in literals.find_overlapping_iter(normalized) {
            occurs[hit.pattern().as_usize()] = true;
        }
        let mut hits = vec![None; self.rules.rules.len()];
        for (pattern, &(r, i)) in self.literal_owner.iter().enumerate() {
            if !occurs[pattern] || hits[r].is_some() {
                continue;
            }
            let kind = self.rules.rules[r].when.match_kind;
            if super::text::matches(kind, normalized, &self.texts[r][i]) {
                hits[r] = Some(i);
            }
        }
        Some(hits)
    }

    /// For each regex rule that matches `raw`, the first of its patterns that does.
    fn regex_hits(&self, raw: &str) -> Vec<Option<&str>> {
        let mut hits = vec![None; self.rules.rules.len()];
        for index in self.regex_set.matches(raw).iter() {
            let (rule, pattern) = &self.regex_owner[index];
            if let Some(hit @ None) = hits.get_mut(*rule) {
                *hit = Some(pattern.as_str());
            }
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

pub use crate::format::render;

/// The template sent when a rule's reply still needs the owner's setup and a person takes
/// over instead.
pub const HANDOVER_TEMPLATE: &str = "agente";

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

fn within(last: Option<i64>, now: i64, window_ms: i64) -> bool {
    last.is_some_and(|at| now - at < window_ms)
}

/// Carries out a rule's actions on the contact's next state.
fn act(actions: &[Action], next: &mut ContactState, pause_until: i64) {
    for action in actions {
        match action {
            Action::AddLabel(label) => {
                next.labels.insert(label.clone());
            }
            Action::RemoveLabel(label) => {
                next.labels.remove(label);
            }
            Action::Handover => next.paused_until = Some(pause_until),
            Action::OptOut => next.opted_out = true,
        }
    }
}

/// The welcome (first in `replies`) and the message after it become one message when
/// WhatsApp allows it; a rule's own several replies stay as the owner made them.
fn merge_welcome_into_next(replies: &mut Vec<Outbound>) {
    if let [welcome, next, ..] = replies.as_slice() {
        if let Some(one) = merge_welcome(welcome, next) {
            replies.splice(0..2, [one]);
        }
    }
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
    let pause_until = now_ms + i64::from(policy.takeover_quiet_hours) * HOUR_MS;
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
        message: message.text.unwrap_or(""),
        now,
        fields: state.fields.clone(),
    };
    let normalized = message.text.map(normalize).unwrap_or_default();

    if word_listed(&normalized, &policy.opt_out_keywords) {
        let first_time = !state.opted_out;
        next.opted_out = true;
        let replies = if first_time {
            renderer
                .template(&policy.opt_out_template)
                .into_iter()
                .collect()
        } else {
            Vec::new()
        };
        return done(Reason::OptOut, replies, next);
    }
    if word_listed(&normalized, &policy.opt_in_keywords) && state.opted_out {
        next.opted_out = false;
        let replies = renderer
            .template(&policy.opt_in_template)
            .into_iter()
            .collect();
        return done(Reason::OptIn, replies, next);
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
            let then: &[Reply] = world
                .rules
                .rules
                .rules
                .iter()
                .find(|r| r.id == capturing.rule)
                .and_then(|r| r.capture.as_ref())
                .map_or(&[], |c| c.then.as_slice());
            let (reason, replies) = match then.iter().find_map(|r| renderer.unfinished_reply(r)) {
                Some(unfinished) => {
                    next.paused_until = Some(pause_until);
                    let replies = renderer.template(HANDOVER_TEMPLATE).into_iter().collect();
                    (needs_setup(&capturing.rule, unfinished), replies)
                }
                None => (
                    Reason::Captured {
                        field: capturing.field,
                    },
                    then.iter().map(|r| renderer.reply(r)).collect::<Vec<_>>(),
                ),
            };
            if !replies.is_empty() {
                next.auto_reply_times.push(now_ms);
            }
            return done(reason, replies, next);
        }
    }

    let first_contact = previous_in.is_none();
    let welcome_again = policy.welcome_again_after_days > 0
        && previous_in
            .is_some_and(|at| now_ms - at >= i64::from(policy.welcome_again_after_days) * DAY_MS);
    let mut replies = Vec::new();
    let mut reason = None;
    let mut welcomed = false;
    if first_contact || welcome_again {
        if let Some(welcome) = renderer.template(&policy.welcome_template) {
            replies.push(welcome);
            welcomed = true;
        }
        reason = Some(Reason::Welcome);
    }

    let open = hours.is_open(world.time_zone, now);
    // `Some` when no rule answers, with the greeting rule that matched a message saying more.
    let unanswered = match find_rule(world.rules, message, &normalized, state, open, now_ms) {
        Found::Rule {
            rule,
            why,
            over_greeting,
        } => {
            next.rule_last_at.insert(rule.id.clone(), now_ms);
            act(&rule.actions, &mut next, pause_until);
            match rule.reply.iter().find_map(|r| renderer.unfinished_reply(r)) {
                Some(unfinished) => {
                    // Never the owner's setup notes to a customer: a person answers instead.
                    replies.extend(renderer.template(HANDOVER_TEMPLATE));
                    next.paused_until = Some(pause_until);
                    reason = Some(needs_setup(&rule.id, unfinished));
                }
                None => {
                    replies.extend(rule.reply.iter().map(|r| renderer.reply(r)));
                    if let Some(capture) = &rule.capture {
                        next.capturing = Some(Capturing {
                            rule: rule.id.clone(),
                            field: capture.field.clone(),
                            until: now_ms + i64::from(capture.minutes) * MINUTE_MS,
                        });
                    }
                    reason = Some(Reason::Rule {
                        id: rule.id.clone(),
                        matched: why.to_string(),
                        trigger: Some(why),
                        over_greeting: over_greeting.map(|g| g.id.clone()),
                    });
                }
            }
            None
        }
        Found::GreetingWithMore(greeting) => Some(Some(greeting.id.clone())),
        Found::Nothing => Some(None),
    };
    // No rule answers: the away message when closed, else the fallback, each throttled.
    if let Some(greeting_with_more) = unanswered {
        if !open {
            if !within(
                state.last_away_at,
                now_ms,
                i64::from(policy.away_every_hours) * HOUR_MS,
            ) {
                if let Some(away) = renderer.template(&policy.away_template) {
                    replies.push(away);
                    next.last_away_at = Some(now_ms);
                }
                reason = Some(Reason::Away { greeting_with_more });
            }
        } else if !within(
            state.last_fallback_at,
            now_ms,
            i64::from(policy.fallback_every_minutes) * MINUTE_MS,
        ) {
            if let Some(fallback) = renderer.template(&policy.fallback_template) {
                replies.push(fallback);
                next.last_fallback_at = Some(now_ms);
            }
            reason = Some(Reason::Fallback { greeting_with_more });
        }
    }
    if welcomed {
        merge_welcome_into_next(&mut replies);
    }
    next.auto_reply_times
        .extend(std::iter::repeat_n(now_ms, replies.len().min(1)));
    done(reason.unwrap_or(Reason::Quiet), replies, next)
}

fn needs_setup(rule: &str, unfinished: Unfinished) -> Reason {
    Reason::NeedsSetup {
        rule: rule.to_string(),
        template: unfinished.template,
        fill_ins: unfinished.fill_ins,
    }
}

#[cfg(test)]
mod tests;
