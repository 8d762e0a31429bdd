//! The index's checkpoint, `log/index.bin`: every part but the in-memory cache, written with
//! serde in postcard's compact binary format after a magic line naming this format. It is
//! derived data: one that is missing, damaged, from another format, or ahead of the log is
//! ignored and the index rebuilt from the log.

use super::pending::Pending;
use super::places::Places;
use super::seen::SeenIds;
use super::states::ContactStates;
use super::stats::Stats;
use super::MessageIndex;
use crate::store::atomic::write_atomic;
use crate::store::log::{Log, Position};
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};

const CHECKPOINT_FILE: &str = "index.bin";
/// Names the format: a checkpoint written by a build with another one is rebuilt.
const MAGIC: &[u8; 8] = b"CCLIDXB\n";

/// The checkpoint as written, borrowing the index's parts.
#[derive(Serialize)]
struct Written<'a> {
    covered: Option<Position>,
    newest_at: i64,
    places: &'a Places,
    seen: &'a SeenIds,
    pending: &'a Pending,
    stats: &'a Stats,
    states: &'a ContactStates,
}

/// The checkpoint as read.
#[derive(Deserialize)]
struct Read {
    covered: Option<Position>,
    newest_at: i64,
    places: Places,
    seen: SeenIds,
    pending: Pending,
    stats: Stats,
    states: ContactStates,
}

impl MessageIndex {
    /// Serializes the index for the checkpoint.
    pub fn encode(&self) -> Vec<u8> {
        let written = Written {
            covered: self.covered,
            newest_at: self.newest_at,
            places: &self.places,
            seen: &self.seen,
            pending: &self.pending,
            stats: &self.stats,
            states: &self.states,
        };
        // Plain data into a growing vector: serializing cannot fail.
        postcard::to_extend(&written, MAGIC.to_vec()).unwrap_or_default()
    }

    /// Reads a checkpoint; `None` when it is not one this build wrote whole.
    pub(super) fn decode(bytes: &[u8]) -> Option<MessageIndex> {
        let body = bytes.strip_prefix(MAGIC.as_slice())?;
        let (read, rest) = postcard::take_from_bytes::<Read>(body).ok()?;
        rest.is_empty().then(|| MessageIndex {
            places: read.places,
            seen: read.seen,
            pending: read.pending,
            stats: read.stats,
            states: read.states,
            recent: Default::default(),
            covered: read.covered,
            newest_at: read.newest_at,
        })
    }
}

/// Path of the checkpoint inside the log folder.
pub fn checkpoint_path(log_dir: &Path) -> PathBuf {
    log_dir.join(CHECKPOINT_FILE)
}

/// What loading the index did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct IndexLoad {
    /// Whether a checkpoint was used (otherwise the index was rebuilt from the whole log).
    pub from_checkpoint: bool,
    /// Records read from the log after the checkpoint.
    pub replayed: u64,
}

/// Loads the index: the checkpoint, then the records after it. A checkpoint that does not
/// match the log (missing, unreadable, or ahead of it) is ignored and the index rebuilt.
pub fn load(log: &Log, log_dir: &Path) -> io::Result<(MessageIndex, IndexLoad)> {
    let checkpoint = std::fs::read(checkpoint_path(log_dir))
        .ok()
        .and_then(|b| MessageIndex::decode(&b));
    let end = log.segments().last().map(|s| (s.id, s.len));
    let usable = checkpoint.filter(|index| match (index.covered, end) {
        (None, _) => true,
        (Some(p), Some((id, len))) => {
            p.segment < id || (p.segment == id && p.offset + u64::from(p.len) < len)
        }
        (Some(_), None) => false,
    });
    let mut load = IndexLoad {
        from_checkpoint: usable.is_some(),
        replayed: 0,
    };
    let mut index = usable.unwrap_or_default();
    let from = index.covered;
    log.scan(from, |position, bytes| {
        index.apply(position, bytes);
        load.replayed += 1;
    })?;
    index.prune_ids();
    Ok((index, load))
}

/// Writes the checkpoint atomically.
pub fn save(index: &MessageIndex, log_dir: &Path) -> io::Result<()> {
    write_atomic(&checkpoint_path(log_dir), &index.encode(), 0o600)
}
