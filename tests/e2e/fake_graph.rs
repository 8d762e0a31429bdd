//! A stand-in for Meta's Graph API (the one part of the world the tests cannot reach). It
//! answers like Meta (`messages`, read receipts, media uploads, the phone number, approved
//! templates, and Meta's error shape), records every request, and can be told how to answer the next sends:
//! 5xx, 429, a Meta error code, or slowly.
//!
//! Media ids choose how their download goes: `MEDIA_BIG...` files are 4 KB;
//! `MEDIA_UNANNOUNCED...` ones do not say their size, in the answer or in the download;
//! `MEDIA_SLOW...` downloads take a moment (the stand-in counts how many run at once); and
//! `MEDIA_ELSEWHERE...` ones are said to be on another host, a second listener that records
//! what reaches it.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The only token the stand-in accepts.
pub const ACCESS_TOKEN: &str = "test-access-token";
pub const PHONE_NUMBER_ID: &str = "106540352242922";
pub const WABA_ID: &str = "102290129340398";

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

/// The bytes the stand-in serves for media id `id` (`MEDIA_BIG...` and
/// `MEDIA_UNANNOUNCED...` ids are 4 KB).
pub fn media_bytes(id: &str) -> Vec<u8> {
    let size = if id.starts_with("MEDIA_BIG") || id.starts_with("MEDIA_UNANNOUNCED") {
        4096
    } else {
        300
    };
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend(id.bytes().cycle().take(size - 4));
    bytes
}

/// A file uploaded to `POST /{version}/{phone_number_id}/media`.
#[derive(Clone, Debug)]
pub struct Upload {
    /// The media id the stand-in answered.
    pub id: String,
    /// The form's `messaging_product` and `type`.
    pub messaging_product: String,
    pub mime_type: String,
    /// The file part's name and type.
    pub file_name: Option<String>,
    pub part_type: Option<String>,
    pub bytes: Vec<u8>,
}

#[derive(Default)]
struct Shared {
    url: Mutex<String>,
    /// The other host's URL (`MEDIA_ELSEWHERE...` downloads).
    elsewhere_url: Mutex<String>,
    seen: Mutex<Vec<Seen>>,
    /// What reached the other host.
    seen_elsewhere: Mutex<Vec<Seen>>,
    script: Mutex<VecDeque<Answer>>,
    /// How to answer the next uploads.
    upload_script: Mutex<VecDeque<Answer>>,
    uploads: Mutex<Vec<Upload>>,
    ids: AtomicU64,
    downloading: AtomicUsize,
    most_downloading: AtomicUsize,
}

/// Counts a download as running until dropped.
struct Running<'a>(&'a Shared);

impl<'a> Running<'a> {
    fn start(shared: &'a Shared) -> Running<'a> {
        let now = shared.downloading.fetch_add(1, Ordering::SeqCst) + 1;
        shared.most_downloading.fetch_max(now, Ordering::SeqCst);
        Running(shared)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.downloading.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Serves a media file: in 1 KB pieces without a length for `MEDIA_UNANNOUNCED...` ids.
async fn serve_media(shared: &Shared, id: &str) -> Response {
    let _running = Running::start(shared);
    if id.starts_with("MEDIA_SLOW") {
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let bytes = media_bytes(id);
    if id.starts_with("MEDIA_UNANNOUNCED") {
        let pieces: Vec<Result<Vec<u8>, std::io::Error>> =
            bytes.chunks(1024).map(|c| Ok(c.to_vec())).collect();
        return axum::body::Body::from_stream(futures_util::stream::iter(pieces)).into_response();
    }
    bytes.into_response()
}

fn seen_of(request: &Request) -> Seen {
    Seen {
        method: request.method().to_string(),
        path: request.uri().path().to_string(),
        authorization: request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: Value::Null,
    }
}

/// The other host: records every request and serves the file without asking for a token.
async fn elsewhere(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let seen = seen_of(&request);
    let id = seen.path.rsplit('/').next().unwrap_or("").to_string();
    shared.seen_elsewhere.lock().expect("lock").push(seen);
    media_bytes(&id).into_response()
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

/// Meta's media upload: a `multipart/form-data` form with `messaging_product` ("whatsapp"),
/// `type` (the MIME type) and `file`; answers `{"id": MEDIA_ID}`.
async fn upload(shared: &Shared, seen: Seen, request: Request) -> Response {
    use axum::extract::FromRequest;
    shared.seen.lock().expect("lock").push(seen.clone());
    if seen.authorization.as_deref() != Some(&format!("Bearer {ACCESS_TOKEN}")) {
        return meta_error(
            401,
            190,
            "Error validating access token: Session has expired.",
        );
    }
    let Ok(mut form) = axum::extract::Multipart::from_request(request, &()).await else {
        return meta_error(400, 100, "(#100) The parameter file is required.");
    };
    let (mut product, mut mime_type, mut file) = (String::new(), String::new(), None);
    while let Ok(Some(field)) = form.next_field().await {
        match field.name().unwrap_or("") {
            "messaging_product" => product = field.text().await.unwrap_or_default(),
            "type" => mime_type = field.text().await.unwrap_or_default(),
            "file" => {
                let name = field.file_name().map(str::to_string);
                let part_type = field.content_type().map(str::to_string);
                let bytes = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                file = Some((name, part_type, bytes));
            }
            _ => {}
        }
    }
    if product != "whatsapp" {
        return meta_error(
            400,
            100,
            "(#100) The parameter messaging_product is required.",
        );
    }
    let Some((file_name, part_type, bytes)) = file else {
        return meta_error(400, 100, "(#100) The parameter file is required.");
    };
    if mime_type.is_empty() {
        return meta_error(400, 100, "(#100) The parameter type is required.");
    }
    let answer = shared.upload_script.lock().expect("lock").pop_front();
    match answer {
        Some(Answer::Status(status)) => {
            return (
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "",
            )
                .into_response()
        }
        Some(Answer::MetaError {
            status,
            code,
            message,
        }) => return meta_error(status, code, message),
        Some(Answer::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(Answer::Accept) | None => {}
    }
    let id = format!(
        "{}",
        900_000_000_000_000u64 + shared.ids.fetch_add(1, Ordering::Relaxed)
    );
    shared.uploads.lock().expect("lock").push(Upload {
        id: id.clone(),
        messaging_product: product,
        mime_type,
        file_name,
        part_type,
        bytes,
    });
    Json(json!({ "id": id })).into_response()
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    if request.method() == "POST"
        && request
            .uri()
            .path()
            .ends_with(&format!("/{PHONE_NUMBER_ID}/media"))
    {
        let seen = seen_of(&request);
        return upload(&shared, seen, request).await;
    }
    let Seen {
        method,
        path,
        authorization,
        ..
    } = seen_of(&request);
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
        ("GET", ["download", id]) => serve_media(&shared, id).await,
        ("GET", [_, id]) if id.starts_with("MEDIA") => {
            let url = if id.starts_with("MEDIA_ELSEWHERE") {
                shared.elsewhere_url.lock().expect("lock").clone()
            } else {
                shared.url.lock().expect("lock").clone()
            };
            let mut info = json!({"url": format!("{url}/download/{id}"), "mime_type": "image/jpeg",
                "sha256": "abc", "file_size": media_bytes(id).len(), "id": id, "messaging_product": "whatsapp"});
            if id.starts_with("MEDIA_UNANNOUNCED") {
                info.as_object_mut().expect("object").remove("file_size");
            }
            Json(info).into_response()
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

        let other = axum::Router::new()
            .fallback(elsewhere)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        *shared.elsewhere_url.lock().expect("lock") =
            format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, other).await });
        FakeGraph { url, shared }
    }

    /// Every request that reached the other host (`MEDIA_ELSEWHERE...` downloads).
    pub fn seen_elsewhere(&self) -> Vec<Seen> {
        self.shared.seen_elsewhere.lock().expect("lock").clone()
    }

    /// The most media downloads that ran at once.
    pub fn most_downloads_at_once(&self) -> usize {
        self.shared.most_downloading.load(Ordering::SeqCst)
    }

    /// Answers the next media uploads in this order (then accepts again).
    pub fn script_uploads(&self, answers: impl IntoIterator<Item = Answer>) {
        self.shared
            .upload_script
            .lock()
            .expect("lock")
            .extend(answers);
    }

    /// Every file uploaded so far (accepted ones).
    pub fn uploads(&self) -> Vec<Upload> {
        self.shared.uploads.lock().expect("lock").clone()
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
