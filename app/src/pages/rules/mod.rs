//! Reglas: the ordered list of rules (reorder, enable, disable), a form for the selected
//! rule, checked by the server as the owner types, saved on a revision (a conflict with a
//! hand edit shows both versions), hand edits followed live, and a simulator.

mod form;
mod simulator;

use crate::api;
use crate::components::document::{DocEditor, EditorTop};
use crate::components::{browser, signed_in, toaster, PageHeader};
use crate::i18n::{use_i18n, Text};
use crate::live;
use cocolu_core::api::status::Status;
use cocolu_core::model::{Rule, Rules as RulesDoc, When};
use form::{Lens, RuleForm};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use simulator::Simulator;

crate::i18n::page_texts!(RulesSaid {
    RulesReadOnly => (
        "Solo un administrador puede cambiar las reglas; aquí las ves como están y puedes probarlas en el simulador.",
        "Only an administrator can change the rules; here you see them as they are and can try them in the simulator.",
    ),
    RulesFileHint => (
        "Las reglas se guardan en data/rules.json; también puedes editarlo a mano y los cambios aparecen aquí al momento.",
        "Rules are kept in data/rules.json; you can also edit it by hand and the changes show here at once.",
    ),
    RulesOrder => ("Orden de las reglas", "Order of the rules"),
    RulesOrderHint => ("Se prueban de arriba abajo; responde la primera que coincide.", "They are tried top to bottom; the first that matches answers."),
    ProblemsShort => ("errores", "problems"),
    AddRule => ("Nueva regla", "New rule"),
    PickRule => ("Elige una regla de la lista para editarla, o crea una nueva.", "Pick a rule from the list to edit it, or make a new one."),
    RulesIntro => (
        "Qué responde el bot y cuándo.",
        "What the bot answers, and when.",
            ),
    MoveUp => ("Subir", "Move up"),
    MoveDown => ("Bajar", "Move down"),
    RuleEnabled => ("Activa", "Enabled"),
});

/// `GET /api/rules`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Versioned {
    revision: String,
    rules: RulesDoc,
}

/// A template's name, from `GET /api/templates`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct TemplateName {
    name: String,
    text: String,
}

/// Everything the page needs before it can show the editor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Loaded {
    rules: Versioned,
    templates: Vec<String>,
    /// Each template's text, by name.
    texts: Vec<(String, String)>,
    file_problems: Vec<cocolu_core::document::FileProblem>,
    admin: bool,
}

/// The rules page.
#[component]
pub fn Rules() -> impl IntoView {
    let i18n = use_i18n();
    let me = signed_in();
    let lang = i18n.0.get_untracked();
    let loaded = Resource::new(
        || (),
        move |()| {
            let rules = api::get_json::<Versioned>("/api/rules");
            let templates = api::get_json::<Vec<TemplateName>>("/api/templates");
            let status = api::get_json::<Status>("/api/status");
            async move {
                let rules = rules.await?;
                let texts: Vec<(String, String)> = templates
                    .await?
                    .into_iter()
                    .map(|t| (t.name, t.text))
                    .collect();
                let templates = texts.iter().map(|(name, _)| name.clone()).collect();
                let file_problems = status.await.map(|s| s.file_problems).unwrap_or_default();
                let file_problems = crate::faults::problems_in(file_problems, lang).await;
                let admin = me.await.map(|m| m.is_admin()).unwrap_or(false);
                Ok(Loaded {
                    rules,
                    templates,
                    texts,
                    file_problems,
                    admin,
                })
            }
        },
    );
    view! {
        <PageHeader title=Text::NavRules intro=RulesSaid::RulesIntro />
        {crate::components::with_data(loaded, |loaded: Loaded| view! { <RulesEditor loaded /> })}
        <p class="field-hint">{i18n.t(RulesSaid::RulesFileHint)}</p>
    }
}

/// A new rule's id, not yet taken.
fn fresh_id(rules: &[Rule]) -> String {
    (1..)
        .map(|n| format!("regla_{n}"))
        .find(|id| rules.iter().all(|r| r.id != *id))
        .unwrap_or_default()
}

#[component]
fn RulesEditor(loaded: Loaded) -> impl IntoView {
    let i18n = use_i18n();
    let admin = loaded.admin;
    let toasts = toaster();
    let editor = DocEditor::new(
        "/api/rules",
        "rules",
        "rules.json",
        loaded.rules.revision,
        loaded.rules.rules,
        loaded.file_problems,
    );
    let templates = StoredValue::new(loaded.templates);
    provide_context(form::TemplateTexts(StoredValue::new(loaded.texts)));
    let selected = RwSignal::new(None::<usize>);
    let connected = live::on_events(move |event| editor.on_event(&event, toasts));
    // The list is re-drawn when a rule's id, description or state changes, not on every key.
    let rows = Memo::new(move |_| {
        editor.draft.with(|d| {
            d.rules
                .iter()
                .map(|r| (r.id.clone(), r.description.clone(), r.enabled))
                .collect::<Vec<_>>()
        })
    });
    let move_rule = move |index: usize, delta: isize| {
        let to = index as isize + delta;
        editor.draft.update(|d| {
            if to >= 0 && (to as usize) < d.rules.len() {
                d.rules.swap(index, to as usize);
            }
        });
        if selected.get_untracked() == Some(index) && to >= 0 {
            selected.set(Some(to as usize));
        }
    };
    let add_rule = move |_| {
        editor.draft.update(|d| {
            let id = fresh_id(&d.rules);
            d.rules.push(Rule {
                id,
                description: String::new(),
                enabled: true,
                greeting: false,
                when: When::default(),
                reply: Vec::new(),
                actions: Vec::new(),
                cooldown_minutes: 0,
                capture: None,
            });
        });
        selected.set(Some(editor.draft.with_untracked(|d| d.rules.len() - 1)));
        browser::show_below("rule-editor");
    };
    let delete = Callback::new(move |()| {
        if let Some(index) = selected.get_untracked() {
            editor.draft.update(|d| {
                if index < d.rules.len() {
                    d.rules.remove(index);
                }
            });
            selected.set(None);
        }
    });
    let problem_count = move |index: usize| {
        editor.problems.with(|problems| {
            let prefix = format!("/rules/{index}");
            problems
                .iter()
                .filter(|p| {
                    p.pointer
                        .as_deref()
                        .is_some_and(|at| at == prefix || at.starts_with(&format!("{prefix}/")))
                })
                .count()
        })
    };
    view! {
        <EditorTop editor toasts connected admin=admin read_only=RulesSaid::RulesReadOnly />
        <div class="rules-layout">
            <section class="card rules-list" aria-labelledby="rules-list-title">
                <h2 id="rules-list-title">{i18n.t(RulesSaid::RulesOrder)}</h2>
                <p class="field-hint">{i18n.t(RulesSaid::RulesOrderHint)}</p>
                <ol class="rule-rows" id="rule-rows">
                    {move || {
                        let list = rows.get();
                        let count = list.len();
                        list.into_iter().enumerate().map(|(index, (id, description, enabled))| {
                            let problems = move || problem_count(index);
                            let label_id = id.clone();
                            view! {
                                <li class="rule-row" class:rule-row--selected=move || selected.get() == Some(index) data-rule=id.clone()>
                                    <input
                                        type="checkbox"
                                        id=format!("rule-enabled-{index}")
                                        disabled=!admin
                                        aria-label=move || format!("{} {label_id}", i18n.t(RulesSaid::RuleEnabled)())
                                        prop:checked=enabled
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            editor.draft.update(|d| if let Some(r) = d.rules.get_mut(index) { r.enabled = on });
                                        }
                                    />
                                    <button type="button" class="rule-pick" on:click=move |_| { selected.set(Some(index)); browser::show_below("rule-editor"); } aria-pressed=move || (selected.get() == Some(index)).to_string()>
                                        // Named by what it is for; its id (which the file and the buttons use)
                                        // is under "Avanzado" in the form, and names a rule without a description.
                                        <span class="rule-name">{if description.trim().is_empty() { id.clone() } else { description }}</span>
                                        {move || (problems() > 0).then(|| view! {
                                            <span class="badge badge-error">{problems()} " " {i18n.t(RulesSaid::ProblemsShort)}</span>
                                        })}
                                    </button>
                                    <span class="rule-move">
                                        <button type="button" class="icon-button" aria-label=i18n.t(RulesSaid::MoveUp) disabled={ !admin || index == 0 } on:click=move |_| move_rule(index, -1)>"↑"</button>
                                        <button type="button" class="icon-button" aria-label=i18n.t(RulesSaid::MoveDown) disabled={ !admin || index + 1 == count } on:click=move |_| move_rule(index, 1)>"↓"</button>
                                    </span>
                                </li>
                            }
                        }).collect_view()
                    }}
                </ol>
                {admin.then(|| view! {
                    <button type="button" class="button" id="add-rule" on:click=add_rule>{i18n.t(RulesSaid::AddRule)}</button>
                })}
            </section>
            <div class="rules-editor" id="rule-editor">
                <fieldset class="plain" disabled=!admin>
                {move || match selected.get() {
                    Some(index) if index < rows.with(Vec::len) => {
                        view! { <RuleForm lens=Lens { editor, index } templates on_delete=delete /> }.into_any()
                    }
                    _ => view! { <p class="card empty-thread">{i18n.t(RulesSaid::PickRule)}</p> }.into_any(),
                }}
                </fieldset>
                <Simulator editor />
            </div>
        </div>
    }
}
