//! The most recent records of the busiest conversations, kept in memory within a budget, so
//! that opening a conversation or listing the inbox reads no disk. Not checkpointed: it fills
//! again as records arrive and conversations are read.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Recent records kept in memory per conversation.
pub const RECENT_PER_CONVERSATION: usize = 20;
/// Total bytes of recent records kept in memory.
pub const RECENT_BUDGET_BYTES: usize = 4 * 1024 * 1024;

#[derive(Default)]
pub struct Recent {
    lists: HashMap<Box<str>, VecDeque<Arc<[u8]>>>,
    bytes: usize,
}

impl Recent {
    /// Keeps a conversation's newest record; past the budget, the caches of the quietest
    /// conversations (by `last_at`) go.
    pub fn remember(&mut self, key: &str, line: &[u8], last_at: impl Fn(&str) -> i64) {
        let list = self.lists.entry(Box::from(key)).or_default();
        list.push_back(Arc::from(line));
        self.bytes += line.len();
        if list.len() > RECENT_PER_CONVERSATION {
            if let Some(old) = list.pop_front() {
                self.bytes -= old.len();
            }
        }
        if self.bytes > RECENT_BUDGET_BYTES {
            self.evict_quietest(last_at);
        }
    }

    /// Drops the caches of the quietest conversations until a quarter of the budget is free
    /// (in one pass, so a long replay does not pay for an eviction per record).
    fn evict_quietest(&mut self, last_at: impl Fn(&str) -> i64) {
        let mut by_quiet: Vec<(i64, Box<str>)> =
            self.lists.keys().map(|k| (last_at(k), k.clone())).collect();
        by_quiet.sort_unstable();
        for (_, key) in by_quiet {
            if self.bytes <= RECENT_BUDGET_BYTES / 4 * 3 {
                break;
            }
            if let Some(list) = self.lists.remove(&key) {
                self.bytes -= list.iter().map(|r| r.len()).sum::<usize>();
            }
        }
    }

    /// The cached records of a conversation, oldest first.
    pub fn of(&self, key: &str) -> Option<&VecDeque<Arc<[u8]>>> {
        self.lists.get(key)
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}
