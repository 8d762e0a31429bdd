//! The header every page starts with, and the honest empty state a page shows until its data
//! exists.

use crate::i18n::{use_i18n, Text};
use leptos::prelude::*;
use leptos_meta::Title;

/// The page title (also the document title) and a one-line description.
#[component]
pub fn PageHeader(title: Text, intro: Text) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=i18n.t(title) />
        <header class="page-header">
            <h1>{i18n.t(title)}</h1>
            <p class="page-intro">{i18n.t(intro)}</p>
        </header>
    }
}

/// What a page says while it has nothing to show.
#[component]
pub fn EmptyState(text: Text) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="empty-state" role="status">
            <p>{i18n.t(text)}</p>
        </section>
    }
}
