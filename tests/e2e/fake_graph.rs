//! A stand-in for Meta's Graph API (the one part of the world the tests cannot reach). It
//! answers like Meta (`messages`, read receipts, the phone number, approved templates, and
//! Meta's error shape), records every request, and can be told how to answer the next sends:
//! 5xx, 429, a Meta error code, or slowly.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The only token the stand-in accepts.
pub const ACCESS_TOKEN: &str = "test-access-token";
pub const PHONE_NUMBER_ID: &str = "PNID";
pub const WABA_ID: &str = "WABA";

/// One request the stand-in received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
}

/// How to answer a message send.
#[derive(Clone, Debug)]
pub enum Answer {
    Accept,
    Status(u16),
    MetaError {
        status: u16,
        code: i64,
        message: &'static str,
    },
    Slow(Duration),
}

/// The bytes the stand-in serves for media id `id` (`MEDIA_BIG...` ids are 4 KB).
pub fn media_bytes(id: &str) -> Vec<u8> {
    let size = if id.starts_with("MEDIA_BIG") {
        4096
    } else {
        300
    };
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend(id.bytes().cycle().take(size - 4));
    bytes
}

#[derive(Default)]
struct Shared {
    url: Mutex<String>,
    seen: Mutex<Vec<Seen>>,
    script: Mutex<VecDeque<Answer>>,
    ids: AtomicU64,
}

/// A running stand-in.
#[derive(Clone)]
pub struct FakeGraph {
    pub url: String,
    shared: Arc<Shared>,
}

fn meta_error(status: u16, code: i64, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = json!({"error": {"message": message, "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": message}, "fbtrace_id": "AbCdEf"}});
    (status, Json(body)).into_response()
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    shared.seen.lock().expect("lock").push(Seen {
        method: method.clone(),
        path: path.clone(),
        authorization: authorization.clone(),
        body: body.clone(),
    });

    if authorization.as_deref() != Some(&format!("Bearer {ACCESS_TOKEN}")) {
        return meta_error(
            401,
            190,
            "Error validating access token: Session has expired.",
        );
    }
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("POST", [_, phone, "messages"]) if *phone == PHONE_NUMBER_ID => {
            if body["status"] == "read" {
                return Json(json!({"success": true})).into_response();
            }
            let answer = shared.script.lock().expect("lock").pop_front().unwrap_or(Answer::Accept);
            match answer {
                Answer::Status(status) => return (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), "").into_response(),
                Answer::MetaError { status, code, message } => return meta_error(status, code, message),
                Answer::Slow(delay) => tokio::time::sleep(delay).await,
                Answer::Accept => {}
            }
            let n = shared.ids.fetch_add(1, Ordering::Relaxed);
            let input = body.get("to").or_else(|| body.get("recipient")).cloned().unwrap_or(Value::Null);
            Json(json!({"messaging_product": "whatsapp", "contacts": [{"input": input, "wa_id": input}],
                "messages": [{"id": format!("wamid.fake.{n}"), "message_status": "accepted"}]}))
            .into_response()
        }
        ("GET", ["download", id]) => media_bytes(id).into_response(),
        ("GET", [_, id]) if id.starts_with("MEDIA") => {
            let url = shared.url.lock().expect("lock").clone();
            Json(json!({"url": format!("{url}/download/{id}"), "mime_type": "image/jpeg",
                "sha256": "abc", "file_size": media_bytes(id).len(), "id": id, "messaging_product": "whatsapp"}))
            .into_response()
        }
        ("GET", [_, phone]) if *phone == PHONE_NUMBER_ID => Json(json!({
            "verified_name": "Mi Tienda", "display_phone_number": "+58 412-0000000",
            "quality_rating": "GREEN", "id": PHONE_NUMBER_ID
        }))
        .into_response(),
        ("GET", [_, waba, "message_templates"]) if *waba == WABA_ID => Json(json!({"data": [
            {"name": "seguimiento", "language": "es", "status": "APPROVED", "category": "UTILITY",
             "components": [{"type": "BODY", "text": "Hola {{1}}, ¿seguimos con tu pedido?"}], "id": "1"},
            {"name": "borrador", "language": "es", "status": "REJECTED", "category": "MARKETING", "components": [], "id": "2"}
        ], "paging": {"cursors": {"before": "a", "after": "b"}}}))
        .into_response(),
        _ => meta_error(400, 100, "Unsupported request"),
    }
}

impl FakeGraph {
    pub async fn start() -> FakeGraph {
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        *shared.url.lock().expect("lock") = url.clone();
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeGraph { url, shared }
    }

    /// Answers the next message sends in this order (then accepts again).
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.shared.script.lock().expect("lock").extend(answers);
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().expect("lock").clone()
    }

    /// Bodies of the message sends (not read receipts) so far.
    pub fn sends(&self) -> Vec<Value> {
        self.seen()
            .into_iter()
            .filter(|s| {
                s.method == "POST" && s.path.ends_with("/messages") && s.body["status"] != "read"
            })
            .map(|s| s.body)
            .collect()
    }

    /// Waits until `count` sends arrived (at most `limit`), returning them.
    pub async fn wait_for_sends(&self, count: usize, limit: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let sends = self.sends();
            if sends.len() >= count || tokio::time::Instant::now() >= deadline {
                return sends;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
