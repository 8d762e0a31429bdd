//! Editing a hand-editable document (`rules.json`, `settings.json`) from a form: a draft
//! beside the version in force and its revision, problems checked as the person types (by the
//! server's own validation), saving on a revision with the 409 conflict shown as the lines
//! the two versions differ in, and hand edits followed live (a broken one shown with its line and column).

use super::toast::Toaster;
use crate::api::{self, Failure};
use crate::faults;
use crate::i18n::{use_i18n, Lang, Said, Text};
use cocolu_core::api::documents::{Change, ConflictDetails};
use cocolu_core::document::FileProblem;
use cocolu_core::events::ServerEvent;
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::time::Duration;

/// The other version, when a save found the file changed, and how it differs from the
/// draft (as the server would have written it).
pub type Conflict = ConflictDetails;

/// One document being edited.
pub struct DocEditor<T: Send + Sync + 'static> {
    /// What the form shows and changes.
    pub draft: RwSignal<T>,
    /// The version in force the draft started from.
    pub saved: RwSignal<T>,
    pub revision: RwSignal<String>,
    /// Problems of the draft (from the check or a refused save).
    pub problems: RwSignal<Vec<FileProblem>>,
    /// Problems of the file on disk (a broken hand edit; the last good version is in force).
    pub file_problems: RwSignal<Vec<FileProblem>>,
    pub conflict: RwSignal<Option<Conflict>>,
    /// The file changed on disk while the draft had changes of its own.
    pub changed_on_disk: RwSignal<bool>,
    pub saving: RwSignal<bool>,
    /// `/api/rules`.
    path: &'static str,
    /// `rules`.
    field: &'static str,
    /// `rules.json`.
    file: &'static str,
    /// The language problems are worded in.
    lang: Lang,
}

impl<T: Send + Sync + 'static> Clone for DocEditor<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for DocEditor<T> {}

impl<T> DocEditor<T>
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    /// Starts editing `value` (at `revision`); `file_problems` are those the server knows of.
    pub fn new(
        path: &'static str,
        field: &'static str,
        file: &'static str,
        revision: String,
        value: T,
        file_problems: Vec<FileProblem>,
    ) -> DocEditor<T> {
        let editor = DocEditor {
            draft: RwSignal::new(value.clone()),
            saved: RwSignal::new(value),
            revision: RwSignal::new(revision),
            problems: RwSignal::new(Vec::new()),
            file_problems: RwSignal::new(
                file_problems
                    .into_iter()
                    .filter(|p| p.file == file)
                    .collect(),
            ),
            conflict: RwSignal::new(None),
            changed_on_disk: RwSignal::new(false),
            saving: RwSignal::new(false),
            path,
            field,
            file,
            lang: use_i18n().0.get_untracked(),
        };
        editor.check_as_you_type();
        editor
    }

    /// Shows `problems` in `target`, in the page's language.
    fn show(self, target: RwSignal<Vec<FileProblem>>, problems: Vec<FileProblem>) {
        leptos::task::spawn_local(async move {
            // The page may be gone by the time the words are in.
            target.try_set(faults::problems_in(problems, self.lang).await);
        });
    }

    /// The draft differs from the version in force.
    pub fn dirty(self) -> bool {
        self.draft
            .with(|draft| self.saved.with(|saved| draft != saved))
    }

    fn body(self, revision: String) -> Value {
        let mut body = json!({ "revision": revision });
        body[self.field] = serde_json::to_value(self.draft.get_untracked()).unwrap_or_default();
        body
    }

    /// Takes a version the server answered with.
    fn accept(self, answer: &Value) -> bool {
        let value = answer
            .get(self.field)
            .and_then(|v| api::from_part::<T>(v).ok());
        let revision = answer.get("revision").and_then(Value::as_str);
        match (value, revision) {
            (Some(value), Some(revision)) => {
                self.saved.set(value.clone());
                self.draft.set(value);
                self.revision.set(revision.to_string());
                self.problems.set(Vec::new());
                self.conflict.set(None);
                self.changed_on_disk.set(false);
                true
            }
            _ => false,
        }
    }

    /// Saves the draft on `revision` (the one it started from, or the other version's after a
    /// conflict, to keep this one).
    fn save_on(self, revision: String, toasts: Toaster) {
        self.saving.set(true);
        let body = self.body(revision);
        leptos::task::spawn_local(async move {
            match api::send::<Value>("PUT", self.path.to_string(), Some(body)).await {
                Ok(answer) => {
                    // What was saved is the file now: a broken hand edit it replaced is gone.
                    // The save bar says so ("Todo guardado", marked): no toast besides it.
                    if self.accept(&answer) {
                        self.file_problems.set(Vec::new());
                    }
                    toasts.clear_failures();
                }
                Err(failure) => self.refused(failure, toasts),
            }
            self.saving.set(false);
        });
    }

    fn refused(self, failure: Failure, toasts: Toaster) {
        let details = failure.details.clone().unwrap_or_default();
        match failure.code.as_str() {
            "conflict" => match api::from_part::<Conflict>(&details) {
                // The section under the save bar says what happened, once: no toast beside it.
                Ok(conflict) => self.conflict.set(Some(conflict)),
                Err(_) => toasts.failed(Text::SaveFailed, failure),
            },
            "invalid" => {
                self.show(self.problems, failure.problems());
                toasts.failed(Text::SaveFailed, failure);
            }
            _ => toasts.failed(Text::SaveFailed, failure),
        }
    }

    /// Saves the draft.
    pub fn save(self, toasts: Toaster) {
        self.save_on(self.revision.get_untracked(), toasts);
    }

    /// After a conflict: save this draft over the other version.
    pub fn keep_mine(self, toasts: Toaster) {
        if let Some(other) = self.conflict.get_untracked() {
            self.save_on(other.current.revision.to_string(), toasts);
        }
    }

    /// After a conflict: drop the draft and take the other version.
    pub fn take_theirs(self, toasts: Toaster) {
        let Some(other) = self.conflict.get_untracked() else {
            return;
        };
        match serde_json::from_str::<T>(&other.current.text) {
            Ok(value) => {
                let mut answer = json!({ "revision": other.current.revision });
                answer[self.field] = serde_json::to_value(value).unwrap_or_default();
                self.accept(&answer);
            }
            // The file is broken: the version in force is still the last good one.
            Err(_) => {
                self.reload(toasts);
            }
        }
    }

    /// Drops the draft's changes.
    pub fn discard(self) {
        self.draft.set(self.saved.get_untracked());
        self.problems.set(Vec::new());
        self.changed_on_disk.set(false);
    }

    /// Reads the version in force again.
    pub fn reload(self, toasts: Toaster) {
        let request = api::get_json::<Value>(self.path);
        leptos::task::spawn_local(async move {
            match request.await {
                Ok(answer) => {
                    self.accept(&answer);
                }
                Err(error) => toasts.error(Text::LoadFailed, error),
            }
        });
    }

    /// Follows hand edits: a good one replaces an unchanged draft (or is announced beside a
    /// changed one); a broken one shows its problems.
    pub fn on_event(self, event: &ServerEvent, toasts: Toaster) {
        match event {
            ServerEvent::FileReloaded { file } if file == self.file => {
                self.file_problems.set(Vec::new());
                if self.saving.get_untracked() {
                    return;
                }
                let request = api::get_json::<Value>(self.path);
                leptos::task::spawn_local(async move {
                    let Ok(answer) = request.await else { return };
                    let revision = answer.get("revision").and_then(Value::as_str);
                    if revision == Some(self.revision.get_untracked().as_str()) {
                        return;
                    }
                    if self.dirty() {
                        self.changed_on_disk.set(true);
                    } else {
                        self.accept(&answer);
                        toasts.ok(Text::ReloadedFromFile);
                    }
                });
            }
            ServerEvent::FileError { file, problems } if file == self.file => {
                self.show(self.file_problems, problems.clone());
            }
            _ => {}
        }
    }

    /// Checks the draft with the server half a second after the last change.
    fn check_as_you_type(self) {
        let generation = StoredValue::new(0u64);
        let check_path = format!("{}/check", self.path);
        Effect::new(move |first: Option<()>| {
            self.draft.track();
            if first.is_none() {
                return;
            }
            let mine = generation.get_value() + 1;
            generation.set_value(mine);
            let check_path = check_path.clone();
            set_timeout(
                move || {
                    // Typed again since, or the page is gone (the form with it).
                    if generation.try_get_value() != Some(mine) {
                        return;
                    }
                    let body = self.body(String::new());
                    leptos::task::spawn_local(async move {
                        if let Ok(answer) = api::send::<Value>("POST", check_path, Some(body)).await
                        {
                            if generation.try_get_value() == Some(mine) {
                                let problems =
                                    api::from_part(&answer["problems"]).unwrap_or_default();
                                let problems = faults::problems_in(problems, self.lang).await;
                                if generation.try_get_value() == Some(mine) {
                                    self.problems.try_set(problems);
                                }
                            }
                        }
                    });
                },
                Duration::from_millis(500),
            );
        });
    }

    /// The first problem of the draft at `pointer` or inside it.
    pub fn error_at(self, pointer: &str) -> Option<String> {
        self.problems.with(|problems| {
            problems
                .iter()
                .find(|p| {
                    p.pointer.as_deref().is_some_and(|at| {
                        at == pointer
                            || at.strip_prefix(pointer).is_some_and(|r| r.starts_with('/'))
                    })
                })
                .map(|p| p.message.clone())
        })
    }
}

/// A problem with its place, in the page's language ("rules.json, línea 3, columna 7: …").
pub fn placed(problem: &FileProblem, lang: Lang) -> String {
    format!("{}: {}", place(problem, lang), problem.message)
}

/// Where a problem is, in the page's language ("rules.json, línea 3, columna 7").
pub fn place(problem: &FileProblem, lang: Lang) -> String {
    format!(
        "{}, {} {}, {} {}",
        problem.file,
        Text::Line.get(lang),
        problem.line,
        Text::Column.get(lang),
        problem.column,
    )
}

/// The file's own problems (a broken hand edit), with line and column, and the notice that
/// the file changed while the form had changes.
#[component]
pub fn FileStatus<T>(editor: DocEditor<T>, toasts: Toaster) -> impl IntoView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    let i18n = use_i18n();
    view! {
        {move || (!editor.file_problems.read().is_empty()).then(|| view! {
            <div class="notice notice-error" role="alert" id="file-problems">
                <p>{i18n.t(Text::HandEditBroken)}</p>
                <ul>
                    {move || editor.file_problems.get().into_iter().map(|p| view! {
                        <li class="mono">
                            {placed(&p, i18n.0.get())}
                        </li>
                    }).collect_view()}
                </ul>
            </div>
        })}
        // Once a save met the other version, the conflict's section says it instead.
        {move || (editor.changed_on_disk.get() && editor.conflict.read().is_none()).then(|| view! {
            <div class="notice" role="status" id="changed-on-disk">
                <p>{i18n.t(Text::ChangedOnDisk)}</p>
                <button type="button" class="button" on:click=move |_| { editor.discard(); editor.reload(toasts); }>
                    {i18n.t(Text::LoadFileVersion)}
                </button>
            </div>
        })}
    }
}

/// The top of a page that edits a document: the live connection's state, the file's state,
/// and for administrators the save bar; for the others, `read_only` says why they cannot save.
#[component]
pub fn EditorTop<T, S>(
    editor: DocEditor<T>,
    toasts: Toaster,
    connected: ReadSignal<bool>,
    admin: bool,
    read_only: S,
) -> impl IntoView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
    S: Said,
{
    let i18n = use_i18n();
    view! {
        <super::ConnectionLost connected />
        <FileStatus editor toasts />
        {if admin {
            view! { <SaveBar editor toasts /> }.into_any()
        } else {
            view! { <p class="notice" role="status" id="read-only">{i18n.t(read_only)}</p> }.into_any()
        }}
    }
}

/// Save and discard, with what is pending; a conflict shown as the lines that differ. Only
/// for those who may save (agents are told so by the page instead).
#[component]
pub fn SaveBar<T>(editor: DocEditor<T>, toasts: Toaster) -> impl IntoView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let dirty = Memo::new(move |_| editor.dirty());
    view! {
        <div class="save-bar" id="save-bar">
            <span class="save-state" role="status" data-state=move || if dirty.get() { "dirty" } else { "saved" }>
                        {move || i18n.t(if dirty.get() { Text::UnsavedChanges } else { Text::AllSaved })()}
                    </span>
                    <button
                        type="button"
                        class="button"
                        disabled=move || !dirty.get() || editor.saving.get()
                        on:click=move |_| editor.discard()
                    >
                        {i18n.t(Text::Discard)}
                    </button>
                    <button
                        type="button"
                        class="button button-primary"
                        id="save"
                        disabled=move || !dirty.get() || editor.saving.get()
                        on:click=move |_| editor.save(toasts)
                    >
                        {move || i18n.t(if editor.saving.get() { Text::Saving } else { Text::Save })()}
                    </button>
        </div>
        {move || editor.conflict.get().map(|other| {
            let lines = other
                .changes
                .into_iter()
                .map(|line| {
                    let (change, mark) = match line.change {
                        Change::Same => ("same", " "),
                        Change::File => ("file", "−"),
                        Change::Mine => ("mine", "+"),
                        Change::Skipped => ("skipped", "⋯"),
                    };
                    view! {
                        <li class="conflict-line" data-change=change>
                            <span class="conflict-mark" aria-hidden="true">{mark}</span>
                            {line.text}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <section class="card conflict" role="alert" id="conflict">
                    <h2>{i18n.t(Text::ConflictTitle)}</h2>
                    <p>{i18n.t(Text::ConflictIntro)}</p>
                    <p class="conflict-legend">
                        <span class="conflict-key" data-change="file">"− " {i18n.t(Text::FileVersion)}</span>
                        <span class="conflict-key" data-change="mine">"+ " {i18n.t(Text::YourVersion)}</span>
                    </p>
                    <ol class="mono conflict-changes" id="conflict-changes">{lines}</ol>
                    <div class="actions">
                        <button type="button" class="button button-primary" id="keep-mine" on:click=move |_| editor.keep_mine(toasts)>
                            {i18n.t(Text::KeepMine)}
                        </button>
                        <button type="button" class="button" id="take-theirs" on:click=move |_| editor.take_theirs(toasts)>
                            {i18n.t(Text::TakeTheirs)}
                        </button>
                    </div>
                </section>
            }
        })}
    }
}

/// A field's problem, under the field.
pub fn field_error<T>(editor: DocEditor<T>, pointer: String) -> impl IntoView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    move || {
        editor
            .error_at(&pointer)
            .map(|message| view! { <p class="field-error" role="alert">{message}</p> })
    }
}
