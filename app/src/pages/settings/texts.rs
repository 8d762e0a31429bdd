//! The text a reply setting sends (welcome, away, fallback, opt-out and back), shown under
//! the template it names and editable there: the owner changes what the bot says where they
//! choose when it says it, without going to Plantillas. Saved like the templates page does
//! (`PUT /api/templates/{name}` on the text's revision).

use crate::api;
use crate::components::toaster;
use crate::i18n::{use_i18n, Lang, Text};
use crate::whatsapp::Formatted;
use cocolu_core::api::templates::{Saved, TemplateSave, TemplateView};
use leptos::prelude::*;
use std::collections::BTreeMap;

crate::i18n::page_texts!(TextsSaid {
    EditText => ("Cambiar este texto", "Change this text"),
    SaveText => ("Guardar texto", "Save text"),
    Cancel => ("Cancelar", "Cancel"),
    TextSaved => ("Texto guardado: el bot ya lo usa.", "Text saved: the bot uses it now."),
    TextSavedChoiceNot => (
        "Texto guardado. Pulsa Guardar arriba para que este ajuste use ese texto.",
        "Text saved. Press Save above for this setting to use that template.",
    ),
    SharedNote => (
        "Es el texto «{name}»: el cambio vale en todo lo que lo usa, aquí y en las reglas.",
        "This is the «{name}» text: the change applies wherever it is used, here and in rules.",
    ),
});

/// `text` with its variables filled with example values (`{{nombre}}` reads as a name).
fn example_of(text: &str, examples: StoredValue<Vec<(String, String)>>) -> String {
    examples.with_value(|examples| {
        // A value known only when a customer gives it (a captured field) stays as written.
        let shown: Vec<(&str, String)> = examples
            .iter()
            .map(|(name, example)| {
                let value = if example.is_empty() {
                    format!("{{{{{name}}}}}")
                } else {
                    example.clone()
                };
                (name.as_str(), value)
            })
            .collect();
        let pairs: Vec<(&str, &str)> = shown.iter().map(|(n, v)| (*n, v.as_str())).collect();
        cocolu_core::format::render(text, &pairs)
    })
}

/// The templates' texts the page knows, by name.
pub type Texts = RwSignal<BTreeMap<String, TemplateView>>;

/// Under a template choice: the text it sends, and (for administrators) a way to change it.
#[component]
pub fn TemplateText(
    /// Where the choice is (an element id prefix).
    id: String,
    /// The setting's label, for the text box.
    label: Text,
    /// The chosen template's name, as the draft says now.
    #[prop(into)]
    name: Signal<String>,
    /// The template the settings in force name.
    #[prop(into)]
    in_force: Signal<String>,
    texts: Texts,
    /// Each variable with an example value: the preview reads as the customer would.
    examples: StoredValue<Vec<(String, String)>>,
    admin: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = toaster();
    // The template being edited, as it was when editing started: a save goes to it, on its
    // revision, even if the choice above changes meanwhile.
    let editing = RwSignal::new(None::<TemplateView>);
    let draft = RwSignal::new(String::new());
    let saving = RwSignal::new(false);
    let current = move || name.with(|name| texts.with(|t| t.get(name).cloned()));
    let start = move |_| {
        if let Some(view) = current() {
            draft.set(view.text.clone());
            editing.set(Some(view));
        }
    };
    let save = move |_| {
        let Some(view) = editing.get_untracked() else {
            return;
        };
        saving.set(true);
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
                    editing.try_set(None);
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
                Err(failure) => toasts.failed(Text::SaveFailed, failure),
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
    let box_id = format!("{id}-text");
    let area = format!("{id}-editor");
    view! {
        <div class="template-text" id=box_id>
            {move || match editing.get() {
                Some(view) => {
                    let area = area.clone();
                    let note = format!("{area}-note");
                    view! {
                        <label class="visually-hidden" for=area.clone()>{i18n.t(label)}</label>
                        <textarea id=area rows="5" aria-describedby=note.clone() bind:value=draft></textarea>
                        <p class="field-hint" id=note>{move || shared_note(i18n.0.get(), &view.name)}</p>
                        <div class="actions">
                            <button type="button" class="button button-primary save-text" disabled=move || saving.get() on:click=save>
                                {i18n.t(TextsSaid::SaveText)}
                            </button>
                            <button type="button" class="button" on:click=move |_| editing.set(None)>{i18n.t(TextsSaid::Cancel)}</button>
                        </div>
                    }.into_any()
                }
                None => current().map(|view| view! {
                    <blockquote class="template-preview"><Formatted text=example_of(&view.text, examples) /></blockquote>
                    {admin.then(|| view! {
                        <button type="button" class="button button-quiet edit-text" on:click=start>
                            {i18n.t(TextsSaid::EditText)}
                        </button>
                    })}
                }).into_any(),
            }}
        </div>
    }
}
