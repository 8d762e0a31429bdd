//! The dashboard's pages, rendered by Leptos on the server and hydrated in the browser.
//! Each render gets the visitor's language (from its cookie) and a CSP whose nonce matches
//! the inline scripts Leptos streams; unknown addresses render the app's 404 page.

use super::security::page_csp;
use super::state::AppState;
use crate::assets;
use app::api::{Answer, ApiCaller};
use app::i18n::Lang;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{generate_route_list, LeptosRoutes, ResponseOptions};
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

pub fn router(state: &AppState) -> Router<AppState> {
    let links = assets::links();
    let page = move || app::shell(links.clone());
    // Pages read the same API as scripts; while rendering, it is called in-process.
    let api: Router = Router::new()
        .nest("/api", super::api::router(state))
        .with_state(state.clone());
    let context = move || page_context(&api);
    let not_found = leptos_axum::render_app_to_stream_with_context(context.clone(), page.clone());
    Router::new()
        .leptos_routes_with_context(state, generate_route_list(app::App), context, page)
        .fallback(move |request: Request| {
            let not_found = not_found.clone();
            async move {
                let mut response = not_found(request).await;
                *response.status_mut() = StatusCode::NOT_FOUND;
                response
            }
        })
}

/// The largest page rendered (the busiest inbox is far smaller).
const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// Renders a page to its end in a task of its own, then answers with the whole page.
///
/// Leptos keeps a page's reactive state in an arena that is only reachable while its render
/// is being polled; a render dropped half-way (the visitor closed the connection) drops that
/// state outside it, which panics, and a panic ends the process. A render that always runs to
/// its end cannot be dropped half-way, whatever the visitor does. Pages are small and render
/// in milliseconds, so sending them whole costs nothing a person notices.
pub async fn render_whole(request: Request, next: axum::middleware::Next) -> Response {
    let rendered = tokio::spawn(async move {
        let (parts, body) = next.run(request).await.into_parts();
        (parts, axum::body::to_bytes(body, MAX_PAGE_BYTES).await)
    })
    .await;
    match rendered {
        Ok((parts, Ok(page))) => Response::from_parts(parts, axum::body::Body::from(page)),
        Ok((_, Err(error))) => {
            tracing::error!(%error, "a page could not be rendered whole");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Err(error) => {
            tracing::error!(%error, "a page's render stopped");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The page request's headers an API request made for it carries: who the visitor is and
/// how they reached the server (so the API sees the same client, host and scheme).
const CARRIED: [&str; 5] = [
    "cookie",
    "host",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-real-ip",
];

/// Answers the page's API requests in-process, as the visitor.
fn api_caller(api: &Router, page: Option<Parts>) -> ApiCaller {
    let api = api.clone();
    let headers: Vec<(&'static str, HeaderValue)> = page
        .as_ref()
        .map(|parts| {
            CARRIED
                .iter()
                .filter_map(|name| parts.headers.get(*name).map(|v| (*name, v.clone())))
                .collect()
        })
        .unwrap_or_default();
    let peer = page.and_then(|parts| parts.extensions.get::<ConnectInfo<SocketAddr>>().cloned());
    ApiCaller(Arc::new(move |path: String| {
        let (api, headers, peer) = (api.clone(), headers.clone(), peer);
        Box::pin(async move {
            let mut request = axum::http::Request::get(&path);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            if let Some(peer) = peer {
                request = request.extension(peer);
            }
            let request = request
                .body(axum::body::Body::empty())
                .map_err(|e| e.to_string())?;
            let response = api.oneshot(request).await.map_err(|e| e.to_string())?;
            let status = response.status();
            let next_cursor = response
                .headers()
                .get("x-next-cursor")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = axum::body::to_bytes(response.into_body(), 8 * 1024 * 1024)
                .await
                .map_err(|e| e.to_string())?;
            if !status.is_success() {
                return Err(format!("the server answered {status}"));
            }
            let body = String::from_utf8(body.to_vec()).map_err(|e| e.to_string())?;
            Ok(Answer { body, next_cursor })
        })
    }))
}

/// Runs inside every page render, after Leptos provided the request and response contexts.
fn page_context(api: &Router) {
    provide_context(api_caller(api, use_context::<Parts>()));
    let lang = use_context::<Parts>()
        .and_then(|parts| {
            super::access::cookie(&parts.headers, app::i18n::LANG_COOKIE).map(Lang::from_code)
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
