//! A conversation's log records turned into chat bubbles: the customer's messages of every
//! type, our replies with their delivery ticks (the outbox's outcome and Meta's statuses),
//! and stored media linked to `/api/media`. Pure: records in, bubbles out.

use cocolu_core::log::{LogRecord, MessageIn, MessageOut, Origin, StatusRecord};
use cocolu_core::outbound::Outbound;
use serde_json::Value;
use std::collections::HashMap;

/// Who wrote a bubble.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Author {
    Customer,
    /// The bot, with the rule that answered (none for welcome, away, fallback...).
    Bot(Option<String>),
    /// A person from the dashboard (or a script), by username.
    Person(Option<String>),
}

/// Where one of our messages is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Tick {
    /// In the outbox, not yet accepted by Meta.
    Queued,
    Sent,
    Delivered,
    Read,
    /// Given up on, with the reason: Meta's code (which the dashboard words) and its text.
    Failed(Option<i64>, String),
}

impl Tick {
    fn rank(&self) -> u8 {
        match self {
            Tick::Queued => 0,
            Tick::Sent => 1,
            Tick::Delivered => 2,
            Tick::Read => 3,
            Tick::Failed(..) => 4,
        }
    }

    /// A stable name for styling and tests.
    pub fn name(&self) -> &'static str {
        match self {
            Tick::Queued => "queued",
            Tick::Sent => "sent",
            Tick::Delivered => "delivered",
            Tick::Read => "read",
            Tick::Failed(..) => "failed",
        }
    }
}

/// A media file of a customer's message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Media {
    /// Downloaded: shown from `/api/media/{id}`.
    Stored { url: String, mime_type: String },
    /// Could not be downloaded, with the reason.
    Failed(String),
    /// Not downloaded yet.
    Pending,
}

impl Media {
    /// A file the server keeps, shown from `/api/media/{id}`.
    fn stored(id: &str, mime_type: String) -> Media {
        Media::Stored {
            url: format!("/api/media/{}", crate::api::encode(id)),
            mime_type,
        }
    }
}

/// A shared location.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
}

/// One bubble of the thread.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bubble {
    /// Unique in the thread (message id or outbox id).
    pub key: String,
    pub author: Author,
    pub at: i64,
    /// `text`, `image`, `audio`, `video`, `document`, `sticker`, `location`, `button`,
    /// `interactive`, `reaction`, `contacts`, `order`...; for ours `text`, `buttons`, `list`,
    /// `template`, `media`.
    pub kind: String,
    pub text: Option<String>,
    pub media: Option<Media>,
    pub file_name: Option<String>,
    pub location: Option<Location>,
    /// The buttons or the list button of an interactive reply of ours.
    pub choices: Vec<String>,
    /// Ours only.
    pub tick: Option<Tick>,
}

fn text_of(object: &Value, key: &str) -> Option<String> {
    object.get(key).and_then(Value::as_str).map(str::to_string)
}

const MEDIA_KINDS: [&str; 5] = ["image", "audio", "video", "document", "sticker"];

fn incoming(record: &MessageIn) -> Bubble {
    let kind = if record.message_type.is_empty() {
        "unknown".to_string()
    } else {
        record.message_type.clone()
    };
    // The channel's own message object, as it came: where a medium's name and a place are.
    let body = record.message.get(&kind);
    let media = MEDIA_KINDS
        .contains(&kind.as_str())
        .then_some(Media::Pending);
    let location = body.filter(|_| kind == "location").map(|l| Location {
        latitude: l.get("latitude").and_then(Value::as_f64).unwrap_or(0.0),
        longitude: l.get("longitude").and_then(Value::as_f64).unwrap_or(0.0),
        name: text_of(l, "name"),
        address: text_of(l, "address"),
    });
    let file_name = body.and_then(|b| text_of(b, "filename"));
    // A document's "text" is its file name; a location's is its name: shown apart.
    let text = match kind.as_str() {
        "document" | "location" => body.and_then(|b| text_of(b, "caption")),
        _ => record.text.clone(),
    };
    Bubble {
        key: record.id.clone(),
        author: Author::Customer,
        at: record.at,
        kind,
        text,
        media,
        file_name,
        location,
        choices: Vec::new(),
        tick: None,
    }
}

fn outgoing(record: &MessageOut) -> Bubble {
    let author = match &record.origin {
        Origin::Agent { user } => Author::Person(user.clone()),
        Origin::Bot { rule } => Author::Bot(rule.clone()),
    };
    let choices = match &record.message {
        Outbound::Buttons { buttons, .. } => buttons.iter().map(|b| b.title.clone()).collect(),
        Outbound::List { button, .. } => vec![button.clone()],
        _ => Vec::new(),
    };
    // A file attached in the dashboard is shown from the server, as the customer sees it:
    // a photo, or a document by its name, with the caption under it.
    let (kind, text, media, file_name) = match &record.message {
        Outbound::Attachment {
            kind,
            file,
            filename,
            caption,
        } => {
            let (stem, extension) = file.split_once('.').unwrap_or((file, ""));
            let mime_type = cocolu_core::media_types::by_extension(extension)
                .map_or("application/octet-stream", |t| t.mime_type);
            let media = Media::stored(stem, mime_type.into());
            (
                kind.as_str().to_string(),
                caption.clone(),
                Some(media),
                filename.clone(),
            )
        }
        message => (
            message.kind().to_string(),
            Some(record.text.clone()),
            None,
            None,
        ),
    };
    Bubble {
        key: record.outbox.clone(),
        author,
        at: record.at,
        kind,
        text,
        media,
        file_name,
        location: None,
        choices,
        tick: Some(Tick::Queued),
    }
}

fn status_tick(record: &StatusRecord) -> Option<Tick> {
    Some(match record.status.as_str() {
        "sent" => Tick::Sent,
        "delivered" => Tick::Delivered,
        "read" => Tick::Read,
        "failed" => {
            // Meta's own error object, as it came with the status.
            let error = record.errors.first();
            Tick::Failed(
                error.and_then(|e| e.get("code")).and_then(Value::as_i64),
                error
                    .and_then(|e| text_of(e, "message").or_else(|| text_of(e, "title")))
                    .unwrap_or_default(),
            )
        }
        _ => return None,
    })
}

fn raise(tick: &mut Option<Tick>, to: Tick) {
    if tick.as_ref().is_none_or(|t| to.rank() >= t.rank()) {
        *tick = Some(to);
    }
}

/// The bubbles of `records` as the API gives them (oldest first), each read as the log's
/// [`LogRecord`]: in the browser, from the module that holds the log's reader, loaded with
/// the first conversation opened.
pub async fn read(records: Vec<Value>) -> Vec<Bubble> {
    read_records(records).await
}

#[cfg(feature = "hydrate")]
#[leptos::lazy]
fn read_records(records: Vec<Value>) -> Vec<Bubble> {
    bubbles(&records_of(records))
}

#[cfg(not(feature = "hydrate"))]
async fn read_records(records: Vec<Value>) -> Vec<Bubble> {
    bubbles(&records_of(records))
}

/// Each record read; one this build cannot read is left out, as an unknown kind is.
fn records_of(records: Vec<Value>) -> Vec<LogRecord> {
    records
        .into_iter()
        .filter_map(|record| serde_json::from_value(record).ok())
        .collect()
}

/// The bubbles of `records` (oldest first), with ticks and media resolved.
pub fn bubbles(records: &[LogRecord]) -> Vec<Bubble> {
    let mut out: Vec<Bubble> = Vec::new();
    // Where each bubble is, by outbox id, Meta message id and inbound message id.
    let mut by_outbox: HashMap<String, usize> = HashMap::new();
    let mut by_message: HashMap<String, usize> = HashMap::new();
    for record in records {
        match record {
            LogRecord::MessageIn(message) => {
                let bubble = incoming(message);
                if by_message.contains_key(&bubble.key) {
                    continue;
                }
                by_message.insert(bubble.key.clone(), out.len());
                out.push(bubble);
            }
            LogRecord::MessageOut(message) => {
                let bubble = outgoing(message);
                by_outbox.insert(bubble.key.clone(), out.len());
                out.push(bubble);
            }
            LogRecord::MessageOutSent(sent) => {
                if let Some(&i) = by_outbox.get(&sent.outbox) {
                    raise(&mut out[i].tick, Tick::Sent);
                    by_message.insert(sent.message_id.clone(), i);
                }
            }
            LogRecord::MessageOutFailed(failed) => {
                if let Some(&i) = by_outbox.get(&failed.outbox) {
                    let tick = Tick::Failed(failed.error.code, failed.error.message.clone());
                    raise(&mut out[i].tick, tick);
                }
            }
            LogRecord::Status(status) => {
                let found = by_message.get(&status.message_id).copied();
                if let (Some(i), Some(tick)) = (found, status_tick(status)) {
                    if out[i].tick.is_some() {
                        raise(&mut out[i].tick, tick);
                    }
                }
            }
            LogRecord::MediaStored(stored) => {
                if let Some(&i) = by_message.get(&stored.message_id) {
                    out[i].media = Some(Media::stored(&stored.media_id, stored.mime_type.clone()));
                }
            }
            LogRecord::MediaFailed(failed) => {
                if let Some(&i) = by_message.get(&failed.message_id) {
                    out[i].media = Some(Media::Failed(failed.reason.clone()));
                }
            }
            _ => {}
        }
    }
    out
}

/// A coordinate with five decimals (about a metre), written with whole numbers: the float
/// formatter would add kilobytes to the browser's bundle for this one use.
pub fn five_decimals(degrees: f64) -> String {
    let scaled = (degrees * 100_000.0).round() as i64;
    let sign = if scaled < 0 { "-" } else { "" };
    let n = scaled.unsigned_abs();
    format!("{sign}{}.{:05}", n / 100_000, n % 100_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message_in(id: &str, kind: &str, text: Option<&str>, body: Value) -> Value {
        let mut message = json!({"id": id, "type": kind});
        message[kind] = body;
        json!({"kind": "message_in", "conversation": "c", "id": id, "at": 1000, "type": kind, "text": text, "message": message})
    }

    #[test]
    fn every_customer_message_type_becomes_a_bubble() {
        let records = vec![
            message_in("m1", "text", Some("Hola"), json!({"body": "Hola"})),
            message_in(
                "m2",
                "image",
                Some("¿Tienen esto?"),
                json!({"id": "MEDIA1", "caption": "¿Tienen esto?"}),
            ),
            message_in(
                "m3",
                "document",
                Some("pedido.pdf"),
                json!({"id": "MEDIA2", "filename": "pedido.pdf"}),
            ),
            message_in(
                "m4",
                "location",
                Some("Plaza"),
                json!({"latitude": 10.5, "longitude": -66.9, "name": "Plaza"}),
            ),
            message_in(
                "m5",
                "reaction",
                Some("👍"),
                json!({"message_id": "x", "emoji": "👍"}),
            ),
            json!({"kind": "media_stored", "conversation": "c", "message_id": "m2", "media_id": "MEDIA1", "file": "MEDIA1.jpg", "mime_type": "image/jpeg", "size": 10, "at": 1001}),
            json!({"kind": "media_failed", "conversation": "c", "message_id": "m3", "media_id": "MEDIA2", "reason": "too large", "at": 1001}),
            // A kind this build does not know is left out.
            json!({"kind": "order_placed", "conversation": "c", "at": 1002}),
            // Meta retried the webhook: shown once.
            message_in("m1", "text", Some("Hola"), json!({"body": "Hola"})),
        ];
        let bubbles = bubbles(&records_of(records));
        assert_eq!(bubbles.len(), 5);
        assert_eq!(bubbles[0].text.as_deref(), Some("Hola"));
        assert_eq!(
            bubbles[1].media,
            Some(Media::Stored {
                url: "/api/media/MEDIA1".into(),
                mime_type: "image/jpeg".into()
            })
        );
        assert_eq!(bubbles[2].file_name.as_deref(), Some("pedido.pdf"));
        assert_eq!(bubbles[2].text, None);
        assert_eq!(bubbles[2].media, Some(Media::Failed("too large".into())));
        let place = bubbles[3].location.clone().expect("location");
        assert_eq!(
            (place.latitude, place.name.as_deref()),
            (10.5, Some("Plaza"))
        );
        assert_eq!(bubbles[4].kind, "reaction");
        assert!(bubbles
            .iter()
            .all(|b| b.author == Author::Customer && b.tick.is_none()));
    }

    #[test]
    fn our_replies_carry_their_ticks() {
        let out = |outbox: &str, by: Value, message: Value| json!({"kind": "message_out", "conversation": "c", "outbox": outbox, "at": 2000, "to": {}, "origin": by, "text": "Elige", "message": message});
        let sent = |outbox: &str, id: &str| json!({"kind": "message_out_sent", "conversation": "c", "outbox": outbox, "at": 2001, "message_id": id});
        let records = vec![
            out(
                "o1",
                json!({"by": "bot", "rule": "menu"}),
                json!({"type": "buttons", "body": "Elige", "buttons": [{"id": "a", "title": "Precios"}, {"id": "b", "title": "Horario"}]}),
            ),
            out(
                "o2",
                json!({"by": "agent", "user": "ana"}),
                json!({"type": "text", "body": "Hola"}),
            ),
            out(
                "o3",
                json!({"by": "agent", "user": "ana"}),
                json!({"type": "text", "body": "Tarde"}),
            ),
            out(
                "o4",
                json!({"by": "bot", "rule": null}),
                json!({"type": "text", "body": "..."}),
            ),
            sent("o1", "wamid.1"),
            sent("o2", "wamid.2"),
            json!({"kind": "status", "message_id": "wamid.1", "status": "read", "at": 2002}),
            // Statuses may arrive out of order: "delivered" after "read" does not go back.
            json!({"kind": "status", "message_id": "wamid.1", "status": "delivered", "at": 2003}),
            json!({"kind": "status", "message_id": "wamid.2", "status": "failed", "at": 2004, "errors": [{"code": 131047, "title": "Re-engagement message"}]}),
            json!({"kind": "message_out_failed", "conversation": "c", "outbox": "o3", "at": 2005, "error": {"failure": "outside_window", "message": "outside the window", "code": 131047}}),
        ];
        let records = records_of(records);
        assert_eq!(records.len(), 10, "every record read: {records:#?}");
        let bubbles = bubbles(&records);
        assert_eq!(bubbles[0].author, Author::Bot(Some("menu".into())));
        assert_eq!(bubbles[0].choices, vec!["Precios", "Horario"]);
        assert_eq!(bubbles[0].tick, Some(Tick::Read));
        assert_eq!(bubbles[1].author, Author::Person(Some("ana".into())));
        assert_eq!(
            bubbles[1].tick,
            Some(Tick::Failed(Some(131047), "Re-engagement message".into()))
        );
        assert_eq!(
            bubbles[2].tick,
            Some(Tick::Failed(Some(131047), "outside the window".into()))
        );
        assert_eq!(bubbles[3].tick, Some(Tick::Queued));
    }

    #[test]
    fn coordinates_have_five_decimals() {
        assert_eq!(five_decimals(10.5), "10.50000");
        assert_eq!(five_decimals(-66.912345678), "-66.91235");
        assert_eq!(five_decimals(-0.000001), "0.00000");
        assert_eq!(five_decimals(0.00001), "0.00001");
    }
}
