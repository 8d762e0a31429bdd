//! The decision's tests: they read the reply texts customers would get.

use super::*;
use crate::document::HandEdited;
use crate::engine::rules::default_rules;
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
    /// Templates of the shop's own, over the built-in ones.
    own: Vec<(&'static str, String)>,
}

impl Fixture {
    /// The rules and templates as Cocolu ships them (prices and catalogue not filled in).
    fn new() -> Fixture {
        Fixture::with_rules(default_rules())
    }

    /// A shop that wrote its prices and catalogue link.
    fn set_up() -> Fixture {
        Fixture::new()
            .with_template("precios", "💲 *Precios*\nCamisa: 20 $\nGorra: 10 $")
            .with_template("catalogo", "🛍️ Catálogo: https://example.com/catalogo")
    }

    fn with_rules(rules: Rules) -> Fixture {
        Fixture {
            rules: CompiledRules::new(Arc::new(rules)),
            settings: Settings::defaults(),
            tz: TimeZone::get("America/Caracas").expect("tz"),
            own: Vec::new(),
        }
    }

    fn with_template(mut self, name: &'static str, text: &str) -> Fixture {
        self.own.push((name, text.to_string()));
        self
    }

    fn decide(&self, state: &ContactState, message: &Message<'_>, now: Timestamp) -> Decision {
        let templates = |name: &str| {
            self.own
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| Arc::from(t.as_str()))
                .or_else(|| builtin(name))
        };
        let world = World {
            rules: &self.rules,
            settings: &self.settings,
            templates: &templates,
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
        Outbound::Text { body } | Outbound::Buttons { body, .. } | Outbound::List { body, .. } => {
            body
        }
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
    assert_eq!(
        decision.replies.len(),
        1,
        "one message: {:?}",
        decision.replies
    );
    assert!(
        matches!(&decision.replies[0], Outbound::List { sections, .. } if sections[0].rows.len() == 4)
    );
    assert_eq!(
        body(&decision.replies[0]),
        "¡Hola, Ana! 👋 Bienvenido a *Mi Tienda*.\n\
         Soy el asistente automático y respondo al instante.\n\n\
         ¿En qué te puedo ayudar, Ana? Elige una opción 👇"
    );
}

#[test]
fn case_accents_punctuation_and_emoji_do_not_matter_to_the_rules() {
    let fixture = Fixture::set_up();
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
    assert_eq!(
        first.reason,
        Reason::Fallback {
            greeting_with_more: None
        }
    );
    let again = fixture.decide(&first.state, &text("¿me oyes?"), monday("10:05"));
    assert_eq!(again.reason, Reason::Quiet);
    assert!(again.replies.is_empty());
    let later = fixture.decide(&again.state, &text("¿hola?"), monday("10:31"));
    assert_eq!(rule_id(&later), Some("menu"), "a greeting still answers");
    let later = fixture.decide(&again.state, &text("nada"), monday("10:31"));
    assert!(matches!(later.reason, Reason::Fallback { .. }));
}

#[test]
fn outside_hours_the_away_message_goes_out_once_per_period() {
    let fixture = Fixture::set_up();
    let sunday_state = ContactState {
        last_in_at: Some(sunday("08:00").as_millisecond()),
        ..ContactState::default()
    };
    let first = fixture.decide(&sunday_state, &text("necesito algo"), sunday("10:00"));
    assert!(matches!(first.reason, Reason::Away { .. }));
    assert_eq!(
        body(&first.replies[0]),
        "Gracias por escribir a *Mi Tienda*. Ahora estamos cerrados 🌙\n\
         Nuestro horario: lunes a viernes 9:00–18:00, sábado 9:00–13:00, domingo cerrado. \
         Te responderemos en cuanto abramos."
    );
    let again = fixture.decide(&first.state, &text("hola?? necesito algo"), sunday("11:00"));
    assert_eq!(again.reason, Reason::Quiet);
    let rule = fixture.decide(&first.state, &text("precio"), sunday("11:00"));
    assert_eq!(
        rule_id(&rule),
        Some("precios"),
        "rules still answer outside hours"
    );
}

#[test]
fn asking_for_a_person_pauses_the_bot_until_the_quiet_time_passes() {
    let fixture = Fixture::set_up();
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
    let fixture = Fixture::set_up();
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
    let mut fixture = Fixture::set_up();
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
            matched: "\"precio\" (contains)".into(),
            trigger: Some(Matched::Text {
                text: "precio".into(),
                how: crate::engine::text::MatchKind::Contains,
            }),
            over_greeting: None,
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
    assert!(
        matches!(late.reason, Reason::Fallback { .. }),
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

/// Friday 2026-12-04 at `hh:mm` in Caracas (open 09:00-18:00).
fn friday(time: &str) -> Timestamp {
    format!("2026-12-04T{time}:00-04:00[America/Caracas]")
        .parse::<jiff::ZonedDateTime>()
        .expect("time")
        .timestamp()
}

fn fridays_contact() -> ContactState {
    ContactState {
        last_in_at: Some(friday("08:00").as_millisecond()),
        ..ContactState::default()
    }
}

const MENU_BODY: &str = "¿En qué te puedo ayudar, Ana? Elige una opción 👇";
const FALLBACK: &str = "Disculpa, no entendí tu mensaje 🙏\nEscribe *menú* para ver las opciones o *agente* para hablar con una persona.";

#[test]
fn a_greeting_alone_gets_the_menu() {
    let fixture = Fixture::new();
    for written in [
        "hola",
        "Hola, buenos días",
        "hola que tal",
        "hola soy Ana",
        "Buenas tardes!",
        "¿hola?",
        "Hola, ¿cómo estás?",
    ] {
        let decision = fixture.decide(&known(), &text(written), monday("10:00"));
        assert_eq!(rule_id(&decision), Some("menu"), "{written}");
        assert_eq!(body(&decision.replies[0]), MENU_BODY, "{written}");
    }
}

#[test]
fn a_greeting_gives_way_to_the_question_it_comes_with() {
    let fixture = Fixture::new();
    let decision = fixture.decide(
        &known(),
        &text("Buenas, ¿cuál es el horario?"),
        monday("10:00"),
    );
    assert_eq!(
        decision.reason,
        Reason::Rule {
            id: "horario".into(),
            matched: "\"horario\" (word)".into(),
            trigger: Some(Matched::Text {
                text: "horario".into(),
                how: crate::engine::text::MatchKind::Word,
            }),
            over_greeting: Some("menu".into()),
        }
    );
    assert_eq!(
        body(&decision.replies[0]),
        "🕒 Hoy lunes abrimos de 9:00 a 18:00.\n\
         Nuestro horario: lunes a viernes 9:00–18:00, sábado 9:00–13:00, domingo cerrado."
    );
    let menu = fixture.decide(
        &known(),
        &text("quiero ver el menú, por favor"),
        monday("10:00"),
    );
    assert_eq!(
        rule_id(&menu),
        Some("opciones"),
        "asking for the menu is not a greeting"
    );
    assert_eq!(body(&menu.replies[0]), MENU_BODY);
}

#[test]
fn a_greeting_with_a_question_no_rule_answers_gets_the_fallback_or_the_away_message() {
    let fixture = Fixture::new();
    let asked = text("Hola! hacen envíos a Arequipa?");
    let open = fixture.decide(&known(), &asked, monday("10:00"));
    assert_eq!(
        open.reason,
        Reason::Fallback {
            greeting_with_more: Some("menu".into())
        }
    );
    assert_eq!(open.replies.len(), 1);
    assert_eq!(body(&open.replies[0]), FALLBACK);

    let sunday_state = ContactState {
        last_in_at: Some(sunday("08:00").as_millisecond()),
        ..ContactState::default()
    };
    let closed = fixture.decide(&sunday_state, &asked, sunday("10:00"));
    assert_eq!(
        closed.reason,
        Reason::Away {
            greeting_with_more: Some("menu".into())
        }
    );
    assert!(body(&closed.replies[0]).contains("Ahora estamos cerrados"));

    let longer = fixture.decide(
        &known(),
        &text("hola quiero saber una cosa"),
        monday("10:00"),
    );
    assert!(matches!(
        longer.reason,
        Reason::Fallback {
            greeting_with_more: Some(_)
        }
    ));
}

#[test]
fn a_new_customer_s_question_gets_the_welcome_and_the_answer_in_one_message() {
    let fixture = Fixture::new();
    let first = fixture.decide(
        &ContactState::default(),
        &text("Hola! hacen envíos a Arequipa?"),
        monday("10:00"),
    );
    assert!(matches!(first.reason, Reason::Fallback { .. }));
    assert_eq!(first.replies.len(), 1, "{:?}", first.replies);
    assert_eq!(
        body(&first.replies[0]),
        format!(
            "¡Hola, Ana! 👋 Bienvenido a *Mi Tienda*.\n\
             Soy el asistente automático y respondo al instante.\n\n{FALLBACK}"
        )
    );
    let hours = fixture.decide(
        &ContactState::default(),
        &text("¿Abren mañana?"),
        monday("10:00"),
    );
    assert_eq!(rule_id(&hours), Some("horario"));
    assert_eq!(hours.replies.len(), 1);
    assert!(
        body(&hours.replies[0]).ends_with(
            "respondo al instante.\n\n🕒 Mañana martes abrimos de 9:00 a 18:00.\n\
             Nuestro horario: lunes a viernes 9:00–18:00, sábado 9:00–13:00, domingo cerrado."
        ),
        "{}",
        body(&hours.replies[0])
    );
}

#[test]
fn the_welcome_stays_apart_when_one_message_would_be_too_long() {
    let long_welcome = format!("Bienvenido. {}", "Texto largo. ".repeat(80));
    let fixture = Fixture::new().with_template("bienvenida", &long_welcome);
    let decision = fixture.decide(&ContactState::default(), &text("hola"), monday("10:00"));
    assert_eq!(
        decision.replies.len(),
        2,
        "a list body holds 1,024 characters"
    );
    assert!(body(&decision.replies[0]).starts_with("Bienvenido."));
    assert_eq!(body(&decision.replies[1]), MENU_BODY);

    let hours = fixture.decide(&ContactState::default(), &text("horario"), monday("10:00"));
    assert_eq!(hours.replies.len(), 1, "a text holds 4,096");

    let huge = "Muy largo. ".repeat(370);
    let apart = Fixture::new().with_template("bienvenida", &huge);
    let decision = apart.decide(&ContactState::default(), &text("horario"), monday("10:00"));
    assert_eq!(
        decision.replies.len(),
        2,
        "{:?} {:?}",
        decision.reason,
        decision
            .replies
            .iter()
            .map(|r| body(r).chars().count())
            .collect::<Vec<_>>()
    );
}

#[test]
fn only_the_welcome_merges_never_a_rule_s_own_messages() {
    let rules: Rules = serde_json::from_value(serde_json::json!({"version": 1, "rules": [
        {"id": "dos", "when": {"text": ["envio"]}, "reply": [{"text": "Uno"}, {"text": "Dos"}]}
    ]}))
    .expect("rules");
    let fixture = Fixture::with_rules(rules);
    let first = fixture.decide(&ContactState::default(), &text("envio"), monday("10:00"));
    let bodies: Vec<&str> = first.replies.iter().map(body).collect();
    assert_eq!(bodies.len(), 2);
    assert!(bodies[0].ends_with("al instante.\n\nUno"), "{bodies:?}");
    assert_eq!(bodies[1], "Dos");
    let again = fixture.decide(&known(), &text("envio"), monday("10:00"));
    assert_eq!(
        again.replies.iter().map(body).collect::<Vec<_>>(),
        ["Uno", "Dos"]
    );
}

#[test]
fn the_hours_answer_the_day_asked_about() {
    let fixture = Fixture::new();
    let week = "Nuestro horario: lunes a viernes 9:00–18:00, sábado 9:00–13:00, domingo cerrado.";
    let cases = [
        ("¿abren el domingo?", "🕒 El domingo 6 de diciembre estamos cerrados."),
        ("¿atienden mañana?", "🕒 Mañana sábado abrimos de 9:00 a 13:00."),
        ("¿qué días abren?", "🕒 Hoy viernes abrimos de 9:00 a 18:00; ya cerramos por hoy."),
        (
            "¿están abiertos el 24 de diciembre?",
            "🕒 El jueves 24 de diciembre abrimos de 9:00 a 18:00.",
        ),
        (
            "¿y el fin de semana abren?",
            "🕒 El fin de semana: sábado 5 de diciembre de 9:00 a 13:00; domingo 6 de diciembre cerrado.",
        ),
    ];
    for (asked, day) in cases {
        let decision = fixture.decide(&fridays_contact(), &text(asked), friday("19:30"));
        assert_eq!(rule_id(&decision), Some("horario"), "{asked}");
        assert_eq!(
            body(&decision.replies[0]),
            format!("{day}\n{week}"),
            "{asked}"
        );
    }
    let mut closing = Fixture::new();
    closing.settings.hours.closed = vec!["2026-12-24".into()];
    let christmas = closing.decide(
        &fridays_contact(),
        &text("¿abren el 24/12?"),
        friday("10:00"),
    );
    assert_eq!(
        body(&christmas.replies[0]),
        "🕒 El jueves 24 de diciembre estamos cerrados (feriado).\n\
         Nuestro horario: lunes a viernes 9:00–18:00, sábado 9:00–13:00, domingo cerrado."
    );
    let soon = closing.decide(&fridays_contact(), &text("horario"), friday_plus_days(14));
    assert!(
        body(&soon.replies[0]).ends_with("domingo cerrado; cerrado el jueves 24 de diciembre."),
        "{}",
        body(&soon.replies[0])
    );
}

fn friday_plus_days(days: i64) -> Timestamp {
    friday("10:00")
        .checked_add(jiff::SignedDuration::from_hours(24 * days))
        .expect("time")
}

#[test]
fn today_s_hours_still_work_in_a_shop_s_own_text() {
    let rules: Rules = serde_json::from_value(serde_json::json!({"version": 1, "rules": [
        {"id": "hoy", "when": {"text": ["hoy"]}, "reply": [{"text": "Hoy: {{horario_hoy}}. Semana: {{horario_semana}}"}]}
    ]}))
    .expect("rules");
    let decision = Fixture::with_rules(rules).decide(&known(), &text("hoy?"), monday("10:00"));
    assert_eq!(
        body(&decision.replies[0]),
        "Hoy: 9:00–18:00. Semana: lunes a viernes 9:00–18:00, sábado 9:00–13:00, domingo cerrado"
    );
}

#[test]
fn a_template_still_to_fill_in_hands_the_chat_to_a_person() {
    let fixture = Fixture::new();
    let decision = fixture.decide(&known(), &text("¿Cuánto cuesta?"), monday("10:00"));
    assert_eq!(
        decision.reason,
        Reason::NeedsSetup {
            rule: "precios".into(),
            template: "precios".into(),
            fill_ins: vec!["tus productos y precios, uno por línea".into()],
        }
    );
    assert_eq!(decision.replies.len(), 1);
    assert_eq!(
        body(&decision.replies[0]),
        "Te comunico con una persona del equipo de *Mi Tienda*. Te responderemos en breve ⏳"
    );
    assert_eq!(
        decision.state.paused_until,
        Some(monday("10:00").as_millisecond() + 12 * HOUR_MS)
    );
    let then = fixture.decide(&decision.state, &text("hola?"), monday("10:05"));
    assert!(matches!(then.reason, Reason::Paused { .. }) && then.replies.is_empty());

    let tap = Message {
        kind: "interactive",
        text: Some("Catálogo"),
        choice_id: Some("catalogo"),
        stale: false,
        name: None,
    };
    let catalogue = fixture.decide(&known(), &tap, monday("10:00"));
    assert!(
        matches!(&catalogue.reason, Reason::NeedsSetup { template, fill_ins, .. }
            if template == "catalogo" && fill_ins[0] == "el enlace de tu catálogo")
    );

    let first = fixture.decide(&ContactState::default(), &text("precios"), monday("10:00"));
    assert_eq!(first.replies.len(), 1);
    assert!(body(&first.replies[0]).ends_with("al instante.\n\nTe comunico con una persona del equipo de *Mi Tienda*. Te responderemos en breve ⏳"));

    let filled = Fixture::set_up().decide(&known(), &text("¿Cuánto cuesta?"), monday("10:00"));
    assert_eq!(rule_id(&filled), Some("precios"));
    assert!(body(&filled.replies[0]).contains("Camisa: 20 $"));
}

#[test]
fn unfinished_templates_are_left_out_never_sent() {
    let fixture = Fixture::new()
        .with_template("agente", "Te atiende [[el nombre de tu asesora]]")
        .with_template("bienvenida", "Hola, somos [[tu negocio]]")
        .with_template("no_entendi", "No entendí. [[tu teléfono]]");
    let handed = fixture.decide(&known(), &text("precio"), monday("10:00"));
    assert!(matches!(handed.reason, Reason::NeedsSetup { .. }));
    assert!(handed.replies.is_empty());
    assert!(
        handed.state.paused_until.is_some(),
        "a person still takes over"
    );

    let hello = fixture.decide(&ContactState::default(), &text("hola"), monday("10:00"));
    assert_eq!(hello.replies.len(), 1);
    assert_eq!(
        body(&hello.replies[0]),
        MENU_BODY,
        "the welcome is left out"
    );

    let unknown = fixture.decide(&known(), &text("unicornio"), monday("10:00"));
    assert!(matches!(unknown.reason, Reason::Fallback { .. }));
    assert!(unknown.replies.is_empty());
}

#[test]
fn a_capture_whose_follow_up_is_unfinished_hands_over() {
    let rules: Rules = serde_json::from_value(serde_json::json!({"version": 1, "rules": [
        {"id": "pedido", "when": {"text": ["mi pedido"]}, "reply": [{"text": "¿Número?"}],
         "capture": {"field": "pedido", "then": [{"template": "precios"}]}}
    ]}))
    .expect("rules");
    let fixture = Fixture::with_rules(rules);
    let asked = fixture.decide(&known(), &text("mi pedido"), monday("10:00"));
    let answered = fixture.decide(&asked.state, &text("A-1"), monday("10:01"));
    assert!(
        matches!(&answered.reason, Reason::NeedsSetup { rule, .. } if rule == "pedido"),
        "{:?}",
        answered.reason
    );
    assert_eq!(answered.state.fields["pedido"], "A-1");
    assert!(answered.state.paused_until.is_some());
    assert!(body(&answered.replies[0]).starts_with("Te comunico"));
}

#[test]
fn old_log_records_still_read_and_new_fields_are_left_out_when_empty() {
    for (json, reason) in [
        (
            r#"{"because":"away"}"#,
            Reason::Away {
                greeting_with_more: None,
            },
        ),
        (
            r#"{"because":"fallback"}"#,
            Reason::Fallback {
                greeting_with_more: None,
            },
        ),
        (
            r#"{"because":"rule","id":"precios","matched":"precio"}"#,
            Reason::Rule {
                id: "precios".into(),
                matched: "precio".into(),
                trigger: None,
                over_greeting: None,
            },
        ),
    ] {
        let read: Reason = serde_json::from_str(json).expect(json);
        assert_eq!(read, reason);
        assert_eq!(serde_json::to_string(&reason).expect("json"), json);
    }
    let new = Reason::Rule {
        id: "horario".into(),
        matched: "horario".into(),
        trigger: None,
        over_greeting: Some("menu".into()),
    };
    let json = serde_json::to_string(&new).expect("json");
    assert_eq!(serde_json::from_str::<Reason>(&json).expect("read"), new);
}

#[test]
fn a_regex_greeting_rule_gives_way_too() {
    let rules: Rules = serde_json::from_value(serde_json::json!({"version": 1, "rules": [
        {"id": "saludo", "greeting": true, "when": {"match": "regex", "text": ["^h?ola+"]}, "reply": [{"text": "¡Hola!"}]},
        {"id": "envio", "when": {"text": ["envio"]}, "reply": [{"text": "Enviamos"}]}
    ]}))
    .expect("rules");
    let fixture = Fixture::with_rules(rules);
    assert_eq!(
        rule_id(&fixture.decide(&known(), &text("Olaaa!"), monday("10:00"))),
        Some("saludo")
    );
    assert_eq!(
        rule_id(&fixture.decide(&known(), &text("olaa, hacen envio?"), monday("10:00"))),
        Some("envio")
    );
    let more = fixture.decide(
        &known(),
        &text("hola, tienen tallas grandes?"),
        monday("10:00"),
    );
    assert!(
        matches!(more.reason, Reason::Fallback { greeting_with_more: Some(ref g) } if g == "saludo")
    );
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

    /// Whatever a customer writes (a greeting, a day, a date, anything), every reply is
    /// within WhatsApp's limits and no setup note reaches them.
    #[test]
    fn replies_are_sendable_and_never_carry_setup_notes(
        greeting in proptest::sample::select(vec!["", "hola ", "buenas, ", "Hola! ", "que tal "]),
        day in proptest::sample::select(vec!["", "mañana ", "el domingo ", "el 24/12 ", "31-02 ", "el 29 de febrero ", "la mañana "]),
        written in "\\PC{0,80}",
        first in any::<bool>(),
    ) {
        let message = format!("{greeting}{day}{written}");
        let state = if first { ContactState::default() } else { known() };
        for fixture in [Fixture::new(), Fixture::set_up()] {
            for now in [monday("10:00"), sunday("23:59"), friday("19:00")] {
                let decision = fixture.decide(&state, &text(&message), now);
                for reply in &decision.replies {
                    prop_assert!(crate::outbound::check(reply).is_ok(), "{reply:?}");
                    prop_assert!(!body(reply).contains("[["), "{reply:?}");
                    prop_assert!(!body(reply).trim().is_empty(), "{reply:?}");
                }
                prop_assert!(decision.replies.len() <= 2, "{:?}", decision.replies);
            }
        }
    }
}

#[test]
fn a_reason_s_name_is_its_json_tag() {
    let reasons = [
        Reason::Stale,
        Reason::NotACustomerMessage,
        Reason::OptedOut,
        Reason::OptOut,
        Reason::OptIn,
        Reason::Paused { until: 1 },
        Reason::Capped,
        Reason::Welcome,
        Reason::Rule {
            id: "r".into(),
            matched: "m".into(),
            trigger: None,
            over_greeting: None,
        },
        Reason::Away {
            greeting_with_more: None,
        },
        Reason::Fallback {
            greeting_with_more: None,
        },
        Reason::NeedsSetup {
            rule: "r".into(),
            template: "t".into(),
            fill_ins: Vec::new(),
        },
        Reason::Quiet,
        Reason::Takeover { until: None },
        Reason::Edited,
        Reason::Captured { field: "f".into() },
    ];
    for reason in reasons {
        let json = serde_json::to_value(&reason).expect("serializes");
        assert_eq!(json["because"].as_str(), Some(reason.because()), "{json}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    /// The automaton over every rule text finds, for each rule, the same first text as trying
    /// each text alone with `matches` (overlaps, repeats, spaces and empty texts included).
    #[test]
    fn the_text_automaton_finds_what_each_text_alone_finds(
        texts in proptest::collection::vec("[ab ]{0,4}", 1..6),
        message in "[ab ]{0,12}",
    ) {
        let kinds = ["contains", "word", "exact", "starts_with"];
        let rules: Vec<serde_json::Value> = kinds
            .iter()
            .map(|kind| serde_json::json!({"id": kind, "when": {"match": kind, "text": texts}, "reply": [{"text": "x"}]}))
            .collect();
        let rules: Rules = serde_json::from_value(serde_json::json!({"version": 1, "rules": rules})).expect("rules");
        let compiled = CompiledRules::new(Arc::new(rules));
        let normalized = normalize(&message);
        let hits = compiled.literal_hits(&normalized).expect("an automaton");
        for (r, rule) in compiled.rules.rules.iter().enumerate() {
            let alone = compiled.texts[r]
                .iter()
                .position(|t| crate::engine::text::matches(rule.when.match_kind, &normalized, t));
            prop_assert_eq!(hits[r], alone, "{:?} {:?} in {:?}", rule.when.match_kind, texts, normalized);
        }
    }
}
