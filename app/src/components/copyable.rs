//! A value with a button that puts it on the clipboard (a webhook URL, an invitation link).

use crate::components::{browser, toaster};
use crate::i18n::{use_i18n, Text};
use leptos::prelude::*;

/// A value with a button that copies it.
#[component]
pub fn Copyable(id: &'static str, #[prop(into)] value: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = toaster();
    let copy = move |_| {
        let text = value.get_untracked();
        leptos::task::spawn_local(async move {
            if browser::copy(text).await {
                toasts.ok(Text::Copied);
            } else {
                toasts.error(Text::CopyFailed, String::new());
            }
        });
    };
    view! {
        <span class="copyable">
            <code class="mono" id=id>{value}</code>
            <button type="button" class="button button-quiet copy-button" on:click=copy>{i18n.t(Text::Copy)}</button>
        </span>
    }
}
