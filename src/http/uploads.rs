//! `POST /api/uploads`: a file a person attaches to a reply. It is checked (a type WhatsApp
//! carries, within its size, its first bytes those of its type), streamed into the data
//! folder's `media/` under a new name, and answered with what a reply needs to send it
//! ([`Outbound::Attachment`](cocolu_core::outbound::Outbound::Attachment)). The channel
//! uploads it to Meta when the reply goes out. Files never sent are deleted with the media
//! retention.

use super::access::Access;
use super::error::{ApiError, ApiJson};
use super::openapi::{Api, Doc};
use super::state::AppState;
use crate::store::atomic::PendingFile;
use crate::store::MEDIA_DIR;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::routing::post;
use cocolu_core::api::inbox::Uploaded;
use cocolu_core::fault::Fault;
use cocolu_core::media_types::{self, MediaType};
use futures_util::StreamExt;
use serde::Deserialize;
use std::path::PathBuf;
use tokio::sync::mpsc;

/// The largest body this route reads: the largest attachment WhatsApp takes.
const MAX_UPLOAD_BYTES: usize = 100 * 1024 * 1024;

/// The route, as the listener sees it (its body may take longer; see `listen.rs`).
pub const PATH: &str = "/api/uploads";

/// Uploads stored at once; more are answered "busy" (each holds a file being written and a
/// blocking thread).
pub const UPLOADS_AT_ONCE: usize = 2;

pub fn routes(api: Api) -> Api {
    api.op(
        Method::POST,
        "/uploads",
        Access::User,
        Doc::new("conversations", "Attach a file to send in a reply")
            .describe(
                "The body is the file itself, with its `Content-Type` (a JPEG or PNG photo up \
                 to 5 MB; a PDF, Word, Excel, PowerPoint or text document up to 100 MB), and \
                 `name` the file's name. Answers what to put in an `attachment` message for \
                 `POST /api/conversations/{conversation}/messages`. A file whose content is \
                 not of its type is refused. Files never sent are deleted with the media \
                 retention.",
            )
            .query::<UploadParams>()
            .takes_file()
            .returns::<Uploaded>()
            .status(201),
        // A little over the largest attachment, so that the size check below speaks first.
        post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 1024 * 1024)),
    )
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
struct UploadParams {
    /// The file's name, as the customer will see it on a document.
    name: Option<String>,
}

fn refused(fault: Fault) -> ApiError {
    ApiError::Faulty {
        code: "attachment",
        faults: vec![fault],
    }
}

/// Space the data folder's disk keeps free for the log and the documents, whatever is
/// attached.
const DISK_RESERVE: u64 = 256 * 1024 * 1024;

/// Whether the disk of `dir` can take `bytes` more and keep its reserve (when it cannot be
/// told, the write itself says).
fn room_for(dir: &std::path::Path, bytes: u64) -> bool {
    rustix::fs::statvfs(dir).map_or(true, |disk| {
        disk.f_bavail.saturating_mul(disk.f_frsize) >= bytes.saturating_add(DISK_RESERVE)
    })
}

/// A new file name in the media folder: `up_` and 16 random hex digits, and the extension.
fn new_name(media_type: &MediaType) -> Result<String, ApiError> {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|e| ApiError::Internal(e.to_string()))?;
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!(
        "{}{hex}.{}",
        media_types::UPLOADED,
        media_type.extension
    ))
}

async fn upload(
    State(state): State<AppState>,
    Query(params): Query<UploadParams>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, ApiJson<Uploaded>), ApiError> {
    let filename = media_types::shown_name(params.name.as_deref().unwrap_or(""));
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media_type = media_types::attachable(declared, &filename).map_err(refused)?;
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(size) = announced {
        media_types::check_size(media_type, size).map_err(refused)?;
    }
    let _permit = state
        .runtime
        .uploads
        .clone()
        .try_acquire_owned()
        .map_err(|_| {
            ApiError::Busy("Other files are being attached right now; try again in a moment.")
        })?;
    let media_dir = state.store.dir().join(MEDIA_DIR);
    let needed = announced.unwrap_or(media_type.max_bytes());
    if !room_for(state.store.dir(), needed) {
        return Err(ApiError::Storage(
            "the data folder's disk is almost full; attach a smaller file, or free space".into(),
        ));
    }
    let file = new_name(media_type)?;
    let path = media_dir.join(&file);
    let size = store(body, media_type, path).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(Uploaded {
            file,
            kind: media_type
                .attach_as
                .unwrap_or(media_types::AttachmentKind::Document),
            mime_type: media_type.mime_type.to_string(),
            size,
            filename: media_types::document_name(&filename, media_type),
        }),
    ))
}

/// Streams `body` into `path` (written whole, or not at all), checking its first bytes and
/// its size as it comes; returns the size.
async fn store(body: Body, media_type: &'static MediaType, path: PathBuf) -> Result<u64, ApiError> {
    let (pieces, mut received) = mpsc::channel::<bytes::Bytes>(4);
    let writer = tokio::task::spawn_blocking(move || -> std::io::Result<PendingFile> {
        if let Some(dir) = path.parent() {
            crate::store::create_private_dir(dir)?;
        }
        let mut file = PendingFile::create(&path, 0o600)?;
        while let Some(piece) = received.blocking_recv() {
            file.write(&piece)?;
        }
        Ok(file)
    });
    let mut stream = body.into_data_stream();
    let mut size: u64 = 0;
    let mut first: Vec<u8> = Vec::with_capacity(16);
    let read: Result<(), ApiError> = async {
        while let Some(piece) = stream.next().await {
            let piece = piece.map_err(|_| {
                ApiError::BadRequest("The file did not arrive whole; attach it again.".into())
            })?;
            size = size.saturating_add(piece.len() as u64);
            if size > media_type.max_bytes() {
                return Err(refused(Fault::AttachmentTooBig {
                    max_mb: media_type.max_mb as usize,
                }));
            }
            if first.len() < 16 {
                let take = (16 - first.len()).min(piece.len());
                first.extend_from_slice(&piece[..take]);
                if first.len() == 16 && !media_type.starts_like(&first) {
                    return Err(not_like(media_type));
                }
            }
            if pieces.send(piece).await.is_err() {
                break;
            }
        }
        Ok(())
    }
    .await;
    drop(pieces);
    let written = writer
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Storage(e.to_string()))?;
    // On any refusal the pending file is dropped, and so deleted.
    read?;
    media_types::check_size(media_type, size).map_err(refused)?;
    if !media_type.starts_like(&first) {
        return Err(not_like(media_type));
    }
    tokio::task::spawn_blocking(move || written.commit())
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Storage(e.to_string()))?;
    Ok(size)
}

fn not_like(media_type: &MediaType) -> ApiError {
    refused(Fault::NotLikeItsType {
        mime_type: media_type.mime_type.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disk_keeps_its_reserve() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(!room_for(dir.path(), u64::MAX / 2), "no disk is that large");
        let free = rustix::fs::statvfs(dir.path()).expect("statvfs");
        let available = free.f_bavail * free.f_frsize;
        assert_eq!(room_for(dir.path(), 1024), available >= 1024 + DISK_RESERVE);
    }
}
