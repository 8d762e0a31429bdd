//! The message ids of the last days, to recognise a message the channel delivers again.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Message ids are remembered this long (Meta redelivers for up to seven days).
pub const DEDUPE_WINDOW_MS: i64 = 8 * 24 * 3600 * 1000;
/// While running, ids past the window are forgotten each time the index's clock has moved this
/// far: the set stays within the window plus this much, and the pass over it costs nothing
/// noticeable once an hour.
pub const PRUNE_EVERY_MS: i64 = 3600 * 1000;

/// A stable 64-bit hash of a message id (the same across restarts and builds).
fn id_hash(id: &str) -> u64 {
    // FNV-1a: tiny and stable; ids come from Meta, not from an attacker choosing collisions
    // in a way that could do more than make one message look like a duplicate of another.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Message id hashes and when they were stored (the index's clock then).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenIds {
    ids: HashMap<u64, i64>,
    /// The index's clock when ids were last pruned.
    pruned_at: i64,
}

impl SeenIds {
    /// Remembers `id` as stored at `now` (the index's clock).
    pub fn remember(&mut self, id: &str, now: i64) {
        self.ids.insert(id_hash(id), now);
    }

    /// Forgets old ids each time an hour of the index's clock has passed.
    pub fn tick(&mut self, now: i64) {
        if now - self.pruned_at >= PRUNE_EVERY_MS {
            self.prune(now);
        }
    }

    /// How many ids are remembered.
    pub fn count(&self) -> usize {
        self.ids.len()
    }

    /// Forgets ids older than the dedupe window.
    pub fn prune(&mut self, now: i64) {
        let cutoff = now - DEDUPE_WINDOW_MS;
        self.ids.retain(|_, at| *at >= cutoff);
        self.pruned_at = now;
    }

    /// Whether the id was stored within the window.
    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains_key(&id_hash(id))
    }
}
