//! The kinds of file WhatsApp carries (Meta's "Supported media types"): each MIME type with
//! the extension its file gets in `data/media/`, and, for the ones a person may attach to a
//! reply from the dashboard, what WhatsApp sends it as and the largest size it takes. An
//! attached file is also told apart by its first bytes, so a renamed file is refused before
//! Meta refuses it.

use crate::fault::Fault;
use serde::{Deserialize, Serialize};

/// What WhatsApp shows an attached file as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// A photo, shown in the chat (JPEG or PNG).
    Image,
    /// A file the customer opens or saves, shown with its name.
    Document,
}

impl AttachmentKind {
    /// The message `type` (and the object's key) in the Graph API.
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentKind::Image => "image",
            AttachmentKind::Document => "document",
        }
    }
}

/// How a file of one type starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signature {
    /// These bytes first.
    Starts(&'static [u8]),
    /// Text: no NUL byte in the first bytes.
    Text,
    /// Not checked (media that arrives from WhatsApp).
    Any,
}

/// One kind of file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaType {
    pub mime_type: &'static str,
    pub extension: &'static str,
    /// What it is sent as when attached from the dashboard; `None`: not attachable.
    pub attach_as: Option<AttachmentKind>,
    /// The largest file WhatsApp takes of this type, in megabytes.
    pub max_mb: u64,
    signature: Signature,
}

const MB: u64 = 1024 * 1024;
const ZIP: Signature = Signature::Starts(b"PK\x03\x04");
const OLE: Signature = Signature::Starts(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");

const fn attach(
    mime_type: &'static str,
    extension: &'static str,
    kind: AttachmentKind,
    max_mb: u64,
    signature: Signature,
) -> MediaType {
    MediaType {
        mime_type,
        extension,
        attach_as: Some(kind),
        max_mb,
        signature,
    }
}

const fn received(mime_type: &'static str, extension: &'static str, max_mb: u64) -> MediaType {
    MediaType {
        mime_type,
        extension,
        attach_as: None,
        max_mb,
        signature: Signature::Any,
    }
}

use AttachmentKind::{Document, Image};

/// Every type Cocolu names a file for; the attachable ones first.
pub const MEDIA_TYPES: [MediaType; 18] = [
    attach(
        "image/jpeg",
        "jpg",
        Image,
        5,
        Signature::Starts(b"\xFF\xD8\xFF"),
    ),
    attach(
        "image/png",
        "png",
        Image,
        5,
        Signature::Starts(b"\x89PNG\r\n\x1A\n"),
    ),
    attach(
        "application/pdf",
        "pdf",
        Document,
        100,
        Signature::Starts(b"%PDF-"),
    ),
    attach("text/plain", "txt", Document, 100, Signature::Text),
    attach(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
        Document,
        100,
        ZIP,
    ),
    attach(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
        Document,
        100,
        ZIP,
    ),
    attach(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
        Document,
        100,
        ZIP,
    ),
    attach("application/msword", "doc", Document, 100, OLE),
    attach("application/vnd.ms-excel", "xls", Document, 100, OLE),
    attach("application/vnd.ms-powerpoint", "ppt", Document, 100, OLE),
    received("image/webp", "webp", 1),
    received("audio/ogg", "ogg", 16),
    received("audio/mpeg", "mp3", 16),
    received("audio/mp4", "m4a", 16),
    received("audio/aac", "aac", 16),
    received("audio/amr", "amr", 16),
    received("video/mp4", "mp4", 16),
    received("video/3gpp", "3gp", 16),
];

/// The type of a MIME type as given (`audio/ogg; codecs=opus` is `audio/ogg`), if known.
pub fn by_mime(mime_type: &str) -> Option<&'static MediaType> {
    let essence = mime_type.split(';').next().unwrap_or("").trim();
    MEDIA_TYPES
        .iter()
        .find(|t| t.mime_type.eq_ignore_ascii_case(essence))
}

/// The type of a file name's extension, if known (`Foto.JPEG` is a JPEG).
pub fn by_file_name(name: &str) -> Option<&'static MediaType> {
    let (_, extension) = name.rsplit_once('.')?;
    let extension = extension.to_ascii_lowercase();
    let extension = match extension.as_str() {
        "jpeg" | "jpe" => "jpg",
        "text" => "txt",
        other => other,
    };
    MEDIA_TYPES.iter().find(|t| t.extension == extension)
}

/// The type of an extension of a file in `data/media/`.
pub fn by_extension(extension: &str) -> Option<&'static MediaType> {
    MEDIA_TYPES.iter().find(|t| t.extension == extension)
}

/// What a person may attach: the MIME types and extensions, as a file picker's `accept`.
pub fn accept_attribute() -> String {
    MEDIA_TYPES
        .iter()
        .filter(|t| t.attach_as.is_some())
        .flat_map(|t| [t.mime_type.to_string(), format!(".{}", t.extension)])
        .collect::<Vec<_>>()
        .join(",")
}

impl MediaType {
    /// The largest file of this type, in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_mb * MB
    }

    /// Whether a file starting with `first` (its first bytes, up to 16 are enough) can be of
    /// this type.
    pub fn starts_like(&self, first: &[u8]) -> bool {
        match self.signature {
            Signature::Starts(magic) => first.starts_with(magic),
            Signature::Text => !first.contains(&0),
            Signature::Any => true,
        }
    }
}

/// The type a person attaches, by the browser's MIME type or else the file's name (browsers
/// leave the type empty, or say `application/octet-stream`, for some documents); a fault
/// when WhatsApp does not carry it as an attachment.
pub fn attachable(mime_type: &str, name: &str) -> Result<&'static MediaType, Fault> {
    by_mime(mime_type)
        .filter(|t| t.attach_as.is_some())
        .or_else(|| by_file_name(name).filter(|t| t.attach_as.is_some()))
        .ok_or_else(|| Fault::NotAttachable {
            mime_type: mime_type.chars().take(100).collect(),
        })
}

/// Checks an attachment of `size` bytes against its type's limit.
pub fn check_size(media_type: &MediaType, size: u64) -> Result<(), Fault> {
    if size > media_type.max_bytes() {
        return Err(Fault::AttachmentTooBig {
            max_mb: media_type.max_mb as usize,
        });
    }
    if size == 0 {
        return Err(Fault::EmptyFile);
    }
    Ok(())
}

/// How an upload's file is named in the media folder until a reply claims it (`up_HEX.EXT`;
/// never sent, it is deleted after a day), and once a reply has (`at_HEX.EXT`, kept for the
/// media retention, and belonging to that reply's conversation alone).
pub const UPLOADED: &str = "up_";
pub const ATTACHED: &str = "at_";

/// The attachable type of a stored upload's file name starting with `prefix` ([`UPLOADED`]
/// or [`ATTACHED`]): the prefix, hex digits, and the extension of a type a person may attach.
pub fn stored_type(file: &str, prefix: &str) -> Option<&'static MediaType> {
    let (stem, extension) = file.strip_prefix(prefix)?.split_once('.')?;
    let hex = !stem.is_empty() && stem.len() <= 32 && stem.bytes().all(|b| b.is_ascii_hexdigit());
    by_extension(extension).filter(|t| hex && t.attach_as.is_some())
}

/// The name an upload takes when a reply claims it.
pub fn claimed_name(upload: &str) -> Option<String> {
    stored_type(upload, UPLOADED)?;
    Some(format!("{ATTACHED}{}", upload.strip_prefix(UPLOADED)?))
}

/// The name a customer sees on a document of `media_type`: [`shown_name`], ending in the
/// type's own extension (a text file is not shown as `factura.html`).
pub fn document_name(name: &str, media_type: &MediaType) -> String {
    let shown = shown_name(name);
    let fits = by_file_name(&shown).is_some_and(|t| t.mime_type == media_type.mime_type);
    if fits {
        shown
    } else if shown.is_empty() {
        format!("archivo.{}", media_type.extension)
    } else {
        shown_name(&format!("{shown}.{}", media_type.extension))
    }
}

/// A file name as WhatsApp shows it under a document: its last path part, without control
/// characters, at most 200 characters (its extension kept).
pub fn shown_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    if clean.chars().count() <= 200 {
        return clean.to_string();
    }
    match clean.rsplit_once('.') {
        Some((stem, extension)) if extension.chars().count() <= 10 => {
            let keep = 200 - extension.chars().count() - 1;
            format!(
                "{}.{extension}",
                stem.chars().take(keep).collect::<String>()
            )
        }
        _ => clean.chars().take(200).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_known_by_type_or_else_by_name() {
        assert_eq!(
            attachable("image/jpeg", "x").map(|t| t.attach_as),
            Ok(Some(Image))
        );
        assert_eq!(
            attachable("", "Lista de precios.XLSX").map(|t| t.extension),
            Ok("xlsx")
        );
        assert_eq!(
            attachable("application/octet-stream", "catalogo.pdf").map(|t| t.attach_as),
            Ok(Some(Document))
        );
        assert_eq!(
            attachable("image/webp", "sticker.webp"),
            Err(Fault::NotAttachable {
                mime_type: "image/webp".into()
            })
        );
        assert!(attachable("application/x-msdownload", "virus.exe").is_err());
    }

    #[test]
    fn a_file_must_start_like_its_type() {
        let png = by_mime("image/png").expect("png");
        assert!(png.starts_like(b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR"));
        assert!(!png.starts_like(b"GIF89a"));
        assert!(!png.starts_like(b""));
        let text = by_mime("text/plain; charset=utf-8").expect("text");
        assert!(text.starts_like("Precios: 10 €".as_bytes()));
        assert!(!text.starts_like(b"MZ\x90\0"));
        assert!(by_mime("application/msword")
            .expect("doc")
            .starts_like(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0"));
    }

    #[test]
    fn sizes_are_checked_against_whatsapp_s_limits() {
        let jpeg = by_mime("image/jpeg").expect("jpeg");
        assert_eq!(check_size(jpeg, 5 * MB), Ok(()));
        assert_eq!(
            check_size(jpeg, 5 * MB + 1),
            Err(Fault::AttachmentTooBig { max_mb: 5 })
        );
        assert_eq!(check_size(jpeg, 0), Err(Fault::EmptyFile));
    }

    #[test]
    fn names_shown_are_the_last_part_without_controls_and_not_too_long() {
        assert_eq!(shown_name("C:\\Users\\lola\\Catálogo.pdf"), "Catálogo.pdf");
        assert_eq!(shown_name("a\u{0}b\n.pdf"), "ab.pdf");
        let long = format!("{}.pdf", "x".repeat(300));
        let shown = shown_name(&long);
        assert_eq!(shown.chars().count(), 200);
        assert!(shown.ends_with(".pdf"));
    }

    #[test]
    fn uploads_are_named_up_until_a_reply_claims_them() {
        assert_eq!(
            stored_type("up_5f0c9a1e2b3d4c6a.pdf", UPLOADED).map(|t| t.extension),
            Some("pdf")
        );
        assert_eq!(
            claimed_name("up_5f0c9a1e2b3d4c6a.pdf").as_deref(),
            Some("at_5f0c9a1e2b3d4c6a.pdf")
        );
        for not_an_upload in [
            "1234567890.jpg",
            "up_.pdf",
            "up_xyz.pdf",
            "up_00.webp",
            "up_00.ogg",
            "up_00",
            "up_00.pdf/../x",
            "at_00.pdf",
        ] {
            assert_eq!(
                stored_type(not_an_upload, UPLOADED),
                None,
                "{not_an_upload}"
            );
            assert_eq!(claimed_name(not_an_upload), None, "{not_an_upload}");
        }
        assert!(stored_type("at_00.pdf", ATTACHED).is_some());
    }

    #[test]
    fn a_document_is_shown_with_its_own_extension() {
        let text = by_mime("text/plain").expect("text");
        assert_eq!(document_name("precios.txt", text), "precios.txt");
        assert_eq!(document_name("factura.html", text), "factura.html.txt");
        assert_eq!(document_name("", text), "archivo.txt");
        let pdf = by_mime("application/pdf").expect("pdf");
        assert_eq!(document_name("Catálogo.PDF", pdf), "Catálogo.PDF");
    }

    #[test]
    fn every_extension_names_one_type() {
        for (i, a) in MEDIA_TYPES.iter().enumerate() {
            for b in &MEDIA_TYPES[i + 1..] {
                assert_ne!(a.extension, b.extension);
                assert_ne!(a.mime_type, b.mime_type);
            }
            assert_eq!(by_extension(a.extension), Some(a));
        }
        assert!(accept_attribute().contains("application/pdf,.pdf"));
    }
}
