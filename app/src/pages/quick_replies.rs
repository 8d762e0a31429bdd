//! Respuestas rápidas: the shop's saved answers (`quick_replies.json`), typed with `/` in the
//! inbox's composer. Administrators add, change and remove them (checked as they type, saved on
//! a revision like the other documents); agents see them and use them.

use crate::api;
use crate::components::document::{field_error, DocEditor, EditorTop};
use crate::components::variables::{AsRead, UnknownVariables, VariableButtons};
use crate::components::{signed_in, toaster, with_data, PageHeader};
use crate::i18n::{use_i18n, Text};
use crate::live;
use cocolu_core::api::status::Status;
use cocolu_core::api::templates::Variable;
use cocolu_core::document::FileProblem;
use cocolu_core::quick_replies::{QuickReplies as Saved, QuickReply};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

crate::i18n::page_texts!(QuickSaid {
    HowTo => (
        "Los botones bajo cada texto ponen el nombre del cliente, el de tu negocio o el horario donde está el cursor; se completan para cada cliente al elegir la respuesta en el chat.",
        "The buttons under each text put the customer's name, your business's or the hours where the cursor is; they are filled in for each customer when the answer is picked in a chat.",
    ),
    Shortcut => ("Atajo", "Shortcut"),
    Text => ("Texto", "Text"),
    Add => ("Añadir respuesta", "Add an answer"),
    Empty => ("Aún no hay respuestas guardadas.", "No saved answers yet."),
    ReadOnly => (
        "Puedes usar estas respuestas en el chat; solo un administrador puede cambiarlas.",
        "You can use these answers in chats; only an administrator can change them.",
    ),
    QuickRepliesIntro => (
        "Tus respuestas guardadas. En el chat, escribe / y el atajo (por ejemplo /horario) para ponerla en el mensaje, con el nombre del cliente ya puesto.",
        "Your saved answers. In a chat, type / and the shortcut (such as /horario) to put one in the message, with the customer's name already in.",
    ),
});

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Versioned {
    revision: String,
    quick_replies: Saved,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Loaded {
    document: Versioned,
    file_problems: Vec<FileProblem>,
    /// What a text can use, with examples for the preview.
    variables: Vec<Variable>,
    admin: bool,
}

/// A shortcut as people type it: lowercase, without accents, a dash for a space.
fn shortcut_of(typed: &str) -> String {
    typed
        .trim_start_matches('/')
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            ' ' => '-',
            other => other,
        })
        .collect()
}

/// The problems of the answers after the one at `removed` was removed: its own go, the later
/// ones move up one place.
fn shift_problems(problems: &mut Vec<FileProblem>, removed: usize) {
    problems.retain_mut(|problem| {
        let Some(pointer) = problem.pointer.as_deref() else {
            return true;
        };
        let Some((index, rest)) = pointer
            .strip_prefix("/replies/")
            .and_then(|p| p.split_once('/'))
            .and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, rest.to_string())))
        else {
            return true;
        };
        if index == removed {
            return false;
        }
        if index > removed {
            problem.pointer = Some(format!("/replies/{}/{rest}", index - 1));
        }
        true
    });
}

/// The saved answers page.
#[component]
pub fn QuickReplies() -> impl IntoView {
    let me = signed_in();
    let lang = use_i18n().0.get_untracked();
    let loaded = Resource::new(
        || (),
        move |()| {
            let document = api::get_json::<Versioned>("/api/quick-replies");
            let status = api::get_json::<Status>("/api/status");
            let variables = api::get_json::<Vec<Variable>>("/api/templates/variables");
            async move {
                let admin = me.await.map(|m| m.is_admin()).unwrap_or(false);
                let status = status.await.unwrap_or_default();
                Ok(Loaded {
                    document: document.await?,
                    file_problems: crate::faults::problems_in(status.file_problems, lang).await,
                    variables: variables.await.unwrap_or_default(),
                    admin,
                })
            }
        },
    );
    view! {
        <PageHeader title=Text::NavQuickReplies intro=QuickSaid::QuickRepliesIntro />
        {with_data(loaded, |loaded: Loaded| view! { <Editor loaded /> })}
    }
}

#[component]
fn Editor(loaded: Loaded) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = toaster();
    let editor = DocEditor::new(
        "/api/quick-replies",
        "quick_replies",
        "quick_replies.json",
        loaded.document.revision,
        loaded.document.quick_replies,
        loaded.file_problems,
    );
    let connected = live::on_events(move |event| editor.on_event(&event, toasts));
    let admin = loaded.admin;
    let variables = StoredValue::new(loaded.variables);
    let count = Memo::new(move |_| editor.draft.with(|d| d.replies.len()));
    let read = move |index: usize, get: fn(&QuickReply) -> String| {
        move || {
            editor
                .draft
                .with(|d| d.replies.get(index).map(get).unwrap_or_default())
        }
    };
    let write = move |index: usize, set: fn(&mut QuickReply, String)| {
        move |ev| {
            let value = event_target_value(&ev);
            editor.draft.update(|d| {
                if let Some(reply) = d.replies.get_mut(index) {
                    set(reply, value);
                }
            });
        }
    };
    // Removing an answer moves the later ones up: their problems move with them, and the
    // keyboard goes to the next answer (or the button that adds one).
    let remove = move |index: usize| {
        editor.draft.update(|d| {
            if index < d.replies.len() {
                d.replies.remove(index);
            }
        });
        editor
            .problems
            .update(|problems| shift_problems(problems, index));
        let next = if index < count.get_untracked() {
            format!("quick-shortcut-{index}")
        } else {
            "add-quick-reply".to_string()
        };
        request_animation_frame(move || crate::components::browser::focus(&next));
    };
    let row = move |index: usize| {
        let shortcut_id = format!("quick-shortcut-{index}");
        let text_id = format!("quick-text-{index}");
        let shortcut_at = format!("/replies/{index}/shortcut");
        let text_at = format!("/replies/{index}/text");
        let flagged = |at: String| move || editor.error_at(&at).is_some().then_some("true");
        view! {
            <li class="card quick-reply" data-index=index>
                <div class="field">
                    <label for=shortcut_id.clone()>{i18n.t(QuickSaid::Shortcut)}</label>
                    <div class="shortcut-input">
                        <span aria-hidden="true">"/"</span>
                        <input type="text" id=shortcut_id autocomplete="off" spellcheck="false" autocapitalize="off"
                            prop:value=read(index, |r| r.shortcut.clone())
                            aria-invalid=flagged(shortcut_at.clone())
                            on:input=write(index, |r, v| r.shortcut = shortcut_of(&v)) />
                    </div>
                    {field_error(editor, shortcut_at)}
                </div>
                <div class="field">
                    <label for=text_id.clone()>{i18n.t(QuickSaid::Text)}</label>
                    <textarea id=text_id.clone() rows="3"
                        prop:value=read(index, |r| r.text.clone())
                        aria-invalid=flagged(text_at.clone())
                        on:input=write(index, |r, v| r.text = v)></textarea>
                    {field_error(editor, text_at)}
                    {admin.then(|| {
                        let changed = Callback::new(move |text: String| {
                            editor.draft.update(|d| {
                                if let Some(reply) = d.replies.get_mut(index) {
                                    reply.text = text;
                                }
                            })
                        });
                        view! { <VariableButtons variables target=text_id changed /> }
                    })}
                    <UnknownVariables variables text=Signal::derive(read(index, |r| r.text.clone())) />
                    <AsRead variables text=Signal::derive(read(index, |r| r.text.clone())) />
                </div>
                {admin.then(|| view! {
                    <button type="button" class="button button-quiet remove-quick"
                        on:click=move |_| remove(index)>
                        {i18n.t(Text::Delete)}
                    </button>
                })}
            </li>
        }
    };
    let add = move |_| {
        editor
            .draft
            .update(|d| d.replies.push(QuickReply::default()));
        // The new answer's shortcut, ready to type.
        let last = count.get_untracked().saturating_sub(1);
        request_animation_frame(move || {
            crate::components::browser::focus(&format!("quick-shortcut-{last}"))
        });
    };
    view! {
        <EditorTop editor toasts connected admin=admin read_only=QuickSaid::ReadOnly />
        {admin.then(|| view! { <p class="field-hint">{i18n.t(QuickSaid::HowTo)}</p> })}
        <form on:submit=|ev| ev.prevent_default()>
            <fieldset class="plain" disabled=!admin>
                {move || (count.get() == 0).then(|| view! { <p class="empty-state" id="no-quick-replies">{i18n.t(QuickSaid::Empty)}</p> })}
                <ol class="quick-replies" id="quick-replies">
                    {move || (0..count.get()).map(row).collect_view()}
                </ol>
                {admin.then(|| view! {
                    <button type="button" class="button" id="add-quick-reply" on:click=add>{i18n.t(QuickSaid::Add)}</button>
                })}
            </fieldset>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::{shift_problems, shortcut_of};
    use cocolu_core::document::FileProblem;
    use cocolu_core::fault::Fault;

    #[test]
    fn removing_an_answer_moves_the_later_problems_up() {
        let at = |pointer: &str| FileProblem {
            pointer: Some(pointer.into()),
            ..FileProblem::whole("quick_replies.json", Fault::NotAShortcut)
        };
        let mut problems = vec![
            at("/replies/0/text"),
            at("/replies/1/shortcut"),
            at("/replies/3/text"),
        ];
        shift_problems(&mut problems, 1);
        let pointers: Vec<_> = problems
            .iter()
            .map(|p| p.pointer.clone().unwrap_or_default())
            .collect();
        assert_eq!(pointers, vec!["/replies/0/text", "/replies/2/text"]);
    }

    #[test]
    fn a_shortcut_is_kept_as_the_composer_reads_it() {
        assert_eq!(shortcut_of("/Horario Tienda"), "horario-tienda");
        assert_eq!(shortcut_of("Envío Tamaño"), "envio-tamano");
        assert_eq!(shortcut_of("gracias"), "gracias");
    }
}
