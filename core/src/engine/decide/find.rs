//! Which rule answers a message: triggers, conditions, cooldowns, and greeting rules that give
//! way to what else the message asks.

use super::{within, CompiledRules, ContactState, Matched, Message, MINUTE_MS};
use crate::engine::rules::{HoursCondition, Rule};
use crate::engine::text::{matches, normalize, without_matches, MatchKind};

/// Left of a greeting, at most this many words (with no question mark) still make the
/// message just a greeting ("hola soy Ana").
const GREETING_EXTRA_WORDS: usize = 2;

/// How a rule's trigger met the message.
struct Trigger {
    /// What matched, for the reason.
    why: Matched,
    /// By the message's text (not a tapped option or the message type): only then can a
    /// greeting rule give way.
    by_text: bool,
}

/// Which trigger of a rule the message meets, if any (conditions aside).
fn trigger(
    index: usize,
    rule: &Rule,
    compiled: &CompiledRules,
    message: &Message<'_>,
    normalized: &str,
    regex_hits: &[Option<&str>],
    literal_hits: Option<&[Option<usize>]>,
) -> Option<Trigger> {
    let when = &rule.when;
    let other = |why: Matched| Trigger {
        why,
        by_text: false,
    };
    if let Some(id) = message.choice_id {
        if when.button.iter().any(|b| b == id) {
            return Some(other(Matched::Option { id: id.to_string() }));
        }
    }
    if when.message_type.iter().any(|t| t == message.kind) {
        return Some(other(Matched::Type {
            kind: message.kind.to_string(),
        }));
    }
    message.text?;
    let why = if when.match_kind == MatchKind::Regex {
        regex_hits
            .get(index)
            .copied()
            .flatten()
            .map(|p| Matched::Pattern {
                pattern: p.to_string(),
            })
    } else {
        let first = match literal_hits {
            Some(hits) => hits.get(index).copied().flatten(),
            None => compiled
                .texts
                .get(index)?
                .iter()
                .position(|t| matches(when.match_kind, normalized, t)),
        };
        first.map(|i| Matched::Text {
            text: when.text[i].clone(),
            how: when.match_kind,
        })
    };
    why.map(|why| Trigger { why, by_text: true })
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

/// What the rules make of a message.
pub(super) enum Found<'r> {
    /// This rule answers; `over_greeting` is a greeting rule that matched before it.
    Rule {
        rule: &'r Rule,
        why: Matched,
        over_greeting: Option<&'r Rule>,
    },
    /// Only greeting rules matched (this is the first), and the message says more than a
    /// greeting: a question no rule answers.
    GreetingWithMore(&'r Rule),
    Nothing,
}

/// Whether `raw` (normalized: `normalized`) is only a greeting once every text of the
/// matching greeting rules is taken out: nothing left, or a couple of words that ask nothing
/// ("hola soy Ana", not "hola, ¿hacen envíos?").
fn only_greeting(
    compiled: &CompiledRules,
    greetings: &[(usize, &Rule, Matched)],
    raw: &str,
    normalized: &str,
) -> bool {
    // Regular expressions run on the text as written: their matches go first.
    let mut without_regexes = None;
    for (index, _, _) in greetings {
        for regex in compiled.greeting_regexes.get(*index).into_iter().flatten() {
            let text = without_regexes.get_or_insert_with(|| raw.to_string());
            *text = regex.replace_all(text, " ").into_owned();
        }
    }
    let mut left = without_regexes.map_or_else(|| normalized.to_string(), |t| normalize(&t));
    let mut texts: Vec<(MatchKind, &str)> = greetings
        .iter()
        .filter(|(_, rule, _)| rule.when.match_kind != MatchKind::Regex)
        .flat_map(|(index, rule, _)| {
            let kind = rule.when.match_kind;
            compiled
                .texts
                .get(*index)
                .into_iter()
                .flatten()
                .map(move |t| (kind, t.as_str()))
        })
        .collect();
    // The longest first: "buenas tardes" goes whole, not "buenas" leaving "tardes".
    texts.sort_by_key(|(_, t)| std::cmp::Reverse(t.len()));
    for (kind, text) in texts {
        left = without_matches(kind, &left, text);
    }
    let asks = raw.contains(['?', '¿']);
    left.is_empty() || (!asks && left.split(' ').count() <= GREETING_EXTRA_WORDS)
}

/// The rule that answers: the first matching rule that is not a greeting, else the first
/// matching greeting rule when the message is only a greeting. Rules whose conditions fail
/// or that are cooling down do not match.
pub(super) fn find_rule<'r>(
    compiled: &'r CompiledRules,
    message: &Message<'_>,
    normalized: &str,
    state: &ContactState,
    open: bool,
    now_ms: i64,
) -> Found<'r> {
    let first_contact = state.last_in_at.is_none();
    let regex_hits = message
        .text
        .map(|raw| compiled.regex_hits(raw))
        .unwrap_or_default();
    let literal_hits = message.text.and_then(|_| compiled.literal_hits(normalized));
    let mut greetings: Vec<(usize, &Rule, Matched)> = Vec::new();
    let enabled = compiled
        .rules
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.enabled);
    for (index, rule) in enabled {
        let found = trigger(
            index,
            rule,
            compiled,
            message,
            normalized,
            &regex_hits,
            literal_hits.as_deref(),
        );
        let Some(found) = found else {
            continue;
        };
        let cooling = rule.cooldown_minutes > 0
            && within(
                state.rule_last_at.get(&rule.id).copied(),
                now_ms,
                i64::from(rule.cooldown_minutes) * MINUTE_MS,
            );
        if cooling || !conditions_hold(rule, state, open, first_contact) {
            continue;
        }
        if rule.greeting && found.by_text {
            greetings.push((index, rule, found.why));
            continue;
        }
        return Found::Rule {
            rule,
            why: found.why,
            over_greeting: greetings.first().map(|(_, greeting, _)| *greeting),
        };
    }
    let Some((_, greeting, why)) = greetings.first() else {
        return Found::Nothing;
    };
    if only_greeting(
        compiled,
        &greetings,
        message.text.unwrap_or_default(),
        normalized,
    ) {
        Found::Rule {
            rule: greeting,
            why: why.clone(),
            over_greeting: None,
        }
    } else {
        Found::GreetingWithMore(greeting)
    }
}
