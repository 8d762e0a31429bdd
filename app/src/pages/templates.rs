//! Textos: the texts the bot sends (the templates of `templates/`; "plantillas" in the
//! dashboard are only Meta's approved ones). A list, an editor checked as the owner types (the
//! same checks the server makes), a live preview of WhatsApp formatting with the variables
//! filled in as they would be now, saving on a revision (a hand edit meanwhile shows both
//! versions), restoring a built-in text, and new templates.

use crate::api;
use crate::components::document::placed;
use crate::components::text_titles::text_title;
use crate::components::variables::{filled, UnknownVariables, VariableButtons};
use crate::components::{
    browser, signed_in, toaster, with_data, ConnectionLost, PageHeader, Toaster, Tone,
};
use crate::faults;
use crate::i18n::{use_i18n, Lang, Said, Text};
use crate::live;
use crate::whatsapp::Formatted;
use cocolu_core::api::templates::{Saved, TemplateSave, TemplateView, Variable};
use cocolu_core::document::Revision;
use cocolu_core::document::{problem_at, FileProblem};
use cocolu_core::events::ServerEvent;
use cocolu_core::format::{check, fill_ins, valid_name, MAX_CHARS};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

crate::i18n::page_texts!(TemplatesSaid {
    TemplateToFillNotice => (
        "Este texto aún no se envía a los clientes. Reemplaza cada [[…]] por tu información:",
        "This text is not sent to customers yet. Replace each [[…]] with your information:",
            ),
    TemplateToFillThen => (
        "Mientras tanto, cuando una regla lo usa, el bot pasa la conversación a una persona del equipo.",
        "Meanwhile, when a rule uses it, the bot hands the chat to a person on the team.",
            ),
    TemplatesEmpty => ("Elige un texto de la lista.", "Pick a text from the list."),
    AdminsSave => ("Solo un administrador puede guardar cambios.", "Only an administrator can save changes."),
    TemplatesReadOnly => (
        "Solo un administrador puede cambiar los textos; aquí los ves como están.",
        "Only an administrator can change the texts; here you see them as they are.",
    ),
    TemplatesList => ("Textos", "Texts"),
    NewTemplate => ("nombre_del_texto", "text_name"),
    RestoreBuiltin => ("Volver al texto de fábrica", "Back to the built-in text"),
    TemplateText => ("Texto", "Text"),
    Preview => ("Así lo verá el cliente", "How the customer will see it"),
    PreviewHint => ("Con los datos de hoy; el nombre del cliente es un ejemplo.", "With today's details; the customer's name is an example."),
    TemplatesIntro => (
        "Lo que dice el bot: la bienvenida, el horario, los precios… Cada texto puede llevar el nombre del cliente y otros datos.",
        "What the bot says: the welcome, the hours, the prices… Each text can carry the customer's name and other details.",
            ),
    ConfirmRestore => ("¿Volver al texto de fábrica? Tus cambios en este texto se pierden.", "Go back to the built-in text? Your changes to this text are lost."),
    Restored => ("Texto de fábrica restaurado", "Built-in text restored"),
    TemplateNameRule => ("El nombre lleva minúsculas, números, _ o -.", "The name takes lowercase letters, digits, _ or -."),
    BadgeBroken => ("con errores", "has errors"),
    BadgeEdited => ("cambiado", "changed"),
    BadgeBuiltin => ("de fábrica", "built-in"),
    BadgeToFill => ("por completar", "to fill in"),
    TemplateFromFile => ("Texto propio, guardado en", "Your own text, kept in"),
    TemplateBuiltin => ("Texto de fábrica; al guardar se crea", "Built-in text; saving creates"),
    TemplateNew => ("Texto nuevo; al guardar se crea", "New text; saving creates"),
});

/// The revision of an empty text: what a new template is based on.
const EMPTY_REVISION: &str = "e3b0c44298fc1c14";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Loaded {
    templates: Vec<TemplateView>,
    variables: Vec<Variable>,
    admin: bool,
}

/// The other version after a conflicting save.
#[derive(Clone, Debug, PartialEq)]
struct Other {
    revision: Revision,
    text: String,
}

/// Line and column (1-based, in characters) of a byte offset.
/// The templates with their files' problems in `lang`.
async fn worded(templates: Vec<TemplateView>, lang: Lang) -> Vec<TemplateView> {
    let mut out = Vec::with_capacity(templates.len());
    for mut template in templates {
        if !template.problems.is_empty() {
            template.problems = faults::problems_in(template.problems, lang).await;
        }
        out.push(template);
    }
    out
}

/// The templates page.
#[component]
pub fn Templates() -> impl IntoView {
    let me = signed_in();
    let lang = use_i18n().0.get_untracked();
    let loaded = Resource::new(
        || (),
        move |()| {
            let templates = api::get_json::<Vec<TemplateView>>("/api/templates");
            let variables = api::get_json::<Vec<Variable>>("/api/templates/variables");
            async move {
                Ok(Loaded {
                    templates: worded(templates.await?, lang).await,
                    variables: variables.await?,
                    admin: me.await.map(|m| m.is_admin()).unwrap_or(false),
                })
            }
        },
    );
    view! {
        <PageHeader title=Text::NavTemplates intro=TemplatesSaid::TemplatesIntro />
        {with_data(loaded, |loaded: Loaded| view! { <TemplatesEditor loaded /> })}
    }
}

#[component]
fn TemplatesEditor(loaded: Loaded) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = toaster();
    let list = RwSignal::new(loaded.templates);
    let variables = StoredValue::new(loaded.variables);
    let admin = loaded.admin;
    // `?template=NAME` (from the overview's alert) opens that one; else the first.
    let wanted = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("template"));
    let first = list.with_untracked(|l| {
        l.iter()
            .find(|t| Some(&t.name) == wanted.as_ref())
            .or(l.first())
            .map(|t| (t.name.clone(), t.text.clone()))
    });
    let selected = RwSignal::new(first.as_ref().map(|(name, _)| name.clone()));
    let draft = RwSignal::new(first.map(|(_, text)| text).unwrap_or_default());
    let server_problems = RwSignal::new(Vec::<FileProblem>::new());
    let other = RwSignal::new(None::<Other>);
    let saving = RwSignal::new(false);
    let current = move || {
        let name = selected.get()?;
        list.with(|l| l.iter().find(|t| t.name == name).cloned())
    };
    let dirty = move || current().is_some_and(|t| t.text != draft.get());
    // The editor is built when a template is chosen, not again as its text changes.
    let has_current = Memo::new(move |_| current().is_some());
    let pick = move |name: String| {
        if dirty() && !browser::confirm(Text::ConfirmDiscard.get(i18n.0.get_untracked())) {
            return;
        }
        let text =
            list.with_untracked(|l| l.iter().find(|t| t.name == name).map(|t| t.text.clone()));
        draft.set(text.unwrap_or_default());
        selected.set(Some(name));
        server_problems.set(Vec::new());
        other.set(None);
        browser::show_below("template-editor");
    };
    // Opened from the overview's alert: the text asked for, in sight on a phone too.
    if wanted.is_some() {
        Effect::new(move |_| browser::show_below("template-editor"));
    }
    let reload = move |keep_draft: bool| {
        let request = api::get_json::<Vec<TemplateView>>("/api/templates");
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = request.await {
                let fresh = worded(fresh, i18n.0.get_untracked()).await;
                // The person may have left the page meanwhile.
                if list.try_get_untracked().is_none() {
                    return;
                }
                let was_clean = !dirty();
                list.set(fresh);
                if was_clean && !keep_draft {
                    if let Some(t) = current() {
                        draft.set(t.text);
                    }
                }
            }
        });
    };
    let connected = live::on_events(move |event| {
        if let ServerEvent::FileReloaded { file }
        | ServerEvent::FileError { file, .. }
        | ServerEvent::FileMissing { file } = &event
        {
            if file.starts_with("templates/") {
                reload(false);
            }
        }
    });
    let save_on = move |revision: Revision, toasts: Toaster| {
        let Some(name) = selected.get_untracked() else {
            return;
        };
        saving.set(true);
        let text = draft.get_untracked();
        leptos::task::spawn_local(async move {
            let path = format!("/api/templates/{}", api::encode(&name));
            let request = TemplateSave {
                text: text.clone(),
                revision,
            };
            match api::send::<Saved>("PUT", path, Some(json!(request))).await {
                Ok(Saved { revision, .. }) => {
                    list.update(|l| {
                        if let Some(t) = l.iter_mut().find(|t| t.name == name) {
                            t.text = text;
                            t.revision = revision;
                            t.from_file = true;
                            t.problems.clear();
                        }
                    });
                    server_problems.set(Vec::new());
                    other.set(None);
                    toasts.ok(Text::Saved);
                }
                Err(failure) => {
                    let details = failure.details.clone().unwrap_or_default();
                    match failure.code.as_str() {
                        "conflict" => {
                            other.set(Some(Other {
                                revision: Revision(
                                    details["current"]["revision"]
                                        .as_str()
                                        .unwrap_or_default()
                                        .into(),
                                ),
                                text: details["current"]["text"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .into(),
                            }));
                            toasts.show(Tone::Error, Text::ConflictToast, None);
                        }
                        "invalid" => {
                            let lang = i18n.0.get_untracked();
                            let problems = failure.problems();
                            leptos::task::spawn_local(async move {
                                server_problems.try_set(faults::problems_in(problems, lang).await);
                            });
                            toasts.failed(Text::SaveFailed, failure);
                        }
                        _ => toasts.failed(Text::SaveFailed, failure),
                    }
                }
            }
            saving.set(false);
        });
    };
    let save = move |_| {
        if let Some(t) = current() {
            save_on(t.revision, toasts);
        }
    };
    let restore = move |_| {
        let Some(name) = selected.get_untracked() else {
            return;
        };
        if !browser::confirm(TemplatesSaid::ConfirmRestore.get(i18n.0.get_untracked())) {
            return;
        }
        leptos::task::spawn_local(async move {
            let path = format!("/api/templates/{}", api::encode(&name));
            match api::send::<Value>("DELETE", path, None).await {
                Ok(_) => {
                    toasts.ok(TemplatesSaid::Restored);
                    reload(false);
                    // The built-in text comes back with the list.
                    draft.set(String::new());
                    let request = api::get_json::<Vec<TemplateView>>("/api/templates");
                    if let Ok(fresh) = request.await {
                        let fresh = worded(fresh, i18n.0.get_untracked()).await;
                        if let Some(t) = fresh.iter().find(|t| t.name == name) {
                            draft.set(t.text.clone());
                        }
                        list.set(fresh);
                    }
                }
                Err(failure) => toasts.failed(Text::SaveFailed, failure),
            }
        });
    };
    let new_name = RwSignal::new(String::new());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = new_name.get_untracked().trim().to_string();
        if !valid_name(&name) {
            toasts.error(
                Text::SaveFailed,
                TemplatesSaid::TemplateNameRule.get(i18n.0.get_untracked()),
            );
            return;
        }
        if list.with_untracked(|l| l.iter().any(|t| t.name == name)) {
            pick(name);
            return;
        }
        list.update(|l| {
            l.push(TemplateView {
                name: name.clone(),
                text: String::new(),
                revision: Revision(EMPTY_REVISION.into()),
                builtin: false,
                from_file: false,
                problems: Vec::new(),
            })
        });
        new_name.set(String::new());
        pick(name);
    };
    // The same checks as the server's, as the owner types (worded once they are found).
    let problems = RwSignal::new(Vec::<String>::new());
    let round = StoredValue::new(0u64);
    Effect::new(move |_| {
        let text = draft.get();
        let lang = i18n.0.get();
        let file = format!("templates/{}.txt", selected.get().unwrap_or_default());
        let found: Vec<FileProblem> = check(&text)
            .into_iter()
            .map(|(at, fault)| problem_at(&file, &text, at, fault))
            .collect();
        let mine = round.get_value() + 1;
        round.set_value(mine);
        leptos::task::spawn_local(async move {
            let found = faults::problems_in(found, lang).await;
            if round.try_get_value() == Some(mine) {
                problems.try_set(found.iter().map(|p| placed(p, lang)).collect());
            }
        });
    });
    let preview = move || variables.with_value(|v| filled(&draft.get(), v));
    let changed = Callback::new(move |text: String| draft.set(text));
    view! {
        <ConnectionLost connected />
        {(!admin).then(|| view! {
            <p class="notice" role="status" id="read-only">{i18n.t(TemplatesSaid::TemplatesReadOnly)}</p>
        })}
        <div class="templates-layout">
            <section class="card" aria-labelledby="templates-list-title">
                <h2 id="templates-list-title">{i18n.t(TemplatesSaid::TemplatesList)}</h2>
                <ul class="template-rows" id="template-rows">
                    {move || list.get().into_iter().map(|t| {
                        let name = t.name.clone();
                        let is_current = {
                            let name = name.clone();
                            move || selected.get().as_deref() == Some(name.as_str())
                        };
                        let badge = if !t.problems.is_empty() {
                            Some((TemplatesSaid::BadgeBroken, "error"))
                        } else if !fill_ins(&t.text).is_empty() {
                            Some((TemplatesSaid::BadgeToFill, "todo"))
                        } else if t.from_file && t.builtin {
                            Some((TemplatesSaid::BadgeEdited, "edited"))
                        } else if t.builtin {
                            Some((TemplatesSaid::BadgeBuiltin, "builtin"))
                        } else {
                            None
                        };
                        view! {
                            <li>
                                <button type="button" class="template-pick" data-template=name.clone() aria-pressed=move || is_current().to_string() on:click=move |_| pick(name.clone())>
                                    <span class="template-title">
                                        {let titled = t.name.clone(); move || text_title(&titled, i18n.0.get())}
                                    </span>
                                    {badge.map(|(text, kind)| view! { <span class="badge" data-kind=kind>{i18n.t(text)}</span> })}
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                {admin.then(|| view! {
                    <form class="inline-form" on:submit=create>
                        <label class="visually-hidden" for="new-template">{i18n.t(TemplatesSaid::NewTemplate)}</label>
                        <input id="new-template" type="text" bind:value=new_name placeholder=i18n.t(TemplatesSaid::NewTemplate) />
                        <button type="submit" class="button">{i18n.t(Text::Add)}</button>
                    </form>
                })}
            </section>
            <section class="card template-editor" id="template-editor" aria-labelledby="template-title">
                {move || match current() {
                    None => view! { <p class="empty-thread">{i18n.t(TemplatesSaid::TemplatesEmpty)}</p> }.into_any(),
                    Some(t) => {
                        let file_problems = t.problems.clone();
                        let restorable = t.builtin && t.from_file;
                        view! {
                            <h2 id="template-title">{text_title(&t.name, i18n.0.get_untracked())}</h2>
                            <p class="field-hint">
                                {i18n.t(if t.from_file { TemplatesSaid::TemplateFromFile } else if t.builtin { TemplatesSaid::TemplateBuiltin } else { TemplatesSaid::TemplateNew })}
                                " templates/" {t.name.clone()} ".txt"
                            </p>
                            {(!file_problems.is_empty()).then(|| view! {
                                <div class="notice notice-error" role="alert" id="file-problems">
                                    <p>{i18n.t(Text::HandEditBroken)}</p>
                                    <ul>{file_problems.into_iter().map(|p| view! {
                                        <li class="mono">{placed(&p, i18n.0.get())}</li>
                                    }).collect_view()}</ul>
                                </div>
                            })}
                            {(restorable && admin).then(|| view! {
                                <button type="button" class="button button-quiet" id="restore-template" on:click=restore>{i18n.t(TemplatesSaid::RestoreBuiltin)}</button>
                            })}
                        }.into_any()
                    }
                }}
                {move || has_current.get().then(|| view! {
                    <div class="template-columns">
                        <div class="field">
                            <label for="template-text">{i18n.t(TemplatesSaid::TemplateText)}</label>
                            <textarea
                                id="template-text"
                                rows="10"
                                readonly=!admin
                                prop:value=move || draft.get()
                                aria-invalid=move || (!problems.read().is_empty()).then_some("true")
                                aria-describedby="template-count"
                                on:input=move |ev| draft.set(event_target_value(&ev))
                            ></textarea>
                            <p class="field-hint" id="template-count">
                                {move || format!("{} / {MAX_CHARS}", draft.read().trim_end().chars().count())}
                            </p>
                            {admin.then(|| view! { <VariableButtons variables target="template-text".to_string() changed /> })}
                            <UnknownVariables variables text=draft />
                            {move || {
                                let needed = fill_ins(&draft.read());
                                (!needed.is_empty()).then(|| view! {
                                    <div class="notice" role="status" id="template-fill-ins">
                                        <p>{i18n.t(TemplatesSaid::TemplateToFillNotice)}</p>
                                        <ul>{needed.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}</ul>
                                        <p>{i18n.t(TemplatesSaid::TemplateToFillThen)}</p>
                                    </div>
                                })
                            }}
                            <ul class="problems" id="template-problems">
                                {move || problems.get().into_iter().chain(server_problems.get().iter().map(|p| placed(p, i18n.0.get()))).map(|p| view! {
                                    <li class="field-error">{p}</li>
                                }).collect_view()}
                            </ul>
                        </div>
                        <div class="field">
                            <span class="field-label">{i18n.t(TemplatesSaid::Preview)}</span>
                            <div class="thread preview">
                                <article class="bubble" data-author="bot" id="template-preview">
                                    <p class="bubble-text">{move || view! { <Formatted text=preview() /> }}</p>
                                </article>
                            </div>
                            <p class="field-hint">{i18n.t(TemplatesSaid::PreviewHint)}</p>
                        </div>
                    </div>
                    {if admin {
                        view! {
                            <div class="actions">
                                <button type="button" class="button" disabled=move || !dirty() || saving.get()
                                    on:click=move |_| { if let Some(t) = current() { draft.set(t.text) } }>
                                    {i18n.t(Text::Discard)}
                                </button>
                                <button type="button" class="button button-primary" id="save-template"
                                    disabled=move || !dirty() || saving.get() || !problems.read().is_empty()
                                    on:click=save>
                                    {move || i18n.t(if saving.get() { Text::Saving } else { Text::Save })()}
                                </button>
                            </div>
                        }.into_any()
                    } else {
                        view! { <p class="field-hint">{i18n.t(TemplatesSaid::AdminsSave)}</p> }.into_any()
                    }}
                    {move || other.get().map(|theirs| view! {
                        <section class="conflict" role="alert" id="conflict">
                            <h3>{i18n.t(Text::ConflictTitle)}</h3>
                            <p>{i18n.t(Text::ConflictIntro)}</p>
                            <div class="conflict-versions">
                                <div><h4>{i18n.t(Text::YourVersion)}</h4><pre class="mono conflict-text">{draft.get_untracked()}</pre></div>
                                <div><h4>{i18n.t(Text::FileVersion)}</h4><pre class="mono conflict-text">{theirs.text.clone()}</pre></div>
                            </div>
                            <div class="actions">
                                <button type="button" class="button button-primary" on:click={
                                    let revision = theirs.revision.clone();
                                    move |_| save_on(revision.clone(), toasts)
                                }>{i18n.t(Text::KeepMine)}</button>
                                <button type="button" class="button" on:click={
                                    let theirs = theirs.clone();
                                    move |_| {
                                        let name = selected.get_untracked().unwrap_or_default();
                                        list.update(|l| if let Some(t) = l.iter_mut().find(|t| t.name == name) {
                                            t.text = theirs.text.clone();
                                            t.revision = theirs.revision.clone();
                                        });
                                        draft.set(theirs.text.clone());
                                        other.set(None);
                                    }
                                }>{i18n.t(Text::TakeTheirs)}</button>
                            </div>
                        </section>
                    })}
                })}
            </section>
        </div>
    }
}
