//! What an unknown address shows (the server answers it with status 404).

use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos_meta::Title;

crate::i18n::page_texts!(NotFoundSaid {
    BackToDashboard => ("Volver al panel", "Back to the dashboard"),
    NotFoundTitle => ("Página no encontrada", "Page not found"),
    NotFoundBody => (
        "La dirección no corresponde a ninguna página del panel.",
        "This address is not a page of the dashboard.",
            ),
});

/// The 404 page.
#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=i18n.t(NotFoundSaid::NotFoundTitle) />
        <main class="auth-page" id="content">
            <section class="auth-card">
                <h1>{i18n.t(NotFoundSaid::NotFoundTitle)}</h1>
                <p class="page-intro">{i18n.t(NotFoundSaid::NotFoundBody)}</p>
                <a class="back-link" href="/">{i18n.t(NotFoundSaid::BackToDashboard)}</a>
            </section>
        </main>
    }
}
