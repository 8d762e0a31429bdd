//! Toasts: a short line in the corner saying a save worked or why it failed. The layout
//! provides the list and shows it; pages call [`toast`].

use crate::i18n::{use_i18n, Text};
use leptos::prelude::*;
use std::time::Duration;

/// Whether a toast reports a success or a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Error,
}

#[derive(Clone, Debug, PartialEq)]
struct Toast {
    id: u64,
    tone: Tone,
    text: Text,
    detail: Option<String>,
}

/// The toasts on screen, provided by the layout.
#[derive(Clone, Copy)]
pub struct Toasts {
    list: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

impl Toasts {
    fn new() -> Toasts {
        Toasts {
            list: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
        }
    }
}

/// How long a toast stays: successes briefly, failures long enough to read.
fn lifetime(tone: Tone) -> Duration {
    match tone {
        Tone::Ok => Duration::from_secs(4),
        Tone::Error => Duration::from_secs(9),
    }
}

/// Shows a toast: `text`, then `detail` (the server's words) when there is one.
pub fn toast(tone: Tone, text: Text, detail: Option<String>) {
    let Some(toasts) = use_context::<Toasts>() else {
        return;
    };
    let id = toasts.next.get_value();
    toasts.next.set_value(id + 1);
    toasts.list.update(|list| {
        list.push(Toast {
            id,
            tone,
            text,
            detail,
        });
        if list.len() > 4 {
            list.remove(0);
        }
    });
    set_timeout(
        move || toasts.list.update(|list| list.retain(|t| t.id != id)),
        lifetime(tone),
    );
}

/// Provides the toasts to the pages below and shows them.
#[component]
pub fn ToastRegion() -> impl IntoView {
    let i18n = use_i18n();
    let toasts = Toasts::new();
    provide_context(toasts);
    view! {
        <div class="toasts" role="status" aria-live="polite" id="toasts">
            <For each=move || toasts.list.get() key=|t| t.id let:t>
                <div class="toast" data-tone=match t.tone {
                    Tone::Ok => "ok",
                    Tone::Error => "error",
                }>
                    <span>{i18n.t(t.text)}</span>
                    {t.detail.clone().map(|d| view! { <span class="toast-detail">{d}</span> })}
                    <button
                        type="button"
                        class="toast-close"
                        aria-label=i18n.t(Text::Close)
                        on:click=move |_| toasts.list.update(|list| list.retain(|x| x.id != t.id))
                    >
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
