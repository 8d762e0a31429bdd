//! Erasing one customer from the log: every line of their conversation overwritten with spaces
//! in place (every other record keeps its place, so nothing else moves), then the message index
//! rebuilt from the log, so no copy of what was erased stays in memory or in its checkpoint.
//!
//! Safe under kill -9: a marker naming the conversation is written (and synced) first and
//! removed last; a start that finds one finishes the erase before anything reads the log.
//! Blanking a line twice changes nothing, so finishing is simply doing it again.

use super::atomic::write_atomic;
use super::index::{self, MessageIndex, ReadLine};
use super::log::{Log, Position};
use super::Erased;
use cocolu_core::log::LogRecord;
use cocolu_core::media_types;
use cocolu_core::outbound::Outbound;
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};

/// The marker's file name, inside the log folder.
const MARKER: &str = "erase.pending";

/// What an erase still has to do, kept in the marker.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    conversation: String,
}

/// Whether a log line belongs to `conversation`, read as the index reads it (by its record,
/// or by its envelope when this build cannot read it whole).
pub fn belongs_to(line: &[u8], conversation: &str) -> bool {
    ReadLine::of(line).is_some_and(|read| read.conversation() == Some(conversation))
}

/// The lines of a conversation, oldest first: (where, the line).
pub fn lines_of(log: &Log, conversation: &str) -> io::Result<Vec<(Position, Vec<u8>)>> {
    let mut found = Vec::new();
    log.scan(None, |position, line| {
        if belongs_to(line, conversation) {
            found.push((position, line.to_vec()));
        }
    })?;
    Ok(found)
}

/// The media files the conversation's records name (plain file names in the media folder):
/// what the customer sent, and what was attached for them.
pub fn media_of(lines: &[(Position, Vec<u8>)]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|(_, line)| match LogRecord::from_line(line) {
            Some(LogRecord::MediaStored(stored)) => Some(stored.file),
            // A claimed attachment is this conversation's alone.
            Some(LogRecord::MessageOut(out)) => match out.message {
                Outbound::Attachment { file, .. }
                    if media_types::stored_type(&file, media_types::ATTACHED).is_some() =>
                {
                    Some(file)
                }
                _ => None,
            },
            _ => None,
        })
        .filter(|file| !file.is_empty() && !file.contains(['/', '\\']) && !file.starts_with('.'))
        .collect()
}

/// Deletes the conversation's media files, then blanks every line of it (blocking): the media
/// first, so that an erase cut short still finds the lines naming them. Reads the log once.
pub fn erase_lines(log: &Log, media_dir: &Path, conversation: &str) -> io::Result<Erased> {
    let lines = lines_of(log, conversation)?;
    let mut media = 0;
    for file in media_of(&lines) {
        match std::fs::remove_file(media_dir.join(&file)) {
            Ok(()) => media += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    if media > 0 {
        super::atomic::sync_dir(media_dir)?;
    }
    for (position, _) in &lines {
        log.blank(*position)?;
    }
    Ok(Erased {
        records: lines.len(),
        media,
    })
}

fn marker(log_dir: &Path) -> PathBuf {
    log_dir.join(MARKER)
}

/// Records that `conversation` is being erased (durably), before anything is touched.
pub fn begin(log_dir: &Path, conversation: &str) -> io::Result<()> {
    let pending = Pending {
        conversation: conversation.to_string(),
    };
    let text = serde_json::to_vec(&pending).map_err(io::Error::other)?;
    write_atomic(&marker(log_dir), &text, 0o600)
}

/// The conversation an interrupted erase was erasing, if any.
pub fn pending(log_dir: &Path) -> Option<String> {
    let text = std::fs::read(marker(log_dir)).ok()?;
    serde_json::from_slice::<Pending>(&text)
        .ok()
        .map(|p| p.conversation)
}

/// Drops the index's checkpoint, which may hold copies of erased records (blocking): the
/// next load rebuilds the index from the log.
pub fn forget_checkpoint(log_dir: &Path) -> io::Result<()> {
    match std::fs::remove_file(index::checkpoint_path(log_dir)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// The index rebuilt from the whole log, its checkpoint rewritten (blocking).
pub fn rebuilt_index(log: &Log, log_dir: &Path) -> io::Result<MessageIndex> {
    forget_checkpoint(log_dir)?;
    let (index, _) = index::load(log, log_dir)?;
    index::save(&index, log_dir)?;
    Ok(index)
}

/// The erase is done: the marker goes.
pub fn finish(log_dir: &Path) -> io::Result<()> {
    match std::fs::remove_file(marker(log_dir)) {
        Ok(()) => super::atomic::sync_dir(log_dir),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, StoreOptions, LOG_DIR, MEDIA_DIR};

    fn line(json: serde_json::Value) -> Vec<u8> {
        json.to_string().into_bytes()
    }

    /// Ana (`A`) and Bruno (`B`) wrote; Ana sent a photo and was sent her bill.
    async fn two_customers(dir: &Path) -> Store {
        let store = Store::open(dir, &StoreOptions::default()).expect("store");
        std::fs::create_dir_all(dir.join(MEDIA_DIR)).expect("media folder");
        std::fs::write(dir.join(MEDIA_DIR).join("M1.jpg"), b"ana's photo").expect("photo");
        std::fs::write(
            dir.join(MEDIA_DIR).join("at_1a.pdf"),
            b"%PDF-1.4 ana's bill",
        )
        .expect("bill");
        store
            .append(vec![
                line(serde_json::json!({"kind": "message_in", "conversation": "A", "id": "w1", "at": 1, "text": "soy Ana, mi dirección es Calle 1"})),
                line(serde_json::json!({"kind": "message_in", "conversation": "B", "id": "w2", "at": 2, "text": "hola, soy Bruno"})),
                line(serde_json::json!({"kind": "media_stored", "conversation": "A", "message_id": "w1", "media_id": "M1", "file": "M1.jpg", "mime_type": "image/jpeg", "size": 11, "at": 3})),
                line(serde_json::json!({"kind": "contact_state", "conversation": "A", "at": 4, "message_id": "w1", "reason": {"because": "welcome"}, "state": {"notes": "Ana prefiere la tarde"}})),
                line(serde_json::json!({"kind": "order_placed", "conversation": "A", "at": 5, "items": ["pan"]})),
                line(serde_json::json!({"kind": "message_out", "conversation": "A", "outbox": "o1", "at": 6, "to": {"wa_id": "584121"}, "origin": {"by": "agent", "user": "lola"}, "text": "tu factura", "message": {"type": "attachment", "kind": "document", "file": "at_1a.pdf", "filename": "factura.pdf", "caption": "tu factura"}})),
            ])
            .await
            .expect("stored");
        store
    }

    fn log_text(dir: &Path) -> String {
        let mut text = String::new();
        for entry in std::fs::read_dir(dir.join(LOG_DIR)).expect("log folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "jsonl" || e == "bin") {
                text.push_str(&String::from_utf8_lossy(
                    &std::fs::read(path).expect("read"),
                ));
            }
        }
        text
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_erased_customer_leaves_nothing_in_the_log_the_index_or_the_media() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        let store = two_customers(&dir).await;

        let store = std::sync::Arc::new(store);
        let erasing = store.clone();
        let erased = tokio::task::spawn_blocking(move || erasing.erase("A"))
            .await
            .expect("joined")
            .expect("erased");

        assert_eq!((erased.records, erased.media), (5, 2));
        assert!(!dir.join(MEDIA_DIR).join("M1.jpg").exists());
        assert!(!dir.join(MEDIA_DIR).join("at_1a.pdf").exists());
        let text = log_text(&dir);
        for trace in [
            "Ana", "Calle 1", "M1.jpg", "at_1a", "factura", "pan", "\"A\"",
        ] {
            assert!(!text.contains(trace), "{trace} is still in {text}");
        }
        assert!(text.contains("Bruno"), "the other customer is kept");
        let index = store.index.read();
        assert!(index.conversation("A").is_none());
        assert!(index.contact_state("A").is_none());
        let kept = index.latest(&store.log, "B", 10).expect("read");
        assert_eq!(kept.len(), 1);
        assert!(String::from_utf8_lossy(&kept[0]).contains("Bruno"));
        drop(index);
        drop(std::sync::Arc::into_inner(store).expect("the only owner"));
        let again = Store::open(&dir, &StoreOptions::default()).expect("reopens");
        assert!(again.index.read().conversation("A").is_none());
        assert!(again.index.read().conversation("B").is_some());
    }

    #[tokio::test]
    async fn an_erase_cut_short_is_finished_at_the_next_start() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("data");
        let store = two_customers(&dir).await;
        store.checkpoint();
        // The process dies right after the marker: nothing is blanked yet.
        begin(&dir.join(LOG_DIR), "A").expect("marker");
        drop(store);

        let store = Store::open(&dir, &StoreOptions::default()).expect("reopens");

        assert!(pending(&dir.join(LOG_DIR)).is_none(), "the marker is gone");
        assert!(store.index.read().conversation("A").is_none());
        assert!(!dir.join(MEDIA_DIR).join("M1.jpg").exists());
        let text = log_text(&dir);
        assert!(!text.contains("Ana"), "{text}");
        assert!(text.contains("Bruno"));
    }
}
