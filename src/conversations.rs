//! Reading conversations back from the log: who the customer is, and their latest records.

use crate::channel::ContactRef;
use crate::store::Store;
use serde_json::Value;

/// How many recent records are searched for the customer's details.
const LOOKBACK: usize = 50;

/// The customer's latest message in a conversation, among the recent records (blocking).
fn latest_inbound(store: &Store, conversation: &str) -> Option<Value> {
    let records = store
        .index
        .read()
        .latest(&store.log, conversation, LOOKBACK)
        .ok()?;
    records.iter().rev().find_map(|bytes| {
        let record: Value = serde_json::from_slice(bytes).ok()?;
        (record.get("kind")?.as_str()? == "message_in").then_some(record)
    })
}

/// The customer of a conversation, as their latest message described them (blocking).
pub fn contact(store: &Store, conversation: &str) -> Option<ContactRef> {
    serde_json::from_value(latest_inbound(store, conversation)?.get("contact")?.clone()).ok()
}

/// The id of the customer's latest message in a conversation (blocking).
pub fn latest_inbound_id(store: &Store, conversation: &str) -> Option<String> {
    latest_inbound(store, conversation)?
        .get("id")?
        .as_str()
        .map(str::to_string)
}

/// The latest `limit` records of a conversation, oldest first, as JSON (blocking).
pub fn latest(store: &Store, conversation: &str, limit: usize) -> std::io::Result<Vec<Value>> {
    let records = store.index.read().latest(&store.log, conversation, limit)?;
    Ok(records
        .iter()
        .filter_map(|bytes| serde_json::from_slice(bytes).ok())
        .collect())
}
