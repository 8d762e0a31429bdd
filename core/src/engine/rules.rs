//! The rules (`rules.json`): what the bot answers, and when. Rules are tried in order; the
//! first that matches answers. Each names its triggers (texts, tapped buttons or list rows,
//! message types), optional conditions (business hours, first contact, labels), its replies
//! (templates, texts, buttons, lists) and actions (labels, handing the chat to a person,
//! opting the contact out). A button or list row's id is the trigger of another rule, which
//! is how menus nest.

use super::text::{normalize, MatchKind};
use crate::document::{Context, HandEdited, Problem};
use crate::fault::Fault;
pub use crate::model::{
    Action, ButtonsReply, Capture, HoursCondition, ListReply, Reply, Rule, Rules, When,
};
use crate::outbound::{self, Choice, Outbound, Section};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use std::collections::{BTreeSet, HashSet};

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The most rules a document may have (a shop's rules number in the tens).
pub const MAX_RULES: usize = 1000;
/// The most texts (words or patterns) one rule may list.
pub const MAX_TEXTS_PER_RULE: usize = 100;
/// The most regular-expression text all rules may have together, in bytes: checked before
/// anything is compiled, so that refusing a huge draft costs nothing.
pub const MAX_REGEX_TEXT_BYTES: usize = 64 * 1024;
/// The longest text or pattern, in bytes.
pub const MAX_TEXT_BYTES: usize = 1000;

/// How large one rule's regular expression may be, compiled.
const REGEX_SIZE_BYTES: usize = 1 << 20;
/// How large the regular expressions of all rules may be together, compiled (the engine scans
/// a message once for all of them, in one set). Checked where rules are validated, so a save,
/// a hand edit or `cocolu check` says which rule goes over it; the engine never ends up with
/// an empty set.
pub const REGEX_BUDGET_BYTES: usize = 1 << 24;

/// Every regex rule's patterns, compiled into the one set the engine scans messages with.
pub fn regex_set<'a>(
    patterns: impl IntoIterator<Item = &'a str>,
) -> Result<RegexSet, regex::Error> {
    RegexSetBuilder::new(patterns)
        .case_insensitive(true)
        .size_limit(REGEX_BUDGET_BYTES)
        .build()
}

/// The patterns of the regex rules: (rule index, pattern index, pattern). Validation has
/// compiled each already; they are compiled again only together, as one set.
pub fn regex_patterns(rules: &Rules) -> Vec<(usize, usize, &str)> {
    rules
        .rules
        .iter()
        .enumerate()
        .filter(|(_, rule)| rule.when.match_kind == MatchKind::Regex)
        .flat_map(|(r, rule)| {
            rule.when
                .text
                .iter()
                .enumerate()
                .map(move |(i, pattern)| (r, i, pattern.as_str()))
        })
        .collect()
}

/// When the regex rules together go over [`REGEX_BUDGET_BYTES`], the problem, placed at the
/// pattern where the budget runs out (found by halving, so a few compilations at most).
fn regex_budget_problem(rules: &Rules) -> Option<Problem> {
    let patterns = regex_patterns(rules);
    let fits = |n: usize| regex_set(patterns[..n].iter().map(|(_, _, p)| *p)).is_ok();
    if patterns.is_empty() || fits(patterns.len()) {
        return None;
    }
    // The longest prefix that fits: `low` fits, `high` does not.
    let (mut low, mut high) = (0, patterns.len());
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if fits(middle) {
            low = middle;
        } else {
            high = middle;
        }
    }
    let (rule, pattern, _) = patterns[high - 1];
    Some(Problem::new(
        format!("/rules/{rule}/when/text/{pattern}"),
        Fault::PatternsTooComplex {
            max_mib: REGEX_BUDGET_BYTES >> 20,
        },
    ))
}

/// Compiles a rule's regexes (case-insensitive, against the message as written).
pub fn compile_regexes(rule: &Rule) -> Result<Vec<Regex>, (usize, regex::Error)> {
    if rule.when.match_kind != MatchKind::Regex {
        return Ok(Vec::new());
    }
    rule.when
        .text
        .iter()
        .enumerate()
        .map(|(i, pattern)| {
            RegexBuilder::new(pattern)
                .case_insensitive(true)
                .size_limit(REGEX_SIZE_BYTES)
                .build()
                .map_err(|e| (i, e))
        })
        .collect()
}

/// The templates a rule sends: in its replies and its capture's follow-up.
pub fn rule_templates(rule: &Rule) -> impl Iterator<Item = &str> {
    rule.reply
        .iter()
        .chain(rule.capture.iter().flat_map(|c| c.then.iter()))
        .flat_map(ReplyParts::template_names)
}

/// The parts of a reply the checks look at.
trait ReplyParts {
    fn body(&self) -> Option<(&Option<String>, &Option<String>)>;
    fn preview(&self) -> Outbound;
    fn template_names(&self) -> Vec<&str>;
    fn choice_ids(&self) -> Vec<&str>;
}

impl ReplyParts for Reply {
    /// The template and text of an interactive reply's message.
    fn body(&self) -> Option<(&Option<String>, &Option<String>)> {
        match self {
            Reply::Buttons(b) => Some((&b.template, &b.text)),
            Reply::List(l) => Some((&l.template, &l.text)),
            _ => None,
        }
    }

    /// The message WhatsApp's limits are checked against (templates stand in as text).
    fn preview(&self) -> Outbound {
        let body = self
            .body()
            .and_then(|(template, text)| text.clone().or_else(|| template.clone()))
            .unwrap_or_default();
        match self {
            Reply::Template(name) => Outbound::Text { body: name.clone() },
            Reply::Text(text) => Outbound::Text { body: text.clone() },
            Reply::Buttons(b) => Outbound::Buttons {
                body,
                header: None,
                footer: b.footer.clone(),
                buttons: b.options.clone(),
            },
            Reply::List(l) => Outbound::List {
                body,
                button: l.button.clone(),
                header: None,
                footer: l.footer.clone(),
                sections: l.sections.clone(),
            },
        }
    }

    fn template_names(&self) -> Vec<&str> {
        match self {
            Reply::Template(name) => vec![name.as_str()],
            _ => self
                .body()
                .and_then(|(template, _)| template.as_deref())
                .into_iter()
                .collect(),
        }
    }

    fn choice_ids(&self) -> Vec<&str> {
        match self {
            Reply::Buttons(b) => b.options.iter().map(|c| c.id.as_str()).collect(),
            Reply::List(l) => l
                .sections
                .iter()
                .flat_map(|s| s.rows.iter().map(|r| r.id.as_str()))
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn validate_rule(index: usize, rule: &Rule, context: &Context, problems: &mut Vec<Problem>) {
    let at = |path: &str| format!("/rules/{index}{path}");
    if !valid_id(&rule.id) {
        problems.push(Problem::new(
            at("/id"),
            Fault::NotARuleId {
                id: rule.id.clone(),
            },
        ));
    }
    let when = &rule.when;
    if when.text.is_empty() && when.button.is_empty() && when.message_type.is_empty() {
        problems.push(Problem::new(at("/when"), Fault::NoTrigger));
    }
    if let Err((i, error)) = compile_regexes(rule) {
        problems.push(Problem::new(
            at(&format!("/when/text/{i}")),
            Fault::BadPattern {
                detail: error.to_string(),
            },
        ));
    }
    if when.match_kind != MatchKind::Regex {
        for (i, text) in when.text.iter().enumerate() {
            if normalize(text).is_empty() {
                problems.push(Problem::new(
                    at(&format!("/when/text/{i}")),
                    Fault::NeverMatches,
                ));
            }
        }
    }
    for (i, kind) in when.message_type.iter().enumerate() {
        if !matches!(
            kind.as_str(),
            "audio"
                | "image"
                | "video"
                | "document"
                | "sticker"
                | "location"
                | "contacts"
                | "order"
        ) {
            problems.push(Problem::new(
                at(&format!("/when/message_type/{i}")),
                Fault::NotAMessageType { kind: kind.clone() },
            ));
        }
    }
    if rule.reply.is_empty() && rule.actions.is_empty() {
        problems.push(Problem::new(at("/reply"), Fault::NoEffect));
    }
    validate_replies(&rule.reply, &at("/reply"), context, problems);
    if let Some(capture) = &rule.capture {
        if capture.field.is_empty()
            || !capture
                .field
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            problems.push(Problem::new(
                at("/capture/field"),
                Fault::NotAFieldName {
                    name: capture.field.clone(),
                },
            ));
        }
        if capture.minutes == 0 {
            problems.push(Problem::new(at("/capture/minutes"), Fault::NoCaptureTime));
        }
        validate_replies(&capture.then, &at("/capture/then"), context, problems);
    }
}

/// Checks replies at the JSON pointer `base` (`/rules/2/reply`).
fn validate_replies(replies: &[Reply], base: &str, context: &Context, problems: &mut Vec<Problem>) {
    let at = |path: &str| format!("{base}{path}");
    for (i, reply) in replies.iter().enumerate() {
        for name in reply.template_names() {
            if !context.templates.contains(name) {
                problems.push(Problem::new(
                    at(&format!("/{i}")),
                    Fault::NoSuchTemplate {
                        name: name.to_string(),
                    },
                ));
            }
        }
        if let Some((template, text)) = reply.body() {
            if template.is_some() == text.is_some() {
                problems.push(Problem::new(at(&format!("/{i}")), Fault::TemplateOrText));
            }
        }
        if let Err(error) = outbound::check(&reply.preview()) {
            let pointer = at(&format!("/{i}"));
            problems.extend(
                error
                    .0
                    .into_iter()
                    .map(|fault| Problem::new(pointer.clone(), fault)),
            );
        }
    }
}

impl HandEdited for Rules {
    const FILE: &'static str = "rules.json";
    const VERSION: u32 = 1;

    fn defaults() -> Rules {
        default_rules()
    }

    crate::stamped_by_fields!();

    fn validate(&self, context: &Context) -> Vec<Problem> {
        let mut problems = Vec::new();
        // Checked first and alone: validating compiles every regex, so a document far larger
        // than any shop needs must not cost minutes of CPU before it is refused.
        if self.rules.len() > MAX_RULES {
            problems.push(Problem::new(
                "/rules",
                Fault::TooManyRules {
                    found: self.rules.len(),
                    max: MAX_RULES,
                },
            ));
            return problems;
        }
        for (index, rule) in self.rules.iter().enumerate() {
            if rule.when.text.len() > MAX_TEXTS_PER_RULE {
                problems.push(Problem::new(
                    format!("/rules/{index}/when/text"),
                    Fault::TooManyTexts {
                        max: MAX_TEXTS_PER_RULE,
                    },
                ));
            }
            if let Some(i) = rule.when.text.iter().position(|t| t.len() > MAX_TEXT_BYTES) {
                problems.push(Problem::new(
                    format!("/rules/{index}/when/text/{i}"),
                    Fault::TextTooLong {
                        max_bytes: MAX_TEXT_BYTES,
                    },
                ));
            }
        }
        let regex_bytes: usize = self
            .rules
            .iter()
            .filter(|rule| rule.when.match_kind == MatchKind::Regex)
            .flat_map(|rule| rule.when.text.iter().map(String::len))
            .sum();
        if regex_bytes > MAX_REGEX_TEXT_BYTES {
            problems.push(Problem::new(
                "/rules",
                Fault::PatternsTooLong {
                    found_kib: regex_bytes.div_ceil(1024),
                    max_kib: MAX_REGEX_TEXT_BYTES / 1024,
                },
            ));
        }
        if !problems.is_empty() {
            return problems;
        }
        let mut seen = HashSet::new();
        for (index, rule) in self.rules.iter().enumerate() {
            validate_rule(index, rule, context, &mut problems);
            if !seen.insert(rule.id.as_str()) {
                problems.push(Problem::new(
                    format!("/rules/{index}/id"),
                    Fault::RuleIdTaken {
                        id: rule.id.clone(),
                    },
                ));
            }
        }
        // The set is built only from patterns that compile on their own.
        if !problems.iter().any(|p| p.pointer.contains("/when/text")) {
            problems.extend(regex_budget_problem(self));
        }
        let answered: BTreeSet<&str> = self
            .rules
            .iter()
            .flat_map(|r| r.when.button.iter().map(String::as_str))
            .collect();
        for (index, rule) in self.rules.iter().enumerate() {
            for (i, reply) in rule.reply.iter().enumerate() {
                for id in reply.choice_ids() {
                    if !answered.contains(id) {
                        problems.push(Problem::new(
                            format!("/rules/{index}/reply/{i}"),
                            Fault::OptionUnanswered { id: id.to_string() },
                        ));
                    }
                }
            }
        }
        problems
    }
}

fn choice(id: &str, title: &str, description: &str) -> Choice {
    Choice {
        id: id.into(),
        title: title.into(),
        description: Some(description.into()),
    }
}

fn rule(id: &str, description: &str, when: When, reply: Vec<Reply>, actions: Vec<Action>) -> Rule {
    Rule {
        capture: None,
        id: id.into(),
        description: description.into(),
        enabled: true,
        greeting: false,
        when,
        reply,
        actions,
        cooldown_minutes: 0,
    }
}

fn texts(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A useful Spanish shop configuration: a menu (for a greeting, or when asked for), the
/// catalogue, prices, hours, a person, and a polite answer to voice notes.
pub fn default_rules() -> Rules {
    let menu = Reply::List(ListReply {
        template: Some("menu".into()),
        text: None,
        button: "Ver opciones".into(),
        footer: None,
        sections: vec![Section {
            title: None,
            rows: vec![
                choice("catalogo", "Catálogo", "Lo que vendemos"),
                choice("precios", "Precios", "Cuánto cuesta"),
                choice("horario", "Horario", "Cuándo abrimos"),
                choice(
                    "persona",
                    "Hablar con una persona",
                    "Te atiende alguien del equipo",
                ),
            ],
        }],
    });
    Rules {
        schema: None,
        version: Rules::VERSION,
        rules: vec![
            Rule {
                greeting: true,
                ..rule(
                    "menu",
                    "Saludos: el menú, si el mensaje no pregunta otra cosa",
                    When {
                        text: texts(&[
                            "hola",
                            "holi",
                            "buenas",
                            "buen dia",
                            "buenos dias",
                            "buenas tardes",
                            "buenas noches",
                            "que tal",
                            "como estas",
                            "como esta",
                            "como estan",
                            "saludos",
                            "hi",
                            "hello",
                            "hey",
                        ]),
                        match_kind: MatchKind::Word,
                        ..When::default()
                    },
                    vec![menu.clone()],
                    vec![],
                )
            },
            rule(
                "opciones",
                "Piden el menú o las opciones",
                When {
                    text: texts(&["menu", "menú", "opciones"]),
                    match_kind: MatchKind::Word,
                    ..When::default()
                },
                vec![menu],
                vec![],
            ),
            rule(
                "catalogo",
                "El catálogo",
                When {
                    text: texts(&["catalogo", "catálogo", "productos"]),
                    match_kind: MatchKind::Word,
                    button: texts(&["catalogo"]),
                    ..When::default()
                },
                vec![Reply::Template("catalogo".into())],
                vec![],
            ),
            rule(
                "precios",
                "Preguntas por precios",
                When {
                    text: texts(&["precio", "cuanto cuesta", "cuánto vale", "cuanto vale"]),
                    button: texts(&["precios"]),
                    ..When::default()
                },
                vec![Reply::Template("precios".into())],
                vec![],
            ),
            rule(
                "horario",
                "El horario: el del día que preguntan y el de la semana",
                When {
                    text: texts(&[
                        "horario",
                        "horarios",
                        "abren",
                        "abierto",
                        "abierta",
                        "abiertos",
                        "abiertas",
                        "atienden",
                        "cierran",
                        "a que hora",
                        "a que horas",
                        "que dias",
                    ]),
                    match_kind: MatchKind::Word,
                    button: texts(&["horario"]),
                    ..When::default()
                },
                vec![Reply::Template("horario".into())],
                vec![],
            ),
            rule(
                "persona",
                "Hablar con una persona: el bot se pausa para este contacto",
                When {
                    text: texts(&["persona", "agente", "humano", "asesor"]),
                    match_kind: MatchKind::Word,
                    button: texts(&["persona"]),
                    ..When::default()
                },
                vec![Reply::Template("agente".into())],
                vec![Action::Handover],
            ),
            rule(
                "nota_de_voz",
                "Notas de voz, fotos y documentos: solo leemos texto",
                When {
                    message_type: texts(&["audio", "video", "sticker"]),
                    ..When::default()
                },
                vec![Reply::Template("solo_texto".into())],
                vec![],
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::parse;
    use crate::templates::BUILTIN;

    fn context() -> Context {
        Context {
            templates: BUILTIN.iter().map(|(n, _)| n.to_string()).collect(),
            ..Context::default()
        }
    }

    #[test]
    fn the_default_rules_are_valid() {
        let problems = default_rules().validate(&context());
        assert!(problems.is_empty(), "{problems:?}");
    }

    fn rules_text(rules: &str) -> String {
        format!("{{\n  \"version\": 1,\n  \"rules\": [\n{rules}\n  ]\n}}\n")
    }

    #[test]
    fn a_bad_regex_is_located_where_it_is_written() {
        let text = rules_text(
            r#"    {"id": "pedido", "when": {"match": "regex", "text": ["pedido #?\\d+", "(sin cerrar"]}, "reply": [{"text": "ok"}]}"#,
        );
        let problems = parse::<Rules>("rules.json", &text, &context()).expect_err("rejected");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 4);
        assert!(
            problems[0]
                .message
                .contains("not a valid regular expression"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn duplicate_ids_unknown_templates_and_unanswered_options_are_reported() {
        let text = rules_text(concat!(
            r#"    {"id": "a", "when": {"text": ["x"]}, "reply": [{"template": "no_existe"}]},"#,
            "\n",
            r#"    {"id": "a", "when": {"text": ["y"]}, "reply": [{"buttons": {"text": "¿?", "options": [{"id": "huerfano", "title": "Nadie"}]}}]}"#
        ));
        let problems = parse::<Rules>("rules.json", &text, &context()).expect_err("rejected");
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("no template 'no_existe'")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("already has the id 'a'")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("no rule answers the option 'huerfano'")),
            "{messages:?}"
        );
    }

    #[test]
    fn a_capture_needs_a_field_name_and_valid_follow_up_replies() {
        let text = rules_text(
            r#"    {"id": "c", "when": {"text": ["x"]}, "reply": [{"text": "¿?"}], "capture": {"field": "Mi Campo", "then": [{"template": "nada"}]}}"#,
        );
        let problems = parse::<Rules>("rules.json", &text, &context()).expect_err("rejected");
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("'Mi Campo' is not a field name")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("no template 'nada'")),
            "{messages:?}"
        );
    }

    #[test]
    fn a_rule_without_a_trigger_or_with_too_many_buttons_is_refused() {
        let four = r#"[{"id":"a","title":"1"},{"id":"b","title":"2"},{"id":"c","title":"3"},{"id":"d","title":"4"}]"#;
        let text = rules_text(&format!(
            "    {{\"id\": \"vacia\", \"when\": {{}}, \"reply\": [{{\"text\": \"x\"}}]}},\n    {{\"id\": \"botones\", \"when\": {{\"button\": [\"a\", \"b\", \"c\", \"d\"]}}, \"reply\": [{{\"buttons\": {{\"text\": \"x\", \"options\": {four}}}}}]}}"
        ));
        let problems = parse::<Rules>("rules.json", &text, &context()).expect_err("rejected");
        assert!(problems.iter().any(|p| p.message.contains("no trigger")));
        assert!(problems.iter().any(|p| p.message.contains("4 buttons")));
    }

    #[test]
    fn regex_rules_that_are_too_large_together_are_located_never_silently_dropped() {
        // Each pattern fits on its own; forty of them do not fit in one set.
        let large = r"\w{12}";
        assert!(RegexBuilder::new(large)
            .case_insensitive(true)
            .size_limit(REGEX_SIZE_BYTES)
            .build()
            .is_ok());
        let mut rules: Vec<String> = (0..40)
            .map(|i| {
                format!(
                    r#"    {{"id": "grande{i}", "when": {{"match": "regex", "text": ["{}"]}}, "reply": [{{"text": "ok"}}]}}"#,
                    large.replace('\\', "\\\\")
                )
            })
            .collect();
        rules.push(
            r#"    {"id": "pedido", "when": {"match": "regex", "text": ["pedido\\s*#?\\d{4}"]}, "reply": [{"text": "Tu pedido"}]}"#
                .into(),
        );
        let text = rules_text(&rules.join(",\n"));
        let problems = parse::<Rules>("rules.json", &text, &context()).expect_err("rejected");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("too large"), "{problems:?}");
        assert!(
            problems[0].line > 4,
            "placed at the rule where the budget runs out"
        );

        // Within the budget, every regex rule answers.
        let few = rules_text(&[rules[0].clone(), rules[40].clone()].join(",\n"));
        let parsed = parse::<Rules>("rules.json", &few, &context()).expect("valid");
        let set = regex_set(regex_patterns(&parsed).iter().map(|(_, _, p)| *p)).expect("fits");
        assert!(set.is_match("pedido #1234"));
    }
}
