//! The dashboard's pages, rendered by Leptos on the server and hydrated in the browser.
//! Each render gets the visitor's language (from its cookie) and a CSP whose nonce matches
//! the inline scripts Leptos streams; unknown addresses render the app's 404 page.

use super::security::page_csp;
use crate::assets;
use crate::state::AppState;
use app::i18n::Lang;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::Router;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{generate_route_list, LeptosRoutes, ResponseOptions};

pub fn router(state: &AppState) -> Router<AppState> {
    let links = assets::links();
    let page = move || app::shell(links.clone());
    let not_found = leptos_axum::render_app_to_stream_with_context(page_context, page.clone());
    Router::new()
        .leptos_routes_with_context(state, generate_route_list(app::App), page_context, page)
        .fallback(move |request: Request| {
            let not_found = not_found.clone();
            async move {
                let mut response = not_found(request).await;
                *response.status_mut() = StatusCode::NOT_FOUND;
                response
            }
        })
}

/// Runs inside every page render, after Leptos provided the request and response contexts.
fn page_context() {
    let lang = use_context::<Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(header::COOKIE)
                .and_then(|v| v.to_str().ok())
                .map(Lang::from_cookie_header)
        })
        .unwrap_or_default();
    provide_context(lang);

    if let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
    {
        if let Ok(value) = HeaderValue::from_str(&page_csp(&nonce.to_string())) {
            response.insert_header(header::CONTENT_SECURITY_POLICY, value);
        }
    }
}
