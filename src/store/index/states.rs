//! The engine's memory of each contact: the latest `contact_state` record of each
//! conversation, kept as written (the bot reads it back whole).

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// Conversation → its latest `contact_state` line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactStates {
    latest: HashMap<Box<str>, Arc<[u8]>>,
}

impl ContactStates {
    pub fn keep(&mut self, conversation: &str, line: &[u8]) {
        self.latest.insert(Box::from(conversation), Arc::from(line));
    }

    pub fn get(&self, conversation: &str) -> Option<Arc<[u8]>> {
        self.latest.get(conversation).cloned()
    }
}
