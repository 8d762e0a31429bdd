//! `/api/contacts/{conversation}`: one customer's data, exported (their right of access and
//! portability) or erased (their right to erasure).

use serde::{Deserialize, Serialize};

/// Everything the shop holds about one customer: their conversation's log records, as stored,
/// and the media they sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ContactExport {
    pub conversation: String,
    /// When the export was made (ms since the epoch).
    pub exported_at: i64,
    /// Every record of the conversation, oldest first, exactly as the log holds it.
    pub records: Vec<serde_json::Value>,
    /// The media files their messages brought.
    pub media: Vec<ExportedMedia>,
}

/// One media file, in base64.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ExportedMedia {
    pub file: String,
    pub mime_type: String,
    pub base64: String,
}

/// What an erase removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ContactErased {
    /// Log records blanked.
    pub records: u64,
    /// Media files deleted.
    pub media: u64,
}
