//! The Signal protocol's records: identities, sessions, pre-keys, signed pre-keys and sender
//! keys.

use super::*;

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
