//! The header every page starts with, a page's data with its loading and error states, and
//! figures.

use crate::api::ApiResult;
use crate::i18n::{use_i18n, Text, Words};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The page title (also the document title) and a one-line description.
#[component]
pub fn PageHeader(#[prop(into)] title: Words, #[prop(into)] intro: Words) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=i18n.t(title) />
        <header class="page-header">
            <h1>{i18n.t(title)}</h1>
            <p class="page-intro">{i18n.t(intro)}</p>
        </header>
    }
}

/// A page's data from the API: a loading line while it first loads, the error if it could not
/// be read, else `show` of it. Reloads keep the last view until the new data is there.
pub fn with_data<T, V>(
    resource: Resource<ApiResult<T>>,
    show: impl Fn(T) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    let i18n = use_i18n();
    view! {
        <Transition fallback=move || {
            view! { <p class="loading" role="status">{i18n.t(Text::Loading)}</p> }
        }>
            {move || {
                let show = show.clone();
                Suspend::new(async move {
                match resource.await {
                    Ok(data) => show(data).into_any(),
                    Err(error) => {
                        view! {
                            <p class="notice notice-error" role="alert">
                                {i18n.t(Text::LoadFailed)}
                                " ("
                                {error}
                                ")"
                            </p>
                        }
                            .into_any()
                    }
                }
            })
            }}
        </Transition>
    }
}

/// One number (or short value) with its label.
#[component]
pub fn Figure(
    #[prop(into)] label: Words,
    value: String,
    #[prop(optional)] id: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="figure" id=id>
            <span class="figure-value">{value}</span>
            <span class="figure-label">{i18n.t(label)}</span>
        </div>
    }
}

/// Said while the page's live connection is down (it is retried meanwhile).
#[component]
pub fn ConnectionLost(connected: ReadSignal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        {move || (!connected.get()).then(|| view! {
            <p class="notice notice-error" role="alert" id="connection-lost">
                {i18n.t(Text::ConnectionLost)}
            </p>
        })}
    }
}
