//! Cocolu's dashboard, shared by the server (feature `ssr`, which renders it) and the
//! browser (feature `hydrate`, which makes the server's HTML interactive).
//!
//! Nothing in this crate knows about the server crate: what the server must tell the pages
//! (where the embedded assets are, which language the request asked for) comes in as plain
//! values through [`shell`] and the reactive context.

#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod faults;
pub mod i18n;
pub mod live;
pub mod pages;
pub mod time;
pub mod whatsapp;

use i18n::{I18n, Lang};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, Lazy,
};

/// Where the embedded, content-hashed assets are served; the server fills this in from the
/// bundle that `build.rs` embedded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssetLinks {
    /// The stylesheet.
    pub css: String,
    /// The wasm-bindgen JavaScript glue.
    pub js: String,
    /// The WebAssembly module.
    pub wasm: String,
    /// The small module that loads the glue and starts hydration.
    pub boot: String,
    /// The loader of the pages' code (the glue imports it).
    pub loader: String,
    /// The favicon.
    pub icon: String,
}

/// The whole HTML document around [`App`]; only ever rendered on the server.
pub fn shell(assets: AssetLinks) -> impl IntoView {
    let lang = use_context::<Lang>().unwrap_or_default();
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" type="image/svg+xml" href=assets.icon />
                <link rel="stylesheet" href=assets.css />
                <link rel="modulepreload" href=assets.js />
                <link rel="modulepreload" href=assets.loader />
                <link rel="preload" href=assets.wasm r#as="fetch" r#type="application/wasm" crossorigin="" />
                <script type="module" src=assets.boot></script>
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// After a fault in the page's own code nothing on it answers any more: say so, in the
/// page's language, instead of leaving a page that silently ignores every click.
#[cfg(feature = "hydrate")]
fn crashed() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.get_element_by_id("app-crashed").is_some() {
        return;
    }
    let lang = document
        .document_element()
        .and_then(|root| root.get_attribute("lang"))
        .map_or(Lang::Es, |code| Lang::from_code(&code));
    if let (Ok(notice), Some(body)) = (document.create_element("p"), document.body()) {
        notice.set_id("app-crashed");
        notice.set_class_name("app-crashed");
        let _ = notice.set_attribute("role", "alert");
        notice.set_text_content(Some(i18n::Text::AppCrashed.get(lang)));
        let _ = body.append_child(&notice);
    }
}

/// A page's title as the tab shows it.
pub fn page_title(page: String) -> String {
    if page.is_empty() {
        "Cocolu".to_string()
    } else {
        format!("{page} · Cocolu")
    }
}

/// The dashboard: routes and the pages behind them.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let lang = use_context::<Lang>().unwrap_or_else(components::browser::stored_lang);
    let i18n = I18n(RwSignal::new(lang));
    provide_context(i18n);

    view! {
        <Title formatter=page_title />
        <Router>
            <Routes fallback=pages::NotFound>
                <Route path=path!("/login") view={Lazy::<pages::LoginRoute>::new()} />
                <Route path=path!("/setup") view={Lazy::<pages::SetupRoute>::new()} />
                <Route path=path!("/register") view={Lazy::<pages::RegisterRoute>::new()} />
                <ParentRoute path=path!("") view=components::Layout>
                    <Route path=path!("") view={Lazy::<pages::OverviewRoute>::new()} />
                    <Route path=path!("inbox") view={Lazy::<pages::InboxRoute>::new()} />
                    <Route path=path!("rules") view={Lazy::<pages::RulesRoute>::new()} />
                    <Route path=path!("templates") view={Lazy::<pages::TemplatesRoute>::new()} />
                    <Route path=path!("quick-replies") view={Lazy::<pages::QuickRepliesRoute>::new()} />
                    <Route path=path!("analytics") view={Lazy::<pages::AnalyticsRoute>::new()} />
                    <Route path=path!("settings") view={Lazy::<pages::SettingsRoute>::new()} />
                    <Route path=path!("users") view={Lazy::<pages::UsersRoute>::new()} />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The browser's entry point, called by the boot module once the wasm is loaded.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // The message names the place in the source; the shipped module has no names for a
    // stack trace to add.
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&info.to_string().into());
        crashed();
    }));
    // The page's code is a chunk loaded on demand: hydration waits for it.
    wasm_bindgen_futures::spawn_local(async {
        leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), App)
            .await
            .forget();
        // Lets the stylesheet (and anyone inspecting the page) tell a live page from static
        // HTML.
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}
