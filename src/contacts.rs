//! One customer's data, for the data-protection rights shops answer to (GDPR's access,
//! portability and erasure; similar laws in Latin America): exported as JSON with their media,
//! or erased from the log and the media folder (see [`crate::store::erase`]). Used by
//! `cocolu contact` and the admins' API; every erase leaves an audit entry that names the
//! customer only by a hash.

use crate::store::erase::{belongs_to, lines_of, media_of};
use crate::store::log::{list_segments, Position};
use crate::store::{Store, LOG_DIR, MEDIA_DIR};
use base64::Engine;
use cocolu_core::api::contacts::{ContactExport, ExportedMedia};
use cocolu_core::log::{LogRecord, MediaStored};
use std::io;
use std::path::Path;

/// The audit's name for an erased customer: a hash, so the audit log keeps no identifier.
pub fn audit_name(conversation: &str) -> String {
    format!(
        "sha256:{}",
        &crate::auth::secret::digest(conversation)[..16]
    )
}

/// Builds the export from the conversation's lines and the media folder (blocking).
fn export_of(
    conversation: &str,
    lines: &[(Position, Vec<u8>)],
    media_dir: &Path,
    now: i64,
) -> io::Result<ContactExport> {
    let records = lines
        .iter()
        .filter_map(|(_, line)| serde_json::from_slice(line).ok())
        .collect();
    let mime_of = |file: &str| {
        lines
            .iter()
            .find_map(|(_, line)| match LogRecord::from_line(line) {
                Some(LogRecord::MediaStored(MediaStored {
                    file: f, mime_type, ..
                })) if f == file => Some(mime_type),
                _ => None,
            })
    };
    let mut media = Vec::new();
    for file in media_of(lines) {
        match std::fs::read(media_dir.join(&file)) {
            Ok(bytes) => media.push(ExportedMedia {
                mime_type: mime_of(&file).unwrap_or_default(),
                base64: base64::engine::general_purpose::STANDARD.encode(bytes),
                file,
            }),
            // Deleted after its retention time: nothing to export.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(ContactExport {
        conversation: conversation.to_string(),
        exported_at: now,
        records,
        media,
    })
}

/// The export, read through the running store (blocking).
pub fn export(store: &Store, conversation: &str, now: i64) -> io::Result<ContactExport> {
    let lines = lines_of(&store.log, conversation)?;
    export_of(conversation, &lines, &store.dir().join(MEDIA_DIR), now)
}

/// The export, read from a data folder's files without opening it (blocking): works while a
/// server runs on it, since the log is append-only and only read here.
pub fn export_from_folder(
    data_dir: &Path,
    conversation: &str,
    now: i64,
) -> io::Result<ContactExport> {
    let log_dir = data_dir.join(LOG_DIR);
    let segments = list_segments(&log_dir).map_err(io::Error::other)?;
    let mut lines = Vec::new();
    for segment in segments {
        let text = std::fs::read(log_dir.join(segment.file_name()))?;
        let mut offset = 0u64;
        for line in text.split(|b| *b == b'\n') {
            let position = Position {
                segment: segment.id,
                offset,
                len: line.len() as u32,
            };
            offset += line.len() as u64 + 1;
            if !line.iter().all(u8::is_ascii_whitespace) && belongs_to(line, conversation) {
                lines.push((position, line.to_vec()));
            }
        }
    }
    export_of(conversation, &lines, &data_dir.join(MEDIA_DIR), now)
}
