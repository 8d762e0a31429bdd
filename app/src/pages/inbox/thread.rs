//! A conversation's log records turned into chat bubbles: the customer's messages of every
//! type, our replies with their delivery ticks (the outbox's outcome and Meta's statuses),
//! and stored media linked to `/api/media`. Pure: records in, bubbles out.

use serde_json::Value;
use std::collections::HashMap;

/// Who wrote a bubble.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Author {
    Customer,
    /// The bot, with the rule that answered (none for welcome, away, fallback...).
    Bot(Option<String>),
    /// A person from the dashboard (or a script), by username.
    Person(Option<String>),
}

/// Where one of our messages is.
#[derive(Clone, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Media {
    /// Downloaded: shown from `/api/media/{id}`.
    Stored { url: String, mime_type: String },
    /// Could not be downloaded, with the reason.
    Failed(String),
    /// Not downloaded yet.
    Pending,
}

/// A shared location.
#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
}

/// One bubble of the thread.
#[derive(Clone, Debug, PartialEq)]
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

fn text_of(record: &Value, key: &str) -> Option<String> {
    record.get(key).and_then(Value::as_str).map(str::to_string)
}

fn at_of(record: &Value) -> i64 {
    record.get("at").and_then(Value::as_i64).unwrap_or(0)
}

const MEDIA_KINDS: [&str; 5] = ["image", "audio", "video", "document", "sticker"];

fn incoming(record: &Value) -> Bubble {
    let kind = text_of(record, "type").unwrap_or_else(|| "unknown".into());
    let message = record.get("message").cloned().unwrap_or(Value::Null);
    let body = message.get(&kind);
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
        _ => text_of(record, "text"),
    };
    Bubble {
        key: text_of(record, "id").unwrap_or_default(),
        author: Author::Customer,
        at: at_of(record),
        kind,
        text,
        media,
        file_name,
        location,
        choices: Vec::new(),
        tick: None,
    }
}

fn outgoing(record: &Value) -> Bubble {
    let message = record.get("message").cloned().unwrap_or(Value::Null);
    let kind = text_of(&message, "type").unwrap_or_else(|| "text".into());
    let origin = record.get("origin");
    let author = match origin.and_then(|o| o.get("by")).and_then(Value::as_str) {
        Some("agent") => Author::Person(origin.and_then(|o| text_of(o, "user"))),
        _ => Author::Bot(origin.and_then(|o| text_of(o, "rule"))),
    };
    let titles = |list: Option<&Value>| -> Vec<String> {
        list.and_then(Value::as_array)
            .map(|items| items.iter().filter_map(|i| text_of(i, "title")).collect())
            .unwrap_or_default()
    };
    let choices = match kind.as_str() {
        "buttons" => titles(message.get("buttons")),
        "list" => text_of(&message, "button").into_iter().collect(),
        _ => Vec::new(),
    };
    // A file attached in the dashboard is shown from the server, as the customer sees it:
    // a photo, or a document by its name, with the caption under it.
    let (kind, text, media, file_name) = if kind == "attachment" {
        let file = text_of(&message, "file").unwrap_or_default();
        let (stem, extension) = file.split_once('.').unwrap_or((&file, ""));
        let mime_type = cocolu_core::media_types::by_extension(extension)
            .map_or("application/octet-stream", |t| t.mime_type);
        let media = Media::Stored {
            url: format!("/api/media/{}", crate::api::encode(stem)),
            mime_type: mime_type.into(),
        };
        (
            text_of(&message, "kind").unwrap_or_else(|| "document".into()),
            text_of(&message, "caption"),
            Some(media),
            text_of(&message, "filename"),
        )
    } else {
        (kind, text_of(record, "text"), None, None)
    };
    Bubble {
        key: text_of(record, "outbox").unwrap_or_default(),
        author,
        at: at_of(record),
        kind,
        text,
        media,
        file_name,
        location: None,
        choices,
        tick: Some(Tick::Queued),
    }
}

fn status_tick(record: &Value) -> Option<Tick> {
    Some(match record.get("status").and_then(Value::as_str)? {
        "sent" => Tick::Sent,
        "delivered" => Tick::Delivered,
        "read" => Tick::Read,
        "failed" => {
            let error = record.get("errors").and_then(|e| e.get(0));
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

/// The bubbles of `records` (oldest first), with ticks and media resolved.
pub fn bubbles(records: &[Value]) -> Vec<Bubble> {
    let mut out: Vec<Bubble> = Vec::new();
    // Where each bubble is, by outbox id, Meta message id and inbound message id.
    let mut by_outbox: HashMap<String, usize> = HashMap::new();
    let mut by_message: HashMap<String, usize> = HashMap::new();
    for record in records {
        let kind = record.get("kind").and_then(Value::as_str).unwrap_or("");
        match kind {
            "message_in" => {
                let bubble = incoming(record);
                if by_message.contains_key(&bubble.key) {
                    continue;
                }
                by_message.insert(bubble.key.clone(), out.len());
                out.push(bubble);
            }
            "message_out" => {
                let bubble = outgoing(record);
                by_outbox.insert(bubble.key.clone(), out.len());
                out.push(bubble);
            }
            "message_out_sent" => {
                let found = text_of(record, "outbox").and_then(|o| by_outbox.get(&o).copied());
                if let (Some(i), Some(id)) = (found, text_of(record, "message_id")) {
                    raise(&mut out[i].tick, Tick::Sent);
                    by_message.insert(id, i);
                }
            }
            "message_out_failed" => {
                let found = text_of(record, "outbox").and_then(|o| by_outbox.get(&o).copied());
                if let Some(i) = found {
                    let error = record.get("error");
                    let code = error.and_then(|e| e.get("code")).and_then(Value::as_i64);
                    let text = error
                        .and_then(|e| text_of(e, "message"))
                        .unwrap_or_default();
                    raise(&mut out[i].tick, Tick::Failed(code, text));
                }
            }
            "status" => {
                let found = text_of(record, "message_id").and_then(|m| by_message.get(&m).copied());
                if let (Some(i), Some(tick)) = (found, status_tick(record)) {
                    if out[i].tick.is_some() {
                        raise(&mut out[i].tick, tick);
                    }
                }
            }
            "media_stored" | "media_failed" => {
                let found = text_of(record, "message_id").and_then(|m| by_message.get(&m).copied());
                if let Some(i) = found {
                    out[i].media = Some(if kind == "media_stored" {
                        Media::Stored {
                            url: format!(
                                "/api/media/{}",
                                crate::api::encode(
                                    &text_of(record, "media_id").unwrap_or_default()
                                )
                            ),
                            mime_type: text_of(record, "mime_type").unwrap_or_default(),
                        }
                    } else {
                        Media::Failed(text_of(record, "reason").unwrap_or_default())
                    });
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
        json!({"kind": "message_in", "id": id, "at": 1000, "type": kind, "text": text, "message": message})
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
            json!({"kind": "media_stored", "message_id": "m2", "media_id": "MEDIA1", "mime_type": "image/jpeg"}),
            json!({"kind": "media_failed", "message_id": "m3", "reason": "too large"}),
            // Meta retried the webhook: shown once.
            message_in("m1", "text", Some("Hola"), json!({"body": "Hola"})),
        ];
        let bubbles = bubbles(&records);
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
        let out = |outbox: &str, by: Value, message: Value| json!({"kind": "message_out", "outbox": outbox, "at": 2000, "origin": by, "text": "Elige", "message": message});
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
            json!({"kind": "message_out_sent", "outbox": "o1", "message_id": "wamid.1"}),
            json!({"kind": "message_out_sent", "outbox": "o2", "message_id": "wamid.2"}),
            json!({"kind": "status", "message_id": "wamid.1", "status": "read"}),
            // Statuses may arrive out of order: "delivered" after "read" does not go back.
            json!({"kind": "status", "message_id": "wamid.1", "status": "delivered"}),
            json!({"kind": "status", "message_id": "wamid.2", "status": "failed", "errors": [{"code": 131047, "title": "Re-engagement message"}]}),
            json!({"kind": "message_out_failed", "outbox": "o3", "error": {"message": "outside the window", "code": 131047}}),
        ];
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
