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
impl SignalStore for KeyStore {
    async fn put_identity(&self, address: &str, key: [u8; 32]) -> Result<()> {
        self.apply(vec![Op::put(IDENTITY, address, key.to_vec())])
            .await
    }

    async fn put_identities_batch(&self, identities: &[(Arc<str>, [u8; 32])]) -> Result<()> {
        let ops = identities
            .iter()
            .map(|(address, key)| Op::put(IDENTITY, address, key.to_vec()))
            .collect();
        self.apply(ops).await
    }

    async fn load_identity(&self, address: &str) -> Result<Option<[u8; 32]>> {
        match self.get(IDENTITY, address) {
            None => Ok(None),
            Some(bytes) => bytes.try_into().map(Some).map_err(|bytes: Vec<u8>| {
                StoreError::Validation(format!("identity key of {} bytes", bytes.len()))
            }),
        }
    }

    async fn delete_identity(&self, address: &str) -> Result<()> {
        self.apply(vec![Op::delete(IDENTITY, address)]).await
    }

    async fn get_session(&self, address: &str) -> Result<Option<Bytes>> {
        Ok(self.get(SESSION, address).map(Bytes::from))
    }

    async fn put_session(&self, address: &str, session: &[u8]) -> Result<()> {
        self.apply(vec![Op::put(SESSION, address, session.to_vec())])
            .await
    }

    async fn put_sessions_batch(&self, sessions: &[(Arc<str>, Bytes)]) -> Result<()> {
        let ops = sessions
            .iter()
            .map(|(address, session)| Op::put(SESSION, address, session.to_vec()))
            .collect();
        self.apply(ops).await
    }

    async fn delete_session(&self, address: &str) -> Result<()> {
        self.apply(vec![Op::delete(SESSION, address)]).await
    }

    async fn has_signal_state_for_user(&self, user: &str) -> Result<bool> {
        let of_user = |address: &String| {
            address
                .strip_prefix(user)
                .is_some_and(|rest| rest.starts_with('@') || rest.starts_with(':'))
        };
        Ok(self.journal.read(|spaces| {
            [SESSION, IDENTITY]
                .iter()
                .filter_map(|space| spaces.get(*space))
                .any(|entries| entries.keys().any(of_user))
        }))
    }

    async fn store_prekey(&self, id: u32, record: &[u8], uploaded: bool) -> Result<()> {
        self.store_prekeys_batch(&[(id, Bytes::copy_from_slice(record))], uploaded)
            .await
    }

    async fn store_prekeys_batch(&self, keys: &[(u32, Bytes)], uploaded: bool) -> Result<()> {
        let ops = keys
            .iter()
            .map(|(id, record)| {
                let mut value = vec![u8::from(uploaded)];
                value.extend_from_slice(record);
                Op::put(PREKEY, &id_key(*id), value)
            })
            .collect();
        self.apply(ops).await
    }

    async fn load_prekey(&self, id: u32) -> Result<Option<Bytes>> {
        Ok(self
            .get(PREKEY, &id_key(id))
            .map(|value| Bytes::copy_from_slice(value.get(1..).unwrap_or_default())))
    }

    async fn load_prekeys_batch(&self, ids: &[u32]) -> Result<Vec<(u32, Bytes)>> {
        let mut found = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some(record) = self.load_prekey(id).await? {
                found.push((id, record));
            }
        }
        Ok(found)
    }

    async fn mark_prekeys_uploaded(&self, ids: &[u32]) -> Result<()> {
        let ids = ids.to_vec();
        self.change(move |spaces| {
            let ops = ids
                .iter()
                .filter_map(|id| {
                    let key = id_key(*id);
                    let mut value = spaces.get(PREKEY)?.get(&key)?.clone();
                    (value.first() == Some(&0)).then(|| {
                        value[0] = 1;
                        Op::put(PREKEY, &key, value)
                    })
                })
                .collect();
            (ops, ())
        })
        .await
    }

    async fn remove_prekey(&self, id: u32) -> Result<()> {
        self.apply(vec![Op::delete(PREKEY, &id_key(id))]).await
    }

    async fn get_max_prekey_id(&self) -> Result<u32> {
        Ok(self.journal.read(|spaces| {
            spaces
                .get(PREKEY)
                .and_then(|entries| entries.keys().next_back())
                .and_then(|key| key.parse().ok())
                .unwrap_or(0)
        }))
    }

    async fn store_signed_prekey(&self, id: u32, record: &[u8]) -> Result<()> {
        self.apply(vec![Op::put(SIGNED_PREKEY, &id_key(id), record.to_vec())])
            .await
    }

    async fn load_signed_prekey(&self, id: u32) -> Result<Option<Vec<u8>>> {
        Ok(self.get(SIGNED_PREKEY, &id_key(id)))
    }

    async fn load_all_signed_prekeys(&self) -> Result<Vec<(u32, Vec<u8>)>> {
        Ok(self.journal.read(|spaces| {
            spaces
                .get(SIGNED_PREKEY)
                .map(|entries| {
                    entries
                        .iter()
                        .filter_map(|(k, v)| Some((k.parse().ok()?, v.clone())))
                        .collect()
                })
                .unwrap_or_default()
        }))
    }

    async fn remove_signed_prekey(&self, id: u32) -> Result<()> {
        self.apply(vec![Op::delete(SIGNED_PREKEY, &id_key(id))])
            .await
    }

    async fn put_sender_key(&self, address: &str, record: &[u8]) -> Result<()> {
        self.apply(vec![Op::put(SENDER_KEY, address, record.to_vec())])
            .await
    }

    async fn put_sender_keys_batch(&self, sender_keys: &[(Arc<str>, Bytes)]) -> Result<()> {
        let ops = sender_keys
            .iter()
            .map(|(address, record)| Op::put(SENDER_KEY, address, record.to_vec()))
            .collect();
        self.apply(ops).await
    }

    async fn get_sender_key(&self, address: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get(SENDER_KEY, address))
    }

    async fn delete_sender_key(&self, address: &str) -> Result<()> {
        self.apply(vec![Op::delete(SENDER_KEY, address)]).await
    }
}

#[async_trait]
impl AppSyncStore for KeyStore {
    async fn get_sync_key(&self, key_id: &[u8]) -> Result<Option<AppStateSyncKey>> {
        self.get_json(SYNC_KEY, &hex(key_id))
    }

    async fn set_sync_key(&self, key_id: &[u8], key: AppStateSyncKey) -> Result<()> {
        self.apply(vec![
            Op::put(SYNC_KEY, &hex(key_id), json(&key)?),
            Op::put(META, LATEST_SYNC_KEY, key_id.to_vec()),
        ])
        .await
    }

    async fn get_version(&self, name: &str) -> Result<HashState> {
        Ok(self.get_json(APP_VERSION, name)?.unwrap_or_default())
    }

    async fn set_version(&self, name: &str, state: HashState) -> Result<()> {
        self.apply(vec![Op::put(APP_VERSION, name, json(&state)?)])
            .await
    }

    async fn put_mutation_macs(
        &self,
        name: &str,
        _version: u64,
        mutations: &[AppStateMutationMAC],
    ) -> Result<()> {
        let ops = mutations
            .iter()
            .map(|m| {
                Op::put(
                    MUTATION_MAC,
                    &mac_key(name, &m.index_mac),
                    m.value_mac.clone(),
                )
            })
            .collect();
        self.apply(ops).await
    }

    async fn get_mutation_mac(&self, name: &str, index_mac: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.get(MUTATION_MAC, &mac_key(name, index_mac)))
    }

    async fn delete_mutation_macs(&self, name: &str, index_macs: &[Vec<u8>]) -> Result<()> {
        let ops = index_macs
            .iter()
            .map(|mac| Op::delete(MUTATION_MAC, &mac_key(name, mac)))
            .collect();
        self.apply(ops).await
    }

    async fn clear_mutation_macs(&self, name: &str) -> Result<()> {
        let prefix = key(&[name, ""]);
        self.change(move |spaces| {
            let ops = spaces
                .get(MUTATION_MAC)
                .map(|entries| {
                    entries
                        .range(prefix.clone()..)
                        .take_while(|(k, _)| k.starts_with(&prefix))
                        .map(|(k, _)| Op::delete(MUTATION_MAC, k))
                        .collect()
                })
                .unwrap_or_default();
            (ops, ())
        })
        .await
    }

    async fn get_latest_sync_key_id(&self) -> Result<Option<Vec<u8>>> {
        Ok(self.get(META, LATEST_SYNC_KEY))
    }
}

#[async_trait]
impl ProtocolStore for KeyStore {
    async fn get_sender_key_devices(&self, group_jid: &str) -> Result<Vec<(String, bool)>> {
        let prefix = key(&[group_jid, ""]);
        Ok(self.journal.read(|spaces| {
            spaces
                .get(SENDER_KEY_DEVICE)
                .map(|entries| {
                    entries
                        .range(prefix.clone()..)
                        .take_while(|(k, _)| k.starts_with(&prefix))
                        .map(|(k, v)| (k[prefix.len()..].to_string(), v.first() == Some(&1)))
                        .collect()
                })
                .unwrap_or_default()
        }))
    }

    async fn set_sender_key_status(&self, group_jid: &str, entries: &[(&str, bool)]) -> Result<()> {
        let ops = entries
            .iter()
            .map(|(device, has_key)| {
                Op::put(
                    SENDER_KEY_DEVICE,
                    &key(&[group_jid, device]),
                    vec![u8::from(*has_key)],
                )
            })
            .collect();
        self.apply(ops).await
    }

    async fn clear_sender_key_devices(&self, group_jid: &str) -> Result<()> {
        let prefix = key(&[group_jid, ""]);
        self.delete_where(SENDER_KEY_DEVICE, move |k| k.starts_with(&prefix))
            .await
    }

    async fn delete_sender_key_device_rows(&self, device_jids: &[&str]) -> Result<()> {
        let devices: Vec<String> = device_jids.iter().map(|d| d.to_string()).collect();
        self.delete_where(SENDER_KEY_DEVICE, move |k| {
            k.split_once('\u{1f}')
                .is_some_and(|(_, device)| devices.iter().any(|d| d == device))
        })
        .await
    }

    async fn clear_all_sender_key_devices(&self) -> Result<()> {
        self.apply(vec![Op::clear(SENDER_KEY_DEVICE)]).await
    }

    async fn get_lid_mapping(&self, lid: &str) -> Result<Option<LidPnMappingEntry>> {
        self.get_json(LID, lid)
    }

    async fn get_pn_mapping(&self, phone: &str) -> Result<Option<LidPnMappingEntry>> {
        match self.get(PHONE, phone) {
            Some(lid) => self.get_json(LID, &String::from_utf8_lossy(&lid)),
            None => Ok(None),
        }
    }

    async fn put_lid_mapping(&self, entry: &LidPnMappingEntry) -> Result<()> {
        self.put_lid_mappings(std::slice::from_ref(entry)).await
    }

    async fn put_lid_mappings(&self, entries: &[LidPnMappingEntry]) -> Result<()> {
        let mut encoded = Vec::with_capacity(entries.len());
        for entry in entries {
            encoded.push((entry.clone(), json(entry)?));
        }
        self.change(move |spaces| {
            let mut ops = Vec::new();
            for (entry, bytes) in encoded {
                // A number that moved to another LID stops pointing at the old one.
                let old_phone = spaces
                    .get(LID)
                    .and_then(|s| s.get(&entry.lid))
                    .and_then(|old| serde_json::from_slice::<LidPnMappingEntry>(old).ok())
                    .map(|old| old.phone_number)
                    .filter(|old| *old != entry.phone_number);
                if let Some(old) = old_phone {
                    ops.push(Op::delete(PHONE, &old));
                }
                ops.push(Op::put(PHONE, &entry.phone_number, entry.lid.as_bytes()));
                ops.push(Op::put(LID, &entry.lid, bytes));
            }
            (ops, ())
        })
        .await
    }

    async fn get_all_lid_mappings(&self) -> Result<Vec<LidPnMappingEntry>> {
        self.journal.read(|spaces| {
            spaces
                .get(LID)
                .map(|entries| entries.values().map(|v| parse(v)).collect())
                .unwrap_or(Ok(Vec::new()))
        })
    }

    async fn save_base_key(&self, address: &str, message_id: &str, base_key: &[u8]) -> Result<()> {
        self.apply(vec![Op::put(
            BASE_KEY,
            &key(&[address, message_id]),
            base_key.to_vec(),
        )])
        .await
    }

    async fn has_same_base_key(
        &self,
        address: &str,
        message_id: &str,
        current_base_key: &[u8],
    ) -> Result<bool> {
        Ok(self
            .get(BASE_KEY, &key(&[address, message_id]))
            .is_some_and(|stored| stored == current_base_key))
    }

    async fn delete_base_key(&self, address: &str, message_id: &str) -> Result<()> {
        self.apply(vec![Op::delete(BASE_KEY, &key(&[address, message_id]))])
            .await
    }

    async fn update_device_list(&self, record: DeviceListRecord) -> Result<()> {
        self.update_device_lists(vec![record]).await
    }

    async fn update_device_lists(&self, records: Vec<DeviceListRecord>) -> Result<()> {
        let mut ops = Vec::with_capacity(records.len());
        for record in &records {
            ops.push(Op::put(DEVICE_LIST, &record.user, json(record)?));
        }
        self.apply(ops).await
    }

    async fn get_devices(&self, user: &str) -> Result<Option<DeviceListRecord>> {
        self.get_json(DEVICE_LIST, user)
    }

    async fn delete_devices(&self, user: &str) -> Result<()> {
        self.apply(vec![Op::delete(DEVICE_LIST, user)]).await
    }

    async fn get_group_metadata(&self, group_jid: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.get(GROUP_METADATA, group_jid))
    }

    async fn put_group_metadata(&self, group_jid: &str, blob: &[u8]) -> Result<()> {
        self.apply(vec![Op::put(GROUP_METADATA, group_jid, blob.to_vec())])
            .await
    }

    async fn delete_group_metadata(&self, group_jid: &str) -> Result<()> {
        self.apply(vec![Op::delete(GROUP_METADATA, group_jid)])
            .await
    }

    async fn get_tc_token(&self, jid: &str) -> Result<Option<TcTokenEntry>> {
        self.get_json(TC_TOKEN, jid)
    }

    async fn put_tc_token(&self, jid: &str, entry: &TcTokenEntry) -> Result<()> {
        self.apply(vec![Op::put(TC_TOKEN, jid, json(entry)?)]).await
    }

    async fn delete_tc_token(&self, jid: &str) -> Result<()> {
        self.apply(vec![Op::delete(TC_TOKEN, jid)]).await
    }

    async fn get_all_tc_token_jids(&self) -> Result<Vec<String>> {
        Ok(self.journal.read(|spaces| {
            spaces
                .get(TC_TOKEN)
                .map(|entries| entries.keys().cloned().collect())
                .unwrap_or_default()
        }))
    }

    async fn delete_expired_tc_tokens(&self, token_cutoff: i64, sender_cutoff: i64) -> Result<u32> {
        self.delete_counted(TC_TOKEN, move |_, value| {
            serde_json::from_slice::<TcTokenEntry>(value).is_ok_and(|entry| {
                let token_live = !entry.token.is_empty() && entry.token_timestamp >= token_cutoff;
                let sender_live = entry.sender_timestamp.is_some_and(|ts| ts >= sender_cutoff);
                !(token_live || sender_live)
            })
        })
        .await
    }

    async fn store_sent_message(
        &self,
        chat_jid: &str,
        message_id: &str,
        payload: &[u8],
    ) -> Result<()> {
        let entry = json(&Sent {
            at: now_secs(),
            payload: payload.to_vec(),
        })?;
        let new_key = key(&[chat_jid, message_id]);
        self.change(move |spaces| {
            let mut ops = Vec::new();
            // Bounded: past the cap, the oldest quarter goes.
            if let Some(sent) = spaces.get(SENT).filter(|s| s.len() >= MAX_SENT_MESSAGES) {
                let mut ages: Vec<(i64, &String)> = sent
                    .iter()
                    .map(|(k, v)| (serde_json::from_slice::<Sent>(v).map_or(0, |s| s.at), k))
                    .collect();
                ages.sort();
                let drop = sent.len() - MAX_SENT_MESSAGES * 3 / 4;
                ops.extend(ages.iter().take(drop).map(|(_, k)| Op::delete(SENT, k)));
            }
            ops.push(Op::put(SENT, &new_key, entry));
            (ops, ())
        })
        .await
    }

    async fn take_sent_message(&self, chat_jid: &str, message_id: &str) -> Result<Option<Vec<u8>>> {
        let k = key(&[chat_jid, message_id]);
        let taken = self
            .change(
                move |spaces| match spaces.get(SENT).and_then(|s| s.get(&k)) {
                    Some(value) => (vec![Op::delete(SENT, &k)], Some(value.clone())),
                    None => (Vec::new(), None),
                },
            )
            .await?;
        taken
            .map(|bytes| parse::<Sent>(&bytes).map(|s| s.payload))
            .transpose()
    }

    async fn delete_expired_sent_messages(&self, cutoff_timestamp: i64) -> Result<u32> {
        self.delete_counted(SENT, move |_, value| {
            serde_json::from_slice::<Sent>(value).map_or(true, |s| s.at < cutoff_timestamp)
        })
        .await
    }

    async fn store_pending_inbound(
        &self,
        chat: &str,
        sender: &str,
        id: &str,
        message: &[u8],
    ) -> Result<()> {
        let entry = json(&Pending {
            at: now_secs(),
            message: message.to_vec(),
        })?;
        self.apply(vec![Op::put(
            PENDING_INBOUND,
            &key(&[chat, sender, id]),
            entry,
        )])
        .await
    }

    async fn get_pending_inbound(
        &self,
        chat: &str,
        sender: &str,
        id: &str,
    ) -> Result<Option<Vec<u8>>> {
        self.get(PENDING_INBOUND, &key(&[chat, sender, id]))
            .map(|bytes| parse::<Pending>(&bytes).map(|p| p.message))
            .transpose()
    }

    async fn delete_pending_inbound(&self, chat: &str, sender: &str, id: &str) -> Result<()> {
        self.apply(vec![Op::delete(PENDING_INBOUND, &key(&[chat, sender, id]))])
            .await
    }

    async fn delete_expired_pending_inbound(&self, cutoff_timestamp: i64) -> Result<u32> {
        self.delete_counted(PENDING_INBOUND, move |_, value| {
            serde_json::from_slice::<Pending>(value).map_or(true, |p| p.at < cutoff_timestamp)
        })
        .await
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

#[async_trait]
impl MsgSecretStore for KeyStore {
    async fn put_msg_secrets(&self, entries: Vec<MsgSecretEntry>) -> Result<usize> {
        let stored = entries.len();
        self.change(move |spaces| {
            let existing = spaces.get(MSG_SECRET);
            let mut merged: HashMap<String, Secret> = HashMap::new();
            for entry in entries {
                let k = key(&[&entry.chat, &entry.sender, &entry.msg_id]);
                let before = merged.remove(&k).or_else(|| {
                    existing
                        .and_then(|s| s.get(&k))
                        .and_then(|v| serde_json::from_slice::<Secret>(v).ok())
                });
                let secret = match before {
                    Some(old) => Secret {
                        secret: entry.secret.to_vec(),
                        expires_at: merge_msg_secret_expiry(old.expires_at, entry.expires_at),
                        message_ts: merge_msg_secret_message_ts(old.message_ts, entry.message_ts),
                    },
                    None => Secret {
                        secret: entry.secret.to_vec(),
                        expires_at: entry.expires_at,
                        message_ts: entry.message_ts,
                    },
                };
                merged.insert(k, secret);
            }
            let ops = merged
                .into_iter()
                .filter_map(|(k, s)| Some(Op::put(MSG_SECRET, &k, serde_json::to_vec(&s).ok()?)))
                .collect();
            (ops, stored)
        })
        .await
    }

    async fn get_msg_secret(
        &self,
        chat: &str,
        sender: &str,
        msg_id: &str,
    ) -> Result<Option<Vec<u8>>> {
        Ok(self
            .get_msg_secret_with_ts(chat, sender, msg_id)
            .await?
            .map(|(secret, _)| secret))
    }

    async fn get_msg_secret_with_ts(
        &self,
        chat: &str,
        sender: &str,
        msg_id: &str,
    ) -> Result<Option<(Vec<u8>, i64)>> {
        Ok(self
            .get_json::<Secret>(MSG_SECRET, &key(&[chat, sender, msg_id]))?
            .map(|s| (s.secret, s.message_ts)))
    }

    async fn delete_expired_msg_secrets(&self, cutoff_timestamp: i64) -> Result<u32> {
        self.delete_counted(MSG_SECRET, move |_, value| {
            serde_json::from_slice::<Secret>(value)
                .is_ok_and(|s| s.expires_at != 0 && s.expires_at <= cutoff_timestamp)
        })
        .await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composite_keys_keep_their_parts_apart() {
        assert_eq!(hex(&[0, 1, 254, 255]), "0001feff");
        assert_ne!(mac_key("regular", &[1]), mac_key("regular_", &[]));
        assert!(id_key(9) < id_key(10), "pre-key ids sort as numbers");
    }

    use whatsapp_rust::wacore::store::traits::Backend;

    fn open(dir: &Path) -> Arc<dyn Backend> {
        Arc::new(KeyStore::open(dir).expect("opens"))
    }

    /// The library's storage contract, through its trait, across a reopen of the files.
    #[tokio::test]
    async fn the_storage_contract_holds_and_survives_a_reopen() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = open(dir.path());
        let alice = "5511999990000:1@s.whatsapp.net";
        store.put_identity(alice, [7; 32]).await.expect("identity");
        store
            .put_session(alice, b"session-1")
            .await
            .expect("session");
        store
            .put_sessions_batch(&[(Arc::from(alice), Bytes::from_static(b"session-2"))])
            .await
            .expect("batch");
        store
            .store_prekeys_batch(
                &[
                    (9, Bytes::from_static(b"pk9")),
                    (10, Bytes::from_static(b"pk10")),
                ],
                false,
            )
            .await
            .expect("prekeys");
        store.mark_prekeys_uploaded(&[9]).await.expect("uploaded");
        store.store_signed_prekey(1, b"spk").await.expect("signed");
        store
            .put_sender_key("group:alice", b"sk")
            .await
            .expect("sender key");
        store
            .set_sync_key(
                b"\x01\x02",
                AppStateSyncKey {
                    key_data: vec![1],
                    fingerprint: vec![2],
                    timestamp: 3,
                },
            )
            .await
            .expect("sync key");
        store
            .set_version("regular", HashState::default())
            .await
            .expect("version");
        let mac = |i: u8, v: u8| AppStateMutationMAC {
            index_mac: vec![i],
            value_mac: vec![v],
        };
        store
            .put_mutation_macs("regular", 1, &[mac(1, 10), mac(2, 20)])
            .await
            .expect("macs");
        store
            .put_mutation_macs("critical", 1, &[mac(1, 30)])
            .await
            .expect("macs");
        store
            .set_sender_key_status("g@g.us", &[("a:1", true), ("b:2", false)])
            .await
            .expect("skd");
        let lid = |phone: &str| LidPnMappingEntry {
            lid: "100".into(),
            phone_number: phone.into(),
            created_at: 1,
            updated_at: 1,
            learning_source: "test".into(),
        };
        store.put_lid_mapping(&lid("5511")).await.expect("lid");
        store
            .put_lid_mapping(&lid("5522"))
            .await
            .expect("lid moved");
        store
            .save_base_key(alice, "m1", b"base")
            .await
            .expect("base key");
        store
            .put_tc_token(
                "t@s",
                &TcTokenEntry {
                    token: vec![1],
                    token_timestamp: 100,
                    sender_timestamp: None,
                },
            )
            .await
            .expect("tc");
        store
            .store_sent_message("chat", "m1", b"payload")
            .await
            .expect("sent");
        store
            .store_pending_inbound("chat", "alice", "p1", b"inbound")
            .await
            .expect("pending");
        store
            .put_msg_secrets(vec![MsgSecretEntry {
                chat: Arc::from("chat"),
                sender: Arc::from("me"),
                msg_id: Arc::from("m1"),
                secret: [5; 32],
                expires_at: 50,
                message_ts: 7,
            }])
            .await
            .expect("secret");
        assert!(!store.exists().await.expect("exists"));
        store.create().await.expect("device");
        let device = store.load().await.expect("load").expect("device made");
        drop(store);

        // Everything is read back from the files by a new store.
        let store = open(dir.path());
        assert!(store.exists().await.expect("exists"));
        let again = store.load().await.expect("load").expect("device");
        assert_eq!(json(&again).expect("json"), json(&device).expect("json"));
        assert_eq!(
            store.load_identity(alice).await.expect("identity"),
            Some([7; 32])
        );
        assert_eq!(
            store.get_session(alice).await.expect("session").as_deref(),
            Some(&b"session-2"[..])
        );
        assert!(store
            .has_signal_state_for_user("5511999990000")
            .await
            .expect("state"));
        assert!(!store
            .has_signal_state_for_user("551199999000")
            .await
            .expect("other user"));
        assert_eq!(
            store.load_prekey(9).await.expect("prekey").as_deref(),
            Some(&b"pk9"[..])
        );
        assert_eq!(store.get_max_prekey_id().await.expect("max"), 10);
        assert_eq!(
            store
                .load_prekeys_batch(&[9, 10, 11])
                .await
                .expect("batch")
                .len(),
            2
        );
        assert_eq!(
            store.load_all_signed_prekeys().await.expect("signed"),
            vec![(1, b"spk".to_vec())]
        );
        assert_eq!(
            store.get_sender_key("group:alice").await.expect("sk"),
            Some(b"sk".to_vec())
        );
        assert_eq!(
            store.get_latest_sync_key_id().await.expect("latest"),
            Some(b"\x01\x02".to_vec())
        );
        assert_eq!(
            store
                .get_sync_key(b"\x01\x02")
                .await
                .expect("sync")
                .expect("key")
                .timestamp,
            3
        );
        assert_eq!(
            store.get_mutation_mac("regular", &[2]).await.expect("mac"),
            Some(vec![20])
        );
        store.clear_mutation_macs("regular").await.expect("clear");
        assert_eq!(
            store.get_mutation_mac("regular", &[1]).await.expect("mac"),
            None
        );
        assert_eq!(
            store.get_mutation_mac("critical", &[1]).await.expect("mac"),
            Some(vec![30])
        );
        let mut devices = store.get_sender_key_devices("g@g.us").await.expect("skd");
        devices.sort();
        assert_eq!(
            devices,
            vec![("a:1".to_string(), true), ("b:2".to_string(), false)]
        );
        store
            .delete_sender_key_device_rows(&["a:1"])
            .await
            .expect("delete rows");
        assert_eq!(
            store
                .get_sender_key_devices("g@g.us")
                .await
                .expect("skd")
                .len(),
            1
        );
        assert!(store
            .get_pn_mapping("5511")
            .await
            .expect("old number")
            .is_none());
        assert_eq!(
            store
                .get_pn_mapping("5522")
                .await
                .expect("pn")
                .expect("mapped")
                .lid,
            "100"
        );
        assert!(store
            .has_same_base_key(alice, "m1", b"base")
            .await
            .expect("base"));
        assert!(!store
            .has_same_base_key(alice, "m1", b"other")
            .await
            .expect("base"));
        assert_eq!(
            store.get_all_tc_token_jids().await.expect("tc"),
            vec!["t@s".to_string()]
        );
        assert_eq!(
            store
                .delete_expired_tc_tokens(200, 200)
                .await
                .expect("expire"),
            1
        );
        assert_eq!(
            store.take_sent_message("chat", "m1").await.expect("take"),
            Some(b"payload".to_vec())
        );
        assert_eq!(
            store
                .take_sent_message("chat", "m1")
                .await
                .expect("taken once"),
            None
        );
        assert_eq!(
            store
                .get_pending_inbound("chat", "alice", "p1")
                .await
                .expect("pending"),
            Some(b"inbound".to_vec())
        );
        store
            .delete_pending_inbound("chat", "alice", "p1")
            .await
            .expect("delete pending");
        assert_eq!(
            store
                .get_msg_secret_with_ts("chat", "me", "m1")
                .await
                .expect("secret"),
            Some((vec![5; 32], 7))
        );
        // A later deadline wins, a zero time does not clobber a known one.
        store
            .put_msg_secrets(vec![MsgSecretEntry {
                chat: Arc::from("chat"),
                sender: Arc::from("me"),
                msg_id: Arc::from("m1"),
                secret: [6; 32],
                expires_at: 80,
                message_ts: 0,
            }])
            .await
            .expect("merge");
        assert_eq!(
            store
                .get_msg_secret_with_ts("chat", "me", "m1")
                .await
                .expect("secret"),
            Some((vec![6; 32], 7))
        );
        assert_eq!(
            store.delete_expired_msg_secrets(60).await.expect("expire"),
            0
        );
        assert_eq!(
            store.delete_expired_msg_secrets(80).await.expect("expire"),
            1
        );
    }
}
