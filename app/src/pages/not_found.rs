//! What an unknown address shows (the server answers it with status 404).

use crate::i18n::{use_i18n, Text};
use leptos::prelude::*;
use leptos_meta::Title;

/// The 404 page.
#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=i18n.t(Text::NotFoundTitle) />
        <main class="auth-page" id="content">
            <section class="auth-card">
                <h1>{i18n.t(Text::NotFoundTitle)}</h1>
                <p class="page-intro">{i18n.t(Text::NotFoundBody)}</p>
                <a class="back-link" href="/">{i18n.t(Text::BackToDashboard)}</a>
            </section>
        </main>
    }
}
