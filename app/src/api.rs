//! How pages read the Cocolu API: the same REST API scripts use. In the browser a page's
//! data comes with `fetch` (the session cookie rides along, same origin). While the server
//! renders a page, the same request goes to the API router in-process through the
//! [`ApiCaller`] the server provides, with the visitor's cookie, so the page is rendered with
//! its data and the browser reuses it when hydrating instead of asking again.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A `GET` of the API answered in-process (provided by the server while rendering).
pub type CallFuture = Pin<Box<dyn Future<Output = Result<String, String>> + Send>>;

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
        let text = request.await?;
        serde_json::from_str(&text).map_err(|e| format!("unexpected answer: {e}"))
    }
}

#[cfg(not(feature = "hydrate"))]
async fn fetch_text(path: String, caller: Option<ApiCaller>) -> ApiResult<String> {
    match caller {
        Some(ApiCaller(call)) => call(path).await,
        None => Err("the API cannot be reached from here".to_string()),
    }
}

#[cfg(feature = "hydrate")]
fn fetch_text(
    path: String,
    _caller: Option<ApiCaller>,
) -> impl Future<Output = ApiResult<String>> + Send + 'static {
    // Browser futures are not `Send`; the page runs on one thread, so this is sound.
    leptos::__reexports::send_wrapper::SendWrapper::new(async move {
        use wasm_bindgen::JsCast;
        use wasm_bindgen_futures::JsFuture;
        let describe = |e: wasm_bindgen::JsValue| format!("{e:?}");
        let window = web_sys::window().ok_or("no window")?;
        let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&path))
            .await
            .map_err(describe)?
            .dyn_into()
            .map_err(describe)?;
        if !response.ok() {
            return Err(format!("the server answered {}", response.status()));
        }
        let text = JsFuture::from(response.text().map_err(describe)?)
            .await
            .map_err(describe)?;
        text.as_string().ok_or_else(|| "not text".to_string())
    })
}

/// `/api/auth/me`: who is signed in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub user: Option<MeUser>,
    pub role: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MeUser {
    pub username: String,
    #[serde(default)]
    pub name: String,
}

impl Me {
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }
}

/// `/api/status`, as the overview reads it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub channel: ChannelStatus,
    pub counts: Counts,
    pub today: Today,
    #[serde(default)]
    pub alerts: Vec<Alert>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelStatus {
    pub app_secret_set: bool,
    pub access_token_set: bool,
    pub phone_number_id: Option<String>,
    pub last_webhook_local: Option<String>,
    pub token_refused_at: Option<i64>,
}

impl ChannelStatus {
    /// Everything needed to receive and send is set.
    pub fn configured(&self) -> bool {
        self.app_secret_set && self.access_token_set && self.phone_number_id.is_some()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    pub conversations: u64,
    pub outbox_pending: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Today {
    pub received: u64,
    pub bot_replies: u64,
    pub agent_replies: u64,
    pub failed: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub kind: String,
    pub message: String,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default)]
    pub file: Option<String>,
}

/// `/api/stats`, as the analytics page reads it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub time_zone: String,
    pub points: Vec<StatsPoint>,
    pub totals: StatsPoint,
    pub first_response: FirstResponses,
    pub top_rules: Vec<RuleCount>,
    pub heatmap: Vec<Vec<u32>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsPoint {
    #[serde(default)]
    pub bucket: String,
    pub received: u32,
    pub bot_replies: u32,
    pub agent_replies: u32,
    pub failed: u32,
    pub new_contacts: u32,
    pub active_contacts: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FirstResponses {
    pub bot: Median,
    pub people: Median,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Median {
    pub count: u32,
    pub median_at_most_ms: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleCount {
    pub rule: String,
    pub answers: u32,
}
