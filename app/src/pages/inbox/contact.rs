//! The contact panel: who the customer is, their labels and notes, and the opt-out switch.
//! Edits go through `POST .../contact`, applied in order with the messages; the
//! `conversation_updated` event that follows brings the new state.

use crate::api::{self, encode};
use crate::components::toaster;
use crate::i18n::{use_i18n, Text};
use cocolu_core::api::inbox::ContactView;
use cocolu_core::contact::ContactRef;
use leptos::prelude::*;
use serde_json::{json, Value};

crate::i18n::page_texts!(ContactSaid {
    ContactTitle => ("Contacto", "Contact"),
    ContactId => ("Identificador", "Id"),
    Labels => ("Etiquetas", "Labels"),
    RemoveLabel => ("Quitar la etiqueta", "Remove the label"),
    AddLabel => ("Etiqueta", "Label"),
    Notes => ("Notas", "Notes"),
    SaveNotes => ("Guardar notas", "Save notes"),
    OptedOutSwitch => ("Dado de baja: sin mensajes automáticos", "Opted out: no automatic messages"),
    ContactName => ("Nombre", "Name"),
    ContactPhone => ("Teléfono", "Phone"),
    ContactUsername => ("Usuario", "Username"),
});

/// The panel beside the thread.
#[component]
pub fn ContactPanel(
    id: String,
    contact: Option<ContactRef>,
    current: Signal<ContactView>,
    live_state: RwSignal<Option<ContactView>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = toaster();
    let path = format!("/api/conversations/{}/contact", encode(&id));
    let busy = RwSignal::new(false);
    // Sends an edit, shows the change at once and says how it went.
    let edit = move |body: Value, change: Box<dyn FnOnce(&mut ContactView) + Send + Sync>| {
        busy.set(true);
        let path = path.clone();
        leptos::task::spawn_local(async move {
            match api::send::<Value>("POST", path, Some(body)).await {
                Ok(_) => {
                    let mut state = current.get_untracked();
                    change(&mut state);
                    live_state.set(Some(state));
                    toasts.ok(Text::Saved);
                }
                Err(failure) => toasts.failed(Text::SaveFailed, failure),
            }
            busy.set(false);
        });
    };
    let new_label = RwSignal::new(String::new());
    let add_label = {
        let edit = edit.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let label = new_label.get_untracked().trim().to_string();
            if label.is_empty() {
                return;
            }
            new_label.set(String::new());
            let added = label.clone();
            edit(
                json!({ "add_labels": [label] }),
                Box::new(move |s| {
                    s.state.labels.insert(added);
                }),
            );
        }
    };
    let remove_label = {
        let edit = edit.clone();
        move |label: String| {
            let removed = label.clone();
            edit(
                json!({ "remove_labels": [label] }),
                Box::new(move |s| {
                    s.state.labels.remove(&removed);
                }),
            );
        }
    };
    let notes = RwSignal::new(current.get_untracked().state.notes);
    let save_notes = {
        let edit = edit.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let text = notes.get_untracked();
            let kept = text.clone();
            edit(
                json!({ "notes": text }),
                Box::new(move |s| s.state.notes = kept),
            );
        }
    };
    let toggle_opt_out = move |ev| {
        let opted_out = event_target_checked(&ev);
        edit(
            json!({ "opted_out": opted_out }),
            Box::new(move |s| s.state.opted_out = opted_out),
        );
    };
    let field = move |text: ContactSaid, value: Option<String>| {
        value.map(|v| {
            view! {
                <dt>{i18n.t(text)}</dt>
                <dd>{v}</dd>
            }
        })
    };
    view! {
        <aside class="contact-panel" aria-labelledby="contact-title" id="contact-panel">
            <h3 id="contact-title">{i18n.t(ContactSaid::ContactTitle)}</h3>
            <dl class="contact-facts">
                {
                    let c = contact.unwrap_or_default();
                    // The conversation's id names a customer only when nothing else does (no
                    // phone number or username came with the messages).
                    let only_id = (c.wa_id.is_none() && c.username.is_none()).then(|| id.clone());
                    view! {
                        {field(ContactSaid::ContactName, c.name.clone())}
                        {field(ContactSaid::ContactPhone, c.wa_id.clone().map(|p| format!("+{p}")))}
                        {field(ContactSaid::ContactUsername, c.username.clone().map(|u| format!("@{u}")))}
                        {field(ContactSaid::ContactId, only_id)}
                    }
                }
            </dl>
            <h4>{i18n.t(ContactSaid::Labels)}</h4>
            <ul class="labels" id="contact-labels">
                {move || {
                    let remove_label = remove_label.clone();
                    current.get().state.labels.into_iter().map(move |label| {
                        let remove_label = remove_label.clone();
                        let shown = label.clone();
                        let class = format!("label-chip label-c{}", super::label_colour(&shown));
                        view! {
                            <li class=class>
                                {shown.clone()}
                                <button
                                    type="button"
                                    class="chip-remove"
                                    aria-label=move || format!("{} {shown}", i18n.t(ContactSaid::RemoveLabel)())
                                    disabled=move || busy.get()
                                    on:click=move |_| remove_label(label.clone())
                                >
                                    "×"
                                </button>
                            </li>
                        }
                    }).collect_view()
                }}
            </ul>
            <form class="inline-form" on:submit=add_label>
                <label class="visually-hidden" for="new-label">{i18n.t(ContactSaid::AddLabel)}</label>
                <input id="new-label" type="text" maxlength="40" bind:value=new_label placeholder=i18n.t(ContactSaid::AddLabel) />
                <button type="submit" class="button" disabled=move || busy.get()>{i18n.t(Text::Add)}</button>
            </form>
            <form class="notes-form" on:submit=save_notes>
                <label for="contact-notes"><h4>{i18n.t(ContactSaid::Notes)}</h4></label>
                <textarea id="contact-notes" rows="3" bind:value=notes></textarea>
                <button type="submit" class="button" disabled=move || busy.get()>{i18n.t(ContactSaid::SaveNotes)}</button>
            </form>
            <label class="check">
                <input
                    type="checkbox"
                    id="contact-opted-out"
                    prop:checked=move || current.get().state.opted_out
                    disabled=move || busy.get()
                    on:change=toggle_opt_out
                />
                {i18n.t(ContactSaid::OptedOutSwitch)}
            </label>
        </aside>
    }
}
