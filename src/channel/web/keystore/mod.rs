//! The WhatsApp Web library's storage traits over Cocolu's own flat files: every key, session
//! and device record goes into a [`Journal`] in `data/whatsapp-web/`, durable before the call
//! returns (a lost Signal key write would break decryption), with no database.
//!
//! Each kind of record has its own space in the journal; composite keys join their parts with
//! U+001F, which no JID, id or collection name contains. Structured records are JSON (the
//! library's types are serde types); key material is stored as the bytes it is.

use crate::store::journal::{Journal, JournalError, Op, Spaces};
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use whatsapp_rust::async_trait;
use whatsapp_rust::wacore::appstate::hash::HashState;
use whatsapp_rust::wacore::appstate::processor::AppStateMutationMAC;
use whatsapp_rust::wacore::store::error::{Result, StoreError};
use whatsapp_rust::wacore::store::traits::{
    merge_msg_secret_expiry, merge_msg_secret_message_ts, AppStateSyncKey, AppSyncStore,
    DeviceListRecord, DeviceStore, LidPnMappingEntry, MsgSecretEntry, MsgSecretStore,
    ProtocolStore, SignalStore, TcTokenEntry,
};
use whatsapp_rust::wacore::store::Device;

/// The journal's name in the channel's folder.
const NAME: &str = "keys";
/// Sent messages kept for retries (the library asks for them back on a retry receipt).
const MAX_SENT_MESSAGES: usize = 4096;

const IDENTITY: &str = "identity";
const SESSION: &str = "session";
const PREKEY: &str = "prekey";
const SIGNED_PREKEY: &str = "signed_prekey";
const SENDER_KEY: &str = "sender_key";
const SYNC_KEY: &str = "sync_key";
const APP_VERSION: &str = "app_version";
const MUTATION_MAC: &str = "mutation_mac";
const SENDER_KEY_DEVICE: &str = "sender_key_device";
const LID: &str = "lid";
const PHONE: &str = "phone";
const BASE_KEY: &str = "base_key";
const DEVICE_LIST: &str = "device_list";
const GROUP_METADATA: &str = "group_metadata";
const TC_TOKEN: &str = "tc_token";
const SENT: &str = "sent";
const PENDING_INBOUND: &str = "pending_inbound";
const MSG_SECRET: &str = "msg_secret";
const DEVICE: &str = "device";
const META: &str = "meta";
const LATEST_SYNC_KEY: &str = "latest_sync_key_id";
const THIS_DEVICE: &str = "this";

/// Joins the parts of a composite key.
fn key(parts: &[&str]) -> String {
    parts.join("\u{1f}")
}

/// A collection name and a MAC, as one key of the mutation MAC space.
fn mac_key(name: &str, index_mac: &[u8]) -> String {
    key(&[name, &hex(index_mac)])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Pre-key ids as keys that sort in numeric order.
fn id_key(id: u32) -> String {
    format!("{id:010}")
}

fn json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| StoreError::Serialization(Box::new(e)))
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Serialization(Box::new(e)))
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn store_error(e: JournalError) -> StoreError {
    match e {
        JournalError::Io { source, .. } => StoreError::Io(source),
        corrupt => StoreError::Database(Box::new(corrupt)),
    }
}

/// A sent message kept for retries, with when it was stored.
#[derive(serde::Serialize, serde::Deserialize)]
struct Sent {
    at: i64,
    #[serde(with = "bytes_b64")]
    payload: Vec<u8>,
}

/// A message secret with its expiry and the parent message's time.
#[derive(serde::Serialize, serde::Deserialize)]
struct Secret {
    #[serde(with = "bytes_b64")]
    secret: Vec<u8>,
    expires_at: i64,
    message_ts: i64,
}

/// A buffered inbound message awaiting its durability commit.
#[derive(serde::Serialize, serde::Deserialize)]
struct Pending {
    at: i64,
    #[serde(with = "bytes_b64")]
    message: Vec<u8>,
}

mod bytes_b64 {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// The channel's keys, sessions and device, in `data/whatsapp-web/keys.jsonl`.
#[derive(Clone)]
pub struct KeyStore {
    journal: Arc<Journal>,
}

impl KeyStore {
    /// Opens the store in `dir` (created if missing).
    pub fn open(dir: &Path) -> std::result::Result<KeyStore, JournalError> {
        Ok(KeyStore {
            journal: Arc::new(Journal::open(dir, NAME)?),
        })
    }

    /// Whether the device record exists. The library makes it before pairing (with fresh
    /// keys) and fills in the linked number once a phone has scanned the code, so this alone
    /// does not say the phone is linked.
    fn has_device(&self) -> bool {
        self.journal.read(|spaces| {
            spaces
                .get(DEVICE)
                .is_some_and(|s| s.contains_key(THIS_DEVICE))
        })
    }

    /// Forgets everything (after "unlink"): the next start pairs anew.
    pub async fn clear(&self) -> Result<()> {
        self.change(|spaces| (spaces.keys().map(|s| Op::clear(s)).collect(), ()))
            .await
    }

    fn get(&self, space: &str, key: &str) -> Option<Vec<u8>> {
        self.journal.get(space, key)
    }

    fn get_json<T: DeserializeOwned>(&self, space: &str, key: &str) -> Result<Option<T>> {
        self.get(space, key).map(|bytes| parse(&bytes)).transpose()
    }

    /// Writes `ops` durably (off the async threads: it waits for the disk).
    async fn apply(&self, ops: Vec<Op>) -> Result<()> {
        self.change(move |_| (ops, ())).await
    }

    async fn change<R: Send + 'static>(
        &self,
        compute: impl FnOnce(&Spaces) -> (Vec<Op>, R) + Send + 'static,
    ) -> Result<R> {
        let journal = self.journal.clone();
        tokio::task::spawn_blocking(move || journal.change(compute))
            .await
            .map_err(|e| StoreError::Io(std::io::Error::other(e)))?
            .map_err(store_error)
    }
}

#[async_trait]
impl DeviceStore for KeyStore {
    async fn save(&self, device: &Device) -> Result<()> {
        self.apply(vec![Op::put(DEVICE, THIS_DEVICE, json(device)?)])
            .await
    }

    async fn load(&self) -> Result<Option<Device>> {
        self.get_json(DEVICE, THIS_DEVICE)
    }

    async fn exists(&self) -> Result<bool> {
        Ok(self.has_device())
    }

    async fn create(&self) -> Result<i32> {
        if !self.has_device() {
            self.save(&Device::new()).await?;
        }
        Ok(1)
    }
}

impl KeyStore {
    /// Deletes the keys of `space` that `doomed` picks.
    async fn delete_where(
        &self,
        space: &'static str,
        doomed: impl Fn(&str) -> bool + Send + 'static,
    ) -> Result<()> {
        self.delete_counted(space, move |k, _| doomed(k))
            .await
            .map(|_| ())
    }

    /// Deletes the entries of `space` that `doomed` picks; returns how many.
    async fn delete_counted(
        &self,
        space: &'static str,
        doomed: impl Fn(&str, &[u8]) -> bool + Send + 'static,
    ) -> Result<u32> {
        self.change(move |spaces| {
            let ops: Vec<Op> = spaces
                .get(space)
                .map(|entries| {
                    entries
                        .iter()
                        .filter(|(k, v)| doomed(k, v))
                        .map(|(k, _)| Op::delete(space, k))
                        .collect()
                })
                .unwrap_or_default();
            let count = ops.len() as u32;
            (ops, count)
        })
        .await
    }
}

mod app_sync;
mod protocol;
mod secrets;
mod signal;
#[cfg(test)]
mod tests;
