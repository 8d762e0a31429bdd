//! The simulator: "type what a customer would write" — which rule answers (or why none
//! does), and the replies as WhatsApp would show them. It tries the draft when it has
//! unsaved changes, else the rules in force. Nothing is sent.

use crate::api;
use crate::components::document::DocEditor;
use crate::i18n::{use_i18n, Said};
use crate::whatsapp::Formatted;
use cocolu_core::engine::decide::{Matched, Reason};
use cocolu_core::engine::simulate::Answer;
use cocolu_core::engine::text::MatchKind;
use cocolu_core::model::Rules;
use cocolu_core::outbound::Outbound;
use leptos::prelude::*;
use serde_json::json;

crate::i18n::page_texts!(SimulatorSaid {
    SimulatorTitle => ("Simulador", "Simulator"),
    SimulatorLabel => ("Escribe lo que escribiría un cliente", "Type what a customer would write"),
    SimulatorPlaceholder => ("Por ejemplo: ¿cuánto cuesta?", "For example: how much is it?"),
    SimulatorRun => ("Probar", "Try"),
    SimulatorFirstContact => ("Como su primer mensaje", "As their first message"),
    SimulatorNoReply => ("El bot no respondería nada.", "The bot would not reply."),
    SimulatorFailed => ("No se pudo probar:", "Could not try it:"),
    Because => ("porque", "because"),
    Contains => ("el mensaje contiene", "the message contains"),
    Exactly => ("el mensaje es exactamente", "the message is exactly"),
    HasWord => ("el mensaje tiene la palabra", "the message has the word"),
    StartsWith => ("el mensaje empieza por", "the message starts with"),
    Pattern => ("el mensaje encaja con el patrón", "the message fits the pattern"),
    Tapped => ("el cliente tocó la opción", "the customer tapped the option"),
    Kind => ("el mensaje es", "the message is"),
    TheRule => ("La regla", "The rule"),
    ButStill => ("pero a ese texto aún le falta:", "but that text still needs:"),
    Photo => ("una foto", "a photo"),
    Audio => ("un audio", "a voice note"),
    Video => ("un vídeo", "a video"),
    Document => ("un documento", "a document"),
    Sticker => ("un sticker", "a sticker"),
    Place => ("una ubicación", "a location"),
    SimulatorDraft => ("Prueba tu borrador sin guardar. No se envía nada.", "Tries your unsaved draft. Nothing is sent."),
    SimulatorInForce => ("Prueba las reglas en uso. No se envía nada.", "Tries the rules in force. Nothing is sent."),
    WhyRule => ("Responde la regla", "The rule that answers is"),
    WhyGreetingGaveWay => ("El saludo no es un tema: la regla de saludo cede, regla", "A greeting is not a topic: the greeting gives way, rule"),
    WhyGreetingWithMore => ("El mensaje es más que un saludo y ninguna regla responde al resto, así que no responde la regla de saludo", "The message is more than a greeting and no rule answers the rest, so the greeting rule does not answer:"),
    WhyNeedsSetupUses => ("usaría el texto", "would use the text"),
    WhyNeedsSetupThen => ("No se envía: la conversación pasa a una persona del equipo.", "It is not sent: the chat goes to a person on the team."),
    WhyMatched => ("coincidió", "matched"),
    WhyWelcome => ("Mensaje de bienvenida (primer mensaje del cliente)", "Welcome message (the customer's first message)"),
    WhyAway => ("Fuera del horario: mensaje de ausencia", "Outside hours: the away message"),
    WhyFallback => ("Ninguna regla coincide: respuesta por defecto", "No rule matches: the fallback reply"),
    WhyQuiet => ("Ninguna regla coincide y la respuesta por defecto ya se envió hace poco", "No rule matches and the fallback was sent recently"),
    WhyOptedOut => ("El cliente se dio de baja: sin respuesta automática", "The customer opted out: no automatic reply"),
    WhyOptOut => ("El cliente pide la baja", "The customer opts out"),
    WhyOptIn => ("El cliente vuelve a darse de alta", "The customer opts back in"),
    WhyPaused => ("Una persona atiende esta conversación: el bot está en pausa", "A person is answering: the bot is paused"),
    WhyCapped => ("Límite de respuestas automáticas por hora alcanzado", "The hourly limit of automatic replies was reached"),
    WhyCaptured => ("Guarda la respuesta como", "Keeps the answer as"),
});

/// What made a rule answer, in the owner's words ("el mensaje contiene «envío»").
fn trigger_words(trigger: &Matched, lang: crate::i18n::Lang) -> String {
    use crate::i18n::Said;
    let say = |said: SimulatorSaid| said.get(lang);
    match trigger {
        Matched::Text { text, how } => {
            let how = match how {
                MatchKind::Exact => SimulatorSaid::Exactly,
                MatchKind::Word => SimulatorSaid::HasWord,
                MatchKind::StartsWith => SimulatorSaid::StartsWith,
                MatchKind::Contains | MatchKind::Regex => SimulatorSaid::Contains,
            };
            format!("{} «{text}»", say(how))
        }
        Matched::Pattern { pattern } => format!("{} /{pattern}/", say(SimulatorSaid::Pattern)),
        Matched::Option { id } => format!("{} «{id}»", say(SimulatorSaid::Tapped)),
        Matched::Type { kind } => {
            let what = match kind.as_str() {
                "image" => say(SimulatorSaid::Photo).to_string(),
                "audio" => say(SimulatorSaid::Audio).to_string(),
                "video" => say(SimulatorSaid::Video).to_string(),
                "document" => say(SimulatorSaid::Document).to_string(),
                "sticker" => say(SimulatorSaid::Sticker).to_string(),
                "location" => say(SimulatorSaid::Place).to_string(),
                other => format!("«{other}»"),
            };
            format!("{} {what}", say(SimulatorSaid::Kind))
        }
    }
}

/// Why the engine did what it did, in the owner's words: rules named as the list names them
/// (`named`: what a rule is for, or its id), texts by their titles.
fn explain(reason: &Reason, lang: crate::i18n::Lang, named: &dyn Fn(&str) -> String) -> String {
    let text = |t: SimulatorSaid| t.get(lang).to_string();
    // A greeting rule that matched too, and gave way to the question (or found more than a
    // greeting that no rule answers).
    let greeting = |rule: &Option<String>, why: SimulatorSaid| {
        rule.as_ref()
            .map(|g| format!(" {} «{}».", text(why), named(g)))
            .unwrap_or_default()
    };
    match reason {
        Reason::Rule {
            id,
            matched,
            trigger,
            over_greeting,
        } => {
            let because = match trigger {
                Some(trigger) => format!(
                    "{} {}",
                    crate::i18n::Said::get(SimulatorSaid::Because, lang),
                    trigger_words(trigger, lang)
                ),
                // A server of an older version says what matched in its own words.
                None => format!("({} «{matched}»)", text(SimulatorSaid::WhyMatched)),
            };
            format!(
                "{} «{}» {because}.{}",
                text(SimulatorSaid::WhyRule),
                named(id),
                greeting(over_greeting, SimulatorSaid::WhyGreetingGaveWay)
            )
        }
        Reason::NeedsSetup {
            rule,
            template,
            fill_ins,
        } => format!(
            "{} «{}» {} «{}», {} {}. {}",
            crate::i18n::Said::get(SimulatorSaid::TheRule, lang),
            named(rule),
            text(SimulatorSaid::WhyNeedsSetupUses),
            crate::components::text_titles::text_title(template, lang),
            crate::i18n::Said::get(SimulatorSaid::ButStill, lang),
            fill_ins.join("; "),
            text(SimulatorSaid::WhyNeedsSetupThen)
        ),
        Reason::Welcome => text(SimulatorSaid::WhyWelcome),
        Reason::Away { greeting_with_more } => format!(
            "{}.{}",
            text(SimulatorSaid::WhyAway),
            greeting(greeting_with_more, SimulatorSaid::WhyGreetingWithMore)
        ),
        Reason::Fallback { greeting_with_more } => format!(
            "{}.{}",
            text(SimulatorSaid::WhyFallback),
            greeting(greeting_with_more, SimulatorSaid::WhyGreetingWithMore)
        ),
        Reason::Quiet => text(SimulatorSaid::WhyQuiet),
        Reason::OptedOut => text(SimulatorSaid::WhyOptedOut),
        Reason::OptOut => text(SimulatorSaid::WhyOptOut),
        Reason::OptIn => text(SimulatorSaid::WhyOptIn),
        Reason::Paused { .. } | Reason::Takeover { .. } => text(SimulatorSaid::WhyPaused),
        Reason::Capped => text(SimulatorSaid::WhyCapped),
        Reason::Captured { field } => format!("{} «{field}»", text(SimulatorSaid::WhyCaptured)),
        other => other.because().to_string(),
    }
}

/// One reply as a bubble: its text, and its buttons or list button.
fn reply_bubble(reply: Outbound) -> impl IntoView {
    let (body, footer, choices) = match reply {
        Outbound::Text { body } => (Some(body), None, Vec::new()),
        Outbound::Buttons {
            body,
            footer,
            buttons,
            ..
        } => (
            Some(body),
            footer,
            buttons.into_iter().map(|b| b.title).collect(),
        ),
        Outbound::List {
            body,
            button,
            footer,
            ..
        } => (Some(body), footer, vec![button]),
        Outbound::Template { name, .. } => (Some(format!("[{name}]")), None, Vec::new()),
        Outbound::Media { caption, .. } | Outbound::Attachment { caption, .. } => {
            (caption, None, Vec::new())
        }
    };
    view! {
        <article class="bubble" data-author="bot">
            {body.map(|b| view! { <p class="bubble-text"><Formatted text=b /></p> })}
            {footer.map(|f| view! { <p class="bubble-footer">{f}</p> })}
            {(!choices.is_empty()).then(|| view! {
                <ul class="bubble-choices">{choices.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
            })}
        </article>
    }
}

#[component]
pub fn Simulator(editor: DocEditor<Rules>) -> impl IntoView {
    let i18n = use_i18n();
    let text = RwSignal::new(String::new());
    let first_contact = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<Answer, String>>);
    let run = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let message = text.get_untracked();
        if message.trim().is_empty() {
            return;
        }
        let mut body = json!({ "text": message, "first_contact": first_contact.get_untracked() });
        if editor.dirty() {
            body["rules"] = serde_json::to_value(editor.draft.get_untracked()).unwrap_or_default();
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let answer = api::send::<Answer>("POST", "/api/simulate".into(), Some(body)).await;
            let answer = match answer {
                Ok(answer) => Ok(answer),
                Err(failure) => {
                    Err(crate::faults::failure_in(failure, i18n.0.get_untracked()).await)
                }
            };
            outcome.set(Some(answer));
            busy.set(false);
        });
    };
    view! {
        <section class="card simulator" aria-labelledby="simulator-title" id="simulator">
            <h2 id="simulator-title">{i18n.t(SimulatorSaid::SimulatorTitle)}</h2>
            <p class="field-hint">
                {move || i18n.t(if editor.dirty() { SimulatorSaid::SimulatorDraft } else { SimulatorSaid::SimulatorInForce })()}
            </p>
            <form class="simulator-form" on:submit=run>
                <label for="simulator-text">{i18n.t(SimulatorSaid::SimulatorLabel)}</label>
                <div class="inline-form">
                    <input id="simulator-text" type="text" bind:value=text placeholder=i18n.t(SimulatorSaid::SimulatorPlaceholder) />
                    <button type="submit" class="button button-primary" disabled=move || busy.get()>{i18n.t(SimulatorSaid::SimulatorRun)}</button>
                </div>
                <label class="check">
                    <input type="checkbox" bind:checked=first_contact />
                    {i18n.t(SimulatorSaid::SimulatorFirstContact)}
                </label>
            </form>
            <div class="simulator-result" aria-live="polite" id="simulator-result">
                {move || outcome.get().map(|result| match result {
                    Ok(answer) => {
                        let named = |id: &str| {
                            editor.draft.with(|d| {
                                d.rules
                                    .iter()
                                    .find(|r| r.id == id)
                                    .map(|r| r.description.trim())
                                    .filter(|d| !d.is_empty())
                                    .unwrap_or(id)
                                    .to_string()
                            })
                        };
                        let why = explain(&answer.reason, i18n.0.get(), &named);
                        let empty = answer.replies.is_empty();
                        view! {
                            <p class="simulator-reason" id="simulator-reason" data-because=answer.reason.because()>{why}</p>
                            <div class="thread simulator-thread">
                                {empty.then(|| view! { <p class="loading">{i18n.t(SimulatorSaid::SimulatorNoReply)}</p> })}
                                {answer.replies.into_iter().map(reply_bubble).collect_view()}
                            </div>
                        }.into_any()
                    }
                    Err(message) => view! {
                        <p class="notice notice-error" role="alert">{i18n.t(SimulatorSaid::SimulatorFailed)} " " {message}</p>
                    }.into_any(),
                })}
            </div>
        </section>
    }
}
