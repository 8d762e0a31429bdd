//! Inbound media (images, voice notes, videos, documents, stickers): downloaded through the
//! Graph API as soon as the message is stored (Meta's download URL expires), into
//! `data/media/MEDIA_ID.EXT`, within a size cap, and deleted after the retention period.
//! The log records the outcome (`media_stored` or `media_failed`) in the conversation.

use crate::channel::meta::graph::GraphClient;
use crate::store::atomic::write_atomic;
use crate::store::Store;
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Folder (inside the data folder) of downloaded media.
pub const MEDIA_DIR: &str = "media";
/// How often old media files are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Message types that carry a downloadable file.
pub fn media_id(kind: &str, message: &Value) -> Option<String> {
    matches!(kind, "image" | "audio" | "video" | "document" | "sticker")
        .then(|| message.get(kind)?.get("id")?.as_str().map(str::to_string))
        .flatten()
        .filter(|id| valid_id(id))
}

/// Media ids become file names: letters, digits, `_` and `-` only.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The file extension for a MIME type.
pub fn extension(mime_type: &str) -> &'static str {
    match mime_type.split(';').next().unwrap_or("").trim() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "audio/ogg" => "ogg",
        "audio/mpeg" => "mp3",
        "audio/mp4" | "audio/aac" => "m4a",
        "audio/amr" => "amr",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        _ => "bin",
    }
}

/// The stored file of a media id, if any.
pub fn find(data_dir: &Path, media_id: &str) -> Option<PathBuf> {
    if !valid_id(media_id) {
        return None;
    }
    let dir = data_dir.join(MEDIA_DIR);
    std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.file_stem().and_then(|s| s.to_str()) == Some(media_id))
}

/// The MIME type for a stored file's extension.
pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "jpg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "ogg" => "audio/ogg",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "amr" => "audio/amr",
        "mp4" => "video/mp4",
        "3gp" => "video/3gpp",
        "pdf" => "application/pdf",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Outcome<'a> {
    MediaStored {
        conversation: &'a str,
        message_id: &'a str,
        media_id: &'a str,
        file: &'a str,
        mime_type: &'a str,
        size: u64,
        at: i64,
    },
    MediaFailed {
        conversation: &'a str,
        message_id: &'a str,
        media_id: &'a str,
        reason: &'a str,
        at: i64,
    },
}

/// Downloads one media file and logs the outcome.
pub async fn fetch(
    store: Arc<Store>,
    graph: GraphClient,
    max_bytes: u64,
    conversation: String,
    message_id: String,
    media_id: String,
) {
    let at = jiff::Timestamp::now().as_millisecond();
    let result = async {
        let info = graph.media_info(&media_id).await.map_err(|e| e.message)?;
        if info.file_size.is_some_and(|size| size > max_bytes) {
            return Err(format!(
                "the file is larger than the {max_bytes}-byte limit (COCOLU_MEDIA_MAX_MB)"
            ));
        }
        let bytes = graph
            .download(&info.url, max_bytes)
            .await
            .map_err(|e| e.message)?;
        let mime_type = info
            .mime_type
            .unwrap_or_else(|| "application/octet-stream".into());
        let file = format!("{media_id}.{}", extension(&mime_type));
        let dir = store.dir().join(MEDIA_DIR);
        let path = dir.join(&file);
        let size = bytes.len() as u64;
        tokio::task::spawn_blocking(move || {
            crate::store::create_private_dir(&dir).and_then(|()| write_atomic(&path, &bytes, 0o600))
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot write the file: {e}"))?;
        Ok((file, mime_type, size))
    }
    .await;
    let record = match &result {
        Ok((file, mime_type, size)) => Outcome::MediaStored {
            conversation: &conversation,
            message_id: &message_id,
            media_id: &media_id,
            file,
            mime_type,
            size: *size,
            at,
        },
        Err(reason) => {
            tracing::warn!(media_id, reason, "inbound media not stored");
            Outcome::MediaFailed {
                conversation: &conversation,
                message_id: &message_id,
                media_id: &media_id,
                reason,
                at,
            }
        }
    };
    if let Err(error) = store
        .append(vec![serde_json::to_vec(&record).unwrap_or_default()])
        .await
    {
        tracing::warn!(%error, "cannot log a media download's outcome");
    }
}

/// Deletes media files older than `retention`, now and then every hour.
pub async fn sweep_forever(data_dir: PathBuf, retention: Duration) {
    loop {
        let dir = data_dir.join(MEDIA_DIR);
        let removed = tokio::task::spawn_blocking(move || sweep(&dir, retention))
            .await
            .unwrap_or(0);
        if removed > 0 {
            tracing::info!(removed, "deleted media files past their retention");
        }
        tokio::time::sleep(SWEEP_EVERY).await;
    }
}

/// Deletes files in `dir` last modified at least `retention` ago; returns how many.
pub fn sweep(dir: &Path, retention: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| {
                    now.duration_since(modified)
                        .is_ok_and(|age| age >= retention)
                })
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn media_ids_come_from_media_messages_only_and_must_be_safe_file_names() {
        assert_eq!(
            media_id("image", &json!({"image": {"id": "1234"}})).as_deref(),
            Some("1234")
        );
        assert_eq!(
            media_id("audio", &json!({"audio": {"id": "A-9_z", "voice": true}})).as_deref(),
            Some("A-9_z")
        );
        assert_eq!(media_id("text", &json!({"text": {"body": "x"}})), None);
        assert_eq!(
            media_id("image", &json!({"image": {"id": "../../etc/passwd"}})),
            None
        );
    }

    #[test]
    fn mime_types_map_to_extensions_and_back() {
        for mime in ["image/jpeg", "audio/ogg", "video/mp4", "application/pdf"] {
            let path = PathBuf::from(format!("x.{}", extension(mime)));
            assert_eq!(content_type(&path), mime);
        }
        assert_eq!(extension("audio/ogg; codecs=opus"), "ogg");
        assert_eq!(extension("application/x-unknown"), "bin");
    }

    #[test]
    fn old_files_are_swept_and_new_ones_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("new.jpg"), b"x").expect("write");
        assert_eq!(sweep(dir.path(), Duration::from_secs(3600)), 0);
        assert_eq!(sweep(dir.path(), Duration::ZERO), 1);
        assert!(!dir.path().join("new.jpg").exists());
    }
}
