//! The text a reply setting sends (welcome, away, fallback, opt-out and back), shown under
//! the template it names and editable there: the owner changes what the bot says where they
//! choose when it says it, without going to Plantillas. Saved like the templates page does
//! (`PUT /api/templates/{name}` on the text's revision).

use crate::api;
use crate::components::toaster;
use crate::components::variables::filled_or;
use crate::i18n::{use_i18n, Lang, Text, Words};
use crate::whatsapp::Formatted;
use cocolu_core::api::templates::{Saved, TemplateSave, TemplateView, Variable};
use leptos::prelude::*;
use std::collections::BTreeMap;

crate::i18n::page_texts!(TextsSaid {
    EditText => ("Cambiar este texto", "Change this text"),
    SaveText => ("Guardar texto", "Save text"),
    Cancel => ("Cancelar", "Cancel"),
    // Under the toast's "Guardado": what it means for the bot.
    TextSaved => ("El bot ya usa este texto.", "The bot uses this text now."),
    TextSavedChoiceNot => (
        "Pulsa Guardar arriba para que este ajuste use el texto.",
        "Press Save above for this setting to use the text.",
    ),
    SharedNote => (
        "Es el texto «{name}»: el cambio vale en todo lo que lo usa, aquí y en las reglas.",
        "This is the «{name}» text: the change applies wherever it is used, here and in rules.",
    ),
});

/// `text` with its variables filled with example values (`{{nombre}}` reads as a name); a
/// value known only when a customer gives it (a captured field) stays as written.
fn example_of(text: &str, examples: StoredValue<Vec<Variable>>) -> String {
    examples.with_value(|examples| filled_or(text, examples, |name| format!("{{{{{name}}}}}")))
}

/// The templates' texts the page knows, by name.
pub type Texts = RwSignal<BTreeMap<String, TemplateView>>;

/// Reads the texts again (one changed on disk); a text being edited keeps its draft.
pub fn reload(texts: Texts) {
    let request = api::get_json::<Vec<TemplateView>>("/api/templates");
    leptos::task::spawn_local(async move {
        if let Ok(list) = request.await {
            texts.try_set(list.into_iter().map(|v| (v.name.clone(), v)).collect());
        }
    });
}

/// Under a template choice: the text it sends, and (for administrators) a way to change it.
#[component]
pub fn TemplateText(
    /// Where the choice is (an element id prefix).
    id: String,
    /// The setting's label, for the text box.
    #[prop(into)]
    label: Words,
    /// The chosen template's name, as the draft says now.
    #[prop(into)]
    name: Signal<String>,
    /// The template the settings in force name.
    #[prop(into)]
    in_force: Signal<String>,
    texts: Texts,
    /// Each variable with an example value: the preview reads as the customer would.
    examples: StoredValue<Vec<Variable>>,
    admin: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = toaster();
    // The template being edited, as it was when editing started: a save goes to it, on its
    // revision, even if the choice above changes meanwhile.
    let editing = RwSignal::new(None::<TemplateView>);
    let draft = RwSignal::new(String::new());
    let saving = RwSignal::new(false);
    // Why the last save was refused, in the person's language, under the box.
    let refused = RwSignal::new(None::<String>);
    let current = move || name.with(|name| texts.with(|t| t.get(name).cloned()));
    let box_id = format!("{id}-text");
    let area = format!("{id}-editor");
    let edit_button = format!("{id}-edit");
    // The keyboard goes into the box when it opens, and back to its button when it closes.
    let focus_later = |target: String| {
        request_animation_frame(move || crate::components::browser::focus(&target));
    };
    let start = {
        let area = area.clone();
        move |_| {
            if let Some(view) = current() {
                draft.set(view.text.clone());
                refused.set(None);
                editing.set(Some(view));
                focus_later(area.clone());
            }
        }
    };
    let close = {
        let edit_button = edit_button.clone();
        move || {
            editing.try_set(None);
            refused.try_set(None);
            focus_later(edit_button.clone());
        }
    };
    let cancel = {
        let close = close.clone();
        move |_| {
            let changed = editing.with_untracked(|e| {
                e.as_ref()
                    .is_some_and(|v| draft.with_untracked(|d| *d != v.text))
            });
            let lang = i18n.0.get_untracked();
            if !changed
                || crate::components::browser::confirm(crate::i18n::Said::get(
                    Text::ConfirmDiscard,
                    lang,
                ))
            {
                close();
            }
        }
    };
    let save = move |_| {
        let Some(view) = editing.get_untracked() else {
            return;
        };
        saving.set(true);
        refused.set(None);
        let close = close.clone();
        let body = TemplateSave {
            text: draft.get_untracked(),
            revision: view.revision.clone(),
        };
        let path = format!("/api/templates/{}", api::encode(&view.name));
        leptos::task::spawn_local(async move {
            let body = serde_json::to_value(&body).ok();
            match api::send::<Saved>("PUT", path, body).await {
                Ok(saved) => {
                    let text = draft.get_untracked();
                    texts.update(|t| {
                        if let Some(entry) = t.get_mut(&saved.name) {
                            entry.text = text;
                            entry.revision = saved.revision;
                            entry.from_file = true;
                        }
                    });
                    close();
                    // The bot uses it at once only where the settings in force name it.
                    let said = if in_force.get_untracked() == saved.name {
                        TextsSaid::TextSaved
                    } else {
                        TextsSaid::TextSavedChoiceNot
                    };
                    toasts.show(
                        crate::components::Tone::Ok,
                        Text::Saved,
                        Some(i18n.t(said)().into()),
                    );
                }
                Err(failure) => {
                    let lang = i18n.0.get_untracked();
                    refused.try_set(Some(crate::faults::failure_in(failure, lang).await));
                }
            }
            saving.try_set(false);
        });
    };
    let shared_note = move |lang: Lang, name: &str| {
        crate::i18n::Said::get(TextsSaid::SharedNote, lang).replace(
            "{name}",
            &crate::components::text_titles::text_title(name, lang),
        )
    };
    view! {
        <div class="template-text" id=box_id>
            {move || match editing.get() {
                Some(view) => {
                    let area = area.clone();
                    let note = format!("{area}-note");
                    let error = format!("{area}-error");
                    let described = format!("{note} {error}");
                    let save = save.clone();
                    let cancel = cancel.clone();
                    view! {
                        <label class="visually-hidden" for=area.clone()>{i18n.t(label)}</label>
                        <textarea id=area rows="5" aria-describedby=described
                            aria-invalid=move || refused.with(Option::is_some).then_some("true")
                            bind:value=draft></textarea>
                        {move || refused.get().map(|why| view! {
                            <p class="field-error" role="alert" id=error.clone()>{why}</p>
                        })}
                        <p class="field-hint" id=note>{move || shared_note(i18n.0.get(), &view.name)}</p>
                        <div class="actions">
                            <button type="button" class="button button-primary save-text" disabled=move || saving.get() on:click=save>
                                {i18n.t(TextsSaid::SaveText)}
                            </button>
                            <button type="button" class="button cancel-text" on:click=cancel>{i18n.t(TextsSaid::Cancel)}</button>
                        </div>
                    }.into_any()
                }
                None => current().map(|view| view! {
                    <blockquote class="template-preview"><Formatted text=example_of(&view.text, examples) /></blockquote>
                    {admin.then(|| view! {
                        <button type="button" class="button button-quiet edit-text" id=edit_button.clone() on:click=start.clone()>
                            {i18n.t(TextsSaid::EditText)}
                        </button>
                    })}
                }).into_any(),
            }}
        </div>
    }
}
