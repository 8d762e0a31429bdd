//! Inbound media (images, voice notes, videos, documents, stickers): downloaded through the
//! Graph API as soon as the message is stored (Meta's download URL expires), into
//! `data/media/MEDIA_ID.EXT`, within a size cap, and deleted after the retention period.
//! The log records the outcome (`media_stored` or `media_failed`) in the conversation.
//!
//! A few downloads run at once and the rest wait; each is streamed to disk, never held in
//! memory; the access token goes only to Meta's hosts (see
//! [`crate::channel::meta::graph::token_may_go_to`]).

use crate::channel::meta::graph::GraphClient;
use crate::clock::Clock;
use crate::store::atomic::{is_temp_file, PendingFile};
use crate::store::index::MessageIndex;
use crate::store::Store;
use bytes::Bytes;
use cocolu_core::log::{LogRecord, MediaFailed, MediaStored};
use cocolu_core::media_types;
use serde_json::Value;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, Semaphore};

/// Folder (inside the data folder) of downloaded media.
use crate::store::MEDIA_DIR;
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

/// The file extension for a MIME type (`bin` for one WhatsApp does not list).
pub fn extension(mime_type: &str) -> &'static str {
    media_types::by_mime(mime_type).map_or("bin", |t| t.extension)
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
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match media_types::by_extension(extension).map(|t| t.mime_type) {
        Some("text/plain") => "text/plain; charset=utf-8",
        Some(mime_type) => mime_type,
        None => "application/octet-stream",
    }
}

/// Downloads running at once; more wait for a free slot (none is dropped). Each holds a
/// connection, a file being written and a blocking thread, and a burst of media messages
/// must not take them all.
pub const PARALLEL_DOWNLOADS: usize = 4;

/// Inbound media downloads: at most [`PARALLEL_DOWNLOADS`] at once, each streamed to a
/// temporary file in `data/media/` that takes its name only when complete and within the
/// size cap. What it needs, and nothing more, of the running server.
#[derive(Clone)]
pub struct Downloads {
    store: Arc<Store>,
    graph: GraphClient,
    max_bytes: u64,
    slots: Arc<Semaphore>,
    clock: Clock,
}

/// One piece of a download, for the thread writing the file.
enum Piece {
    Bytes(Bytes),
    /// Everything arrived: keep the file.
    End,
}

fn too_large(max_bytes: u64) -> String {
    format!("the file is larger than the {max_bytes}-byte limit (COCOLU_MEDIA_MAX_MB)")
}

impl Downloads {
    pub fn new(store: Arc<Store>, graph: GraphClient, max_bytes: u64, clock: Clock) -> Downloads {
        Downloads {
            store,
            graph,
            max_bytes,
            clock,
            slots: Arc::new(Semaphore::new(PARALLEL_DOWNLOADS)),
        }
    }

    /// Downloads one media file in the background, when a slot is free, and logs the outcome
    /// (`media_stored` or `media_failed`) in the conversation.
    pub fn start(&self, conversation: String, message_id: String, media_id: String) {
        let downloads = self.clone();
        tokio::spawn(async move {
            downloads.fetch(conversation, message_id, media_id).await;
        });
    }

    async fn fetch(self, conversation: String, message_id: String, media_id: String) {
        let result = match self.slots.clone().acquire_owned().await {
            // The URL is asked for only once a slot is free: Meta's expire within minutes.
            Ok(_slot) => self.download(&media_id).await,
            Err(_) => Err("the server is shutting down".to_string()),
        };
        let at = self.clock.now_ms();
        let of_message = message_id.clone();
        let record = match &result {
            Ok((file, mime_type, size)) => LogRecord::MediaStored(MediaStored {
                conversation,
                message_id,
                media_id,
                file: file.clone(),
                mime_type: mime_type.to_string(),
                size: *size,
                at,
            }),
            Err(reason) => {
                tracing::warn!(media_id, reason, "inbound media not stored");
                LogRecord::MediaFailed(MediaFailed {
                    conversation,
                    message_id,
                    media_id,
                    reason: reason.clone(),
                    at,
                })
            }
        };
        let still = |index: &MessageIndex| index.has_id(&of_message);
        match self.store.append_if(vec![record.to_line()], still).await {
            Ok(Some(_)) => {}
            // The customer was erased while the file came: it goes too.
            Ok(None) => {
                if let Ok((file, _, _)) = &result {
                    let _ = std::fs::remove_file(self.store.dir().join(MEDIA_DIR).join(file));
                }
            }
            Err(error) => tracing::warn!(%error, "cannot log a media download's outcome"),
        }
    }

    /// Asks the Graph API where the file is, then streams it into `data/media/`. Returns the
    /// file name, MIME type and size.
    async fn download(&self, media_id: &str) -> Result<(String, String, u64), String> {
        let info = self
            .graph
            .media_info(media_id)
            .await
            .map_err(|e| e.message)?;
        if info.file_size.is_some_and(|size| size > self.max_bytes) {
            return Err(too_large(self.max_bytes));
        }
        let mime_type = info
            .mime_type
            .unwrap_or_else(|| "application/octet-stream".into());
        let file = format!("{media_id}.{}", extension(&mime_type));
        let path = self.store.dir().join(MEDIA_DIR).join(&file);
        let size = self.stream_to(&info.url, path).await?;
        Ok((file, mime_type, size))
    }

    /// Streams the file at `url` into `path`, a piece at a time, keeping it only when it
    /// arrived whole and within the cap (a partial or oversized file is deleted).
    async fn stream_to(&self, url: &str, path: PathBuf) -> Result<u64, String> {
        let max_bytes = self.max_bytes;
        let mut download = self.graph.open_download(url).await.map_err(|e| e.message)?;
        if download.announced_len().is_some_and(|len| len > max_bytes) {
            return Err(too_large(max_bytes));
        }
        let (pieces, mut received) = mpsc::channel::<Piece>(4);
        // File writes (and the final fsync) block: they run on their own thread, fed pieces
        // as they arrive.
        let writer = tokio::task::spawn_blocking(move || -> io::Result<bool> {
            if let Some(dir) = path.parent() {
                crate::store::create_private_dir(dir)?;
            }
            let mut file = PendingFile::create(&path, 0o600)?;
            while let Some(piece) = received.blocking_recv() {
                match piece {
                    Piece::Bytes(bytes) => file.write(&bytes)?,
                    Piece::End => return file.commit().map(|()| true),
                }
            }
            // Given up on (an error or the cap): dropping `file` deletes it.
            Ok(false)
        });
        let mut size: u64 = 0;
        let streamed: Result<(), String> = async {
            while let Some(chunk) = download.next_chunk().await.map_err(|e| e.message)? {
                size = size.saturating_add(chunk.len() as u64);
                if size > max_bytes {
                    return Err(too_large(max_bytes));
                }
                if pieces.send(Piece::Bytes(chunk)).await.is_err() {
                    // The writer stopped; its error says why.
                    return Ok(());
                }
            }
            let _ = pieces.send(Piece::End).await;
            Ok(())
        }
        .await;
        drop(pieces);
        let written = writer
            .await
            .map_err(|e| format!("the file writer stopped: {e}"))?;
        streamed?;
        match written {
            Ok(true) => Ok(size),
            Ok(false) => Err("the download ended before the file was complete".into()),
            Err(e) => Err(format!("cannot write the file: {e}")),
        }
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

/// A download's temporary file this old was left by a crash (a download lasts seconds).
const TEMP_FILE_AGE: Duration = Duration::from_secs(3600);
/// A file attached in the dashboard that no reply claimed in a day never will be.
const UNCLAIMED_UPLOAD_AGE: Duration = Duration::from_secs(24 * 3600);

/// Deletes files in `dir` last modified at least `retention` ago, and sooner the temporary
/// files an interrupted run left and uploads no reply claimed; returns how many.
pub fn sweep(dir: &Path, retention: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_str().unwrap_or("");
            let limit = if is_temp_file(name) {
                retention.min(TEMP_FILE_AGE)
            } else if name.starts_with(media_types::UPLOADED) {
                retention.min(UNCLAIMED_UPLOAD_AGE)
            } else {
                retention
            };
            e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| now.duration_since(modified).is_ok_and(|age| age >= limit))
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

    #[test]
    fn a_download_left_unfinished_is_swept_long_before_the_retention() {
        let dir = tempfile::tempdir().expect("tempdir");
        let two_hours_ago = SystemTime::now() - Duration::from_secs(2 * 3600);
        for name in [".M1.jpg.tmp-12-0", "M2.jpg"] {
            let file = std::fs::File::create(dir.path().join(name)).expect("create");
            file.set_modified(two_hours_ago).expect("mtime");
        }

        assert_eq!(sweep(dir.path(), Duration::from_secs(90 * 24 * 3600)), 1);
        assert!(dir.path().join("M2.jpg").exists(), "within its retention");
    }

    #[test]
    fn an_upload_no_reply_claimed_goes_after_a_day_and_a_claimed_one_stays() {
        let dir = tempfile::tempdir().expect("tempdir");
        let two_days_ago = SystemTime::now() - Duration::from_secs(2 * 24 * 3600);
        for name in ["up_0a.pdf", "at_0b.pdf", "up_0c.png"] {
            let file = std::fs::File::create(dir.path().join(name)).expect("create");
            if name != "up_0c.png" {
                file.set_modified(two_days_ago).expect("mtime");
            }
        }

        assert_eq!(sweep(dir.path(), Duration::from_secs(90 * 24 * 3600)), 1);
        assert!(!dir.path().join("up_0a.pdf").exists());
        assert!(
            dir.path().join("at_0b.pdf").exists(),
            "sent: kept for the retention"
        );
        assert!(dir.path().join("up_0c.png").exists(), "attached today");
    }
}
