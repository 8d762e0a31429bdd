//! How pages read the Cocolu API: the same REST API scripts use. In the browser a page's
//! data comes with `fetch` (the session cookie rides along, same origin). While the server
//! renders a page, the same request goes to the API router in-process through the
//! [`ApiCaller`] the server provides, with the visitor's cookie, so the page is rendered with
//! its data and the browser reuses it when hydrating instead of asking again.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What a `GET` of the API answered: the body, and the `X-Next-Cursor` of a paged answer.
pub struct Answer {
    pub body: String,
    pub next_cursor: Option<String>,
}

/// A `GET` of the API answered in-process (provided by the server while rendering).
pub type CallFuture = Pin<Box<dyn Future<Output = Result<Answer, String>> + Send>>;

/// Answers `GET path` with the body, as the visitor of the page being rendered.
#[derive(Clone)]
pub struct ApiCaller(pub Arc<dyn Fn(String) -> CallFuture + Send + Sync>);

/// What went wrong reading the API, in words for the page.
pub type ApiResult<T> = Result<T, String>;

/// `GET path` of the API as `T`. Call it where the page is built (it reads the context
/// synchronously) and await the future it returns.
pub fn get_json<T: DeserializeOwned + Send + 'static>(
    path: &str,
) -> impl Future<Output = ApiResult<T>> + Send + 'static {
    let path = path.to_string();
    let caller = leptos::prelude::use_context::<ApiCaller>();
    let request = fetch_text(path, caller);
    async move {
        let answer = request.await?;
        serde_json::from_str(&answer.body).map_err(|e| format!("unexpected answer: {e}"))
    }
}

/// Reads `T` from a part of an answer already parsed as JSON (`answer["problems"]`). It goes
/// through the text reader on purpose: every type is then read by one reader in the browser's
/// bundle instead of two (text and `Value`), a saving of tens of kilobytes for the parts'
/// few microseconds.
pub fn from_part<T: DeserializeOwned>(part: &serde_json::Value) -> Result<T, serde_json::Error> {
    serde_json::from_str(&part.to_string())
}

/// A paged `GET path` of the API: `T` and the cursor of the page before it, if any.
pub fn get_paged<T: DeserializeOwned + Send + 'static>(
    path: &str,
) -> impl Future<Output = ApiResult<(T, Option<String>)>> + Send + 'static {
    let path = path.to_string();
    let caller = leptos::prelude::use_context::<ApiCaller>();
    let request = fetch_text(path, caller);
    async move {
        let answer = request.await?;
        serde_json::from_str(&answer.body)
            .map(|value| (value, answer.next_cursor))
            .map_err(|e| format!("unexpected answer: {e}"))
    }
}

#[cfg(not(feature = "hydrate"))]
async fn fetch_text(path: String, caller: Option<ApiCaller>) -> ApiResult<Answer> {
    match caller {
        Some(ApiCaller(call)) => call(path).await,
        None => Err("the API cannot be reached from here".to_string()),
    }
}

#[cfg(feature = "hydrate")]
fn fetch_text(
    path: String,
    _caller: Option<ApiCaller>,
) -> impl Future<Output = ApiResult<Answer>> + Send + 'static {
    // The request starts now, not when the future is first awaited: a page that reads two
    // answers has both on the way at once.
    let request = web_sys::window().map(|window| window.fetch_with_str(&path));
    // Browser futures are not `Send`; the page runs on one thread, so this is sound.
    leptos::__reexports::send_wrapper::SendWrapper::new(async move {
        use wasm_bindgen::JsCast;
        use wasm_bindgen_futures::JsFuture;
        let describe = |e: wasm_bindgen::JsValue| format!("{e:?}");
        let request = request.ok_or("no window")?;
        let response: web_sys::Response = JsFuture::from(request)
            .await
            .map_err(describe)?
            .dyn_into()
            .map_err(describe)?;
        if !response.ok() {
            return Err(format!("the server answered {}", response.status()));
        }
        let next_cursor = response.headers().get("x-next-cursor").ok().flatten();
        let text = JsFuture::from(response.text().map_err(describe)?)
            .await
            .map_err(describe)?;
        let body = text.as_string().ok_or_else(|| "not text".to_string())?;
        Ok(Answer { body, next_cursor })
    })
}

/// A refused or failed change, as the page reports it: the API's stable code and its words.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// The HTTP status (0 when the server could not be reached).
    pub status: u16,
    /// `invalid`, `conflict`, `outside_window`, ... (`network` when unreachable).
    pub code: String,
    /// For people, in English (the dashboard words `faults` and `code` itself).
    pub message: String,
    /// What is wrong, as codes and parameters.
    pub faults: Vec<cocolu_core::fault::FaultJson>,
    /// More, for some codes: the other version in a conflict, located problems.
    pub details: Option<serde_json::Value>,
}

impl Failure {
    fn network(message: String) -> Failure {
        Failure {
            status: 0,
            code: "network".into(),
            message,
            faults: Vec::new(),
            details: None,
        }
    }

    /// The located problems of an `invalid` answer.
    pub fn problems(&self) -> Vec<cocolu_core::document::FileProblem> {
        self.details
            .as_ref()
            .and_then(|details| from_part(&details["problems"]).ok())
            .unwrap_or_default()
    }

    /// Reads the API's `{"error": {...}}` answer.
    fn of_answer(status: u16, body: &str) -> Failure {
        #[derive(Deserialize)]
        struct Envelope {
            error: Inner,
        }
        #[derive(Deserialize)]
        struct Inner {
            code: String,
            message: String,
            #[serde(default)]
            faults: Vec<cocolu_core::fault::FaultJson>,
            #[serde(default)]
            details: Option<serde_json::Value>,
        }
        match serde_json::from_str::<Envelope>(body) {
            Ok(Envelope { error }) => Failure {
                status,
                code: error.code,
                message: error.message,
                faults: error.faults,
                details: error.details,
            },
            Err(_) => Failure {
                status,
                code: "server".into(),
                message: format!("the server answered {status}"),
                faults: Vec::new(),
                details: None,
            },
        }
    }
}

/// A path segment with everything but unreserved characters percent-encoded.
pub fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `method path` with a JSON body, as the signed-in person (session cookie and CSRF token).
/// Only the browser changes things; while rendering on the server this fails.
pub async fn send<T: DeserializeOwned>(
    method: &'static str,
    path: String,
    body: Option<serde_json::Value>,
) -> Result<T, Failure> {
    let payload = match body {
        Some(body) => Payload::Json(body.to_string()),
        None => Payload::Empty,
    };
    answer_of(send_text(method, &path, payload).await?)
}

/// A file picked in the browser, to send as a request's body.
#[cfg(feature = "hydrate")]
pub type PickedFile = web_sys::File;
/// While rendering on the server no file is ever picked.
#[cfg(not(feature = "hydrate"))]
#[derive(Clone, Debug)]
pub struct PickedFile;

/// What a request carries.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Payload {
    Empty,
    Json(String),
    /// A file as it is, with its type.
    File(PickedFile, &'static str),
}

/// `POST path` with a file as the body (its `content_type` given), as the signed-in person.
pub async fn upload<T: DeserializeOwned>(
    path: String,
    file: PickedFile,
    content_type: &'static str,
) -> Result<T, Failure> {
    answer_of(send_text("POST", &path, Payload::File(file, content_type)).await?)
}

fn answer_of<T: DeserializeOwned>((status, text): (u16, String)) -> Result<T, Failure> {
    if !(200..300).contains(&status) {
        return Err(Failure::of_answer(status, &text));
    }
    let text = if text.trim().is_empty() {
        "null"
    } else {
        &text
    };
    serde_json::from_str(text).map_err(|e| Failure::network(format!("unexpected answer: {e}")))
}

#[cfg(not(feature = "hydrate"))]
async fn send_text(_: &str, _: &str, _: Payload) -> Result<(u16, String), Failure> {
    Err(Failure::network("changes are made from the browser".into()))
}

#[cfg(feature = "hydrate")]
thread_local! {
    /// The session's CSRF token, read once from `/api/auth/me`.
    static CSRF: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

#[cfg(feature = "hydrate")]
async fn send_text(method: &str, path: &str, body: Payload) -> Result<(u16, String), Failure> {
    if CSRF.with_borrow(Option::is_none) {
        let me: cocolu_core::api::accounts::Me =
            get_json("/api/auth/me").await.map_err(Failure::network)?;
        CSRF.set(me.csrf_token);
    }
    let token = CSRF.with_borrow(Clone::clone).unwrap_or_default();
    let (status, text) = browser_request(method, path, body, &token)
        .await
        .map_err(Failure::network)?;
    if status == 403 && text.contains("\"csrf\"") {
        // The session changed (signed in again in another tab): read the token again.
        CSRF.set(None);
    }
    Ok((status, text))
}

#[cfg(feature = "hydrate")]
async fn browser_request(
    method: &str,
    path: &str,
    body: Payload,
    csrf: &str,
) -> Result<(u16, String), String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let describe = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let headers = web_sys::Headers::new().map_err(describe)?;
    headers.set("x-csrf-token", csrf).map_err(describe)?;
    match body {
        Payload::Empty => {}
        Payload::Json(body) => {
            headers
                .set("content-type", "application/json")
                .map_err(describe)?;
            init.set_body(&wasm_bindgen::JsValue::from_str(&body));
        }
        Payload::File(file, content_type) => {
            headers
                .set("content-type", content_type)
                .map_err(describe)?;
            init.set_body(&file);
        }
    }
    init.set_headers(&headers);
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(path, &init))
        .await
        .map_err(describe)?
        .dyn_into()
        .map_err(describe)?;
    let text = JsFuture::from(response.text().map_err(describe)?)
        .await
        .map_err(describe)?;
    Ok((response.status(), text.as_string().unwrap_or_default()))
}
