//! The simulator: "type what a customer would write" — which rule answers (or why none
//! does), and the replies as WhatsApp would show them. It tries the draft when it has
//! unsaved changes, else the rules in force. Nothing is sent.

use crate::api;
use crate::components::document::DocEditor;
use crate::i18n::{use_i18n, Text};
use crate::whatsapp::Formatted;
use cocolu_core::model::Rules;
use leptos::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};

/// `POST /api/simulate`'s answer.
#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Answer {
    reason: Value,
    replies: Vec<Value>,
}

/// Why the engine did what it did, in the owner's words.
fn explain(reason: &Value, lang: crate::i18n::Lang) -> String {
    let because = reason["because"].as_str().unwrap_or_default();
    let text = |t: Text| t.get(lang).to_string();
    // A greeting rule that matched too, and gave way to the question (or found more than a
    // greeting that no rule answers).
    let greeting = |field: &str, why: Text| {
        reason[field]
            .as_str()
            .map(|g| format!(" {} «{g}».", text(why)))
            .unwrap_or_default()
    };
    match because {
        "rule" => format!(
            "{} «{}» ({} «{}»).{}",
            text(Text::WhyRule),
            reason["id"].as_str().unwrap_or_default(),
            text(Text::WhyMatched),
            reason["matched"].as_str().unwrap_or_default(),
            greeting("over_greeting", Text::WhyGreetingGaveWay)
        ),
        "needs_setup" => {
            let fill_ins: Vec<&str> = reason["fill_ins"]
                .as_array()
                .map(|f| f.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            format!(
                "{} «{}» {} «{}», {} {}. {}",
                text(Text::WhyRule),
                reason["rule"].as_str().unwrap_or_default(),
                text(Text::WhyNeedsSetupUses),
                reason["template"].as_str().unwrap_or_default(),
                text(Text::WhyNeedsSetupStill),
                fill_ins.join("; "),
                text(Text::WhyNeedsSetupThen)
            )
        }
        "welcome" => text(Text::WhyWelcome),
        "away" => format!(
            "{}.{}",
            text(Text::WhyAway),
            greeting("greeting_with_more", Text::WhyGreetingWithMore)
        ),
        "fallback" => format!(
            "{}.{}",
            text(Text::WhyFallback),
            greeting("greeting_with_more", Text::WhyGreetingWithMore)
        ),
        "quiet" => text(Text::WhyQuiet),
        "opted_out" => text(Text::WhyOptedOut),
        "opt_out" => text(Text::WhyOptOut),
        "opt_in" => text(Text::WhyOptIn),
        "paused" | "takeover" => text(Text::WhyPaused),
        "capped" => text(Text::WhyCapped),
        "captured" => format!(
            "{} «{}»",
            text(Text::WhyCaptured),
            reason["field"].as_str().unwrap_or_default()
        ),
        other => other.to_string(),
    }
}

/// One reply as a bubble: its text, and its buttons or list button.
fn reply_bubble(reply: Value) -> impl IntoView {
    let body = reply["body"]
        .as_str()
        .map(str::to_string)
        .or_else(|| reply["name"].as_str().map(|n| format!("[{n}]")));
    let choices: Vec<String> = match reply["type"].as_str() {
        Some("buttons") => reply["buttons"]
            .as_array()
            .map(|b| {
                b.iter()
                    .filter_map(|c| c["title"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        Some("list") => reply["button"]
            .as_str()
            .map(str::to_string)
            .into_iter()
            .collect(),
        _ => Vec::new(),
    };
    let footer = reply["footer"].as_str().map(str::to_string);
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
            outcome.set(Some(answer.map_err(|f| f.message)));
            busy.set(false);
        });
    };
    view! {
        <section class="card simulator" aria-labelledby="simulator-title" id="simulator">
            <h2 id="simulator-title">{i18n.t(Text::SimulatorTitle)}</h2>
            <p class="field-hint">
                {move || i18n.t(if editor.dirty() { Text::SimulatorDraft } else { Text::SimulatorInForce })()}
            </p>
            <form class="simulator-form" on:submit=run>
                <label for="simulator-text">{i18n.t(Text::SimulatorLabel)}</label>
                <div class="inline-form">
                    <input id="simulator-text" type="text" bind:value=text placeholder=i18n.t(Text::SimulatorPlaceholder) />
                    <button type="submit" class="button button-primary" disabled=move || busy.get()>{i18n.t(Text::SimulatorRun)}</button>
                </div>
                <label class="check">
                    <input type="checkbox" bind:checked=first_contact />
                    {i18n.t(Text::SimulatorFirstContact)}
                </label>
            </form>
            <div class="simulator-result" aria-live="polite" id="simulator-result">
                {move || outcome.get().map(|result| match result {
                    Ok(answer) => {
                        let why = explain(&answer.reason, i18n.0.get());
                        let empty = answer.replies.is_empty();
                        view! {
                            <p class="simulator-reason" id="simulator-reason" data-because=answer.reason["because"].as_str().unwrap_or_default().to_string()>{why}</p>
                            <div class="thread simulator-thread">
                                {empty.then(|| view! { <p class="loading">{i18n.t(Text::SimulatorNoReply)}</p> })}
                                {answer.replies.into_iter().map(reply_bubble).collect_view()}
                            </div>
                        }.into_any()
                    }
                    Err(message) => view! {
                        <p class="notice notice-error" role="alert">{i18n.t(Text::SimulatorFailed)} " " {message}</p>
                    }.into_any(),
                })}
            </div>
        </section>
    }
}
