//! Toasts: a short line in the corner saying a save worked or why it failed. The layout
//! provides the list and shows it; a page takes a [`Toaster`] with [`toaster`] while it is
//! built and uses it from its event handlers and tasks.

use crate::api::Failure;
use crate::i18n::{use_i18n, I18n, Text, Words};
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
    text: Words,
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

/// Shows toasts; `Copy`, so handlers and tasks can keep it.
#[derive(Clone, Copy)]
pub struct Toaster(Option<Toasts>, I18n);

/// The layout's toasts (call it while the component is built).
pub fn toaster() -> Toaster {
    Toaster(use_context::<Toasts>(), use_i18n())
}

impl Toaster {
    /// A success.
    pub fn ok(self, text: impl Into<Words>) {
        self.show(Tone::Ok, text, None);
    }

    /// A refused or failed request: `text`, then why, in the dashboard's language.
    pub fn failed(self, text: impl Into<Words>, failure: Failure) {
        let text = text.into();
        let lang = self.1 .0.get_untracked();
        leptos::task::spawn_local(async move {
            let why = crate::faults::failure_in(failure, lang).await;
            self.error(text, why);
        });
    }

    /// Something refused in the browser before asking the server: `text`, then why.
    pub fn refused(self, text: impl Into<Words>, fault: cocolu_core::fault::Fault) {
        let text = text.into();
        let lang = self.1 .0.get_untracked();
        leptos::task::spawn_local(async move {
            let why = crate::faults::fault_in(fault, lang).await;
            self.error(text, why);
        });
    }

    /// A failure, with words that say why.
    pub fn error(self, text: impl Into<Words>, detail: impl Into<String>) {
        self.show(Tone::Error, text, Some(detail.into()));
    }

    /// Takes away the failures on screen: what they reported has since worked.
    pub fn clear_failures(self) {
        if let Some(toasts) = self.0 {
            toasts.list.try_update(drop_failures);
        }
    }

    /// Shows `text`, then `detail` when there is one.
    pub fn show(self, tone: Tone, text: impl Into<Words>, detail: Option<String>) {
        if let Some(toasts) = self.0 {
            push_toast(toasts, tone, text.into(), detail);
        }
    }
}

/// Takes the failures out of the toasts on screen.
fn drop_failures(list: &mut Vec<Toast>) {
    list.retain(|t| t.tone != Tone::Error);
}

fn push_toast(toasts: Toasts, tone: Tone, text: Words, detail: Option<String>) {
    // A late answer may come after the layout (and its toasts) went: nothing to show then.
    let Some(id) = toasts.next.try_get_value() else {
        return;
    };
    toasts.next.set_value(id + 1);
    toasts.list.update(|list| {
        // A success answers the failures before it: they would otherwise stay beside it.
        if tone == Tone::Ok {
            drop_failures(list);
        }
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
        move || {
            // Signed out meanwhile: the toasts went with the layout.
            toasts.list.try_update(|list| list.retain(|t| t.id != id));
        },
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
