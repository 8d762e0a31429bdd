//! Fields of days and times: closed days on a calendar, and a day's opening hours as time
//! pickers. The file keeps `2026-12-25` and `09:00-14:00`; the person sees `25 dic 2026` and
//! two pickers.

use super::{frame, Field};
use crate::components::document::DocEditor;
use crate::i18n::use_i18n;
use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

crate::i18n::page_texts!(DatesSaid {
    NoDates => ("Ningún día todavía.", "No days yet."),
    AddDate => ("Añadir día", "Add day"),
    NewDate => ("Día que añadir", "Day to add"),
    RemoveDate => ("Quitar", "Remove"),
});

/// Whole days (`YYYY-MM-DD`, what the file keeps), shown as the shop reads them (`25 dic 2026`),
/// each with a button to remove it, and a date picker to add one.
pub fn dates_input<T>(
    editor: DocEditor<T>,
    field: Field,
    get: impl Fn() -> Vec<String> + Send + Sync + 'static,
    set: impl Fn(Vec<String>) + Send + Sync + 'static,
) -> AnyView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let (get, set) = (Signal::derive(get), Callback::new(set));
    let picked = RwSignal::new(String::new());
    let add = move || {
        let day = picked.get_untracked();
        if day.is_empty() {
            return;
        }
        let mut days = get.get_untracked();
        if !days.contains(&day) {
            days.push(day);
            days.sort();
            set.run(days);
        }
        picked.set(String::new());
    };
    let new_id = format!("{}-new", field.id);
    let add_id = format!("{}-add", field.id);
    let list_id = field.id.clone();
    let control = view! {
        <ul class="date-list" id=list_id>
            {move || {
                let days = get.get();
                if days.is_empty() {
                    return view! { <li class="field-hint">{i18n.t(DatesSaid::NoDates)}</li> }.into_any();
                }
                days.into_iter().map(|day| {
                    let shown = day_as_read(&day, i18n.0.get_untracked());
                    let remove_label = format!("{} {shown}", i18n.t(DatesSaid::RemoveDate)());
                    view! {
                        <li class="label-chip date-chip">
                            {shown}
                            <button type="button" class="chip-remove" aria-label=remove_label on:click=move |_| {
                                let day = day.clone();
                                set.run(get.get_untracked().into_iter().filter(|d| *d != day).collect());
                            }>"✕"</button>
                        </li>
                    }
                }).collect_view().into_any()
            }}
        </ul>
        <div class="date-add">
            <label class="visually-hidden" for=new_id.clone()>{i18n.t(DatesSaid::NewDate)}</label>
            <input type="date" id=new_id prop:value=picked
                on:input=move |ev| picked.set(event_target_value(&ev))
                on:keydown=move |ev| if ev.key() == "Enter" { ev.prevent_default(); add() } />
            <button type="button" class="button" id=add_id disabled=move || picked.with(String::is_empty)
                on:click=move |_| add()>{i18n.t(DatesSaid::AddDate)}</button>
        </div>
    };
    frame(editor, field, control)
}

/// `2026-12-25` as `25 dic 2026`; anything else (a hand edit the server will point out) as it
/// is written.
fn day_as_read(day: &str, lang: crate::i18n::Lang) -> String {
    crate::time::file_day(day, lang, true).unwrap_or_else(|| day.to_string())
}

crate::i18n::page_texts!(ShiftsSaid {
    Closed => ("Cerrado", "Closed"),
    From => ("Desde", "From"),
    To => ("Hasta", "To"),
    AddShift => ("Añadir horario", "Add hours"),
    RemoveShift => ("Quitar este horario", "Remove these hours"),
});

/// A day's opening hours as time pickers, one pair per shift (`09:00-14:00` in the file), with
/// a button to add a shift and one to remove each; no shift reads "Cerrado". A shift written
/// by hand in another way the pickers cannot show (`mañana`) stays as a text box, so nothing is
/// lost and the server's problem for it shows underneath.
pub fn shifts_input<T>(
    editor: DocEditor<T>,
    field: Field,
    get: impl Fn() -> Vec<String> + Send + Sync + 'static,
    set: impl Fn(Vec<String>) + Send + Sync + 'static,
) -> AnyView
where
    T: Clone + PartialEq + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let (get, set) = (Signal::derive(get), Callback::new(set));
    let id = field.id.clone();
    // Changes one shift in place; the rows stay (and keep the keyboard's focus) as long as
    // their number does not change.
    let change = move |index: usize, range: String| {
        let mut ranges = get.get_untracked();
        if let Some(slot) = ranges.get_mut(index) {
            *slot = range;
            set.run(ranges);
        }
    };
    let count = Memo::new(move |_| get.with(Vec::len));
    let row = {
        let id = id.clone();
        move |index: usize| {
            let range = move || get.with(|r| r.get(index).cloned().unwrap_or_default());
            let times = move || shift_times(&range());
            let remove = move |_| {
                let mut ranges = get.get_untracked();
                if index < ranges.len() {
                    ranges.remove(index);
                    set.run(ranges);
                }
            };
            let (from_id, to_id) = (format!("{id}-{index}-from"), format!("{id}-{index}-to"));
            view! {
                <div class="shift">
                    {move || match times() {
                        Some(_) => view! {
                            <input type="time" id=from_id.clone() aria-label=i18n.t(ShiftsSaid::From)
                                prop:value=move || times().map(|(from, _)| from).unwrap_or_default()
                                on:change=move |ev| {
                                    let to = times().map(|(_, to)| to).unwrap_or_default();
                                    change(index, format!("{}-{to}", event_target_value(&ev)));
                                } />
                            <span aria-hidden="true">"–"</span>
                            <input type="time" id=to_id.clone() aria-label=i18n.t(ShiftsSaid::To)
                                prop:value=move || times().map(|(_, to)| to).unwrap_or_default()
                                on:change=move |ev| {
                                    let from = times().map(|(from, _)| from).unwrap_or_default();
                                    change(index, format!("{from}-{}", event_target_value(&ev)));
                                } />
                        }.into_any(),
                        None => view! {
                            <input type="text" id=from_id.clone() prop:value=range
                                on:input=move |ev| change(index, event_target_value(&ev)) />
                        }.into_any(),
                    }}
                    <button type="button" class="chip-remove" aria-label=i18n.t(ShiftsSaid::RemoveShift) on:click=remove>"✕"</button>
                </div>
            }
        }
    };
    let add = move |_| {
        let mut ranges = get.get_untracked();
        // A first shift of a working day; a second one for the afternoon.
        ranges.push(
            if ranges.is_empty() {
                "09:00-18:00"
            } else {
                "17:00-20:00"
            }
            .to_string(),
        );
        set.run(ranges);
    };
    let add_id = format!("{id}-add");
    let control = view! {
        <div class="shifts" id=id role="group">
            <For each=move || 0..count.get() key=|index| *index children=row />
            {move || (count.get() == 0).then(|| view! { <p class="shift-closed">{i18n.t(ShiftsSaid::Closed)}</p> })}
            <button type="button" class="button button-quiet shift-add" id=add_id on:click=add>
                "+ " {i18n.t(ShiftsSaid::AddShift)}
            </button>
        </div>
    };
    frame(editor, field, control)
}

/// A shift as the time pickers show it, read as the server reads hours: `9-14` is
/// `("09:00", "14:00")`, `17-20:30` is `("17:00", "20:30")`; `None` for what is not a range.
pub fn shift_times(range: &str) -> Option<(String, String)> {
    cocolu_core::engine::hours::parse_range(range).map(|r| r.picker_times())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_as_people_write_them_show_as_times_of_day() {
        let times = |a: &str, b: &str| Some((a.to_string(), b.to_string()));
        assert_eq!(shift_times("9-14"), times("09:00", "14:00"));
        assert_eq!(shift_times("17-20:30"), times("17:00", "20:30"));
        assert_eq!(shift_times(" 09:00 - 18:00 "), times("09:00", "18:00"));
        assert_eq!(shift_times("20-2"), times("20:00", "02:00"));
        // Every way the server reads a range shows on the pickers.
        assert_eq!(shift_times("9.30 – 14h"), times("09:30", "14:00"));
        assert_eq!(shift_times("18-24"), times("18:00", "00:00"));
        for unreadable in [
            "mañana", "9", "25-26", "9:60-10", "-", "9-", "123-4", "9:5:1-10",
        ] {
            assert_eq!(shift_times(unreadable), None, "{unreadable}");
        }
    }

    #[test]
    fn a_day_reads_as_it_is_written() {
        use crate::i18n::Lang;
        assert_eq!(day_as_read("2026-12-25", Lang::Es), "25 dic 2026");
        assert_eq!(day_as_read("2026-01-01", Lang::En), "1 Jan 2026");
        for unread in ["navidad", "2026-13-01", "2026-1-01", "26-12-25"] {
            assert_eq!(day_as_read(unread, Lang::Es), unread);
        }
    }
}
