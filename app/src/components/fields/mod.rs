//! Form fields bound to a part of a document draft: text, lines, comma lists, numbers,
//! choices and switches, each with its label and the server's problem for it underneath.

use crate::components::document::{field_error, DocEditor};
use crate::components::text_titles::text_title;
use crate::i18n::{use_i18n, Words};
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

mod calendar;
pub use calendar::{dates_input, shifts_input};

/// What a field needs: its element id, label, optional hint, and the JSON pointer its
/// problems are reported at.
pub struct Field {
    pub id: String,
    pub label: Words,
    pub hint: Option<Words>,
    pub pointer: String,
}

impl Field {
    pub fn new(
        id: impl Into<String>,
        label: impl Into<Words>,
        pointer: impl Into<String>,
    ) -> Field {
        Field {
            id: id.into(),
            label: label.into(),
            hint: None,
            pointer: pointer.into(),
        }
    }

    pub fn hint(mut self, hint: impl Into<Words>) -> Field {
        self.hint = Some(hint.into());
        self
    }
}

fn frame<T, V>(editor: DocEditor<T>, field: Field, control: V) -> AnyView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let i18n = use_i18n();
    let hint_id = format!("{}-hint", field.id);
    view! {
        <div class="field">
            <label for=field.id.clone()>{i18n.t(field.label)}</label>
            {control}
            {field.hint.map(|hint| view! { <p class="field-hint" id=hint_id>{i18n.t(hint)}</p> })}
            {field_error(editor, field.pointer)}
        </div>
    }
    .into_any()
}

/// `aria-invalid` for a field: set while the draft has a problem at its pointer.
fn invalid<T>(editor: DocEditor<T>, pointer: String) -> impl Fn() -> Option<&'static str>
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    move || editor.error_at(&pointer).is_some().then_some("true")
}

// Each field takes its getter and setter as closures for the pages' convenience, and turns
// them into a `Signal` and a `Callback` straight away: the field's view is then built by one
// function for every field of its kind, instead of one copy per call in the browser's bundle.

/// One line of text.
pub fn text_input<T>(
    editor: DocEditor<T>,
    field: Field,
    get: impl Fn() -> String + Send + Sync + 'static,
    set: impl Fn(String) + Send + Sync + 'static,
) -> AnyView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    line_input(editor, field, Signal::derive(get), Callback::new(set))
}

fn line_input<T>(
    editor: DocEditor<T>,
    field: Field,
    get: Signal<String>,
    set: Callback<String>,
) -> AnyView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    let invalid = invalid(editor, field.pointer.clone());
    let control = view! {
        <input
            type="text"
            id=field.id.clone()
            prop:value=get
            aria-invalid=invalid
            on:input=move |ev| set.run(event_target_value(&ev))
        />
    };
    frame(editor, field, control)
}

/// Several lines of text.
pub fn text_area<T>(
    editor: DocEditor<T>,
    field: Field,
    rows: u32,
    get: impl Fn() -> String + Send + Sync + 'static,
    set: impl Fn(String) + Send + Sync + 'static,
) -> AnyView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    lines_input(editor, field, rows, Signal::derive(get), Callback::new(set))
}

fn lines_input<T>(
    editor: DocEditor<T>,
    field: Field,
    rows: u32,
    get: Signal<String>,
    set: Callback<String>,
) -> AnyView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    let invalid = invalid(editor, field.pointer.clone());
    let control = view! {
        <textarea
            id=field.id.clone()
            rows=rows.to_string()
            prop:value=get
            aria-invalid=invalid
            on:input=move |ev| set.run(event_target_value(&ev))
        ></textarea>
    };
    frame(editor, field, control)
}

/// How a list of texts is written in one field.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ListStyle {
    /// One per line, in a text area (rule texts).
    Lines,
    /// Separated by commas, on one line (labels, keywords, ranges).
    Commas,
}

impl ListStyle {
    fn parse(self, text: &str) -> Vec<String> {
        let parts: Vec<&str> = match self {
            ListStyle::Lines => text.lines().collect(),
            ListStyle::Commas => text.split(',').collect(),
        };
        parts
            .into_iter()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn join(self, items: &[String]) -> String {
        items.join(match self {
            ListStyle::Lines => "\n",
            ListStyle::Commas => ", ",
        })
    }
}

/// A list of texts in one field; empty entries are dropped. What the person typed stays as
/// typed (a trailing comma, a blank line) while it still means the list in the draft.
pub fn list_input<T>(
    editor: DocEditor<T>,
    field: Field,
    style: ListStyle,
    get: impl Fn() -> Vec<String> + Send + Sync + 'static,
    set: impl Fn(Vec<String>) + Send + Sync + 'static,
) -> AnyView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    let typed = RwSignal::new(None::<String>);
    let shown = move || {
        let items = get();
        match typed.get() {
            Some(text) if style.parse(&text) == items => text,
            _ => style.join(&items),
        }
    };
    let change = move |text: String| {
        set(style.parse(&text));
        typed.set(Some(text));
    };
    let (shown, change) = (Signal::derive(shown), Callback::new(change));
    match style {
        ListStyle::Lines => lines_input(editor, field, 3, shown, change),
        ListStyle::Commas => line_input(editor, field, shown, change),
    }
}

/// A whole number.
pub fn number_input<T>(
    editor: DocEditor<T>,
    field: Field,
    get: impl Fn() -> u32 + Send + Sync + 'static,
    set: impl Fn(u32) + Send + Sync + 'static,
) -> AnyView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    whole_number(editor, field, Signal::derive(get), Callback::new(set))
}

fn whole_number<T>(
    editor: DocEditor<T>,
    field: Field,
    get: Signal<u32>,
    set: Callback<u32>,
) -> AnyView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    let control = view! {
        <input
            type="number"
            min="0"
            id=field.id.clone()
            prop:value=move || get.get().to_string()
            on:input=move |ev| {
                if let Ok(n) = event_target_value(&ev).trim().parse::<u32>() {
                    set.run(n);
                }
            }
        />
    };
    frame(editor, field, control)
}

/// One of a few choices.
pub fn select_input<T>(
    editor: DocEditor<T>,
    field: Field,
    options: Vec<(String, Words)>,
    get: impl Fn() -> String + Send + Sync + 'static,
    set: impl Fn(String) + Send + Sync + 'static,
) -> AnyView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    choice(
        editor,
        field,
        options,
        Signal::derive(get),
        Callback::new(set),
    )
}

fn choice<T>(
    editor: DocEditor<T>,
    field: Field,
    options: Vec<(String, Words)>,
    get: Signal<String>,
    set: Callback<String>,
) -> AnyView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let control = view! {
        <select id=field.id.clone() on:change=move |ev| set.run(event_target_value(&ev))>
            {options.into_iter().map(|(value, label)| {
                let selected_value = value.clone();
                view! {
                    <option value=value selected=move || get.get() == selected_value>{i18n.t(label)}</option>
                }
            }).collect_view()}
        </select>
    };
    frame(editor, field, control)
}

/// A choice among the bot's texts the page knows, each shown by its title.
pub fn name_select<T>(
    editor: DocEditor<T>,
    field: Field,
    names: Vec<String>,
    get: impl Fn() -> String + Send + Sync + 'static,
    set: impl Fn(String) + Send + Sync + 'static,
) -> AnyView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    name_choice(
        editor,
        field,
        names,
        Signal::derive(get),
        Callback::new(set),
    )
}

fn name_choice<T>(
    editor: DocEditor<T>,
    field: Field,
    names: Vec<String>,
    get: Signal<String>,
    set: Callback<String>,
) -> AnyView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    // A name not (or no longer) among them still shows, so the problem is visible.
    let lang = crate::i18n::use_i18n().0;
    let current = get.get_untracked();
    let mut names = names;
    if !current.is_empty() && !names.contains(&current) {
        names.insert(0, current);
    }
    let control = view! {
        <select id=field.id.clone() on:change=move |ev| set.run(event_target_value(&ev))>
            {names.into_iter().map(|name| {
                let value = name.clone();
                let title = text_title(&name, lang.get_untracked());
                view! { <option value=name.clone() selected=move || get.get() == value>{title}</option> }
            }).collect_view()}
        </select>
    };
    frame(editor, field, control)
}

/// A yes/no switch.
pub fn check_input(
    id: String,
    label: impl Into<Words>,
    get: impl Fn() -> bool + Send + Sync + 'static,
    set: impl Fn(bool) + Send + Sync + 'static,
) -> AnyView {
    switch(id, label.into(), Signal::derive(get), Callback::new(set))
}

fn switch(id: String, label: Words, get: Signal<bool>, set: Callback<bool>) -> AnyView {
    let i18n = use_i18n();
    view! {
        <label class="check">
            <input type="checkbox" id=id prop:checked=get on:change=move |ev| set.run(event_target_checked(&ev)) />
            {i18n.t(label)}
        </label>
    }
    .into_any()
}
